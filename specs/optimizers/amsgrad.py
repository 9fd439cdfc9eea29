"""AMSGrad, in Optax's convention (``optax.amsgrad``): Adam divided by the running maximum of its second moment.

Optax takes the maximum of the bias-corrected second moment, v̂ ← max(v̂, v/(1 − β2ᵗ)); PyTorch's
``Adam(amsgrad=True)`` takes it of v itself and corrects afterwards: the two part as soon as a smaller gradient
makes the corrected moment fall. Either bias correction can be switched off, and ε_root is added under the root.
Optax has no default learning rate; trainspec takes Adam's, 10⁻³.
"""

from sympy import Interval, Max, oo, sqrt, symbols

from codegen.language.optimizer import (
    Convention,
    Counterpart,
    Hyperparameter,
    OptimizerSpec,
    Option,
    State,
    Typical,
    eta,
    g,
    learning_rate,
    t,
    w,
)
from codegen.language.relations import Equivalence, SpecUpdate, WrittenUpdate
from specs.optimizers.adam import SPEC as KERAS_ADAM
from specs.optimizers.adam import TYPICAL_EPSILON

beta_1, beta_2, epsilon, epsilon_root = symbols("beta_1 beta_2 epsilon epsilon_root")
m, v, v_max = symbols("m v v_max")

SPEC = OptimizerSpec(
    name="AMSGrad",
    aliases=("amsgrad",),
    summary="Adam over the running maximum of the bias-corrected second moment, so that no step size grows.",
    hyperparameters=(
        learning_rate(0.001),
        KERAS_ADAM.hyperparameter("beta_1"),
        KERAS_ADAM.hyperparameter("beta_2"),
        Hyperparameter(epsilon, "epsilon", 1e-8, Interval(0, oo), "added to the root", typical=TYPICAL_EPSILON),
        Hyperparameter(
            epsilon_root,
            "epsilon_root",
            0.0,
            Interval(0, oo),
            "added under the root",
            typical=Typical(1e-8, 1e-3, log=True),
        ),
    ),
    state=(
        State(m, "mu", 0, "first moment: moving average of g"),
        State(v, "nu", 0, "second moment: moving average of g squared"),
        State(v_max, "nu_max", 0, "running maximum of the (bias-corrected) second moment"),
    ),
    update=(
        (m, beta_1 * m + (1 - beta_1) * g),
        (v, beta_2 * v + (1 - beta_2) * g**2),
        (v_max, Max(v_max, v / (1 - beta_2**t))),
        (w, w - eta * (m / (1 - beta_1**t)) / (sqrt(v_max + epsilon_root) + epsilon)),
    ),
    options=(
        Option(
            "bias_correction_mu",
            when_off={1 - beta_1**t: 1},
            default=True,
            description="divide the first moment by 1 − β1ᵗ",
        ),
        Option(
            "bias_correction_nu",
            when_off={1 - beta_2**t: 1},
            default=True,
            description="divide the second moment by 1 − β2ᵗ before the maximum",
        ),
    ),
    base_options="none",
    convention="Optax",
    references=("S. J. Reddi, S. Kale, S. Kumar, On the convergence of Adam and beyond, ICLR 2018.",),
    conventions=(
        Convention(
            "PyTorch",
            r"\texttt{Adam(amsgrad=True)} keeps the maximum of the raw second moment, $\hat v \leftarrow "
            r"\max(\hat v, v)$, and divides by $\sqrt{\hat v}/\sqrt{1 - \beta_2^t} + \epsilon$ (\texttt{TorchAdam}): "
            r"the same step until the bias-corrected moment falls, then a larger one.",
        ),
    ),
    latex_names={v_max: r"\hat{v}", epsilon_root: r"\epsilon_{\mathrm{root}}"},
    counterparts=(
        Counterpart(
            "optax.amsgrad",
            arguments=(
                ("learning_rate", eta),
                ("b1", beta_1),
                ("b2", beta_2),
                ("eps", epsilon),
                ("eps_root", epsilon_root),
                ("bias_correction_mu", "bias_correction_mu"),
                ("bias_correction_nu", "bias_correction_nu"),
            ),
        ),
    ),
)

RELATIONS = (
    Equivalence(
        name="amsgrad_is_reddi_et_al_algorithm_2",
        statement=(
            "Without bias corrections and with ε = ε_root = 0, AMSGrad is Reddi et al.'s Algorithm 2 at a constant "
            "rate: m ← β1m + (1 − β1)g, v ← β2v + (1 − β2)g², v̂ ← max(v̂, v), w ← w − ηm/√v̂."
        ),
        left=SpecUpdate(
            "AMSGrad",
            options={"bias_correction_mu": False, "bias_correction_nu": False},
            substitution={epsilon: 0, epsilon_root: 0},
        ),
        right=WrittenUpdate(
            "AMSGrad, Reddi et al. 2018, Algorithm 2",
            assignments=(
                (m, beta_1 * m + (1 - beta_1) * g),
                (v, beta_2 * v + (1 - beta_2) * g**2),
                (v_max, Max(v_max, v)),
                (w, w - eta * m / sqrt(v_max)),
            ),
            initial={m: 0, v: 0, v_max: 0},
        ),
        state_map={m: m, v: v, v_max: v_max},
    ),
)
