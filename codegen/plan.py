"""Stage 3: plan what runs once and what runs per element, for every kind, with one hoister and one CSE.

Optimizers (``plan_kernel``): the variant's ordered assignments become single-assignment form (the new value
of state ``m`` is ``m_new``). Every assignment whose inputs are all invariant
(hyperparameters, the step ``t``, optimizer-wide state) moves to the *prelude*,
computed once per step in float64; inside the element loop, every maximal
invariant subexpression and every literal is replaced by a prelude scalar
(``k0 = 1 - beta_1``), so the loop reads only arrays and scalars typed to the
array's dtype: float32 stays float32. Common subexpressions of the loop body
are then shared through ``tmp`` temporaries.

Initializers (``plan_family``, ``plan_case``): a distribution family's sample
is hoisted the same way, its scalars as expressions of the family's
parameters; each case substitutes its parameters (expressions of the fans
and arguments) into them and shares their common subexpressions.

Schedules (``plan_schedule``): a variant keeps the definitions its value
needs, in order; the kernel is one scalar function of the step.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy
from sympy.logic.boolalg import Boolean, BooleanAtom, to_nnf

from codegen.errors import SpecError
from codegen.language.initializer import Distribution, Family, i, j, q_ij, r_jj, u, x, z
from codegen.language.optimizer import State, g, t, tensor_sum, w
from codegen.lower import schedule
from codegen.lower.optimizer import Assignment, Variant

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
class ReductionPlan:
    """The pass that runs before the update of a variant with sums over the tensor (LAMB's norms).

    Its element loop computes what needs no sum, stores the arrays it finishes
    and adds up each sum's terms; ``finish`` then computes the per-tensor
    values from the sums, in float64, once per tensor. The update pass
    (``KernelPlan.body``) reads those values after the per-step scalars.
    """

    loads: tuple[tuple[str, sympy.Symbol], ...]
    body: tuple[Assignment, ...]
    stores: tuple[tuple[str, sympy.Symbol], ...]
    sums: tuple[Assignment, ...]
    """Each sum's accumulator and the term it adds per element."""
    finish: tuple[Assignment, ...]
    values: tuple[sympy.Symbol, ...]
    tensor_state: tuple[tuple[State, sympy.Symbol], ...] = ()
    """Each state kept per tensor (NovoGrad's n), and its new value: ``finish`` reads the old and computes it."""


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
    reduction: ReductionPlan | None = None
    """The pass before this one, for a variant that sums over the tensor."""


@dataclass
class _Split:
    """A variant's assignments in single-assignment form, by where they run."""

    current: dict[sympy.Symbol, sympy.Symbol]
    """Each assigned symbol's last name (``m`` → ``m_new``)."""
    invariant: set[sympy.Symbol]
    prelude: list[Assignment]
    per_tensor: list[Assignment]
    tensor: set[sympy.Symbol]
    """The accumulators and the symbols assigned from them: one value per tensor."""
    body: list[Assignment]
    sums: list[Assignment]


def plan_kernel(variant: Variant) -> KernelPlan:
    """Split ``variant`` into prelude and loop, hoist invariants, share subexpressions."""
    split = _split(variant)
    if split.sums or variant.tensor_state:
        return _plan_reduction(variant, split)
    hoisted = _Hoister(split.invariant, taken={s.name for s, _ in split.prelude})
    body = [(lhs, hoisted(rhs)) for lhs, rhs in split.body]
    prelude = [*split.prelude, *hoisted.definitions]
    body = _lift_branches(_share_subexpressions(body))

    optimizer_out = tuple((s, split.current[s.symbol]) for s in variant.optimizer_state)
    read_in_loop = _reads(body)
    scalars = _ordered_scalars(variant, prelude, read_in_loop & split.invariant)
    prelude = _needed_only(prelude, set(scalars) | {new for _, new in optimizer_out})
    loads, stores = _loads(variant, {}, read_in_loop), _stores(variant, split.current, None)
    return KernelPlan(variant, tuple(prelude), scalars, optimizer_out, loads, tuple(body), stores)


def _split(variant: Variant) -> _Split:
    """Rename to single assignments and sort each by what it reads: per step, per tensor, or per element."""
    stored = {s.symbol for s in variant.state}
    scopes = {s.symbol: s.scope for s in variant.state}
    tensor_state = {s.symbol for s in variant.tensor_state}
    split = _Split({}, set(variant.invariants), [], [], set(tensor_state), [], [])
    names = (s for s in sympy.numbered_symbols("sum") if s.name not in _names(variant))
    for lhs, rhs in variant.assignments:
        rhs = rhs.xreplace(split.current)
        for summed in sorted(rhs.atoms(tensor_sum), key=sympy.default_sort_key):
            accumulator = next(names)
            split.sums.append((accumulator, summed.args[0]))
            split.tensor.add(accumulator)
            rhs = rhs.xreplace({summed: accumulator})
        target = sympy.Symbol(lhs.name + "_new") if lhs in stored or lhs == w else lhs
        split.current[lhs] = target
        if rhs.free_symbols <= split.invariant and lhs not in tensor_state:
            split.prelude.append((target, rhs))
            split.invariant.add(target)
        elif rhs.free_symbols <= split.invariant | split.tensor and scopes.get(lhs) != "optimizer":
            split.per_tensor.append((target, rhs))
            split.tensor.add(target)
        elif lhs in scopes and scopes[lhs] != "parameter":
            _refuse_scope(variant, lhs, scopes[lhs])
        else:
            split.body.append((target, rhs))
    return split


def _refuse_scope(variant: Variant, state: sympy.Symbol, scope: str) -> None:
    """A state with one value per tensor (or for the whole optimizer) assigned from values that vary more finely."""
    if scope == "tensor":
        kept, finer = "one value per tensor", "per-element values: sum them over the tensor with tensor_sum"
    else:
        kept, finer = "one value for the whole optimizer", "per-element or per-tensor values"
    message = f"{state} is state with {kept} (scope={scope!r}), but its assignment reads {finer}"
    raise SpecError(variant.spec.source, message, spec=variant.spec.name, symbol=str(state))


def _plan_reduction(variant: Variant, split: _Split) -> KernelPlan:
    """Two passes: what needs no sum, with the sums' terms; then, from the per-tensor values, the rest."""
    source = variant.spec.source
    later = _reading(split.body, split.tensor)
    first = [(lhs, rhs) for lhs, rhs in split.body if lhs not in later]
    for _, term in split.sums:
        if term.free_symbols & (later | split.tensor):
            message = f"a sum over the tensor reads a value that needs a sum itself: {term}"
            raise SpecError(source, message, spec=variant.spec.name)
    finished = {lhs for lhs, _ in first}
    later_assignments = [(lhs, rhs) for lhs, rhs in split.body if lhs in later]
    update = _recomputed(later_assignments, first, variant, split, finished)

    hoisted = _Hoister(split.invariant | split.tensor, taken=_names(variant) | {s.name for s, _ in split.sums})
    first = [(lhs, hoisted(rhs)) for lhs, rhs in first]
    sums = [(accumulator, hoisted(term)) for accumulator, term in split.sums]
    update = [(lhs, hoisted(rhs)) for lhs, rhs in update]
    prelude, finish, tensor = list(split.prelude), list(split.per_tensor), set(split.tensor)
    for symbol, expr in hoisted.definitions:  # per tensor where it reads a per-tensor value, else per step
        if expr.free_symbols & tensor:
            finish.append((symbol, expr))
            tensor.add(symbol)
        else:
            prelude.append((symbol, expr))

    accumulators = {accumulator for accumulator, _ in sums}
    shared = _lift_branches(_share_subexpressions([*first, *sums]))
    first = [(lhs, rhs) for lhs, rhs in shared if lhs not in accumulators]
    sums = [(lhs, rhs) for lhs, rhs in shared if lhs in accumulators]
    update = _lift_branches(_share_subexpressions(update))

    per_tensor = (*(s.symbol for s in variant.tensor_state), *(symbol for symbol, _ in finish))
    values = tuple(symbol for symbol in per_tensor if symbol in _reads(update))
    tensor_out = tuple((s, split.current[s.symbol]) for s in variant.tensor_state)
    finish = _needed_only(finish, set(values) | {new for _, new in tensor_out})
    optimizer_out = tuple((s, split.current[s.symbol]) for s in variant.optimizer_state)
    read = _reads(first) | _reads(sums) | _reads(update) | _reads(finish)
    per_step = split.invariant | {symbol for symbol, _ in prelude}
    scalars = _ordered_scalars(variant, prelude, read & per_step)
    prelude = _needed_only(prelude, set(scalars) | {new for _, new in optimizer_out})
    stores_first = _stores(variant, split.current, first)
    loads_first = _loads(variant, {}, _reads(first) | _reads(sums))
    reduction = ReductionPlan(loads_first, tuple(first), stores_first, tuple(sums), tuple(finish), values, tensor_out)
    loads = _loads(variant, dict(stores_first), _reads(update))
    stores = _stores(variant, split.current, update)
    return KernelPlan(variant, tuple(prelude), scalars, optimizer_out, loads, tuple(update), stores, reduction)


def _recomputed(
    update: list[Assignment], first: list[Assignment], variant: Variant, split: _Split, finished: set
) -> list[Assignment]:
    """The update pass, with the first pass's values it reads computed again from the arrays as the first pass left
    them: an array the first pass stored holds its new value. A value that needs an array's content before the step,
    which the first pass overwrote, cannot be computed again: a build error naming it."""
    definitions = dict(first)
    stored = {split.current[symbol]: symbol for _, symbol in _arrays(variant) if split.current.get(symbol) in finished}
    needed: set[sympy.Symbol] = set()
    pending = list(_reads(update) - {lhs for lhs, _ in update})
    while pending:
        symbol = pending.pop()
        if symbol in stored.values():
            message = (
                f"after the sums over the tensor, the update reads {symbol} as it was before this step, "
                f"but the pass computing the sums has already stored its new value {split.current[symbol]}"
            )
            raise SpecError(variant.spec.source, message, spec=variant.spec.name, symbol=str(symbol))
        if symbol in definitions and symbol not in stored and symbol not in needed:
            needed.add(symbol)
            pending.extend(definitions[symbol].free_symbols)
    return [(lhs, rhs) for lhs, rhs in first if lhs in needed] + update


def _arrays(variant: Variant) -> tuple[tuple[str, sympy.Symbol], ...]:
    """Each array a kernel steps, and the symbol its element goes by in the spec."""
    return (("param", w), ("grad", g), *((s.name, s.symbol) for s in variant.parameter_state))


def _names(variant: Variant) -> set[str]:
    symbols = {h.symbol for h in variant.hyperparameters} | {s.symbol for s in variant.state}
    for lhs, rhs in variant.assignments:
        symbols |= {lhs, *rhs.free_symbols}
    return {symbol.name for symbol in symbols}


def _reads(assignments: list[Assignment] | tuple[Assignment, ...]) -> set[sympy.Symbol]:
    return set().union(*(rhs.free_symbols for _, rhs in assignments))


def _reading(body: list[Assignment], tensor: set[sympy.Symbol]) -> set[sympy.Symbol]:
    """The targets of ``body`` that read a per-tensor value, directly or through earlier targets."""
    later: set[sympy.Symbol] = set()
    for lhs, rhs in body:
        if rhs.free_symbols & (tensor | later):
            later.add(lhs)
    return later


def _loads(variant: Variant, stored: dict[str, sympy.Symbol], read: set) -> tuple[tuple[str, sympy.Symbol], ...]:
    """The arrays a pass reads, each with the symbol its element goes by: the new value where an earlier pass
    ``stored`` it, else the value before the step."""
    named = ((array, stored.get(array, symbol)) for array, symbol in _arrays(variant))
    return tuple((array, symbol) for array, symbol in named if symbol in read)


def _stores(
    variant: Variant, current: dict, assignments: list[Assignment] | None
) -> tuple[tuple[str, sympy.Symbol], ...]:
    """The arrays a pass writes, each with its new value: those ``assignments`` compute (every assigned array when
    None)."""
    assigned = None if assignments is None else {lhs for lhs, _ in assignments}
    return tuple(
        (array, current[symbol])
        for array, symbol in _arrays(variant)
        if symbol in current and (assigned is None or current[symbol] in assigned)
    )


class _Hoister:
    """Replaces loop-invariant subexpressions and literals by named prelude scalars."""

    def __init__(self, invariant: set[sympy.Symbol], taken: set[str]):
        self.invariant = invariant
        self.names: dict[sympy.Expr, sympy.Symbol] = {}
        self.definitions: list[Assignment] = []
        self.taken = taken

    def __call__(self, expr: sympy.Basic) -> sympy.Basic:
        if expr.is_Symbol or isinstance(expr, BooleanAtom):
            return expr
        if isinstance(expr, (sympy.Expr, Boolean)) and (expr.is_Number or expr.free_symbols <= self.invariant):
            return self.scalar(expr)  # an invariant condition too: a flag computed once per step
        if isinstance(expr, sympy.core.relational.Relational):
            return self.comparison(expr)
        if expr.is_Add or expr.is_Mul:
            return self.split(expr)
        if expr.is_Pow and expr.exp in LOOP_EXPONENTS and expr.exp.is_negative:
            # A quotient outside a product (1/v inside a Max): the kernel divides a prelude scalar 1 by it, since
            # a literal in the loop would change its dtype.
            return sympy.Mul(self.scalar(sympy.S.One), self.power(expr), evaluate=False)
        if expr.is_Pow:
            return self.power(expr)
        return _rebuilt(expr, [self(arg) for arg in expr.args])

    def power(self, expr: sympy.Pow) -> sympy.Expr:
        exponent = expr.exp if expr.exp in LOOP_EXPONENTS else self(expr.exp)
        return sympy.Pow(self(expr.base), exponent, evaluate=False)

    def comparison(self, expr: sympy.core.relational.Relational) -> sympy.Basic:
        """A per-element comparison, oriented as a person writes it (``tmp0 > 0``). Small integers stay literals:
        they are exact in every dtype, so comparing with them is the same in float32 and float64."""
        lhs, rhs = expr.lhs, expr.rhs
        if lhs.is_Number and not rhs.is_Number:
            lhs, rhs, expr = rhs, lhs, expr.reversed
        sides = [side if _small_integer(side) else self(side) for side in (lhs, rhs)]
        return expr.func(*sides, evaluate=False)

    def split(self, expr: sympy.Expr) -> sympy.Expr:
        """Group the invariant operands of a sum or product into one scalar, keeping a sign."""
        fixed = [a for a in expr.args if a.free_symbols <= self.invariant]
        # A product's factor 1/v stays a power: the printer writes the product as a quotient.
        factor = self.power if expr.is_Mul else self
        varying = [factor(a) if a.is_Pow else self(a) for a in expr.args if not a.free_symbols <= self.invariant]
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


def _rebuilt(expr: sympy.Basic, arguments: list[sympy.Basic]) -> sympy.Basic:
    """``expr`` with new arguments, left as written (SymPy would otherwise fold and reorder it again)."""
    if isinstance(expr, (sympy.Expr, sympy.core.relational.Relational)) and not isinstance(expr, sympy.Piecewise):
        return expr.func(*arguments, evaluate=False)
    return expr.func(*arguments)  # a Piecewise, its pairs and the logic operators take no evaluate flag


def _small_integer(expr: sympy.Basic) -> bool:
    return expr.is_Integer and abs(int(expr)) < 2**24


def _lift_branches(body: list[Assignment]) -> list[Assignment]:
    """Every ``Piecewise`` inside a larger expression becomes an assignment of its own, just before it, so that each
    branch is a whole assignment: a backend prints it as ``if``/``elif``/``else`` (or a select)."""
    taken = {lhs.name for lhs, _ in body}
    names = (symbol for symbol in sympy.numbered_symbols("branch") if symbol.name not in taken)
    result: list[Assignment] = []

    def lifted(expr: sympy.Basic, whole: bool) -> sympy.Basic:
        if not expr.args or expr.is_Symbol:
            return expr
        rebuilt = _rebuilt(expr, [lifted(arg, False) for arg in expr.args])
        if isinstance(expr, sympy.Piecewise) and not whole:
            name = next(names)
            result.append((name, rebuilt))
            return name
        return rebuilt

    for lhs, rhs in body:
        result.append((lhs, lifted(rhs, True)))
    return result


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
    """The per-step values the loop reads, in a fixed order: hyperparameters, the optimizer-wide state as the step
    found it, the step, then the prelude's definitions."""
    state = [s.symbol for s in variant.optimizer_state]
    order = [h.symbol for h in variant.hyperparameters] + state + [t] + [lhs for lhs, _ in prelude]
    return tuple(symbol for symbol in order if symbol in used)


def _needed_only(prelude: list[Assignment], needed: set) -> list[Assignment]:
    definitions = dict(prelude)
    keep = _closure(needed, definitions)
    return [(lhs, rhs) for lhs, rhs in prelude if lhs in keep]


# ----------------------------------------------------------------------------- initializers

ELEMENT_SYMBOLS = frozenset({x, z, u, i, j, q_ij, r_jj})
"""Per-element symbols of the families' samples: a kernel computes them for each element, so they stay."""


@dataclass(frozen=True)
class FamilyPlan:
    """A family's kernel: its scalars (hoisted, as expressions of the family's parameters) and its body."""

    family: Family
    scalars: tuple[sympy.Symbol, ...]
    hoisted: tuple[Assignment, ...]
    sample: sympy.Expr
    reject: sympy.Basic | None


def plan_family(family: Family) -> FamilyPlan:
    """Hoist every part of the sample (and the acceptance test) that is the same for all elements."""
    hoister = _Hoister(set(family.parameters), taken={p.name for p in family.parameters})
    sample = hoister(family.sample)
    reject = None if family.accept is None else hoister(to_nnf(sympy.Not(family.accept)))
    used = (sample.free_symbols | (reject.free_symbols if reject is not None else set())) - ELEMENT_SYMBOLS
    kept = tuple(p for p in family.parameters if p in used)
    hoisted = tuple(hoister.definitions)
    return FamilyPlan(family, (*kept, *(symbol for symbol, _ in hoisted)), hoisted, sample, reject)


@dataclass(frozen=True)
class CasePlan:
    """One initializer case: the kernel's scalars as expressions of the fans and arguments, CSE'd."""

    distribution: Distribution
    names: tuple[sympy.Symbol, ...]
    expressions: tuple[sympy.Expr, ...]
    temporaries: tuple[Assignment, ...]
    reduced: tuple[sympy.Expr, ...]


def plan_case(distribution: Distribution, family: FamilyPlan) -> CasePlan:
    """The family's scalars with the case's parameters substituted, then their common subexpressions shared."""
    parameters = distribution.values
    definitions = {**parameters, **{symbol: expr.xreplace(parameters) for symbol, expr in family.hoisted}}
    expressions = tuple(sympy.sympify(definitions[symbol]) for symbol in family.scalars)
    temporaries, reduced = sympy.cse(expressions, symbols=sympy.numbered_symbols("x"))
    return CasePlan(distribution, family.scalars, expressions, tuple(temporaries), tuple(reduced))


# ----------------------------------------------------------------------------- schedules


@dataclass(frozen=True)
class SchedulePlan:
    """One schedule variant as its kernel computes it: the definitions its value needs, in order, then the value."""

    variant: schedule.Variant
    definitions: tuple[Assignment, ...]
    value: sympy.Expr


def plan_schedule(variant: schedule.Variant) -> SchedulePlan:
    """Keep the definitions the value depends on, directly or through other definitions."""
    needed: set = set()
    frontier = set(sympy.sympify(variant.value).free_symbols)
    definitions = dict(variant.definitions)
    while frontier:
        symbol = frontier.pop()
        if symbol in definitions and symbol not in needed:
            needed.add(symbol)
            frontier |= sympy.sympify(definitions[symbol]).free_symbols
    kept = tuple((s, sympy.sympify(e)) for s, e in variant.definitions if s in needed)
    return SchedulePlan(variant, kept, sympy.sympify(variant.value))
