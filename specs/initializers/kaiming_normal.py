"""PyTorch's ``kaiming_normal_``: N(0, g² / fan), g from the nonlinearity, fans of an (out, in, ...) tensor.

VarianceScaling(scale=g², distribution='untruncated_normal') in PyTorch's layout, mode fan_in or fan_out.
Keras's HeNormal has the variance of the relu case but truncates at ±2σ (and widens σ to make up for it).
"""

from sympy import Interval, Symbol, oo

from codegen.language.initializer import (
    ClosedForm,
    Comparison,
    Counterpart,
    Derivation,
    Hyperparameter,
    InitializerSpec,
    Typical,
    fan_in,
    fan_out,
    torch_nonlinearity,
)

a = Symbol("a", real=True)
gain = Symbol("gain", positive=True)

SPEC = InitializerSpec(
    name="KaimingNormal",
    aliases=("kaiming_normal",),
    summary="PyTorch's Kaiming normal: untruncated, variance g²/n, n the fan that mode picks.",
    arguments=(
        # Drawn among the slopes in use, from torch's LeakyReLU default 0.01 to Keras's 0.3, away from 0, where
        # leaky_relu's gain is relu's.
        Hyperparameter(
            a,
            "a",
            0.0,
            Interval.open(-oo, oo),
            "negative slope of the leaky ReLU that follows",
            typical=Typical(0.01, 0.3),
        ),
    ),
    choices=(torch_nonlinearity(gain, a),),
    derived_from=Derivation(
        "VarianceScaling",
        choices=(("distribution", "untruncated_normal"),),
        arguments=(("scale", gain**2),),
        restrict=(("mode", ("fan_in", "fan_out")),),
    ),
    layout="torch",
    ranks=(2, None),
    references=(
        "K. He, X. Zhang, S. Ren, J. Sun, Delving deep into rectifiers: surpassing human-level performance "
        "on ImageNet classification, ICCV 2015.",
    ),
    notes=(
        "torch.nn.init.kaiming_normal_(tensor, a, mode, nonlinearity); its default nonlinearity is "
        "leaky_relu with a = 0, whose gain is relu's, sqrt(2).",
    ),
    latex_names={gain: "g", a: "a"},
    counterparts=(Counterpart("torch.nn.init.kaiming_normal_"),),
)

# torch's documented closed form (torch.nn.init: std = gain / sqrt(fan_mode), the gain calculate_gain's, which the
# nonlinearity choice holds), stated without the derivation from VarianceScaling.
TORCH_DOCS = "torch.nn.init.kaiming_normal_ and calculate_gain, PyTorch 2.13 documentation"
RELATIONS = (
    ClosedForm("KaimingNormal", "variance", gain**2 / fan_in, TORCH_DOCS, (("mode", "fan_in"),)),
    ClosedForm("KaimingNormal", "variance", gain**2 / fan_out, TORCH_DOCS, (("mode", "fan_out"),)),
    Comparison(
        "PyTorch's kaiming_normal_ for a relu has Keras's HeNormal variance 2/fan_in, but is untruncated: "
        "HeNormal's values stop at 2σ/c, kaiming_normal_'s do not.",
        "KaimingNormal",
        "HeNormal",
        "same variance",
        left_settings=(("nonlinearity", "relu"),),
    ),
)
