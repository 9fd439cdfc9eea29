"""A linear warmup in front of any schedule (PyTorch ``LinearLR`` + ``SequentialLR``; Optax ``join_schedules``).

For ``k < W`` the rate rises linearly from ``initial_learning_rate`` to the
following schedule's first value ``f(0)``; from step ``W`` on the following
schedule runs, re-based to its own step 0: ``f(k - W)``. The ramp is
written with the completed fraction ``q = k/W`` as ``eta_s (1 - q) + f(0) q``,
so that its end points are exact in floating point as well: the ramp's
formula gives exactly ``f(0)`` at ``k = W``, where the following schedule
takes over with the same value, and the join has no jump.

Keras's ``CosineDecay(warmup_target=T, warmup_steps=W)`` is this warmup in
front of ``CosineDecay(T, decay_steps, alpha)``, which a relation proves.
"""

from sympy import Function, Interval, Min, Range, Symbol, floor, oo

from codegen.language.schedule import (
    Call,
    Continuous,
    Counterpart,
    Example,
    Hyperparameter,
    Identity,
    ScheduleArgument,
    ScheduleCounterpart,
    ScheduleSpec,
    Then,
    Typical,
    ValueAt,
    k,
)

W = Symbol("W", integer=True, positive=True)
eta_s = Symbol("eta_s", nonnegative=True)
q = Symbol("q", nonnegative=True)
f = Function("f")

# A CosineDecay without warmup, its arguments standing for the following schedule's in the counterparts.
_eta_0 = Symbol("eta_0", positive=True)
_T = Symbol("T", positive=True)
_D = Symbol("D", positive=True)
_alpha = Symbol("alpha", nonnegative=True)
_COSINE = Call("CosineDecay", {"initial_learning_rate": _T, "decay_steps": _D, "alpha": _alpha})

SPEC = ScheduleSpec(
    name="LinearWarmup",
    aliases=("linear_warmup",),
    summary="A linear ramp from initial_learning_rate to the first value of the schedule that follows it.",
    arguments=(
        ScheduleArgument("schedule", "the schedule that follows the warmup, started at its own step 0"),
        Hyperparameter(
            W,
            "warmup_steps",
            None,
            Range(1, oo),
            "the length of the ramp, in steps",
            typical=Typical(1 / 20, 1 / 5, per_run=True),
        ),
        # Typical: below the rate of the schedule it leads into (a following schedule's start rate is drawn from
        # 1e-3 .. 1e-1), so that the ramp rises.
        Hyperparameter(
            eta_s,
            "initial_learning_rate",
            0.0,
            Interval(0, oo),
            "the rate at step 0",
            typical=Typical(1e-5, 1e-3, log=True),
        ),
    ),
    definitions=((q, k / W),),
    value=eta_s * (1 - q) + f(0) * q,
    then=Then("schedule", f, W),
    example=Example(
        {
            "schedule": Call("CosineDecay", {"initial_learning_rate": 0.1, "decay_steps": 400, "alpha": 0.1}),
            "warmup_steps": 100,
            "initial_learning_rate": 0.0,
        },
        steps=600,
    ),
    past_the_end="The following schedule's.",
    library="trainspec (PyTorch LinearLR + SequentialLR, Optax join_schedules)",
    conventions=(
        ("PyTorch", r"\texttt{LinearLR} ramps by factors of the base rate, computed recursively."),
        ("Optax", r"\texttt{join\_schedules} uses the same re-basing: $f(k - W)$ from $k = W$ on."),
    ),
    latex_names={W: "W", eta_s: r"\eta_s", q: "q", f: "f"},
    counterparts=(
        ScheduleCounterpart(
            "torch.optim.lr_scheduler.SequentialLR",
            arguments=(
                ("optimizer", _T),
                (
                    "schedulers",
                    (
                        Counterpart(
                            "torch.optim.lr_scheduler.LinearLR",
                            arguments=(("start_factor", eta_s / _T), ("end_factor", 1.0), ("total_iters", W)),
                        ),
                        Counterpart(
                            "torch.optim.lr_scheduler.CosineAnnealingLR",
                            arguments=(("T_max", floor(_D)), ("eta_min", _alpha * _T)),
                        ),
                    ),
                ),
                ("milestones", (W,)),
            ),
            # LinearLR's start_factor is in (0, 1]: the ramp rises, so the smaller rate is its start.
            requires=(("schedule", _COSINE), ("initial_learning_rate", Min(eta_s, _T))),
            horizon=W + floor(_D) + 1,
            note=(
                "the warmup ramps up; compared over steps 0 .. warmup_steps + decay_steps: past T_max "
                "CosineAnnealingLR rises again (it is periodic)"
            ),
        ),
        Counterpart(
            "keras.optimizers.schedules.CosineDecay",
            arguments=(
                ("initial_learning_rate", eta_s),
                ("decay_steps", _D),
                ("alpha", _alpha),
                ("warmup_target", _T),
                ("warmup_steps", W),
            ),
            requires=(("schedule", _COSINE),),
            note="Keras's CosineDecay with a warmup target is this warmup in front of a CosineDecay",
        ),
    ),
)

g = Function("g")  # any schedule; the numeric confirmations put an ExponentialDecay in its place
_G = Call("LinearWarmup", {"schedule": g, "warmup_steps": W, "initial_learning_rate": eta_s})
_ANY = {
    eta_s: 0.001,
    W: 10,
    g: Call("ExponentialDecay", {"initial_learning_rate": 0.1, "decay_steps": 7, "decay_rate": 0.5}),
}

RELATIONS = (
    ValueAt(
        name="starts_at_initial_rate",
        description="At step 0 the rate is initial_learning_rate.",
        call=_G,
        step=0,
        expected=eta_s,
        example=_ANY,
    ),
    ValueAt(
        name="reaches_target",
        description="At step warmup_steps, the last step of the ramp, the rate is the next schedule's first value.",
        call=_G,
        step=W,
        expected=g(0),
        example=_ANY,
    ),
    Continuous(
        name="joins_without_a_jump",
        description="The ramp's formula, taken to step warmup_steps, equals the next schedule's value there.",
        call=_G,
        at=W,
        example=_ANY,
    ),
    Identity(
        name="cosine_decay_warmup_is_linear_warmup",
        description=(
            "Keras CosineDecay with warmup_target T and warmup_steps W is LinearWarmup(CosineDecay(T, D, alpha), W)."
        ),
        lhs=Call(
            "CosineDecay",
            {
                "initial_learning_rate": _eta_0,
                "decay_steps": _D,
                "alpha": _alpha,
                "warmup_target": _T,
                "warmup_steps": W,
            },
        ),
        rhs=Call(
            "LinearWarmup",
            {
                "schedule": _COSINE,
                "warmup_steps": W,
                "initial_learning_rate": _eta_0,
            },
        ),
        steps=lambda instance: range(instance[W] + instance[_D] + 3),
        instances=({W: 1, _D: 1}, {W: 3, _D: 5}, {W: 10, _D: 4}),
        example={_eta_0: 0.01, _T: 0.2, _alpha: 0.05},
    ),
)
