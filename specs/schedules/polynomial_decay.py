"""Keras ``PolynomialDecay``: from the initial rate to ``end_learning_rate`` along ``(1 - k/D)^power``.

Without ``cycle`` the step is clamped at ``decay_steps``, so the rate stays at
the end value. With ``cycle`` the horizon grows to the next multiple of
``decay_steps`` instead (Keras keeps ``decay_steps`` itself at step 0), a
sawtooth whose peaks shrink.
"""

from sympy import Eq, Interval, Min, Piecewise, Symbol, ceiling, floor, oo

from codegen.language.schedule import (
    Call,
    Case,
    Choice,
    Counterpart,
    Example,
    Hyperparameter,
    ScheduleSpec,
    Typical,
    ValueAt,
    k,
)

eta_0 = Symbol("eta_0", positive=True)
D = Symbol("D", positive=True)
eta_end = Symbol("eta_end", nonnegative=True)
power = Symbol("power", positive=True)
s = Symbol("s", nonnegative=True)
H = Symbol("H", positive=True)

SPEC = ScheduleSpec(
    name="PolynomialDecay",
    aliases=("polynomial_decay",),
    summary="From the initial rate to end_learning_rate along (1 - k/decay_steps) to the power `power`.",
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
            "the step at which the end rate is reached",
            typical=Typical(1 / 8, 1 / 2, per_run=True),
        ),
        Hyperparameter(
            eta_end,
            "end_learning_rate",
            0.0001,
            Interval(0, oo),
            "the rate at and after decay_steps",
            typical=Typical(1e-5, 1e-3, log=True),
        ),
        Hyperparameter(
            power, "power", 1.0, Interval.open(0, oo), "the exponent of the decay curve", typical=Typical(0.5, 3.0)
        ),
    ),
    definitions=((s, Min(k, D)), (H, D)),
    value=(eta_0 - eta_end) * (1 - s / H) ** power + eta_end,
    choices=(
        Choice(
            "cycle",
            (
                Case(False, ""),
                Case(True, "cycle", {s: k, H: Piecewise((D, Eq(k, 0)), (D * ceiling(k / D), True))}),
            ),
            default=False,
            description="restart past decay_steps with the horizon stretched to the next multiple of it",
        ),
    ),
    example=Example(
        {"initial_learning_rate": 0.1, "decay_steps": 400, "end_learning_rate": 0.01, "power": 2.0}, steps=500
    ),
    past_the_end="Without cycle: end_learning_rate from decay_steps on. With cycle: shrinking sawtooth, no end.",
    conventions=(
        ("Optax", r"\texttt{polynomial\_schedule} is the form without cycle, plus \texttt{transition\_begin}."),
    ),
    latex_names={eta_0: r"\eta_0", D: "D", eta_end: r"\eta_{\mathrm{end}}", power: "q", s: r"\bar k", H: "H"},
    counterparts=(
        Counterpart(
            "torch.optim.lr_scheduler.PolynomialLR",
            arguments=(("optimizer", eta_0), ("total_iters", floor(D)), ("power", power)),
            requires=(("end_learning_rate", 0), ("cycle", False)),
            note="PolynomialLR decays to 0 and stays there",
        ),
        Counterpart("keras.optimizers.schedules.PolynomialDecay"),
    ),
)

_CALL = Call(
    "PolynomialDecay",
    {"initial_learning_rate": eta_0, "decay_steps": D, "end_learning_rate": eta_end, "power": power},
)

RELATIONS = (
    ValueAt(
        name="starts_at_initial_rate",
        description="At step 0 the rate is initial_learning_rate.",
        call=_CALL,
        step=0,
        expected=eta_0,
        example={eta_0: 0.1, D: 40, eta_end: 0.01, power: 0.5},
    ),
    ValueAt(
        name="ends_at_end_rate",
        description="At step decay_steps the rate is end_learning_rate.",
        call=_CALL,
        step=D,
        expected=eta_end,
        example={eta_0: 0.1, D: 40, eta_end: 0.01, power: 0.5},
    ),
)
