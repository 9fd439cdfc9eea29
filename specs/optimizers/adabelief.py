"""AdaBelief, in Optax's convention (``optax.adabelief``): Adam that divides by the spread of g around m.

Adam divides the first moment by the root of the moving average of g²;
AdaBelief divides it by the root of the moving average of (g − m)², the
squared distance of the gradient from its prediction (the "belief"). Where
gradients agree with their average the step is large, where they scatter it
is small. Optax adds ``epsilon_root`` to that average at every step (it is
stored with it), and ε outside the bias-corrected root. With ``nesterov`` the
bias-corrected momentum looks one step ahead, as in Nadam.
"""

from sympy import Interval, oo, sqrt, symbols

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
from specs.optimizers.adam import SPEC as KERAS_ADAM
from specs.optimizers.adam import TYPICAL_EPSILON

beta_1, beta_2, epsilon, epsilon_root = symbols("beta_1 beta_2 epsilon epsilon_root")
m, s, m_hat = symbols("m s m_hat")

NESTEROV_MOMENTUM = beta_1 * m / (1 - beta_1 ** (t + 1)) + (1 - beta_1) * g / (1 - beta_1**t)

SPEC = OptimizerSpec(
    name="AdaBelief",
    aliases=("adabelief",),
    summary="Adam divided by the spread of g around its moving average instead of the average of g squared.",
    hyperparameters=(
        learning_rate(0.001),
        KERAS_ADAM.hyperparameter("beta_1"),
        KERAS_ADAM.hyperparameter("beta_2"),
        Hyperparameter(epsilon, "epsilon", 1e-16, Interval(0, oo), "added to the root of ŝ", typical=TYPICAL_EPSILON),
        Hyperparameter(
            epsilon_root,
            "epsilon_root",
            1e-16,
            Interval(0, oo),
            "added to s at every step, inside the root",
            typical=Typical(1e-8, 1e-3, log=True),
        ),
    ),
    state=(
        State(m, "mu", 0, "first moment: moving average of g"),
        State(s, "nu", 0, "moving average of (g − m) squared, plus epsilon_root per step"),
    ),
    update=(
        (m, beta_1 * m + (1 - beta_1) * g),
        (s, beta_2 * s + (1 - beta_2) * (g - m) ** 2 + epsilon_root),
        (m_hat, NESTEROV_MOMENTUM),
        (w, w - eta * m_hat / (sqrt(s / (1 - beta_2**t)) + epsilon)),
    ),
    options=(
        Option(
            "nesterov",
            when_off={NESTEROV_MOMENTUM: m / (1 - beta_1**t)},
            description="look one step ahead with the bias-corrected momentum",
        ),
    ),
    base_options="none",
    convention="Optax",
    references=(
        "J. Zhuang et al., AdaBelief optimizer: adapting stepsizes by the belief in observed gradients, NeurIPS 2020.",
    ),
    latex_names={epsilon_root: r"\epsilon_{\mathrm{root}}", m_hat: r"\hat m"},
    counterparts=(
        Counterpart(
            "optax.adabelief",
            arguments=(
                ("learning_rate", eta),
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
        name="adabelief_with_g_squared_is_torch_adam",
        statement=(
            "AdaBelief's s is a moving average of the squared deviation (g − m)² of g from its moving average m, "
            "where Adam's v averages g²: with (g − m)² replaced by g² and ε_root = 0 it is Adam with ε on the "
            "bias-corrected root (PyTorch's Adam)."
        ),
        left=SpecUpdate("AdaBelief", substitution={(g - m) ** 2: g**2, epsilon_root: 0}),
        right=SpecUpdate("TorchAdam"),
        state_map={m: m, s: symbols("v")},
    ),
)
