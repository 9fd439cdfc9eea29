"""VarianceScaling: draws whose variance is ``scale / n``, n a fan chosen by ``mode``.

One general expression per distribution in terms of the target variance
``scale / n``; each mode substitutes its fan for ``n``. Glorot, He and Lecun
are this initializer with ``scale``, ``mode`` and ``distribution`` fixed
(``derived_from`` in their spec files).
"""

from sympy import Interval, Symbol, oo, sqrt

from codegen.language.initializer import (
    Case,
    Choice,
    Counterpart,
    Hyperparameter,
    InitializerSpec,
    Typical,
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

# torch has no variance-scaling initializer: xavier_* (fan_avg, gain sqrt(scale)) and kaiming_* (fan_in or fan_out,
# gain sqrt(scale) through leaky_relu's slope), all untruncated; listed per distribution, fan_avg first.
_LEAKY_SLOPE = sqrt(2 / scale - 1)
_LEAKY = "calculate_gain('leaky_relu', a) = sqrt(2 / (1 + a^2)) is sqrt(scale) for a = sqrt(2/scale - 1): scale <= 2"
_UNTRUNCATED = "untruncated: torch has no truncated variance scaling"
IN_TORCH = tuple(
    counterpart
    for distribution_name, kind, same, note in (
        ("uniform", "uniform", True, ""),
        ("untruncated_normal", "normal", True, ""),
        ("truncated_normal", "normal", False, _UNTRUNCATED),
    )
    for counterpart in (
        Counterpart(
            f"torch.nn.init.xavier_{kind}_",
            (("gain", sqrt(scale)),),
            same=same,
            requires=(("mode", "fan_avg"), ("distribution", distribution_name)),
            note=note,
        ),
        Counterpart(
            f"torch.nn.init.kaiming_{kind}_",
            (("a", _LEAKY_SLOPE), ("mode", "mode"), ("nonlinearity", "leaky_relu")),
            same=same,
            requires=(("distribution", distribution_name),),
            note="; ".join(filter(None, (note, _LEAKY))),
        ),
    )
)

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
    arguments=(
        # Drawn around 1 and within 2, the largest scale torch's kaiming_* reach through leaky_relu's gain.
        Hyperparameter(
            scale, "scale", 1.0, Interval.open(0, oo), "the target variance times the fan", typical=Typical(0.5, 2.0)
        ),
    ),
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
    counterparts=(Counterpart("keras.initializers.VarianceScaling"), *IN_TORCH),
)
