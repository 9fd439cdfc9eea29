"""Ones: Constant with value 1."""

from codegen.language.initializer import Derivation, InitializerSpec

SPEC = InitializerSpec(
    name="Ones",
    aliases=("ones",),
    summary="Every element 1.",
    derived_from=Derivation("Constant", arguments=(("value", 1),)),
)
