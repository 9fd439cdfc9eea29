"""The initializers that fill whole matrices or constants: orthonormality to float tolerance, Keras's reshaping, the
Haar distribution, the identity and constant arrays.

Every initializer of the registry under test is tested by the family of its distribution: each whose family is
orthogonal (a random orthogonal matrix times a gain), identity (the identity times a gain) or constant, with its
arguments drawn from their typical ranges; what it must fill is the family's parameters at those arguments.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from codegen.load import load_registry
from codegen.lower.initializer import Resolved, parameters_at, resolve
from codegen.referee.initializer import draw
from tests.helpers import SPECS_DIR, package

SPECS = {spec.name: spec for spec in load_registry(SPECS_DIR).initializers}
RESOLVED = [resolve(spec, SPECS) for _, spec in sorted(SPECS.items())]
initializers = package().initializers


def of_family(family: str) -> list[Resolved]:
    return [resolved for resolved in RESOLVED if {case.distribution.family for case in resolved.cases} == {family}]


def _name(resolved: Resolved) -> str:
    return resolved.spec.name


def promised(resolved: Resolved, seed: int) -> tuple[type, dict, dict[str, float]]:
    """The class, arguments drawn from their typical ranges, and the family's parameters at them."""
    cls = getattr(initializers, resolved.spec.name)
    arguments = draw(resolved, cls, np.random.default_rng(seed), {})
    choices = {c.argument for c in resolved.choices}
    numbers = {k: v for k, v in arguments.items() if k not in choices}
    chosen = {k: v for k, v in arguments.items() if k in choices}
    return cls, arguments, parameters_at(resolved, numbers, chosen, (1, 1))[1]


ORTHOGONAL, IDENTITY, CONSTANT = of_family("orthogonal"), of_family("identity"), of_family("constant")


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


# Shapes, and the matrix Keras flattens each to: all leading dimensions are rows (keras/src/initializers/
# random_initializers.py, OrthogonalInitializer).
SHAPES = {
    "tall": ((50, 20), (50, 20)),
    "wide": ((20, 50), (20, 50)),
    "square": ((64, 64), (64, 64)),
    "rank 3": ((3, 4, 5), (12, 5)),
    "conv kernel": ((3, 3, 16, 8), (144, 8)),
    "wide rank 3": ((2, 3, 40), (6, 40)),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("seed", [1, 2])  # gains drawn from the typical range, one of each
@pytest.mark.parametrize("name", sorted(SHAPES))
@pytest.mark.parametrize("resolved", ORTHOGONAL, ids=_name)
def test_orthogonal_is_orthonormal_on_its_orthonormal_side(resolved, name, seed, dtype):
    shape, matrix_shape = SHAPES[name]
    cls, arguments, parameters = promised(resolved, seed)
    values = cls(**arguments, seed=3)(shape, dtype)
    assert values.shape == shape and values.dtype == dtype
    product = orthonormal_side(values.reshape(matrix_shape)) / parameters["gain"] ** 2
    error = np.abs(product - np.eye(min(matrix_shape))).max()
    assert error <= tolerance(matrix_shape, dtype), f"max |QᵀQ − I| = {error:.2e}"


@pytest.mark.parametrize("resolved", ORTHOGONAL, ids=_name)
def test_orthogonal_is_reproducible_and_seed_dependent(resolved):
    cls = getattr(initializers, resolved.spec.name)
    first = cls(seed=5)((30, 10))
    again = cls(seed=5)((30, 10))
    other = cls(seed=6)((30, 10))
    assert np.array_equal(first, again)
    assert not np.array_equal(first, other)


@pytest.mark.parametrize("resolved", ORTHOGONAL, ids=_name)
def test_orthogonal_spans_several_random_blocks(resolved):
    """A Gaussian draw larger than one random block (2^20 values) is still one orthogonal matrix."""
    cls, arguments, parameters = promised(resolved, 3)
    values = cls(**arguments, seed=1)((20000, 64), "float64") / parameters["gain"]
    error = np.abs(values.T @ values - np.eye(64)).max()
    assert error <= tolerance((20000, 64), np.float64)


@pytest.mark.parametrize("resolved", ORTHOGONAL, ids=_name)
def test_orthogonal_entries_are_haar_distributed(resolved):
    """For a Haar-distributed 3x3 orthogonal matrix every entry is uniform on [-1, 1] (the first coordinate of a
    uniform point on the 2-sphere: Archimedes). Without the sign fix, LAPACK's Householder convention makes
    Q[0, 0] = -|a₀₀|/‖a₀‖ ≤ 0 always, which this KS test rejects at once. p > 1e-6: false failure 1e-6 per entry."""
    cls, arguments, parameters = promised(resolved, 4)
    draws = cls(**arguments, seed=np.random.default_rng(2024))
    matrices = np.array([draws((3, 3), "float64") for _ in range(3000)]) / parameters["gain"]
    for i, j in [(0, 0), (1, 2), (2, 1)]:
        result = stats.kstest(matrices[:, i, j], stats.uniform(-1, 2).cdf)
        assert result.pvalue > 1e-6, f"Q[{i}, {j}]: KS statistic {result.statistic:.3f}, p = {result.pvalue:.1e}"


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(3, 5), (5, 3), (4, 4), (1, 7), (3000, 2000)])
@pytest.mark.parametrize("resolved", IDENTITY, ids=_name)
def test_identity_is_gain_times_the_rectangular_identity(resolved, shape, dtype):
    """Ones on the main diagonal of any 2-D shape; (3000, 2000) spans several row blocks."""
    cls, arguments, parameters = promised(resolved, 5)
    values = cls(**arguments)(shape, dtype)
    assert values.dtype == dtype
    assert np.array_equal(values, dtype(parameters["gain"]) * np.eye(*shape, dtype=dtype))


@pytest.mark.parametrize("resolved", CONSTANT, ids=_name)
def test_constants_fill_every_element(resolved):
    """3·2^20 + 5 elements: several blocks, and a ragged last one."""
    cls, arguments, parameters = promised(resolved, 6)
    shape = (3 * 2**20 + 5,) if resolved.ranks[0] <= 1 else (3 * 2**20 + 5, 1)
    values = cls(**arguments)(shape, "float64")
    assert np.all(values == parameters["value"])
