"""NovoGrad, in Optax's convention (``optax.novograd``): a second moment per tensor, not per element.

The second moment n is one number for each tensor (each layer), a moving
average of ‖g‖², the squared norm of the tensor's gradient; it starts as
‖g‖² itself at the first step, not as a fraction of it. Each element's
gradient is divided by √(n + ε_root) + ε before the momentum takes it in, with
the weight decay λw added after the division; the momentum m ← β1 m + that is
not an average (no 1 − β1), and the step is −η m. One number per tensor
instead of a second array is NovoGrad's memory saving over Adam.
"""

from sympy import Eq, Interval, Piecewise, oo, sqrt, symbols

from codegen.language.optimizer import (
    Counterpart,
    Hyperparameter,
    OptimizerSpec,
    Option,
    State,
    Typical,
    eta,
    g,
    learning_rate,
    t,
    tensor_sum,
    w,
)
from codegen.language.relations import Equivalence, SpecUpdate, WrittenUpdate
from specs.optimizers.adam import TYPICAL_BETA_1, TYPICAL_EPSILON
from specs.optimizers.torch_adam import TYPICAL_WEIGHT_DECAY

beta_1, beta_2, epsilon, epsilon_root, lambda_wd = symbols("beta_1 beta_2 epsilon epsilon_root lambda_wd")
m, n = symbols("m n")
beta = symbols("beta")  # Signum's

SPEC = OptimizerSpec(
    name="NovoGrad",
    aliases=("novograd",),
    summary="Momentum on g scaled by a second moment per tensor: a moving average of the gradient's squared norm.",
    hyperparameters=(
        learning_rate(0.01),
        Hyperparameter(beta_1, "b1", 0.9, Interval(0, 1), "decay rate of the momentum", typical=TYPICAL_BETA_1),
        Hyperparameter(
            beta_2,
            "b2",
            0.25,
            Interval.Ropen(0, 1),
            "decay rate of the per-tensor second moment",
            typical=Typical(0.1, 0.99),
        ),
        Hyperparameter(epsilon, "eps", 1e-6, Interval(0, oo), "added to the root of n", typical=TYPICAL_EPSILON),
        Hyperparameter(
            epsilon_root, "eps_root", 0.0, Interval(0, oo), "added to n inside the root", typical=TYPICAL_EPSILON
        ),
        Hyperparameter(
            lambda_wd,
            "weight_decay",
            0.0,
            Interval(0, oo),
            "weight decay: λw is added after the division",
            typical=TYPICAL_WEIGHT_DECAY,
        ),
    ),
    state=(
        State(m, "mu", 0, "momentum of the normalised gradient"),
        State(n, "nu", 0, "second moment: moving average of the gradient's squared norm", scope="tensor"),
    ),
    update=(
        (n, Piecewise((tensor_sum(g**2), Eq(t, 1)), (beta_2 * n + (1 - beta_2) * tensor_sum(g**2), True))),
        (m, beta_1 * m + g / (sqrt(n + epsilon_root) + epsilon) + lambda_wd * w),
        (w, w - eta * m),
    ),
    options=(Option("weight_decay", when_off={lambda_wd: 0}, kind="nonzero", description="no weight decay"),),
    base_options="none",
    convention="Optax",
    references=(
        "B. Ginsburg, P. Castonguay, O. Hrinchuk, O. Kuchaiev, V. Lavrukhin, R. Leary, J. Li, H. Nguyen, Y. Zhang, "
        "J. M. Cohen, Stochastic gradient methods with layer-wise adaptive moments for training of deep networks, "
        "2019.",
    ),
    latex_names={epsilon_root: r"\epsilon_{\mathrm{root}}", lambda_wd: r"\lambda"},
    counterparts=(
        Counterpart(
            "optax.novograd",
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

RELATIONS = (
    Equivalence(
        name="novograd_on_one_element_tensors_is_momentum_on_normalised_g",
        statement=(
            "On a tensor of one element ‖g‖² = g²: with β2 = 0, ε_root = ε = 0 and no weight decay, n is g² and "
            "each step adds sign(g) to the momentum, heavy-ball momentum on the sign of the gradient."
        ),
        left=SpecUpdate("NovoGrad", substitution={beta_2: 0, epsilon_root: 0, epsilon: 0}),
        right=WrittenUpdate(
            "heavy-ball momentum on sign(g)",
            assignments=((m, beta_1 * m + g / abs(g)), (w, w - eta * m)),
            initial={m: 0},
        ),
        state_map={m: m},
    ),
    Equivalence(
        name="novograd_on_one_element_tensors_is_not_signum",
        statement=(
            "That is not Signum with β = β1, though both step by signs: NovoGrad keeps a momentum of the signs and "
            "steps by it, Signum steps by the sign of a momentum of g."
        ),
        left=SpecUpdate("NovoGrad", substitution={beta_2: 0, epsilon_root: 0, epsilon: 0}),
        right=SpecUpdate("Signum", substitution={beta: beta_1}),
        holds=False,
    ),
)
