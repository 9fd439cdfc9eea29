"""Schedules one after another, each from its boundary on: Optax's ``join_schedules``, PyTorch's ``SequentialLR``.

``schedules[0]`` runs from step 0; from step ``boundaries[i]`` on,
``schedules[i + 1]`` runs, started at its own step 0. At step ``k`` the
schedule in effect is number ``j``, the count of boundaries at or below
``k``, at its own step ``s = k - b_{j-1}`` (``s = k`` for the first): a
boundary step belongs to the schedule that starts there (Keras's
PiecewiseConstantDecay keeps the earlier value at a boundary instead).

The join has no formula of its own: each schedule in it runs its own
kernel. Where two schedules meet the rate may jump, by the next one's first
value less the earlier one taken on to the boundary; a relation states the
jump, and others that a boundary step already belongs to the next schedule
and that Optax's warmup cosine is a linear ramp joined to a cosine.
"""

from sympy import Eq, Function, IndexedBase, Piecewise, Sum, Symbol, floor

from codegen.language.schedule import (
    Call,
    Counterpart,
    Each,
    Example,
    Identity,
    Join,
    JumpAt,
    ListArgument,
    ScheduleArgument,
    ScheduleCounterpart,
    ScheduleSpec,
    Typical,
    ValueAt,
    k,
)

n = Symbol("n", integer=True, positive=True)
b = IndexedBase("b", integer=True)
i = Symbol("i", integer=True, nonnegative=True)
j = Symbol("j", integer=True, nonnegative=True)
s = Symbol("s", integer=True)
f = Function("f")

# The schedules the example joins, their arguments standing for those of Optax's and PyTorch's own schedules:
# a warmup, an exponential decay, and a cosine that restarts from the base rate.
_eta, _s, _e, _T = Symbol("eta", positive=True), Symbol("f_s", positive=True), Symbol("f_e"), Symbol("T")
_eta_x, _D_x, _r_x = Symbol("eta_x", nonnegative=True), Symbol("D_x", positive=True), Symbol("r_x", positive=True)
_eta_c, _D_c, _alpha_c = Symbol("eta_c", nonnegative=True), Symbol("D_c", positive=True), Symbol("alpha_c")
_WARMUP = Call("LinearLR", {"lr": _eta, "start_factor": _s, "end_factor": _e, "total_iters": _T})
_EXPONENTIAL = Call("ExponentialDecay", {"initial_learning_rate": _eta_x, "decay_steps": _D_x, "decay_rate": _r_x})
_COSINE = Call("CosineDecay", {"initial_learning_rate": _eta_c, "decay_steps": _D_c, "alpha": _alpha_c})
# PyTorch's schedulers all scale the optimizer's one rate: the joined schedules start from the same rate eta.
_ON_ONE_RATE = (
    _WARMUP,
    Call("ExponentialDecay", {"initial_learning_rate": _eta, "decay_steps": _D_x, "decay_rate": _r_x}),
    Call("CosineDecay", {"initial_learning_rate": _eta, "decay_steps": _D_c, "alpha": _alpha_c}),
)

SPEC = ScheduleSpec(
    name="JoinSchedules",
    aliases=("join_schedules",),
    summary="Schedules one after another: each from its boundary on, started at its own step 0.",
    arguments=(
        ScheduleArgument("schedules", "the schedules, in the order they run", length=n + 1),
        ListArgument(
            b,
            "boundaries",
            n,
            "the steps at which the next schedule starts",
            increasing=True,
            integer=True,
            typical=Typical(0.0, 1.0, per_run=True),
        ),
    ),
    length=n,
    definitions=(
        (j, Sum(Piecewise((1, b[i] <= k), (0, True)), (i, 0, n - 1))),
        (s, k - Piecewise((0, Eq(j, 0)), (b[j - 1], True))),
    ),
    value=f(j, s),
    join=Join("schedules", "boundaries", f),
    example=Example(
        {
            "schedules": [
                Call("LinearLR", {"lr": 0.1, "start_factor": 0.1, "end_factor": 1.0, "total_iters": 100}),
                Call("ExponentialDecay", {"initial_learning_rate": 0.1, "decay_steps": 100, "decay_rate": 0.5}),
                Call("CosineDecay", {"initial_learning_rate": 0.1, "decay_steps": 250, "alpha": 0.1}),
            ],
            "boundaries": [100, 300],
        },
        steps=600,
    ),
    past_the_end="The last schedule's.",
    library="Optax (optax.join_schedules), PyTorch (torch.optim.lr_scheduler.SequentialLR)",
    conventions=(
        (
            "PyTorch",
            r"\texttt{SequentialLR} switches at its milestones the same way, but its schedulers all scale the "
            r"optimizer's one base rate, and one without a closed form restarts from the rate the previous one left.",
        ),
    ),
    latex_names={n: "n", b: "b", i: "i", j: "j", s: "s", f: "f"},
    counterparts=(
        Counterpart(
            "optax.join_schedules",
            arguments=(
                (
                    "schedules",
                    (
                        Counterpart(
                            "optax.linear_schedule",
                            arguments=(("init_value", _s * _eta), ("end_value", _e * _eta), ("transition_steps", _T)),
                        ),
                        Counterpart(
                            "optax.exponential_decay",
                            arguments=(("init_value", _eta_x), ("transition_steps", _D_x), ("decay_rate", _r_x)),
                        ),
                        Counterpart(
                            "optax.cosine_decay_schedule",
                            arguments=(("init_value", _eta_c), ("decay_steps", _D_c), ("alpha", _alpha_c)),
                        ),
                    ),
                ),
                ("boundaries", "boundaries"),
            ),
            requires=(("schedules", (_WARMUP, _EXPONENTIAL, _COSINE)),),
            note="the schedules joined are Optax's own linear, exponential and cosine schedules",
        ),
        ScheduleCounterpart(
            "torch.optim.lr_scheduler.SequentialLR",
            arguments=(
                ("optimizer", _eta),
                (
                    "schedulers",
                    (
                        Counterpart(
                            "torch.optim.lr_scheduler.LinearLR",
                            arguments=(("start_factor", _s), ("end_factor", _e), ("total_iters", _T)),
                        ),
                        Counterpart(
                            "torch.optim.lr_scheduler.ExponentialLR", arguments=(("gamma", _r_x ** (1 / _D_x)),)
                        ),
                        Counterpart(
                            "torch.optim.lr_scheduler.CosineAnnealingLR",
                            arguments=(("T_max", floor(_D_c)), ("eta_min", _alpha_c * _eta)),
                        ),
                    ),
                ),
                ("milestones", Each(b[i], i, "boundaries")),
            ),
            requires=(("schedules", _ON_ONE_RATE),),
            horizon=b[1] + floor(_D_c) + 1,
            note=(
                "the schedules joined are PyTorch's LinearLR, ExponentialLR and CosineAnnealingLR on one base rate; "
                "compared up to the end of the cosine: past T_max CosineAnnealingLR rises again (it is periodic)"
            ),
        ),
    ),
)

