"""Adamax (Adam with the infinity norm), in the Keras 3 convention.

The second moment is replaced by an exponentially weighted infinity norm
``u ← max(β2 u, |g|)``; ε is added to u in the step, and only the first moment
is bias-corrected.
"""

from sympy import Abs, Interval, Max, oo, symbols

from codegen.language.optimizer import (
    Convention,
    Counterpart,
    Hyperparameter,
    OptimizerSpec,
    State,
    Typical,
    eta,
    g,
    lambda_wd,
    learning_rate,
    t,
    w,
)
from codegen.language.relations import Equivalence, SpecUpdate, WrittenUpdate

beta_1, beta_2, epsilon = symbols("beta_1 beta_2 epsilon")
m, u = symbols("m u")

SPEC = OptimizerSpec(
    name="Adamax",
    aliases=("adamax",),
    summary="Adam with the infinity norm: steps scaled by a decaying maximum of |g|.",
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
            "decay rate of the infinity norm",
            typical=Typical(0.8, 0.999),
        ),
        # Large enough that ε inside or outside the maximum tells the conventions apart (see adam.py).
        Hyperparameter(
            epsilon,
            "epsilon",
            1e-7,
            Interval.Lopen(0, oo),
            "added to the norm in the step",
            typical=Typical(1e-3, 1e-1, log=True),
        ),
    ),
    state=(
        State(m, "momentum", 0, "first moment: moving average of g"),
        State(u, "norm", 0, "exponentially weighted infinity norm of g"),
    ),
    update=(
        (m, m + (1 - beta_1) * (g - m)),
        (u, Max(beta_2 * u, Abs(g))),
        (w, w - eta * m / ((1 - beta_1**t) * (u + epsilon))),
    ),
    references=("D. P. Kingma, J. Ba, Adam: a method for stochastic optimization, ICLR 2015 (section 7.1).",),
    conventions=(
        Convention(
            "PyTorch",
            r"adds $\epsilon$ inside the maximum, $u \leftarrow \max(\beta_2 u, |g| + \epsilon)$, and "
            r"divides by $u$ alone; defaults $\eta = 2\cdot 10^{-3}$, $\epsilon = 10^{-8}$ "
            r"(\texttt{TorchAdamax}).",
        ),
    ),
    counterparts=(
        Counterpart("keras.optimizers.Adamax"),
        Counterpart(
            "torch.optim.Adamax",
            arguments=(("lr", eta), ("betas", (beta_1, beta_2)), ("eps", epsilon)),
            same=False,
            note="torch adds ε inside the maximum (TorchAdamax's convention)",
        ),
    ),
)

w_decayed = symbols("w_decayed")

RELATIONS = (
    Equivalence(
        name="adamax_is_kingma_ba_algorithm_2_with_kerass_epsilon_and_decay",
        statement=(
            "Adamax with Keras's decoupled weight decay is AdaMax as Kingma and Ba's Algorithm 2 writes it "
            "(m ← β₁m + (1 − β₁)g, u ← max(β₂u, |g|), w ← w − η/(1 − β₁ᵗ) · m/u), with ε added to u and "
            "w ← w − ληw first."
        ),
        left=SpecUpdate("Adamax", options={"weight_decay": True}),
        right=WrittenUpdate(
            "AdaMax, Kingma and Ba 2015, Algorithm 2, with ε and decoupled decay",
            assignments=(
                (w_decayed, w - lambda_wd * eta * w),
                (m, beta_1 * m + (1 - beta_1) * g),
                (u, Max(beta_2 * u, Abs(g))),
                (w, w_decayed - eta / (1 - beta_1**t) * m / (u + epsilon)),
            ),
            initial={m: 0, u: 0},
        ),
        state_map={m: m, u: u},
    ),
)
