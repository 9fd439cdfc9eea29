"""PyTorch's RAdam (``torch.optim.RAdam``): Adam with its adaptive step switched on once its variance is tractable.

Early on, the second moment averages too few gradients for 1/√v̂ to be
trusted; ρ_t estimates the length of that average. While ρ_t ≤ 5 the step is
SGD with the bias-corrected momentum m̂; after, it is Adam's step scaled by the
rectification r_t. Weight decay is PyTorch's L2 term (g + λw), or, with
``decoupled_weight_decay``, AdamW's decay of w before the step.
"""

from sympy import Interval, Piecewise, Rational, oo, sqrt, symbols

from codegen.language.optimizer import (
    Convention,
    Counterpart,
    Hyperparameter,
    OptimizerSpec,
    Option,
    State,
    eta,
    g,
    learning_rate,
    t,
    w,
)
from codegen.language.relations import Equivalence, SpecUpdate, WrittenUpdate
from specs.optimizers.adam import SPEC as KERAS_ADAM
from specs.optimizers.adam import TYPICAL_EPSILON
from specs.optimizers.torch_adam import L2, L2_OPTION

beta_1, beta_2, epsilon, lambda_l2 = symbols("beta_1 beta_2 epsilon lambda_l2")
m, v, w_decayed, g_l2, rho_inf, rho, r = symbols("m v w_decayed g_l2 rho_inf rho_t r_t")

# Liu et al.'s length of the SMA's average and its rectification, shared with Optax's RAdam.
RHO_INFINITY = 2 / (1 - beta_2) - 1
RHO_AT_T = rho_inf - 2 * t * beta_2**t / (1 - beta_2**t)
RECTIFIER = sqrt((rho - 4) * (rho - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho))

SPEC = OptimizerSpec(
    name="TorchRAdam",
    aliases=("torch_radam",),
    summary="Rectified Adam: SGD with momentum until the second moment is trustworthy, then Adam rectified.",
    hyperparameters=(
        learning_rate(0.001),
        KERAS_ADAM.hyperparameter("beta_1"),
        KERAS_ADAM.hyperparameter("beta_2"),
        Hyperparameter(epsilon, "epsilon", 1e-8, Interval(0, oo), "added to √v", typical=TYPICAL_EPSILON),
        L2,
    ),
    state=(
        State(m, "exp_avg", 0, "first moment: moving average of g"),
        State(v, "exp_avg_sq", 0, "second moment: moving average of g squared"),
    ),
    update=(
        (w_decayed, w - eta * lambda_l2 * w),
        (g_l2, g),
        (m, m + (1 - beta_1) * (g_l2 - m)),
        (v, beta_2 * v + (1 - beta_2) * g_l2**2),
        (rho_inf, RHO_INFINITY),
        (rho, RHO_AT_T),
        (r, Piecewise((RECTIFIER, rho > 5), (0, True))),
        (
            w,
            w_decayed
            - eta
            * m
            / (1 - beta_1**t)
            * Piecewise((r * sqrt(1 - beta_2**t) / (sqrt(v) + epsilon), rho > 5), (1, True)),
        ),
    ),
    options=(
        Option(
            "decoupled_weight_decay",
            when_off={eta * lambda_l2 * w: 0, g: g + lambda_l2 * w},
            applies_to=(w_decayed, g_l2),
            description="decay w before the step (AdamW's form) instead of adding λw to g",
        ),
        L2_OPTION,
    ),
    base_options="none",
    convention="PyTorch",
    references=("L. Liu et al., On the variance of the adaptive learning rate and beyond, ICLR 2020.",),
    conventions=(
        Convention(
            "Optax",
            r"\texttt{radam} adds $\epsilon$ to $\sqrt{\hat v}$ (the bias-corrected moment) and takes the "
            r"threshold as an argument (default 5).",
        ),
    ),
    latex_names={
        lambda_l2: r"\lambda",
        w_decayed: r"\tilde w",
        g_l2: r"\tilde g",
        rho_inf: r"\rho_\infty",
        rho: r"\rho_t",
        r: r"r_t",
    },
    counterparts=(
        Counterpart(
            "torch.optim.RAdam",
            arguments=(
                ("lr", eta),
                ("betas", (beta_1, beta_2)),
                ("eps", epsilon),
                ("weight_decay", lambda_l2),
                ("decoupled_weight_decay", "decoupled_weight_decay"),
            ),
        ),
    ),
)

# At β2 = 0.999, ρ_t = 1.0, 2.0, 3.0, 4.0, 5.0 (just under), then 5.99: the threshold ρ_t > 5 is first met at t = 6.
LATE_RECTIFICATION = {beta_2: Rational(999, 1000)}
RECTIFIED = rho > 5
RECTIFICATION = RECTIFIER.subs(rho, RHO_AT_T).subs(rho_inf, RHO_INFINITY)

sgd_with_corrected_momentum = WrittenUpdate(
    "SGD with bias-corrected momentum",
    assignments=((m, beta_1 * m + (1 - beta_1) * g), (w, w - eta * m / (1 - beta_1**t))),
    initial={m: 0},
)

RELATIONS = (
    Equivalence(
        name="torch_radam_before_the_threshold_is_sgd_with_corrected_momentum",
        statement=(
            "Until ρ_t passes 5, RAdam steps by η·m̂: SGD with bias-corrected momentum. At β2 = 0.999 that is "
            "the first five steps."
        ),
        left=SpecUpdate("TorchRAdam", substitution=LATE_RECTIFICATION),
        right=sgd_with_corrected_momentum,
        state_map={m: m},
        steps=5,
    ),
    Equivalence(
        name="torch_radam_after_the_threshold_is_not_sgd",
        statement="At β2 = 0.999 the sixth step is rectified: RAdam no longer steps by η·m̂.",
        left=SpecUpdate("TorchRAdam", substitution=LATE_RECTIFICATION),
        right=sgd_with_corrected_momentum,
        state_map={m: m},
        holds=False,
        steps=6,
    ),
    Equivalence(
        name="torch_radam_rectified_is_adam_with_rectified_rate",
        statement=(
            "Once rectified, RAdam is PyTorch's Adam with the learning rate η·r_t and ε on the raw root √v "
            "(Adam's ε scaled by 1/√(1 − β2^t))."
        ),
        left=SpecUpdate("TorchRAdam", substitution={RECTIFIED: True}),
        right=SpecUpdate("TorchAdam", substitution={eta: eta * RECTIFICATION, epsilon: epsilon / sqrt(1 - beta_2**t)}),
        state_map={m: m, v: v},
    ),
    Equivalence(
        name="torch_radam_rectified_is_not_adam_with_the_same_epsilon",
        statement="With the same ε, rectified RAdam is not Adam at the rate η·r_t: PyTorch's Adam adds ε to √v̂.",
        # At β2 = 0.999, r_1 is real, so the counterexample at the first step is a real number.
        left=SpecUpdate("TorchRAdam", substitution={RECTIFIED: True, **LATE_RECTIFICATION}),
        right=SpecUpdate("TorchAdam", substitution={eta: eta * RECTIFICATION, **LATE_RECTIFICATION}),
        holds=False,
    ),
)
