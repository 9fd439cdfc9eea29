"""External check: the generated initializers against Keras 3 itself (torch backend, CPU).

Keras and trainspec draw from different random streams, so values are not compared one by one:
the fans and configs are compared exactly, Identity's matrices exactly, and every random
initializer's values by a two-sample Kolmogorov–Smirnov test on 250 000 values from each, which
rejects at p < 1e-6 (a false failure with probability 1e-6 per initializer when both draw from the
same distribution). Skipped when Keras or torch is not installed (the ``reference`` extra).
"""

from __future__ import annotations

import os

import numpy as np
import pytest
from scipy import stats

os.environ.setdefault("KERAS_BACKEND", "torch")
keras = pytest.importorskip("keras")
pytest.importorskip("torch")
if keras.backend.backend() != "torch":
    pytest.skip("these checks run Keras on its torch backend", allow_module_level=True)

from keras import initializers as keras_initializers  # noqa: E402
from keras.src.initializers.random_initializers import compute_fans  # noqa: E402

from trainspec import initializers  # noqa: E402

SHAPE = (500, 500)

RANDOM = {
    "RandomNormal": {"mean": 0.3, "stddev": 2.0},
    "TruncatedNormal": {"mean": -1.0, "stddev": 0.5},
    "RandomUniform": {"minval": -0.2, "maxval": 0.7},
    "VarianceScaling": {"scale": 1.7, "mode": "fan_avg", "distribution": "uniform"},
    "GlorotNormal": {},
    "GlorotUniform": {},
    "HeNormal": {},
    "HeUniform": {},
    "LecunNormal": {},
    "LecunUniform": {},
}


@pytest.mark.parametrize("shape", [(), (7,), (3, 4), (2, 3, 4), (3, 3, 16, 32), (2, 2, 2, 8, 16)])
def test_fans_are_kerass(shape):
    assert initializers.kernels.compute_fans(shape) == tuple(int(f) for f in compute_fans(shape))


@pytest.mark.parametrize("name", sorted(RANDOM))
def test_values_have_kerass_distribution(name):
    arguments = RANDOM[name]
    ours = getattr(initializers, name)(**arguments, seed=1)(SHAPE).reshape(-1)
    theirs = np.asarray(getattr(keras_initializers, name)(**arguments, seed=1)(SHAPE)).reshape(-1)
    result = stats.ks_2samp(ours, theirs)
    assert result.pvalue > 1e-6, f"{name}: two-sample KS statistic {result.statistic:.2e}, p = {result.pvalue:.1e}"


@pytest.mark.parametrize("distribution", ["truncated_normal", "untruncated_normal", "normal"])
@pytest.mark.parametrize("mode", ["fan_in", "fan_out", "fan_avg"])
def test_variance_scaling_cases_have_kerass_distribution(mode, distribution):
    shape = (3, 3, 40, 70)  # fan_in 360, fan_out 630: the modes differ
    arguments = {"scale": 0.8, "mode": mode, "distribution": distribution}
    ours = initializers.VarianceScaling(**arguments, seed=2)(shape).reshape(-1)
    theirs = np.asarray(keras_initializers.VarianceScaling(**arguments, seed=2)(shape)).reshape(-1)
    assert stats.ks_2samp(ours, theirs).pvalue > 1e-6


def test_identity_is_kerass_matrix():
    for shape in [(3, 5), (5, 3), (4, 4)]:
        ours = initializers.Identity(gain=2.5)(shape)
        theirs = np.asarray(keras_initializers.Identity(gain=2.5)(shape))
        assert np.array_equal(ours, theirs)


@pytest.mark.parametrize("name", ["Zeros", "Ones"])
def test_constants_are_kerass(name):
    assert np.array_equal(
        getattr(initializers, name)()((4, 3)), np.asarray(getattr(keras_initializers, name)()((4, 3)))
    )


def test_configs_and_spellings_are_kerass():
    """Same argument names and defaults, same snake_case spellings, for every initializer in Keras's
    convention. One known difference: Keras's Identity leaves gain out of get_config (here it is kept,
    so the config rebuilds the same initializer)."""
    keras_convention = [name for name, cls in initializers.INITIALIZERS.items() if "Keras 3 semantics" in cls.__doc__]
    assert len(keras_convention) == 30  # 15 initializers, two spellings each
    for name in keras_convention:
        cls = initializers.INITIALIZERS[name]
        assert hasattr(keras_initializers, name), name
        if name != cls.__name__:
            continue
        theirs = getattr(keras_initializers, name)().get_config()
        ours = cls().get_config()
        if name == "Identity":
            assert theirs == {} and ours == {"gain": 1.0}
            continue
        assert ours == theirs, name
