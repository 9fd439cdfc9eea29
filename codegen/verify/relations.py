"""Relations between optimizer specs, declared as data beside them, and the engine that proves them.

A spec file may end with ``RELATIONS = (...)``: facts about its update that
the generated checks (``generated/checks/``) prove. There are three kinds:

- ``Equivalence``: one update (a spec variant specialised by a substitution)
  is the same as another (a second spec variant, or an update written out in
  the relation), or, with ``holds=False``, provably is not.
- ``Unbiased``: a bias correction turns a moving average of a constant input
  into that input; the closed form of the average is derived from the spec.
- ``ScaleInvariance``: the parameter's trajectory does not change when every
  gradient is multiplied by ``c > 0``, under stated conditions, each of them
  necessary; or, with ``holds=False``, it does change.

Relations name specs (``"Adagrad"``) and are resolved through the registry;
a spec file never imports another. Symbols are matched by name, so a
relation writes ``symbols("A A_0")`` for Adagrad's accumulator and its
initial value.

How a proof works: both updates run for a few steps symbolically, from
their declared initial state, with symbolic gradients ``g_1 … g_k``. The
compared quantities (``w`` and any corresponding state) must agree after
every step: each residual must simplify to exactly 0. Radicals are split as
if every base were nonnegative (``force=True``), which the domains justify
for the state radicands but not for signed quantities (``sqrt(g**2)`` is
``|g|``, not ``g``), so every residual that simplifies to 0 must also vanish
to 40 digits at random points of the domain, negative gradients included.
A claim that something does *not* hold is proved by an exact counterexample:
rational values at which the residual is a nonzero number.

Numeric confirmation (``confirm``) runs the generated kernels themselves
on random float64 data and compares them with the other side of the
relation, evaluated either by its own generated kernel or, when no kernel
computes it, by SymPy at 50 digits.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib.util
import itertools
import random
import re
import sys
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

import numpy as np
import sympy
from sympy import Interval, oo

from codegen.errors import SpecError
from codegen.load import Registry, load_registry
from codegen.lower import Lowered, Variant, lower
from codegen.spec import OptimizerSpec, g, t, w

Assignment = tuple[sympy.Symbol, sympy.Expr]

c = sympy.Symbol("c", positive=True)
"""The factor every gradient is multiplied by in a scale-invariance relation."""

SCALE_DOMAIN = Interval.open(0, oo)


# ----------------------------------------------------------------------------- the data a spec file declares


@dataclass(frozen=True)
class SpecUpdate:
    """One variant of a registered spec, specialised by a substitution.

    ``options`` switches the spec's options by argument (``{"momentum": True}``);
    an option not named keeps its default. ``substitution`` is applied to the
    variant's assignments and initial state: hyperparameter → value
    (``{beta_1: 0}``) and expression → expression (``{rho*v: v}``); each entry
    must change something. ``domains`` gives the domain of any new symbol the
    substitution introduces.
    """

    spec: str
    options: Mapping[str, bool] = field(default_factory=dict)
    substitution: Mapping[sympy.Expr, sympy.Expr] = field(default_factory=dict)
    domains: Mapping[sympy.Symbol, sympy.Set] = field(default_factory=dict)


@dataclass(frozen=True)
class WrittenUpdate:
    """An update written out in the relation: a textbook form, or another library's.

    Assignments have the spec's imperative meaning. ``initial`` gives the value
    every state starts from (a symbol read before it is assigned is state).
    Its other symbols are the roles (``w``, ``g``, ``t``, ``eta``) and
    hyperparameters of the specs the relation names, or new ones in ``domains``.
    """

    label: str
    assignments: tuple[Assignment, ...]
    initial: Mapping[sympy.Symbol, sympy.Expr] = field(default_factory=dict)
    domains: Mapping[sympy.Symbol, sympy.Set] = field(default_factory=dict)


@dataclass(frozen=True)
class Equivalence:
    """``left`` and ``right`` compute the same ``w`` (and corresponding state) at every step.

    ``state_map`` maps a state of ``left`` to an expression in ``right``'s
    state (``{v: -eta*b}``). With ``holds=False`` the relation claims, and the
    proof shows by a counterexample, that they differ.
    """

    name: str
    statement: str
    left: SpecUpdate
    right: SpecUpdate | WrittenUpdate
    state_map: Mapping[sympy.Symbol, sympy.Expr] = field(default_factory=dict)
    holds: bool = True
    steps: int = 3
    source: str = "<unknown>"


@dataclass(frozen=True)
class Unbiased:
    """For a constant gradient, ``state / correction`` equals ``expected`` at every step t.

    The closed form of the state is derived from the spec's own assignment
    (``sympy.rsolve``), not written here; ``correction`` must appear in the
    spec's update, so the relation speaks of the correction the update uses.
    """

    name: str
    statement: str
    update: SpecUpdate
    state: sympy.Symbol
    correction: sympy.Expr
    expected: sympy.Expr
    source: str = "<unknown>"


@dataclass(frozen=True)
class ScaleInvariance:
    """Multiplying every gradient by ``c > 0`` leaves ``w`` unchanged at every step.

    ``conditions`` (symbol → value) are what makes it hold: the proof shows
    they suffice, and that dropping any one breaks it. With ``holds=False``
    the relation claims that it does not hold; symbols in ``for_all`` stay
    symbolic in the counterexample, which then holds for every value of
    them in their domains.
    """

    name: str
    statement: str
    update: SpecUpdate
    conditions: Mapping[sympy.Symbol, sympy.Expr] = field(default_factory=dict)
    holds: bool = True
    for_all: tuple[sympy.Symbol, ...] = ()
    steps: int = 3
    source: str = "<unknown>"


Relation = Equivalence | Unbiased | ScaleInvariance
Side = SpecUpdate | WrittenUpdate


# ----------------------------------------------------------------------------- resolving an update to run


@dataclass(frozen=True)
class KernelCall:
    """How to run the generated kernel that computes a resolved update."""

    module: str
    variant: str
    arguments: Mapping[str, sympy.Expr]
    state_symbols: Mapping[str, sympy.Symbol]


@dataclass(frozen=True)
class Update:
    """An update ready to run: assignments, every state with its initial value, symbol domains."""

    label: str
    assignments: tuple[Assignment, ...]
    initial: Mapping[sympy.Symbol, sympy.Expr]
    domains: Mapping[sympy.Symbol, sympy.Set]
    kernel: KernelCall | None = None


@functools.cache
def load_specs(specs_dir: Path) -> Registry:
    """The registry of ``specs_dir``, loaded once per process (every check module shares it)."""
    return load_registry(specs_dir)


def optimizer_relations(registry: Registry) -> tuple[Relation, ...]:
    """The relations of the kinds this module proves (other kinds of spec declare other relations)."""
    return tuple(r for r in registry.relations if isinstance(r, Equivalence | Unbiased | ScaleInvariance))


def find(registry: Registry, name: str) -> Relation:
    """The relation called ``name``."""
    for relation in optimizer_relations(registry):
        if relation.name == name:
            return relation
    raise KeyError(f"no relation named {name!r}")


def resolve(side: Side, registry: Registry) -> Update:
    """The assignments, initial state and domains that ``side`` stands for."""
    if isinstance(side, WrittenUpdate):
        return _resolve_written(side)
    spec = _optimizer(registry, side.spec)
    variant = select_variant(spec, side.options)
    assignments = tuple((lhs, substitute(rhs, side.substitution)) for lhs, rhs in variant.assignments)
    initial = {s.symbol: substitute(s.initial, side.substitution) for s in variant.state}
    domains = {h.symbol: h.domain for h in (*spec.hyperparameters, *variant.hyperparameters)}
    domains.update(side.domains)
    return Update(describe_side(side, registry), assignments, initial, domains, _kernel_call(spec, variant, side))


def substitute(expression: sympy.Expr, substitution: Mapping[sympy.Expr, sympy.Expr]) -> sympy.Expr:
    """Apply the entries one after another, in the order the relation declares them."""
    expression = sympy.sympify(expression)
    for old, new in substitution.items():
        expression = expression.subs(old, new)
    return expression


def select_variant(spec: OptimizerSpec, options: Mapping[str, bool]) -> Variant:
    """The lowered variant that ``options`` select (options not named keep their default)."""
    lowered = _lowered(spec)
    known = {option.argument: option for option in lowered.options}
    unknown = sorted(set(options) - set(known))
    if unknown:
        raise KeyError(f"{spec.name} has no option {unknown[0]!r}; options: {', '.join(known)}")
    switches = tuple(bool(options.get(o.argument, o.default)) for o in lowered.options)
    name = dict(lowered.selection)[switches]
    return next(variant for variant in lowered.variants if variant.name == name)


# Lowering takes ~50 ms and a build resolves each spec dozens of times. Specs are unhashable (they hold
# dicts), so the cache is keyed by identity and keeps the spec alive, which keeps its id from being reused.
_LOWERED: dict[int, tuple[OptimizerSpec, Lowered]] = {}


def _lowered(spec: OptimizerSpec) -> Lowered:
    if id(spec) not in _LOWERED:
        _LOWERED[id(spec)] = (spec, lower(spec))
    return _LOWERED[id(spec)][1]


def _optimizer(registry: Registry, name: str) -> OptimizerSpec:
    spec = registry.get(name)
    if not isinstance(spec, OptimizerSpec):
        raise KeyError(f"{name!r} is not an optimizer spec")
    return spec


def _kernel_call(spec: OptimizerSpec, variant: Variant, side: SpecUpdate) -> KernelCall | None:
    """The generated kernel computes ``side`` only if the substitution just fixes hyperparameter values."""
    by_symbol = {h.symbol: h for h in (*spec.hyperparameters, *variant.hyperparameters)}
    if not all(key in by_symbol for key in side.substitution):
        return None
    # A value that changes with the step (ε·√(1 − β2^t), a schedule η·t) is not one constant kernel argument.
    if any(t in sympy.sympify(value).free_symbols for value in side.substitution.values()):
        return None
    arguments = {h.argument: substitute(h.symbol, side.substitution) for h in by_symbol.values()}
    state_symbols = {s.name: s.symbol for s in variant.state}
    return KernelCall(spec.module_name, variant.name, arguments, state_symbols)


def _resolve_written(side: WrittenUpdate) -> Update:
    """Its hyperparameters' domains come from the spec it is compared with, or its own ``domains``."""
    assignments = tuple((lhs, sympy.sympify(rhs)) for lhs, rhs in side.assignments)
    initial = {symbol: sympy.sympify(value) for symbol, value in side.initial.items()}
    return Update(side.label, assignments, initial, dict(side.domains))


