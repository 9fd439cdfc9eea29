"""Lion as Optax computes it (``optax.lion``): Keras's update with the decoupled decay on by default, λ = 10⁻³.

Optax adds λw to the sign step and scales the sum by η, w ← w − η(sign(c) + λw),
which is the decay w − ηλw (Keras's base option weight_decay) before the step.
"""

from sympy import Interval, oo, symbols

from codegen.language.optimizer import Counterpart, Hyperparameter, Option, derive, eta, learning_rate, w
from codegen.language.relations import Equivalence, SpecUpdate
from specs.optimizers.lion import SPEC as KERAS_LION
from specs.optimizers.lion import beta_1, beta_2, m
from specs.optimizers.torch_adam import TYPICAL_WEIGHT_DECAY

lambda_wd, w_decayed = symbols("lambda_wd w_decayed")

SPEC = derive(
    KERAS_LION,
    name="OptaxLion",
    aliases=("optax_lion",),
    summary="Lion with its decoupled weight decay on by default, as optax.lion computes it.",
    substitution={w: w_decayed},
    text="w → w − ηλw",
    note="Keras's decoupled decay as a hyperparameter of the update, 10⁻³ by default.",
    prepend=((w_decayed, w - eta * lambda_wd * w),),
    hyperparameters=(
        learning_rate(0.001),
        *(KERAS_LION.hyperparameter(argument) for argument in ("beta_1", "beta_2")),
        Hyperparameter(
            lambda_wd,
            "weight_decay",
            1e-3,
            Interval(0, oo),
            "decoupled weight decay: λw is added to the step",
            typical=TYPICAL_WEIGHT_DECAY,
        ),
    ),
    options=(Option("weight_decay", when_off={lambda_wd: 0}, kind="nonzero", description="no decay"),),
    base_options="none",
    convention="Optax",
    latex_names={**KERAS_LION.latex_names, lambda_wd: r"\lambda", w_decayed: r"\tilde w"},
    counterparts=(
        Counterpart(
            "optax.lion",
            arguments=(("learning_rate", eta), ("b1", beta_1), ("b2", beta_2), ("weight_decay", lambda_wd)),
        ),
    ),
)

RELATIONS = (
    Equivalence(
        name="optax_lion_is_keras_lion_with_its_weight_decay",
        statement=(
            "Optax's Lion is Keras's Lion with its base option weight_decay set to the same λ: Optax's η(sign(c) + λw) "
            "is Keras's decay w − ηλw followed by the sign step."
        ),
        left=SpecUpdate("OptaxLion", options={"weight_decay": True}),
        right=SpecUpdate("Lion", options={"weight_decay": True}),
        state_map={m: m},
    ),
)
