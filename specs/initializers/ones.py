"""Ones: Constant with value 1."""

from codegen.language.initializer import ClosedForm, Counterpart, Derivation, InitializerSpec

SPEC = InitializerSpec(
    name="Ones",
    aliases=("ones",),
    summary="Every element 1.",
    derived_from=Derivation("Constant", arguments=(("value", 1),)),
    counterparts=(Counterpart("keras.initializers.Ones"), Counterpart("torch.nn.init.ones_")),
)

RELATIONS = (ClosedForm("Ones", "value", 1, "keras.initializers.Ones and torch.nn.init.ones_: every element 1"),)
