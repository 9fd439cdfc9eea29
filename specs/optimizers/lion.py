"""Lion (evolved sign momentum), in the Keras 3 convention.

The step is the sign of an interpolation between the momentum and the
gradient; the momentum is then updated with a second, slower rate.
"""

from sympy import Interval, sign, symbols

from codegen.language.optimizer import (
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
from codegen.language.relations import Equivalence, ScaleInvariance, SpecUpdate, WrittenUpdate

beta_1, beta_2 = symbols("beta_1 beta_2")
m, c = symbols("m c")

SPEC = OptimizerSpec(
    name="Lion",
    aliases=("lion",),
    summary="Sign of an interpolated momentum: every coordinate moves by exactly the learning rate.",
    hyperparameters=(
        learning_rate(0.001),
        Hyperparameter(
            beta_1,
            "beta_1",
            0.9,
            Interval.Lopen(0, 1),
            "interpolation weight of the momentum",
            typical=Typical(0.5, 0.99),
        ),
        Hyperparameter(
            beta_2, "beta_2", 0.99, Interval.Ropen(0, 1), "decay rate of the momentum", typical=Typical(0.8, 0.999)
        ),
    ),
    state=(State(m, "momentum", 0, "moving average of g"),),
    update=(
        (c, beta_1 * m + (1 - beta_1) * g),
        (w, w - eta * sign(c)),
        (m, beta_2 * m + (1 - beta_2) * g),
    ),
    references=("X. Chen et al., Symbolic discovery of optimization algorithms, NeurIPS 2023.",),
    counterparts=(Counterpart("keras.optimizers.Lion"),),
)

RELATIONS = (
    Equivalence(
        name="lion_is_chen_et_al_algorithm_1",
        statement=(
            "Lion is the update of Chen et al.'s Algorithm 1 without its decay term: w ← w − η·sign(β₁m + (1 − β₁)g), "
            "then m ← β₂m + (1 − β₂)g."
        ),
        left=SpecUpdate("Lion"),
        right=WrittenUpdate(
            "Lion, Chen et al. 2023, Algorithm 1, λ = 0",
            assignments=((w, w - eta * sign(beta_1 * m + (1 - beta_1) * g)), (m, beta_2 * m + (1 - beta_2) * g)),
            initial={m: 0},
        ),
        state_map={m: m},
    ),
    ScaleInvariance(
        name="lion_is_scale_invariant",
        statement=(
            "Lion steps by the sign of a moving average of g started at 0: multiplying every gradient by c > 0 "
            "changes no step, with no condition (Adam needs ε = 0 for that)."
        ),
        update=SpecUpdate("Lion"),
    ),
)
