"""Keras ``CosineDecay``, with its optional linear warmup.

With ``warmup_target`` left as None, Keras ignores ``warmup_steps`` and
decays from ``initial_learning_rate``: the general formula with
``T = eta_0`` and ``W = 0`` (``WhenNone``). With a target, the rate rises
linearly from ``initial_learning_rate`` to ``warmup_target`` over
``warmup_steps`` steps and then decays from the target over
``decay_steps`` more steps: ``decay_steps`` excludes the warmup (Optax's
``warmup_cosine_decay_schedule`` counts it in).
"""

from sympy import Interval, Max, Min, Piecewise, Symbol, cos, floor, oo, pi

from codegen.language.schedule import (
    Call,
    Counterpart,
    Example,
    Hyperparameter,
    ScheduleCounterpart,
    ScheduleSpec,
    Typical,
    ValueAt,
    WhenNone,
    k,
)

eta_0 = Symbol("eta_0", positive=True)
D = Symbol("D", positive=True)
alpha = Symbol("alpha", nonnegative=True)
T = Symbol("T", positive=True)
W = Symbol("W", nonnegative=True)
s = Symbol("s", nonnegative=True)

SPEC = ScheduleSpec(
    name="CosineDecay",
    aliases=("cosine_decay",),
    summary="Half a cosine from the initial rate (or the warmup target) down to alpha times it.",
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
            "the length of the decay, warmup excluded",
            typical=Typical(1 / 8, 1 / 2, per_run=True),
        ),
        Hyperparameter(
            alpha,
            "alpha",
            0.0,
            Interval(0, 1),
            "the final rate as a fraction of the decay's start",
            typical=Typical(0.01, 0.2),
        ),
        Hyperparameter(
            T,
            "warmup_target",
            None,
            Interval(0, oo),
            "the rate the warmup reaches (None: no warmup)",
            typical=Typical(1e-3, 1e-1, log=True),
        ),
        Hyperparameter(
            W,
            "warmup_steps",
            0.0,
            Interval(0, oo),
            "the length of the warmup",
            typical=Typical(1 / 20, 1 / 5, per_run=True),
        ),
    ),
    definitions=((s, Min(k, D + W)),),
    value=Piecewise(
        (eta_0 + (T - eta_0) * s / W, s < W),
        (T * ((1 - alpha) * (1 + cos(pi * (s - W) / D)) / 2 + alpha), True),
    ),
    when_none=(WhenNone("warmup_target", {T: eta_0, W: 0}, "no warmup: decay from initial_learning_rate at once"),),
    example=Example(
        {"initial_learning_rate": 0.0, "decay_steps": 400, "alpha": 0.1, "warmup_target": 0.1, "warmup_steps": 100},
        steps=600,
    ),
    past_the_end="alpha times the decay's start rate (initial_learning_rate, or warmup_target).",
    references=("I. Loshchilov, F. Hutter, SGDR: stochastic gradient descent with warm restarts, ICLR 2017.",),
    conventions=(
        (
            "Optax",
            r"\texttt{cosine\_decay\_schedule} adds an \texttt{exponent}; its warmup form counts the warmup "
            r"inside \texttt{decay\_steps}.",
        ),
    ),
    latex_names={eta_0: r"\eta_0", D: "D", alpha: r"\alpha", T: "T", W: "W", s: r"\bar k"},
    counterparts=(
        ScheduleCounterpart(
            "torch.optim.lr_scheduler.CosineAnnealingLR",
            arguments=(("optimizer", eta_0), ("T_max", floor(D)), ("eta_min", alpha * eta_0)),
            requires=(("warmup_target", None),),
            horizon=floor(D) + 1,
            note="compared over steps 0 .. decay_steps: past T_max CosineAnnealingLR rises again (it is periodic)",
        ),
        ScheduleCounterpart(
            "torch.optim.lr_scheduler.SequentialLR",
            arguments=(
                ("optimizer", T),
                (
                    "schedulers",
                    (
                        Counterpart(
                            "torch.optim.lr_scheduler.LinearLR",
                            arguments=(("start_factor", eta_0 / T), ("end_factor", 1.0), ("total_iters", floor(W))),
                        ),
                        Counterpart(
                            "torch.optim.lr_scheduler.CosineAnnealingLR",
                            arguments=(("T_max", floor(D)), ("eta_min", alpha * T)),
                        ),
                    ),
                ),
                ("milestones", (floor(W),)),
            ),
            # LinearLR's start_factor is in (0, 1]: the ramp rises, so the smaller rate is its start.
            requires=(("initial_learning_rate", Min(eta_0, T)), ("warmup_target", Max(eta_0, T))),
            horizon=floor(W) + floor(D) + 1,
            note=(
                "the warmup ramps up; compared over steps 0 .. warmup_steps + decay_steps: past T_max "
                "CosineAnnealingLR rises again (it is periodic)"
            ),
        ),
        Counterpart("keras.optimizers.schedules.CosineDecay"),
    ),
)

_W = Symbol("W", positive=True)  # a warmup that exists, so that 0 < W is decided
_NO_WARMUP = Call("CosineDecay", {"initial_learning_rate": eta_0, "decay_steps": D, "alpha": alpha})
_WARMUP = Call(
    "CosineDecay",
    {"initial_learning_rate": eta_0, "decay_steps": D, "alpha": alpha, "warmup_target": T, "warmup_steps": _W},
)
_NUMBERS = {eta_0: 0.1, D: 40, alpha: 0.05}
_WARMUP_NUMBERS = {eta_0: 0.01, D: 40, alpha: 0.05, T: 0.2, _W: 8}

RELATIONS = (
    ValueAt(
        name="starts_at_initial_rate",
        description="Without warmup, the rate at step 0 is initial_learning_rate.",
        call=_NO_WARMUP,
        step=0,
        expected=eta_0,
        example=_NUMBERS,
    ),
    ValueAt(
        name="halfway_is_the_mean_of_start_and_floor",
        description=(
            "Without warmup, the rate at step decay_steps / 2 (an interior step: cos(π/2) = 0) is the mean of "
            "initial_learning_rate and its floor alpha times it."
        ),
        call=_NO_WARMUP,
        step=D / 2,
        expected=eta_0 * (1 + alpha) / 2,
        example=_NUMBERS,
    ),
    ValueAt(
        name="ends_at_alpha",
        description="Without warmup, the rate at step decay_steps is alpha times initial_learning_rate.",
        call=_NO_WARMUP,
        step=D,
        expected=alpha * eta_0,
        example=_NUMBERS,
    ),
    ValueAt(
        name="warmup_starts_at_initial_rate",
        description="With warmup, the rate at step 0 is initial_learning_rate.",
        call=_WARMUP,
        step=0,
        expected=eta_0,
        example=_WARMUP_NUMBERS,
    ),
    ValueAt(
        name="warmup_reaches_target",
        description="With warmup, the rate at step warmup_steps is warmup_target.",
        call=_WARMUP,
        step=_W,
        expected=T,
        example=_WARMUP_NUMBERS,
    ),
    ValueAt(
        name="warmup_ends_at_alpha",
        description="With warmup, the rate at step warmup_steps + decay_steps is alpha times warmup_target.",
        call=_WARMUP,
        step=_W + D,
        expected=alpha * T,
        example=_WARMUP_NUMBERS,
    ),
)
