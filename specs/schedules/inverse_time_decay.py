"""Keras ``InverseTimeDecay``: the initial rate divided by ``1 + decay_rate * k/decay_steps``."""

from sympy import Interval, Symbol, floor, oo

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
r = Symbol("r", nonnegative=True)
p = Symbol("p", nonnegative=True)

SPEC = ScheduleSpec(
    name="InverseTimeDecay",
    aliases=("inverse_time_decay",),
    summary="The initial rate divided by 1 + decay_rate * k/decay_steps.",
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
            "the steps that one decay_rate spans",
            typical=Typical(1 / 8, 1 / 2, per_run=True),
        ),
        # Typical: a decay that shows over a run without reaching nothing.
        Hyperparameter(r, "decay_rate", None, Interval(0, oo), "how fast the rate falls", typical=Typical(0.1, 0.9)),
    ),
    definitions=((p, k / D),),
    value=eta_0 / (1 + r * p),
    choices=(
        Choice(
            "staircase",
            (Case(False, ""), Case(True, "staircase", {p: floor(k / D)})),
            default=False,
            description="decay in whole periods: the integer part of k/decay_steps",
        ),
    ),
    example=Example({"initial_learning_rate": 0.1, "decay_steps": 50, "decay_rate": 1.0}, steps=500),
    past_the_end="It never ends: the rate keeps falling like 1/k.",
    latex_names={eta_0: r"\eta_0", D: "D", r: "r", p: "p"},
    counterparts=(Counterpart("keras.optimizers.schedules.InverseTimeDecay"),),
)

_CONTINUOUS = Call("InverseTimeDecay", {"initial_learning_rate": eta_0, "decay_steps": D, "decay_rate": r})
_NUMBERS = {eta_0: 0.1, D: 40, r: 0.5}

RELATIONS = (
    ValueAt(
        name="continuous_halfway_divides_by_one_plus_half_the_rate",
        description="Without the staircase, the rate at step decay_steps / 2 is initial_learning_rate / (1 + r/2).",
        call=_CONTINUOUS,
        step=D / 2,
        expected=eta_0 / (1 + r / 2),
        example=_NUMBERS,
    ),
    ValueAt(
        name="staircase_steps_down_at_decay_steps",
        description="With the staircase, the rate at step decay_steps is initial_learning_rate / (1 + r).",
        call=Call(
            "InverseTimeDecay",
            {"initial_learning_rate": eta_0, "decay_steps": D, "decay_rate": r, "staircase": True},
        ),
        step=D,
        expected=eta_0 / (1 + r),
        example=_NUMBERS,
    ),
)
