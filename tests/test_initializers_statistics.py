"""Statistical tests of the generated random initializers on large samples.

Every expected distribution is written here from Keras's documented
definitions (reference/semantics.md §4.2) with scipy.stats, independently of
the specs: the truncated normal's correction constant is scipy's standard
deviation of a unit normal truncated at ±2, and Keras's literal 0.87962566103423978
is compared with it once.

Each test draws n = 10^6 values with a fixed seed, so it is deterministic. The
stated false-failure probability is that of a seed chosen at random:

* mean: |x̄ − μ| ≤ 5·σ/√n. The central limit theorem makes x̄ − μ normal to
  high accuracy at this n; P(|N(0,1)| > 5) = 5.7e-7.
* variance: |s² − σ²| ≤ 5·sqrt((μ₄ − σ⁴)/n), the standard error of s² from the
  distribution's exact fourth central moment; again 5.7e-7.
* goodness of fit: the Kolmogorov–Smirnov test against the exact CDF rejects
  only at p < 1e-6, so a correct sampler fails it with probability 1e-6.
* bounds: checked on every value, no probability involved.

So each test fails falsely with probability below 2e-6; the 40-odd of them together below 1e-4.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from trainspec import initializers

N = 10**6
SHAPE = (1000, 1000)  # fan_in = fan_out = 1000
FAN = 1000.0
KERAS_TRUNCATION_CONSTANT = 0.87962566103423978  # the literal in Keras's source (semantics.md §4.2)
UNIT_TRUNCATED_STD = float(stats.truncnorm(-2, 2).std())


def truncated(mean: float, stddev: float):
    """N(mean, stddev²) restricted to [mean − 2·stddev, mean + 2·stddev]."""
    return stats.truncnorm(-2, 2, loc=mean, scale=stddev)


def uniform(low: float, high: float):
    return stats.uniform(loc=low, scale=high - low)


# (initializer, the exact distribution of every element for SHAPE, as Keras documents it)
CASES = {
    "RandomNormal": (initializers.RandomNormal(mean=0.3, stddev=2.0, seed=1), stats.norm(0.3, 2.0)),
    "RandomNormal default": (initializers.RandomNormal(seed=2), stats.norm(0.0, 0.05)),
    "TruncatedNormal": (initializers.TruncatedNormal(mean=-1.0, stddev=0.5, seed=3), truncated(-1.0, 0.5)),
    "RandomUniform": (initializers.RandomUniform(minval=-0.2, maxval=0.7, seed=4), uniform(-0.2, 0.7)),
    "GlorotNormal": (initializers.GlorotNormal(seed=5), truncated(0, math.sqrt(2 / (2 * FAN)) / UNIT_TRUNCATED_STD)),
    "GlorotUniform": (initializers.GlorotUniform(seed=6), uniform(-math.sqrt(6 / (2 * FAN)), math.sqrt(6 / (2 * FAN)))),
    "HeNormal": (initializers.HeNormal(seed=7), truncated(0, math.sqrt(2 / FAN) / UNIT_TRUNCATED_STD)),
    "HeUniform": (initializers.HeUniform(seed=8), uniform(-math.sqrt(6 / FAN), math.sqrt(6 / FAN))),
    "LecunNormal": (initializers.LecunNormal(seed=9), truncated(0, math.sqrt(1 / FAN) / UNIT_TRUNCATED_STD)),
    "LecunUniform": (initializers.LecunUniform(seed=10), uniform(-math.sqrt(3 / FAN), math.sqrt(3 / FAN))),
}
for _mode, _n in {"fan_in": FAN, "fan_out": FAN, "fan_avg": FAN}.items():
    _s = 1.7
    CASES[f"VarianceScaling {_mode} truncated"] = (
        initializers.VarianceScaling(_s, _mode, "truncated_normal", seed=11),
        truncated(0, math.sqrt(_s / _n) / UNIT_TRUNCATED_STD),
    )
    CASES[f"VarianceScaling {_mode} untruncated"] = (
        initializers.VarianceScaling(_s, _mode, "untruncated_normal", seed=12),
        stats.norm(0, math.sqrt(_s / _n)),
    )
    CASES[f"VarianceScaling {_mode} uniform"] = (
        initializers.VarianceScaling(_s, _mode, "uniform", seed=13),
        uniform(-math.sqrt(3 * _s / _n), math.sqrt(3 * _s / _n)),
    )


def test_scipy_and_keras_agree_on_the_truncation_constant():
    """The two independent sources of the expected distributions agree to double precision."""
    assert abs(UNIT_TRUNCATED_STD - KERAS_TRUNCATION_CONSTANT) < 4e-16


def test_rectangular_fans_give_keras_parameters():
    """A non-square conv kernel: He and Glorot see Keras's fans (receptive field times in / out)."""
    shape = (3, 3, 40, 60)  # fan_in = 9 * 40 = 360, fan_out = 9 * 60 = 540
    he = initializers.HeUniform(seed=0)(shape, "float64")
    glorot = initializers.GlorotUniform(seed=0)(shape, "float64")
    assert np.abs(he).max() <= math.sqrt(6 / 360) and np.abs(he).max() > 0.999 * math.sqrt(6 / 360)
    limit = math.sqrt(6 / (360 + 540))
    assert np.abs(glorot).max() <= limit and np.abs(glorot).max() > 0.999 * limit


