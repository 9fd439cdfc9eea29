"""Stochastic gradient descent, with optional (Nesterov) momentum, in the Keras 3 convention.

The velocity holds the learning rate (``v ← μv − ηg``), as Keras stores it;
PyTorch and Optax keep η outside the buffer, which is the same update only
while η is constant.
"""

from sympy import Interval, symbols

from codegen.spec import Convention, Hyperparameter, OptimizerSpec, Option, State, eta, g, learning_rate, w

mu, v = symbols("mu v")

SPEC = OptimizerSpec(
    name="SGD",
    aliases=("sgd",),
    summary="Gradient descent with optional momentum and Nesterov momentum.",
    hyperparameters=(
        learning_rate(0.01),
        Hyperparameter(mu, "momentum", 0.0, Interval(0, 1), "momentum coefficient"),
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
)
