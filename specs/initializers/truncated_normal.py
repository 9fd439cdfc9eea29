"""TruncatedNormal: normal draws cut at two standard deviations, values beyond redrawn.

``stddev`` is the standard deviation *before* truncation, so the values have
the smaller standard deviation ``truncated_std * stddev`` (0.8796…·stddev).
"""

from sympy import Interval, Symbol, erf, exp, oo, pi, sqrt

from codegen.language.initializer import (
    Case,
    ClosedForm,
    Counterpart,
    Hyperparameter,
    InitializerSpec,
    Typical,
    keras_truncated_normal,
)

mean = Symbol("mean", real=True)
stddev = Symbol("stddev", real=True)

SPEC = InitializerSpec(
    name="TruncatedNormal",
    aliases=("truncated_normal",),
    summary=(
        "Normal draws restricted to [μ − 2σ, μ + 2σ]: a draw outside is discarded and drawn again. "
        "σ is the standard deviation before truncation."
    ),
    arguments=(
        Hyperparameter(mean, "mean", 0.0, Interval.open(-oo, oo), "mean of the values", typical=Typical(-0.5, 0.5)),
        # Drawn below 1: at a stddev of 1 (and mean 0) the cut at ±2 absolute, torch's habit, is the cut at ±2σ.
        Hyperparameter(
            stddev,
            "stddev",
            0.05,
            Interval.Ropen(0, oo),
            "standard deviation of the normal before truncation",
            typical=Typical(0.01, 0.5, log=True),
        ),
    ),
    cases=(Case((), keras_truncated_normal(mean, stddev)),),
    counterparts=(
        Counterpart("keras.initializers.TruncatedNormal"),
        Counterpart(
            "torch.nn.init.trunc_normal_",
            (("mean", mean), ("std", stddev), ("a", mean - 2 * stddev), ("b", mean + 2 * stddev)),
            note="its bounds a, b are absolute: mean -/+ 2 stddev",
        ),
    ),
    notes=(
        "torch.nn.init.trunc_normal_ takes its bounds a, b in absolute units (default ±2), not in "
        "multiples of std; pass a = mean - 2 std, b = mean + 2 std for these values' distribution.",
    ),
)


def _unit_normal_cdf(x):
    return (1 + erf(x / sqrt(2))) / 2


# The textbook variance of a normal truncated to [-2σ, 2σ], written
# from the standard normal density φ and distribution function Φ, independently of the spec's
# derivation by integration: σ²·(1 − 2·2·φ(2)/(Φ(2) − Φ(−2))).
_PHI_2 = exp(-2) / sqrt(2 * pi)
RELATIONS = (
    ClosedForm(
        "TruncatedNormal",
        "variance",
        stddev**2 * (1 - 2 * 2 * _PHI_2 / (_unit_normal_cdf(2) - _unit_normal_cdf(-2))),
        "variance of a doubly truncated normal, e.g. Johnson, Kotz, Balakrishnan, "
        "Continuous Univariate Distributions vol. 1, eq. 13.134",
    ),
)
