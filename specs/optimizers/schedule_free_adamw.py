"""Schedule-free AdamW, in the Keras 3 convention (``keras.optimizers.ScheduleFreeAdamW``).

Three sequences instead of a learning-rate schedule: z takes Adam-like steps
(no first moment, ε on the bias-corrected root); x is the running average of
the z's, x_t = (1 − 1/t)·x_{t−1} + z_t/t; and the parameter the gradient is
taken at is y = (1 − β1)·z + β1·x. Keras keeps y (the parameter) and z
(``momentum``, a copy of the parameter at the start) and recovers x from them,
x = (y − (1 − β1)·z)/β1, before each step; so does this spec, which therefore
needs β1 > 0. To evaluate the model at x, compute it the same way from the
parameter and ``momentum``. ``warmup_steps`` W > 0 ramps the rate up,
η·min(t/W, 1). Keras's decoupled ``weight_decay`` (a base option) decays y
before the step. The averaging weight is 1/t, not the paper's η²-weighted one.

Keras 3.15 computes this on its JAX backend (in float64, bit for bit in most
variants). On its torch backend it does not: the z it saves before the update
is the tensor the in-place update then changes, so x is recovered from the new
z (measured: the trajectories part at step 2; ``trainspec verify`` names the
slip), and min(t/W, 1) comes out in float32.
"""

from sympy import Interval, Min, oo, sqrt, symbols

from codegen.language.optimizer import (
    Convention,
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
    w,
)
from codegen.language.relations import Equivalence, SpecUpdate, WrittenUpdate
from specs.optimizers.adam import SPEC as KERAS_ADAM
from specs.optimizers.adam import TYPICAL_BETA_1, TYPICAL_EPSILON

beta_1, beta_2, epsilon, warmup = symbols("beta_1 beta_2 epsilon warmup_steps")
z, v, eta_t, x_last, x = symbols("z v eta_t x_last x")

SPEC = OptimizerSpec(
    name="ScheduleFreeAdamW",
    aliases=("schedule_free_adamw",),
    summary="Adam steps on z, the parameter an interpolation between z and the running average of z.",
    hyperparameters=(
        learning_rate(0.0025),
        Hyperparameter(
            beta_1,
            "beta_1",
            0.9,
            Interval.Lopen(0, 1),
            "the weight of the average x in the parameter",
            typical=TYPICAL_BETA_1,
        ),
        KERAS_ADAM.hyperparameter("beta_2"),
        Hyperparameter(epsilon, "epsilon", 1e-8, Interval(0, oo), "added to the root of v̂", typical=TYPICAL_EPSILON),
        # Typical: a warmup that ends inside a run of some hundred steps.
        Hyperparameter(
            warmup, "warmup_steps", 0, Interval(0, oo), "steps of the rate's linear warmup", typical=Typical(2, 150)
        ),
    ),
    state=(
        State(z, "momentum", w, "the sequence the gradient steps move, starting at the parameter"),
        State(v, "velocity", 0, "second moment: moving average of g squared"),
    ),
    update=(
        (eta_t, eta * Min(t / warmup, 1)),
        (v, v + (1 - beta_2) * (g**2 - v)),
        (x_last, (w - (1 - beta_1) * z) / beta_1),
        (z, z - eta_t * g / (sqrt(v / (1 - beta_2**t)) + epsilon)),
        (x, (1 - 1 / t) * x_last + z / t),
        (w, (1 - beta_1) * z + beta_1 * x),
    ),
    options=(Option("warmup_steps", when_off={Min(t / warmup, 1): 1}, kind="nonzero", description="no warmup"),),
    references=(
        "A. Defazio, X. A. Yang, H. Mehta, K. Mishchenko, A. Khaled, A. Cutkosky, The road less scheduled, "
        "NeurIPS 2024.",
    ),
    conventions=(
        Convention(
            "Keras 3.15 on torch",
            r"recovers $x_{t-1}$ from the \emph{new} $z$: the $z$ it saves before the update is the tensor the "
            r"in-place update changes. Its JAX backend computes the algorithm above.",
        ),
    ),
    latex_names={eta_t: r"\eta_t", x_last: r"x_{t-1}", x: "x_t", warmup: "W"},
    counterparts=(Counterpart("keras.optimizers.ScheduleFreeAdamW", backends=("jax",)),),
)

RELATIONS = (
    Equivalence(
        name="schedule_free_at_beta_1_one_averages_z",
        statement=(
            "With β1 = 1 the parameter is the average x itself: the gradient is taken at the running mean of the "
            "z's, and w moves a 1/t share of the way to the new z."
        ),
        left=SpecUpdate("ScheduleFreeAdamW", substitution={beta_1: 1}),
        right=WrittenUpdate(
            "Polyak averaging of Adam steps without momentum",
            assignments=(
                (v, v + (1 - beta_2) * (g**2 - v)),
                (z, z - eta * g / (sqrt(v / (1 - beta_2**t)) + epsilon)),
                (w, w + (z - w) / t),
            ),
            initial={z: w, v: 0},
        ),
        state_map={z: z, v: v},
    ),
    Equivalence(
        name="schedule_free_at_beta_1_zero_is_torch_adam_without_momentum",
        statement=(
            "As β1 → 0 the parameter is z itself, whatever the average is (β1 multiplies it; Keras's recovery of x "
            "divides by β1, so the average is set aside first): the method is Adam with no first moment and ε on "
            "the bias-corrected root, PyTorch's Adam at β1 = 0."
        ),
        left=SpecUpdate("ScheduleFreeAdamW", substitution={x_last: 0, beta_1: 0}),
        right=SpecUpdate("TorchAdam", substitution={beta_1: 0}),
        state_map={z: w, v: v},
    ),
    Equivalence(
        name="schedule_free_at_beta_1_zero_is_not_keras_adam",
        statement="It is not Keras's Adam at β1 = 0, which adds ε to the raw root √v.",
        left=SpecUpdate("ScheduleFreeAdamW", substitution={x_last: 0, beta_1: 0}),
        right=SpecUpdate("Adam", substitution={beta_1: 0}),
        holds=False,
    ),
)
