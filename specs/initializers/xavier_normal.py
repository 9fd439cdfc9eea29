"""PyTorch's ``xavier_normal_``: N(0, g²·2 / (fan_in + fan_out)), untruncated, fans of an (out, in, ...) tensor.

XavierUniform's declaration with the untruncated normal: VarianceScaling(scale=g², mode='fan_avg',
distribution='untruncated_normal') in PyTorch's layout. Keras's GlorotNormal has the same variance but
truncates at ±2σ (and widens σ to make up for it).
"""

from dataclasses import replace

from codegen.language.initializer import ClosedForm, Comparison, Counterpart, fan_in, fan_out
from specs.initializers.xavier_uniform import SPEC as XAVIER_UNIFORM
from specs.initializers.xavier_uniform import gain

SPEC = replace(
    XAVIER_UNIFORM,
    name="XavierNormal",
    aliases=("xavier_normal",),
    summary="PyTorch's Xavier normal: untruncated, variance 2g²/(fan_in + fan_out).",
    derived_from=replace(
        XAVIER_UNIFORM.derived_from, choices=(("mode", "fan_avg"), ("distribution", "untruncated_normal"))
    ),
    notes=("torch.nn.init.xavier_normal_(tensor, gain): untruncated, unlike Keras's GlorotNormal.",),
    counterparts=(Counterpart("torch.nn.init.xavier_normal_"),),
)

RELATIONS = (
    # torch.nn.init.xavier_normal_: std = gain · sqrt(2 / (fan_in + fan_out)), as documented.
    ClosedForm(
        "XavierNormal",
        "variance",
        2 * gain**2 / (fan_in + fan_out),
        "torch.nn.init.xavier_normal_, PyTorch 2.13 documentation",
    ),
    Comparison(
        "PyTorch's xavier_normal_ with gain 1 has Keras's GlorotNormal variance 2/(fan_in + fan_out), "
        "but is untruncated.",
        "XavierNormal",
        "GlorotNormal",
        "same variance",
        left_settings=(("gain", 1),),
    ),
)
