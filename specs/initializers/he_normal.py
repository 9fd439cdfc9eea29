"""HeNormal: VarianceScaling(scale=2, mode='fan_in', distribution='truncated_normal')."""

from codegen.language.initializer import ClosedForm, Counterpart, Derivation, InitializerSpec, fan_in

HE = (
    "K. He, X. Zhang, S. Ren, J. Sun, Delving deep into rectifiers: surpassing human-level performance "
    "on ImageNet classification, ICCV 2015"
)

SPEC = InitializerSpec(
    name="HeNormal",
    aliases=("he_normal",),
    summary="Kaiming normal: truncated normal with variance 2/fan_in after truncation.",
    derived_from=Derivation(
        "VarianceScaling",
        choices=(("mode", "fan_in"), ("distribution", "truncated_normal")),
        arguments=(("scale", 2),),
    ),
    counterparts=(
        Counterpart("keras.initializers.HeNormal"),
        Counterpart(
            "torch.nn.init.kaiming_normal_",
            (("mode", "fan_in"), ("nonlinearity", "relu")),
            same=False,
            note="untruncated",
        ),
    ),
    references=(HE + ".",),
)

# Stated as published, independently of the derivation above; the generated checks prove they agree.
RELATIONS = (ClosedForm("HeNormal", "variance", 2 / fan_in, HE),)
