"""Nadam as Optax computes it (``optax.nadam``, ``optax.nadamw``): Dozat's Nesterov Adam without a momentum schedule.

Keras's and PyTorch's Nadam warm their momentum up, μ_t = β1(1 − ½·0.96^(ψt));
Optax's keeps μ_t = β1 from the first step, the limit of their schedule as
0.96^t → 0: the bias-corrected momentum looks one step ahead,
m̂ = β1 m/(1 − β1^(t+1)) + (1 − β1) g/(1 − β1^t). ε is added outside the root
of the bias-corrected v̂ (and ``epsilon_root`` inside it). ``optax.nadamw``
adds the decoupled decay λw to the step: w ← w − η(m̂/(√(v̂ + ε_root) + ε) + λw).
"""

from sympy import Interval, oo, symbols

from codegen.language.optimizer import (
    Convention,
    Counterpart,
    Hyperparameter,
    Option,
    Typical,
    derive,
    eta,
    learning_rate,
    t,
    w,
)
from codegen.language.relations import Equivalence, SpecUpdate
from specs.optimizers.adam import TYPICAL_EPSILON
from specs.optimizers.nadam import SPEC as KERAS_NADAM
from specs.optimizers.nadam import decay
from specs.optimizers.torch_adam import TYPICAL_WEIGHT_DECAY

beta_1, beta_2, epsilon, epsilon_root, lambda_wd = symbols("beta_1 beta_2 epsilon epsilon_root lambda_wd")
v, vhat, w_decayed = symbols("v vhat w_decayed")

SPEC = derive(
    KERAS_NADAM,
    name="OptaxNadam",
    aliases=("optax_nadam",),
    summary="Nesterov Adam with a constant momentum μ_t = β1, as optax.nadam and optax.nadamw compute it.",
    substitution={decay**t: 0, decay ** (t + 1): 0, vhat: vhat + epsilon_root, w: w_decayed},
    text="0.96^t → 0, v̂ → v̂ + ε_root, w → w − ηλw",
    note="the momentum schedule at its limit, μ_t = β1; ε_root inside the root; Optax's decoupled weight decay.",
    prepend=((w_decayed, w - eta * lambda_wd * w),),
    hyperparameters=(
        learning_rate(0.001),
        *(KERAS_NADAM.hyperparameter(argument) for argument in ("beta_1", "beta_2")),
        Hyperparameter(
            epsilon, "epsilon", 1e-8, Interval(0, oo), "added to the root of the corrected v̂", typical=TYPICAL_EPSILON
        ),
        Hyperparameter(
            epsilon_root,
            "epsilon_root",
            0.0,
            Interval(0, oo),
            "added to the corrected v̂ inside the root",
            typical=Typical(1e-8, 1e-3, log=True),
        ),
        Hyperparameter(
            lambda_wd,
            "weight_decay",
            0.0,
            Interval(0, oo),
            "decoupled weight decay: λw is added to the step",
            typical=TYPICAL_WEIGHT_DECAY,
        ),
    ),
    options=(Option("weight_decay", when_off={lambda_wd: 0}, kind="nonzero", description="no decay"),),
    base_options="none",
    convention="Optax",
    conventions=(
        Convention(
            "Keras 3 and PyTorch",
            r"\texttt{Nadam} and \texttt{NAdam} warm the momentum up, $\mu_t = \beta_1(1 - \tfrac12 0.96^{\psi t})$ "
            r"($\psi = 1$ in Keras, $0.004$ in PyTorch).",
        ),
    ),
    latex_names={**KERAS_NADAM.latex_names, epsilon_root: r"\epsilon_{\mathrm{root}}", w_decayed: r"\tilde w"},
    counterparts=(
        Counterpart(
            "optax.nadam",
            arguments=(
                ("learning_rate", eta),
                ("b1", beta_1),
                ("b2", beta_2),
                ("eps", epsilon),
                ("eps_root", epsilon_root),
            ),
            requires=(("weight_decay", 0.0),),
            note="optax.nadam has no weight decay (optax.nadamw: OptaxNadamW)",
        ),
    ),
)

RELATIONS = (
    Equivalence(
        name="optax_nadam_without_momentum_is_torch_adam",
        statement=(
            "With β1 = 0 the look-ahead has nothing to look at: OptaxNadam is Adam without momentum, PyTorch's Adam "
            "at β1 = 0 (ε outside the corrected root), once ε_root = 0."
        ),
        left=SpecUpdate("OptaxNadam", substitution={beta_1: 0, epsilon_root: 0}),
        right=SpecUpdate("TorchAdam", substitution={beta_1: 0}),
        state_map={v: v},
    ),
    Equivalence(
        name="optax_nadam_is_not_torch_nadam",
        statement=(
            "It is not PyTorch's NAdam, whose momentum warms up over some thousand steps (ψ = 0.004): the two part "
            "from the first step, where PyTorch's μ₁ is about β1/2."
        ),
        left=SpecUpdate("OptaxNadam", substitution={epsilon_root: 0}),
        right=SpecUpdate("TorchNAdam"),
        holds=False,
    ),
)
