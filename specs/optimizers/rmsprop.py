"""RMSprop with its momentum and centered options, in the Keras 3 convention.

ε is added inside the square root; with momentum, the buffer holds the
learning rate (``b ← μb + ηg/√D``).
"""

from sympy import Interval, oo, sqrt, symbols

from codegen.spec import Convention, Hyperparameter, OptimizerSpec, Option, State, eta, g, learning_rate, w

rho, mu, epsilon = symbols("rho mu epsilon")
v, gbar, b, D, Delta = symbols("v gbar b D Delta")

SPEC = OptimizerSpec(
    name="RMSprop",
    aliases=("rmsprop",),
    summary="Steps scaled by a moving root mean square of the gradient.",
    hyperparameters=(
        learning_rate(0.001),
        Hyperparameter(rho, "rho", 0.9, Interval.Ropen(0, 1), "decay rate of the moving averages"),
        Hyperparameter(mu, "momentum", 0.0, Interval(0, 1), "momentum coefficient"),
        Hyperparameter(epsilon, "epsilon", 1e-7, Interval(0, oo), "added inside the square root"),
    ),
    state=(
        State(v, "velocity", 0, "moving average of the squared gradient"),
        State(gbar, "average_gradient", 0, "moving average of the gradient (centered)"),
        State(b, "momentum", 0, "momentum buffer, learning rate included"),
    ),
    update=(
        (v, rho * v + (1 - rho) * g**2),
        (gbar, rho * gbar + (1 - rho) * g),
        (D, v - gbar**2 + epsilon),
        (Delta, eta * g / sqrt(D)),
        (b, mu * b + Delta),
        (w, w - b),
    ),
    options=(
        Option("centered", when_off={gbar: 0}, description="normalise by the variance, not the raw second moment"),
        Option("momentum", when_off={mu: 0}, kind="nonzero", description="no momentum buffer is kept"),
    ),
    references=(
        "T. Tieleman, G. Hinton, Lecture 6.5 - RMSProp, COURSERA: Neural Networks for Machine Learning, 2012.",
        "A. Graves, Generating sequences with recurrent neural networks, arXiv:1308.0850, 2013 (centered form).",
    ),
    conventions=(
        Convention(
            "PyTorch",
            r"puts $\epsilon$ outside the root, $\Delta = g/(\sqrt{D'}+\epsilon)$, names $\rho$ "
            r"\texttt{alpha} (default 0.99), defaults to $\epsilon = 10^{-8}$, and keeps $\eta$ "
            r"outside the momentum buffer; identical to this update only when $\epsilon = 0$.",
        ),
        Convention("Optax", r"\texttt{rmsprop} with \texttt{eps\_in\_sqrt=True} is this update."),
    ),
    latex_names={D: "D", Delta: r"\Delta"},
)