def check_relation(relation: Relation, registry: Registry) -> None:
    """Raise ``SpecError`` (naming the file and the relation) if ``relation`` cannot be proved as declared."""
    try:
        _check(relation, registry)
    except (KeyError, ValueError) as error:
        message = error.args[0] if error.args else str(error)
        raise SpecError(relation.source, f"relation {relation.name!r}: {message}") from error


def _check(relation: Relation, registry: Registry) -> None:
    if not re.fullmatch(r"[a-z][a-z0-9_]*", relation.name):
        raise ValueError("a relation's name must be snake_case: it names the generated test")
    if not relation.statement.strip():
        raise ValueError("the statement is empty")
    sides = _sides(relation)
    for side in sides:
        if isinstance(side, SpecUpdate):
            _check_substitution(side, registry)
    updates = [resolve(side, registry) for side in sides]
    for update in updates:
        _check_symbols(update, updates)
    if isinstance(relation, Equivalence):
        _check_state_map(relation, updates[0], updates[1])
    if isinstance(relation, Unbiased) and relation.state not in updates[0].initial:
        raise ValueError(f"{relation.state} is not a state of {updates[0].label}")
    if isinstance(relation, ScaleInvariance):
        # Necessity drops each condition, so the update must also make sense without them.
        _check_symbols(resolve(relation.update, registry), updates)
        for key in relation.conditions:
            if not isinstance(key, sympy.Symbol):
                raise ValueError(f"condition {key} must set a symbol: necessity drops it and samples its domain")


