"""LecunNormal: VarianceScaling(scale=1, mode='fan_in', distribution='truncated_normal')."""

from codegen.language.initializer import ClosedForm, Counterpart, Derivation, InitializerSpec, fan_in

LECUN = (
    "Y. LeCun, L. Bottou, G. B. Orr, K.-R. Müller, Efficient BackProp, in Neural Networks: Tricks of the Trade, 1998"
)

SPEC = InitializerSpec(
    name="LecunNormal",
    aliases=("lecun_normal",),
    summary="LeCun normal: truncated normal with variance 1/fan_in after truncation.",
    derived_from=Derivation(
        "VarianceScaling",
        choices=(("mode", "fan_in"), ("distribution", "truncated_normal")),
        arguments=(("scale", 1),),
    ),
    counterparts=(
        Counterpart("keras.initializers.LecunNormal"),
        Counterpart(
            "torch.nn.init.kaiming_normal_",
            (("mode", "fan_in"), ("nonlinearity", "linear")),
            same=False,
            note="untruncated",
        ),
    ),
    references=(LECUN + ".",),
)

# Stated as published, independently of the derivation above; the generated checks prove they agree.
RELATIONS = (ClosedForm("LecunNormal", "variance", 1 / fan_in, LECUN),)
