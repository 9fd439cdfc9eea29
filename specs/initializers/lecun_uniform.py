"""LecunUniform: VarianceScaling(scale=1, mode='fan_in', distribution='uniform')."""

from sympy import sqrt

from codegen.language.initializer import ClosedForm, Counterpart, Derivation, InitializerSpec, SeedExample, fan_in

LECUN = (
    "Y. LeCun, L. Bottou, G. B. Orr, K.-R. Müller, Efficient BackProp, in Neural Networks: Tricks of the Trade, 1998"
)

SPEC = InitializerSpec(
    name="LecunUniform",
    aliases=("lecun_uniform",),
    summary="LeCun uniform: uniform on ±√(3/fan_in).",
    derived_from=Derivation(
        "VarianceScaling",
        choices=(("mode", "fan_in"), ("distribution", "uniform")),
        arguments=(("scale", 1),),
    ),
    counterparts=(
        Counterpart("keras.initializers.LecunUniform"),
        Counterpart("torch.nn.init.kaiming_uniform_", (("mode", "fan_in"), ("nonlinearity", "linear"))),
    ),
    references=(LECUN + ".",),
)

# Stated as published, independently of the derivation above; the generated checks prove they agree.
RELATIONS = (
    ClosedForm("LecunUniform", "maxval", sqrt(3 / fan_in), LECUN),
    SeedExample(
        "LecunUniform",
        "LecunNormal",
        "the original design document's code line for LecunUniform calls LecunNormal()/lecun_normal()",
    ),
)
