"""AdamaxW, in Optax's convention (``optax.adamaxw``): PyTorch's Adamax with decoupled weight decay.

Optax's Adamax adds ε inside the maximum as PyTorch does, u ← max(β2u, |g| + ε); AdamaxW then adds λw to the
step before the learning rate (``add_decayed_weights``), as AdamW does to Adam. Optax has no default learning
rate; trainspec takes PyTorch's Adamax's, 2·10⁻³.
"""

from sympy import Abs, Interval, Max, oo, symbols

from codegen.language.optimizer import Counterpart, Hyperparameter, Option, derive, eta, g, t, w
from codegen.language.relations import Equivalence, SpecUpdate
from specs.optimizers.adamax import SPEC as KERAS_ADAMAX
from specs.optimizers.torch_adam import TYPICAL_WEIGHT_DECAY

beta_1, beta_2, epsilon, lambda_wd, lambda_l2, m, u = symbols("beta_1 beta_2 epsilon lambda_wd lambda_l2 m u")

SPEC = derive(
    KERAS_ADAMAX,
    name="AdamaxW",
    aliases=("adamaxw",),
    summary="Adamax with ε inside the maximum and decoupled weight decay λw added to the step.",
    substitution={
        Max(beta_2 * u, Abs(g)): Max(beta_2 * u, Abs(g) + epsilon),
        u + epsilon: u,
        m / ((1 - beta_1**t) * u): m / ((1 - beta_1**t) * u) + lambda_wd * w,
    },
    text="max(β₂u, |g|) → max(β₂u, |g| + ε), u + ε → u, m/((1 − β₁ᵗ)u) → m/((1 − β₁ᵗ)u) + λw",
    note="ε inside the maximum as in PyTorch, and the decay decoupled from the moments.",
    hyperparameters=(
        *KERAS_ADAMAX.hyperparameters,
        Hyperparameter(
            lambda_wd,
            "weight_decay",
            1e-4,
            Interval(0, oo),
            "decoupled decay: λw is added to the step before the learning rate",
            typical=TYPICAL_WEIGHT_DECAY,
        ),
    ),
    defaults={"learning_rate": 0.002, "epsilon": 1e-8},
    options=(Option("weight_decay", when_off={lambda_wd: 0}, kind="nonzero", description="no weight decay"),),
    base_options="none",
    convention="Optax",
    method="adamaxw",
    references=(
        *KERAS_ADAMAX.references,
        "I. Loshchilov, F. Hutter, Decoupled weight decay regularization, ICLR 2019.",
    ),
    conventions=(),
    latex_names={lambda_wd: r"\lambda"},
    counterparts=(
        Counterpart(
            "optax.adamaxw",
            arguments=(
                ("learning_rate", eta),
                ("b1", beta_1),
                ("b2", beta_2),
                ("eps", epsilon),
                ("weight_decay", lambda_wd),
            ),
        ),
    ),
)

RELATIONS = (
    Equivalence(
        name="adamaxw_without_decay_is_torch_adamax",
        statement="Without decay, AdamaxW is PyTorch's Adamax (Optax's adamax) without its L2 term.",
        left=SpecUpdate("AdamaxW", options={"weight_decay": False}),
        right=SpecUpdate("TorchAdamax"),
        state_map={m: m, u: u},
        steps=2,
    ),
    Equivalence(
        name="adamaxw_decay_is_not_torch_adamax_l2",
        statement=(
            "AdamaxW's decoupled decay is not TorchAdamax's L2 term of the same λ: the L2 term passes through the "
            "moments and the maximum, the decoupled one does not."
        ),
        left=SpecUpdate("AdamaxW"),
        right=SpecUpdate("TorchAdamax", options={"weight_decay": True}, substitution={lambda_l2: lambda_wd}),
        state_map={m: m, u: u},
        holds=False,
        steps=2,
    ),
)
