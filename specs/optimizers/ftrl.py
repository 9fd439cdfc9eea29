"""FTRL-Proximal, in the Keras 3 convention (TF's ``2·λ2``; accumulator of the raw g²)."""

from sympy import Interval, Max, Min, Rational, oo, symbols

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
    w,
)
from codegen.language.relations import Equivalence, SpecUpdate

p, n0, l1, l2, ls, beta = symbols("p n_0 lambda_1 lambda_2 lambda_s beta")
n, z = symbols("n z")
l2_eff, g_shrunk, n_next, sigma, q = symbols("lambda_2_eff g_s n_next sigma q")
L_TYPICAL = Typical(0.0, 0.1)

SPEC = OptimizerSpec(
    name="Ftrl",
    aliases=("ftrl",),
    summary="Follow-the-regularized-leader with per-coordinate rates, L1 and L2 regularization.",
    hyperparameters=(
        learning_rate(0.001),
        Hyperparameter(p, "learning_rate_power", -0.5, Interval(-oo, 0), "power of the accumulator"),
        # Never 0 when drawn: without L2 or β, a coordinate whose gradients have all been 0 would compute 0/0.
        Hyperparameter(
            n0,
            "initial_accumulator_value",
            0.1,
            Interval(0, oo),
            "initial accumulator",
            typical=Typical(1e-2, 1.0, log=True),
        ),
        # Strengths that shape the solution without pinning every coordinate at 0.
        Hyperparameter(l1, "l1_regularization_strength", 0.0, Interval(0, oo), "L1 strength", typical=L_TYPICAL),
        Hyperparameter(l2, "l2_regularization_strength", 0.0, Interval(0, oo), "L2 strength", typical=L_TYPICAL),
        Hyperparameter(
            ls, "l2_shrinkage_regularization_strength", 0.0, Interval(0, oo), "L2 shrinkage", typical=L_TYPICAL
        ),
        Hyperparameter(beta, "beta", 0.0, Interval(0, oo), "added to the accumulator's root"),
    ),
    state=(
        State(n, "accumulator", n0, "sum of squared gradients"),
        State(z, "linear", 0, "the linear term of the FTRL objective"),
    ),
    update=(
        (l2_eff, l2 + beta / (2 * eta)),
        (g_shrunk, g + 2 * ls * w),
        (n_next, n + g**2),
        (sigma, (n_next ** (-p) - n ** (-p)) / eta),
        (z, z + g_shrunk - sigma * w),
        (q, n_next ** (-p) / eta + 2 * l2_eff),
        (w, (Max(-l1, Min(z, l1)) - z) / q),
        (n, n_next),
    ),
    options=(
        Option(
            "learning_rate_power",
            when_off={p: Rational(-1, 2)},
            kind="value",
            value=-0.5,
            description="the default power -1/2: a square root, which vectorises, instead of a general power",
        ),
    ),
    references=("H. B. McMahan et al., Ad click prediction: a view from the trenches, KDD 2013.",),
    conventions=(
        Convention("PyTorch", "has no FTRL optimizer."),
        Convention("Optax", "has no FTRL optimizer."),
    ),
    latex_names={l2_eff: r"\lambda_2'", n_next: "n'", g_shrunk: r"g_s"},
    counterparts=(Counterpart("keras.optimizers.Ftrl"),),
)

# Adagrad's accumulator, its initial value and ε, by name (a relation never imports another spec).
A, A0, epsilon = symbols("A A_0 epsilon")

RELATIONS = (
    Equivalence(
        name="unregularized_ftrl_is_adagrad",
        statement=(
            "FTRL-Proximal with power −1/2, no regularization and a zero initial accumulator is Adagrad "
            "with ε = 0 and a zero accumulator, from any starting w (McMahan et al. 2013)."
        ),
        left=SpecUpdate("Ftrl", substitution={n0: 0, l1: 0, l2: 0, ls: 0, beta: 0}),  # the default variant: p = -1/2
        right=SpecUpdate("Adagrad", substitution={A0: 0, epsilon: 0}),
        state_map={n: A},
    ),
)
