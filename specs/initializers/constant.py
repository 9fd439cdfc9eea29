"""Constant: every element the same value."""

from sympy import Interval, Symbol, oo

from codegen.language.common import Hyperparameter
from codegen.language.initializer import Case, InitializerSpec, distribution

value = Symbol("value", real=True)

SPEC = InitializerSpec(
    name="Constant",
    aliases=("constant",),
    summary="Every element equal to one value.",
    arguments=(Hyperparameter(value, "value", 0.0, Interval.open(-oo, oo), "the value of every element"),),
    cases=(Case((), distribution("constant", value=value)),),
)
