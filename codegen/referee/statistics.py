"""The statistics ``trainspec verify`` uses on initializers: exact laws, and the tests a sample must pass.

A ``Law`` is a distribution family with numbers (what a spec promises for one
shape); the checks test a ``Sample`` against it, each rejecting at p < ``ALPHA``:
Kolmogorov–Smirnov against the exact CDF, mean and variance z-tests, support
and reach for bounded families, exact equality or orthonormality for the rest.
Why these tests and this level: ``codegen.referee.initializer``.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from scipy import special, stats

ALPHA = 1e-6
"""Each test rejects at p < ALPHA (codegen.referee.initializer: why)."""
SUPPORT_ULPS = 4
"""Slack on a bound, in ulps of the bound in the sample's dtype: the implementation computes it, a few roundings."""
RANDOM = frozenset({"normal", "truncated_normal", "uniform"})

Shape = tuple[int, ...]


# ----------------------------------------------------------------------------- laws: a family with numbers


@dataclass(frozen=True)
class Law:
    """One distribution with its parameters as numbers: what a spec promises for one shape."""

    family: str
    parameters: tuple[tuple[str, float], ...]

    @classmethod
    def of(cls, family: str, parameters: Mapping[str, float]) -> Law:
        return cls(family, tuple(parameters.items()))

    def __getitem__(self, name: str) -> float:
        return dict(self.parameters)[name]

    def text(self) -> str:
        return f"{self.family}({', '.join(f'{name}={value:.6g}' for name, value in self.parameters)})"

    def same(self, other: Law) -> bool:
        """The same family and parameters to 1e-12 relative: indistinguishable by any sample."""
        if self.family != other.family or [n for n, _ in self.parameters] != [n for n, _ in other.parameters]:
            return False
        return all(
            math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-300)
            for (_, a), (_, b) in zip(self.parameters, other.parameters)
        )

    @property
    def bounds(self) -> tuple[float, float] | None:
        if self.family == "truncated_normal":
            return self["lower"], self["upper"]
        if self.family == "uniform":
            return self["minval"], self["maxval"]
        return None

    def cdf(self, x: np.ndarray) -> np.ndarray:
        """The exact CDF (NumPy/scipy.special; scipy's truncnorm is 20 times slower on 10^6 values)."""
        if self.family == "uniform":
            low, high = self.bounds
            return np.clip((x - low) / (high - low), 0.0, 1.0) if high > low else (x >= low).astype(float)
        mean, sd = self["mean"], self["stddev"]
        if sd == 0:
            return (x >= mean).astype(float)
        z = special.ndtr((x - mean) / sd)
        if self.family == "normal":
            return z
        below, above = (special.ndtr((b - mean) / sd) for b in self.bounds)
        return np.clip((z - below) / (above - below), 0.0, 1.0)

    def ppf(self, u: float) -> float:
        if self.family == "uniform":
            low, high = self.bounds
            return low + u * (high - low)
        mean, sd = self["mean"], self["stddev"]
        if self.family == "normal":
            return mean + sd * float(special.ndtri(u))
        below, above = (special.ndtr((b - mean) / sd) for b in self.bounds)
        return mean + sd * float(special.ndtri(below + u * (above - below)))

    def moments(self) -> tuple[float, float, float]:
        """Mean, variance and fourth central moment, from scipy."""
        if self.family == "uniform":
            low, high = self.bounds
            frozen = stats.uniform(low, high - low)
        elif self.family == "normal":
            frozen = stats.norm(self["mean"], self["stddev"])
        else:
            mean, sd = self["mean"], self["stddev"]
            low, high = self.bounds
            frozen = stats.truncnorm((low - mean) / sd, (high - mean) / sd, loc=mean, scale=sd)
        mean, variance, kurtosis = (float(v) for v in frozen.stats(moments="mvk"))
        return mean, variance, (kurtosis + 3.0) * variance**2

    def outside_mass(self) -> float:
        """Truncated normal: the mass of the untruncated normal outside the bounds (what a rejection redraws)."""
        mean, sd = self["mean"], self["stddev"]
        below, above = (float(special.ndtr((b - mean) / sd)) for b in self.bounds)
        return 1.0 - (above - below)


def ks_distance(a: Law, b: Law) -> float:
    """sup |F_a − F_b| on a grid fine in both laws' ranges: a lower bound, within 4e-4 of it (grid steps of 1e-3 σ)."""
    points = np.concatenate([_grid(law) for law in (a, b)])
    return float(np.max(np.abs(a.cdf(points) - b.cdf(points))))


def _grid(law: Law) -> np.ndarray:
    if law.bounds is not None:
        low, high = law.bounds
        return np.linspace(low, high, 20001)
    return np.linspace(law["mean"] - 9 * law["stddev"], law["mean"] + 9 * law["stddev"], 20001)


# ----------------------------------------------------------------------------- checks


@dataclass(frozen=True)
class Check:
    """One test on one shape: its name, what was seen against what was promised, its p-value (None: exact)."""

    name: str
    passed: bool
    text: str
    p_value: float | None = None