def _sides(relation: Relation) -> list[Side]:
    if isinstance(relation, Equivalence):
        return [relation.left, relation.right]
    if isinstance(relation, ScaleInvariance):
        conditions = {**relation.update.substitution, **relation.conditions}
        return [dataclasses.replace(relation.update, substitution=conditions)]
    return [relation.update]


def _check_substitution(side: SpecUpdate, registry: Registry) -> None:
    """Every entry must change the variant: a misspelt pattern would otherwise prove nothing."""
    spec = _optimizer(registry, side.spec)
    variant = select_variant(spec, side.options)
    expressions = [rhs for _, rhs in variant.assignments] + [sympy.sympify(s.initial) for s in variant.state]
    for old, new in side.substitution.items():
        changed = [substitute(e, {old: new}) for e in expressions]
        if changed == expressions:
            raise ValueError(f"substitution {old} → {new} changes nothing in {variant.name}")
        expressions = changed


def _check_symbols(update: Update, updates: list[Update]) -> None:
    known = {w, g, t, *update.initial}
    for other in updates:
        known |= set(other.domains)
    for lhs, rhs in update.assignments:
        unknown = sorted(str(s) for s in rhs.free_symbols - known)
        if unknown:
            raise ValueError(f"{update.label}: {unknown[0]} has no domain and is neither state nor assigned earlier")
        known.add(lhs)


