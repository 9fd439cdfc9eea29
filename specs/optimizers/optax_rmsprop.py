"""RMSprop as Optax computes it (``optax.rmsprop``): Keras's update, with ε = 10⁻⁸ by default.

ε is added inside the root (``eps_in_sqrt=True``, Optax's default), the centered
form divides by the variance, and Optax scales by the learning rate before its
momentum trace, so the buffer holds the rate as Keras's does, b ← μb + ηg/√D
(measured under a schedule: a buffer without η, as PyTorch keeps it, parts from
optax at step 2). Optax's further options (ε outside the root, a bias
correction, an initial scale, Nesterov) stay at their defaults.
"""

from codegen.language.optimizer import Counterpart, derive, eta
from specs.optimizers.rmsprop import SPEC as KERAS_RMSPROP
from specs.optimizers.rmsprop import epsilon, mu, rho

SPEC = derive(
    KERAS_RMSPROP,
    name="OptaxRMSprop",
    aliases=("optax_rmsprop",),
    summary="Keras's RMSprop with Optax's default ε, as optax.rmsprop computes it.",
    substitution={},
    text="the same update, with epsilon = 10⁻⁸ by default",
    defaults={"epsilon": 1e-8},
    base_options="none",
    convention="Optax",
    conventions=(),
    counterparts=(
        Counterpart(
            "optax.rmsprop",
            arguments=(
                ("learning_rate", eta),
                ("decay", rho),
                ("eps", epsilon),
                ("centered", "centered"),
                ("momentum", mu),
            ),
        ),
    ),
)
