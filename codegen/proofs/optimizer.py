"""The proofs of optimizer relations, and their confirmation on the generated kernels: what generated checks run.

How a proof works: both updates run for a few steps symbolically, from
their declared initial state, with symbolic gradients ``g_1 … g_k``. The
compared quantities (``w`` and any corresponding state) must agree after
every step: each residual must simplify to exactly 0. Radicals are split as
if every base were nonnegative (``force=True``), which the domains justify
for the state radicands but not for signed quantities (``sqrt(g**2)`` is
``|g|``, not ``g``), so every residual that simplifies to 0 must also vanish
to 40 digits at random points of the domain, negative gradients included.
A claim that something does *not* hold is proved by an exact counterexample:
rational values at which the residual is a nonzero number. A sum over the
tensor is over a tensor of one element (``tensor_sum(g**2)`` is ``g**2``):
the symbols stand for one element, and the numeric confirmation steps each
element as a tensor of its own.

Numeric confirmation (``confirm``) runs the generated kernels themselves
on random float64 data and compares them with the other side of the
relation, evaluated either by its own generated kernel or, when no kernel
computes it, by SymPy at 50 digits.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import random
import re
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import numpy as np
import sympy
from sympy import Interval, oo

from codegen.language.optimizer import g, starts_as_parameter, t, tensor_sum, w
from codegen.language.relations import (
    NUMERIC_SIZE,
    NUMERIC_STEPS,
    REFERENCE_DIGITS,
    SCALE_DOMAIN,
    Equivalence,
    Relation,
    ScaleInvariance,
    Unbiased,
    c,
    numeric_steps,
)
from codegen.load import Registry, load_registry
from codegen.lower.relations import Update, check_relation, find, resolve
from codegen.proofs.package import generated_package, submodule

__all__ = ["confirm", "find", "generated_package", "load_specs", "prove"]


@functools.cache
def load_specs(specs_dir: Path) -> Registry:
    """The registry of ``specs_dir``, loaded once per process (every check module shares it)."""
    return load_registry(specs_dir)


def run(update: Update, gradients: Sequence[sympy.Expr], start: sympy.Expr) -> list[dict[sympy.Symbol, sympy.Expr]]:
    """``w`` and every state: entry 0 is the initial value, entry j the value after step j (t = j)."""
    values = {w: start, **{s: sympy.sympify(v).xreplace({w: start}) for s, v in update.initial.items()}}
    trajectory = [values]
    for step, gradient in enumerate(gradients, start=1):
        scope = {**values, g: gradient, t: sympy.Integer(step)}
        for lhs, rhs in update.assignments:
            scope[lhs] = _one_element(rhs).xreplace(scope)
        values = {symbol: scope[symbol] for symbol in values}
        trajectory.append(values)
    return trajectory


def _one_element(expression: sympy.Expr) -> sympy.Expr:
    """``expression`` on a tensor of one element: each sum over the tensor is its one term."""
    return expression.replace(tensor_sum, lambda term: term) if expression.has(tensor_sum) else expression


def gradient_symbols(steps: int) -> list[sympy.Symbol]:
    return [sympy.Symbol(f"g_{i}", real=True) for i in range(1, steps + 1)]


START = sympy.Symbol("w_0", real=True)
"""The parameter's initial value in a proof: any real number."""


@dataclass(frozen=True)
class Residual:
    """One compared quantity after one step: ``left − right`` must vanish (or, for a negative claim, not)."""

    step: int
    quantity: str
    left: sympy.Expr
    right: sympy.Expr

    @property
    def expression(self) -> sympy.Expr:
        return self.left - self.right


@dataclass(frozen=True)
class Proof:
    """The outcome of proving one relation: whether its claim was proved, and how."""

    relation: str
    proved: bool
    lines: tuple[str, ...]

    @property
    def report(self) -> str:
        verdict = "proved" if self.proved else "NOT proved"
        return "\n".join((f"{self.relation}: {verdict}", *("  " + line for line in self.lines)))


