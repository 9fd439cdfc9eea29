"""Keras ``ExponentialDecay``: the learning rate times ``decay_rate`` per ``decay_steps`` steps.

``staircase=True`` takes the integer part of ``k/D``, which makes the
schedule piecewise constant: the relation below proves that it is a
``PiecewiseConstantDecay`` whose boundaries sit at the last step of each
period (Keras's piecewise schedule keeps the earlier value *at* a boundary).
"""

from sympy import Interval, Symbol, floor, oo, sqrt

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
    k,
)

eta_0 = Symbol("eta_0", positive=True)
D = Symbol("D", positive=True)
r = Symbol("r", positive=True)
p = Symbol("p", nonnegative=True)

SPEC = ScheduleSpec(
    name="ExponentialDecay",
    aliases=("exponential_decay",),
    summary="The initial rate times decay_rate to the power of the completed fraction k/decay_steps.",
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
            "steps per factor of decay_rate",
            typical=Typical(1 / 8, 1 / 2, per_run=True),
        ),
        # Typical: a decay that shows over a run without reaching nothing.
        Hyperparameter(
            r, "decay_rate", None, Interval.open(0, oo), "the factor per decay_steps steps", typical=Typical(0.1, 0.9)
        ),
    ),
    definitions=((p, k / D),),
    value=eta_0 * r**p,
    choices=(
        Choice(
            "staircase",
            (Case(False, ""), Case(True, "staircase", {p: floor(k / D)})),
            default=False,
            description="decay in whole periods: the exponent is the integer part of k/decay_steps",
        ),
    ),
    example=Example({"initial_learning_rate": 0.1, "decay_steps": 100, "decay_rate": 0.5}, steps=500),
    past_the_end="It never ends: the rate keeps decaying (or growing, if decay_rate > 1).",
    conventions=(
        (
            "Optax",
            r"\texttt{exponential\_decay} adds \texttt{transition\_begin} and an optional \texttt{end\_value} clip.",
        ),
    ),
    latex_names={eta_0: r"\eta_0", D: "D", r: "r", p: "p"},
    counterparts=(
        Counterpart(
            "torch.optim.lr_scheduler.ExponentialLR",
            arguments=(("optimizer", eta_0), ("gamma", r ** (1 / D))),
            requires=(("staircase", False),),
            note="the factor per step is decay_rate ** (1 / decay_steps)",
        ),
        Counterpart(
            "torch.optim.lr_scheduler.StepLR",
            arguments=(("optimizer", eta_0), ("step_size", floor(D)), ("gamma", r)),
            requires=(("staircase", True),),
        ),
        Counterpart("keras.optimizers.schedules.ExponentialDecay"),
    ),
)

_BOUNDARIES = 4  # enough periods that every boundary has a neighbour on each side
_CONTINUOUS = Call("ExponentialDecay", {"initial_learning_rate": eta_0, "decay_steps": D, "decay_rate": r})
_NUMBERS = {eta_0: 0.1, D: 40, r: 0.5}

RELATIONS = (
    Identity(
        name="staircase_is_piecewise_constant",
        description=(
            "Staircase exponential decay is PiecewiseConstantDecay with boundaries "
            "D-1, 2D-1, ... and values eta_0 r^j, up to one period past its last boundary."
        ),
        lhs=Call(
            "ExponentialDecay",
            {"initial_learning_rate": eta_0, "decay_steps": D, "decay_rate": r, "staircase": True},
        ),
        rhs=Call(
            "PiecewiseConstantDecay",
            {
                "boundaries": [(j + 1) * D - 1 for j in range(_BOUNDARIES)],
                "values": [eta_0 * r**j for j in range(_BOUNDARIES + 1)],
            },
        ),
        steps=lambda instance: range((_BOUNDARIES + 1) * instance[D]),
        instances=({D: 1}, {D: 3}, {D: 8}),
        example={eta_0: 0.1, r: 0.5},
    ),
    ValueAt(
        name="continuous_halfway_is_the_root_of_the_rate",
        description="Without the staircase, the rate at step decay_steps / 2 is initial_learning_rate times √r.",
        call=_CONTINUOUS,
        step=D / 2,
        expected=eta_0 * sqrt(r),
        example=_NUMBERS,
    ),
    ValueAt(
        name="continuous_decays_by_the_rate_over_decay_steps",
        description="Without the staircase, the rate at step decay_steps is initial_learning_rate times r.",
        call=_CONTINUOUS,
        step=D,
        expected=eta_0 * r,
        example=_NUMBERS,
    ),
)
