"""PyTorch's ``xavier_normal_``: N(0, g²·2 / (fan_in + fan_out)), untruncated, fans of an (out, in, ...) tensor.

VarianceScaling(scale=g², mode='fan_avg', distribution='untruncated_normal') in PyTorch's layout.
Keras's GlorotNormal has the same variance but truncates at ±2σ (and widens σ to make up for it).
"""

from sympy import Interval, Symbol, oo

from codegen.initializer_spec import Comparison, Derivation, InitializerSpec
from codegen.spec import Hyperparameter

gain = Symbol("gain", positive=True)

SPEC = InitializerSpec(
    name="XavierNormal",
    aliases=("xavier_normal",),
    summary=r"PyTorch's Xavier normal: untruncated, variance $2g^2/(n_{\mathrm{in}}+n_{\mathrm{out}})$.",
    arguments=(Hyperparameter(gain, "gain", 1.0, Interval.open(0, oo), "scaling factor g"),),
    derived_from=Derivation(
        "VarianceScaling",
        choices=(("mode", "fan_avg"), ("distribution", "untruncated_normal")),
        arguments=(("scale", gain**2),),
    ),
    layout="torch",
    ranks=(2, None),
    references=(
        "X. Glorot, Y. Bengio, Understanding the difficulty of training deep feedforward neural networks, "
        "AISTATS 2010.",
    ),
    notes=("torch.nn.init.xavier_normal_(tensor, gain): untruncated, unlike Keras's GlorotNormal.",),
    latex_names={gain: "g"},
)

RELATIONS = (
    Comparison(
        "PyTorch's xavier_normal_ with gain 1 has Keras's GlorotNormal variance 2/(fan_in + fan_out), "
        "but is untruncated.",
        "XavierNormal",
        "GlorotNormal",
        "same variance",
        left_settings=(("gain", 1),),
    ),
)
