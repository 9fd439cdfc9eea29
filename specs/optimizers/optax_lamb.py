"""Optax's LAMB (``optax.lamb``), derived from Keras's Lamb by substitution.

Optax adds its weight decay λw to Adam's step before the trust ratio, so the
ratio ‖w‖/‖r + λw‖ scales the decay too (Keras decays w apart, before the
step), and it can add ``epsilon_root`` to v̂ inside the root.
"""

from sympy import Interval, oo, sqrt, symbols

from codegen.language.optimizer import Counterpart, Hyperparameter, Option, Typical, derive, eta, t, w
from codegen.language.relations import Equivalence, SpecUpdate
from specs.optimizers.lamb import ADAM_STEP
from specs.optimizers.lamb import SPEC as KERAS_LAMB
from specs.optimizers.torch_adam import TYPICAL_WEIGHT_DECAY

beta_1, beta_2, epsilon, epsilon_root, lambda_wd = symbols("beta_1 beta_2 epsilon epsilon_root lambda_wd")
v = symbols("v")

SPEC = derive(
    KERAS_LAMB,
    name="OptaxLamb",
    aliases=("optax_lamb",),
    summary="LAMB as optax.lamb computes it: the weight decay inside the trust ratio, ε_root inside the root.",
    substitution={
        ADAM_STEP: ADAM_STEP.subs(sqrt(v / (1 - beta_2**t)), sqrt(v / (1 - beta_2**t) + epsilon_root)) + lambda_wd * w
    },
    text="r → m̂/(√(v̂ + ε_root) + ε) + λw",
    note="the decay is part of the step the trust ratio scales",
    hyperparameters=(
        *KERAS_LAMB.hyperparameters[:3],
        Hyperparameter(
            epsilon,
            "epsilon",
            1e-6,
            Interval(0, oo),
            "added to the root of v̂ + ε_root",
            typical=KERAS_LAMB.hyperparameter("epsilon").typical,
        ),
        Hyperparameter(
            epsilon_root,
            "epsilon_root",
            0.0,
            Interval(0, oo),
            "added to v̂ inside the root",
            typical=Typical(1e-8, 1e-3, log=True),
        ),
        Hyperparameter(
            lambda_wd,
            "weight_decay",
            0.0,
            Interval(0, oo),
            "λw is added to the step before the trust ratio",
            typical=TYPICAL_WEIGHT_DECAY,
        ),
    ),
    options=(Option("weight_decay", when_off={lambda_wd: 0}, kind="nonzero", description="no weight decay"),),
    base_options="none",
    convention="Optax",
    references=KERAS_LAMB.references,
    latex_names={**KERAS_LAMB.latex_names, epsilon_root: r"\epsilon_{\mathrm{root}}", lambda_wd: r"\lambda"},
    counterparts=(
        Counterpart(
            "optax.lamb",
            arguments=(
                ("learning_rate", eta),
                ("b1", beta_1),
                ("b2", beta_2),
                ("eps", epsilon),
                ("eps_root", epsilon_root),
                ("weight_decay", lambda_wd),
            ),
        ),
    ),
)

m, ratio = symbols("m ratio")

RELATIONS = (
    Equivalence(
        name="optax_lamb_unit_trust_ratio_is_torch_adamw",
        statement=(
            "Optax's LAMB with the trust ratio fixed at 1 and ε_root = 0 is AdamW: decaying w by ηλw apart "
            "(PyTorch's AdamW) is adding λw to the step, when nothing rescales the step."
        ),
        left=SpecUpdate("OptaxLamb", options={"weight_decay": True}, substitution={ratio: 1, epsilon_root: 0}),
        right=SpecUpdate("TorchAdamW", options={"weight_decay": True}),
        state_map={m: m, v: v},
    ),
)
