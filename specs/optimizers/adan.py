"""Adan, in Optax's convention (``optax.adan``): adaptive Nesterov momentum from gradient differences.

Beside the moving average m of g, Adan keeps v, the moving average of the
change of the gradient from the previous step, and n, that of the squared
look-ahead gradient g + (1 − β2)(g − g_prev). The step is the bias-corrected
m + (1 − β2)v̂ over the root of n̂, plus Optax's decoupled ``weight_decay``
(``add_decayed_weights``) before the learning rate. On the first step there is
no previous gradient: the difference is 0 there, a per-step branch.
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
from specs.optimizers.adam import TYPICAL_EPSILON
from specs.optimizers.torch_adam import TYPICAL_WEIGHT_DECAY

beta_1, beta_2, beta_3, epsilon, epsilon_root, lambda_wd = symbols(
    "beta_1 beta_2 beta_3 epsilon epsilon_root lambda_wd"
)
m, v, n, g_prev, difference = symbols("m v n g_prev difference")


def _rate(symbol, argument: str, default: float, meaning: str) -> Hyperparameter:
    return Hyperparameter(symbol, argument, default, Interval.Ropen(0, 1), meaning, typical=Typical(0.5, 0.99))


SPEC = OptimizerSpec(
    name="Adan",
    aliases=("adan",),
    summary="Nesterov momentum estimated from gradient differences, over the root of a look-ahead second moment.",
    hyperparameters=(
        learning_rate(0.001),
        _rate(beta_1, "beta_1", 0.98, "decay rate of the first moment"),
        _rate(beta_2, "beta_2", 0.92, "decay rate of the gradient difference's moment"),
        _rate(beta_3, "beta_3", 0.99, "decay rate of the second moment"),
        Hyperparameter(epsilon, "epsilon", 1e-8, Interval(0, oo), "added to the root of n̂", typical=TYPICAL_EPSILON),
        Hyperparameter(
            epsilon_root,
            "epsilon_root",
            1e-8,
            Interval(0, oo),
            "added to n̂ inside the root",
            typical=Typical(1e-8, 1e-3, log=True),
        ),
        Hyperparameter(
            lambda_wd,
            "weight_decay",
            0.0,
            Interval(0, oo),
            "decoupled decay: λw is added to the step before the learning rate",
            typical=TYPICAL_WEIGHT_DECAY,
        ),
    ),
    state=(
        State(m, "m", 0, "moving average of g"),
        State(v, "v", 0, "moving average of the gradient's change from the previous step"),
        State(n, "n", 0, "moving average of the squared look-ahead gradient"),
        State(g_prev, "previous_gradient", 0, "the gradient of the previous step"),
    ),
    update=(
        (difference, Piecewise((0, Eq(t, 1)), (g - g_prev, True))),
        (m, beta_1 * m + (1 - beta_1) * g),
        (v, beta_2 * v + (1 - beta_2) * difference),
        (n, beta_3 * n + (1 - beta_3) * (g + (1 - beta_2) * difference) ** 2),
        (g_prev, g),
        (
            w,
            w
            - eta
            * (
                (m / (1 - beta_1**t) + (1 - beta_2) * v / (1 - beta_2**t))
                / (sqrt(n / (1 - beta_3**t) + epsilon_root) + epsilon)
                + lambda_wd * w
            ),
        ),
    ),
    options=(Option("weight_decay", when_off={lambda_wd: 0}, kind="nonzero", description="no weight decay"),),
    base_options="none",
    convention="Optax",
    references=(
        "X. Xie, P. Zhou, H. Li, Z. Lin, S. Yan, Adan: adaptive Nesterov momentum algorithm for faster optimizing "
        "deep models, IEEE TPAMI 2024.",
    ),
    latex_names={
        g_prev: r"g_{\mathrm{prev}}",
        difference: r"\Delta g",
        epsilon_root: r"\epsilon_{\mathrm{root}}",
        lambda_wd: r"\lambda",
    },
    counterparts=(
        Counterpart(
            "optax.adan",
            arguments=(
                ("learning_rate", eta),
                ("b1", beta_1),
                ("b2", beta_2),
                ("b3", beta_3),
                ("eps", epsilon),
                ("eps_root", epsilon_root),
                ("weight_decay", lambda_wd),
            ),
        ),
    ),
)
