"""RandomNormal: every element an independent normal draw."""

from sympy import Interval, Symbol, oo

from codegen.language.common import Hyperparameter
from codegen.language.initializer import Case, InitializerSpec, distribution

mean = Symbol("mean", real=True)
stddev = Symbol("stddev", real=True)

SPEC = InitializerSpec(
    name="RandomNormal",
    aliases=("random_normal",),
    summary="Independent draws from a normal distribution with the given mean and standard deviation.",
    arguments=(
        Hyperparameter(mean, "mean", 0.0, Interval.open(-oo, oo), "mean of the values"),
        Hyperparameter(stddev, "stddev", 0.05, Interval.Ropen(0, oo), "standard deviation of the values"),
    ),
    cases=(Case((), distribution("normal", mean=mean, stddev=stddev)),),
)