def prove(relation: Relation, registry: Registry) -> Proof:
    """Prove ``relation`` symbolically; the proof's report says how, or prints the residual that failed."""
    check_relation(relation, registry)
    if isinstance(relation, Equivalence):
        proved, lines = _prove_equivalence(relation, registry)
    elif isinstance(relation, Unbiased):
        proved, lines = _prove_unbiased(relation, registry)
    else:
        proved, lines = _prove_invariance(relation, registry)
    return Proof(relation.name, proved, tuple(lines))


class _Assumptions:
    """Symbols with the assumptions their domains allow, and points inside the domains."""

    def __init__(self, domains: Mapping[sympy.Symbol, sympy.Set]):
        self.domains = {**domains, c: SCALE_DOMAIN}
        self.symbols = {s: _assumed(s, d) for s, d in sorted(domains.items(), key=lambda item: item[0].name)}
        self.symbols[c] = c

    def apply(self, expression: sympy.Expr) -> sympy.Expr:
        return sympy.sympify(expression).xreplace(self.symbols)

    def domain(self, symbol: sympy.Symbol) -> sympy.Set:
        for original, assumed in self.symbols.items():
            if symbol in (original, assumed):
                return self.domains[original]
        raise KeyError(symbol)

    def guard_points(self, symbols: Iterable[sympy.Symbol], rng: random.Random) -> list[dict]:
        """Random points, one for each pattern of signs of the gradients among ``symbols``."""
        symbols = set(symbols)
        gradients = sorted((s for s in symbols if _is_gradient(s)), key=lambda s: s.name)
        points = []
        for signs in itertools.product((1, -1), repeat=len(gradients)):
            point = self.point(symbols, rng)
            point.update({s: sign * abs(point[s]) for s, sign in zip(gradients, signs)})
            points.append(point)
        return points

    def point(self, symbols: Iterable[sympy.Symbol], rng: random.Random | None) -> dict[sympy.Symbol, sympy.Expr]:
        """Rational values for ``symbols``: simple ones (``rng=None``) for a readable counterexample, else random."""
        point = {}
        for index, symbol in enumerate(sorted(symbols, key=lambda s: s.name)):
            if symbol == START:
                point[symbol] = sympy.Rational(1, 5) if rng is None else _random_rational(rng, -2, 2)
            elif _is_gradient(symbol):
                point[symbol] = _gradient_value(int(symbol.name[2:]), rng)
            else:
                point[symbol] = _domain_value(self.domain(symbol), index, rng)
        return point


def _is_gradient(symbol: sympy.Symbol) -> bool:
    return bool(re.fullmatch(r"g_\d+", symbol.name)) and symbol.is_real


def _assumed(symbol: sympy.Symbol, domain: sympy.Set) -> sympy.Symbol:
    if domain.is_subset(Interval.open(0, oo)):
        return sympy.Symbol(symbol.name, positive=True)
    if domain.is_subset(Interval(0, oo)):
        return sympy.Symbol(symbol.name, nonnegative=True)
    if domain.is_subset(Interval(-oo, 0)):
        return sympy.Symbol(symbol.name, nonpositive=True)
    return sympy.Symbol(symbol.name, real=True)


# Simple values for readable counterexamples, tried in order; each symbol gets a different one where possible.
_SIMPLE = tuple(sympy.Rational(p, q) for p, q in ((1, 2), (1, 3), (2, 5), (3, 4), (1, 5), (2, 3), (3, 7), (4, 5)))


def _domain_value(domain: sympy.Set, index: int, rng: random.Random | None) -> sympy.Rational:
    box = domain.intersect(Interval(sympy.Rational(1, 10), 1))
    if box.is_empty:
        box = domain.intersect(Interval(-1, -sympy.Rational(1, 10)))
    if box.is_empty:
        raise ValueError(f"cannot choose a value in {domain}")
    if rng is not None:
        return _random_rational(rng, box.inf, box.sup)
    sign = 1 if box.inf >= 0 else -1
    candidates = [sign * value for value in _SIMPLE if sign * value in box]
    return candidates[index % len(candidates)] if candidates else (box.inf + box.sup) / 2


