"""Zeros: Constant with value 0 (Keras's default bias initializer)."""

from codegen.language.initializer import ClosedForm, Counterpart, Derivation, InitializerSpec

SPEC = InitializerSpec(
    name="Zeros",
    aliases=("zeros",),
    summary="Every element 0.",
    derived_from=Derivation("Constant", arguments=(("value", 0),)),
    counterparts=(Counterpart("keras.initializers.Zeros"), Counterpart("torch.nn.init.zeros_")),
    default_of=("keras.layers.Dense(bias_initializer)", "keras.layers.Conv2D(bias_initializer)"),
)

RELATIONS = (ClosedForm("Zeros", "value", 0, "keras.initializers.Zeros and torch.nn.init.zeros_: every element 0"),)
