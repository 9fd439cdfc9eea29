"""HeUniform: VarianceScaling(scale=2, mode='fan_in', distribution='uniform')."""

from sympy import sqrt

from codegen.language.initializer import ClosedForm, Counterpart, Derivation, InitializerSpec, SeedExample, fan_in

HE = (
    "K. He, X. Zhang, S. Ren, J. Sun, Delving deep into rectifiers: surpassing human-level performance "
    "on ImageNet classification, ICCV 2015"
)

SPEC = InitializerSpec(
    name="HeUniform",
    aliases=("he_uniform",),
    summary="Kaiming uniform: uniform on ±√(6/fan_in).",
    derived_from=Derivation(
        "VarianceScaling",
        choices=(("mode", "fan_in"), ("distribution", "uniform")),
        arguments=(("scale", 2),),
    ),
    counterparts=(
        Counterpart("keras.initializers.HeUniform"),
        Counterpart("torch.nn.init.kaiming_uniform_", (("mode", "fan_in"), ("nonlinearity", "relu"))),
    ),
    references=(HE + ".",),
)

# Stated as published, independently of the derivation above; the generated checks prove they agree.
RELATIONS = (
    ClosedForm("HeUniform", "maxval", sqrt(6 / fan_in), HE + " (variance 2/fan_in, uniform on ±sqrt(3·variance))"),
    SeedExample(
        "HeUniform",
        "GlorotUniform",
        "the original design document's code line for HeUniform calls GlorotUniform()/glorot_uniform()",
    ),
)
