"""RandomUniform: every element an independent uniform draw on [minval, maxval)."""

from sympy import Interval, Symbol, oo

from codegen.language.initializer import (
    Case,
    Constraint,
    Counterpart,
    Hyperparameter,
    InitializerSpec,
    Typical,
    distribution,
)

minval = Symbol("minval", real=True)
maxval = Symbol("maxval", real=True)

SPEC = InitializerSpec(
    name="RandomUniform",
    aliases=("random_uniform",),
    summary="Independent draws from a uniform distribution on [minval, maxval).",
    arguments=(
        # Drawn on either side of 0, so that every draw meets the constraint and the values change sign.
        Hyperparameter(
            minval, "minval", -0.05, Interval.open(-oo, oo), "lower bound of the values", typical=Typical(-1.0, -0.01)
        ),
        Hyperparameter(
            maxval, "maxval", 0.05, Interval.open(-oo, oo), "upper bound of the values", typical=Typical(0.01, 1.0)
        ),
    ),
    cases=(Case((), distribution("uniform", minval=minval, maxval=maxval)),),
    constraints=(Constraint(minval <= maxval, "minval must not exceed maxval"),),
    counterparts=(
        Counterpart("keras.initializers.RandomUniform"),
        Counterpart("torch.nn.init.uniform_", (("a", minval), ("b", maxval))),
    ),
)
