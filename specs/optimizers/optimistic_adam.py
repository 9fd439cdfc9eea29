"""Optimistic Adam, in Optax's convention (``optax.optimistic_adam_v2``): Adam's direction, extrapolated.

Optax chains Adam's direction u (ε outside the bias-corrected root, ``epsilon_root``
inside it, the Nesterov look-ahead on by default) with the optimistic
extrapolation of optimistic gradient descent, (α + β)u − βu_prev: the latest
direction pushed further by β times its change. On the first step there is no
previous direction and the current one stands in for it. Optax has no default
learning rate; trainspec takes Adam's, 10⁻³.
"""

from sympy import Eq, Interval, Piecewise, oo, sqrt, symbols

from codegen.language.optimizer import (
    Counterpart,
    Hyperparameter,
    OptimizerSpec,
    Option,
    State,
    Typical,
    eta,
    g,
    learning_rate,
    t,
    w,
)
from codegen.language.relations import Equivalence, SpecUpdate
from specs.optimizers.adabelief import NESTEROV_MOMENTUM
from specs.optimizers.adam import SPEC as KERAS_ADAM
from specs.optimizers.adam import TYPICAL_EPSILON
from specs.optimizers.optimistic_gradient_descent import SPEC as OPTIMISTIC_GRADIENT_DESCENT

alpha, beta, beta_1, beta_2, epsilon, epsilon_root = symbols("alpha beta beta_1 beta_2 epsilon epsilon_root")
m, v, m_hat, u, u_prev, previous = symbols("m v m_hat u u_prev previous")
g_prev = symbols("g_prev")  # optimistic gradient descent's

SPEC = OptimizerSpec(
    name="OptimisticAdam",
    aliases=("optimistic_adam",),
    summary="Adam's direction extrapolated from the previous one, (α + β)u − βu_prev, as the step.",
    hyperparameters=(
        learning_rate(0.001),
        *(OPTIMISTIC_GRADIENT_DESCENT.hyperparameter(argument) for argument in ("alpha", "beta")),
        KERAS_ADAM.hyperparameter("beta_1"),
        KERAS_ADAM.hyperparameter("beta_2"),
        Hyperparameter(
            epsilon, "epsilon", 1e-8, Interval(0, oo), "added to the root of the corrected v̂", typical=TYPICAL_EPSILON
        ),
        Hyperparameter(
            epsilon_root,
            "epsilon_root",
            0.0,
            Interval(0, oo),
            "added to the corrected v̂ inside the root",
            typical=Typical(1e-8, 1e-3, log=True),
        ),
    ),
    state=(
        State(m, "mu", 0, "first moment: moving average of g"),
        State(v, "nu", 0, "second moment: moving average of g squared"),
        State(u_prev, "previous_update", 0, "Adam's direction of the previous step"),
    ),
    update=(
        (m, beta_1 * m + (1 - beta_1) * g),
        (v, beta_2 * v + (1 - beta_2) * g**2),
        (m_hat, NESTEROV_MOMENTUM),
        (u, m_hat / (sqrt(v / (1 - beta_2**t) + epsilon_root) + epsilon)),
        (previous, Piecewise((u, Eq(t, 1)), (u_prev, True))),
        (w, w - eta * ((alpha + beta) * u - beta * previous)),
        (u_prev, u),
    ),
    options=(
        Option(
            "nesterov",
            when_off={NESTEROV_MOMENTUM: m / (1 - beta_1**t)},
            default=True,
            description="look one step ahead with the bias-corrected momentum",
        ),
    ),
    base_options="none",
    convention="Optax",
    references=(
        "C. Daskalakis, A. Ilyas, V. Syrgkanis, H. Zeng, Training GANs with optimism, ICLR 2018.",
        "D. P. Kingma, J. Ba, Adam: a method for stochastic optimization, ICLR 2015.",
    ),
    latex_names={
        epsilon_root: r"\epsilon_{\mathrm{root}}",
        m_hat: r"\hat m",
        u_prev: r"u_{\mathrm{prev}}",
        previous: r"\bar u",
    },
    counterparts=(
        Counterpart(
            "optax.optimistic_adam_v2",
            arguments=(
                ("learning_rate", eta),
                ("alpha", alpha),
                ("beta", beta),
                ("b1", beta_1),
                ("b2", beta_2),
                ("eps", epsilon),
                ("eps_root", epsilon_root),
                ("nesterov", "nesterov"),
            ),
        ),
    ),
)

RELATIONS = (
    Equivalence(
        name="optimistic_adam_without_optimism_is_torch_adam",
        statement=(
            "With β = 0 (no extrapolation), α = 1, no look-ahead and ε_root = 0 it is Adam with ε on the "
            "bias-corrected root, PyTorch's Adam (and optax.adam)."
        ),
        left=SpecUpdate(
            "OptimisticAdam", options={"nesterov": False}, substitution={beta: 0, alpha: 1, epsilon_root: 0}
        ),
        right=SpecUpdate("TorchAdam"),
        state_map={m: m, v: v},
    ),
    Equivalence(
        name="optimistic_adam_on_the_gradient_is_optimistic_gradient_descent",
        statement=(
            "With Adam's direction replaced by the gradient itself it is optimistic gradient descent: the same "
            "extrapolation (α + β)g − βg_prev, the first step's previous gradient the current one."
        ),
        left=SpecUpdate("OptimisticAdam", substitution={u: g}),
        right=SpecUpdate("OptimisticGradientDescent"),
        state_map={u_prev: g_prev},
    ),
)
