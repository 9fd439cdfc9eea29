"""Adadelta, in the Keras 3 convention (the same ρ for both accumulators, η applied last)."""

from sympy import Interval, oo, sqrt, symbols

from codegen.language.optimizer import (
    Convention,
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
from codegen.language.relations import ScaleInvariance, SpecUpdate

rho, epsilon = symbols("rho epsilon")
Eg, Ex, Delta = symbols("E_g E_x Delta")

SPEC = OptimizerSpec(
    name="Adadelta",
    aliases=("adadelta",),
    summary="Steps whose units match the parameter: RMS of past steps over RMS of gradients.",
    hyperparameters=(
        learning_rate(0.001),
        Hyperparameter(
            rho, "rho", 0.95, Interval.Ropen(0, 1), "decay rate of both moving averages", typical=Typical(0.5, 0.99)
        ),
        # ε sets Adadelta's first steps (E_x starts at 0): large enough that they move visibly.
        Hyperparameter(
            epsilon,
            "epsilon",
            1e-7,
            Interval.Lopen(0, oo),
            "added inside both roots",
            typical=Typical(1e-3, 1e-1, log=True),
        ),
    ),
    state=(
        State(Eg, "accumulated_gradient", 0, "moving average of the squared gradient"),
        State(Ex, "accumulated_delta", 0, "moving average of the squared step (before the learning rate)"),
    ),
    update=(
        (Eg, rho * Eg + (1 - rho) * g**2),
        (Delta, sqrt(Ex + epsilon) / sqrt(Eg + epsilon) * g),
        (Ex, rho * Ex + (1 - rho) * Delta**2),
        (w, w - eta * Delta),
    ),
    references=("M. D. Zeiler, ADADELTA: an adaptive learning rate method, arXiv:1212.5701, 2012.",),
    conventions=(
        Convention("PyTorch", r"the same rule with defaults $\eta = 1$, $\rho = 0.9$, $\epsilon = 10^{-6}$."),
        Convention(
            "Optax",
            r"the same rule with $\rho = 0.9$, $\epsilon = 10^{-6}$; its default learning rate "
            r"\texttt{None} does not flip the sign, so always pass one.",
        ),
    ),
    latex_names={Eg: r"E[g^2]", Ex: r"E[\Delta^2]"},
    counterparts=(
        Counterpart("keras.optimizers.Adadelta"),
        Counterpart(
            "torch.optim.Adadelta",
            arguments=(("lr", eta), ("rho", rho), ("eps", epsilon)),
            same=False,
            note="the same rule with PyTorch's defaults (TorchAdadelta's convention)",
        ),
    ),
)

# Adadelta's one ε sits in two roots. Only the one under the gradient average must vanish for the step
# Δ = √(E_Δ + ε)/√(E_g) · g to be unchanged by g → c·g (E_g scales by c², E_Δ not at all); the ε in the
# numerator may stay, and must be > 0 for Adadelta to move at all (E_Δ starts at 0).
epsilon_g = symbols("epsilon_g")

RELATIONS = (
    ScaleInvariance(
        name="adadelta_with_split_epsilon_is_scale_invariant",
        statement=(
            "With its ε split in two, Adadelta is unchanged when every gradient is multiplied by c > 0 "
            "exactly when the ε under the gradient average's root is 0; the numerator's ε may be any value."
        ),
        update=SpecUpdate(
            "Adadelta", substitution={Eg + epsilon: Eg + epsilon_g}, domains={epsilon_g: Interval(0, oo)}
        ),
        conditions={epsilon_g: 0},
    ),
    ScaleInvariance(
        name="adadelta_is_not_scale_invariant",
        statement=(
            "With Keras's single ε in both roots, scaling every gradient by c ≠ 1 changes Adadelta's trajectory, "
            "for every ε > 0 and η > 0."
        ),
        update=SpecUpdate("Adadelta"),
        holds=False,
        for_all=(epsilon, eta),
    ),
)
