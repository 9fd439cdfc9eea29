"""Adagrad, in the Keras 3 convention (ε inside the square root, accumulator starting at 0.1)."""

from sympy import Interval, oo, sqrt, symbols

from codegen.language.optimizer import (
    Convention,
    Counterpart,
    Hyperparameter,
    OptimizerSpec,
    State,
    Typical,
    eta,
    g,
    learning_rate,
    w,
)
from codegen.language.relations import ScaleInvariance, SpecUpdate

A, A0, epsilon = symbols("A A_0 epsilon")

SPEC = OptimizerSpec(
    name="Adagrad",
    aliases=("adagrad",),
    summary="Per-coordinate step sizes from the running sum of squared gradients.",
    hyperparameters=(
        learning_rate(0.001),
        # Never 0 when drawn: with ε = 0 too, a coordinate whose gradients have all been 0 computes 0/0, as Keras does.
        Hyperparameter(
            A0,
            "initial_accumulator_value",
            0.1,
            Interval(0, oo),
            "initial accumulator",
            typical=Typical(1e-2, 1.0, log=True),
        ),
        # Large enough that ε inside or outside the root tells the conventions apart (see adam.py).
        Hyperparameter(
            epsilon,
            "epsilon",
            1e-7,
            Interval(0, oo),
            "added inside the square root",
            typical=Typical(1e-3, 1e-1, log=True),
        ),
    ),
    state=(State(A, "accumulator", A0, "sum of squared gradients"),),
    update=(
        (A, A + g**2),
        (w, w - eta * g / sqrt(A + epsilon)),
    ),
    references=(
        "J. Duchi, E. Hazan, Y. Singer, Adaptive subgradient methods for online learning "
        "and stochastic optimization, JMLR 12, 2011.",
    ),
    conventions=(
        Convention(
            "PyTorch",
            r"puts $\epsilon$ outside the root, $w \leftarrow w - \eta_t g/(\sqrt{A}+\epsilon)$, "
            r"starts the accumulator at 0, defaults to $\epsilon = 10^{-10}$, $\eta = 10^{-2}$, "
            r"and decays the rate as $\eta_t = \eta/(1 + (t-1)\,\mathrm{lr\_decay})$.",
        ),
        Convention("Optax", r"\texttt{adagrad} is this update (accumulator 0.1, $\epsilon$ inside)."),
    ),
    counterparts=(
        Counterpart("keras.optimizers.Adagrad"),
        Counterpart(
            "optax.adagrad",
            arguments=(("learning_rate", eta), ("initial_accumulator_value", A0), ("eps", epsilon)),
        ),
        Counterpart(
            "torch.optim.Adagrad",
            arguments=(("lr", eta), ("eps", epsilon), ("initial_accumulator_value", A0)),
            same=False,
            note="torch adds ε outside the root (TorchAdagrad's convention)",
        ),
    ),
)

RELATIONS = (
    ScaleInvariance(
        name="adagrad_is_scale_invariant",
        statement=(
            "Adagrad's trajectory does not change when every gradient is multiplied by c > 0, "
            "provided ε = 0 and the accumulator starts at 0; neither condition can be dropped."
        ),
        update=SpecUpdate("Adagrad"),
        conditions={epsilon: 0, A0: 0},
    ),
)
