"""An independent reference for the generated kernels: the spec's update at 50 digits, with error bounds.

The reference reads only the spec (``codegen.language`` data), never the lowering,
the kernel planner, the printers or the templates. It evaluates the spec's
ordered assignments with their imperative meaning, switches options off by the
substitution the spec declares, and applies the Keras base option
``weight_decay`` as Keras does (``w ← w − λ·η·w`` on the parameter before the
step), in mpmath at ``DIGITS`` significant digits.

Beside each value it carries a bound on how far a correct floating-point kernel
may be from it: a forward error analysis run alongside the evaluation.

- Every quantity has a *linear* part (signed coefficients on the errors its
  inputs carried into the step, one per state) and an *absolute* part (the
  roundings made during the step, and second-order remainders, computed so
  that they are upper bounds).
- Each operation of the spec's expression costs one rounding, a relative ``u``
  of its result (libm's pow, exp and log cost two: they are within one ulp),
  at the precision where it runs. Subexpressions of hyperparameters, ``t`` and
  optimizer-wide state are computed once per step in float64 and then cast to
  the array's dtype (one more rounding in float32, none in float64); the rest
  runs in the array's dtype. Literals count as invariants, so they are cast too.
- ``ROUNDINGS_PER_OPERATION`` multiplies every rounding: a kernel may evaluate an
  operation in an equivalent form that rounds once more (a division as a
  product with a hoisted reciprocal, a product split between prelude and loop).
- Underflow adds at most half the smallest subnormal per operation.

Fed exact inputs (a kernel's own state), the bound is the error one correct
step may make. Fed its own output radii step after step, it bounds the error
accumulated along a whole trajectory: correlations inside a step are kept
(``m + (1-β)(g-m)`` shrinks an error in ``m`` by ``β``, it does not grow it by
``2-β``); correlations between different states across steps are dropped,
which can only make the bound larger.
"""

from __future__ import annotations

import functools
import math
import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from fractions import Fraction

import mpmath
import numpy as np
import sympy

from codegen.language.optimizer import OptimizerSpec, eta, g, t, w

DIGITS = 50
"""Significant decimal digits of the reference arithmetic."""

ROUNDINGS_PER_OPERATION = 2
"""Roundings a kernel may spend on one operation of the spec's expression (see the module docstring)."""

WEIGHT_DECAY = "weight_decay"
"""The Keras base option every optimizer has: decoupled decay of the parameter before the step."""

_lambda_wd = sympy.Symbol("lambda_wd_reference")
_MP = mpmath.MPContext()  # a private context: the reference's precision never leaks into other code
_MP.dps = DIGITS

Assignment = tuple[sympy.Symbol, sympy.Expr]
MpValue = object  # one mpf (the same for every element) or a list of mpf (one per element)


def reference_update(spec: OptimizerSpec, switches: Mapping[str, bool]) -> tuple[Assignment, ...]:
    """The spec's ordered assignments for one setting of its options.

    ``switches`` maps every option's argument, and ``"weight_decay"``, to on or
    off. An option that is off is replaced by its ``when_off`` substitution, as
    the spec declares; decoupled weight decay, when on, decays ``w`` first.
    """
    assignments = [(lhs, sympy.sympify(rhs)) for lhs, rhs in spec.update]
    for option in spec.options:
        if not switches[option.argument]:
            targets = set(option.applies_to)
            assignments = [
                (lhs, rhs.subs(option.when_off) if not targets or lhs in targets else rhs) for lhs, rhs in assignments
            ]
    if spec.base_options == "keras" and switches[WEIGHT_DECAY]:
        assignments.insert(0, (w, w - _lambda_wd * eta * w))
    return tuple(assignments)


@dataclass(frozen=True)
class Precision:
    """One floating-point format: its unit roundoff and the largest absolute error of an underflow."""

    unit: float
    underflow: float

    @classmethod
    def of(cls, dtype: np.dtype) -> Precision:
        info = np.finfo(dtype)
        return cls(float(info.eps) / 2, float(info.smallest_subnormal) / 2)


FLOAT64 = Precision.of(np.dtype(np.float64))


@dataclass(frozen=True, eq=False)
class Quantity:
    """Reference values of one expression, per element, and the bound on a kernel's distance from them.

    ``approx`` is ``value`` as float64, shape ``(n,)``; ``linear`` has shape
    ``(k, n)``: signed coefficients on the ``k`` input errors; ``absolute`` has
    shape ``(n,)``. ``invariant``: the same for every element, computed once
    per step in float64.
    """

    value: MpValue
    approx: np.ndarray
    linear: np.ndarray
    absolute: np.ndarray
    invariant: bool

    @functools.cached_property
    def radius(self) -> np.ndarray:
        """The bound: a correct kernel's result lies within ``radius`` of ``value``."""
        return np.abs(self.linear).sum(axis=0) + self.absolute


