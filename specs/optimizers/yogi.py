"""Yogi, in Optax's convention (``optax.yogi``): Adam whose second moment cannot shrink faster than g² allows.

Adam's second moment moves toward g² by a fraction 1 − β2 of the gap,
v ← v − (1 − β2)(v − g²). Yogi moves it by the same fraction of g² itself, in
the direction of the gap: v ← v − (1 − β2) sign(v − g²) g². When a run of
small gradients follows large ones, v decays additively, not geometrically, so
the effective step grows slowly. Both moments start at 10⁻⁶ (Optax's
``initial_accumulator_value``), and ε is added outside the bias-corrected root.
"""

from sympy import Interval, oo, sign, sqrt, symbols, sympify

from codegen.language.optimizer import (
    Counterpart,
    Hyperparameter,
    OptimizerSpec,
    State,
    eta,
    g,
    learning_rate,
    t,
    w,
)
from codegen.language.relations import Equivalence, SpecUpdate
from specs.optimizers.adam import SPEC as KERAS_ADAM
from specs.optimizers.adam import TYPICAL_EPSILON

beta_1, beta_2, epsilon = symbols("beta_1 beta_2 epsilon")
m, v = symbols("m v")

INITIAL_ACCUMULATOR = 1e-6
"""Where Optax starts both moments (``scale_by_yogi``'s ``initial_accumulator_value``)."""

SPEC = OptimizerSpec(
    name="Yogi",
    aliases=("yogi",),
    summary="Adam with an additive second moment: v moves by (1 − β2)g² toward g², never by a fraction of v.",
    hyperparameters=(
        learning_rate(0.01),
        KERAS_ADAM.hyperparameter("beta_1"),
        KERAS_ADAM.hyperparameter("beta_2"),
        Hyperparameter(epsilon, "epsilon", 1e-3, Interval(0, oo), "added to the root of v̂", typical=TYPICAL_EPSILON),
    ),
    state=(
        State(m, "mu", INITIAL_ACCUMULATOR, "first moment: moving average of g"),
        State(v, "nu", INITIAL_ACCUMULATOR, "second moment, moved additively toward g squared"),
    ),
    update=(
        (m, beta_1 * m + (1 - beta_1) * g),
        (v, v - (1 - beta_2) * sign(v - g**2) * g**2),
        (w, w - eta * (m / (1 - beta_1**t)) / (sqrt(v / (1 - beta_2**t)) + epsilon)),
    ),
    base_options="none",
    convention="Optax",
    references=(
        "M. Zaheer, S. Reddi, D. Sachan, S. Kale, S. Kumar, Adaptive methods for nonconvex optimization, NeurIPS 2018.",
    ),
    latex_names={m: "m", v: "v"},
    counterparts=(
        Counterpart(
            "optax.yogi",
            arguments=(("learning_rate", eta), ("b1", beta_1), ("b2", beta_2), ("eps", epsilon)),
        ),
    ),
)

# Both sides of a relation with Adam start the moments at 0, as Adam does.
FROM_ZERO = {sympify(INITIAL_ACCUMULATOR): 0}

RELATIONS = (
    Equivalence(
        name="yogi_with_adams_pull_is_torch_adam",
        statement=(
            "Yogi's additive move −(1 − β2)·sign(v − g²)·g², replaced by Adam's −(1 − β2)·(v − g²), is Adam with ε "
            "on the bias-corrected root (PyTorch's Adam), once both moments start at 0."
        ),
        left=SpecUpdate("Yogi", substitution={sign(v - g**2) * g**2: v - g**2, **FROM_ZERO}),
        right=SpecUpdate("TorchAdam"),
        state_map={m: m, v: v},
    ),
    Equivalence(
        name="yogi_with_sign_minus_one_is_not_adam",
        statement=(
            "Replacing only the sign by −1 does not give Adam: v then grows by (1 − β2)g² at every step and never "
            "decays, like Adagrad's sum."
        ),
        left=SpecUpdate("Yogi", substitution={sign(v - g**2): -1, **FROM_ZERO}),
        right=SpecUpdate("TorchAdam"),
        state_map={m: m, v: v},
        holds=False,
    ),
)
