"""AdamW in the Keras 3 convention: Keras's Adam with the base option weight_decay on by default.

Keras's decoupled decay ``w ← w − λ·η·w`` (the base option every Keras optimizer has)
is already AdamW's; Keras's ``AdamW`` only makes it default to 0.004.
"""

from sympy import symbols

from codegen.language.optimizer import Counterpart, derive, eta
from specs.optimizers.adam import SPEC as KERAS_ADAM

beta_1, beta_2, epsilon = symbols("beta_1 beta_2 epsilon")

SPEC = derive(
    KERAS_ADAM,
    name="AdamW",
    aliases=("adamw",),
    summary="Adam with decoupled weight decay, on by default.",
    substitution={},
    text="the default weight_decay = 0.004 (Keras's base option, decoupled)",
    weight_decay_default=0.004,
    references=(
        *KERAS_ADAM.references,
        "I. Loshchilov, F. Hutter, Decoupled weight decay regularization, ICLR 2019.",
    ),
    conventions=KERAS_ADAM.conventions,
    method="adamw",
    counterparts=(
        # The same formula, but not to float64 precision: keras 3.15's torch backend multiplies w by 1 − λη computed
        # in float32 (keras/src/backend/torch/optimizers/torch_optimizer.py, _apply_weight_decay; with zero
        # gradients η = 0.01 acts as 0.01·(1 − 1.29e-5)). That moves a float64 trajectory by 1e-6 or more of its
        # displacement, past `trainspec verify`'s float64 tolerance (1.5e-8); in float32 it passes (1e-5 < 3.4e-4).
        # keras rounds its decay factor 1 − λη to float32; the referee models that rounding exactly.
        Counterpart("keras.optimizers.AdamW"),
        Counterpart(
            "torch.optim.AdamW",
            arguments=(
                ("lr", eta),
                ("betas", (beta_1, beta_2)),
                ("eps", epsilon),
                ("weight_decay", "weight_decay"),
                ("amsgrad", "amsgrad"),
            ),
            same=False,
            note="torch's decay w(1 − ηλ) is Keras's; torch adds ε to the root of the bias-corrected v̂ (TorchAdamW)",
        ),
    ),
)
