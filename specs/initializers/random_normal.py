"""RandomNormal: every element an independent normal draw."""

from sympy import Interval, Symbol, oo

from codegen.initializer_spec import Case, InitializerSpec, distribution
from codegen.spec import Hyperparameter

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
