"""Statistical tests of the generated random initializers on large samples.

Every initializer of the registry under test whose elements are independent draws is tested in each of its
cases (one per combination of the options that select a case), with arguments drawn from their typical
ranges. The expected distribution is the spec's: its resolved family and parameters, evaluated at the fans
the spec's layout reads off ``SHAPE`` (fan_in ≠ fan_out, so a swap shows), then handed to scipy.stats, which
computes the CDF, moments and support independently of trainspec. The truncated normal's correction
constant enters those parameters from the spec language's integral; two specific tests compare it with
scipy's standard deviation of a unit normal truncated at ±2 and with the literal Keras types.

Each test draws n = 10^6 values with a fixed seed, so it is deterministic. The stated false-failure
probability is that of a seed chosen at random:

* mean: |x̄ − μ| ≤ 5·σ/√n. The central limit theorem makes x̄ − μ normal to
  high accuracy at this n; P(|N(0,1)| > 5) = 5.7e-7.
* variance: |s² − σ²| ≤ 5·sqrt((μ₄ − σ⁴)/n), the standard error of s² from the
  distribution's exact fourth central moment; again 5.7e-7.
* goodness of fit: the Kolmogorov–Smirnov test against the exact CDF rejects
  only at p < 1e-6, so a correct sampler fails it with probability 1e-6.
* bounds: checked on every value, no probability involved; that the values come near both bounds fails
  with probability below 2·(1 − 1e-4)^(10^6) < 1e-43.

So each test fails falsely with probability below 2e-6; the 150-odd of them together below 3e-4.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pytest
from scipy import stats

from codegen.language.initializer import LAYOUTS, constant_values, fan_in, fan_out, rank, shape, truncated_std
from codegen.load import load_registry
from codegen.lower.initializer import Resolved, parameters_at, resolve
from codegen.referee.initializer import draw
from tests.helpers import SPECS_DIR, package

N = 10**6
SHAPE = (1250, 800)
KERAS_TRUNCATION_CONSTANT = 0.87962566103423978  # the literal in keras/src/initializers/random_initializers.py
UNIT_TRUNCATED_STD = float(stats.truncnorm(-2, 2).std())
NEAR_A_BOUND = 1e-4
"""The values must come within this share of the mass of each bound (of a bounded law)."""

SPECS = {spec.name: spec for spec in load_registry(SPECS_DIR).initializers}
initializers = package().initializers


def scipy_law(family: str, parameters: dict[str, float]):
    """The frozen scipy.stats distribution of one element, for the families whose elements are independent draws."""
    if family == "normal":
        return stats.norm(parameters["mean"], parameters["stddev"])
    if family == "uniform":
        return stats.uniform(parameters["minval"], parameters["maxval"] - parameters["minval"])
    if family == "truncated_normal":
        mean, sd = parameters["mean"], parameters["stddev"]
        low, high = (parameters["lower"] - mean) / sd, (parameters["upper"] - mean) / sd
        return stats.truncnorm(low, high, loc=mean, scale=sd)
    return None


def layout_fans(layout: str, dimensions: tuple[int, ...]) -> tuple[int, int]:
    """The fans a layout declares for a shape (``LAYOUTS``), evaluated by SymPy."""
    sizes = {shape[axis]: size for axis, size in enumerate(dimensions)}
    fans = LAYOUTS[layout]
    return tuple(int(fans[f].subs(rank, len(dimensions)).doit().xreplace(sizes)) for f in (fan_in, fan_out))


@dataclass(frozen=True)
class Sampled:
    """One case of an initializer with its arguments, and the law the spec promises for ``SHAPE``."""

    resolved: Resolved
    arguments: dict
    law: object  # a frozen scipy.stats distribution
    shape: tuple[int, ...]

    def values(self, dtype: str) -> np.ndarray:
        cls = getattr(initializers, self.resolved.spec.name)
        return cls(**self.arguments, seed=7)(self.shape, dtype).reshape(-1)


def sample_shape(resolved: Resolved) -> tuple[int, ...]:
    """``SHAPE``, or its number of values in one dimension for an initializer of vectors only (a bias's)."""
    return (math.prod(SHAPE),) if resolved.ranks[1] == 1 else SHAPE


def _cases() -> dict[str, Sampled]:
    """One entry per case of every initializer that draws independent values: arguments drawn, its options pinned."""
    cases = {}
    for index, (name, spec) in enumerate(sorted(SPECS.items())):
        resolved = resolve(spec, SPECS)
        for case in resolved.cases:
            given = dict(case.settings)
            arguments = draw(resolved, getattr(initializers, name), np.random.default_rng(index), given)
            choices = {c.argument for c in resolved.choices}
            numbers = {k: v for k, v in arguments.items() if k not in choices}
            chosen = {k: v for k, v in arguments.items() if k in choices}
            fans = layout_fans(resolved.layout, sample_shape(resolved)) if resolved.uses_fans else (1, 1)
            law = scipy_law(*parameters_at(resolved, numbers, chosen, fans))
            if law is not None:
                label = f"{name}({', '.join(option for _, option in case.settings)})" if case.settings else name
                cases[label] = Sampled(resolved, arguments, law, sample_shape(resolved))
    return cases


CASES = _cases()
BOUNDED = sorted(label for label, case in CASES.items() if case.law.dist.name in ("truncnorm", "uniform"))
UNBOUNDED = sorted(label for label, case in CASES.items() if case.law.dist.name == "norm")


def named(name: str) -> type:
    """The class of a spec this test names on purpose; skipped where the registry under test lacks it."""
    if name not in SPECS:
        pytest.skip(f"the registry under test has no {name}")
    return getattr(initializers, name)


# ----------------------------------------------------------------- the independent facts


def test_scipy_and_keras_agree_on_the_truncation_constant():
    """The truncated normal's correction constant: Keras's literal and scipy's truncnorm(-2, 2).std() agree to
    double precision, and the spec language's integral evaluates to it."""
    assert abs(UNIT_TRUNCATED_STD - KERAS_TRUNCATION_CONSTANT) < 4e-16
    assert abs(float(constant_values(30)[truncated_std]) - UNIT_TRUNCATED_STD) < 4e-16


@pytest.mark.parametrize("dimensions", [(1250, 800), (3, 3, 40, 60), (60, 40, 3, 3)])
def test_the_layouts_fans_are_the_librarys(dimensions):
    """Keras reads (..., in, out), torch (out, in, ...): keras/src/initializers/random_initializers.py compute_fans,
    torch/nn/init.py _calculate_fan_in_and_fan_out, written out here for rank >= 2."""
    receptive_keras, receptive_torch = math.prod(dimensions[:-2]), math.prod(dimensions[2:])
    keras = (dimensions[-2] * receptive_keras, dimensions[-1] * receptive_keras)
    torch = (dimensions[1] * receptive_torch, dimensions[0] * receptive_torch)
    assert layout_fans("keras", dimensions) == keras and layout_fans("torch", dimensions) == torch


def test_rectangular_fans_give_keras_parameters():
    """A non-square conv kernel: He and Glorot see Keras's fans (receptive field times in / out)."""
    dimensions = (3, 3, 40, 60)  # fan_in = 9 * 40 = 360, fan_out = 9 * 60 = 540
    he = named("HeUniform")(seed=0)(dimensions, "float64")
    glorot = named("GlorotUniform")(seed=0)(dimensions, "float64")
    assert np.abs(he).max() <= math.sqrt(6 / 360) and np.abs(he).max() > 0.999 * math.sqrt(6 / 360)
    limit = math.sqrt(6 / (360 + 540))
    assert np.abs(glorot).max() <= limit and np.abs(glorot).max() > 0.999 * limit


def test_goodness_of_fit_rejects_the_uncorrected_stddev():
    """The test has power: passing sqrt(2/fan_in) itself as the truncated normal's σ (the reading of HeNormal that
    forgets Keras's correction constant, 12% too narrow) is rejected overwhelmingly."""
    sample = named("HeNormal")(seed=7)(SHAPE, "float64").reshape(-1)
    sigma = math.sqrt(2 / SHAPE[0])  # Keras's fan_in is the second-to-last dimension
    assert stats.kstest(sample, stats.truncnorm(-2, 2, scale=sigma).cdf).pvalue < 1e-100


# ----------------------------------------------------------------- every case against its law


@pytest.fixture(scope="module", params=sorted(CASES))
def drawn(request):
    case = CASES[request.param]
    return request.param, case.values("float64"), case.law


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("label", sorted(CASES))
def test_mean_and_variance_within_five_standard_errors(label, dtype):
    case = CASES[label]
    sample = case.values(dtype).astype(np.float64)
    mean, variance, kurtosis = (float(v) for v in case.law.stats(moments="mvk"))
    fourth = (kurtosis + 3.0) * variance**2  # the fourth central moment, from the excess kurtosis
    mean_error = abs(sample.mean() - mean) / math.sqrt(variance / N)
    variance_error = abs(sample.var(ddof=1) - variance) / math.sqrt((fourth - variance**2) / N)
    assert mean_error <= 5, f"{label}: sample mean is {mean_error:.2f} standard errors from {mean}"
    assert variance_error <= 5, f"{label}: sample variance is {variance_error:.2f} standard errors from {variance}"


def test_goodness_of_fit_against_the_exact_distribution(drawn):
    label, sample, law = drawn
    result = stats.kstest(sample, law.cdf)
    assert result.pvalue > 1e-6, f"{label}: KS statistic {result.statistic:.2e}, p = {result.pvalue:.1e}"


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("label", BOUNDED)
def test_values_stay_within_their_bounds_and_reach_them(label, dtype):
    """Every value within the law's support, both ends rounded to the dtype (the kernels round monotonically); the
    lowest below the NEAR_A_BOUND quantile and the highest above the 1 − NEAR_A_BOUND one: a sampler cut short of
    a bound (a truncation narrower than promised) fails here."""
    case = CASES[label]
    low, high = case.law.support()
    sample = case.values(np.dtype(dtype).name)
    assert sample.min() >= dtype(low) and sample.max() <= dtype(high)
    assert sample.min() < case.law.ppf(NEAR_A_BOUND) and sample.max() > case.law.ppf(1 - NEAR_A_BOUND)


@pytest.mark.parametrize("label", UNBOUNDED)
def test_untruncated_normal_is_not_truncated(label):
    """Values beyond 3σ appear: 10^6 normal draws all within 3σ with probability 0.9973^(10^6) < 1e-1000."""
    case = CASES[label]
    sample = case.values("float64")
    assert np.abs(sample - case.law.mean()).max() > 3 * case.law.std()