def _random_rational(rng: random.Random, low: sympy.Expr, high: sympy.Expr) -> sympy.Rational:
    return sympy.Rational(low) + (sympy.Rational(high) - sympy.Rational(low)) * sympy.Rational(rng.randint(1, 96), 97)


def _gradient_value(index: int, rng: random.Random | None) -> sympy.Rational:
    if rng is not None:
        return _random_rational(rng, sympy.Rational(1, 4), 2) * rng.choice((-1, 1))
    return (sympy.Integer(1), -sympy.Rational(1, 2), sympy.Integer(2), -sympy.Rational(3, 2))[(index - 1) % 4]


def simplify_residual(expression: sympy.Expr) -> sympy.Expr:
    """Reduce a residual: one fraction, radicands factored and split (see the module docstring), then cancel.

    ``simplify`` finishes the job only on small results: on a large nonzero
    residual it can run for minutes, and the report only needs it readable.
    """
    expression = sympy.together(expression)
    expression = expression.replace(_is_radical, lambda radical: sympy.factor(radical.base) ** radical.exp)
    reduced = sympy.cancel(sympy.expand_power_base(expression, force=True))
    if reduced == 0 or sympy.count_ops(reduced) > SIMPLIFY_LIMIT:
        return reduced
    return sympy.simplify(reduced)


SIMPLIFY_LIMIT = 150


def _is_radical(expression: sympy.Expr) -> bool:
    return expression.is_Pow and expression.exp.is_Rational and not expression.exp.is_integer


GUARD_DIGITS = 50


def _vanishes(residual: Residual, assumptions: _Assumptions, seed: int) -> tuple[bool, str]:
    """Simplifies to 0, and vanishes at random points (which catches a forced radical rule gone wrong).

    The points cover every pattern of gradient signs, the one region split a
    forced rule could get wrong inside the domains (``sqrt(g_1**2*g_2**2)``).
    """
    expression = assumptions.apply(residual.expression)
    simplified = simplify_residual(expression)
    if simplified != 0:
        return False, f"after step {residual.step}, the residual of {residual.quantity} is {sympy.sstr(simplified)}"
    left = assumptions.apply(residual.left)
    rng = random.Random(seed)
    for point in assumptions.guard_points(expression.free_symbols | left.free_symbols, rng):
        value = sympy.N(expression.xreplace(point), GUARD_DIGITS)
        scale = 1 + abs(sympy.N(left.xreplace(point), GUARD_DIGITS))
        if not abs(value) <= scale * sympy.Float(10) ** (10 - GUARD_DIGITS):
            return False, (
                f"after step {residual.step}, the residual of {residual.quantity} simplified to 0 only by a "
                f"radical rule that does not hold here: at {_print_point(point)} it is {sympy.N(value, 6)}"
            )
    return True, ""


def _counterexample(residuals: Sequence[Residual], assumptions: _Assumptions, keep: Iterable = ()) -> str | None:
    """The first residual that is provably nonzero: at exact rational values, or for every value of ``keep``.

    With ``keep``, only the first residual that differs at all is tried (solving
    for its roots is costly, and later steps are larger, not more decisive).
    """
    keep = {assumptions.apply(s) for s in keep}
    for residual in residuals:
        expression = assumptions.apply(residual.expression)
        for attempt in range(4):
            point = assumptions.point(expression.free_symbols, None if attempt == 0 else random.Random(attempt))
            if keep and _nonzero_number(expression.xreplace(point)) is None:
                continue
            point = {s: v for s, v in point.items() if s not in keep}
            witness = _nonzero(expression.xreplace(point), keep, assumptions)
            if witness:
                return (
                    f"after step {residual.step}, {residual.quantity} differs. At {_print_point(point)}"
                    f" the residual is {witness}.\n  Residual: {sympy.sstr(simplify_residual(expression))}"
                )
            if keep:
                return None
    return None


