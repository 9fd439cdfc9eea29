"""TF v1 ``natural_exp_decay``: ``exp(-decay_rate * k/decay_steps)`` (Keras 3 has no class for it).

It is ExponentialDecay with ``decay_rate = exp(-lambda)``, which
``derived_from`` records and a generated check proves. TF computes it in
that form, ``eta_0 (e^{-lambda})^p``; the kernel here evaluates
``eta_0 e^{-lambda p}``, which is the same number up to rounding.
"""

from sympy import Interval, Symbol, exp, floor, oo

from codegen.language.schedule import (
    Case,
    Choice,
    Counterpart,
    Derivation,
    Example,
    Hyperparameter,
    ScheduleSpec,
    Typical,
    k,
)

eta_0 = Symbol("eta_0", positive=True)
D = Symbol("D", positive=True)
lam = Symbol("lam", nonnegative=True)
p = Symbol("p", nonnegative=True)

SPEC = ScheduleSpec(
    name="NaturalExpDecay",
    aliases=("natural_exp_decay",),
    summary="The initial rate times exp(-decay_rate * k/decay_steps).",
    arguments=(
        Hyperparameter(
            eta_0,
            "initial_learning_rate",
            None,
            Interval(0, oo),
            "the rate at step 0",
            typical=Typical(1e-3, 1e-1, log=True),
        ),
        Hyperparameter(
            D,
            "decay_steps",
            None,
            Interval.open(0, oo),
            "steps per factor of exp(-decay_rate)",
            typical=Typical(1 / 8, 1 / 2, per_run=True),
        ),
        # Typical: a decay that shows over a run without reaching nothing.
        Hyperparameter(
            lam,
            "decay_rate",
            None,
            Interval(0, oo),
            "the natural decay rate per decay_steps steps",
            typical=Typical(0.1, 0.9),
        ),
    ),
    definitions=((p, k / D),),
    value=eta_0 * exp(-lam * p),
    choices=(
        Choice(
            "staircase",
            (Case(False, ""), Case(True, "staircase", {p: floor(k / D)})),
            default=False,
            description="decay in whole periods: the exponent is the integer part of k/decay_steps",
        ),
    ),
    derived_from=Derivation(
        "ExponentialDecay", {"decay_rate": exp(-lam)}, note="decay_rate replaced by exp(-decay_rate)"
    ),
    example=Example({"initial_learning_rate": 0.1, "decay_steps": 100, "decay_rate": 0.7}, steps=500),
    past_the_end="It never ends: the rate keeps decaying.",
    library="TensorFlow 1 (tf.compat.v1.train.natural_exp_decay)",
    latex_names={eta_0: r"\eta_0", D: "D", lam: r"\lambda", p: "p"},
    counterparts=(
        Counterpart(
            "torch.optim.lr_scheduler.ExponentialLR",
            arguments=(("optimizer", eta_0), ("gamma", exp(-lam / D))),
            requires=(("staircase", False),),
            note="the factor per step is exp(-decay_rate / decay_steps)",
        ),
        Counterpart(
            "torch.optim.lr_scheduler.StepLR",
            arguments=(("optimizer", eta_0), ("step_size", floor(D)), ("gamma", exp(-lam))),
            requires=(("staircase", True),),
        ),
        Counterpart(
            "keras.optimizers.schedules.ExponentialDecay",
            arguments=(
                ("initial_learning_rate", eta_0),
                ("decay_steps", D),
                ("decay_rate", exp(-lam)),
                ("staircase", "staircase"),
            ),
            note="decay_rate=exp(-decay_rate), as TF v1's natural_exp_decay",
        ),
    ),
)
