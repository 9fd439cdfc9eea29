"""Nadam (Adam with Nesterov momentum), in the Keras 3 convention.

The momentum schedule is ``μ_t = β1 (1 − ½·0.96^t)``; the product of all μ's
so far is one scalar for the whole optimizer, updated once per step.
"""

from sympy import Interval, Rational, oo, sqrt, symbols

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
    t,
    w,
)
from codegen.language.relations import Equivalence, ScaleInvariance, SpecUpdate, WrittenUpdate

beta_1, beta_2, epsilon = symbols("beta_1 beta_2 epsilon")
m, v, Pi = symbols("m v Pi")
mu_t, mu_next, mhat, vhat = symbols("mu_t mu_next mhat vhat")

decay = Rational(96, 100)

SPEC = OptimizerSpec(
    name="Nadam",
    aliases=("nadam",),
    summary="Adam whose first moment takes a Nesterov look-ahead, with a warming momentum schedule.",
    hyperparameters=(
        learning_rate(0.001),
        Hyperparameter(
            beta_1, "beta_1", 0.9, Interval.Ropen(0, 1), "decay rate of the first moment", typical=Typical(0.5, 0.99)
        ),
        Hyperparameter(
            beta_2,
            "beta_2",
            0.999,
            Interval.Ropen(0, 1),
            "decay rate of the second moment",
            typical=Typical(0.8, 0.999),
        ),
        # Large enough that where ε sits tells the conventions apart (see adam.py).
        Hyperparameter(
            epsilon,
            "epsilon",
            1e-7,
            Interval(0, oo),
            "added to the root of the corrected v",
            typical=Typical(1e-3, 1e-1, log=True),
        ),
    ),
    state=(
        State(m, "momentum", 0, "first moment: moving average of g"),
        State(v, "velocity", 0, "second moment: moving average of g squared"),
        State(Pi, "momentum_product", 1, "product μ₁···μ_t", scope="optimizer"),
    ),
    update=(
        (mu_t, beta_1 * (1 - decay**t / 2)),
        (mu_next, beta_1 * (1 - decay ** (t + 1) / 2)),
        (Pi, Pi * mu_t),
        (m, m + (1 - beta_1) * (g - m)),
        (v, v + (1 - beta_2) * (g**2 - v)),
        (mhat, mu_next * m / (1 - Pi * mu_next) + (1 - mu_t) * g / (1 - Pi)),
        (vhat, v / (1 - beta_2**t)),
        (w, w - eta * mhat / (sqrt(vhat) + epsilon)),
    ),
    references=("T. Dozat, Incorporating Nesterov momentum into Adam, ICLR 2016 workshop.",),
    conventions=(
        Convention(
            "PyTorch",
            r"\texttt{NAdam} uses $\mu_t = \beta_1(1 - \tfrac12 0.96^{\psi t})$ with "
            r"\texttt{momentum\_decay} $\psi = 0.004$, $\eta = 2\cdot 10^{-3}$, $\epsilon = 10^{-8}$; "
            r"with $\psi = 1$ it is this update. Legacy tf.keras Nadam is PyTorch's default $\psi$.",
        ),
        Convention("Optax", r"\texttt{nadam} keeps $\mu_t = \beta_1$ constant (the limit $\psi \to \infty$)."),
    ),
    latex_names={mu_next: r"\mu_{t+1}", Pi: r"\Pi"},
    counterparts=(
        Counterpart("keras.optimizers.Nadam"),
        Counterpart(
            "torch.optim.NAdam",
            arguments=(("lr", eta), ("betas", (beta_1, beta_2)), ("eps", epsilon)),
            same=False,
            note=(
                "torch's default momentum_decay 0.004 is the legacy tf.keras schedule (TorchNAdam); "
                "momentum_decay=1 would be Keras 3's"
            ),
        ),
    ),
)

RELATIONS = (
    Equivalence(
        name="nadam_beta_1_zero_is_bias_corrected_rmsprop",
        statement=(
            "Nadam with β1 = 0 is RMSprop (decay β2) with the bias-corrected average v/(1 − β2^t) "
            "and the same ε outside the root (unlike Adam, whose ε̂ becomes ε̂/√(1 − β2^t))."
        ),
        left=SpecUpdate("Nadam", substitution={beta_1: 0}),
        right=WrittenUpdate(
            "RMSprop with bias correction, ε outside the root",
            assignments=(
                (v, beta_2 * v + (1 - beta_2) * g**2),
                (w, w - eta * g / (sqrt(v / (1 - beta_2**t)) + epsilon)),
            ),
            initial={v: 0},
        ),
        state_map={v: v},
    ),
    ScaleInvariance(
        name="nadam_is_scale_invariant",
        statement="Nadam's trajectory does not change when every gradient is multiplied by c > 0, provided ε = 0.",
        update=SpecUpdate("Nadam"),
        conditions={epsilon: 0},
    ),
)
