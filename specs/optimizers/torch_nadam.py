"""PyTorch's NAdam (``torch.optim.NAdam``), derived from Keras's Nadam by substitution.

PyTorch's momentum schedule is μ_t = β1(1 − ½·0.96^(ψt)) with ``momentum_decay``
ψ = 0.004; Keras 3's is the same with ψ = 1. PyTorch also adds an L2 term.
"""

from sympy import Interval, Rational, oo, symbols

from codegen.language.optimizer import Convention, Counterpart, Hyperparameter, Option, Typical, derive, eta, g, w
from codegen.language.relations import Equivalence, SpecUpdate
from specs.optimizers.nadam import SPEC as KERAS_NADAM
from specs.optimizers.nadam import decay

beta_1, beta_2, epsilon = symbols("beta_1 beta_2 epsilon")
psi, lambda_l2, g_l2, m, v, Pi = symbols("psi lambda_l2 g_l2 m v Pi")

SPEC = derive(
    KERAS_NADAM,
    name="TorchNAdam",
    aliases=("torch_nadam",),
    summary="Nadam as torch.optim.NAdam computes it: a slower momentum warm-up, L2 weight decay.",
    substitution={decay: decay**psi, g: g_l2},
    text="0.96 → 0.96^ψ, g → g + λw",
    note="the momentum schedule is β1(1 − ½·0.96^(ψt)) with momentum_decay ψ (0.004 by default; Keras 3 is ψ = 1).",
    prepend=((g_l2, g + lambda_l2 * w),),
    hyperparameters=(
        *KERAS_NADAM.hyperparameters,
        # Around PyTorch's default: the momentum warms up over a few hundred to a few thousand steps.
        Hyperparameter(
            psi, "momentum_decay", 0.004, Interval.Lopen(0, oo), "ψ in 0.96^(ψt)", typical=Typical(1e-3, 1e-2, log=True)
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
    defaults={"learning_rate": 0.002, "epsilon": 1e-8},
    options=(Option("weight_decay", when_off={lambda_l2: 0}, kind="nonzero", description="no L2 term"),),
    base_options="none",
    convention="PyTorch",
    references=KERAS_NADAM.references,
    conventions=(
        Convention("Keras 3", r"\texttt{Nadam} is this update with $\psi = 1$ and no L2 term."),
        Convention("tf.keras (legacy)", r"\texttt{Nadam} is this update with the default $\psi = 0.004$."),
    ),
    latex_names={**KERAS_NADAM.latex_names, psi: r"\psi", g_l2: r"\tilde g", lambda_l2: r"\lambda"},
    counterparts=(
        Counterpart(
            "torch.optim.NAdam",
            arguments=(
                ("lr", eta),
                ("betas", (beta_1, beta_2)),
                ("eps", epsilon),
                ("weight_decay", lambda_l2),
                ("momentum_decay", psi),
            ),
        ),
    ),
)

RELATIONS = (
    Equivalence(
        name="keras_nadam_is_torch_nadam_with_unit_momentum_decay",
        statement="Keras 3's Nadam is PyTorch's NAdam with momentum_decay ψ = 1 (and no weight decay).",
        left=SpecUpdate("Nadam"),
        right=SpecUpdate("TorchNAdam", substitution={psi: 1}),
        state_map={m: m, v: v, Pi: Pi},
    ),
    Equivalence(
        name="keras_nadam_is_not_torch_nadam_with_default_momentum_decay",
        statement="Keras 3's Nadam is not PyTorch's NAdam with its default momentum_decay ψ = 0.004.",
        left=SpecUpdate("Nadam"),
        right=SpecUpdate("TorchNAdam", substitution={psi: Rational(4, 1000)}),
        holds=False,
    ),
)
