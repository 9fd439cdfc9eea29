"""Stage 3: turn a variant into a kernel plan: what runs once per step, what runs per element.

The variant's ordered assignments become single-assignment form (the new value
of state ``m`` is ``m_new``). Every assignment whose inputs are all invariant
(hyperparameters, the step ``t``, optimizer-wide state) moves to the *prelude*,
computed once per step in float64; inside the element loop, every maximal
invariant subexpression and every literal is replaced by a prelude scalar
(``k0 = 1 - beta_1``), so the loop reads only arrays and scalars typed to the
array's dtype: float32 stays float32. Common subexpressions of the loop body
are then shared through ``tmp`` temporaries.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy

from codegen.lower import Assignment, Variant
from codegen.spec import State, g, w

# Exponents the kernel printer writes without a literal: x*x, x*x*x, sqrt(x), 1/sqrt(x) in a quotient.
LOOP_EXPONENTS = frozenset(
    {
        sympy.Integer(2),
        sympy.Integer(3),
        sympy.Integer(-1),
        sympy.Integer(-2),
        sympy.Rational(1, 2),
        sympy.Rational(-1, 2),
    }
)


@dataclass(frozen=True)
class KernelPlan:
    """The lowered, hoisted, CSE'd computation of one variant, still as SymPy."""

    variant: Variant
    prelude: tuple[Assignment, ...]
    scalars: tuple[sympy.Symbol, ...]
    optimizer_state_out: tuple[tuple[State, sympy.Symbol], ...]
    loads: tuple[tuple[str, sympy.Symbol], ...]
    body: tuple[Assignment, ...]
    stores: tuple[tuple[str, sympy.Symbol], ...]


def plan_kernel(variant: Variant) -> KernelPlan:
    """Split ``variant`` into prelude and loop, hoist invariants, share subexpressions."""
    invariant = set(variant.invariants)
    stored = {s.symbol: s for s in variant.state}
    current: dict[sympy.Symbol, sympy.Symbol] = {}
    prelude: list[Assignment] = []
    body: list[Assignment] = []
    for lhs, rhs in variant.assignments:
        rhs = rhs.xreplace(current)
        target = sympy.Symbol(lhs.name + "_new") if lhs in stored or lhs == w else lhs
        current[lhs] = target
        if rhs.free_symbols <= invariant:
            prelude.append((target, rhs))
            invariant.add(target)
        else:
            body.append((target, rhs))

    hoisted = _Hoister(invariant, taken={s.name for s, _ in prelude})
    body = [(lhs, hoisted(rhs)) for lhs, rhs in body]
    prelude.extend(hoisted.definitions)
    body = _share_subexpressions(body)

    optimizer_out = tuple((s, current[s.symbol]) for s in variant.optimizer_state)
    read_in_loop = set().union(*(rhs.free_symbols for _, rhs in body))
    scalars = _ordered_scalars(variant, prelude, read_in_loop & invariant)
    needed = set(scalars) | {new for _, new in optimizer_out}
    prelude = _needed_only(prelude, needed)

    arrays = (("param", w), ("grad", g), *((s.name, s.symbol) for s in variant.parameter_state))
    loads = tuple((array, symbol) for array, symbol in arrays if symbol in read_in_loop)
    stores = tuple((array, current[symbol]) for array, symbol in arrays if symbol in current)
    return KernelPlan(variant, tuple(prelude), scalars, optimizer_out, loads, tuple(body), stores)


class _Hoister:
    """Replaces loop-invariant subexpressions and literals by named prelude scalars."""

    def __init__(self, invariant: set[sympy.Symbol], taken: set[str]):
        self.invariant = invariant
        self.names: dict[sympy.Expr, sympy.Symbol] = {}
        self.definitions: list[Assignment] = []
        self.taken = taken

    def __call__(self, expr: sympy.Expr) -> sympy.Expr:
        if expr.is_Symbol:
            return expr
        if expr.is_Number or expr.free_symbols <= self.invariant:
            return self.scalar(expr)
        if expr.is_Add or expr.is_Mul:
            return self.split(expr)
        if expr.is_Pow:
            exponent = expr.exp if expr.exp in LOOP_EXPONENTS else self(expr.exp)
            return sympy.Pow(self(expr.base), exponent, evaluate=False)
        return expr.func(*(self(arg) for arg in expr.args), evaluate=False)

    def split(self, expr: sympy.Expr) -> sympy.Expr:
        """Group the invariant operands of a sum or product into one scalar, keeping a sign."""
        fixed = [a for a in expr.args if a.free_symbols <= self.invariant]
        varying = [self(a) for a in expr.args if not a.free_symbols <= self.invariant]
        sign = []
        if expr.is_Mul and sympy.S.NegativeOne in fixed:
            fixed.remove(sympy.S.NegativeOne)
            sign = [sympy.S.NegativeOne]
        if fixed:
            group = expr.func(*fixed)
            fixed = [group if group.is_Symbol else self.scalar(group)]
        return expr.func(*sign, *fixed, *varying, evaluate=False)

    def scalar(self, expr: sympy.Expr) -> sympy.Symbol:
        if expr not in self.names:
            index = len(self.names)
            while f"k{index}" in self.taken:
                index += 1
            symbol = sympy.Symbol(f"k{index}")
            self.taken.add(symbol.name)
            self.names[expr] = symbol
            self.definitions.append((symbol, expr))
            self.invariant.add(symbol)
        return self.names[expr]


def _share_subexpressions(body: list[Assignment]) -> list[Assignment]:
    targets = [lhs for lhs, _ in body]
    temporaries, reduced = sympy.cse([rhs for _, rhs in body], symbols=sympy.numbered_symbols("tmp"), order="none")
    if not temporaries:
        return body
    # Each temporary goes right before the first assignment that needs it, so the body keeps its order.
    result: list[Assignment] = []
    pending = list(temporaries)
    for lhs, rhs in zip(targets, reduced):
        needed = _closure(rhs.free_symbols, dict(temporaries))
        result.extend(item for item in pending if item[0] in needed)
        pending = [item for item in pending if item[0] not in needed]
        result.append((lhs, rhs))
    return result


def _closure(symbols: set, definitions: dict) -> set:
    needed, stack = set(), list(symbols)
    while stack:
        symbol = stack.pop()
        if symbol in definitions and symbol not in needed:
            needed.add(symbol)
            stack.extend(definitions[symbol].free_symbols)
    return needed


def _ordered_scalars(variant: Variant, prelude: list[Assignment], used: set) -> tuple[sympy.Symbol, ...]:
    order = [h.symbol for h in variant.hyperparameters] + [lhs for lhs, _ in prelude]
    return tuple(symbol for symbol in order if symbol in used)


def _needed_only(prelude: list[Assignment], needed: set) -> list[Assignment]:
    definitions = dict(prelude)
    keep = _closure(needed, definitions)
    return [(lhs, rhs) for lhs, rhs in prelude if lhs in keep]