def _check_state_map(relation: Equivalence, left: Update, right: Update) -> None:
    for state, expression in relation.state_map.items():
        if state not in left.initial:
            raise ValueError(f"{state} is not a state of {left.label}")
        known = {*right.initial, *right.domains, *left.domains}
        unknown = sorted(str(s) for s in sympy.sympify(expression).free_symbols - known)
        if unknown:
            raise ValueError(f"{unknown[0]} in the state map is neither a state of {right.label} nor a hyperparameter")


# ----------------------------------------------------------------------------- describing a relation in words


def describe_side(side: Side, registry: Registry) -> str:
    """One line: which update this is (spec variant and substitution, or the written form's label)."""
    if isinstance(side, WrittenUpdate):
        return f"{side.label} (written in the relation)"
    variant = select_variant(_optimizer(registry, side.spec), side.options)
    text = f"{side.spec}, variant {variant.name}"
    if side.substitution:
        text += ", with " + print_substitution(side.substitution)
    return text


def print_substitution(substitution: Mapping[sympy.Expr, sympy.Expr]) -> str:
    return ", ".join(f"{sympy.sstr(old)} → {sympy.sstr(new)}" for old, new in substitution.items())


def print_assignments(assignments: Iterable[Assignment]) -> list[str]:
    return [f"{sympy.sstr(lhs)} ← {sympy.sstr(rhs)}" for lhs, rhs in assignments]


def describe(relation: Relation, registry: Registry) -> list[str]:
    """What the generated test proves, in lines of text (the test's docstring after the statement)."""
    if isinstance(relation, Equivalence):
        return _describe_equivalence(relation, registry)
    if isinstance(relation, Unbiased):
        return _describe_unbiased(relation, registry)
    return _describe_invariance(relation, registry)


def _describe_equivalence(relation: Equivalence, registry: Registry) -> list[str]:
    lines = [f"Left:  {describe_side(relation.left, registry)}", f"Right: {describe_side(relation.right, registry)}"]
    if isinstance(relation.right, WrittenUpdate):
        lines += ["    " + line for line in print_assignments(relation.right.assignments)]
        if relation.right.initial:
            lines.append("    starting from " + print_substitution(relation.right.initial).replace("→", "="))
    pairs = ["w ↔ w", *(f"{sympy.sstr(s)} ↔ {sympy.sstr(e)}" for s, e in relation.state_map.items())]
    lines.append("Compared: " + ", ".join(pairs))
    steps = f"{relation.steps} symbolic steps from the declared initial state, gradients g_1 … g_{relation.steps}"
    if relation.holds:
        lines.append(f"Proof: after each of {steps}, every residual simplifies to exactly 0.")
    else:
        lines.append(f"Proof that it does not hold: an exact counterexample within {steps}.")
    return lines


def _describe_unbiased(relation: Unbiased, registry: Registry) -> list[str]:
    state, correction, expected = map(sympy.sstr, (relation.state, relation.correction, relation.expected))
    return [
        f"Update: {describe_side(relation.update, registry)}",
        f"Claim: with a constant gradient g, {state}_t / ({correction}) = {expected} for every t ≥ 1.",
        f"Proof: the closed form of {state}_t is derived from the spec's assignment with sympy.rsolve and checked "
        f"against 3 steps of the update; the ratio then simplifies to {expected}. The correction {correction} "
        "must appear in the spec's update.",
    ]


def _describe_invariance(relation: ScaleInvariance, registry: Registry) -> list[str]:
    lines = [f"Update: {describe_side(relation.update, registry)}"]
    scaled = f"every g_i → c·g_i (c > 0) leaves w unchanged after each of {relation.steps} symbolic steps"
    if relation.holds:
        conditions = print_substitution(relation.conditions) if relation.conditions else "none"
        return [
            *lines,
            f"Conditions: {conditions}",
            f"Proof: with the conditions, {scaled}: every residual simplifies to exactly 0.",
            "Necessity: without any one condition, an exact counterexample.",
        ]
    claim = f"Proof that it does not hold: an exact counterexample to the claim that {scaled}"
    if relation.for_all:
        names = ", ".join(sympy.sstr(s) for s in relation.for_all)
        return [*lines, f"{claim}, valid for every value of {names} in the domains."]
    return [*lines, f"{claim}."]


