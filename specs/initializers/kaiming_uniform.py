"""PyTorch's ``kaiming_uniform_``: U(±g·sqrt(3 / fan)), g from the nonlinearity, fans of an (out, in, ...) tensor.

KaimingNormal's declaration with the uniform distribution: VarianceScaling(scale=g², distribution='uniform')
in PyTorch's layout, mode fan_in or fan_out. Keras's HeUniform is the relu case (and LecunUniform the
linear one) on the transposed shape.
"""

from dataclasses import replace

from sympy import sqrt

from codegen.language.initializer import ClosedForm, Comparison, Counterpart, fan_in, fan_out
from specs.initializers.kaiming_normal import SPEC as KAIMING_NORMAL
from specs.initializers.kaiming_normal import gain

SPEC = replace(
    KAIMING_NORMAL,
    name="KaimingUniform",
    aliases=("kaiming_uniform",),
    summary="PyTorch's Kaiming uniform: uniform on ±g√(3/n), n the fan that mode picks.",
    derived_from=replace(KAIMING_NORMAL.derived_from, choices=(("distribution", "uniform"),)),
    notes=(
        "torch.nn.init.kaiming_uniform_(tensor, a, mode, nonlinearity); its default nonlinearity is "
        "leaky_relu with a = 0, whose gain is relu's, sqrt(2).",
    ),
    counterparts=(Counterpart("torch.nn.init.kaiming_uniform_"),),
)

# torch's documented bound (torch.nn.init.kaiming_uniform_: bound = gain · sqrt(3 / fan_mode)).
TORCH_DOCS = "torch.nn.init.kaiming_uniform_ and calculate_gain, PyTorch 2.13 documentation"
RELATIONS = (
    ClosedForm("KaimingUniform", "maxval", gain * sqrt(3 / fan_in), TORCH_DOCS, (("mode", "fan_in"),)),
    ClosedForm("KaimingUniform", "maxval", gain * sqrt(3 / fan_out), TORCH_DOCS, (("mode", "fan_out"),)),
    Comparison(
        "kaiming_uniform_ for a relu is Keras's HeUniform, the fans read in each library's layout.",
        "KaimingUniform",
        "HeUniform",
        "identical",
        left_settings=(("nonlinearity", "relu"),),
    ),
    Comparison(
        "kaiming_uniform_ with the linear gain 1 is Keras's LecunUniform.",
        "KaimingUniform",
        "LecunUniform",
        "identical",
        left_settings=(("nonlinearity", "linear"),),
    ),
)
