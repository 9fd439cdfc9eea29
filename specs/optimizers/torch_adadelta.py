"""PyTorch's Adadelta (``torch.optim.Adadelta``): Keras's rule with PyTorch's defaults and an L2 term."""

from sympy import Interval, oo, symbols

from codegen.language.optimizer import Convention, Counterpart, Hyperparameter, Option, Typical, derive, eta, g, w
from codegen.language.relations import Equivalence, SpecUpdate
from specs.optimizers.adadelta import SPEC as KERAS_ADADELTA

rho, epsilon, lambda_l2, g_l2, Eg, Ex = symbols("rho epsilon lambda_l2 g_l2 E_g E_x")

SPEC = derive(
    KERAS_ADADELTA,
    name="TorchAdadelta",
    aliases=("torch_adadelta",),
    summary="Adadelta as torch.optim.Adadelta computes it: the same rule, other defaults, L2 weight decay.",
    substitution={g: g_l2},
    text="g → g + λw",
    note="the same rule; only the defaults and the L2 term differ.",
    prepend=((g_l2, g + lambda_l2 * w),),
    hyperparameters=(
        *KERAS_ADADELTA.hyperparameters,
        Hyperparameter(
            lambda_l2,
            "weight_decay",
            0.0,
            Interval(0, oo),
            "L2 penalty: λw is added to g",
            typical=Typical(1e-3, 1e-1, log=True),
        ),
    ),
    defaults={"learning_rate": 1.0, "rho": 0.9, "epsilon": 1e-6},
    options=(Option("weight_decay", when_off={lambda_l2: 0}, kind="nonzero", description="no L2 term"),),
    base_options="none",
    convention="PyTorch",
    references=KERAS_ADADELTA.references,
    conventions=(
        Convention("Keras 3", r"\texttt{Adadelta}: the same rule, defaults $\eta = 10^{-3}$, $\rho = 0.95$."),
    ),
    latex_names={**KERAS_ADADELTA.latex_names, g_l2: r"\tilde g", lambda_l2: r"\lambda"},
    counterparts=(
        Counterpart(
            "torch.optim.Adadelta",
            arguments=(("lr", eta), ("rho", rho), ("eps", epsilon), ("weight_decay", lambda_l2)),
        ),
        Counterpart(
            "optax.adadelta",
            arguments=(("learning_rate", eta), ("rho", rho), ("eps", epsilon), ("weight_decay", lambda_l2)),
            broken_defaults=("learning_rate",),
        ),
    ),
)

RELATIONS = (
    Equivalence(
        name="keras_adadelta_is_torch_adadelta",
        statement="Keras's Adadelta is PyTorch's without weight decay, for the same η, ρ and ε.",
        left=SpecUpdate("Adadelta"),
        right=SpecUpdate("TorchAdadelta"),
        state_map={Eg: Eg, Ex: Ex},
    ),
)
