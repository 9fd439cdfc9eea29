"""Averaged SGD as ``torch.optim.ASGD`` computes it: SGD with a decaying rate, and a running average of the parameter.

The parameter takes SGD steps at the rate η_t = η/(1 + λη(t − 1))^α, after
decaying by the factor 1 − λη_t. From step t₀ + 2 on, ``ax`` averages the
parameter's values since step t₀ + 1 (μ_t = 1/(t − 1 − t₀)); before that it
follows the parameter itself. The average is the second parameter sequence:
evaluate the model at ``ax`` (Polyak–Ruppert averaging). PyTorch computes the
step's η_t and μ_t from the previous step's count, so the first step runs at η.
η_t is also computed from the previous step's learning rate: PyTorch keeps it
in the optimizer's state, and under a schedule the rate a step uses lags the
schedule by one step. The spec keeps it as state too (``eta``).
"""

from sympy import Eq, Interval, Max, Piecewise, oo, symbols

from codegen.language.optimizer import (
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
from specs.optimizers.torch_adam import L2, L2_OPTION

lambd, alpha, t_0, lambda_l2 = symbols("lambd alpha t_0 lambda_l2")
ax, eta_t, mu_t, g_l2 = symbols("ax eta_t mu_t g_l2")

SPEC = OptimizerSpec(
    name="TorchASGD",
    aliases=("torch_asgd",),
    summary="SGD at a decaying rate, with a running average of the parameter (Polyak–Ruppert averaging).",
    hyperparameters=(
        learning_rate(0.01),
        Hyperparameter(
            lambd,
            "lambd",
            1e-4,
            Interval(0, oo),
            "decay term: slows the rate down over the steps, and shrinks the parameter",
            typical=Typical(1e-3, 1e-1, log=True),
        ),
        Hyperparameter(
            alpha, "alpha", 0.75, Interval(0, oo), "the power of the rate's decay", typical=Typical(0.5, 1.0)
        ),
        # Typical: averaging starts inside a run of some hundred steps.
        Hyperparameter(
            t_0, "t0", 1e6, Interval(0, oo), "the step after which averaging starts", typical=Typical(10.0, 150.0)
        ),
        L2,
    ),
    state=(
        State(ax, "ax", 0, "the average of the parameter since step t₀ + 1 (the parameter itself before)", output=True),
        State(
            eta_t, "eta", eta, "the rate of the next step, from this step's learning rate and count", scope="optimizer"
        ),
    ),
    update=(
        (g_l2, g + lambda_l2 * w),
        (mu_t, 1 / Max(1, t - 1 - t_0)),
        (w, w * (1 - lambd * eta_t) - eta_t * g_l2),
        (ax, Piecewise((w, Eq(mu_t, 1)), (ax + mu_t * (w - ax), True))),
        (eta_t, eta / (1 + lambd * eta * t) ** alpha),
    ),
    options=(L2_OPTION,),
    base_options="none",
    convention="PyTorch",
    references=(
        "B. T. Polyak, A. B. Juditsky, Acceleration of stochastic approximation by averaging, SIAM J. Control "
        "Optim. 30(4), 1992.",
    ),
    latex_names={
        lambd: r"\lambda",
        alpha: r"\alpha",
        t_0: "t_0",
        lambda_l2: r"\lambda_2",
        eta_t: r"\eta_t",
        mu_t: r"\mu_t",
        g_l2: r"\tilde g",
        ax: r"\bar w",
    },
    counterparts=(
        Counterpart(
            "torch.optim.ASGD",
            arguments=(("lr", eta), ("lambd", lambd), ("alpha", alpha), ("t0", t_0), ("weight_decay", lambda_l2)),
        ),
    ),
)