def _nonzero(value: sympy.Expr, keep: set, assumptions: _Assumptions) -> str | None:
    """Why ``value`` is not zero (for every value of the kept symbols in their domains), or None."""
    if not value.free_symbols & keep:
        return _nonzero_number(value)
    if sympy.count_ops(value) > SIMPLIFY_LIMIT:
        return None  # factoring and solving a large expression takes minutes; a claim for all values needs a small one
    numerator, _ = sympy.fraction(sympy.factor(sympy.together(value)))
    for factor in sympy.Mul.make_args(numerator):
        base = factor.base if factor.is_Pow and factor.exp.is_positive else factor
        free = base.free_symbols
        if not free:
            if _nonzero_number(base) is None:
                return None
        elif len(free) != 1 or not _no_root(base, *free, assumptions.domain(*free)):
            return None
    names = ", ".join(sorted(s.name for s in value.free_symbols))
    return f"{sympy.sstr(sympy.factor(value))}, which is nonzero for every {names} in its domain"


def _no_root(expression: sympy.Expr, symbol: sympy.Symbol, domain: sympy.Set) -> bool:
    """Whether ``expression`` provably has no root in ``domain`` (False when SymPy cannot decide)."""
    try:
        return sympy.solveset(expression, symbol, domain) == sympy.S.EmptySet
    except NotImplementedError:
        return False


def _nonzero_number(value: sympy.Expr) -> str | None:
    """The exact value and its decimal expansion, if it is certainly nonzero (evalf with checked precision)."""
    try:
        approximate = sympy.N(value, 30, strict=True)
    except sympy.core.evalf.PrecisionExhausted:
        return None  # so close to 0 that 30 digits cannot be certified: not a counterexample
    if approximate == 0:
        return None
    text = sympy.sstr(value)
    return f"exactly {text} ≈ {sympy.N(approximate, 6)}" if len(text) <= 200 else f"≈ {sympy.N(approximate, 6)}"


def _print_point(point: Mapping[sympy.Symbol, sympy.Expr]) -> str:
    return ", ".join(f"{s.name} = {v}" for s, v in sorted(point.items(), key=lambda item: item[0].name))


def _seed(*parts: object) -> int:
    return zlib.crc32(" ".join(map(str, parts)).encode())


def _agree(relation_name: str, residuals: Sequence[Residual], assumptions: _Assumptions) -> tuple[bool, list[str]]:
    for residual in residuals:
        ok, why = _vanishes(residual, assumptions, _seed(relation_name, residual.step, residual.quantity))
        if not ok:
            return False, [why]
    steps = max(r.step for r in residuals)
    quantities = sorted({r.quantity for r in residuals}, key=[r.quantity for r in residuals].index)
    return True, [
        f"{', '.join(quantities)} agree after every step up to {steps}: every residual simplifies to exactly 0,",
        f"and vanishes to {GUARD_DIGITS - 10} digits at random points of the domains, every sign of g_i.",
    ]


def _prove_equivalence(relation: Equivalence, registry: Registry) -> tuple[bool, list[str]]:
    left, right = resolve(relation.left, registry), resolve(relation.right, registry)
    gradients = gradient_symbols(relation.steps)
    left_values, right_values = run(left, gradients, START), run(right, gradients, START)
    compared = [(w, w), *relation.state_map.items()]
    residuals = [
        Residual(step, _quantity(state, mapped), left_values[step][state], sympy.sympify(mapped).xreplace(values))
        for step, values in enumerate(right_values)
        for state, mapped in compared
    ]
    assumptions = _Assumptions({**right.domains, **left.domains})
    if relation.holds:
        return _agree(relation.name, residuals, assumptions)
    found = _counterexample(residuals, assumptions)
    if found:
        return True, [f"They are not the same update: {found}"]
    return False, ["no counterexample found: every compared quantity agrees at every point tried"]


def _quantity(state: sympy.Symbol, mapped: sympy.Expr) -> str:
    return "w" if state == w else f"{state} ↔ {sympy.sstr(mapped)}"