@dataclass(frozen=True, eq=False)
class StateInput:
    """A step's input for ``w`` or one state: its values and the radius of the error they already carry."""

    value: MpValue
    radius: np.ndarray


@dataclass(frozen=True)
class StepResult:
    """``w`` and every state after one step of the reference."""

    quantities: dict[sympy.Symbol, Quantity]

    def values(self, symbol: sympy.Symbol) -> list:
        quantity = self.quantities[symbol]
        return _as_list(quantity.value, quantity.approx.size)

    def radius(self, symbol: sympy.Symbol) -> np.ndarray:
        return self.quantities[symbol].radius

    def part(self, start: int, stop: int) -> StepResult:
        """The elements ``start:stop`` of a step taken on joined inputs (see ``join``)."""
        return StepResult({symbol: _sliced(q, slice(start, stop)) for symbol, q in self.quantities.items()})


def join(*inputs: Mapping[sympy.Symbol, StateInput]) -> dict[sympy.Symbol, StateInput]:
    """Several inputs side by side, to take their steps in one evaluation (``StepResult.part`` splits them)."""
    return {
        symbol: StateInput(
            [v for given in inputs for v in _as_list(given[symbol].value, given[symbol].radius.size)],
            np.concatenate([given[symbol].radius for given in inputs]),
        )
        for symbol in inputs[0]
    }


class Reference:
    """One optimizer spec, with its options, hyperparameters and array dtype fixed."""

    def __init__(
        self, spec: OptimizerSpec, switches: Mapping[str, bool], hyperparameters: Mapping[str, float], dtype: np.dtype
    ):
        self.spec = spec
        self.assignments = reference_update(spec, switches)
        self.dtype = np.dtype(dtype)
        self.precision = Precision.of(self.dtype)
        symbols = {h.argument: h.symbol for h in spec.hyperparameters}
        self.hyperparameters = {symbols[a]: _MP.mpf(float(v)) for a, v in hyperparameters.items() if a in symbols}
        self.hyperparameters[_lambda_wd] = _MP.mpf(float(hyperparameters.get(WEIGHT_DECAY) or 0.0))
        self.inputs = (w, *(s.symbol for s in spec.state))
        # Optimizer-wide and per-tensor state is kept in float64, as the per-step and per-tensor code computes it.
        self.wide = frozenset(s.symbol for s in spec.state if s.scope != "parameter")

    def initial(self, param: np.ndarray) -> dict[sympy.Symbol, StateInput]:
        """The state before the first step, for a parameter starting at ``param``.

        An initial value (a number, an expression of hyperparameters, or the
        parameter itself) is exact here; the runtime computes it in float64 and stores it in the array's
        dtype (optimizer-wide state stays float64): the initial radius.
        """
        evaluator = self._evaluator(param.size, step=1)
        evaluator.bind_exact(w, _from_array(param), invariant=False)  # a state may start as the parameter
        start = {w: StateInput(_from_array(param), np.zeros(param.size))}
        for state in self.spec.state:
            if state.initial is None:
                raise ValueError(f"{self.spec.name}: state {state.name!r} declares no initial value")
            quantity = evaluator.evaluate(sympy.sympify(state.initial))
            if state.scope != "parameter":
                start[state.symbol] = StateInput(quantity.value, quantity.radius)
            else:
                stored = evaluator.in_dtype(quantity)
                start[state.symbol] = StateInput(_as_list(stored.value, param.size), stored.radius)
        return start

    def step(
        self, state: Mapping[sympy.Symbol, StateInput], grad: np.ndarray, step: int, tensors: Sequence[int] = ()
    ) -> StepResult:
        """One step of the spec from ``state``, with gradient ``grad``, at the 1-based step ``step``. ``tensors``: the
        sizes of the tensors the elements belong to, in order (a sum over the tensor is over each); all of them one
        tensor when not given."""
        evaluator = self._evaluator(grad.size, step, tuple(tensors) or (grad.size,))
        for index, symbol in enumerate(self.inputs):
            evaluator.bind_input(symbol, state[symbol], index, invariant=symbol in self.wide)
        evaluator.bind_exact(g, _from_array(grad), invariant=False)
        for lhs, rhs in self.assignments:
            evaluator.assign(lhs, rhs)
        return StepResult(
            {
                symbol: evaluator.env[symbol] if symbol in self.wide else evaluator.in_dtype(evaluator.env[symbol])
                for symbol in self.inputs
            }
        )

    def kernel_inputs(
        self,
        param: np.ndarray,
        slots: Mapping[str, np.ndarray],
        scalars: Mapping[str, float],
        fallback: Mapping[sympy.Symbol, StateInput],
    ) -> dict[sympy.Symbol, StateInput]:
        """A kernel's state as exact inputs (radius 0): arrays per element from ``slots``, numbers (optimizer-wide,
        or this tensor's) from ``scalars``; a state the kernel does not keep comes from ``fallback``."""
        zero = np.zeros(param.size)
        inputs = {w: StateInput(_from_array(param), zero)}
        for state in self.spec.state:
            if state.name in slots:
                value = _from_array(slots[state.name])
            elif state.name in scalars:
                value = _MP.mpf(float(scalars[state.name]))
            else:
                value = fallback[state.symbol].value
            inputs[state.symbol] = StateInput(value, zero)
        return inputs

    def carried(self, result: StepResult) -> dict[sympy.Symbol, StateInput]:
        """The reference's own output as the next step's input, each state carrying its bound as its radius."""
        return {
            symbol: StateInput(q.value if symbol in self.wide else result.values(symbol), q.radius)
            for symbol, q in result.quantities.items()
        }

    def _evaluator(self, n: int, step: int, tensors: tuple[int, ...] = ()) -> _Evaluator:
        evaluator = _Evaluator(n, len(self.inputs), self.precision, self.dtype, tensors or (n,))
        evaluator.bind_exact(t, _MP.mpf(step), invariant=True)
        for symbol, value in self.hyperparameters.items():
            evaluator.bind_exact(symbol, value, invariant=True)
        return evaluator