def describe_confirmation(relation: Relation, registry: Registry) -> list[str]:
    """What the generated numeric test runs, in lines of text."""
    data = f"{NUMERIC_STEPS} steps on {NUMERIC_SIZE} random float64 elements, hyperparameters drawn in their domains"
    if isinstance(relation, Equivalence):
        sides = [("Left", relation.left), ("Right", relation.right)]
        lines = [f"{label}: {_how(resolve(side, registry))}." for label, side in sides]
        claim = "each compared quantity agrees" if relation.holds else "some compared quantity differs"
        return [*lines, f"{data}; {claim}."]
    if isinstance(relation, Unbiased):
        lines = [f"Update: {_how(resolve(relation.update, registry))}, one constant gradient."]
        return [*lines, f"{data}; {relation.state}/({relation.correction}) must equal {relation.expected}."]
    (side,) = _sides(relation)
    lines = [f"Update: {_how(resolve(side, registry))}, run with g and with c·g, c drawn in [2, 10]."]
    if relation.holds:
        return [*lines, f"{data}; w - w_0 must not change, and must change without any one condition."]
    return [*lines, f"{data}; w - w_0 must change."]


def _how(update: Update) -> str:
    if update.kernel is None:
        return f"{update.label}, evaluated by SymPy at {REFERENCE_DIGITS} digits"
    values = [f"{name} = {sympy.sstr(value)}" for name, value in update.kernel.arguments.items() if value.is_number]
    fixed = f" with {', '.join(values)}" if values else ""
    return f"generated kernel {update.kernel.variant} (optimizers/{update.kernel.module}.py){fixed}"


# ----------------------------------------------------------------------------- the symbolic engine


def run(update: Update, gradients: Sequence[sympy.Expr], start: sympy.Expr) -> list[dict[sympy.Symbol, sympy.Expr]]:
    """``w`` and every state: entry 0 is the initial value, entry j the value after step j (t = j)."""
    values = {w: start, **update.initial}
    trajectory = [values]
    for step, gradient in enumerate(gradients, start=1):
        scope = {**values, g: gradient, t: sympy.Integer(step)}
        for lhs, rhs in update.assignments:
            scope[lhs] = rhs.xreplace(scope)
        values = {symbol: scope[symbol] for symbol in values}
        trajectory.append(values)
    return trajectory


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


NUMERIC_STEPS = 5
NUMERIC_SIZE = 8
REFERENCE_DIGITS = 50


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


def has_kernel(relation: Relation, registry: Registry) -> bool:
    """Whether some update in ``relation`` is computed by a generated kernel (else nothing to confirm)."""
    return any(resolve(side, registry).kernel is not None for side in _sides(relation))


def confirm(
    relation: Relation, registry: Registry, optimizers: Path, *, seed: int, tolerance: float, differs: float
) -> Confirmation:
    """Run ``relation`` on random float64 data through the generated kernels in ``optimizers``.

    A relation that holds passes if the relative error is at most ``tolerance``;
    one that does not hold passes if the relative difference is at least ``differs``.
    """
    kernels = _Kernels(optimizers)
    rng = np.random.default_rng(seed)
    if isinstance(relation, ScaleInvariance):
        return _confirm_invariance(relation, registry, kernels, rng, tolerance, differs)
    if isinstance(relation, Equivalence):
        how, errors = _confirm_equivalence(relation, registry, kernels, rng)
        equal = relation.holds
    else:
        how, errors = _confirm_unbiased(relation, registry, kernels, rng)
        equal = True
    worst = max(error for error, _ in errors)
    confirmed = worst <= tolerance if equal else worst >= differs
    bound = f"each must be ≤ {tolerance:.0e}" if equal else f"the largest must be ≥ {differs:.0e}"
    lines = (how, f"relative error per compared quantity ({bound}):", *(f"{e:.3e}  {what}" for e, what in errors))
    return Confirmation(relation.name, confirmed, lines)


