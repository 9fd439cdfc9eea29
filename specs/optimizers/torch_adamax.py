"""PyTorch's Adamax (``torch.optim.Adamax``), derived from Keras's Adamax by substitution.

PyTorch adds ε inside the maximum, u ← max(β2 u, |g| + ε), and divides by u
alone; Keras keeps u ← max(β2 u, |g|) and divides by u + ε.
"""

from sympy import Abs, Interval, Max, oo, symbols

from codegen.language.optimizer import Convention, Counterpart, Hyperparameter, Option, Typical, derive, eta, g, t, w
from codegen.language.relations import Equivalence, SpecUpdate, WrittenUpdate
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
        Counterpart(
            "optax.adamax",
            arguments=(("learning_rate", eta), ("b1", beta_1), ("b2", beta_2), ("eps", epsilon)),
            requires=(("weight_decay", 0.0),),
            note="optax.adamax has no L2 term",
        ),
    ),
)

RELATIONS = (
    Equivalence(
        name="torch_adamax_is_pytorchs_documented_adamax",
        statement=(
            "TorchAdamax with its L2 term is torch.optim.Adamax's documented algorithm: g ← g + λw, "
            "m ← β₁m + (1 − β₁)g, u ← max(β₂u, |g| + ε), w ← w − η/(1 − β₁ᵗ) · m/u."
        ),
        left=SpecUpdate("TorchAdamax", options={"weight_decay": True}),
        right=WrittenUpdate(
            "torch.optim.Adamax as documented",
            assignments=(
                (g_l2, g + lambda_l2 * w),
                (m, beta_1 * m + (1 - beta_1) * g_l2),
                (u, Max(beta_2 * u, Abs(g_l2) + epsilon)),
                (w, w - eta / (1 - beta_1**t) * m / u),
            ),
            initial={m: 0, u: 0},
        ),
        state_map={m: m, u: u},
        # Two symbolic steps already nest the maximum in itself; a third took a minute to simplify.
        steps=2,
    ),
)
