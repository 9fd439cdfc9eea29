"""GlorotNormal: VarianceScaling(scale=1, mode='fan_avg', distribution='truncated_normal')."""

from codegen.language.initializer import ClosedForm, Counterpart, Derivation, InitializerSpec, fan_in, fan_out

GLOROT = "X. Glorot, Y. Bengio, Understanding the difficulty of training deep feedforward neural networks, AISTATS 2010"

SPEC = InitializerSpec(
    name="GlorotNormal",
    aliases=("glorot_normal",),
    summary="Xavier normal: truncated normal with variance 2/(fan_in + fan_out) after truncation.",
    derived_from=Derivation(
        "VarianceScaling",
        choices=(("mode", "fan_avg"), ("distribution", "truncated_normal")),
        arguments=(("scale", 1),),
    ),
    counterparts=(
        Counterpart("keras.initializers.GlorotNormal"),
        Counterpart("torch.nn.init.xavier_normal_", same=False, note="untruncated"),
    ),
    references=(GLOROT + ".",),
)

# Stated as published, independently of the derivation above; the generated checks prove they agree.
RELATIONS = (ClosedForm("GlorotNormal", "variance", 2 / (fan_in + fan_out), GLOROT),)