def _scaled_residuals(update: Update, steps: int) -> list[Residual]:
    gradients = gradient_symbols(steps)
    plain = run(update, gradients, START)
    scaled = run(update, [c * gradient for gradient in gradients], START)
    return [Residual(step, "w", scaled[step][w], plain[step][w]) for step in range(1, steps + 1)]


def _prove_invariance(relation: ScaleInvariance, registry: Registry) -> tuple[bool, list[str]]:
    def residuals(conditions: Mapping) -> list[Residual]:
        side = dataclasses.replace(relation.update, substitution={**relation.update.substitution, **conditions})
        return _scaled_residuals(resolve(side, registry), relation.steps)

    update = resolve(relation.update, registry)
    assumptions = _Assumptions(update.domains)
    if not relation.holds:
        found = _counterexample(residuals(relation.conditions), assumptions, relation.for_all)
        if found:
            return True, [f"Not invariant to g → c·g: {found}"]
        return False, ["no counterexample found: w was unchanged at every point tried"]
    holds, lines = _agree(relation.name, residuals(relation.conditions), assumptions)
    if not holds:
        return False, lines
    for symbol, value in relation.conditions.items():
        rest = {k: v for k, v in relation.conditions.items() if k != symbol}
        found = _counterexample(residuals(rest), assumptions)
        if not found:
            return False, [*lines, f"{symbol} → {value} is not shown necessary: no counterexample without it"]
        lines.append(f"Without {symbol} → {value}: {found}")
    return True, lines


def _prove_unbiased(relation: Unbiased, registry: Registry) -> tuple[bool, list[str]]:
    update = resolve(relation.update, registry)
    used = [rhs for _, rhs in update.assignments if rhs.has(relation.correction)]
    if not used:
        return False, [f"the update never uses the correction {relation.correction}"]
    closed, lines = _closed_form(relation.state, update)
    if closed is None:
        return False, lines
    step = sympy.Symbol("n", integer=True, positive=True)
    ratio = closed / relation.correction.xreplace({t: step})
    residual = simplify_residual(_Assumptions(update.domains).apply(ratio - relation.expected))
    if residual != 0:
        return False, [*lines, f"{relation.state}_t / ({relation.correction}) − {relation.expected} = {residual}"]
    lines.append(f"so {relation.state}_t / ({relation.correction}) simplifies to {relation.expected}.")
    return True, lines


def _closed_form(state: sympy.Symbol, update: Update) -> tuple[sympy.Expr | None, list[str]]:
    """Solve the state's recurrence for a constant gradient ``g``; check it against 3 steps of the update."""
    rhs = next(rhs for lhs, rhs in update.assignments if lhs == state)
    other = sorted(str(s) for s in rhs.free_symbols & (set(update.initial) - {state}))
    if other:
        return None, [f"{state}'s assignment reads other state ({other[0]}): no scalar recurrence to solve"]
    step = sympy.Symbol("n", integer=True, positive=True)
    sequence = sympy.Function(state.name)
    recurrence = sequence(step) - rhs.xreplace({state: sequence(step - 1), t: step})
    closed = sympy.rsolve(recurrence, sequence(step), {sequence(0): update.initial[state]})
    if closed is None:
        return None, [f"sympy.rsolve cannot solve {recurrence} = 0"]
    trajectory = run(update, [g] * 3, START)
    for k in range(1, 4):
        if sympy.simplify(trajectory[k][state] - closed.xreplace({step: k})) != 0:
            return None, [f"the closed form {closed} disagrees with step {k} of the update"]
    return closed, [
        f"From {state} ← {sympy.sstr(rhs)} with {state}_0 = {update.initial[state]} and g constant,",
        f"rsolve gives {state}_n = {sympy.sstr(closed)} (agrees with steps 1-3 of the update),",
    ]


# ----------------------------------------------------------------------------- numeric confirmation on the kernels


@dataclass(frozen=True)
class Confirmation:
    """The outcome of running a relation numerically: the largest relative error, and whether it passed."""

    relation: str
    confirmed: bool
    lines: tuple[str, ...]

    @property
    def report(self) -> str:
        verdict = "confirmed" if self.confirmed else "NOT confirmed"
        return "\n".join((f"{self.relation}: {verdict} numerically", *("  " + line for line in self.lines)))


