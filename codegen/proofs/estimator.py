"""The proof steps the generated estimator checks call: the moments counted from the sampling, and enumeration.

A batch of ``b`` examples drawn uniformly without replacement from ``N`` holds
one given example with probability ``C(N-1, b-1)/C(N, b)`` and two given
examples with probability ``C(N-2, b-2)/C(N, b)`` (the batches that contain
them, over all batches). With ``I_i`` the indicator of example ``i`` in the
batch, one coordinate of the estimate is ``ĝ = (1/b) Σ_i I_i g_i``, so

    E[ĝ]   = (1/b) Σ_i P(i) g_i
    Var[ĝ] = (1/b²) [ Σ_i P(i)(1 - P(i)) g_i² + Σ_{i≠j} (P(i, j) - P(i)²) g_i g_j ],

written in ``ḡ`` and ``σ²`` through ``Σ g_i = N ḡ``, ``Σ g_i² = N(σ² + ḡ²)``
and ``Σ_{i≠j} g_i g_j = (Σ g_i)² - Σ g_i²`` (``counted_moments``). The
enumeration (``enumerated_moments``) checks the same statements without any
algebra: over every batch of a small training set, in exact rationals.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable, Sequence
from fractions import Fraction
from math import comb

import numpy as np
import sympy

from codegen.language.estimator import B, N, g_bar, sigma
from codegen.proofs.package import generated_package

# What the generated checks import.
__all__ = [
    "B",
    "N",
    "batch_distributions",
    "counted_moments",
    "enumerated_moments",
    "g_bar",
    "generated_package",
    "inclusion_probabilities",
    "population",
    "prove_equal",
    "sigma",
    "uniform_over_subsets",
]


def inclusion_probabilities(size: sympy.Expr) -> tuple[sympy.Expr, sympy.Expr]:
    """P(one given example in the batch), P(two given examples in it), for a batch of ``size`` of ``N``."""
    batches = sympy.binomial(N, size)
    one = sympy.combsimp(sympy.binomial(N - 1, size - 1) / batches)
    two = sympy.combsimp(sympy.binomial(N - 2, size - 2) / batches)
    return one, two


def counted_moments(size: sympy.Expr) -> tuple[sympy.Expr, sympy.Expr]:
    """The mean and variance of one coordinate of the estimate over a batch of ``size``, from the sampling."""
    one, two = inclusion_probabilities(size)
    total = N * g_bar
    squares = N * (sigma**2 + g_bar**2)
    mean = one * total / size
    variance = (one * (1 - one) * squares + (two - one**2) * (total**2 - squares)) / size**2
    return sympy.simplify(mean), sympy.simplify(variance)


def prove_equal(lhs: sympy.Expr, rhs: sympy.Expr, what: str) -> None:
    """Raise ``AssertionError`` with the residual unless ``lhs - rhs`` simplifies to 0."""
    residual = sympy.simplify(sympy.sympify(lhs) - sympy.sympify(rhs))
    assert residual == 0, f"{what}: lhs - rhs does not simplify to 0; residual: {residual}"


def population(gradients: Sequence[Fraction]) -> tuple[Fraction, Fraction]:
    """ḡ and σ² = (1/N) Σ (g_i - ḡ)² of one coordinate of the per-example gradients, exactly."""
    mean = sum(gradients, Fraction(0)) / len(gradients)
    return mean, sum(((g - mean) ** 2 for g in gradients), Fraction(0)) / len(gradients)


def enumerated_moments(gradients: Sequence[Fraction], size: int) -> tuple[Fraction, Fraction]:
    """The mean and variance of the batch average over every batch of ``size`` of ``gradients``, each equally
    likely (uniform sampling without replacement), exactly."""
    averages = [sum(batch, Fraction(0)) / size for batch in itertools.combinations(gradients, size)]
    mean = sum(averages, Fraction(0)) / len(averages)
    return mean, sum(((a - mean) ** 2 for a in averages), Fraction(0)) / len(averages)


def batch_distributions(
    split: Callable[[np.ndarray], list[np.ndarray]], examples: int
) -> list[tuple[int, Counter[frozenset[int]]]]:
    """For each batch position of an epoch: its size and how often each set of examples fills it, over every order
    of ``examples`` examples. Uniform sampling without replacement means every set of that size, equally often."""
    positions: list[Counter[frozenset[int]]] = []
    sizes: list[int] = []
    for order in itertools.permutations(range(examples)):
        batches = split(np.array(order, dtype=np.int64))
        if not positions:
            positions = [Counter() for _ in batches]
            sizes = [len(batch) for batch in batches]
        assert [len(batch) for batch in batches] == sizes, f"batch sizes change with the order: {batches}"
        for counter, batch in zip(positions, batches):
            counter[frozenset(int(index) for index in batch)] += 1
    return list(zip(sizes, positions))


def uniform_over_subsets(size: int, counter: Counter, examples: int) -> bool:
    """Whether ``counter`` holds every set of ``size`` of ``examples`` examples, each equally often."""
    return len(counter) == comb(examples, size) and len(set(counter.values())) == 1