@dataclass(frozen=True)
class ShapeResult:
    shape: Shape
    fans: tuple[int, int]
    law: Law
    checks: tuple[Check, ...]
    layout: str = ""
    """How the implementation laid the shape out, where not as the spec (torch's (out, in) tensor)."""

    @property
    def passed(self) -> bool:
        return all(check.passed for check in self.checks)

    @property
    def worst(self) -> float:
        """The smallest p-value among the tests (an exact check counts 1 if it passes, 0 if not)."""
        return min((c.p_value if c.p_value is not None else float(c.passed)) for c in self.checks)


class Sample:
    """One array from the implementation, with what several tests share (the sorted finite values)."""

    def __init__(self, array: np.ndarray):
        self.array = array
        values = np.asarray(array, dtype=np.float64).reshape(-1)
        finite = np.isfinite(values)
        self.nonfinite = int(values.size - np.count_nonzero(finite))
        self.sorted = np.sort(values[finite])
        self.dtype = array.dtype if array.dtype.kind == "f" else np.dtype(np.float64)


EXACT_KS_UP_TO = 10_000
"""Up to this many values the KS p-value is the exact finite-n one (``kstwo``); beyond, Kolmogorov's limit
(``kstwobign`` of √n·D), which at n = 5·10^5 is within 0.5% of the exact value at p = 1e-6 (measured) and costs
microseconds instead of scipy's 1 to 2 s per exact tail value."""


def ks_p_value(distance: float, n: int) -> float:
    if n <= EXACT_KS_UP_TO:
        return float(stats.kstwo.sf(distance, n))
    return float(stats.kstwobign.sf(math.sqrt(n) * distance))


@functools.cache
def critical(n: int) -> float:
    """The KS distance beyond which the test rejects at ALPHA for n values."""
    if n <= EXACT_KS_UP_TO:
        return float(stats.kstwo.isf(ALPHA, max(n, 1)))
    return float(stats.kstwobign.isf(ALPHA)) / math.sqrt(n)


def ks_test(sample: Sample, law: Law) -> tuple[float, float]:
    """One-sample two-sided Kolmogorov–Smirnov: (D, p)."""
    n = sample.sorted.size
    if n == 0:
        return 1.0, 0.0
    distance = ks_distance_to(sample.sorted, law)
    return distance, ks_p_value(distance, n)


def ks_distance_to(x: np.ndarray, law: Law | _HaarEntry) -> float:
    """D = sup |F_n − F| for sorted values ``x``."""
    n = x.size
    u = law.cdf(x)
    ranks = np.arange(1, n + 1, dtype=np.float64)
    return float(max(np.max(ranks / n - u), np.max(u - (ranks - 1) / n)))


