"""Controllers lowered: the variants their choices select, each the update and initial state with those cases.

A ``Variant`` fixes every choice to one case: a case replaces the assignments
of the locals it names and the initial values of the states it names. One
generated kernel each. ``run`` steps a variant exactly (SymPy), epoch by epoch,
for the proofs: the same update the kernel runs, in exact arithmetic.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import sympy

from codegen.language.common import exact
from codegen.language.controller import ControllerCall, ControllerSpec, eta, m
from codegen.language.schedule import Case


@dataclass(frozen=True)
class Variant:
    """One combination of choice cases: the update and the initial state with those cases applied."""

    name: str
    selection: tuple[Any, ...]
    update: tuple[tuple[sympy.Symbol, sympy.Expr], ...]
    initial: tuple[tuple[sympy.Symbol, sympy.Expr], ...]


def variants(spec: ControllerSpec) -> tuple[Variant, ...]:
    """Every variant of ``spec``, the default cases first, in the order the choices list their cases."""
    return tuple(_applied(spec, combo) for combo in itertools.product(*(c.cases for c in spec.choices)))


def variant_for(spec: ControllerSpec, selection: dict[str, Any]) -> Variant:
    """The variant for choice values given by argument name (defaults for the others)."""
    cases = tuple(choice.case(selection.get(choice.argument, choice.default)) for choice in spec.choices)
    return _applied(spec, cases)


def _applied(spec: ControllerSpec, cases: tuple[Case, ...]) -> Variant:
    replaced = {symbol: sympy.sympify(value) for case in cases for symbol, value in case.define.items()}
    states = set(spec.state_symbols)
    update = tuple(
        (lhs, replaced[lhs] if lhs in replaced and lhs not in states else sympy.sympify(rhs))
        for lhs, rhs in spec.update
    )
    initial = tuple((s.symbol, replaced.get(s.symbol, sympy.sympify(s.initial))) for s in spec.state)
    name = "_".join([spec.module_name, *(case.label for case in cases if case.label)])
    return Variant(name, tuple(case.when for case in cases), update, initial)


def run(spec: ControllerSpec, call: ControllerCall, metrics: Iterable) -> list[sympy.Expr]:
    """The rate after each epoch of ``call`` fed ``metrics``, in exact arithmetic: numbers as the rationals they
    store, the call's symbols kept (their assumptions decide the conditions that read them)."""
    selection = {c.argument: call.arguments.get(c.argument, c.default) for c in spec.choices}
    variant = variant_for(spec, selection)
    values = {}
    for argument in spec.arguments:
        given = call.arguments.get(argument.argument, argument.default)
        if given is None:
            raise KeyError(f"{spec.name}: argument {argument.argument!r} is required")
        values[argument.symbol] = exact(given)
    update = tuple((lhs, rhs.xreplace(values)) for lhs, rhs in variant.update)
    initial = {symbol: sympy.sympify(value).xreplace(values) for symbol, value in variant.initial}
    return run_exactly(update, initial, metrics)


def run_exactly(update: Iterable[tuple[sympy.Symbol, sympy.Expr]], initial: dict, metrics: Iterable) -> list:
    """The rate ``eta`` after each epoch: the assignments of ``update`` run in order, each epoch, on the exact
    metric, from the ``initial`` state; the arguments already in ``update``, as numbers or symbols."""
    lines = [_exact_line(lhs, sympy.sympify(rhs)) for lhs, rhs in update]
    return stepped(lines, initial, [exact(metric) for metric in metrics])


def _exact_line(lhs: sympy.Symbol, rhs: sympy.Expr) -> Line:
    return lhs, lambda values: sympy.piecewise_fold(rhs.xreplace(values))


Line = tuple[sympy.Symbol, Callable[[dict], Any]]
"""One assignment of an update: the symbol assigned, and its value from the values so far in the epoch."""


def stepped(lines: Iterable[Line], initial: dict, metrics: Iterable) -> list:
    """The rate ``eta`` after each epoch: ``lines`` run in order each epoch on its metric, from the ``initial``
    state; what the values are (exact, float64) is the lines' to say."""
    lines = tuple(lines)
    state = dict(initial)
    rates = []
    for metric in metrics:
        values = {**state, m: metric}
        for lhs, value in lines:
            values[lhs] = value(values)
        state = {symbol: values[symbol] for symbol in state}
        rates.append(state[eta])
    return rates
