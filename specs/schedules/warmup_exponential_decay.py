"""Optax's ``warmup_exponential_decay_schedule``: a linear warmup, then an exponential decay, optionally clipped.

The rate rises linearly from ``init_value`` to ``peak_value`` over
``warmup_steps`` steps. From there the decay's own count ``j = k - W``
starts at 0: the rate holds ``peak_value`` until ``j`` passes
``transition_begin``, then is multiplied by ``decay_rate`` every
``transition_steps`` steps (in whole periods with ``staircase``). An
``end_value`` clips it: from below when the rate decays (``decay_rate <
1``), from above when it grows.
"""

from sympy import Interval, Max, Min, Piecewise, Range, Rational, Symbol, floor, oo

from codegen.language.schedule import (
    Call,
    Case,
    Choice,
    Counterpart,
    Example,
    Hyperparameter,
    Identity,
    ScheduleSpec,
    Typical,
    ValueAt,
    WhenNone,
    k,
)
from specs.schedules.warmup_cosine_decay import SPEC as WARMUP_COSINE

# The warmup is Optax's warmup cosine's: its three arguments, as that spec declares them.
WARMUP = tuple(WARMUP_COSINE.argument(name) for name in ("init_value", "peak_value", "warmup_steps"))
eta_i, eta_p, W = (argument.symbol for argument in WARMUP)
S = Symbol("S", integer=True, positive=True)
r = Symbol("r", positive=True)
B = Symbol("B", integer=True, nonnegative=True)
eta_e = Symbol("eta_e", nonnegative=True)
j = Symbol("j", integer=True)
p = Symbol("p", real=True)
v = Symbol("v", positive=True)

SPEC = ScheduleSpec(
    name="WarmupExponentialDecay",
    aliases=("warmup_exponential_decay",),
    summary="Linear from init_value up to peak_value, then decay_rate per transition_steps steps.",
    arguments=(
        *WARMUP,
        Hyperparameter(
            S,
            "transition_steps",
            None,
            Range(1, oo),
            "steps per factor of decay_rate",
            typical=Typical(1 / 8, 1 / 2, per_run=True),
        ),
        Hyperparameter(
            r, "decay_rate", None, Interval.open(0, oo), "the factor per transition_steps", typical=Typical(0.1, 0.9)
        ),
        Hyperparameter(
            B,
            "transition_begin",
            0,
            Range(0, oo),
            "steps after the warmup before the decay starts",
            typical=Typical(0.0, 1 / 10, per_run=True),
        ),
        Hyperparameter(
            eta_e,
            "end_value",
            None,
            Interval(0, oo),
            "the bound the rate is clipped at (None: no clip)",
            typical=Typical(1e-4, 1e-3, log=True),
        ),
    ),
    definitions=(
        (j, k - W - B),
        (p, j / S),
        (v, Piecewise((eta_p, j <= 0), (eta_p * r**p, True))),
    ),
    value=Piecewise(
        (eta_i + (eta_p - eta_i) * k / W, k < W),
        (Max(v, eta_e), r < 1),
        (Min(v, eta_e), True),
    ),
    choices=(
        Choice(
            "staircase",
            (Case(False, ""), Case(True, "staircase", {p: floor(j / S)})),
            default=False,
            description="decay in whole periods",
        ),
    ),
    # A clip at 0 from below, or at infinity from above, is no clip (the rates are positive).
    when_none=(WhenNone("end_value", {eta_e: Piecewise((0, r < 1), (oo, True))}, "no clip"),),
    example=Example(
        {
            "init_value": 0.0,
            "peak_value": 0.1,
            "warmup_steps": 100,
            "transition_steps": 100,
            "decay_rate": 0.5,
            "transition_begin": 50,
            "end_value": 0.01,
        },
        steps=600,
    ),
    past_the_end="It never ends: the rate keeps decaying (or growing) until end_value.",
    library="Optax (optax.warmup_exponential_decay_schedule)",
    conventions=(
        (
            "Keras 3",
            r"\texttt{ExponentialDecay} after trainspec's LinearWarmup is this schedule with no "
            r"\texttt{transition\_begin} and no \texttt{end\_value}.",
        ),
    ),
    latex_names={
        eta_i: r"\eta_i",
        eta_p: r"\eta_p",
        W: "W",
        S: "S",
        r: "r",
        B: "B",
        eta_e: r"\eta_e",
        j: "j",
        p: "p",
        v: "v",
    },
    counterparts=(Counterpart("optax.warmup_exponential_decay_schedule"),),
)

_i, _p = Symbol("eta_i1", nonnegative=True), Symbol("eta_p1", positive=True)
_W, _S = Symbol("W_1", integer=True, positive=True), Symbol("S_1", integer=True, positive=True)
_r = Symbol("r_1", positive=True)
_CALL = Call(
    "WarmupExponentialDecay",
    {"init_value": _i, "peak_value": _p, "warmup_steps": _W, "transition_steps": _S, "decay_rate": _r},
)
_NUMBERS = {_i: 0.001, _p: 0.1, _W: 10, _S: 20, _r: 0.5}

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
        name="one_factor_per_transition",
        description="transition_steps after the warmup, the rate is peak_value times decay_rate.",
        call=_CALL,
        step=_W + _S,
        expected=_p * _r,
        example=_NUMBERS,
    ),
    Identity(
        name="warmup_exponential_decay_is_linear_warmup_of_exponential_decay",
        description=(
            "With no transition_begin and no end_value, Optax's warmup_exponential_decay_schedule is trainspec's "
            "LinearWarmup in front of Keras's ExponentialDecay(peak_value, transition_steps, decay_rate)."
        ),
        lhs=_CALL,
        rhs=Call(
            "LinearWarmup",
            {
                "schedule": Call(
                    "ExponentialDecay", {"initial_learning_rate": _p, "decay_steps": _S, "decay_rate": _r}
                ),
                "warmup_steps": _W,
                "initial_learning_rate": _i,
            },
        ),
        steps=lambda instance: range(instance[_W] + 2 * instance[_S] + 3),
        instances=({_W: 1, _S: 1, _r: Rational(1, 2)}, {_W: 3, _S: 5, _r: Rational(1, 3)}, {_W: 10, _S: 4, _r: 2}),
        example={_i: 0.001, _p: 0.1, _r: 0.5},
    ),
)