def ks_passes(sample: Sample, law: Law) -> tuple[bool, float]:
    """Whether ``law``'s KS test passes at ALPHA (D within the critical value), and its p-value if it does.

    D over every 1000th order statistic is a lower bound of D: beyond the critical value it already rejects.
    """
    x = sample.sorted
    n = x.size
    if n == 0:
        return False, 0.0
    stride = max(1, n // 1000)
    ranks = np.arange(1, n + 1, stride, dtype=np.float64)
    u = law.cdf(x[::stride])
    if max(np.max(ranks / n - u), np.max(u - (ranks - 1) / n)) > critical(n):
        return False, 0.0
    distance = ks_distance_to(x, law)
    if distance > critical(n):
        return False, 0.0
    return True, ks_p_value(distance, n)


def random_checks(law: Law, sample: Sample) -> list[Check]:
    x = sample.sorted
    n = x.size
    checks = []
    if sample.nonfinite:
        checks.append(Check("finite", False, f"{sample.nonfinite} of {sample.array.size} values NaN or infinite"))
    distance, p = ks_test(sample, law)
    checks.append(Check("KS", p >= ALPHA, f"D = {distance:.3e} (rejects beyond {critical(n):.2e})", p))
    mean, variance, fourth = law.moments()
    if n > 1:
        sample_mean, sample_variance = float(np.mean(x)), float(np.var(x, ddof=1))
        error = math.sqrt(variance / n)
        p = _two_sided(sample_mean - mean, error)
        checks.append(Check("mean", p >= ALPHA, f"{sample_mean:+.6e}, promised {mean:+.6e} (s.e. {error:.1e})", p))
        error = math.sqrt(max(fourth - variance**2, 0.0) / n)
        p = _two_sided(sample_variance - variance, error)
        checks.append(
            Check("variance", p >= ALPHA, f"{sample_variance:.6e}, promised {variance:.6e} (s.e. {error:.1e})", p)
        )
    if law.bounds is not None and n:
        checks += bound_checks(law, sample)
    return checks


def _two_sided(difference: float, error: float) -> float:
    if error == 0:
        return 1.0 if difference == 0 else 0.0
    return float(2 * special.ndtr(-abs(difference) / error))


def bound_checks(law: Law, sample: Sample) -> list[Check]:
    low, high = law.bounds
    x = sample.sorted
    n = x.size
    outside = outside_count(law, sample)
    support = Check("support", outside == 0, f"{outside} of {n} values outside [{low:.6g}, {high:.6g}]")
    tail = -math.log(ALPHA) / n  # P(no value below the tail quantile) = (1 - tail)^n <= ALPHA
    if tail >= 0.5:
        return [support]
    near_low, near_high = law.ppf(tail), law.ppf(1 - tail)
    reached = bool(x[0] <= near_low and x[-1] >= near_high)
    reach = Check(
        "reach",
        reached,
        f"lowest {x[0]:.6g} (must be <= {near_low:.6g}), highest {x[-1]:.6g} (must be >= {near_high:.6g})",
    )
    return [support, reach]


def outside_count(law: Law, sample: Sample) -> int:
    """Values beyond the bounds by more than SUPPORT_ULPS ulps of the larger bound in the sample's dtype."""
    low, high = law.bounds
    slack = SUPPORT_ULPS * float(np.spacing(sample.dtype.type(max(abs(low), abs(high)))))
    return int(np.count_nonzero(sample.sorted < low - slack) + np.count_nonzero(sample.sorted > high + slack))


def exact_checks(law: Law, sample: Sample) -> list[Check]:
    """Constant and Identity: every element as promised, to the bit in the sample's dtype."""
    expected = exact_array(law, sample.array.shape, sample.dtype)
    differ = int(np.count_nonzero(sample.array != expected))
    largest = float(np.max(np.abs(sample.array.astype(np.float64) - expected.astype(np.float64)), initial=0.0))
    return [Check("exact", differ == 0, f"{differ} of {sample.array.size} elements differ (largest by {largest:.3g})")]


def exact_array(law: Law, shape: Shape, dtype: np.dtype) -> np.ndarray:
    if law.family == "constant":
        return np.full(shape, dtype.type(law["value"]), dtype=dtype)
    return (dtype.type(law["gain"]) * np.eye(shape[0], shape[1])).astype(dtype)


def orthogonality_tolerance(dtype: np.dtype) -> float:
    """√eps of the dtype: a correct Q (Householder QR, rounded to the dtype) has max|QᵀQ − I| ≈ eps·10 (measured
    1.1e-15 in float64, 9e-9 in float32 for 1000×500), a matrix that is not orthogonal one near 1/√m or more,
    a wrong gain |gain² − 1| ≥ 0.56 at the drawn gains."""
    return math.sqrt(float(np.finfo(dtype).eps))


def orthonormal_check(law: Law, sample: Sample) -> Check:
    matrix = sample.array.astype(np.float64).reshape(sample.array.shape[0], -1)
    rows, cols = matrix.shape
    gram = matrix.T @ matrix if rows >= cols else matrix @ matrix.T
    gain = law["gain"]
    error = float(np.max(np.abs(gram - gain**2 * np.eye(min(rows, cols)))) / max(gain**2, 1e-300))
    limit = orthogonality_tolerance(sample.dtype)
    side = "columns" if rows >= cols else "rows"
    passed = bool(error <= limit)
    return Check("orthonormal", passed, f"max|G/gain² − I| = {error:.2e} over the {side} (tolerance {limit:.1e})")


def orthogonal_checks(law: Law, sample: Sample) -> list[Check]:
    checks = [orthonormal_check(law, sample)]
    rows, cols = sample.array.shape[0], int(np.prod(sample.array.shape[1:]))
    if law["gain"] == 0:
        return checks
    entries = Sample(sample.array.astype(np.float64) / law["gain"])
    distance, p = ks_test(entries, _HaarEntry(max(rows, cols)))
    checks.append(Check("entries", p >= ALPHA, f"KS against the Haar marginal: D = {distance:.3e}", p))
    diagonal = np.diagonal(entries.array.reshape(rows, cols))
    positive = int(np.count_nonzero(diagonal > 0))
    p = float(stats.binomtest(positive, diagonal.size, 0.5).pvalue)
    hint = "" if p >= ALPHA else " (Q not sign-fixed by R's diagonal: not Haar-distributed)"
    checks.append(Check("signs", p >= ALPHA, f"{positive} of {diagonal.size} diagonal entries positive{hint}", p))
    return checks


class _HaarEntry:
    """The law of one coordinate of a uniform unit vector in R^m: x² ~ Beta(1/2, (m − 1)/2), symmetric."""

    def __init__(self, m: int):
        self.m = m

    def cdf(self, x: np.ndarray) -> np.ndarray:
        return 0.5 + 0.5 * np.sign(x) * special.betainc(0.5, (self.m - 1) / 2, np.minimum(x * x, 1.0))


def checks_for(law: Law, sample: Sample) -> list[Check]:
    if law.family in RANDOM:
        return random_checks(law, sample)
    if law.family == "orthogonal":
        return orthogonal_checks(law, sample)
    return exact_checks(law, sample)


def candidate_passes(law: Law, sample: Sample) -> tuple[bool, float]:
    """Whether the sample matches ``law`` as a candidate: its KS test (random), or its exact/orthonormal check."""
    if law.family in RANDOM:
        return ks_passes(sample, law)
    check = orthonormal_check(law, sample) if law.family == "orthogonal" else exact_checks(law, sample)[0]
    return check.passed, float(check.passed)