@pytest.fixture(scope="module", params=sorted(CASES))
def drawn(request):
    initializer, distribution = CASES[request.param]
    return request.param, initializer(SHAPE, "float64").reshape(-1), distribution


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_mean_and_variance_within_five_standard_errors(name, dtype):
    initializer, distribution = CASES[name]
    sample = initializer(SHAPE, dtype).reshape(-1).astype(np.float64)
    mean, variance = distribution.mean(), distribution.var()
    fourth = distribution.expect(lambda x: (x - mean) ** 4)
    mean_error = abs(sample.mean() - mean) / math.sqrt(variance / N)
    variance_error = abs(sample.var(ddof=1) - variance) / math.sqrt((fourth - variance**2) / N)
    assert mean_error <= 5, f"{name}: sample mean is {mean_error:.2f} standard errors from {mean}"
    assert variance_error <= 5, f"{name}: sample variance is {variance_error:.2f} standard errors from {variance}"


def test_goodness_of_fit_against_the_exact_distribution(drawn):
    name, sample, distribution = drawn
    result = stats.kstest(sample, distribution.cdf)
    assert result.pvalue > 1e-6, f"{name}: KS statistic {result.statistic:.2e}, p = {result.pvalue:.1e}"


TRUNCATED = sorted(name for name, (_, distribution) in CASES.items() if distribution.dist.name == "truncnorm")
UNIFORM = sorted(name for name, (_, distribution) in CASES.items() if distribution.dist.name == "uniform")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", TRUNCATED)
def test_truncated_values_reach_but_never_pass_two_standard_deviations(name, dtype):
    """Every value within [μ − 2σ, μ + 2σ] (both computed in the dtype: the kernel rounds monotonically).

    The largest |w − μ| also exceeds 1.99σ: a truncation narrower than 2σ would fail this.
    The chance that 10^6 correct draws all stay within 1.99σ is (1 − 5.7e-4)^(10^6) < 1e-240.
    """
    initializer, distribution = CASES[name]
    low, high = distribution.support()
    sample = initializer(SHAPE, dtype)
    mean, sigma = distribution.mean(), (high - low) / 4
    assert sample.min() >= dtype(low) and sample.max() <= dtype(high)
    assert np.abs(sample.astype(np.float64) - mean).max() > 1.99 * sigma


@pytest.mark.parametrize("name", ["RandomNormal", "VarianceScaling fan_in untruncated"])
def test_untruncated_normal_is_not_truncated(name):
    """Values beyond 2σ appear: 10^6 normal draws all within 2σ with probability 0.954^(10^6) = 0."""
    initializer, distribution = CASES[name]
    sample = initializer(SHAPE, "float64")
    assert np.abs(sample - distribution.mean()).max() > 3 * distribution.std()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", UNIFORM)
def test_uniform_values_stay_within_their_limits(name, dtype):
    """minval ≤ w ≤ maxval for every value (maxval may be reached by rounding, as in Keras), and both
    ends are approached within 0.01% of the width: missed with probability 2·(1 − 1e-4)^(10^6) < 1e-43."""
    initializer, distribution = CASES[name]
    low, high = distribution.support()
    sample = initializer(SHAPE, dtype)
    assert sample.min() >= dtype(low) and sample.max() <= dtype(high)
    width = high - low
    assert sample.min() < low + 1e-4 * width and sample.max() > high - 1e-4 * width


def test_goodness_of_fit_rejects_the_seed_documents_uncorrected_stddev():
    """The test has power: passing sqrt(2/fan_in) itself as the truncated normal's σ (the seed's
    reading of HeNormal, 12% too narrow) is rejected overwhelmingly on the same sample."""
    sample = initializers.HeNormal(seed=7)(SHAPE, "float64").reshape(-1)
    assert stats.kstest(sample, truncated(0, math.sqrt(2 / FAN)).cdf).pvalue < 1e-100