def confirm(
    relation: Relation, registry: Registry, package: ModuleType, *, seed: int, tolerance: float, differs: float
) -> Confirmation:
    """Run ``relation`` on random float64 data through the generated kernels of ``package``.

    A relation that holds passes if the relative error is at most ``tolerance``;
    one that does not hold passes if the relative difference is at least ``differs``.
    """
    kernels = _Kernels(package)
    rng = np.random.default_rng(seed)
    if isinstance(relation, ScaleInvariance):
        return _confirm_invariance(relation, registry, kernels, rng, tolerance, differs)
    own: list[tuple[float, str]] = []
    if isinstance(relation, Equivalence):
        how, errors, own = _confirm_equivalence(relation, registry, kernels, rng)
        equal = relation.holds
    else:
        how, errors = _confirm_unbiased(relation, registry, kernels, rng)
        equal = True
    worst = max(error for error, _ in errors)
    confirmed = (worst <= tolerance if equal else worst >= differs) and all(e <= tolerance for e, _ in own)
    bound = f"each must be ≤ {tolerance:.0e}" if equal else f"the largest must be ≥ {differs:.0e}"
    lines = [how, f"relative error per compared quantity ({bound}):", *(f"{e:.3e}  {what}" for e, what in errors)]
    if own:
        lines.append(f"each kernel against its own side at {REFERENCE_DIGITS} digits (each must be ≤ {tolerance:.0e}):")
        lines += [f"{e:.3e}  {what}" for e, what in own]
    return Confirmation(relation.name, confirmed, tuple(lines))


class _Kernels:
    """The generated optimizer modules of one package."""

    def __init__(self, package: ModuleType):
        self.package = package

    def module(self, name: str) -> ModuleType:
        return submodule(self.package, f"optimizers.{name}")


Trajectory = list[dict[sympy.Symbol, np.ndarray]]


def _evaluate(expression: sympy.Expr, values: Mapping[sympy.Symbol, float]) -> float:
    exact = {s: sympy.Float(v, REFERENCE_DIGITS) for s, v in values.items()}
    return float(sympy.sympify(expression).xreplace(exact))


def _run_kernel(
    update: Update, kernels: _Kernels, values: Mapping, gradients: np.ndarray, start: np.ndarray
) -> Trajectory:
    """Step the generated kernel exactly as the runtime does: float64 scalars, then the element loop."""
    call = update.kernel
    variant = kernels.module(call.module).VARIANTS[call.variant]
    arguments = [_evaluate(call.arguments[name], values) for name in variant.hyperparameters]
    initial = {name: update.initial[call.state_symbols[name]] for name in call.state_symbols}
    arrays = {name: _starting_array(initial[name], values, start) for name in variant.state}
    per_tensor = {name: np.full(start.shape, _evaluate(initial[name], values)) for name in variant.tensor_state}
    scalars_state = [_evaluate(initial[name], values) for name in variant.optimizer_state]
    param = start.copy()
    trajectory = [_snapshot(param, {**arrays, **per_tensor}, scalars_state, variant, call)]
    # Each element a tensor of its own where the update sums over the tensor, as the proofs take it.
    tensors = [slice(i, i + 1) for i in range(start.size)] if variant.reduction else [slice(None)]
    for step, gradient in enumerate(gradients, start=1):
        scalars, scalars_state = variant.scalars(*arguments, step, *scalars_state)
        gradient = gradient.copy()
        for part in tensors:
            state_arrays = (*(arrays[n][part] for n in variant.state), *(a[part] for a in per_tensor.values()))
            variant.kernel(param[part], gradient[part], *state_arrays, *map(np.float64, scalars))
        trajectory.append(_snapshot(param, {**arrays, **per_tensor}, scalars_state, variant, call))
    return trajectory


