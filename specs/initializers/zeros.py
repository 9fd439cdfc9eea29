"""Zeros: Constant with value 0 (Keras's default bias initializer)."""

from codegen.language.initializer import Derivation, InitializerSpec

SPEC = InitializerSpec(
    name="Zeros",
    aliases=("zeros",),
    summary="Every element 0.",
    derived_from=Derivation("Constant", arguments=(("value", 0),)),
)
