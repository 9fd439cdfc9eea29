"""PyTorch's Adagrad (``torch.optim.Adagrad``), derived from Keras's Adagrad by substitution.

PyTorch adds ε outside the root, starts the accumulator at 0 by default, decays
the rate as η/(1 + (t − 1)·lr_decay), and adds an L2 term to the gradient.
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
    t,
    w,
)
from codegen.language.relations import Equivalence, SpecUpdate, WrittenUpdate
from specs.optimizers.adagrad import SPEC as KERAS_ADAGRAD

A, A0, epsilon, kappa, lambda_l2, g_l2 = symbols("A A_0 epsilon kappa lambda_l2 g_l2")

SPEC = derive(
    KERAS_ADAGRAD,
    name="TorchAdagrad",
    aliases=("torch_adagrad",),
    summary="Adagrad as torch.optim.Adagrad computes it: ε outside the root, a decaying rate.",
    substitution={sqrt(A + epsilon): sqrt(A) + epsilon, eta: eta / (1 + (t - 1) * kappa), g: g_l2},
    text="√(A + ε) → √A + ε, η → η/(1 + (t − 1)κ), g → g + λw",
    note="ε is outside the root, the accumulator starts at 0, and the rate decays with lr_decay.",
    prepend=((g_l2, g + lambda_l2 * w),),
    hyperparameters=(
        learning_rate(0.01),
        Hyperparameter(
            kappa,
            "lr_decay",
            0.0,
            Interval(0, oo),
            "the rate at step t is η/(1 + (t − 1)κ)",
            typical=Typical(1e-3, 1e-1, log=True),
        ),
        Hyperparameter(
            A0,
            "initial_accumulator_value",
            0.0,
            Interval(0, oo),
            "initial accumulator",
            typical=KERAS_ADAGRAD.hyperparameter("initial_accumulator_value").typical,
        ),
        Hyperparameter(
            epsilon,
            "epsilon",
            1e-10,
            Interval(0, oo),
            "added outside the square root",
            typical=KERAS_ADAGRAD.hyperparameter("epsilon").typical,
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
    options=(Option("weight_decay", when_off={lambda_l2: 0}, kind="nonzero", description="no L2 term"),),
    base_options="none",
    convention="PyTorch",
    references=KERAS_ADAGRAD.references,
    conventions=(
        Convention(
            "Keras 3",
            r"\texttt{Adagrad} adds $\epsilon$ under the root and starts the accumulator at 0.1: "
            r"identical to this update (lr\_decay 0) if and only if $\epsilon = 0$.",
        ),
    ),
    latex_names={kappa: r"\kappa", g_l2: r"\tilde g", lambda_l2: r"\lambda"},
    counterparts=(
        Counterpart(
            "torch.optim.Adagrad",
            arguments=(
                ("lr", eta),
                ("lr_decay", kappa),
                ("weight_decay", lambda_l2),
                ("initial_accumulator_value", A0),
                ("eps", epsilon),
            ),
        ),
    ),
)

RELATIONS = (
    Equivalence(
        name="torch_adagrad_is_pytorchs_documented_adagrad",
        statement=(
            "TorchAdagrad with its L2 term and rate decay is torch.optim.Adagrad's documented algorithm: "
            "g ← g + λw, A ← A + g², w ← w − η/(1 + (t − 1)κ) · g/(√A + ε), from A = A₀."
        ),
        left=SpecUpdate("TorchAdagrad", options={"weight_decay": True}),
        right=WrittenUpdate(
            "torch.optim.Adagrad as documented",
            assignments=(
                (g_l2, g + lambda_l2 * w),
                (A, A + g_l2**2),
                (w, w - eta / (1 + (t - 1) * kappa) * g_l2 / (sqrt(A) + epsilon)),
            ),
            initial={A: A0},
        ),
        state_map={A: A},
    ),
    Equivalence(
        name="keras_adagrad_is_torch_adagrad_without_epsilon",
        statement="Keras's Adagrad is PyTorch's (lr_decay 0, same initial accumulator) when ε = 0.",
        left=SpecUpdate("Adagrad", substitution={epsilon: 0}),
        right=SpecUpdate("TorchAdagrad", substitution={kappa: 0, epsilon: 0}),
        state_map={A: A},
    ),
    Equivalence(
        name="keras_adagrad_is_not_torch_adagrad_with_epsilon",
        statement="With the same ε > 0, Keras's Adagrad (ε under the root) is not PyTorch's (ε outside it).",
        left=SpecUpdate("Adagrad"),
        right=SpecUpdate("TorchAdagrad", substitution={kappa: 0}),
        holds=False,
    ),
)
