"""VarianceScaling: draws whose variance is ``scale / n``, n a fan chosen by ``mode``.

One general expression per distribution in terms of the target variance
``scale / n``; each mode substitutes its fan for ``n``. Glorot, He and Lecun
are this initializer with ``scale``, ``mode`` and ``distribution`` fixed
(``derived_from`` in their spec files).
"""

from sympy import Interval, Symbol, oo, sqrt

from codegen.language.common import Hyperparameter
from codegen.language.initializer import (
    Case,
    Choice,
    InitializerSpec,
    distribution,
    fan_in,
    fan_out,
    keras_truncated_normal,
    truncated_std,
)

scale = Symbol("scale", positive=True)
n = Symbol("n", positive=True)
"""The fan that ``mode`` selects."""

variance = scale / n

MODES = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}

DISTRIBUTIONS = {
    # Truncation at ±2σ shrinks the standard deviation by truncated_std: divide it out first.
    "truncated_normal": keras_truncated_normal(0, sqrt(variance) / truncated_std),
    "untruncated_normal": distribution("normal", mean=0, stddev=sqrt(variance)),
    # U(-L, L) has variance L²/3.
    "uniform": distribution("uniform", minval=-sqrt(3 * variance), maxval=sqrt(3 * variance)),
}

SPEC = InitializerSpec(
    name="VarianceScaling",
    aliases=("variance_scaling",),
    summary=(
        "Zero-mean draws whose variance is the scale divided by a fan of the shape: fan_in, fan_out or their average."
    ),
    arguments=(Hyperparameter(scale, "scale", 1.0, Interval.open(0, oo), "the target variance times the fan"),),
    choices=(
        Choice(
            "mode",
            tuple(MODES),
            "fan_in",
            "which fan divides the scale",
            option_descriptions=tuple((mode, f"n = {fan}") for mode, fan in MODES.items()),
        ),
        Choice(
            "distribution",
            tuple(DISTRIBUTIONS),
            "truncated_normal",
            "the distribution drawn from",
            aliases=(("normal", "truncated_normal"),),
        ),
    ),
    cases=tuple(
        Case((("mode", mode), ("distribution", name)), shape.subs({n: fan}))
        for mode, fan in MODES.items()
        for name, shape in DISTRIBUTIONS.items()
    ),
    references=(
        "K. He, X. Zhang, S. Ren, J. Sun, Delving deep into rectifiers, ICCV 2015 (variance scaling by the fan).",
    ),
    notes=(
        "Keras takes max(1, n); every dimension is at least 1 here, so n is too.",
        "torch.nn.init has no fan_avg mode, and its normal initializers (xavier_normal_, kaiming_normal_) "
        "are untruncated.",
    ),
    latex_names={scale: "s", n: "n"},
)