class _Kernels:
    """The generated optimizer modules of one output folder, imported from their files."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)

    def module(self, name: str) -> ModuleType:
        package = _imported_package_at(self.folder.parent)
        if package is not None:
            # Numba's cache remembers the module name a kernel was compiled under: import an
            # installed package's kernels under their real name, never an alias of the same file.
            return importlib.import_module(f"{package}.{self.folder.name}.{name}")
        path = (self.folder / f"{name}.py").resolve()
        key = f"_trainspec_checked_{name}_{zlib.crc32(str(path).encode()):08x}"
        if key not in sys.modules:
            loader = importlib.util.spec_from_file_location(key, path)
            module = importlib.util.module_from_spec(loader)
            loader.loader.exec_module(module)
            sys.modules[key] = module
        return sys.modules[key]


def _imported_package_at(folder: Path) -> str | None:
    """The name of the package imported from ``folder`` (``trainspec`` for generated/), if any."""
    importlib.import_module("trainspec")
    init = (folder / "__init__.py").resolve()
    for name, module in list(sys.modules.items()):
        file = getattr(module, "__file__", None)
        if file and "." not in name and Path(file).resolve() == init:
            return name
    return None


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
    initial = {name: _evaluate(update.initial[call.state_symbols[name]], values) for name in call.state_symbols}
    arrays = {name: np.full(start.shape, initial[name]) for name in variant.state}
    scalars_state = [initial[name] for name in variant.optimizer_state]
    param = start.copy()
    trajectory = [_snapshot(param, arrays, scalars_state, variant, call)]
    for step, gradient in enumerate(gradients, start=1):
        scalars, scalars_state = variant.scalars(*arguments, step, *scalars_state)
        variant.kernel(param, gradient.copy(), *(arrays[n] for n in variant.state), *map(np.float64, scalars))
        trajectory.append(_snapshot(param, arrays, scalars_state, variant, call))
    return trajectory


def _snapshot(param, arrays, scalars_state, variant, call) -> dict[sympy.Symbol, np.ndarray]:
    snapshot = {w: param.copy()}
    snapshot.update({call.state_symbols[n]: arrays[n].copy() for n in variant.state})
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
    """Values inside every domain, drawn from [0.1, 1] (or [-1, -0.1]): large enough that ε and η shape the result."""
    values = {}
    for symbol, domain in sorted(domains.items(), key=lambda item: item[0].name):
        box = domain.intersect(Interval(0.1, 1))
        if box.is_empty:
            box = domain.intersect(Interval(-1, -0.1))
        values[symbol] = float(rng.uniform(float(box.inf), float(box.sup)))
    return values


def _print_values(values: Mapping[sympy.Symbol, float]) -> str:
    return ", ".join(f"{symbol} = {value:.17g}" for symbol, value in values.items())


def relative_error(actual: np.ndarray, expected: np.ndarray) -> float:
    """Normwise: the largest difference over the largest magnitude (robust to elements near 0)."""
    scale = float(np.max(np.abs(expected)))
    return float(np.max(np.abs(actual - expected))) / (scale if scale > 0 else 1.0)


def _confirm_equivalence(relation: Equivalence, registry: Registry, kernels: _Kernels, rng) -> tuple[str, list]:
    left, right = resolve(relation.left, registry), resolve(relation.right, registry)
    values = _sample({**right.domains, **left.domains}, rng)
    gradients = rng.standard_normal((NUMERIC_STEPS, NUMERIC_SIZE))
    start = rng.standard_normal(NUMERIC_SIZE)
    left_run, left_how = _trajectory(left, kernels, values, gradients, start)
    right_run, right_how = _trajectory(right, kernels, values, gradients, start)
    errors = []
    for step in range(1, NUMERIC_STEPS + 1):
        errors.append((relative_error(left_run[step][w] - start, right_run[step][w] - start), f"w - w_0, step {step}"))
        for state, mapped in relation.state_map.items():
            expected = _map_state(mapped, right_run[step], values)
            errors.append((relative_error(left_run[step][state], expected), f"{_quantity(state, mapped)}, step {step}"))
    return f"left: {left_how}; right: {right_how}; {_print_values(values)}", errors


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
        error = max(relative_error(scaled[k][w] - start, plain[k][w] - start) for k in range(1, NUMERIC_STEPS + 1))
        return error, how

    update = resolve(relation.update, registry)
    values = _sample(update.domains, rng)
    scale = float(rng.uniform(2.0, 10.0))
    gradients = rng.standard_normal((NUMERIC_STEPS, NUMERIC_SIZE))
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
