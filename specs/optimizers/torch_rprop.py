"""PyTorch's Rprop (``torch.optim.Rprop``): resilient backpropagation, a step size per element.

Each element keeps its own step size. While the gradient keeps its sign the step
grows by η+, when the sign flips it shrinks by η− and that step is skipped (the
stored gradient is set to 0, so the next step neither grows nor shrinks), and a
zero product leaves it as it is; it is then clipped to [step_size_min,
step_size_max]. The parameter moves by the step size against the sign of the
gradient: the gradient's size is never used.
"""

from sympy import Interval, Max, Min, Piecewise, oo, sign, symbols

from codegen.language.optimizer import (
    Constraint,
    Counterpart,
    Hyperparameter,
    OptimizerSpec,
    State,
    Typical,
    eta,
    g,
    learning_rate,
    w,
)

eta_minus, eta_plus, step_min, step_max = symbols("eta_minus eta_plus step_size_min step_size_max")
prev, step, g_kept, factor = symbols("prev step g_kept factor")

SPEC = OptimizerSpec(
    name="TorchRprop",
    aliases=("torch_rprop",),
    summary="Resilient backpropagation: a step size per element, grown while the gradient keeps its sign.",
    hyperparameters=(
        learning_rate(0.01),
        Hyperparameter(
            eta_minus, "eta_minus", 0.5, Interval.open(0, 1), "shrink factor after a sign flip", Typical(0.3, 0.7)
        ),
        Hyperparameter(
            eta_plus, "eta_plus", 1.2, Interval.open(1, oo), "growth factor while the sign holds", Typical(1.05, 1.5)
        ),
        Hyperparameter(
            step_min, "step_size_min", 1e-6, Interval(0, oo), "smallest step size", Typical(1e-7, 1e-4, log=True)
        ),
        Hyperparameter(
            step_max, "step_size_max", 50.0, Interval.open(0, oo), "largest step size", Typical(1e-2, 1.0, log=True)
        ),
    ),
    state=(
        State(prev, "prev", 0, "the gradient of the previous step (0 where that step was skipped)"),
        State(step, "step_size", eta, "the step size of each element, starting at the learning rate"),
    ),
    update=(
        (factor, Piecewise((eta_plus, g * prev > 0), (eta_minus, g * prev < 0), (1, True))),
        (step, Min(Max(step * factor, step_min), step_max)),
        (g_kept, Piecewise((0, g * prev < 0), (g, True))),
        (w, w - sign(g_kept) * step),
        (prev, g_kept),
    ),
    constraints=(Constraint(step_min <= step_max, "step_size_min must not exceed step_size_max"),),
    base_options="none",
    convention="PyTorch",
    references=(
        "M. Riedmiller, H. Braun, A direct adaptive method for faster backpropagation learning: the RPROP "
        "algorithm, IEEE ICNN 1993.",
    ),
    latex_names={
        eta_minus: r"\eta_-",
        eta_plus: r"\eta_+",
        step_min: r"\Delta_{\min}",
        step_max: r"\Delta_{\max}",
        step: r"\Delta",
        prev: r"g_{\mathrm{prev}}",
        g_kept: r"\tilde g",
        factor: r"f",
    },
    counterparts=(
        Counterpart(
            "torch.optim.Rprop",
            arguments=(("lr", eta), ("etas", (eta_minus, eta_plus)), ("step_sizes", (step_min, step_max))),
        ),
    ),
)
