"""A schedule's math evaluated without the printer, the templates or Numba: the reference the kernels must meet.

``reference(expression, numbers, step)`` evaluates a SymPy expression of the
step exactly where it can (rational arithmetic on the exact values of the
float arguments, so ``floor``, ``Min`` and ``Piecewise`` conditions are
decided without rounding) and to 256 bits where it cannot (``cos``, ``exp``,
``log``, powers with non-integer exponents). ``floor(log(x)/log(b))`` is
decided exactly, by comparing ``x`` with powers of ``b``.

It also returns a first-order bound on the error of evaluating the same
expression in float64 with every operation rounded once: the sum over all
operations of |d value / d operation result| x |operation result| x u x
(roundings of that operation), u = 2^-53. Sums count (n - 1) roundings of
at most the sum of their terms' magnitudes, which is where cancellation
shows (``1 + cos(pi rho)`` near the end of a cosine cycle); ``libm``
functions count two (they are faithful to 1 ulp); integer powers count
their multiplications (repeated squaring); exact operations (``floor``,
``Min``, a branch choice) count none. The bound is what a tolerance can be
stated in: a kernel must come within twice it, which leaves room for the
printer writing a product or a sum in another order than SymPy holds it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import mpmath
import sympy

from codegen.language.schedule import Element, k
from codegen.lower.schedule import log_ratio

U = 2.0**-53
PRECISION_BITS = 256
_CONTEXT = mpmath.MPContext()
_CONTEXT.prec = PRECISION_BITS


# Above this exponent an exact rational power grows too large to be quick; 256 bits are plenty.
_EXACT_POWER_LIMIT = 64


class Undecided(ValueError):
    """A condition or a floor whose answer rounding could change: the reference refuses to guess."""


@dataclass(frozen=True)
class Reference:
    """The exact value (to 256 bits) and the first-order float64 rounding bound at one step."""

    value: mpmath.mpf
    bound: float
    exact: bool

    def error(self, computed: float) -> float:
        """|computed - value| as a float."""
        return float(abs(_CONTEXT.mpf(float(computed)) - self.value))


def reference(expression: sympy.Expr, numbers: dict, step: int, definitions: dict | None = None) -> Reference:
    """``expression`` at ``step``, with its symbols given by ``numbers`` (Python numbers: their exact values).

    ``definitions`` maps defined symbols to their expressions (``Bound``):
    evaluated where they are used, and their roundings carried through.
    """
    environment = {symbol: _exact(value) for symbol, value in numbers.items()}
    environment[k] = Fraction(int(step))
    evaluator = _Evaluator(environment, definitions or {})
    value = evaluator.value(expression)
    bound = evaluator.bound(expression)
    exact = isinstance(value, Fraction)
    return Reference(_CONTEXT.mpf(value.numerator) / value.denominator if exact else value, bound, exact)


def _exact(value) -> Fraction:
    if isinstance(value, Fraction):
        return value
    if isinstance(value, (int, float)):
        return Fraction(value)
    rational = sympy.Rational(value)
    return Fraction(int(rational.p), int(rational.q))


def _mpf(value) -> mpmath.mpf:
    if isinstance(value, Fraction):
        return _CONTEXT.mpf(value.numerator) / value.denominator
    return value


def _is_dyadic(value: Fraction) -> bool:
    return value.denominator & (value.denominator - 1) == 0


class _Evaluator:
    def __init__(self, environment: dict, definitions: dict):
        self.environment = environment
        self.definitions = definitions
        self.cache: dict = {}

    # ------------------------------------------------------------- values

    def value(self, node: sympy.Basic):
        key = node
        if key not in self.cache:
            self.cache[key] = self._value(node)
        return self.cache[key]

    def _value(self, node: sympy.Basic):
        if node.is_Rational:
            return Fraction(int(node.p), int(node.q))
        if node.is_Float:
            return _exact(node)
        if node is sympy.pi:
            return _CONTEXT.pi
        if node is sympy.E:
            return _CONTEXT.e
        if node.is_Symbol and node in self.definitions:
            return self.value(self.definitions[node])
        if node.is_Symbol:
            if node not in self.environment:
                raise KeyError(f"no number given for {node}")
            return self.environment[node]
        if isinstance(node, sympy.Add):
            return _sum([self.value(a) for a in node.args])
        if isinstance(node, sympy.Mul):
            return _product([self.value(a) for a in node.args])
        if isinstance(node, sympy.Pow):
            return _power(self.value(node.base), self.value(node.exp))
        if isinstance(node, (sympy.floor, sympy.ceiling)):
            return Fraction(self._rounded(node))
        if isinstance(node, (sympy.Min, sympy.Max)):
            return self.value(self._selected(node))
        if isinstance(node, sympy.Piecewise):
            return self.value(self._branch(node))
        if isinstance(node, Element):
            return self.value(self._element(node))
        if isinstance(node, (sympy.cos, sympy.sin, sympy.exp, sympy.log)):
            return _function(node, self.value(node.args[0]))
        raise TypeError(f"the reference cannot evaluate {type(node).__name__}: {node}")

    def _rounded(self, node) -> int:
        argument = node.args[0]
        ratio = log_ratio(argument)
        if isinstance(node, sympy.floor) and ratio is not None:
            return _floor_log(self.value(ratio[0]), self.value(ratio[1]))
        value = self.value(argument)
        if isinstance(value, Fraction):
            return math.floor(value) if isinstance(node, sympy.floor) else math.ceil(value)
        nearest = int(_CONTEXT.nint(value))
        if abs(value - nearest) < _CONTEXT.mpf(2) ** (-PRECISION_BITS // 2) * max(1, abs(nearest)):
            raise Undecided(f"{node} is within rounding of the integer {nearest}")
        return int(_CONTEXT.floor(value) if isinstance(node, sympy.floor) else _CONTEXT.ceil(value))

    def _selected(self, node) -> sympy.Basic:
        values = [self.value(a) for a in node.args]
        pick = min if isinstance(node, sympy.Min) else max
        best = pick(range(len(values)), key=lambda i: _mpf(values[i]))
        for i, value in enumerate(values):
            if i != best and not isinstance(value, Fraction) and _close(value, values[best]):
                raise Undecided(f"{node}: arguments too close to order")
        return node.args[best]

    def _element(self, node: Element) -> sympy.Basic:
        index = self.value(node.args[0])
        if not isinstance(index, Fraction) or index.denominator != 1 or not 0 <= index < len(node.args) - 1:
            raise ValueError(f"{node}: the index {index} is not a position in the list")
        return node.args[1 + int(index)]

    def _branch(self, node: sympy.Piecewise) -> sympy.Basic:
        for expression, condition in node.args:
            if self.truth(condition):
                return expression
        raise ValueError(f"no branch of {node} applies")

    def truth(self, condition) -> bool:
        if condition is sympy.true or condition is True:
            return True
        if condition is sympy.false or condition is False:
            return False
        if isinstance(condition, sympy.And):
            return all(self.truth(c) for c in condition.args)
        if isinstance(condition, sympy.Or):
            return any(self.truth(c) for c in condition.args)
        if isinstance(condition, sympy.Not):
            return not self.truth(condition.args[0])
        if isinstance(condition, sympy.logic.boolalg.ITE):
            test, then, otherwise = condition.args
            return self.truth(then) if self.truth(test) else self.truth(otherwise)
        if isinstance(condition, sympy.core.relational.Relational):
            left, right = self.value(condition.lhs), self.value(condition.rhs)
            if not (isinstance(left, Fraction) and isinstance(right, Fraction)) and _close(left, right):
                raise Undecided(f"{condition}: the two sides are within rounding of each other")
            left, right = _mpf(left), _mpf(right)
            return bool(
                {
                    "<": left < right,
                    "<=": left <= right,
                    ">": left > right,
                    ">=": left >= right,
                    "==": left == right,
                    "!=": left != right,
                }[condition.rel_op]
            )
        raise TypeError(f"the reference cannot decide {condition}")

    # ------------------------------------------------------------- rounding bound

    def bound(self, root: sympy.Basic) -> float:
        """First-order float64 rounding bound of ``root`` (see the module docstring)."""
        total = _CONTEXT.mpf(0)
        stack = [(root, _CONTEXT.mpf(1))]
        while stack:
            node, adjoint = stack.pop()
            if adjoint == 0:
                continue
            total += abs(adjoint) * self._roundings(node)
            stack.extend((child, adjoint * partial) for child, partial in self._partials(node))
        return float(total * U)

    def _roundings(self, node) -> mpmath.mpf:
        """Roundings of the operation at ``node`` times the magnitude they are relative to."""
        value = _mpf(self.value(node))
        if node is sympy.pi or node is sympy.E:
            return abs(value)
        if node.is_Rational:
            return _CONTEXT.mpf(0) if _is_dyadic(Fraction(int(node.p), int(node.q))) else abs(value)
        if isinstance(node, sympy.Add):
            return (len(node.args) - 1) * sum(abs(_mpf(self.value(a))) for a in node.args)
        if isinstance(node, sympy.Mul):
            return (len(node.args) - 1) * abs(value)
        if isinstance(node, sympy.Pow):
            exponent = self.value(node.exp)
            if isinstance(exponent, Fraction) and exponent.denominator == 1:
                # Numba raises a float to an integer power by multiplications: a chain of them is
                # first-order accurate to (|n| - 1) roundings, whatever their order.
                return max(1, abs(exponent.numerator) - 1) * abs(value)
            return (1 if exponent == Fraction(1, 2) else 2) * abs(value)
        if isinstance(node, (sympy.cos, sympy.sin, sympy.exp, sympy.log)):
            return 2 * abs(value)
        return _CONTEXT.mpf(0)

    def _partials(self, node) -> list[tuple[sympy.Basic, mpmath.mpf]]:
        if node.is_Symbol and node in self.definitions:
            return [(self.definitions[node], _CONTEXT.mpf(1))]
        if isinstance(node, sympy.Add):
            return [(a, _CONTEXT.mpf(1)) for a in node.args]
        if isinstance(node, sympy.Mul):
            values = [_mpf(self.value(a)) for a in node.args]
            partials = []
            for i, argument in enumerate(node.args):
                others = _CONTEXT.mpf(1)
                for j, value in enumerate(values):
                    if j != i:
                        others *= value
                partials.append((argument, others))
            return partials
        if isinstance(node, sympy.Pow):
            base, exponent = _mpf(self.value(node.base)), _mpf(self.value(node.exp))
            partials = [(node.base, exponent * base ** (exponent - 1) if base != 0 else _CONTEXT.mpf(0))]
            if not node.exp.is_number and base > 0:
                partials.append((node.exp, _mpf(self.value(node)) * _CONTEXT.log(base)))
            return partials
        if isinstance(node, sympy.cos):
            return [(node.args[0], -_CONTEXT.sin(_mpf(self.value(node.args[0]))))]
        if isinstance(node, sympy.sin):
            return [(node.args[0], _CONTEXT.cos(_mpf(self.value(node.args[0]))))]
        if isinstance(node, sympy.exp):
            return [(node.args[0], _mpf(self.value(node)))]
        if isinstance(node, sympy.log):
            return [(node.args[0], 1 / _mpf(self.value(node.args[0])))]
        if isinstance(node, (sympy.Min, sympy.Max)):
            return [(self._selected(node), _CONTEXT.mpf(1))]
        if isinstance(node, sympy.Piecewise):
            return [(self._branch(node), _CONTEXT.mpf(1))]
        if isinstance(node, Element):
            return [(self._element(node), _CONTEXT.mpf(1))]
        return []  # leaves, floor and ceiling: nothing rounds below them that changes the value


def _close(a, b) -> bool:
    a, b = _mpf(a), _mpf(b)
    return abs(a - b) <= _CONTEXT.mpf(2) ** (-PRECISION_BITS // 2) * max(abs(a), abs(b), 1)


def _sum(values: list):
    if all(isinstance(v, Fraction) for v in values):
        return sum(values, Fraction(0))
    return _CONTEXT.fsum(_mpf(v) for v in values)


def _product(values: list):
    if all(isinstance(v, Fraction) for v in values):
        result = Fraction(1)
        for v in values:
            result *= v
        return result
    result = _CONTEXT.mpf(1)
    for v in values:
        result *= _mpf(v)
    return result


def _power(base, exponent):
    small = isinstance(exponent, Fraction) and abs(exponent) <= _EXACT_POWER_LIMIT
    if isinstance(base, Fraction) and isinstance(exponent, Fraction) and exponent.denominator == 1 and small:
        if base == 0 and exponent < 0:
            raise ZeroDivisionError("0 to a negative power")
        return base**exponent.numerator
    if isinstance(exponent, Fraction) and exponent == 0:
        return Fraction(1)
    if isinstance(base, Fraction) and base == 0:
        return Fraction(0) if _mpf(exponent) > 0 else Fraction(1)
    return _CONTEXT.power(_mpf(base), _mpf(exponent))


def _function(node, argument):
    if isinstance(argument, Fraction) and argument == (1 if isinstance(node, sympy.log) else 0):
        return Fraction(0) if isinstance(node, (sympy.sin, sympy.log)) else Fraction(1)
    function = {sympy.cos: _CONTEXT.cos, sympy.sin: _CONTEXT.sin, sympy.exp: _CONTEXT.exp, sympy.log: _CONTEXT.log}
    return function[type(node)](_mpf(argument))


def _floor_log(x, base) -> int:
    """The integer i with base^i <= x < base^(i+1), exactly when both are rational."""
    if isinstance(x, Fraction) and isinstance(base, Fraction):
        if base <= 1 or x < 1:
            raise ValueError(f"floor(log({x})/log({base})) needs x >= 1 and base > 1")
        index = 0
        power = Fraction(1)
        while power * base <= x:
            power *= base
            index += 1
        return index
    estimate = _CONTEXT.log(_mpf(x)) / _CONTEXT.log(_mpf(base))
    nearest = int(_CONTEXT.nint(estimate))
    if abs(estimate - nearest) < _CONTEXT.mpf(2) ** (-PRECISION_BITS // 2):
        raise Undecided(f"log({x})/log({base}) is within rounding of {nearest}")
    return int(_CONTEXT.floor(estimate))
