"""AdamW in the Keras 3 convention: Keras's Adam with the base option weight_decay on by default.

Keras's decoupled decay ``w ← w − λ·η·w`` (the base option every Keras optimizer has)
is already AdamW's; Keras's ``AdamW`` only makes it default to 0.004.
"""

from codegen.language.optimizer import derive
from specs.optimizers.adam import SPEC as KERAS_ADAM

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
)
