"""SignSGD, in Optax's convention (``optax.sign_sgd``): every coordinate moves by the learning rate against the
sign of its gradient.

Signum with no memory: its momentum at β = 0 is the gradient itself.
"""

from sympy import sign, symbols

from codegen.language.optimizer import Counterpart, derive, eta, g, learning_rate, w
from codegen.language.relations import Equivalence, SpecUpdate, WrittenUpdate
from specs.optimizers.signum import SPEC as SIGNUM
from specs.optimizers.signum import beta

m = symbols("m")

SPEC = derive(
    SIGNUM,
    name="SignSGD",
    aliases=("sign_sgd",),
    summary="Steps of exactly the learning rate against the sign of each coordinate of g.",
    substitution={beta: 0},
    text="β → 0",
    note="Signum whose momentum forgets at once: m is the gradient, a local, not a state.",
    hyperparameters=(learning_rate(0.001),),
    state=(),
    base_options="none",
    convention="Optax",
    method="sign_sgd",
    references=SIGNUM.references,
    counterparts=(Counterpart("optax.sign_sgd", arguments=(("learning_rate", eta),)),),
)

RELATIONS = (
    Equivalence(
        name="sign_sgd_is_bernstein_et_al_algorithm_1",
        statement="SignSGD is Bernstein et al.'s Algorithm 1: w ← w − η·sign(g).",
        left=SpecUpdate("SignSGD"),
        right=WrittenUpdate("signSGD, Bernstein et al. 2018, Algorithm 1", assignments=((w, w - eta * sign(g)),)),
    ),
)
