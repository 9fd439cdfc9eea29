"""PyTorch's AdamW (``torch.optim.AdamW``): PyTorch's Adam with decoupled decay instead of the L2 term.

The parameter is first decayed, w ← w(1 − ηλ), then takes PyTorch's Adam step.
Keras's base option weight_decay is the same decay, so Keras's AdamW differs
from this one only by where ε sits (see TorchAdam) and the default λ.
"""

from sympy import Interval, oo, sqrt, symbols

from codegen.language.optimizer import Convention, Counterpart, Hyperparameter, Option, derive, eta, t, w
from codegen.language.relations import Equivalence, SpecUpdate
from specs.optimizers.adam import SPEC as KERAS_ADAM
from specs.optimizers.adam import TYPICAL_EPSILON
from specs.optimizers.torch_adam import TYPICAL_WEIGHT_DECAY

beta_1, beta_2, epsilon, lambda_wd = symbols("beta_1 beta_2 epsilon lambda_wd")
m, v, w_decayed = symbols("m v w_decayed")

SPEC = derive(
    KERAS_ADAM,
    name="TorchAdamW",
    aliases=("torch_adamw",),
    summary="AdamW as torch.optim.AdamW computes it: decoupled decay, then ε outside the corrected root.",
    substitution={epsilon: epsilon * sqrt(1 - beta_2**t), w: w_decayed},
    text="ε̂ → ε√(1 − β₂^t), w → w(1 − ηλ)",
    note="ε is added to the root of the bias-corrected v̂; the decay is decoupled, as Keras's base option.",
    prepend=((w_decayed, w * (1 - eta * lambda_wd)),),
    hyperparameters=(
        *(KERAS_ADAM.hyperparameter(a) for a in ("learning_rate", "beta_1", "beta_2")),
        Hyperparameter(
            epsilon, "epsilon", 1e-8, Interval(0, oo), "added to the root of the corrected v̂", typical=TYPICAL_EPSILON
        ),
        Hyperparameter(
            lambda_wd, "weight_decay", 0.01, Interval(0, oo), "decoupled weight decay", typical=TYPICAL_WEIGHT_DECAY
        ),
    ),
    options=(
        *KERAS_ADAM.options,
        Option("weight_decay", when_off={lambda_wd: 0}, kind="nonzero", description="no decay"),
    ),
    base_options="none",
    convention="PyTorch",
    references=(*KERAS_ADAM.references, "I. Loshchilov, F. Hutter, Decoupled weight decay regularization, ICLR 2019."),
    conventions=(
        Convention(
            "Keras 3",
            r"\texttt{AdamW} is Keras's Adam with its base decay $w - \lambda\eta w$ (default $\lambda = 0.004$): "
            r"the same update if and only if $\hat\epsilon = \epsilon\sqrt{1-\beta_2^t}$.",
        ),
    ),
    latex_names={w_decayed: r"\tilde w", lambda_wd: r"\lambda"},
    method="adamw",
    counterparts=(
        Counterpart(
            "torch.optim.AdamW",
            arguments=(
                ("lr", eta),
                ("betas", (beta_1, beta_2)),
                ("eps", epsilon),
                ("weight_decay", lambda_wd),
                ("amsgrad", "amsgrad"),
            ),
        ),
    ),
)

RELATIONS = (
    Equivalence(
        name="keras_adamw_is_torch_adamw_with_step_dependent_epsilon",
        statement=(
            "Keras's AdamW (Adam with its decoupled base decay) is PyTorch's AdamW if and only if "
            "ε̂ = ε·√(1 − β2^t); the decay is the same w ← w(1 − ηλ). Proved on the first step."
        ),
        left=SpecUpdate("AdamW", options={"weight_decay": True}, substitution={epsilon: epsilon * sqrt(1 - beta_2**t)}),
        right=SpecUpdate("TorchAdamW", options={"weight_decay": True}),
        state_map={m: m, v: v},
        steps=1,
    ),
)
