"""PyTorch's ``trunc_normal_``: N(mean, std²) restricted to [a, b], the bounds ABSOLUTE values.

Keras's TruncatedNormal cuts at mean ∓ 2·stddev; PyTorch's defaults a = −2, b = 2 cut at ∓2 whatever
std is, so for the usual std = 0.02 they cut nothing (100σ). The two agree when a = mean − 2·std and
b = mean + 2·std (a relation below, proven by the generated checks).
"""

import sympy
from sympy import Interval, Symbol, erf, oo, sqrt

from codegen.language.initializer import (
    Case,
    Comparison,
    Constraint,
    Counterpart,
    Hyperparameter,
    InitializerSpec,
    Typical,
    distribution,
)

mean = Symbol("mean", real=True)
std = Symbol("std", positive=True)
a = Symbol("a", real=True)
b = Symbol("b", real=True)

# The probability mass N(mean, std²) puts on [a, b]: each value takes 1/mass draws on average.
_MASS = (erf((b - mean) / (std * sqrt(2))) - erf((a - mean) / (std * sqrt(2)))) / 2

SPEC = InitializerSpec(
    name="TruncNormal",
    aliases=("trunc_normal",),
    summary="PyTorch's truncated normal: N(μ, σ²) restricted to [a, b], absolute bounds.",
    arguments=(
        Hyperparameter(
            mean,
            "mean",
            0.0,
            Interval.open(-oo, oo),
            "mean of the normal before truncation",
            typical=Typical(-0.5, 0.5),
        ),
        # Drawn below 1, where the bounds ±2 would be ±2 std (Keras's cut). The bounds a and b are drawn around the
        # drawn mean, a few std away (codegen.referee.initializer), so that the cut matters.
        Hyperparameter(
            std,
            "std",
            1.0,
            Interval.open(0, oo),
            "standard deviation of the normal before truncation",
            typical=Typical(0.01, 0.5, log=True),
        ),
        Hyperparameter(a, "a", -2.0, Interval.open(-oo, oo), "the smallest value, absolute"),
        Hyperparameter(b, "b", 2.0, Interval.open(-oo, oo), "the largest value, absolute"),
    ),
    cases=(Case((), distribution("truncated_normal", mean=mean, stddev=std, lower=a, upper=b)),),
    constraints=(
        Constraint(a < b, "a must be below b"),
        # Values are drawn by rejection; torch inverts the CDF instead, so it also serves far tails.
        Constraint(_MASS >= 1e-4, "[a, b] must hold at least 1e-4 of N(mean, std^2) (values are drawn by rejection)"),
    ),
    layout="torch",
    notes=(
        "torch.nn.init.trunc_normal_(tensor, mean, std, a, b) draws by inverting the CDF and clamps to [a, b]; "
        "the distribution is the same.",
    ),
    latex_names={mean: r"\mu", std: r"\sigma"},
    counterparts=(
        Counterpart("torch.nn.init.trunc_normal_", note="draws by inverting the CDF, the same distribution"),
    ),
)

_m, _s = Symbol("m", real=True), Symbol("s", positive=True)
RELATIONS = (
    Comparison(
        "trunc_normal_ with a = mean - 2 std and b = mean + 2 std is Keras's TruncatedNormal(mean, std).",
        "TruncNormal",
        "TruncatedNormal",
        "identical",
        left_settings=(("mean", _m), ("std", _s), ("a", _m - 2 * _s), ("b", _m + 2 * _s)),
        right_settings=(("mean", _m), ("stddev", _s)),
    ),
    Comparison(
        "With its default bounds a = -2, b = 2 and the usual std = 0.02, trunc_normal_ cuts at 100 std "
        "(nothing), Keras's TruncatedNormal(stddev=0.02) at 2 stddev.",
        "TruncNormal",
        "TruncatedNormal",
        "different",
        left_settings=(("std", sympy.Rational(1, 50)),),
        right_settings=(("mean", 0), ("stddev", sympy.Rational(1, 50))),
    ),
)
