"""LARS (layer-wise adaptive rate scaling), in Optax's convention (``optax.lars``).

The gradient, with the weight decay λw added, is scaled per tensor by the
trust ratio c‖w‖/(‖g + λw‖ + ε), so that every layer's step is a fixed
fraction c of its own norm, then by the learning rate, and accumulated with
momentum (Optax's ``trace``: the buffer holds the steps themselves, signs
included); the parameter moves by one sum, Δw, as Optax applies its update. Where either norm is 0 the ratio
is 1.
"""

from sympy import Eq, Interval, Piecewise, oo, symbols

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
    norm,
    w,
)
from codegen.language.relations import Equivalence, SpecUpdate
from specs.optimizers.torch_adam import TYPICAL_WEIGHT_DECAY

lambda_wd, trust, epsilon, mu = symbols("lambda_wd trust_coefficient epsilon mu")
u, w_norm, u_norm, ratio, step, b, delta = symbols("u w_norm u_norm ratio s b delta")

SPEC = OptimizerSpec(
    name="LARS",
    aliases=("lars",),
    summary="SGD with momentum whose step is scaled per tensor to a fixed fraction of the tensor's norm.",
    hyperparameters=(
        learning_rate(0.1),
        Hyperparameter(
            lambda_wd,
            "weight_decay",
            0.0,
            Interval(0, oo),
            "λw is added to g before the trust ratio",
            typical=TYPICAL_WEIGHT_DECAY,
        ),
        Hyperparameter(
            trust,
            "trust_coefficient",
            0.001,
            Interval.Lopen(0, oo),
            "the fraction c of ‖w‖ a step moves",
            typical=Typical(1e-3, 1e-1, log=True),
        ),
        Hyperparameter(
            epsilon, "epsilon", 0.0, Interval(0, oo), "added to ‖g + λw‖", typical=Typical(1e-3, 1e-1, log=True)
        ),
        Hyperparameter(
            mu, "momentum", 0.9, Interval.Ropen(0, 1), "decay of the momentum buffer", typical=Typical(0.5, 0.95)
        ),
    ),
    state=(State(b, "trace", 0, "momentum buffer: the steps, decayed"),),
    update=(
        (u, g + lambda_wd * w),
        (w_norm, norm(w)),
        (u_norm, norm(u)),
        (ratio, Piecewise((1, Eq(w_norm, 0) | Eq(u_norm, 0)), (trust * w_norm / (u_norm + epsilon), True))),
        (step, -eta * ratio * u),
        (b, mu * b + step),
        (delta, step + mu * b),
        (w, w + delta),
    ),
    options=(
        Option("weight_decay", when_off={lambda_wd: 0}, kind="nonzero", description="no weight decay"),
        Option("nesterov", when_off={step + mu * b: b}, applies_to=(delta,), description="step by s + μb, not b"),
    ),
    base_options="none",
    convention="Optax",
    references=("Y. You, I. Gitman, B. Ginsburg, Large batch training of convolutional networks, 2017.",),
    latex_names={
        lambda_wd: r"\lambda",
        trust: "c",
        mu: r"\mu",
        w_norm: "n_w",
        u_norm: "n_u",
        ratio: r"\rho",
        delta: r"\Delta w",
    },
    counterparts=(
        Counterpart(
            "optax.lars",
            arguments=(
                ("learning_rate", eta),
                ("weight_decay", lambda_wd),
                ("trust_coefficient", trust),
                ("eps", epsilon),
                ("momentum", mu),
                ("nesterov", "nesterov"),
            ),
        ),
    ),
)

# PyTorch's SGD, by its symbol names: its buffer holds gradients, LARS's holds steps (b = −η·b_torch).
dampening, lambda_l2 = symbols("tau lambda_l2")


def unit_ratio_is_torch_sgd(name: str, nesterov: bool, weight_decay: bool) -> Equivalence:
    options = {"nesterov": nesterov, "weight_decay": weight_decay}
    form = "Nesterov momentum" if nesterov else "momentum"
    decay = ", and LARS's λw is PyTorch's L2 term" if weight_decay else ""
    return Equivalence(
        name=name,
        statement=(
            f"LARS with the trust ratio fixed at 1 is PyTorch's SGD with {form} and no dampening; LARS's buffer "
            f"holds the steps, −η times PyTorch's{decay}."
        ),
        left=SpecUpdate("LARS", options=options, substitution={ratio: 1}),
        right=SpecUpdate(
            "TorchSGD",
            options={"momentum": True, **options},
            substitution={dampening: 0, **({lambda_l2: lambda_wd} if weight_decay else {})},
        ),
        state_map={b: -eta * b},
    )


RELATIONS = (
    unit_ratio_is_torch_sgd("lars_unit_trust_ratio_is_torch_sgd_momentum", nesterov=False, weight_decay=False),
    unit_ratio_is_torch_sgd("lars_unit_trust_ratio_is_torch_sgd_nesterov_l2", nesterov=True, weight_decay=True),
)
