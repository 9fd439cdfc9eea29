"""The legacy tf.keras Nadam (TensorFlow 2 ``optimizer_v2``), derived from Keras 3's Nadam.

Its momentum schedule is μ_t = β1(1 − ½·0.96^(0.004·t)), PyTorch's default;
Keras 3 dropped the 0.004. No weight decay.
"""

from sympy import Rational, symbols

from codegen.language.optimizer import Convention, Counterpart, derive, eta
from codegen.language.relations import Equivalence, SpecUpdate
from specs.optimizers.nadam import SPEC as KERAS_NADAM
from specs.optimizers.nadam import decay

beta_1, beta_2, epsilon = symbols("beta_1 beta_2 epsilon")
psi, m, v, Pi = symbols("psi m v Pi")

SPEC = derive(
    KERAS_NADAM,
    name="LegacyKerasNadam",
    aliases=("legacy_keras_nadam",),
    summary="Nadam as the legacy tf.keras optimizer computed it: the momentum warms up 250 times more slowly.",
    substitution={decay: decay ** Rational(4, 1000)},
    text="0.96 → 0.96^0.004",
    note="the momentum schedule is β1(1 − ½·0.96^(0.004·t)); Keras 3 uses 0.96^t.",
    base_options="none",
    convention="tf.keras (legacy)",
    references=KERAS_NADAM.references,
    conventions=(Convention("PyTorch", r"\texttt{NAdam} with the default momentum\_decay $0.004$ is this update."),),
    counterparts=(
        Counterpart(
            "torch.optim.NAdam",
            arguments=(("lr", eta), ("betas", (beta_1, beta_2)), ("eps", epsilon), ("momentum_decay", 0.004)),
            same=False,
            note="the same rule with PyTorch's defaults (η = 0.002, ε = 1e-8)",
        ),
    ),
)

RELATIONS = (
    Equivalence(
        name="legacy_keras_nadam_is_torch_nadam_with_default_momentum_decay",
        statement="The legacy tf.keras Nadam is PyTorch's NAdam with its default momentum_decay ψ = 0.004.",
        left=SpecUpdate("LegacyKerasNadam"),
        right=SpecUpdate("TorchNAdam", substitution={psi: Rational(4, 1000)}),
        state_map={m: m, v: v, Pi: Pi},
    ),
)
