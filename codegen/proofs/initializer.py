"""What the generated initializer checks (``checks/test_*_initializer.py``) prove with.

Each helper computes its fact from first principles, independently of the
spec's own derivation: variances by integrating the density, support limits
from the family's definition, the fans each Keras mode divides by from Keras's
documentation. A failed proof shows the residual.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import sympy
from sympy import Eq, Symbol, exp, integrate, oo

from codegen.language.initializer import CONSTANTS as DERIVATIONS
from codegen.proofs.package import generated_package, submodule

# What the generated checks import.
__all__ = [
    "CONSTANTS",
    "KERAS_MODE_FANS",
    "LAYOUT_AXES",
    "assert_close_in_ulps",
    "assert_differ_for_every_shape",
    "assert_identical",
    "assert_scalars_match",
    "generated_package",
    "max_difference_in_ulps_of_largest",
    "max_ulp_difference",
    "submodule",
    "support_limit",
    "variance_by_integration",
]


fan_in = Symbol("fan_in", integer=True, positive=True)
fan_out = Symbol("fan_out", integer=True, positive=True)

KERAS_MODE_FANS = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}
"""The n each VarianceScaling mode divides the scale by, as Keras documents it."""

CONSTANTS = {symbol: derive() for symbol, derive in DERIVATIONS.items()}
"""The named constants of the spec language as it derives them; the families' check derives the truncation
constant a second way."""

LAYOUT_AXES = {
    "torch": lambda rank: {"input_axes": [1, *range(2, rank)], "output_axes": [0, *range(2, rank)]},
}
"""Keras 3's input_axes/output_axes that read a shape's fans as PyTorch does: an (out, in, *kernel) tensor,
fan_in = in · kernel, fan_out = out · kernel (torch.nn.init's documentation)."""

# Placeholders the densities are integrated in once; parameters are substituted afterwards.
_mu = Symbol("mu", real=True)
_sigma = Symbol("sigma", positive=True)
_a, _b = sympy.symbols("a b", real=True)
_x = Symbol("x", real=True)


def assert_identical(actual: sympy.Expr, expected: sympy.Expr, what: str) -> None:
    """Prove ``actual == expected`` for every value of their symbols; else fail showing the residual."""
    residual = sympy.simplify(sympy.sympify(actual) - sympy.sympify(expected))
    if residual != 0 and residual.equals(0) is not True:
        raise AssertionError(
            f"{what}: not identical.\n  actual:   {actual}\n  expected: {expected}\n  residual: {residual}"
        )


@functools.cache
def _variance_formula(family: str, bounds: tuple[sympy.Expr, sympy.Expr] = (-oo, oo)) -> sympy.Expr:
    """The variance of one draw from ``family`` in terms of the placeholders, by integrating its density.

    The normal families are integrated in the offset from the mean (the variance does not
    depend on where the distribution sits), which SymPy does in closed form; a truncated
    normal's ``bounds`` are its limits in standard deviations from the mean.
    """
    if family in ("normal", "truncated_normal"):
        weight = exp(-(_x**2) / (2 * _sigma**2))
        support = (bounds[0] * _sigma, bounds[1] * _sigma)
        density = weight / integrate(weight, (_x, *support), manual=True)
    elif family == "uniform":
        density = 1 / (_b - _a)
        support = (_a, _b)
    else:
        raise ValueError(f"no variance for family {family!r}")
    mean = sympy.simplify(integrate(_x * density, (_x, *support)))
    return sympy.factor(sympy.simplify(integrate((_x - mean) ** 2 * density, (_x, *support))))


def variance_by_integration(family: str, parameters: dict[str, sympy.Expr]) -> sympy.Expr:
    """The variance of one element drawn from ``family`` with these parameters (by name)."""
    if family == "truncated_normal":
        offsets = (parameters["lower"] - parameters["mean"], parameters["upper"] - parameters["mean"])
        bounds = tuple(sympy.simplify(offset / parameters["stddev"]) for offset in offsets)
        return _variance_formula(family, bounds).subs(_sigma, parameters["stddev"])
    names = {"mean": _mu, "stddev": _sigma, "minval": _a, "maxval": _b}
    return _variance_formula(family).subs({names[name]: value for name, value in parameters.items()})


def support_limit(family: str, parameters: dict[str, sympy.Expr]) -> sympy.Expr:
    """The largest value a draw can take: the uniform's maxval, the truncated normal's upper bound."""
    if family == "uniform":
        return parameters["maxval"]
    if family == "truncated_normal":
        return parameters["upper"]
    return oo


def assert_differ_for_every_shape(written: sympy.Expr, promised: sympy.Expr, what: str) -> sympy.Expr:
    """Prove that no shape (positive integer fans) makes ``written`` equal ``promised``; return their ratio."""
    ratio = sympy.simplify(written / promised)
    if ratio.is_number:
        if sympy.N(ratio, 30) == 1:
            raise AssertionError(f"{what}: the two limits are equal (ratio {ratio})")
        return ratio
    unknowns = sorted(ratio.free_symbols, key=str)
    solutions = sympy.solve(Eq(written**2, promised**2), unknowns, dict=True)
    if solutions:
        raise AssertionError(f"{what}: equal when {solutions}; ratio {ratio}")
    return ratio


def assert_close_in_ulps(actual: float, expected: sympy.Expr, ulps: float, what: str) -> None:
    """|actual − expected| ≤ ulps · ulp(expected) in float64, with expected evaluated to 40 digits."""
    exact = sympy.N(expected, 40)
    reference = float(exact)
    spacing = np.spacing(abs(reference)) if reference != 0 else np.finfo(np.float64).tiny
    error = abs(sympy.Float(actual, 40) - exact)
    if error > ulps * spacing:
        raise AssertionError(f"{what}: {actual!r} differs from {exact} by {float(error / spacing):.2f} ulp (> {ulps})")


def assert_scalars_match(
    function: Callable[..., tuple[float, ...]],
    expected: Mapping[str, sympy.Expr],
    fans: Sequence[tuple[int, int]],
    samples: Sequence[tuple[float, ...]] = ((),),
    symbols: Sequence[sympy.Symbol] = (),
) -> None:
    """``function(fan_in, fan_out, *sample)`` returns the ``expected`` scalars, in order, each to 4 ulp.

    Each scalar is a handful (at most 6) of correctly rounded float64 operations on exact inputs, each adding at
    most half an ulp of relative error: 4 ulp bounds their sum. ``symbols`` name the values of each sample.
    """
    for sample in samples:
        for fan_pair in fans:
            actual = function(*fan_pair, *sample)
            where = f"at fans {fan_pair}, arguments {sample}"
            assert len(actual) == len(expected), f"{len(actual)} scalars {where}, expected {len(expected)}"
            point = {fan_in: fan_pair[0], fan_out: fan_pair[1], **dict(zip(symbols, sample)), **CONSTANTS}
            for computed, (name, expression) in zip(actual, expected.items()):
                assert_close_in_ulps(computed, sympy.sympify(expression).subs(point), 4, f"{name} {where}")


def max_ulp_difference(a: np.ndarray, b: np.ndarray) -> float:
    """The largest difference between two arrays of one dtype, in units in the last place of the larger."""
    spacing = np.spacing(np.maximum(np.abs(a), np.abs(b)))
    return float(np.max(np.abs(a.astype(np.float64) - b.astype(np.float64)) / spacing.astype(np.float64)))


def max_difference_in_ulps_of_largest(a: np.ndarray, b: np.ndarray) -> float:
    """The largest difference between two arrays, in ulps of the largest magnitude in either.

    The right measure for ``s0 + s1 * variate`` computed from scalars that differ in their
    last bit: the difference is absolute, of the order of the scalars, whatever the value.
    """
    largest = max(float(np.max(np.abs(a))), float(np.max(np.abs(b))))
    spacing = float(np.spacing(a.dtype.type(largest)))
    return float(np.max(np.abs(a.astype(np.float64) - b.astype(np.float64)))) / spacing


__all__ = [
    "KERAS_MODE_FANS",
    "LAYOUT_AXES",
    "assert_close_in_ulps",
    "assert_differ_for_every_shape",
    "assert_identical",
    "assert_scalars_match",
    "fan_in",
    "fan_out",
    "max_difference_in_ulps_of_largest",
    "max_ulp_difference",
    "support_limit",
    "variance_by_integration",
]
