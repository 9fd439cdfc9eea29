"""Adam with its amsgrad option, in the Keras 3 ("epsilon hat") convention.

Keras folds both bias corrections into the step size ``alpha_t`` and adds ε
to the root of the *uncorrected* second moment. That is the paper's form
with an effective ε that changes with t (see the relations in this file).
"""

from sympy import Interval, Max, oo, sqrt, symbols

from codegen.spec import Convention, Hyperparameter, OptimizerSpec, Option, State, eta, g, learning_rate, t, w

beta_1, beta_2, epsilon = symbols("beta_1 beta_2 epsilon")
m, v, vhat, alpha = symbols("m v vhat alpha_t")

SPEC = OptimizerSpec(
    name="Adam",
    aliases=("adam",),
    summary="Adaptive moment estimation: bias-corrected moving averages of g and g squared.",
    hyperparameters=(
        learning_rate(0.001),
        Hyperparameter(beta_1, "beta_1", 0.9, Interval.Ropen(0, 1), "decay rate of the first moment"),
        Hyperparameter(beta_2, "beta_2", 0.999, Interval.Ropen(0, 1), "decay rate of the second moment"),
        Hyperparameter(epsilon, "epsilon", 1e-7, Interval(0, oo), r"the paper's $\hat\epsilon$"),
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
)
