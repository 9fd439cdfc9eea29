"""Rprop, in Optax's convention (``optax.rprop``): resilient backpropagation that applies each step one step late.

Each element keeps a step size Δ, grown by η+ while the sign holds and shrunk by η− when it flips, as PyTorch's
Rprop (TorchRprop) does, with three differences measured against optax 0.2.8: the sign is read off the gradient
times the previous *update* (0 after a flip), Δ is left unclipped when that product is 0, and the update applied at
a step is the one computed at the step before: the first step does not move the parameter, and each later one moves
it by the previous step's Δ·sign(g). Optax's learning rate is Δ's start, and it has no default; trainspec takes
PyTorch's, 10⁻².
"""

from sympy import Max, Min, Piecewise, sign, symbols

from codegen.language.optimizer import (
    Constraint,
    Counterpart,
    OptimizerSpec,
    State,
    eta,
    g,
    learning_rate,
    w,
)
from codegen.language.relations import Equivalence, SpecUpdate
from specs.optimizers.torch_rprop import SPEC as TORCH_RPROP

eta_minus, eta_plus, step_min, step_max = symbols("eta_minus eta_plus step_size_min step_size_max")
update, step, agreement, applied = symbols("update step agreement applied")

SPEC = OptimizerSpec(
    name="Rprop",
    aliases=("rprop",),
    summary="Resilient backpropagation as Optax computes it: a step size per element, each step applied a step late.",
    hyperparameters=(
        learning_rate(0.01),
        *(TORCH_RPROP.hyperparameter(name) for name in ("eta_minus", "eta_plus", "step_size_min", "step_size_max")),
    ),
    state=(
        State(update, "prev_updates", 0, "the step computed at the previous step (0 after a sign flip)"),
        State(step, "step_sizes", eta, "the step size of each element, starting at the learning rate"),
    ),
    update=(
        (agreement, g * update),
        (
            step,
            Piecewise(
                (Min(Max(step * eta_plus, step_min), step_max), agreement > 0),
                (Min(Max(step * eta_minus, step_min), step_max), agreement < 0),
                (step, True),
            ),
        ),
        (applied, Piecewise((0, agreement < 0), (update, True))),
        (w, w - applied),
        (update, Piecewise((0, agreement < 0), (step * sign(g), True))),
    ),
    constraints=(Constraint(step_min <= step_max, "step_size_min must not exceed step_size_max"),),
    base_options="none",
    convention="Optax",
    references=TORCH_RPROP.references,
    latex_names={
        **TORCH_RPROP.latex_names,
        update: "u",
        agreement: "q",
        applied: r"\tilde u",
    },
    counterparts=(
        Counterpart(
            "optax.rprop",
            arguments=(
                ("learning_rate", eta),
                ("eta_minus", eta_minus),
                ("eta_plus", eta_plus),
                ("min_step_size", step_min),
                ("max_step_size", step_max),
            ),
        ),
    ),
)

RELATIONS = (
    Equivalence(
        name="optax_rprop_is_not_torch_rprop",
        statement=(
            "Optax's Rprop is not PyTorch's: it applies each step one step late, so its first step leaves the "
            "parameter where it was, where PyTorch's moves it by the learning rate against the gradient's sign."
        ),
        left=SpecUpdate("Rprop"),
        right=SpecUpdate("TorchRprop"),
        holds=False,
        steps=1,
    ),
)
