"""``optax.nadamw``: Optax's Nadam with its decoupled weight decay on, λ = 10⁻⁴ by default (see optax_nadam.py)."""

from codegen.language.optimizer import Counterpart, derive, eta
from specs.optimizers.optax_nadam import SPEC as OPTAX_NADAM
from specs.optimizers.optax_nadam import beta_1, beta_2, epsilon, epsilon_root, lambda_wd

SPEC = derive(
    OPTAX_NADAM,
    name="OptaxNadamW",
    aliases=("optax_nadamw",),
    summary="Optax's Nadam with decoupled weight decay on by default, as optax.nadamw computes it.",
    substitution={},
    text="the same update, with weight_decay = 10⁻⁴ by default",
    defaults={"weight_decay": 1e-4},
    base_options="none",
    convention="Optax",
    counterparts=(
        Counterpart(
            "optax.nadamw",
            arguments=(
                ("learning_rate", eta),
                ("b1", beta_1),
                ("b2", beta_2),
                ("eps", epsilon),
                ("eps_root", epsilon_root),
                ("weight_decay", lambda_wd),
            ),
        ),
    ),
)
