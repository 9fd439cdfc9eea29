"""Fromage, in Optax's convention (``optax.fromage``): a step relative to the tensor's own size, then a shrink.

The gradient is scaled per tensor to the weight's norm, ‖w‖/‖g‖ (each norm held at least ``min_norm``; a ratio
of 1 where a norm is 0, as Optax's trust ratio does), the weight steps by η times that, and the result is divided
by √(1 + η²), which keeps the norm of a weight orthogonal to its step from growing. Optax has no default learning
rate; trainspec takes 10⁻².
"""

from sympy import Eq, Interval, Max, Piecewise, oo, sqrt, symbols

from codegen.language.optimizer import (
    Counterpart,
    Hyperparameter,
    OptimizerSpec,
    Typical,
    eta,
    g,
    learning_rate,
    norm,
    w,
)
from codegen.language.relations import Equivalence, SpecUpdate, WrittenUpdate

min_norm, w_norm, g_norm, ratio = symbols("min_norm w_norm g_norm ratio")

SPEC = OptimizerSpec(
    name="Fromage",
    aliases=("fromage",),
    summary="A step of η times the weight's norm over the gradient's, per tensor, then a shrink by √(1 + η²).",
    hyperparameters=(
        learning_rate(0.01),
        Hyperparameter(
            min_norm,
            "min_norm",
            1e-6,
            Interval(0, oo),
            "the least value either norm is taken to have",
            typical=Typical(1e-8, 1e-4, log=True),
        ),
    ),
    state=(),
    update=(
        (w_norm, Max(norm(w), min_norm)),
        (g_norm, Max(norm(g), min_norm)),
        (ratio, Piecewise((1, Eq(w_norm, 0) | Eq(g_norm, 0)), (w_norm / g_norm, True))),
        (w, (w - eta * ratio * g) / sqrt(1 + eta**2)),
    ),
    base_options="none",
    convention="Optax",
    references=(
        "J. Bernstein, A. Vahdat, Y. Yue, M.-Y. Liu, On the distance between two neural networks and the stability "
        "of learning, NeurIPS 2020.",
    ),
    latex_names={min_norm: r"\nu", w_norm: "n_w", g_norm: "n_g", ratio: r"\rho"},
    counterparts=(Counterpart("optax.fromage", arguments=(("learning_rate", eta), ("min_norm", min_norm))),),
)

RELATIONS = (
    Equivalence(
        name="fromage_at_unit_ratio_is_shrunk_gradient_descent",
        statement=(
            "With the ratio of norms fixed at 1, Fromage is a gradient descent step followed by the shrink: "
            "w ← (w − ηg)/√(1 + η²)."
        ),
        left=SpecUpdate("Fromage", substitution={ratio: 1}),
        right=WrittenUpdate("shrunk gradient descent", assignments=((w, (w - eta * g) / sqrt(1 + eta**2)),)),
    ),
)
