"""PyTorch's ``xavier_uniform_``: U(±g·sqrt(6 / (fan_in + fan_out))), fans of an (out, in, ...) tensor.

VarianceScaling(scale=g², mode='fan_avg', distribution='uniform') read in PyTorch's layout: Keras's
GlorotUniform is the case g = 1 on the transposed shape.
"""

from sympy import Interval, Symbol, oo, sqrt

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
)

gain = Symbol("gain", positive=True)
GLOROT = "X. Glorot, Y. Bengio, Understanding the difficulty of training deep feedforward neural networks, AISTATS 2010"

SPEC = InitializerSpec(
    name="XavierUniform",
    aliases=("xavier_uniform",),
    summary="PyTorch's Xavier uniform: uniform on ±g√(6/(fan_in + fan_out)).",
    # Drawn away from 1, where a gain ignored would pass.
    arguments=(
        Hyperparameter(gain, "gain", 1.0, Interval.open(0, oo), "scaling factor g", typical=Typical(1.25, 2.0)),
    ),
    derived_from=Derivation(
        "VarianceScaling",
        choices=(("mode", "fan_avg"), ("distribution", "uniform")),
        arguments=(("scale", gain**2),),
    ),
    layout="torch",
    ranks=(2, None),
    references=(GLOROT + ".",),
    notes=("torch.nn.init.xavier_uniform_(tensor, gain); the fans of an (out, in, *kernel) tensor.",),
    latex_names={gain: "g"},
    counterparts=(Counterpart("torch.nn.init.xavier_uniform_"),),
)

RELATIONS = (
    ClosedForm("XavierUniform", "maxval", gain * sqrt(6 / (fan_in + fan_out)), GLOROT),
    Comparison(
        "xavier_uniform_ with gain 1 is Keras's GlorotUniform, the fans read in each library's layout.",
        "XavierUniform",
        "GlorotUniform",
        "identical",
        left_settings=(("gain", 1),),
    ),
)
