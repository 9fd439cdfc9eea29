"""RandomUniform: every element an independent uniform draw on [minval, maxval)."""

from sympy import Interval, Symbol, oo

from codegen.language.common import Constraint, Hyperparameter
from codegen.language.initializer import Case, InitializerSpec, distribution

minval = Symbol("minval", real=True)
maxval = Symbol("maxval", real=True)

SPEC = InitializerSpec(
    name="RandomUniform",
    aliases=("random_uniform",),
    summary="Independent draws from a uniform distribution on [minval, maxval).",
    arguments=(
        Hyperparameter(minval, "minval", -0.05, Interval.open(-oo, oo), "lower bound of the values"),
        Hyperparameter(maxval, "maxval", 0.05, Interval.open(-oo, oo), "upper bound of the values"),
    ),
    cases=(Case((), distribution("uniform", minval=minval, maxval=maxval)),),
    constraints=(Constraint(minval <= maxval, "minval must not exceed maxval"),),
)
