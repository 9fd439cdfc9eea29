"""LAMB (layer-wise adaptive moments), in the Keras 3 convention (``keras.optimizers.Lamb``).

Adam's step r = m̂/(√v̂ + ε), scaled per tensor by the trust ratio ‖w‖/‖r‖, so
that every layer moves by the same fraction of its own norm. Where either norm
is 0 the ratio is 1. Keras's decoupled ``weight_decay`` (a base option) decays
w before the step, outside the ratio; ε is added to the bias-corrected root.
"""

from sympy import Interval, Piecewise, oo, sqrt, symbols

from codegen.language.optimizer import (
    Convention,
    Counterpart,
    Hyperparameter,
    OptimizerSpec,
    State,
    eta,
    g,
    learning_rate,
    norm,
    t,
    w,
)
from codegen.language.relations import Equivalence, SpecUpdate
from specs.optimizers.adam import SPEC as KERAS_ADAM
from specs.optimizers.adam import TYPICAL_EPSILON

beta_1, beta_2, epsilon = symbols("beta_1 beta_2 epsilon")
m, v, r, w_norm, r_norm, ratio = symbols("m v r w_norm r_norm ratio")

ADAM_STEP = m / (1 - beta_1**t) / (sqrt(v / (1 - beta_2**t)) + epsilon)
"""Adam's step with ε on the bias-corrected root, which the trust ratio scales (Optax's LAMB derives from it)."""

SPEC = OptimizerSpec(
    name="Lamb",
    aliases=("lamb",),
    summary="Adam's step scaled per tensor by the trust ratio ‖w‖/‖step‖.",
    hyperparameters=(
        learning_rate(0.001),
        KERAS_ADAM.hyperparameter("beta_1"),
        KERAS_ADAM.hyperparameter("beta_2"),
        Hyperparameter(epsilon, "epsilon", 1e-7, Interval(0, oo), "added to the root of v̂", typical=TYPICAL_EPSILON),
    ),
    state=(
        State(m, "momentum", 0, "first moment: moving average of g"),
        State(v, "velocity", 0, "second moment: moving average of g squared"),
    ),
    update=(
        (m, m + (1 - beta_1) * (g - m)),
        (v, v + (1 - beta_2) * (g**2 - v)),
        (r, ADAM_STEP),
        (w_norm, norm(w)),
        (r_norm, norm(r)),
        (ratio, Piecewise((w_norm / r_norm, (w_norm > 0) & (r_norm > 0)), (1, True))),
        (w, w - ratio * eta * r),
    ),
    references=("Y. You et al., Large batch optimization for deep learning: training BERT in 76 minutes, ICLR 2020.",),
    conventions=(
        Convention(
            "Optax",
            r"\texttt{lamb} adds the weight decay $\lambda w$ to the step before the trust ratio, so the ratio "
            r"scales the decay too.",
        ),
    ),
    latex_names={w_norm: "n_w", r_norm: "n_r", ratio: r"\rho"},
    counterparts=(Counterpart("keras.optimizers.Lamb"),),
)

RELATIONS = (
    Equivalence(
        name="lamb_unit_trust_ratio_is_torch_adam",
        statement=(
            "LAMB with the trust ratio fixed at 1 is Adam with ε on the bias-corrected root: PyTorch's Adam "
            "(with Keras's decoupled weight_decay, PyTorch's AdamW)."
        ),
        left=SpecUpdate("Lamb", substitution={ratio: 1}),
        right=SpecUpdate("TorchAdam"),
        state_map={m: m, v: v},
    ),
    Equivalence(
        name="lamb_unit_trust_ratio_is_not_keras_adam",
        statement="LAMB with the trust ratio fixed at 1 is not Keras's Adam, which adds ε to the raw root √v.",
        left=SpecUpdate("Lamb", substitution={ratio: 1}),
        right=SpecUpdate("Adam"),
        holds=False,
    ),
)
