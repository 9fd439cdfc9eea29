"""PyTorch's Adamax (``torch.optim.Adamax``), derived from Keras's Adamax by substitution.

PyTorch adds ε inside the maximum, u ← max(β2 u, |g| + ε), and divides by u
alone; Keras keeps u ← max(β2 u, |g|) and divides by u + ε.
"""

from sympy import Abs, Interval, Max, oo, symbols

from codegen.language.optimizer import Convention, Counterpart, Hyperparameter, Option, Typical, derive, eta, g, w
from specs.optimizers.adamax import SPEC as KERAS_ADAMAX

beta_1, beta_2, epsilon, lambda_l2, g_l2, m, u = symbols("beta_1 beta_2 epsilon lambda_l2 g_l2 m u")

SPEC = derive(
    KERAS_ADAMAX,
    name="TorchAdamax",
    aliases=("torch_adamax",),
    summary="Adamax as torch.optim.Adamax computes it: ε inside the maximum.",
    substitution={Max(beta_2 * u, Abs(g)): Max(beta_2 * u, Abs(g) + epsilon), u + epsilon: u, g: g_l2},
    text="max(β₂u, |g|) → max(β₂u, |g| + ε), u + ε → u, g → g + λw",
    note="ε is added inside the maximum, not to the norm in the step.",
    prepend=((g_l2, g + lambda_l2 * w),),
    hyperparameters=(
        *KERAS_ADAMAX.hyperparameters,
        Hyperparameter(
            lambda_l2,
            "weight_decay",
            0.0,
            Interval(0, oo),
            "L2 penalty: λw is added to g",
            typical=Typical(1e-3, 1e-1, log=True),
        ),
    ),
    defaults={"learning_rate": 0.002, "epsilon": 1e-8},
    options=(Option("weight_decay", when_off={lambda_l2: 0}, kind="nonzero", description="no L2 term"),),
    base_options="none",
    convention="PyTorch",
    references=KERAS_ADAMAX.references,
    conventions=(Convention("Keras 3", r"\texttt{Adamax} divides by $u + \epsilon$ with $u = \max(\beta_2 u, |g|)$."),),
    latex_names={g_l2: r"\tilde g", lambda_l2: r"\lambda"},
    counterparts=(
        Counterpart(
            "torch.optim.Adamax",
            arguments=(("lr", eta), ("betas", (beta_1, beta_2)), ("eps", epsilon), ("weight_decay", lambda_l2)),
        ),
    ),
)
