"""RandomNormal: every element an independent normal draw."""

from sympy import Interval, Symbol, oo

from codegen.language.initializer import Case, Counterpart, Hyperparameter, InitializerSpec, Typical, distribution

mean = Symbol("mean", real=True)
stddev = Symbol("stddev", real=True)

SPEC = InitializerSpec(
    name="RandomNormal",
    aliases=("random_normal",),
    summary="Independent draws from a normal distribution with the given mean and standard deviation.",
    arguments=(
        Hyperparameter(mean, "mean", 0.0, Interval.open(-oo, oo), "mean of the values", typical=Typical(-0.5, 0.5)),
        Hyperparameter(
            stddev,
            "stddev",
            0.05,
            Interval.Ropen(0, oo),
            "standard deviation of the values",
            typical=Typical(0.01, 0.5, log=True),
        ),
    ),
    cases=(Case((), distribution("normal", mean=mean, stddev=stddev)),),
    counterparts=(
        Counterpart("keras.initializers.RandomNormal"),
        Counterpart("torch.nn.init.normal_", (("mean", mean), ("std", stddev))),
    ),
)
