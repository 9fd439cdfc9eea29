"""RAdam, in Optax's convention (``optax.radam``): Adam rectified once its second moment is trustworthy.

As PyTorch's RAdam (TorchRAdam), but ε is added to the root of the bias-corrected second moment v̂ (with
ε_root under it), the switch from SGD with bias-corrected momentum to the rectified step is at ρ_t ≥ threshold
(an argument, default 5; PyTorch's is ρ_t > 5), there is no weight decay, and ``nesterov`` looks one step
ahead with the momentum as Optax's Nadam does. Optax has no default learning rate; trainspec takes PyTorch's, 10⁻³.
"""

from sympy import Interval, Piecewise, oo, sqrt, symbols

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
from specs.optimizers.amsgrad import SPEC as AMSGRAD
from specs.optimizers.torch_radam import RECTIFIER, RHO_AT_T, RHO_INFINITY, r, rho, rho_inf

beta_1, beta_2, epsilon, epsilon_root, threshold = symbols("beta_1 beta_2 epsilon epsilon_root threshold")
m, v, m_hat = symbols("m v m_hat")
RECTIFIED = rho >= threshold

SPEC = OptimizerSpec(
    name="RAdam",
    aliases=("radam",),
    summary="Rectified Adam: SGD with bias-corrected momentum until the second moment is trustworthy, then Adam.",
    hyperparameters=(
        learning_rate(0.001),
        KERAS_ADAM.hyperparameter("beta_1"),
        KERAS_ADAM.hyperparameter("beta_2"),
        AMSGRAD.hyperparameter("epsilon"),
        AMSGRAD.hyperparameter("epsilon_root"),
        Hyperparameter(
            threshold,
            "threshold",
            5.0,
            Interval.open(4, oo),
            "the rectified step starts once ρ_t reaches it",
            typical=Typical(4.5, 6.0),
        ),
    ),
    state=(
        State(m, "mu", 0, "first moment: moving average of g"),
        State(v, "nu", 0, "second moment: moving average of g squared"),
    ),
    update=(
        (m, beta_1 * m + (1 - beta_1) * g),
        (v, beta_2 * v + (1 - beta_2) * g**2),
        (m_hat, NESTEROV_MOMENTUM),
        (rho_inf, RHO_INFINITY),
        (rho, RHO_AT_T),
        (r, Piecewise((RECTIFIER, RECTIFIED), (0, True))),
        (
            w,
            w
            - eta
            * Piecewise((r * m_hat / (sqrt(v / (1 - beta_2**t) + epsilon_root) + epsilon), RECTIFIED), (m_hat, True)),
        ),
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
    references=("L. Liu et al., On the variance of the adaptive learning rate and beyond, ICLR 2020.",),
    latex_names={
        epsilon_root: r"\epsilon_{\mathrm{root}}",
        threshold: r"\rho_{\min}",
        m_hat: r"\hat m",
        rho_inf: r"\rho_\infty",
        rho: r"\rho_t",
        r: r"r_t",
    },
    counterparts=(
        Counterpart(
            "optax.radam",
            arguments=(
                ("learning_rate", eta),
                ("b1", beta_1),
                ("b2", beta_2),
                ("eps", epsilon),
                ("eps_root", epsilon_root),
                ("threshold", threshold),
                ("nesterov", "nesterov"),
            ),
        ),
    ),
)

RELATIONS = (
    Equivalence(
        name="optax_radam_without_epsilon_is_torch_radam",
        statement=(
            "With ε = ε_root = 0 and the threshold at 5, Optax's RAdam is PyTorch's without weight decay: ε is all "
            "that tells the roots of v and v̂ apart, and ρ_t ≥ 5 from ρ_t > 5 only where ρ_t is exactly 5."
        ),
        left=SpecUpdate("RAdam", substitution={epsilon: 0, epsilon_root: 0, threshold: 5}),
        right=SpecUpdate("TorchRAdam", substitution={epsilon: 0}),
        state_map={m: m, v: v},
        steps=3,
    ),
)
