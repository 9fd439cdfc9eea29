"""Initializers written by hand in ``trainspec verify``'s ``module:function`` form: right ones, and each with one slip.

Each function is ``init(shape, dtype, seed, **arguments) -> np.ndarray`` with the shape in Keras's layout
``(*kernel, in, out)`` and the spec's argument names. The correct ones follow Keras 3
(keras/src/initializers/random_initializers.py: compute_fans, VarianceScaling, TruncatedNormal, Orthogonal) with
NumPy and scipy alone, independently of trainspec; every wrong one is the correct one with one classic mistake,
which the referee must report as failing and name.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

UNIT_TRUNCATED_STD = float(stats.truncnorm(-2, 2).std())  # 0.8796..., Keras's correction constant


def _fans(shape: tuple[int, ...]) -> tuple[int, int]:
    """Keras's compute_fans for rank >= 2: the last two dimensions times the receptive field."""
    receptive = math.prod(shape[:-2])
    return shape[-2] * receptive, shape[-1] * receptive


def _truncated(seed: int, shape, mean: float, stddev: float, low: float, high: float, dtype: str) -> np.ndarray:
    """N(mean, stddev²) restricted to [low, high]: out-of-range draws redrawn until none is left."""
    rng = np.random.default_rng(seed)
    values = rng.normal(mean, stddev, math.prod(shape))
    while True:
        outside = (values < low) | (values > high)
        if not outside.any():
            return values.reshape(shape).astype(dtype)
        values[outside] = rng.normal(mean, stddev, int(outside.sum()))


def _he_normal(shape, dtype, seed, fan: int, correction: float) -> np.ndarray:
    stddev = math.sqrt(2.0 / fan) / correction
    return _truncated(seed, shape, 0.0, stddev, -2 * stddev, 2 * stddev, dtype)


def correct_he_normal(shape, dtype, seed) -> np.ndarray:
    return _he_normal(shape, dtype, seed, _fans(shape)[0], UNIT_TRUNCATED_STD)


def he_normal_fans_swapped(shape, dtype, seed) -> np.ndarray:
    """The fans read as torch's (out, in) would be: fan_out where fan_in belongs."""
    return _he_normal(shape, dtype, seed, _fans(shape)[1], UNIT_TRUNCATED_STD)


def he_normal_kernel_fans_swapped(shape, dtype, seed) -> np.ndarray:
    """fan_in and fan_out read the wrong way round for convolution kernels only: a matrix is right."""
    fan_in, fan_out = _fans(shape)
    return _he_normal(shape, dtype, seed, fan_out if len(shape) > 2 else fan_in, UNIT_TRUNCATED_STD)


def he_normal_without_correction(shape, dtype, seed) -> np.ndarray:
    """sqrt(2/fan_in) cut at ±2 of it, not divided by 0.8796 first: the variance comes out 0.77 times too small."""
    return _he_normal(shape, dtype, seed, _fans(shape)[0], 1.0)


def truncated_normal_cut_at_two(shape, dtype, seed, mean, stddev) -> np.ndarray:
    """torch.nn.init.trunc_normal_'s habit: a=-2, b=2 in absolute units, not mean ∓ 2·stddev."""
    return _truncated(seed, shape, mean, stddev, -2.0, 2.0, dtype)


def correct_he_uniform(shape, dtype, seed) -> np.ndarray:
    limit = math.sqrt(3 * 2.0 / _fans(shape)[0])
    return np.random.default_rng(seed).uniform(-limit, limit, shape).astype(dtype)


def he_uniform_sqrt_variance(shape, dtype, seed) -> np.ndarray:
    """U(-sqrt(variance), sqrt(variance)): the factor 3 of U(-L, L)'s variance L²/3 forgotten."""
    limit = math.sqrt(2.0 / _fans(shape)[0])
    return np.random.default_rng(seed).uniform(-limit, limit, shape).astype(dtype)


def orthogonal_without_sign_fix(shape, dtype, seed, gain) -> np.ndarray:
    """Keras's construction with the sign fix (each column of Q times the sign of R's diagonal) left out."""
    rows, cols = math.prod(shape[:-1]), shape[-1]
    gaussian = np.random.default_rng(seed).standard_normal((max(rows, cols), min(rows, cols)))
    q, _ = np.linalg.qr(gaussian)
    matrix = q.T if rows < cols else q
    return (gain * matrix).reshape(shape).astype(dtype)


def identity_without_gain(shape, dtype, seed, gain) -> np.ndarray:
    """torch.nn.init.eye_ takes no gain: the argument ignored."""
    return np.eye(shape[0], shape[1], dtype=dtype)


def he_normal_wrong_shape(shape, dtype, seed) -> np.ndarray:
    return np.zeros(tuple(reversed(shape)), dtype=dtype)


def truncated_normal_three_tries(shape, dtype, seed, mean, stddev) -> np.ndarray:
    """A capped rejection sampler: three draws per value, the first kept if none lands within mean ∓ 2·stddev
    (Keras's torch backend does this with four)."""
    rng = np.random.default_rng(seed)
    draws = rng.normal(mean, stddev, (math.prod(shape), 3))
    inside = np.abs(draws - mean) <= 2 * stddev
    first = np.argmax(inside, axis=1)  # 0 where none is inside
    return draws[np.arange(draws.shape[0]), first].reshape(shape).astype(dtype)
