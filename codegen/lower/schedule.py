"""Schedules lowered: the variants their choices select, and calls of them as one expression of the step.

A ``Variant`` fixes every choice to one case (``apply_cases``): the
definitions and value with those cases applied, one generated kernel each.
``full_value`` inlines a variant into one SymPy expression of ``k``; ``bind``
instantiates a ``Call`` (a schedule with argument values, possibly another
schedule following it) in the shape its kernel computes it, for the proofs
and the high-precision reference.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import sympy

from codegen.language.common import exact
from codegen.language.schedule import Call, Case, Element, ScheduleSpec, k


@dataclass(frozen=True)
class Variant:
    """One combination of choice cases: the definitions and value with those cases applied."""

    name: str
    selection: tuple[Any, ...]
    labels: tuple[str, ...]
    definitions: tuple[tuple[sympy.Symbol, sympy.Expr], ...]
    value: sympy.Expr


def variants(spec: ScheduleSpec) -> tuple[Variant, ...]:
    """Every variant of ``spec``, the default cases first, in the order the choices list their cases."""
    combos = itertools.product(*(choice.cases for choice in spec.choices))
    return tuple(apply_cases(spec, combo) for combo in combos)


def variant_for(spec: ScheduleSpec, selection: dict[str, Any]) -> Variant:
    """The variant for choice values given by argument name (defaults for the others)."""
    cases = tuple(choice.case(selection.get(choice.argument, choice.default)) for choice in spec.choices)
    return apply_cases(spec, cases)


def apply_cases(spec: ScheduleSpec, cases: tuple[Case, ...]) -> Variant:
    defined = {symbol for symbol, _ in spec.definitions}
    redefine: dict = {}
    substitute: dict = {}
    for case in cases:
        for symbol, expression in case.define.items():
            (redefine if symbol in defined else substitute)[symbol] = sympy.sympify(expression)
    definitions = tuple(
        (symbol, sympy.sympify(redefine.get(symbol, expression)).xreplace(substitute))
        for symbol, expression in spec.definitions
    )
    labels = tuple(case.label for case in cases)
    name = "_".join([spec.module_name, *(label for label in labels if label)])
    return Variant(
        name=name,
        selection=tuple(case.when for case in cases),
        labels=labels,
        definitions=definitions,
        value=sympy.sympify(spec.value).xreplace(substitute),
    )


def log_ratio(expression: sympy.Expr) -> tuple[sympy.Expr, sympy.Expr] | None:
    """``(x, b)`` when ``expression`` is ``log(x)/log(b)``."""
    if not isinstance(expression, sympy.Mul) or len(expression.args) != 2:
        return None
    logs = [a for a in expression.args if isinstance(a, sympy.log)]
    inverse = [a for a in expression.args if a.is_Pow and a.exp == -1 and isinstance(a.base, sympy.log)]
    if len(logs) == 1 and len(inverse) == 1:
        return logs[0].args[0], inverse[0].base.args[0]
    return None


def inline(definitions: tuple[tuple[sympy.Symbol, sympy.Expr], ...], value: sympy.Expr) -> sympy.Expr:
    """``value`` with every definition substituted, latest first: one expression of ``k`` and the arguments."""
    expression = sympy.sympify(value)
    for symbol, definition in reversed(definitions):
        expression = expression.xreplace({symbol: definition})
    return expression


def full_value(spec: ScheduleSpec, variant: Variant | None = None, unset: frozenset[str] = frozenset()) -> sympy.Expr:
    """The schedule as one SymPy expression of ``k``: definitions inlined, ``None`` rules and ``Then`` applied.

    ``unset`` names the ``WhenNone`` arguments left as ``None``. A ``Then``
    composition comes back as ``Piecewise((own value, k < boundary),
    (f(k - boundary), True))`` with the following schedule as ``f``.
    """
    variant = variant or variants(spec)[0]
    expression = inline(variant.definitions, variant.value)
    for rule in spec.when_none:
        if rule.argument in unset:
            expression = expression.xreplace({s: sympy.sympify(e) for s, e in rule.assign.items()})
    if spec.then is not None:
        boundary = spec.then.boundary
        expression = sympy.Piecewise((expression, k < boundary), (spec.then.function(k - boundary), True))
    return expression


def call_value(specs: dict[str, ScheduleSpec], call: Call) -> sympy.Expr:
    """The schedule that ``call`` describes as one expression of ``k``, every argument substituted.

    Arguments left out take their defaults; a ``WhenNone`` argument left out
    (or None) applies its rule; list arguments are expanded to their length;
    a following schedule is another ``Call`` (substituted) or an undefined
    SymPy function (kept, for a statement about any schedule).
    """
    bound = bind(specs, call)
    return bound.inlined().xreplace({symbol: exact(value) for symbol, value in bound.numbers.items()})


@dataclass(frozen=True)
class Bound:
    """A schedule call in the shape its kernel computes it.

    ``value`` is written with the defined symbols of ``definitions`` (each an
    expression of the step, the arguments and earlier definitions, as the
    kernel computes them one by one), and arguments given as Python numbers
    stay symbols, with their numbers in ``numbers``: SymPy would otherwise
    fold them together and simplify across definitions, and the reference's
    rounding bound must count the operations the kernel performs.
    """

    value: sympy.Expr
    numbers: dict
    definitions: dict

    def inlined(self) -> sympy.Expr:
        """``value`` with every definition substituted: one expression of ``k`` and the arguments."""
        expression = self.value
        for _ in range(len(self.definitions) + 1):
            if not expression.free_symbols & set(self.definitions):
                return expression
            expression = expression.xreplace(self.definitions)
        raise ValueError("the definitions refer to each other in a cycle")


def bind(specs: dict[str, ScheduleSpec], call: Call, tag: str = "", rebased: bool = True) -> Bound:
    """``call`` as a ``Bound``. With a ``tag``, its argument and defined symbols are renamed ``name__tag``.

    A following schedule (a ``Call``) is bound twice, renamed apart: once at
    step ``k - boundary`` (where it runs) and once at step 0 (its first
    value, which a warmup ramps to). ``rebased=False`` runs the schedules of a
    composition at the composition's own step ``k`` instead, a classic slip.
    """
    if call.schedule not in specs:
        raise KeyError(f"no schedule is named {call.schedule!r}; the schedules: {', '.join(sorted(specs))}")
    spec = specs[call.schedule]
    arguments = call.arguments
    unknown = set(arguments) - {a.argument for a in spec.arguments} - {c.argument for c in spec.choices}
    if unknown:
        raise KeyError(f"{spec.name} has no argument(s) {sorted(unknown)}")
    if spec.join is not None:
        return _joined(specs, spec, arguments, tag, rebased)
    variant = variant_for(spec, {c.argument: arguments[c.argument] for c in spec.choices if c.argument in arguments})
    unset = frozenset(r.argument for r in spec.when_none if arguments.get(r.argument) is None)
    when_none = {}
    for rule in spec.when_none:
        if rule.argument in unset:
            when_none.update({symbol: sympy.sympify(e) for symbol, e in rule.assign.items()})

    def renamed(symbol: sympy.Symbol) -> sympy.Symbol:
        # The assumptions as declared (all of them, derived ones included, when SymPy does not keep those).
        assumptions = getattr(symbol, "_assumptions_orig", None) or symbol.assumptions0
        return sympy.Symbol(f"{symbol.name}__{tag}", **assumptions) if tag else symbol

    substitution: dict = {symbol: renamed(symbol) for symbol, _ in variant.definitions}
    numbers: dict = {}
    for argument in spec.scalar_arguments:
        given = arguments.get(argument.argument, argument.default)
        if given is None and argument.argument not in unset:
            raise KeyError(f"{spec.name}: argument {argument.argument!r} is required")
        if isinstance(given, (int, float)) and not isinstance(given, bool):
            substitution[argument.symbol] = renamed(argument.symbol)
            numbers[renamed(argument.symbol)] = given
        elif given is not None:
            substitution[argument.symbol] = sympy.sympify(given)

    def prepared(expression: sympy.Expr) -> sympy.Expr:
        expression = _expand_lists(spec, sympy.sympify(expression).xreplace(when_none), arguments)
        return expression.xreplace(substitution)

    definitions = {substitution[symbol]: prepared(e) for symbol, e in variant.definitions}
    value = prepared(variant.value)
    if spec.then is not None:
        boundary = prepared(spec.then.boundary)
        following = arguments[spec.then.argument]
        if isinstance(following, Call):
            running = bind(specs, following, tag + "1")
            first = bind(specs, following, tag + "0")
            shift = {k: k - boundary} if rebased else {}
            value = value.replace(spec.then.function, sympy.Lambda(k, first.value.xreplace({k: 0})))
            later = running.value.xreplace(shift)
            definitions.update({s: e.xreplace({k: 0}) for s, e in first.definitions.items()})
            definitions.update({s: e.xreplace(shift) for s, e in running.definitions.items()})
            numbers.update({**first.numbers, **running.numbers})
        else:
            value = value.replace(spec.then.function, following)
            later = following(k - boundary if rebased else k)
        value = sympy.Piecewise((value, k < boundary), (later, True))
    used = set().union(value.free_symbols, *(e.free_symbols for e in definitions.values()))
    return Bound(value, {s: v for s, v in numbers.items() if s in used}, definitions)


def _joined(specs: dict[str, ScheduleSpec], spec: ScheduleSpec, arguments: dict, tag: str, rebased: bool) -> Bound:
    """A ``Join`` of given schedules (``Call``s, each bound renamed apart, or undefined functions) at given
    boundaries: a Piecewise with one branch per schedule, each re-based to its first step."""
    schedules, boundaries = arguments[spec.join.schedules], arguments[spec.join.boundaries]
    if len(schedules) != len(boundaries) + 1:
        count = f"{len(boundaries)} boundaries and {len(schedules)} schedules"
        raise ValueError(f"{spec.name} joins one schedule more than it has boundaries, not {count}")
    starts = [sympy.S.Zero, *(sympy.sympify(exact(b) if isinstance(b, (int, float)) else b) for b in boundaries)]
    ends = [*starts[1:], None]
    branches, definitions, numbers = [], {}, {}
    for index, (schedule, start, end) in enumerate(zip(schedules, starts, ends)):
        shift = {k: k - start} if rebased else {}
        if isinstance(schedule, Call):
            running = bind(specs, schedule, f"{tag}j{index}")
            branch = running.value.xreplace(shift)
            definitions.update({s: e.xreplace(shift) for s, e in running.definitions.items()})
            numbers.update(running.numbers)
        else:
            branch = schedule(k - start if rebased else k)
        branches.append((branch, sympy.true if end is None else k < end))
    return Bound(sympy.Piecewise(*branches), numbers, definitions)


def _expand_lists(spec: ScheduleSpec, expression: sympy.Expr, arguments: dict) -> sympy.Expr:
    """Lists of given length: the sums over their elements written out, the elements substituted."""
    if spec.length is None:
        return expression
    lists = {a.symbol: [exact(x) for x in arguments[a.argument]] for a in spec.list_arguments}
    base = next(a for a in spec.list_arguments if a.length == spec.length)
    expression = expression.xreplace({spec.length: len(lists[base.symbol])}).doit()

    def element(indexed: sympy.Indexed) -> sympy.Expr:
        return Element(indexed.indices[0], *lists[indexed.base])

    return expression.replace(lambda e: isinstance(e, sympy.Indexed) and e.base in lists, element)


def derivation_value(specs: dict[str, ScheduleSpec], spec: ScheduleSpec, variant: Variant) -> sympy.Expr:
    """The parent of ``spec`` with ``derived_from``'s substitution, in the variant with the same choices."""
    derivation = spec.derived_from
    parent = specs[derivation.parent]
    selection = dict(zip((c.argument for c in spec.choices), variant.selection))
    parent_variant = variant_for(parent, selection)
    mapping = {}
    for argument in parent.arguments:
        if argument.argument in derivation.arguments:
            mapping[argument.symbol] = sympy.sympify(derivation.arguments[argument.argument])
        else:
            mapping[argument.symbol] = spec.symbol_of(argument.argument)
    return full_value(parent, parent_variant).xreplace(mapping)
