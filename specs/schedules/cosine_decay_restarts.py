"""Keras ``CosineDecayRestarts`` (SGDR, and TF v1 ``cosine_decay_restarts``).

Cycle ``i`` lasts ``D0 t^i`` steps and starts at ``D0 (t^i - 1)/(t - 1)``;
its peak is ``m^i`` times the first (the floor ``alpha`` is not scaled by
``m``). The restart index is the floor of a logarithm, as Keras writes it.
Keras evaluates that logarithm in floating point, which can land just below
an integer at an exact restart (with ``t_mul = 3``, ``log(243)/log(3)``
is 4.999... in float64) and then reports the end of the previous cycle
instead of the restart. The generated kernel computes ``floor(log_t x)``
exactly for the floating-point ``x`` (``floor_log`` in the runtime), so
exact restarts land where the formula puts them.
"""

from sympy import Eq, Interval, Piecewise, Rational, Symbol, cos, floor, log, oo, pi

from codegen.language.schedule import (
    Call,
    Counterpart,
    Example,
    Hyperparameter,
    Identity,
    Periodic,
    ScheduleSpec,
    Typical,
    k,
)

eta_0 = Symbol("eta_0", positive=True)
D_0 = Symbol("D_0", positive=True)
t = Symbol("t", positive=True)
m = Symbol("m", nonnegative=True)
alpha = Symbol("alpha", nonnegative=True)
f = Symbol("f", nonnegative=True)
i = Symbol("i", integer=True, nonnegative=True)
rho = Symbol("rho", nonnegative=True)

SPEC = ScheduleSpec(
    name="CosineDecayRestarts",
    aliases=("cosine_decay_restarts",),
    summary="Cosine decay that restarts, each cycle t_mul times longer and its peak m_mul times lower.",
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
            D_0,
            "first_decay_steps",
            None,
            Interval.open(0, oo),
            "the length of the first cycle",
            typical=Typical(1 / 20, 1 / 6, per_run=True),
        ),
        Hyperparameter(
            t, "t_mul", 2.0, Interval(1, oo), "each cycle's length over the previous one's", typical=Typical(1.0, 3.0)
        ),
        Hyperparameter(
            m, "m_mul", 1.0, Interval(0, oo), "each cycle's peak over the previous one's", typical=Typical(0.5, 1.0)
        ),
        Hyperparameter(
            alpha,
            "alpha",
            0.0,
            Interval(0, 1),
            "the floor, as a fraction of initial_learning_rate",
            typical=Typical(0.01, 0.2),
        ),
    ),
    definitions=(
        (f, k / D_0),
        (i, Piecewise((floor(f), Eq(t, 1)), (floor(log(1 - f * (1 - t)) / log(t)), True))),
        (rho, Piecewise((f - i, Eq(t, 1)), ((f - (1 - t**i) / (1 - t)) / t**i, True))),
    ),
    value=eta_0 * ((1 - alpha) * m**i * (1 + cos(pi * rho)) / 2 + alpha),
    example=Example(
        {"initial_learning_rate": 0.1, "first_decay_steps": 60, "t_mul": 2.0, "m_mul": 0.7, "alpha": 0.05},
        steps=900,
    ),
    past_the_end="It never ends: cycle after cycle, each t_mul times longer.",
    references=("I. Loshchilov, F. Hutter, SGDR: stochastic gradient descent with warm restarts, ICLR 2017.",),
    conventions=(
        (
            "PyTorch",
            r"\texttt{CosineAnnealingWarmRestarts(T\_0=}$D_0$\texttt{, T\_mult=}$t$\texttt{, eta\_min=}"
            r"$\alpha\eta_0$\texttt{)} with base rate $\eta_0$ is this schedule with $m = 1$ and an integer $t$.",
        ),
        ("Optax", r"\texttt{sgdr\_schedule} takes an explicit list of cycles instead."),
    ),
    latex_names={
        eta_0: r"\eta_0",
        D_0: "D_0",
        t: r"t_{\mathrm{mul}}",
        m: r"m_{\mathrm{mul}}",
        alpha: r"\alpha",
        f: "f",
        i: "i",
        rho: r"\rho",
    },
    counterparts=(
        Counterpart(
            "torch.optim.lr_scheduler.CosineAnnealingWarmRestarts",
            arguments=(("optimizer", eta_0), ("T_0", floor(D_0)), ("T_mult", floor(t)), ("eta_min", alpha * eta_0)),
            requires=(("m_mul", 1), ("t_mul", floor(t + Rational(1, 2)))),
            note="it restarts at the base rate (m_mul = 1) and takes a whole T_mult (t_mul rounded)",
        ),
        Counterpart("keras.optimizers.schedules.CosineDecayRestarts"),
    ),
)

_RESTARTS = Call(
    "CosineDecayRestarts",
    {"initial_learning_rate": eta_0, "first_decay_steps": D_0, "t_mul": t, "m_mul": m, "alpha": alpha},
)

RELATIONS = (
    Identity(
        name="first_cycle_is_cosine_decay",
        description="On its first cycle (0 <= k < first_decay_steps) SGDR is CosineDecay over first_decay_steps.",
        lhs=_RESTARTS,
        rhs=Call("CosineDecay", {"initial_learning_rate": eta_0, "decay_steps": D_0, "alpha": alpha}),
        steps=lambda instance: range(instance[D_0]),
        instances=({D_0: 1, t: 2}, {D_0: 7, t: 1}, {D_0: 12, t: 3}, {D_0: 20, t: 1.5}),
        example={eta_0: 0.1, m: 0.5, alpha: 0.05},
    ),
    Periodic(
        name="periodic_without_multipliers",
        description="With t_mul = 1 and m_mul = 1, SGDR repeats every first_decay_steps steps.",
        call=Call(
            "CosineDecayRestarts",
            {"initial_learning_rate": eta_0, "first_decay_steps": D_0, "t_mul": 1, "m_mul": 1, "alpha": alpha},
        ),
        period=D_0,
        example={eta_0: 0.1, D_0: 25, alpha: 0.05},
    ),
)
