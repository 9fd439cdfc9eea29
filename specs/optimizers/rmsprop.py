"""RMSprop with its momentum and centered options, in the Keras 3 convention.

ε is added inside the square root; with momentum, the buffer holds the
learning rate (``b ← μb + ηg/√D``).
"""

from sympy import Interval, oo, sqrt, symbols

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
from codegen.language.relations import Equivalence, ScaleInvariance, SpecUpdate

rho, mu, epsilon = symbols("rho mu epsilon")
v, gbar, b, D, Delta = symbols("v gbar b D Delta")

SPEC = OptimizerSpec(
    name="RMSprop",
    aliases=("rmsprop",),
    summary="Steps scaled by a moving root mean square of the gradient.",
    hyperparameters=(
        learning_rate(0.001),
        Hyperparameter(
            rho, "rho", 0.9, Interval.Ropen(0, 1), "decay rate of the moving averages", typical=Typical(0.5, 0.99)
        ),
        Hyperparameter(mu, "momentum", 0.0, Interval(0, 1), "momentum coefficient", typical=Typical(0.5, 0.95)),
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
    counterparts=(
        Counterpart("keras.optimizers.RMSprop"),
        Counterpart(
            "torch.optim.RMSprop",
            arguments=(
                ("lr", eta),
                ("alpha", rho),
                ("eps", epsilon),
                ("momentum", mu),
                ("centered", "centered"),
            ),
            same=False,
            note="torch's alpha is ρ; torch adds ε outside the root and keeps η out of the buffer (TorchRMSprop)",
        ),
    ),
    latex_names={D: "D", Delta: r"\Delta"},
)

# Adagrad's accumulator and its initial value, by name (a relation never imports another spec).
A, A0 = symbols("A A_0")
adagrad_from_zero = SpecUpdate("Adagrad", substitution={A0: 0})

RELATIONS = (
    Equivalence(
        name="rmsprop_unit_coefficients_is_adagrad",
        statement=(
            "RMSprop is Adagrad when the coefficient ρ on the old average and (1 − ρ) on g² are both "
            "replaced by 1 and both accumulators start at 0 (momentum 0, not centered)."
        ),
        left=SpecUpdate("RMSprop", substitution={rho * v: v, (1 - rho) * g**2: g**2}),
        right=adagrad_from_zero,
        state_map={v: A},
    ),
    Equivalence(
        name="rmsprop_rho_one_is_not_adagrad",
        statement=(
            "The naive ρ = 1 does not give Adagrad: the average stays at its initial 0, so every step is ηg/√ε."
        ),
        left=SpecUpdate("RMSprop", substitution={rho: 1}),
        right=adagrad_from_zero,
        state_map={v: A},
        holds=False,
    ),
    ScaleInvariance(
        name="rmsprop_is_scale_invariant",
        statement="RMSprop's trajectory does not change when every gradient is multiplied by c > 0, provided ε = 0.",
        update=SpecUpdate("RMSprop"),
        conditions={epsilon: 0},
    ),
    ScaleInvariance(
        name="centered_rmsprop_with_momentum_is_scale_invariant",
        statement=(
            "Centered RMSprop with momentum is also unchanged when every gradient is multiplied by c > 0, "
            "provided ε = 0."
        ),
        update=SpecUpdate("RMSprop", options={"centered": True, "momentum": True}),
        conditions={epsilon: 0},
    ),
)