class _Evaluator:
    """Evaluates assignments in order, each expression bottom-up, values and bounds together."""

    def __init__(self, n: int, k: int, precision: Precision, dtype: np.dtype, tensors: tuple[int, ...]):
        if sum(tensors) != n:
            raise ValueError(f"tensors of {tensors} elements do not cover the {n} elements")
        self.n, self.k = n, k
        self.tensors = tensors
        self.precision = precision
        self.dtype = dtype
        self.env: dict[sympy.Symbol, Quantity] = {}
        self.memo: dict[sympy.Expr, Quantity] = {}

    # ---- binding

    def bind_input(self, symbol: sympy.Symbol, given: StateInput, index: int, invariant: bool) -> None:
        linear = np.zeros((self.k, self.n))
        linear[index] = given.radius
        self.env[symbol] = Quantity(given.value, self._approx(given.value), linear, np.zeros(self.n), invariant)

    def bind_exact(self, symbol: sympy.Symbol, value: MpValue, invariant: bool) -> None:
        self.env[symbol] = self._exact(value, invariant)

    def assign(self, lhs: sympy.Symbol, rhs: sympy.Expr) -> None:
        self.memo = {}  # lhs changes meaning here: cached expressions that contain it are stale
        self.env[lhs] = self.evaluate(rhs)

    # ---- pieces

    def _approx(self, value: MpValue) -> np.ndarray:
        if isinstance(value, list):
            return np.array([float(v) for v in value])
        return np.full(self.n, float(value))

    def _exact(self, value: MpValue, invariant: bool) -> Quantity:
        return Quantity(value, self._approx(value), np.zeros((self.k, self.n)), np.zeros(self.n), invariant)

    def _quantity(self, value: MpValue, approx, linear, absolute, invariant: bool) -> Quantity:
        """A quantity; ``approx`` is computed in float64 from the operands' (close enough for a bound)."""
        shape = np.zeros((self.k, self.n))
        return Quantity(value, approx + shape[0], linear + shape, absolute + shape[0], invariant)

    def _invariant(self, expr: sympy.Expr) -> bool:
        return all(self.env[s].invariant for s in _free_symbols(expr))

    def _rounded(self, quantity: Quantity, operations: int) -> Quantity:
        """``quantity`` plus the error of ``operations`` roundings of a result its size."""
        if operations <= 0:
            return quantity
        precision = FLOAT64 if quantity.invariant else self.precision
        relative = (1 + ROUNDINGS_PER_OPERATION * precision.unit) ** operations - 1
        extra = relative * (np.abs(quantity.approx) + quantity.radius) + operations * precision.underflow
        # An exact zero from exact operands is computed exactly (Rprop's g·prev on its first step): no underflow.
        exact_zero = np.array([v == 0 for v in _as_list(quantity.value, self.n)]) & (quantity.radius == 0)
        return replace(quantity, absolute=quantity.absolute + np.where(exact_zero, 0.0, extra))

    def in_dtype(self, quantity: Quantity) -> Quantity:
        """A once-per-step float64 quantity as the element loop reads it: cast to the array's dtype."""
        if not quantity.invariant:
            return quantity
        cast = replace(quantity, invariant=False)
        if self.dtype == np.float64 or self._exact_in_dtype(quantity):
            return cast
        unit = ROUNDINGS_PER_OPERATION * self.precision.unit
        extra = unit * (np.abs(quantity.approx) + quantity.radius) + self.precision.underflow
        return replace(cast, absolute=quantity.absolute + extra)

    def _exact_in_dtype(self, quantity: Quantity) -> bool:
        if quantity.radius.any() or isinstance(quantity.value, list):
            return False
        return _MP.mpf(float(self.dtype.type(float(quantity.value)))) == quantity.value

    def _operands(self, args: Sequence[sympy.Expr], combine: Callable) -> tuple[list[sympy.Expr], sympy.Expr | None]:
        """Split the arguments of a per-element operation: the invariant ones form one hoisted operand."""
        varying = [a for a in args if not self._invariant(a)]
        if not varying or len(varying) == len(args):
            return list(args), None
        return varying, combine(*(a for a in args if self._invariant(a)))

    def _hoisted(self, expr: sympy.Expr | None) -> list[Quantity]:
        """The hoisted operand as the loop reads it (cast to the array's dtype), if there is one."""
        return [] if expr is None else [self.in_dtype(self.evaluate(expr))]

    # ---- dispatch

    def evaluate(self, expr: sympy.Expr) -> Quantity:
        cached = self.memo.get(expr)
        if cached is None:
            cached = self.memo[expr] = self._evaluate(expr)
        return cached

    def _evaluate(self, expr: sympy.Expr) -> Quantity:
        if expr.is_Symbol:
            if expr not in self.env:
                raise KeyError(f"the reference has no value for {expr}: not an input, not assigned before use")
            return self.env[expr]
        if expr.is_Number:
            return self._number(expr)
        if expr.is_Add:
            return self._sum(expr.args)
        if expr.is_Mul or (expr.is_Pow and expr.exp.is_Number and expr.exp < 0):
            return self._product(sympy.Mul.make_args(expr))
        if expr.is_Pow:
            return self._power(*expr.args)
        handler = _FUNCTIONS.get(type(expr).__name__)
        if handler is None:
            raise NotImplementedError(f"the reference evaluator does not know {type(expr).__name__}: {expr}")
        return handler(self, expr)

    def _number(self, number: sympy.Number) -> Quantity:
        value, exact = _number_value(number)
        quantity = self._exact(value, invariant=True)
        return quantity if exact else self._rounded(quantity, 1)

    # ---- sums and products

    def _sum(self, args: Sequence[sympy.Expr]) -> Quantity:
        exprs, hoisted = self._operands(args, sympy.Add)
        terms = [self.evaluate(a) for a in exprs] + self._hoisted(hoisted)
        if len(terms) == 1:
            return terms[0]
        value = _mp_map(lambda *xs: functools.reduce(operator.add, xs), *(q.value for q in terms))
        invariant = all(q.invariant for q in terms)
        approx = sum(q.approx for q in terms)
        total = self._quantity(value, approx, sum(q.linear for q in terms), sum(q.absolute for q in terms), invariant)
        # The last rounding is of the result; each earlier partial sum is at most the sum of the magnitudes.
        unit = ROUNDINGS_PER_OPERATION * (FLOAT64 if invariant else self.precision).unit
        partial_sums = (len(terms) - 2) * unit * sum(np.abs(q.approx) + q.radius for q in terms)
        total = self._rounded(total, 1)
        return replace(total, absolute=total.absolute + partial_sums)

    def _product(self, args: Sequence[sympy.Expr]) -> Quantity:
        """A product of factors and reciprocals; its roundings compound relatively, whatever the order."""
        exprs, hoisted = self._operands(args, sympy.Mul)
        numerators, denominators, counted = [], [], 0
        for arg in exprs:
            if arg.is_Pow and arg.exp.is_Number and arg.exp < 0:
                denominators.append(self.evaluate(arg.base ** (-arg.exp)))
            else:
                numerators.append(self.evaluate(arg))
                counted += not (arg.is_Number and _is_power_of_two(arg))
        if hoisted is not None:
            numerators.extend(self._hoisted(hoisted))
            counted += not (hoisted.is_Number and _is_power_of_two(hoisted))
        invariant = all(q.invariant for q in numerators + denominators)
        quotient = self._multiply(numerators, invariant)
        if denominators:
            quotient = _quotient(quotient, self._multiply(denominators, invariant))
        return self._rounded(quotient, max(counted - 1, 0) + len(denominators))

    def _multiply(self, factors: list[Quantity], invariant: bool) -> Quantity:
        """The exact product, its linear part and its second-order remainder (roundings come later)."""
        if not factors:
            return self._exact(_MP.mpf(1), invariant)
        if len(factors) == 1:
            return factors[0]
        value, approx = factors[0].value, factors[0].approx
        for factor in factors[1:]:
            value = _mp_map(lambda a, b: a * b, value, factor.value)
            approx = approx * factor.approx
        linear, absolute = 0.0, 0.0
        for index, factor in enumerate(factors):
            others = 1.0
            for j, other in enumerate(factors):
                others = others * other.approx if j != index else others
            linear = linear + factor.linear * others
            absolute = absolute + factor.absolute * np.abs(others)
        return self._quantity(value, approx, linear, absolute + _product_remainder(factors), invariant)

    # ---- powers

    def _power(self, base_expr: sympy.Expr, exponent: sympy.Expr) -> Quantity:
        if exponent == sympy.Rational(1, 2):
            return self._sqrt(self.evaluate(base_expr))
        if exponent.is_Integer:
            return self._integer_power(self.evaluate(base_expr), int(exponent))
        base, power = self.evaluate(base_expr), self.evaluate(exponent)
        if not (base.invariant and power.invariant):
            base, power = self.in_dtype(base), self.in_dtype(power)
        return self._general_power(base, power)

    def _sqrt(self, base: Quantity) -> Quantity:
        if any(v < 0 for v in _as_list(base.value, self.n)):
            raise ValueError("the reference takes the square root of a negative value")
        value = _mp_map(_MP.sqrt, base.value)
        root = np.sqrt(base.approx)
        x, r = base.approx, base.radius
        smooth = (x > 0) & (r <= x / 2)
        safe_x, safe_root = np.where(smooth, x, 1.0), np.where(smooth, root, 1.0)
        slope = np.where(smooth, 0.5 / safe_root, 0.0)
        remainder = r**2 / (8 * (safe_x - np.where(smooth, r, 0.0)) ** 1.5)
        # Where the tangent says nothing (near 0), the root is concave: the worst case is at x - r.
        collapsed = root - np.sqrt(np.maximum(x - r, 0.0))
        linear = base.linear * slope
        absolute = np.where(smooth, base.absolute * slope + remainder, collapsed)
        return self._rounded(self._quantity(value, root, linear, absolute, base.invariant), 1)

    def _integer_power(self, base: Quantity, n: int) -> Quantity:
        if n == 0:
            return self._exact(_MP.mpf(1), base.invariant)
        if n == 1:
            return base
        value = _mp_map(lambda v: v**n, base.value)
        x, r = np.abs(base.approx), base.radius
        slope = n * base.approx ** (n - 1)
        # (|x| + r)^n less its constant and linear terms, summed term by term so that nothing cancels.
        remainder = sum(math.comb(n, j) * x ** (n - j) * r**j for j in range(2, n + 1))
        linear, absolute = base.linear * slope, base.absolute * np.abs(slope) + remainder
        quantity = self._quantity(value, base.approx**n, linear, absolute, base.invariant)
        return self._rounded(quantity, max(n - 1, 2))  # x*x rounds once, a libm pow twice: count the larger

    def _general_power(self, base: Quantity, power: Quantity) -> Quantity:
        value = _mp_map(_power_value, base.value, power.value)
        v = self._approx(value)  # pow in float64 may differ from the truth by more than the bound needs
        x, r, e = base.approx, base.radius, power.approx
        smooth = (x > 0) & (r <= x / 2)
        safe_x = np.where(smooth, x, 1.0)
        slope = np.where(smooth, e * safe_x ** (e - 1), 0.0)
        low, high = np.where(smooth, safe_x - r, 1.0), np.where(smooth, safe_x + r, 1.0)
        # x^e has one curvature sign on (0, inf): the second derivative is largest at an end of [x-r, x+r].
        curvature = np.abs(e * (e - 1)) / 2 * np.maximum(low ** (e - 2), high ** (e - 2))
        with np.errstate(divide="ignore"):
            ends = np.maximum(np.abs(np.maximum(x - r, 0.0) ** e - v), np.abs((x + r) ** e - v))
        log_x = np.log(np.where(x > 0, x, 1.0))
        linear = base.linear * slope + power.linear * (v * log_x)
        absolute = np.where(smooth, base.absolute * np.abs(slope) + curvature * r**2, np.where(r > 0, ends, 0.0))
        absolute = absolute + power.absolute * np.abs(v * log_x)
        invariant = base.invariant and power.invariant
        return self._rounded(self._quantity(value, v, linear, absolute, invariant), 2)

    # ---- functions

    def _extremum(self, expr: sympy.Expr) -> Quantity:
        exprs, hoisted = self._operands(expr.args, type(expr))
        operands = [self.evaluate(a) for a in exprs] + self._hoisted(hoisted)
        if len(operands) == 1:
            return operands[0]
        pick = max if isinstance(expr, sympy.Max) else min
        columns = [_as_list(q.value, self.n) for q in operands]
        winner = np.array([pick(range(len(operands)), key=row.__getitem__) for row in zip(*columns)])
        value = [columns[c][i] for i, c in enumerate(winner)]
        invariant = all(q.invariant for q in operands)
        if not any(isinstance(q.value, list) for q in operands):
            value = value[0]
        elements = np.arange(self.n)
        approx = np.array([q.approx for q in operands])
        radii = np.array([q.radius for q in operands])
        gap = np.abs(approx - approx[winner, elements])
        # Separated: no error within the bounds can change the winner, whose error passes through unchanged.
        is_winner = np.arange(len(operands))[:, None] == winner
        separated = np.all(is_winner | (gap > radii + radii[winner, elements]), axis=0)
        linear = np.stack([q.linear for q in operands])[winner, :, elements].T
        absolute = np.array([q.absolute for q in operands])[winner, elements]
        # Otherwise max and min move no further than the largest operand's error.
        linear, absolute = np.where(separated, linear, 0.0), np.where(separated, absolute, radii.max(axis=0))
        return self._quantity(value, approx[winner, elements], linear, absolute, invariant)

    def _abs(self, expr: sympy.Abs) -> Quantity:
        inner = self.evaluate(expr.args[0])
        keeps_sign = np.abs(inner.approx) > inner.radius
        linear = np.where(keeps_sign, inner.linear * np.sign(inner.approx), 0.0)
        absolute = np.where(keeps_sign, inner.absolute, inner.radius)
        return self._quantity(_mp_map(abs, inner.value), np.abs(inner.approx), linear, absolute, inner.invariant)

    def _sign(self, expr: sympy.sign) -> Quantity:
        inner = self.evaluate(expr.args[0])
        value = _mp_map(lambda v: _MP.mpf(_MP.sign(v)), inner.value)
        # Exact, unless the error could reach zero: there the sign may jump by up to 2.
        unsure = (np.abs(inner.approx) <= inner.radius) & (inner.radius > 0)
        return self._quantity(value, np.sign(inner.approx), 0.0, np.where(unsure, 2.0, 0.0), inner.invariant)

    def _exp(self, expr: sympy.exp) -> Quantity:
        inner = self.evaluate(expr.args[0])
        value = _mp_map(_MP.exp, inner.value)
        v = np.exp(inner.approx)
        remainder = v * (np.expm1(inner.radius) - inner.radius)
        linear, absolute = inner.linear * v, inner.absolute * np.abs(v) + remainder
        quantity = self._quantity(value, v, linear, absolute, inner.invariant)
        return self._rounded(quantity, 2)

    def _log(self, expr: sympy.log) -> Quantity:
        inner = self.evaluate(expr.args[0])
        if any(v <= 0 for v in _as_list(inner.value, self.n)):
            raise ValueError("the reference takes the logarithm of a value that is not positive")
        x, r = inner.approx, inner.radius
        ratio = r / x
        remainder = np.where(ratio < 0.5, -np.log1p(-np.minimum(ratio, 0.5)) - ratio, np.inf)
        absolute = inner.absolute / x + remainder
        return self._rounded(
            self._quantity(_mp_map(_MP.log, inner.value), np.log(x), inner.linear / x, absolute, inner.invariant), 2
        )

    # ---- sums over the tensor

    def _tensor_sum(self, expr: sympy.Expr) -> Quantity:
        """The sum of a term over each tensor's elements, the same for its elements. The kernel adds the terms (each
        computed in the array's dtype) in float64, in some order: n − 1 additions, each rounding by at most u of the
        partial sum, itself at most the sum of the terms' magnitudes. The terms' own errors add up without sign (they
        come from different elements), so the sum keeps no linear part."""
        term = self.evaluate(expr.args[0])
        values = _as_list(term.value, self.n)
        totals, radii = [], np.empty(self.n)
        for start, size in zip(np.cumsum((0, *self.tensors[:-1])), self.tensors):
            part = slice(int(start), int(start + size))
            magnitude = float(np.sum(np.abs(term.approx[part]) + term.radius[part]))
            additions = size - 1
            rounding = ((1 + ROUNDINGS_PER_OPERATION * FLOAT64.unit) ** additions - 1) * magnitude
            radii[part] = float(np.sum(term.radius[part])) + rounding + additions * FLOAT64.underflow
            totals += [_MP.fsum(values[part])] * size
        value = totals[0] if len(self.tensors) == 1 else totals
        approx = np.array([float(v) for v in totals])
        return Quantity(value, approx, np.zeros((self.k, self.n)), radii, True)

    # ---- branches

    def _piecewise(self, expr: sympy.Piecewise) -> Quantity:
        """The branch each element takes, with its error; where the error could make a kernel decide otherwise
        (a compared value within its bound of the threshold), any branch it could take bounds the result."""
        chosen = np.full(self.n, -1)
        sure = np.ones(self.n, dtype=bool)
        for index, pair in enumerate(expr.args):
            holds, certain = self._decide(pair.cond)
            undecided = chosen < 0
            sure &= ~undecided | certain
            chosen = np.where(undecided & holds, index, chosen)
        if (chosen < 0).any():
            raise ValueError(f"no branch of {expr} holds for some elements: it needs a final (value, True)")
        possible = range(len(expr.args)) if not sure.all() else sorted(set(chosen.tolist()))
        branches = {index: self._branch(expr.args[index].expr, index in chosen) for index in possible}
        taken = [branches[index] for index in chosen.tolist()]
        values = [_as_list(q.value, self.n)[i] for i, q in enumerate(taken)]
        first = taken[0]
        invariant = (
            all(q is first for q in taken)
            and first.invariant
            and all(self._invariant(pair.cond) for pair in expr.args[: max(chosen) + 1])
        )
        value = first.value if invariant else values
        approx = np.array([q.approx[i] for i, q in enumerate(taken)])
        linear = np.array([q.linear[:, i] for i, q in enumerate(taken)]).T.reshape(self.k, self.n)
        absolute = np.array([q.absolute[i] for i, q in enumerate(taken)])
        if not sure.all():
            reach = np.max([np.abs(q.approx - approx) + q.radius for q in branches.values()], axis=0)
            linear = np.where(sure, linear, 0.0)
            absolute = np.where(sure, absolute, reach)
        return self._quantity(value, approx, linear, absolute, invariant)

    def _branch(self, expr: sympy.Expr, needed: bool) -> Quantity:
        """A branch's value; one that no element takes for sure and that cannot be evaluated (a logarithm of a
        negative number on the other side of its condition) bounds nothing: its reach is unknown."""
        try:
            return self.evaluate(expr)
        except (ValueError, ZeroDivisionError, OverflowError):
            if needed:
                raise
            nowhere = np.full(self.n, np.inf)
            return self._quantity(_MP.mpf(0), nowhere, 0.0, nowhere, False)

    def _decide(self, condition: sympy.Basic) -> tuple[np.ndarray, np.ndarray]:
        """Per element: whether ``condition`` holds, and whether a kernel within the error bounds decides the same."""
        if condition is sympy.true or condition is sympy.false:
            return np.full(self.n, bool(condition)), np.ones(self.n, dtype=bool)
        if isinstance(condition, sympy.Not):
            holds, certain = self._decide(condition.args[0])
            return ~holds, certain
        if isinstance(condition, (sympy.And, sympy.Or)):
            decided = [self._decide(arg) for arg in condition.args]
            holds = np.array([h for h, _ in decided])
            certain = np.array([c for _, c in decided])
            settles = ~holds if isinstance(condition, sympy.And) else holds  # one sure false (true) settles And (Or)
            result = holds.all(axis=0) if isinstance(condition, sympy.And) else holds.any(axis=0)
            return result, certain.all(axis=0) | (settles & certain).any(axis=0)
        if isinstance(condition, sympy.core.relational.Relational):
            lhs, rhs = self.evaluate(condition.lhs), self.evaluate(condition.rhs)
            compare = _COMPARISONS[condition.rel_op]
            left, right = _as_list(lhs.value, self.n), _as_list(rhs.value, self.n)
            holds = np.array([compare(a, b) for a, b in zip(left, right)])
            gap = np.abs(np.array([float(a - b) for a, b in zip(left, right)]))
            radii = lhs.radius + rhs.radius
            return holds, (gap > radii) | (radii == 0)  # exact operands are compared exactly
        raise NotImplementedError(f"the reference evaluator cannot decide the condition {condition}")