def _starting_array(initial: sympy.Expr, values: Mapping, start: np.ndarray) -> np.ndarray:
    """A state's elements before the first step: a copy of the parameter where the state starts as it (``w``)."""
    if starts_as_parameter(initial):
        return start.copy()
    return np.full(start.shape, _evaluate(initial, values))


def _snapshot(param, arrays, scalars_state, variant, call) -> dict[sympy.Symbol, np.ndarray]:
    snapshot = {w: param.copy()}
    snapshot.update({call.state_symbols[n]: arrays[n].copy() for n in variant.state})
    snapshot.update({call.state_symbols[n]: arrays[n].copy() for n in variant.tensor_state})
    for name, value in zip(variant.optimizer_state, scalars_state):
        snapshot[call.state_symbols[name]] = np.full(param.shape, float(value))
    return snapshot


def _run_reference(update: Update, values: Mapping, gradients: np.ndarray, start: np.ndarray) -> Trajectory:
    """The same steps evaluated by SymPy at 50 digits, element by element, from the same float64 inputs."""
    exact = {s: sympy.Float(v, REFERENCE_DIGITS) for s, v in values.items()}
    numeric = dataclasses.replace(
        update,
        assignments=tuple((lhs, rhs.xreplace(exact)) for lhs, rhs in update.assignments),
        initial={s: sympy.sympify(v).xreplace(exact) for s, v in update.initial.items()},
    )
    columns = []
    for index in range(start.size):
        column = [sympy.Float(float(x), REFERENCE_DIGITS) for x in gradients[:, index]]
        columns.append(run(numeric, column, sympy.Float(float(start[index]), REFERENCE_DIGITS)))
    return [
        {symbol: np.array([float(column[step][symbol]) for column in columns]) for symbol in columns[0][step]}
        for step in range(len(gradients) + 1)
    ]


def _trajectory(update: Update, kernels: _Kernels, values, gradients, start) -> tuple[Trajectory, str]:
    if update.kernel is not None:
        return _run_kernel(update, kernels, values, gradients, start), f"generated kernel {update.kernel.variant}"
    return _run_reference(update, values, gradients, start), f"SymPy at {REFERENCE_DIGITS} digits"


def _sample(domains: Mapping[sympy.Symbol, sympy.Set], rng: np.random.Generator) -> dict[sympy.Symbol, float]:
    """Values inside every domain, drawn from [0.1, 1] (or [-1, -0.1]): large enough that ε and η shape the result;
    a domain that meets neither (RAdam's threshold, above 4) from its first unit."""
    values = {}
    for symbol, domain in sorted(domains.items(), key=lambda item: item[0].name):
        box = domain.intersect(Interval(0.1, 1))
        if box.is_empty:
            box = domain.intersect(Interval(-1, -0.1))
        if box.is_empty:
            box = domain.intersect(Interval(domain.inf, domain.inf + 1))
        values[symbol] = float(rng.uniform(float(box.inf), float(box.sup)))
    return values


def _print_values(values: Mapping[sympy.Symbol, float]) -> str:
    return ", ".join(f"{symbol} = {value:.17g}" for symbol, value in values.items())


def relative_error(actual: np.ndarray, expected: np.ndarray) -> float:
    """Normwise: the largest difference over the largest magnitude (robust to elements near 0)."""
    scale = float(np.max(np.abs(expected)))
    return float(np.max(np.abs(actual - expected))) / (scale if scale > 0 else 1.0)


