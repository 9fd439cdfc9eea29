"""PyTorch's RMSprop (``torch.optim.RMSprop``), derived from Keras's RMSprop by substitution.

PyTorch calls ρ ``alpha`` (default 0.99), adds ε outside the root, keeps η
outside the momentum buffer (b ← μb + g/(√D + ε), w ← w − ηb), and adds an L2
term to the gradient. The two agree if and only if ε = 0 (α = ρ, constant η).
"""

from sympy import Interval, oo, sqrt, symbols

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
    w,
)
from codegen.language.relations import Equivalence, SpecUpdate
from specs.optimizers.rmsprop import SPEC as KERAS_RMSPROP

rho, alpha, mu, epsilon, lambda_l2 = symbols("rho alpha mu epsilon lambda_l2")
v, gbar, b, D, Delta, g_l2 = symbols("v gbar b D Delta g_l2")

SPEC = derive(
    KERAS_RMSPROP,
    name="TorchRMSprop",
    aliases=("torch_rmsprop",),
    summary="RMSprop as torch.optim.RMSprop computes it: ε outside the root, η outside the buffer.",
    substitution={
        rho: alpha,
        epsilon: 0,
        eta * g / sqrt(D): g / (sqrt(D) + epsilon),
        w - b: w - eta * b,
        g: g_l2,
    },
    text="ρ → α, ε → 0 under the root, ηg/√D → g/(√D + ε), w − b → w − ηb, g → g + λw",
    note="ε is outside the root, and the momentum buffer does not hold the learning rate.",
    prepend=((g_l2, g + lambda_l2 * w),),
    hyperparameters=(
        learning_rate(0.01),
        Hyperparameter(
            alpha,
            "alpha",
            0.99,
            Interval.Ropen(0, 1),
            "decay rate of the moving averages",
            typical=KERAS_RMSPROP.hyperparameter("rho").typical,
        ),
        KERAS_RMSPROP.hyperparameter("momentum"),
        Hyperparameter(
            epsilon,
            "epsilon",
            1e-8,
            Interval(0, oo),
            "added outside the square root",
            typical=KERAS_RMSPROP.hyperparameter("epsilon").typical,
        ),
        Hyperparameter(
            lambda_l2,
            "weight_decay",
            0.0,
            Interval(0, oo),
            "L2 penalty: λw is added to g",
            typical=Typical(1e-3, 1e-1, log=True),
        ),
    ),
    options=(
        *KERAS_RMSPROP.options,
        Option("weight_decay", when_off={lambda_l2: 0}, kind="nonzero", description="no L2 term"),
    ),
    base_options="none",
    convention="PyTorch",
    references=KERAS_RMSPROP.references,
    conventions=(
        Convention(
            "Keras 3",
            r"\texttt{RMSprop} adds $\epsilon$ under the root and keeps $\eta$ in the buffer: "
            r"identical to this update if and only if $\epsilon = 0$ (with $\alpha = \rho$, constant $\eta$).",
        ),
    ),
    latex_names={**KERAS_RMSPROP.latex_names, g_l2: r"\tilde g", lambda_l2: r"\lambda"},
    counterparts=(
        Counterpart(
            "torch.optim.RMSprop",
            arguments=(
                ("lr", eta),
                ("alpha", alpha),
                ("eps", epsilon),
                ("weight_decay", lambda_l2),
                ("momentum", mu),
                ("centered", "centered"),
            ),
        ),
    ),
)

RELATIONS = (
    Equivalence(
        name="keras_rmsprop_is_torch_rmsprop_without_epsilon",
        statement=(
            "Keras's centered RMSprop with momentum is PyTorch's when ε = 0 and α = ρ (constant η): "
            "Keras's buffer is η times PyTorch's."
        ),
        left=SpecUpdate("RMSprop", options={"centered": True, "momentum": True}, substitution={epsilon: 0}),
        right=SpecUpdate(
            "TorchRMSprop", options={"centered": True, "momentum": True}, substitution={alpha: rho, epsilon: 0}
        ),
        state_map={v: v, gbar: gbar, b: eta * b},
    ),
    Equivalence(
        name="keras_rmsprop_is_not_torch_rmsprop_with_epsilon",
        statement="With the same ε > 0, Keras's RMSprop (ε under the root) is not PyTorch's (ε outside it).",
        left=SpecUpdate("RMSprop"),
        right=SpecUpdate("TorchRMSprop", substitution={alpha: rho}),
        holds=False,
    ),
)
