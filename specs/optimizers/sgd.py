"""Stochastic gradient descent, with optional (Nesterov) momentum, in the Keras 3 convention.

The velocity holds the learning rate (``v ← μv − ηg``), as Keras stores it;
PyTorch and Optax keep η outside the buffer, which is the same update only
while η is constant.
"""

from sympy import Interval, symbols

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
    w,
)
from codegen.language.relations import Equivalence, ScaleInvariance, SpecUpdate, WrittenUpdate

mu, v = symbols("mu v")

SPEC = OptimizerSpec(
    name="SGD",
    aliases=("sgd",),
    summary="Gradient descent with optional momentum and Nesterov momentum.",
    hyperparameters=(
        learning_rate(0.01),
        Hyperparameter(mu, "momentum", 0.0, Interval(0, 1), "momentum coefficient", typical=Typical(0.5, 0.95)),
    ),
    state=(State(v, "velocity", 0, "velocity: the step applied last time, learning rate included"),),
    update=(
        (v, mu * v - eta * g),
        (w, w + mu * v - eta * g),
    ),
    options=(
        Option("momentum", when_off={mu: 0}, kind="nonzero", description="no velocity is kept"),
        Option(
            "nesterov",
            when_off={mu * v - eta * g: v},
            applies_to=(w,),
            description="look-ahead momentum: step along the new velocity once more",
        ),
    ),
    references=(
        "B. T. Polyak, Some methods of speeding up the convergence of iteration methods, 1964.",
        "I. Sutskever, J. Martens, G. Dahl, G. Hinton, On the importance of initialization "
        "and momentum in deep learning, ICML 2013.",
    ),
    conventions=(
        Convention(
            "PyTorch",
            r"keeps the learning rate outside the buffer: $b \leftarrow \mu b + g$, "
            r"$w \leftarrow w - \eta b$ (Nesterov: $w \leftarrow w - \eta (g + \mu b)$); "
            r"identical to this update for a constant $\eta$, not under a schedule.",
        ),
        Convention("Optax", r"\texttt{sgd} uses PyTorch's form: $t \leftarrow g + \mu t$."),
    ),
    counterparts=(
        Counterpart("keras.optimizers.SGD"),
        Counterpart(
            "torch.optim.SGD",
            arguments=(("lr", eta), ("momentum", mu), ("nesterov", "nesterov")),
            same=False,
            note="torch's buffer leaves η out: the same steps while η is constant (TorchSGD's convention)",
        ),
    ),
)

# The textbook update, written out so the reductions below do not lean on this spec's own zero-momentum variant.
gradient_descent = WrittenUpdate("gradient descent", assignments=((w, w - eta * g),))
b = symbols("b")

RELATIONS = (
    Equivalence(
        name="sgd_momentum_zero_is_gradient_descent",
        statement="SGD's momentum update with μ = 0 is plain gradient descent, w ← w − ηg.",
        left=SpecUpdate("SGD", options={"momentum": True}, substitution={mu: 0}),
        right=gradient_descent,
    ),
    Equivalence(
        name="sgd_nesterov_momentum_zero_is_gradient_descent",
        statement="SGD's Nesterov momentum update with μ = 0 is plain gradient descent, w ← w − ηg.",
        left=SpecUpdate("SGD", options={"momentum": True, "nesterov": True}, substitution={mu: 0}),
        right=gradient_descent,
    ),
    Equivalence(
        name="sgd_momentum_is_pytorch_momentum",
        statement="For a constant η, Keras's velocity (η inside) is PyTorch's buffer b ← μb + g times −η.",
        left=SpecUpdate("SGD", options={"momentum": True}),
        right=WrittenUpdate(
            "PyTorch SGD with momentum, dampening 0",
            assignments=((b, mu * b + g), (w, w - eta * b)),
            initial={b: 0},
        ),
        state_map={v: -eta * b},
    ),
    ScaleInvariance(
        name="sgd_is_not_scale_invariant",
        statement="SGD's step is proportional to g: scaling every gradient by c ≠ 1 changes w, for every η > 0.",
        update=SpecUpdate("SGD"),
        holds=False,
        for_all=(eta,),
    ),
)
