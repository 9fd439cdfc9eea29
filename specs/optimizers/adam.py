"""Adam with its amsgrad option, in the Keras 3 ("epsilon hat") convention.

Keras folds both bias corrections into the step size ``alpha_t`` and adds ε
to the root of the *uncorrected* second moment. That is the paper's form
with an effective ε that changes with t (see the relations in this file).
"""

from sympy import Interval, Max, oo, sqrt, symbols

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
    t,
    w,
)
from codegen.language.relations import Equivalence, ScaleInvariance, SpecUpdate, Unbiased, WrittenUpdate

beta_1, beta_2, epsilon = symbols("beta_1 beta_2 epsilon")
m, v, vhat, alpha = symbols("m v vhat alpha_t")

# Where the decay rates are set in practice. ε is taken large (1e-3 to 1e-1), not at its tiny default: there, where
# ε sits (inside or outside a root, bias-corrected or not) changes the step by far more than rounding, which is what
# tells the conventions apart; the specs deriving from this one share these ranges.
TYPICAL_BETA_1 = Typical(0.5, 0.99)
TYPICAL_BETA_2 = Typical(0.8, 0.999)
TYPICAL_EPSILON = Typical(1e-3, 1e-1, log=True)

SPEC = OptimizerSpec(
    name="Adam",
    aliases=("adam",),
    summary="Adaptive moment estimation: bias-corrected moving averages of g and g squared.",
    hyperparameters=(
        learning_rate(0.001),
        Hyperparameter(
            beta_1, "beta_1", 0.9, Interval.Ropen(0, 1), "decay rate of the first moment", typical=TYPICAL_BETA_1
        ),
        Hyperparameter(
            beta_2, "beta_2", 0.999, Interval.Ropen(0, 1), "decay rate of the second moment", typical=TYPICAL_BETA_2
        ),
        Hyperparameter(epsilon, "epsilon", 1e-7, Interval(0, oo), "the paper's ε̂", typical=TYPICAL_EPSILON),
    ),
    state=(
        State(m, "momentum", 0, "first moment: moving average of g"),
        State(v, "velocity", 0, "second moment: moving average of g squared"),
        State(vhat, "velocity_hat", 0, "running maximum of the second moment (amsgrad)"),
    ),
    update=(
        (alpha, eta * sqrt(1 - beta_2**t) / (1 - beta_1**t)),
        (m, m + (1 - beta_1) * (g - m)),
        (v, v + (1 - beta_2) * (g**2 - v)),
        (vhat, Max(vhat, v)),
        (w, w - alpha * m / (sqrt(vhat) + epsilon)),
    ),
    options=(Option("amsgrad", when_off={Max(vhat, v): v}, description="divide by the running maximum of v"),),
    references=(
        "D. P. Kingma, J. Ba, Adam: a method for stochastic optimization, ICLR 2015.",
        "S. J. Reddi, S. Kale, S. Kumar, On the convergence of Adam and beyond, ICLR 2018 (AMSGrad).",
    ),
    conventions=(
        Convention(
            "PyTorch",
            r"uses the paper's Algorithm 1, $w \leftarrow w - \eta\,\hat m/(\sqrt{\hat v}+\epsilon)$ "
            r"with $\epsilon = 10^{-8}$; equal to this update if and only if "
            r"$\hat\epsilon = \epsilon\sqrt{1-\beta_2^t}$ at every step, so no constant mapping exists.",
        ),
        Convention(
            "Optax",
            r"\texttt{adam} is PyTorch's form; \texttt{amsgrad} takes the maximum over the "
            r"bias-corrected $\hat v$ instead of the raw $v$.",
        ),
    ),
    counterparts=(
        Counterpart("keras.optimizers.Adam"),
        Counterpart(
            "torch.optim.Adam",
            arguments=(("lr", eta), ("betas", (beta_1, beta_2)), ("eps", epsilon), ("amsgrad", "amsgrad")),
            same=False,
            note="torch adds ε to the root of the bias-corrected v̂ (TorchAdam's convention)",
        ),
    ),
)


def paper_adam(epsilon_t):
    """Algorithm 1 of the paper (PyTorch's and Optax's Adam), with the ε added to √v̂ given as ``epsilon_t``."""
    m_hat, v_hat = symbols("m_hat v_hat")
    return WrittenUpdate(
        f"paper-form Adam with ε = {epsilon_t}",
        assignments=(
            (m, beta_1 * m + (1 - beta_1) * g),
            (v, beta_2 * v + (1 - beta_2) * g**2),
            (m_hat, m / (1 - beta_1**t)),
            (v_hat, v / (1 - beta_2**t)),
            (w, w - eta * m_hat / (sqrt(v_hat) + epsilon_t)),
        ),
        initial={m: 0, v: 0},
    )


# Keras's ε̂ is added to √v, paper-form ε to √v̂ = √v/√(1 − β2^t): they agree when ε = ε̂/√(1 − β2^t).
step_epsilon = epsilon / sqrt(1 - beta_2**t)

RELATIONS = (
    Equivalence(
        name="adam_is_paper_adam_with_step_dependent_epsilon",
        statement="Keras's Adam (ε̂ form) is the paper's Adam with the step-dependent ε = ε̂/√(1 − β2^t).",
        left=SpecUpdate("Adam"),
        right=paper_adam(step_epsilon),
        state_map={m: m, v: v},
    ),
    Equivalence(
        name="adam_is_not_paper_adam_with_the_same_epsilon",
        statement="Keras's Adam is not the paper's Adam with the same constant ε = ε̂: no constant mapping exists.",
        left=SpecUpdate("Adam"),
        right=paper_adam(epsilon),
        holds=False,
    ),
    Equivalence(
        name="adam_beta_1_zero_is_bias_corrected_rmsprop",
        statement=(
            "Adam with β1 = 0 is RMSprop (decay β2) with the bias-corrected average v/(1 − β2^t) "
            "and ε outside the root, where that ε is ε̂/√(1 − β2^t)."
        ),
        left=SpecUpdate("Adam", substitution={beta_1: 0}),
        right=WrittenUpdate(
            "RMSprop with bias correction, ε outside the root",
            assignments=(
                (v, beta_2 * v + (1 - beta_2) * g**2),
                (w, w - eta * g / (sqrt(v / (1 - beta_2**t)) + step_epsilon)),
            ),
            initial={v: 0},
        ),
        state_map={v: v},
    ),
    Unbiased(
        name="adam_first_moment_is_unbiased",
        statement="For a constant gradient g, Adam's bias-corrected first moment m_t/(1 − β1^t) is g at every step.",
        update=SpecUpdate("Adam"),
        state=m,
        correction=1 - beta_1**t,
        expected=g,
    ),
    Unbiased(
        name="adam_second_moment_is_unbiased",
        statement="For a constant gradient g, Adam's bias-corrected second moment v_t/(1 − β2^t) is g² at every step.",
        update=SpecUpdate("Adam"),
        state=v,
        correction=1 - beta_2**t,
        expected=g**2,
    ),
    ScaleInvariance(
        name="adam_is_scale_invariant",
        statement="Adam's trajectory does not change when every gradient is multiplied by c > 0, provided ε̂ = 0.",
        update=SpecUpdate("Adam"),
        conditions={epsilon: 0},
    ),
)
