"""AdamW in the Keras 3 convention: Keras's Adam with the base option weight_decay on by default.

Keras's decoupled decay ``w ← w − λ·η·w`` (the base option every Keras optimizer has)
is already AdamW's; Keras's ``AdamW`` only makes it default to 0.004.
"""

from sympy import Max, sqrt, symbols

from codegen.language.optimizer import Counterpart, derive, eta, g, lambda_wd, t, w
from codegen.language.relations import Equivalence, SpecUpdate, WrittenUpdate
from specs.optimizers.adam import SPEC as KERAS_ADAM

beta_1, beta_2, epsilon = symbols("beta_1 beta_2 epsilon")
m, v, vhat, w_decayed = symbols("m v vhat w_decayed")

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
        # keras 3.15's torch backend multiplies w by 1 − λη computed in float32 (its _apply_weight_decay); the referee
        # models that rounding exactly (codegen/referee/optimizer_adapters.py), so a float64 run still tells formulas.
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

RELATIONS = (
    Equivalence(
        name="adamw_is_loshchilov_hutter_decoupled_decay_before_kerass_adam",
        statement=(
            "AdamW (amsgrad on) is Loshchilov and Hutter's decoupled decay w ← w − ληw, then Keras's Adam step from "
            "the decayed weights: m, v and the running maximum v̂ never see the decay."
        ),
        left=SpecUpdate("AdamW", options={"weight_decay": True, "amsgrad": True}),
        right=WrittenUpdate(
            "decoupled weight decay, then Adam with ε̂ and v̂ = max(v̂, v)",
            assignments=(
                (w_decayed, w - lambda_wd * eta * w),
                (m, beta_1 * m + (1 - beta_1) * g),
                (v, beta_2 * v + (1 - beta_2) * g**2),
                (vhat, Max(vhat, v)),
                (w, w_decayed - eta * sqrt(1 - beta_2**t) / (1 - beta_1**t) * m / (sqrt(vhat) + epsilon)),
            ),
            initial={m: 0, v: 0, vhat: 0},
        ),
        state_map={m: m, v: v, vhat: vhat},
    ),
)
