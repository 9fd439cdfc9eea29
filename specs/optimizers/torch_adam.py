"""PyTorch's Adam (``torch.optim.Adam``), derived from Keras's Adam by substitution.

PyTorch adds ε to the root of the bias-corrected second moment, √v̂ + ε; Keras
adds its ε̂ to √v before the correction is folded into the step size. Putting
ε̂ = ε√(1 − β2^t) into Keras's update gives PyTorch's exactly. Weight decay is
PyTorch's L2 term, added to the gradient (g ← g + λw), not Keras's decoupled
decay; there is no clipping argument.
"""

from sympy import Interval, Max, oo, sqrt, symbols

from codegen.language.optimizer import (
    Convention,
    Counterpart,
    Hyperparameter,
    Option,
    Typical,
    derive,
    eta,
    g,
    learning_rate,
    t,
    w,
)
from codegen.language.relations import Equivalence, SpecUpdate, WrittenUpdate
from specs.optimizers.adam import SPEC as KERAS_ADAM
from specs.optimizers.adam import TYPICAL_EPSILON

beta_1, beta_2, epsilon, lambda_l2 = symbols("beta_1 beta_2 epsilon lambda_l2")
m, v, vhat, g_l2 = symbols("m v vhat g_l2")

# Penalties where they regularise without swamping the gradient.
TYPICAL_WEIGHT_DECAY = Typical(1e-3, 1e-1, log=True)
L2 = Hyperparameter(
    lambda_l2,
    "weight_decay",
    0.0,
    Interval(0, oo),
    "L2 penalty: λw is added to the gradient",
    typical=TYPICAL_WEIGHT_DECAY,
)
L2_OPTION = Option("weight_decay", when_off={lambda_l2: 0}, kind="nonzero", description="no L2 term")

SPEC = derive(
    KERAS_ADAM,
    name="TorchAdam",
    aliases=("torch_adam",),
    summary="Adam as torch.optim.Adam computes it: ε outside the bias-corrected root, L2 weight decay.",
    substitution={epsilon: epsilon * sqrt(1 - beta_2**t), g: g_l2},
    text="ε̂ → ε√(1 − β₂^t), g → g + λw",
    note="ε is added to the root of the bias-corrected v̂, and weight decay is an L2 term on the gradient.",
    prepend=((g_l2, g + lambda_l2 * w),),
    hyperparameters=(
        learning_rate(0.001),
        KERAS_ADAM.hyperparameter("beta_1"),
        KERAS_ADAM.hyperparameter("beta_2"),
        Hyperparameter(
            epsilon, "epsilon", 1e-8, Interval(0, oo), "added to the root of the corrected v̂", typical=TYPICAL_EPSILON
        ),
        L2,
    ),
    options=(*KERAS_ADAM.options, L2_OPTION),
    base_options="none",
    convention="PyTorch",
    references=KERAS_ADAM.references,
    conventions=(
        Convention(
            "Keras 3",
            r"\texttt{Adam} adds $\hat\epsilon$ to $\sqrt{v}$: the same update if and only if "
            r"$\hat\epsilon = \epsilon\sqrt{1-\beta_2^t}$, so no constant mapping exists.",
        ),
    ),
    latex_names={g_l2: r"\tilde g", lambda_l2: r"\lambda"},
    counterparts=(
        Counterpart(
            "torch.optim.Adam",
            arguments=(
                ("lr", eta),
                ("betas", (beta_1, beta_2)),
                ("eps", epsilon),
                ("weight_decay", lambda_l2),
                ("amsgrad", "amsgrad"),
            ),
        ),
        Counterpart(
            "optax.adam",
            arguments=(("learning_rate", eta), ("b1", beta_1), ("b2", beta_2), ("eps", epsilon)),
            requires=(("weight_decay", 0.0), ("amsgrad", False)),
            note="optax.adam has no L2 term, and its amsgrad is optax.amsgrad (AMSGrad, a spec of its own)",
        ),
    ),
)

# PyTorch's documented algorithm, written out here rather than derived, so the checks below are not circular.
m_hat, v_hat = symbols("m_hat v_hat")


def pytorch_documented(l2: bool) -> WrittenUpdate:
    """torch.optim.Adam's algorithm as its documentation states it (amsgrad=False)."""
    gradient = g_l2 if l2 else g
    return WrittenUpdate(
        f"torch.optim.Adam as documented ({'weight_decay > 0' if l2 else 'no weight decay'}, amsgrad=False)",
        assignments=(
            *(((g_l2, g + lambda_l2 * w),) if l2 else ()),
            (m, beta_1 * m + (1 - beta_1) * gradient),
            (v, beta_2 * v + (1 - beta_2) * gradient**2),
            (m_hat, m / (1 - beta_1**t)),
            (v_hat, v / (1 - beta_2**t)),
            (w, w - eta * m_hat / (sqrt(v_hat) + epsilon)),
        ),
        initial={m: 0, v: 0},
    )


vmax = symbols("v_max")
pytorch_documented_amsgrad = WrittenUpdate(
    "torch.optim.Adam as documented (amsgrad=True, no weight decay)",
    assignments=(
        (m, beta_1 * m + (1 - beta_1) * g),
        (v, beta_2 * v + (1 - beta_2) * g**2),
        (vmax, Max(vmax, v)),
        (w, w - eta * m / (1 - beta_1**t) / (sqrt(vmax) / sqrt(1 - beta_2**t) + epsilon)),
    ),
    initial={m: 0, v: 0, vmax: 0},
)

RELATIONS = (
    Equivalence(
        name="torch_adam_is_pytorch_documented_adam",
        statement="TorchAdam (derived from Keras's Adam) is torch.optim.Adam's documented algorithm.",
        left=SpecUpdate("TorchAdam"),
        right=pytorch_documented(l2=False),
        state_map={m: m, v: v},
    ),
    # With the L2 term, w feeds back into the moments and the symbolic residual grows past what SymPy simplifies
    # in minutes after the first step; one step proves the per-step map, the kernel confirmation runs five.
    Equivalence(
        name="torch_adam_l2_is_pytorch_documented_l2",
        statement="TorchAdam's weight_decay is torch.optim.Adam's documented L2 term g + λw, on the first step.",
        left=SpecUpdate("TorchAdam", options={"weight_decay": True}),
        right=pytorch_documented(l2=True),
        state_map={m: m, v: v},
        steps=1,
    ),
    Equivalence(
        name="torch_adam_amsgrad_is_pytorch_documented_amsgrad",
        statement="TorchAdam with amsgrad is torch.optim.Adam's documented amsgrad: the maximum of the raw v.",
        left=SpecUpdate("TorchAdam", options={"amsgrad": True}),
        right=pytorch_documented_amsgrad,
        state_map={m: m, v: v, vhat: vmax},
    ),
    Equivalence(
        name="keras_adam_is_torch_adam_with_step_dependent_epsilon",
        statement="Keras's Adam is PyTorch's Adam if and only if ε̂ = ε·√(1 − β2^t) at every step.",
        left=SpecUpdate("Adam", substitution={epsilon: epsilon * sqrt(1 - beta_2**t)}),
        right=SpecUpdate("TorchAdam"),
        state_map={m: m, v: v},
    ),
    Equivalence(
        name="keras_adam_is_not_torch_adam_with_the_same_epsilon",
        statement="Keras's Adam with ε̂ = ε is not PyTorch's Adam: no constant mapping of ε exists.",
        left=SpecUpdate("Adam"),
        right=SpecUpdate("TorchAdam"),
        holds=False,
    ),
)
