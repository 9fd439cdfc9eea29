"""Orthogonal and Identity: orthonormality to float tolerance, Keras's reshaping, the Haar distribution."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from trainspec import initializers


def orthonormal_side(matrix: np.ndarray) -> np.ndarray:
    """QᵀQ for a tall (or square) matrix, QQᵀ for a wide one: the product that must be the identity."""
    rows, cols = matrix.shape
    wide = matrix.astype(np.float64)
    return wide.T @ wide if rows >= cols else wide @ wide.T


def tolerance(shape: tuple[int, int], dtype) -> float:
    """max |QᵀQ − I| allowed: m·eps for an m-row Householder QR.

    Householder QR is backward stable; the loss of orthogonality of the computed Q is
    O(m·n·u) in the worst case and of order √n·u in practice (Higham, Accuracy and Stability
    of Numerical Algorithms, 2nd ed., §19.3). m·eps is well above what LAPACK achieves and far
    below any real defect (a wrong sign fix, a dropped column or a mis-reshape is O(1)).
    """
    return max(shape) * float(np.finfo(dtype).eps)


SHAPES = {
    "tall": ((50, 20), (50, 20)),
    "wide": ((20, 50), (20, 50)),
    "square": ((64, 64), (64, 64)),
    "rank 3": ((3, 4, 5), (12, 5)),
    "conv kernel": ((3, 3, 16, 8), (144, 8)),
    "wide rank 3": ((2, 3, 40), (6, 40)),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("gain", [1.0, 2.5])
@pytest.mark.parametrize("name", sorted(SHAPES))
def test_orthogonal_is_orthonormal_on_its_orthonormal_side(name, gain, dtype):
    shape, matrix_shape = SHAPES[name]
    values = initializers.Orthogonal(gain=gain, seed=3)(shape, dtype)
    assert values.shape == shape and values.dtype == dtype
    product = orthonormal_side(values.reshape(matrix_shape)) / gain**2
    error = np.abs(product - np.eye(min(matrix_shape))).max()
    assert error <= tolerance(matrix_shape, dtype), f"max |QᵀQ − I| = {error:.2e}"


def test_orthogonal_is_reproducible_and_seed_dependent():
    first = initializers.Orthogonal(seed=5)((30, 10))
    again = initializers.Orthogonal(seed=5)((30, 10))
    other = initializers.Orthogonal(seed=6)((30, 10))
    assert np.array_equal(first, again)
    assert not np.array_equal(first, other)


def test_orthogonal_spans_several_random_blocks():
    """A Gaussian draw larger than one random block (2^20 values) is still one orthogonal matrix."""
    values = initializers.Orthogonal(seed=1)((20000, 64), "float64")
    error = np.abs(values.T @ values - np.eye(64)).max()
    assert error <= tolerance((20000, 64), np.float64)


def test_orthogonal_entries_are_haar_distributed():
    """For a Haar-distributed 3x3 orthogonal matrix every entry is uniform on [-1, 1] (the first coordinate of a
    uniform point on the 2-sphere: Archimedes). Without the sign fix, LAPACK's Householder convention makes
    Q[0, 0] = -|a₀₀|/‖a₀‖ ≤ 0 always, which this KS test rejects at once. p > 1e-6: false failure 1e-6 per entry."""
    draws = initializers.Orthogonal(seed=np.random.default_rng(2024))
    matrices = np.array([draws((3, 3), "float64") for _ in range(3000)])
    for i, j in [(0, 0), (1, 2), (2, 1)]:
        result = stats.kstest(matrices[:, i, j], stats.uniform(-1, 2).cdf)
        assert result.pvalue > 1e-6, f"Q[{i}, {j}]: KS statistic {result.statistic:.3f}, p = {result.pvalue:.1e}"


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(3, 5), (5, 3), (4, 4), (1, 7), (3000, 2000)])
def test_identity_is_gain_times_the_rectangular_identity(shape, dtype):
    """Ones on the main diagonal of any 2-D shape; (3000, 2000) spans several row blocks."""
    values = initializers.Identity(gain=2.5)(shape, dtype)
    assert values.dtype == dtype
    assert np.array_equal(values, 2.5 * np.eye(*shape, dtype=dtype))


@pytest.mark.parametrize(
    ("initializer", "expected"),
    [(initializers.Zeros(), 0.0), (initializers.Ones(), 1.0), (initializers.Constant(-3.25), -3.25)],
)
def test_constants_fill_every_element(initializer, expected):
    """3·2^20 + 5 elements: several blocks, and a ragged last one."""
    values = initializer((3 * 2**20 + 5,), "float64")
    assert np.all(values == expected)
