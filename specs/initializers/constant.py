"""Constant: every element the same value."""

from sympy import Interval, Symbol, oo

from codegen.language.initializer import Case, Counterpart, Hyperparameter, InitializerSpec, Typical, distribution

value = Symbol("value", real=True)

SPEC = InitializerSpec(
    name="Constant",
    aliases=("constant",),
    summary="Every element equal to one value.",
    arguments=(
        # Drawn away from 0, where a value ignored (Zeros) would pass.
        Hyperparameter(
            value, "value", 0.0, Interval.open(-oo, oo), "the value of every element", typical=Typical(0.25, 2.0)
        ),
    ),
    cases=(Case((), distribution("constant", value=value)),),
    counterparts=(
        Counterpart("keras.initializers.Constant"),
        Counterpart("torch.nn.init.constant_", (("val", value),)),
    ),
)