g0, g1, g2 = Function("g0"), Function("g1"), Function("g2")  # any schedules; the confirmations take the example's
_B, _C = Symbol("B", integer=True, positive=True), Symbol("C", integer=True, positive=True)
_ANY = Call("JoinSchedules", {"schedules": [g0, g1, g2], "boundaries": [_B, _B + _C]})
_EXAMPLE = {
    g0: Call("PolynomialDecay", {"initial_learning_rate": 0.0, "decay_steps": 10, "end_learning_rate": 0.1}),
    g1: Call("CosineDecay", {"initial_learning_rate": 0.1, "decay_steps": 30, "alpha": 0.1}),
    g2: Call("ExponentialDecay", {"initial_learning_rate": 0.02, "decay_steps": 5, "decay_rate": 0.5}),
    _B: 10,
    _C: 40,
}

# Optax's warmup cosine, and the ramp and cosine it is made of.
_i, _p, _e = Symbol("eta_i1", nonnegative=True), Symbol("eta_p1", positive=True), Symbol("eta_e1", nonnegative=True)
_W, _D = Symbol("W_1", integer=True, positive=True), Symbol("D_1", integer=True, positive=True)

RELATIONS = (
    ValueAt(
        name="earlier_schedule_until_the_boundary",
        description="At the step before a boundary the earlier schedule is in effect, at its own step.",
        call=_ANY,
        step=_B + _C - 1,
        expected=g1(_C - 1),
        example=_EXAMPLE,
    ),
    ValueAt(
        name="boundary_starts_the_next_schedule",
        description="A boundary step belongs to the schedule that starts there: its value at its own step 0.",
        call=_ANY,
        step=_B,
        expected=g1(0),
        example=_EXAMPLE,
    ),
    JumpAt(
        name="jump_at_a_boundary",
        description=(
            "The jump at a boundary is the next schedule's first value less the earlier one taken on to the "
            "boundary, at its own step."
        ),
        call=_ANY,
        at=_B + _C,
        size=g2(0) - g1(_C),
        example=_EXAMPLE,
    ),
    Identity(
        name="warmup_cosine_decay_is_a_join",
        description=(
            "Optax's warmup_cosine_decay_schedule(i, p, W, W + D, e) is a linear ramp from i to p over W steps "
            "joined at W to a cosine from p down to e over D steps."
        ),
        lhs=Call(
            "WarmupCosineDecay",
            {"init_value": _i, "peak_value": _p, "warmup_steps": _W, "decay_steps": _W + _D, "end_value": _e},
        ),
        rhs=Call(
            "JoinSchedules",
            {
                "schedules": [
                    Call(
                        "PolynomialDecay",
                        {"initial_learning_rate": _i, "decay_steps": _W, "end_learning_rate": _p, "power": 1},
                    ),
                    Call("CosineDecay", {"initial_learning_rate": _p, "decay_steps": _D, "alpha": _e / _p}),
                ],
                "boundaries": [_W],
            },
        ),
        steps=lambda instance: range(instance[_W] + instance[_D] + 3),
        instances=({_W: 1, _D: 1}, {_W: 3, _D: 5}, {_W: 10, _D: 4}),
        example={_i: 0.001, _p: 0.1, _e: 0.0001},
    ),
)
