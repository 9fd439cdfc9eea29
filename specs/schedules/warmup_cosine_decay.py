"""Optax's ``warmup_cosine_decay_schedule``: a linear warmup, then half a cosine, in one count of steps.

The rate rises linearly from ``init_value`` to ``peak_value`` over
``warmup_steps`` steps, then falls along half a cosine (raised to
``exponent``) to ``end_value`` at step ``decay_steps``, and stays there.
``decay_steps`` counts the warmup in (Keras's ``CosineDecay`` counts it
out, which a relation proves), and must exceed ``warmup_steps``: Optax
refuses a cosine of no length.
"""

from sympy import Interval, Min, Piecewise, Range, Symbol, cos, oo, pi

from codegen.language.schedule import (
    Call,
    Counterpart,
    Example,
    Hyperparameter,
    Identity,
    ScheduleSpec,
    Typical,
    ValueAt,
    k,
)

eta_i = Symbol("eta_i", nonnegative=True)
eta_p = Symbol("eta_p", positive=True)
W = Symbol("W", integer=True, nonnegative=True)
D = Symbol("D", integer=True, positive=True)
eta_e = Symbol("eta_e", nonnegative=True)
e = Symbol("e", positive=True)
alpha = Symbol("alpha", nonnegative=True)
x = Symbol("x", nonnegative=True)

SPEC = ScheduleSpec(
    name="WarmupCosineDecay",
    aliases=("warmup_cosine_decay",),
    summary="Linear from init_value up to peak_value, then half a cosine down to end_value at decay_steps.",
    arguments=(
        Hyperparameter(
            eta_i,
            "init_value",
            None,
            Interval(0, oo),
            "the rate at step 0",
            typical=Typical(1e-5, 1e-3, log=True),
        ),
        Hyperparameter(
            eta_p,
            "peak_value",
            None,
            Interval.open(0, oo),
            "the rate at the end of the warmup",
            typical=Typical(1e-3, 1e-1, log=True),
        ),
        Hyperparameter(
            W,
            "warmup_steps",
            None,
            Range(0, oo),
            "the length of the warmup",
            typical=Typical(1 / 20, 1 / 5, per_run=True),
        ),
        Hyperparameter(
            D,
            "decay_steps",
            None,
            Range(1, oo),
            "the step the decay ends at, warmup included (more than warmup_steps)",
            typical=Typical(1 / 2, 1, per_run=True),
        ),
        Hyperparameter(
            eta_e,
            "end_value",
            0.0,
            Interval(0, oo),
            "the rate from decay_steps on",
            typical=Typical(1e-6, 1e-4, log=True),
        ),
        Hyperparameter(
            e, "exponent", 1.0, Interval.open(0, oo), "the power of the cosine's shape", typical=Typical(0.5, 2.0)
        ),
    ),
    definitions=((alpha, eta_e / eta_p), (x, (Min(k, D) - W) / (D - W))),
    value=Piecewise(
        (eta_i + (eta_p - eta_i) * k / W, k < W),
        (eta_p * ((1 - alpha) * ((1 + cos(pi * x)) / 2) ** e + alpha), True),
    ),
    example=Example(
        {"init_value": 0.0, "peak_value": 0.1, "warmup_steps": 100, "decay_steps": 500, "end_value": 0.001},
        steps=600,
    ),
    past_the_end="end_value.",
    library="Optax (optax.warmup_cosine_decay_schedule)",
    references=("I. Loshchilov, F. Hutter, SGDR: stochastic gradient descent with warm restarts, ICLR 2017.",),
    conventions=(
        (
            "Keras 3",
            r"\texttt{CosineDecay} with \texttt{warmup\_target} $=\eta_p$ counts \texttt{decay\_steps} after the "
            r"warmup: $D - W$ here, and has no exponent.",
        ),
    ),
    latex_names={eta_i: r"\eta_i", eta_p: r"\eta_p", W: "W", D: "D", eta_e: r"\eta_e", e: "e", alpha: r"\alpha"},
    counterparts=(
        Counterpart("optax.warmup_cosine_decay_schedule"),
        Counterpart(
            "keras.optimizers.schedules.CosineDecay",
            arguments=(
                ("initial_learning_rate", eta_i),
                ("decay_steps", D - W),
                ("alpha", eta_e / eta_p),
                ("warmup_target", eta_p),
                ("warmup_steps", W),
            ),
            requires=(("exponent", 1.0),),
            note="Keras's decay_steps excludes the warmup; Keras has no exponent",
        ),
    ),
)

_i, _p, _e = Symbol("eta_i1", nonnegative=True), Symbol("eta_p1", positive=True), Symbol("eta_e1", nonnegative=True)
_W, _C = Symbol("W_1", integer=True, positive=True), Symbol("C_1", integer=True, positive=True)
_CALL = Call(
    "WarmupCosineDecay",
    {"init_value": _i, "peak_value": _p, "warmup_steps": _W, "decay_steps": _W + _C, "end_value": _e},
)
_NUMBERS = {_i: 0.001, _p: 0.1, _e: 0.0001, _W: 10, _C: 40}

RELATIONS = (
    ValueAt(
        name="warmup_reaches_peak",
        description="At step warmup_steps the rate is peak_value.",
        call=_CALL,
        step=_W,
        expected=_p,
        example=_NUMBERS,
    ),
    ValueAt(
        name="ends_at_end_value",
        description="At step decay_steps the rate is end_value.",
        call=_CALL,
        step=_W + _C,
        expected=_e,
        example=_NUMBERS,
    ),
    Identity(
        name="warmup_cosine_decay_is_keras_cosine_decay",
        description=(
            "Optax's warmup_cosine_decay_schedule(i, p, W, D, e) is Keras's CosineDecay(i, D - W, e/p, "
            "warmup_target=p, warmup_steps=W): Keras counts the decay's steps after the warmup."
        ),
        lhs=_CALL,
        rhs=Call(
            "CosineDecay",
            {
                "initial_learning_rate": _i,
                "decay_steps": _C,
                "alpha": _e / _p,
                "warmup_target": _p,
                "warmup_steps": _W,
            },
        ),
        steps=lambda instance: range(instance[_W] + instance[_C] + 3),
        instances=({_W: 1, _C: 1}, {_W: 3, _C: 5}, {_W: 10, _C: 4}),
        example={_i: 0.001, _p: 0.1, _e: 0.0001},
    ),
)
