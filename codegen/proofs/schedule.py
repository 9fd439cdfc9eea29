"""The proof steps the generated schedule checks call: SymPy for the math, the reference for the kernels.

Each ``prove_*`` function raises ``AssertionError`` with the residual (what
is left of ``lhs - rhs`` after simplification) when the statement does not
hold. How each is proven:

- ``prove_identical``: for a symbolic step ``k``. Before simplifying, every
  ``floor``/``ceiling`` argument and the whole expression are expanded, so
  that ``floor((k + P)/P)`` becomes ``floor(k/P) + 1``, which SymPy knows.
- ``prove_equal_at`` and ``prove_bounded``: exactly at every step of a finite
  list, for the stated instances, where floor and Piecewise on symbolic
  arguments defeat simplification. At a number, ``floor`` and every
  condition are decided exactly; the other arguments may stay symbols.
- ``prove_periodic``, ``prove_value_at``, ``prove_jump``: reduced to
  ``prove_identical``.

``confirm_*`` check the same statements on the generated kernels, with the
tolerance from the reference's first-order rounding bound (``reference``).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import sympy

from codegen.language.schedule import Element, k
from codegen.proofs.package import generated_package
from codegen.proofs.schedule_reference import reference

# What the generated checks import.
__all__ = [
    "Element",
    "confirm_close",
    "confirm_identical",
    "confirm_periodic",
    "confirm_within",
    "generated_package",
    "prove_bounded",
    "prove_equal_at",
    "prove_identical",
    "prove_jump",
    "prove_periodic",
    "prove_value_at",
]

# A kernel must come within this many times the reference's first-order rounding bound (see its docstring).
BOUND_FACTOR = 2.0


def normalized(expression: sympy.Expr) -> sympy.Expr:
    """Floor and ceiling arguments expanded (``floor(k/P + 1) = floor(k/P) + 1``), then everything."""
    expanded = sympy.sympify(expression).replace(
        lambda e: isinstance(e, (sympy.floor, sympy.ceiling)), lambda e: type(e)(sympy.expand(e.args[0]))
    )
    return sympy.expand(expanded)


def residual(lhs: sympy.Expr, rhs: sympy.Expr) -> sympy.Expr:
    """What is left of ``lhs - rhs``: 0 when SymPy proves them equal."""
    difference = normalized(lhs) - normalized(rhs)
    if difference == 0:
        return sympy.S.Zero
    return sympy.simplify(sympy.piecewise_fold(difference))


def prove_identical(lhs: sympy.Expr, rhs: sympy.Expr, what: str = "") -> None:
    left = residual(lhs, rhs)
    assert left == 0, f"{what}: lhs - rhs does not simplify to 0; residual: {left}"


def prove_equal_at(lhs: sympy.Expr, rhs: sympy.Expr, steps: Iterable[int], what: str = "") -> None:
    failures = []
    for step in steps:
        left = residual(lhs.xreplace({k: step}), rhs.xreplace({k: step}))
        if left != 0:
            failures.append(f"k = {step}: residual {left}")
    assert not failures, f"{what}: not equal at {len(failures)} step(s): " + "; ".join(failures[:5])


def prove_periodic(expression: sympy.Expr, period: sympy.Expr, what: str = "") -> None:
    prove_identical(expression.xreplace({k: k + period}), expression, what or f"period {period}")


def prove_value_at(expression: sympy.Expr, step: sympy.Expr, expected: sympy.Expr, what: str = "") -> None:
    prove_identical(expression.xreplace({k: step}), expected, what or f"value at k = {step}")


def prove_bounded(
    expression: sympy.Expr, lower: sympy.Expr, upper: sympy.Expr, steps: Iterable[int], what: str = ""
) -> None:
    failures = []
    for step in steps:
        value = sympy.simplify(normalized(expression.xreplace({k: step})))
        below = sympy.simplify(value - lower)
        above = sympy.simplify(upper - value)
        if below.is_nonnegative is not True or above.is_nonnegative is not True:
            failures.append(f"k = {step}: value - lower = {below}, upper - value = {above}")
    assert not failures, f"{what}: not proven within bounds: " + "; ".join(failures[:5])


def prove_jump(expression: sympy.Expr, at: sympy.Expr, size: sympy.Expr, what: str = "") -> None:
    """The value of ``expression`` (a Piecewise in ``k``) at ``at`` less its branch in effect at ``at - 1``, evaluated
    at ``at``, is ``size`` (0: no jump)."""
    branch = branch_at(expression, at - 1)
    jump = expression.xreplace({k: at}) - branch.xreplace({k: at})
    prove_identical(jump, size, what or f"the jump at k = {at}")


def branch_at(expression: sympy.Expr, step: sympy.Expr) -> sympy.Expr:
    if not isinstance(expression, sympy.Piecewise):
        return expression
    for branch, condition in expression.args:
        decided = sympy.simplify(condition.xreplace({k: step})) if condition is not sympy.true else sympy.true
        if decided is sympy.true:
            return branch
        if decided is not sympy.false:
            raise AssertionError(f"cannot decide {condition} at k = {step}: {decided}")
    raise AssertionError(f"no branch of {expression} applies at k = {step}")


# ----------------------------------------------------------------------------- kernels


def tolerance(expression: sympy.Expr, numbers: dict, step: int, definitions: dict | None = None) -> float:
    """The stated tolerance of a float64 kernel at ``step``: twice the first-order rounding bound."""
    return BOUND_FACTOR * reference(expression, numbers, step, definitions).bound


def confirm_close(
    values: Iterable[float],
    expression: sympy.Expr,
    numbers: dict,
    steps: Iterable[int],
    what: str,
    definitions: dict | None = None,
    computed: sympy.Expr | None = None,
) -> None:
    """Kernel ``values`` at ``steps`` against the exact value of ``expression``, within the stated tolerance.

    ``computed`` is the formula the kernel evaluates where ``expression`` is
    another of the same exact value (a proven closed form such as η/25): the
    tolerance is the rounding of the computation, which may round more.
    """
    failures = []
    for value, step in zip(values, steps):
        ref = reference(expression, numbers, int(step), definitions)
        error = ref.error(value)
        bound = ref.bound if computed is None else reference(computed, numbers, int(step), definitions).bound
        if error > BOUND_FACTOR * bound:
            failures.append(f"k = {step}: kernel {value!r}, exact {float(ref.value)!r}, error {error:.3g}")
    assert not failures, f"{what}: {len(failures)} value(s) outside the tolerance: " + "; ".join(failures[:5])


def confirm_identical(
    lhs_values: np.ndarray,
    rhs_values: np.ndarray,
    lhs: sympy.Expr,
    rhs: sympy.Expr,
    numbers: dict,
    steps: Iterable[int],
    what: str,
    definitions: dict | None = None,
) -> None:
    """Two kernels that the math says are equal, each within its tolerance of the exact value of its formula.

    Where one kernel gets an argument as a rounded float (a derived rate such
    as exp(-lambda)), its formula is evaluated at that float, so the two exact
    values differ by that rounding only.
    """
    steps = list(steps)
    confirm_close(lhs_values, lhs, numbers, steps, f"{what} (left)", definitions)
    confirm_close(rhs_values, rhs, numbers, steps, f"{what} (right)", definitions)


def confirm_periodic(
    values: np.ndarray, expression: sympy.Expr, numbers: dict, period: int, what: str, definitions: dict | None = None
) -> None:
    """``values`` at steps 0 .. len-1 repeat with ``period`` up to the two values' tolerances."""
    for step in range(len(values) - period):
        allowed = tolerance(expression, numbers, step, definitions) + tolerance(
            expression, numbers, step + period, definitions
        )
        difference = abs(values[step + period] - values[step])
        assert difference <= allowed, f"{what}: k = {step}: differs from k + {period} by {difference:.3g}"


def confirm_within(values: np.ndarray, lower: float, upper: float, what: str) -> None:
    """Kernel values within [lower, upper], up to one rounding of the bounds (the kernel adds to base_lr)."""
    slack = np.spacing(max(abs(lower), abs(upper)))
    outside = np.flatnonzero((values < lower - slack) | (values > upper + slack))
    assert outside.size == 0, f"{what}: {outside.size} value(s) outside [{lower}, {upper}], first at {outside[0]}"
