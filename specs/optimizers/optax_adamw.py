"""``optax.adamw``: PyTorch's AdamW update (see torch_adamw.py) with Optax's default decay λ = 10⁻⁴ and no amsgrad.

Optax adds λw to Adam's step and scales the sum by η, w ← w − η(m̂/(√v̂ + ε) + λw),
which is PyTorch's decay-then-step w(1 − ηλ) − η·m̂/(√v̂ + ε) written out.
"""

from sympy import Max, symbols

from codegen.language.optimizer import Counterpart, Option, derive, eta
from specs.optimizers.torch_adamw import SPEC as TORCH_ADAMW
from specs.optimizers.torch_adamw import beta_1, beta_2, epsilon, lambda_wd, m, v

vhat = symbols("vhat")

SPEC = derive(
    TORCH_ADAMW,
    name="OptaxAdamW",
    aliases=("optax_adamw",),
    summary="AdamW as optax.adamw computes it: PyTorch's update, decay 1e-4 by default, no amsgrad.",
    substitution={Max(vhat, v): v},
    text="max(v̂, v) → v, weight_decay = 10⁻⁴ by default",
    note="the update of PyTorch's AdamW without amsgrad, which Optax does not have.",
    defaults={"weight_decay": 1e-4},
    state=tuple(s for s in TORCH_ADAMW.state if s.symbol in (m, v)),
    options=(Option("weight_decay", when_off={lambda_wd: 0}, kind="nonzero", description="no decay"),),
    base_options="none",
    convention="Optax",
    conventions=(),
    counterparts=(
        Counterpart(
            "optax.adamw",
            arguments=(
                ("learning_rate", eta),
                ("b1", beta_1),
                ("b2", beta_2),
                ("eps", epsilon),
                ("weight_decay", lambda_wd),
            ),
        ),
    ),
)