_COMPARISONS: dict[str, Callable[[object, object], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}

_FUNCTIONS: dict[str, Callable[[_Evaluator, sympy.Expr], Quantity]] = {
    "Piecewise": _Evaluator._piecewise,
    "tensor_sum": _Evaluator._tensor_sum,
    "Max": _Evaluator._extremum,
    "Min": _Evaluator._extremum,
    "Abs": _Evaluator._abs,
    "sign": _Evaluator._sign,
    "exp": _Evaluator._exp,
    "log": _Evaluator._log,
}


def _quotient(numerator: Quantity, denominator: Quantity) -> Quantity:
    """``numerator / denominator``: the linear part and a rigorous second-order remainder."""
    value = _mp_map(lambda a, b: a / b, numerator.value, denominator.value)
    d, x = denominator.approx, numerator.approx
    r_d, r_x = denominator.radius, numerator.radius
    linear = numerator.linear / d - denominator.linear * (x / d**2)
    margin = np.abs(d) - r_d
    # N'/D' − N/D − (linear part) = −(δN·D − N·δD)·δD / (D²·D'), and |D'| ≥ |D| − r_D.
    remainder = np.where(
        margin > 0, (r_x * np.abs(d) + np.abs(x) * r_d) * r_d / (d**2 * np.where(margin > 0, margin, 1.0)), np.inf
    )
    absolute = (
        numerator.absolute / np.abs(d) + denominator.absolute * np.abs(x) / d**2 + np.where(r_d > 0, remainder, 0.0)
    )
    return Quantity(value, x / d, linear, absolute, numerator.invariant and denominator.invariant)


def _product_remainder(factors: list[Quantity]) -> np.ndarray:
    """``Π(|x|+r) − Π|x| − Σ r_i Π_{j≠i}|x_j|``, accumulated by order so that nothing cancels."""
    constant, first, higher = 1.0, 0.0, 0.0
    for factor in factors:
        x, r = np.abs(factor.approx), factor.radius
        constant, first, higher = constant * x, first * x + constant * r, higher * (x + r) + first * r
    return higher


@functools.cache
def _number_value(number: sympy.Number) -> tuple[object, bool]:
    """A literal's value, and whether float64 holds it exactly (else it costs a rounding)."""
    if number.is_Float:
        return _MP.make_mpf(number._mpf_), True  # a SymPy Float made from a Python float is that double
    fraction = Fraction(int(number.p), int(number.q))
    return _MP.mpf(fraction.numerator) / fraction.denominator, Fraction(float(fraction)) == fraction


def _sliced(quantity: Quantity, part: slice) -> Quantity:
    value = quantity.value[part] if isinstance(quantity.value, list) else quantity.value
    return Quantity(value, quantity.approx[part], quantity.linear[:, part], quantity.absolute[part], quantity.invariant)


@functools.cache
def _free_symbols(expr: sympy.Expr) -> frozenset:
    """``expr.free_symbols``, which SymPy recomputes on every call, once per expression."""
    return frozenset(expr.free_symbols)


def _mp_map(function: Callable, *values: MpValue) -> MpValue:
    """``function`` per element; an mpf argument stands for the same value in every element."""
    lists = [v for v in values if isinstance(v, list)]
    if not lists:
        return function(*values)
    n = len(lists[0])
    return [function(*row) for row in zip(*(v if isinstance(v, list) else [v] * n for v in values))]


def _as_list(value: MpValue, n: int) -> list:
    return value if isinstance(value, list) else [value] * n


def _from_array(array: np.ndarray) -> list:
    """The values of a float32 or float64 array as mpf, exactly."""
    return [_MP.mpf(float(v)) for v in np.asarray(array, dtype=np.float64).ravel()]


def _power_value(base: object, exponent: object) -> object:
    if base == 0:
        return _MP.mpf(1) if exponent == 0 else _MP.mpf(0)
    return _MP.power(base, exponent)


def _is_power_of_two(number: sympy.Number) -> bool:
    """Whether multiplying by ``number`` is exact in binary floating point (±2^k)."""
    if not number.is_Rational or number == 0:
        return False
    p, q = abs(int(number.p)), int(number.q)
    return (p & (p - 1)) == 0 and (q & (q - 1)) == 0
