"""Optimistic gradient descent, in Optax's convention (``optax.optimistic_gradient_descent``).

The step extrapolates the gradient from the previous one: (α + β)g − βg_prev,
the last gradient pushed further by β times its change. Optax has no previous
gradient on the first step and uses the current one there, a per-step branch
(so the first step is αg). With α = β = 1 it is Daskalakis et al.'s optimistic
mirror descent for GANs, w ← w − 2ηg + ηg_prev. Optax has no default learning
rate; trainspec takes 10⁻².
"""

from sympy import Eq, Interval, Piecewise, oo, symbols

from codegen.language.optimizer import (
    Counterpart,
    Hyperparameter,
    OptimizerSpec,
    State,
    Typical,
    eta,
    g,
    learning_rate,
    t,
    w,
)
from codegen.language.relations import Equivalence, SpecUpdate, WrittenUpdate

alpha, beta, g_prev, previous = symbols("alpha beta g_prev previous")

SPEC = OptimizerSpec(
    name="OptimisticGradientDescent",
    aliases=("optimistic_gradient_descent",),
    summary="The gradient extrapolated from the previous one, (α + β)g − βg_prev, as the step direction.",
    hyperparameters=(
        learning_rate(0.01),
        Hyperparameter(alpha, "alpha", 1.0, Interval(0, oo), "weight of the current gradient", typical=Typical(0.5, 2)),
        Hyperparameter(
            beta,
            "beta",
            1.0,
            Interval(0, oo),
            "weight of the gradient's change since the previous step",
            typical=Typical(0.1, 2),
        ),
    ),
    state=(State(g_prev, "previous_gradient", 0, "the gradient of the previous step"),),
    update=(
        (previous, Piecewise((g, Eq(t, 1)), (g_prev, True))),
        (w, w - eta * ((alpha + beta) * g - beta * previous)),
        (g_prev, g),
    ),
    base_options="none",
    convention="Optax",
    references=(
        "C. Daskalakis, A. Ilyas, V. Syrgkanis, H. Zeng, Training GANs with optimism, ICLR 2018.",
        "A. Mokhtari, A. Ozdaglar, S. Pattathil, A unified analysis of extra-gradient and optimistic gradient methods "
        "for saddle point problems, AISTATS 2020.",
    ),
    latex_names={g_prev: r"g_{\mathrm{prev}}", previous: r"\bar g"},
    counterparts=(
        Counterpart(
            "optax.optimistic_gradient_descent",
            arguments=(("learning_rate", eta), ("alpha", alpha), ("beta", beta)),
        ),
    ),
)

RELATIONS = (
    Equivalence(
        name="optimistic_gradient_descent_is_daskalakis_et_al",
        statement=(
            "With α = β = 1 it is Daskalakis et al.'s optimistic step w ← w − 2ηg + ηg_prev, the current gradient "
            "standing in for the previous one on the first step."
        ),
        left=SpecUpdate("OptimisticGradientDescent", substitution={alpha: 1, beta: 1}),
        right=WrittenUpdate(
            "optimistic mirror descent, Daskalakis et al. 2018, eq. (5)",
            assignments=(
                (w, w - 2 * eta * g + eta * Piecewise((g, Eq(t, 1)), (g_prev, True))),
                (g_prev, g),
            ),
            initial={g_prev: 0},
        ),
        state_map={g_prev: g_prev},
    ),
    Equivalence(
        name="optimistic_gradient_descent_without_beta_is_sgd",
        statement="With β = 0 the previous gradient is never read: it is gradient descent with the rate αη.",
        left=SpecUpdate("OptimisticGradientDescent", substitution={beta: 0}),
        right=WrittenUpdate("gradient descent", assignments=((w, w - alpha * eta * g),)),
    ),
)
