"""PyTorch's ``kaiming_uniform_``: U(±g·sqrt(3 / fan)), g from the nonlinearity, fans of an (out, in, ...) tensor.

VarianceScaling(scale=g², distribution='uniform') in PyTorch's layout, mode fan_in or fan_out.
Keras's HeUniform is the relu case (and LecunUniform the linear one) on the transposed shape.
"""

from sympy import Interval, Symbol, oo

from codegen.initializer_spec import Comparison, Derivation, InitializerSpec, torch_nonlinearity
from codegen.spec import Hyperparameter

a = Symbol("a", real=True)
gain = Symbol("gain", positive=True)

SPEC = InitializerSpec(
    name="KaimingUniform",
    aliases=("kaiming_uniform",),
    summary=r"PyTorch's Kaiming uniform: $\\mathcal{U}(\\pm g\\sqrt{3/n})$, n the fan that mode picks.",
    arguments=(Hyperparameter(a, "a", 0.0, Interval.open(-oo, oo), "negative slope of the leaky ReLU that follows"),),
    choices=(torch_nonlinearity(gain, a),),
    derived_from=Derivation(
        "VarianceScaling",
        choices=(("distribution", "uniform"),),
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
        "torch.nn.init.kaiming_uniform_(tensor, a, mode, nonlinearity); its default nonlinearity is "
        "leaky_relu with a = 0, whose gain is relu's, sqrt(2).",
    ),
    latex_names={gain: "g", a: "a"},
)

RELATIONS = (
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