def _confirm_equivalence(relation: Equivalence, registry: Registry, kernels: _Kernels, rng) -> tuple[str, list, list]:
    """How the sides ran, the error between them per compared quantity, and, for a relation declared not to hold,
    each kernel's error against its own side evaluated by SymPy: a kernel that is simply wrong differs from the
    other side too, and must not pass as the difference the relation declares."""
    left, right = resolve(relation.left, registry), resolve(relation.right, registry)
    values = _sample({**right.domains, **left.domains}, rng)
    steps = numeric_steps(relation)
    gradients = rng.standard_normal((steps, NUMERIC_SIZE))
    start = rng.standard_normal(NUMERIC_SIZE)
    left_run, left_how = _trajectory(left, kernels, values, gradients, start)
    right_run, right_how = _trajectory(right, kernels, values, gradients, start)
    errors = []
    for step in range(1, steps + 1):
        errors.append((relative_error(left_run[step][w] - start, right_run[step][w] - start), f"w - w_0, step {step}"))
        for state, mapped in relation.state_map.items():
            expected = _map_state(mapped, right_run[step], values)
            errors.append((relative_error(left_run[step][state], expected), f"{_quantity(state, mapped)}, step {step}"))
    own = []
    if not relation.holds:
        for name, side, run_ in (("left", left, left_run), ("right", right, right_run)):
            if side.kernel is not None:
                reference = _run_reference(side, values, gradients, start)
                own += [
                    (relative_error(run_[k][w] - start, reference[k][w] - start), f"{name} w - w_0, step {k}")
                    for k in range(1, steps + 1)
                ]
    return f"left: {left_how}; right: {right_how}; {_print_values(values)}", errors, own


def _map_state(mapped: sympy.Expr, values: Mapping[sympy.Symbol, np.ndarray], scalars: Mapping) -> np.ndarray:
    mapped = sympy.sympify(mapped)
    size = next(iter(values.values())).size
    return np.array(
        [_evaluate(mapped, {**scalars, **{s: float(a[i]) for s, a in values.items()}}) for i in range(size)]
    )


def _confirm_unbiased(relation: Unbiased, registry: Registry, kernels: _Kernels, rng) -> tuple[str, list]:
    update = resolve(relation.update, registry)
    values = _sample(update.domains, rng)
    constant = rng.standard_normal(NUMERIC_SIZE)
    gradients = np.tile(constant, (NUMERIC_STEPS, 1))
    run_, how = _trajectory(update, kernels, values, gradients, rng.standard_normal(NUMERIC_SIZE))
    errors = []
    for step in range(1, NUMERIC_STEPS + 1):
        correction = _evaluate(relation.correction.xreplace({t: step}), values)
        expected = np.array([_evaluate(relation.expected, {**values, g: float(x)}) for x in constant])
        errors.append((relative_error(run_[step][relation.state] / correction, expected), f"step {step}"))
    return f"update: {how}, one constant gradient for {NUMERIC_STEPS} steps; {_print_values(values)}", errors


def _confirm_invariance(relation: ScaleInvariance, registry: Registry, kernels: _Kernels, rng, tolerance, differs):
    def worst(conditions: Mapping) -> tuple[float, str]:
        side = dataclasses.replace(relation.update, substitution={**relation.update.substitution, **conditions})
        update = resolve(side, registry)
        plain, how = _trajectory(update, kernels, values, gradients, start)
        scaled, _ = _trajectory(update, kernels, values, scale * gradients, start)
        error = max(relative_error(scaled[k][w] - start, plain[k][w] - start) for k in range(1, steps + 1))
        return error, how

    update = resolve(relation.update, registry)
    values = _sample(update.domains, rng)
    scale = float(rng.uniform(2.0, 10.0))
    steps = numeric_steps(relation)
    gradients = rng.standard_normal((steps, NUMERIC_SIZE))
    start = rng.standard_normal(NUMERIC_SIZE)
    error, how = worst(relation.conditions)
    confirmed = error <= tolerance if relation.holds else error >= differs
    bound = f"≤ {tolerance:.0e}" if relation.holds else f"≥ {differs:.0e}"
    lines = [
        f"{how}; {_print_values(values)}",
        f"c = {scale:.17g}: w - w_0 changes by {error:.3e} relative (must be {bound})",
    ]
    if relation.holds:
        for symbol in relation.conditions:
            dropped, _ = worst({k: v for k, v in relation.conditions.items() if k != symbol})
            confirmed &= dropped >= differs
            lines.append(
                f"without {symbol} = {relation.conditions[symbol]}: changes by {dropped:.3e} (≥ {differs:.0e})"
            )
    return Confirmation(relation.name, confirmed, tuple(lines))
