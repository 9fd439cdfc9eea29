"""Signum, in Optax's convention (``optax.signum``): the sign of a moving average of the gradient.

Every coordinate moves by exactly the learning rate, in the direction of the
sign of its momentum m ← βm + (1 − β)g. Optax keeps m without bias correction
(a sign does not see it) and has no default learning rate; trainspec takes
Lion's Keras default, 10⁻³, since both step by signs.
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

beta, m = symbols("beta m")

SPEC = OptimizerSpec(
    name="Signum",
    aliases=("signum",),
    summary="Sign of a moving average of g: every coordinate moves by exactly the learning rate.",
    hyperparameters=(
        learning_rate(0.001),
        Hyperparameter(
            beta, "beta", 0.9, Interval.Ropen(0, 1), "decay rate of the momentum", typical=Typical(0.5, 0.99)
        ),
    ),
    state=(State(m, "momentum", 0, "moving average of g, not bias-corrected"),),
    update=(
        (m, beta * m + (1 - beta) * g),
        (w, w - eta * sign(m)),
    ),
    base_options="none",
    convention="Optax",
    references=(
        "J. Bernstein, Y.-X. Wang, K. Azizzadenesheli, A. Anandkumar, signSGD: compressed optimisation for "
        "non-convex problems, ICML 2018.",
    ),
    counterparts=(Counterpart("optax.signum", arguments=(("learning_rate", eta), ("beta", beta))),),
)

beta_1, beta_2 = symbols("beta_1 beta_2")  # Lion's

RELATIONS = (
    Equivalence(
        name="signum_is_bernstein_et_al_algorithm_2",
        statement=("Signum is Bernstein et al.'s Algorithm 2: m ← βm + (1 − β)g, then w ← w − η·sign(m), from m = 0."),
        left=SpecUpdate("Signum"),
        right=WrittenUpdate(
            "Signum, Bernstein et al. 2018, Algorithm 2",
            assignments=((m, (1 - beta) * g + beta * m), (w, w - eta * sign(m))),
            initial={m: 0},
        ),
        state_map={m: m},
    ),
    Equivalence(
        name="lion_with_one_rate_is_signum",
        statement=(
            "Lion with β2 = β1 is Signum with β = β1: the interpolation Lion steps by is then the momentum it keeps."
        ),
        left=SpecUpdate("Lion", substitution={beta_2: beta_1}),
        right=SpecUpdate("Signum", substitution={beta: beta_1}),
        state_map={m: m},
    ),
    Equivalence(
        name="lion_with_two_rates_is_not_signum",
        statement="With β2 ≠ β1 Lion is not Signum with either rate: it steps by an interpolation it does not keep.",
        left=SpecUpdate("Lion"),
        right=SpecUpdate("Signum", substitution={beta: beta_2}),
        state_map={m: m},
        holds=False,
    ),
    ScaleInvariance(
        name="signum_is_scale_invariant",
        statement=(
            "Signum steps by the sign of an average of g from 0: scaling every gradient by c > 0 changes no step."
        ),
        update=SpecUpdate("Signum"),
    ),
)
