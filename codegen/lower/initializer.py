"""Initializers lowered: a derived spec's arguments, choices and cases carried out by substitution in its parent.

``resolve`` gives every initializer the same shape (``Resolved``), whether it
declares its distribution (VarianceScaling) or is a special case of another
(GlorotUniform); the later stages never look at a derivation again.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import sympy

from codegen.errors import SpecError
from codegen.language.common import Constraint, Hyperparameter, example_value
from codegen.language.initializer import (
    CONSTANTS,
    FAMILIES,
    FANS,
    Case,
    Choice,
    ClosedForm,
    Comparison,
    Distribution,
    InitializerSpec,
    SeedExample,
    constant_values,
    fan_in,
    fan_out,
    rank,
    shape,
)


@dataclass(frozen=True)
class Resolved:
    """A spec with its derivation carried out: the arguments, choices and cases it really has."""

    spec: InitializerSpec
    arguments: tuple[Hyperparameter, ...]
    choices: tuple[Choice, ...]
    cases: tuple[Case, ...]
    constraints: tuple[Constraint, ...]
    ranks: tuple[int, int | None]
    layout: str = "keras"
    parent: Resolved | None = None
    substitution: tuple[tuple[sympy.Symbol, sympy.Expr], ...] = ()

    @property
    def case_choices(self) -> tuple[Choice, ...]:
        return tuple(c for c in self.choices if c.selects_case)

    @property
    def valued_choices(self) -> tuple[Choice, ...]:
        return tuple(c for c in self.choices if not c.selects_case)

    @property
    def uses_fans(self) -> bool:
        """Whether the shape's fans enter the distribution (VarianceScaling and its special cases)."""
        return any(
            {fan_in, fan_out} & sympy.sympify(e).free_symbols for c in self.cases for _, e in c.distribution.parameters
        )

    @property
    def required_examples(self) -> dict[str, float]:
        """The arguments without a default (a bias's weight_fan_in), at the value that stands for each where one
        value must (``example_value``): what a check, a benchmark or a test builds the class with."""
        return {h.argument: example_value(h) for h in self.arguments if h.default is None}

    @property
    def random(self) -> bool:
        return any(FAMILIES[case.distribution.family].random for case in self.cases)

    def case(self, **settings: str) -> Case:
        for case in self.cases:
            if dict(case.settings) == settings:
                return case
        raise KeyError(f"{self.spec.name} has no case {settings}")


def resolve(spec: InitializerSpec, specs: dict[str, InitializerSpec]) -> Resolved:
    """``spec`` with its derivation carried out by substitution in its parent (looked up in ``specs``)."""
    if spec.derived_from is None:
        layout = spec.layout or "keras"
        resolved = Resolved(spec, spec.arguments, spec.choices, spec.cases, spec.constraints, spec.ranks, layout)
        check_drawn_symbols(resolved)
        return resolved
    derivation = spec.derived_from
    if derivation.parent not in specs:
        raise SpecError(spec.source, f"derived from unknown initializer {derivation.parent!r}", spec=spec.name)
    parent = resolve(specs[derivation.parent], specs)
    fixed = dict(derivation.arguments)
    kept = {**{c.argument: c.options for c in parent.choices}, **dict(derivation.restrict)}
    kept |= {name: (option,) for name, option in derivation.choices}
    _check_derivation(spec, parent, fixed, kept)
    parent_arguments = {h.argument: h for h in parent.arguments}
    substitution = {parent_arguments[name].symbol: sympy.sympify(v) for name, v in fixed.items()}
    chosen = dict(derivation.choices)
    # A valued choice the derivation fixes gives its symbol one value for good (nonlinearity='leaky_relu': the gain).
    for choice in parent.valued_choices:
        if choice.argument in chosen:
            value = sympy.sympify(dict(choice.values)[chosen[choice.argument]])
            substitution[choice.sets] = value.xreplace(substitution)
    cases = tuple(
        Case(
            tuple((name, option) for name, option in case.settings if name not in chosen),
            case.distribution.subs(substitution),
        )
        for case in parent.cases
        if all(option in kept.get(name, (option,)) for name, option in case.settings)
    )
    constraints = tuple(
        replace(c, condition=c.condition.subs(substitution))
        for c in parent.constraints
        if c.condition.subs(substitution) is not sympy.true
    )
    choices = tuple(
        replace(c, options=kept[c.argument]) if c.argument in dict(derivation.restrict) else c
        for c in parent.choices
        if c.argument not in chosen
    )
    resolved = Resolved(
        spec,
        (*spec.arguments, *(h for h in parent.arguments if h.argument not in fixed)),
        (*choices, *spec.choices),
        cases,
        constraints,
        spec.ranks if spec.ranks != (0, None) else parent.ranks,
        spec.layout or parent.layout,
        parent=parent,
        substitution=tuple(substitution.items()),
    )
    check_drawn_symbols(resolved)
    return resolved


def check_drawn_symbols(resolved: Resolved) -> None:
    """Every symbol a case draws with is an argument, a fan, a named constant or set by a valued choice: anything
    else would reach the generated code as a name it does not define."""
    known = {h.symbol for h in resolved.arguments} | {c.sets for c in resolved.valued_choices}
    known |= {fan_in, fan_out, *CONSTANTS}
    for case in resolved.cases:
        for _, expression in case.distribution.parameters:
            stray = sympy.sympify(expression).free_symbols - known
            if stray:
                symbol = sorted(stray, key=str)[0]
                raise SpecError(
                    resolved.spec.source,
                    f"the {case.distribution.family} case {case.name or '(the only one)'} draws with {symbol}, which "
                    "no argument, fan, constant or choice defines",
                    spec=resolved.spec.name,
                    symbol=str(symbol),
                )


def _check_derivation(spec: InitializerSpec, parent: Resolved, fixed: dict, kept: dict) -> None:
    def fail(message: str, symbol: object = None) -> None:
        raise SpecError(spec.source, message, spec=spec.name, symbol=None if symbol is None else str(symbol))

    derivation = spec.derived_from
    parent_arguments = {h.argument for h in parent.arguments}
    parent_choices = {c.argument: c for c in parent.choices}
    for name in fixed:
        if name not in parent_arguments:
            fail(f"{derivation.parent} has no argument {name!r} to fix")
    for name, options in kept.items():
        unknown = [o for o in options if name not in parent_choices or o not in parent_choices[name].options]
        if unknown:
            fail(f"{derivation.parent} has no option {name}={unknown[0]!r}")
    for name, options in derivation.restrict:
        if parent_choices[name].default not in options:
            fail(f"restricting {name} to {options!r} drops the default {parent_choices[name].default!r}")
    own = {h.symbol for h in spec.arguments} | {c.sets for c in spec.choices}
    for name, value in fixed.items():
        stray = sympy.sympify(value).free_symbols - own
        if stray:
            fail(f"{name} is fixed to {value}, which uses undeclared symbols", sorted(stray, key=str)[0])


def parameters_at(
    resolved: Resolved, arguments: dict[str, float], choices: dict[str, str], fans: tuple[int, int]
) -> tuple[str, dict[str, float]]:
    """The family and its parameters (by name, as floats) that ``resolved`` draws from for these
    arguments and choices (by argument name; defaults fill the rest) and this shape's fans."""
    settings = {h.argument: arguments.get(h.argument, example_value(h)) for h in resolved.arguments} | choices
    drawn = distribution_with(resolved, settings)
    point = {fan_in: fans[0], fan_out: fans[1], **constant_values(30)}
    return drawn.family, {p.name: float(sympy.sympify(e).xreplace(point)) for p, e in drawn.parameters}


def arguments_as_parameters(resolved: Resolved, case: Case) -> dict[str, str]:
    """The arguments ``case`` takes as parameters of its family as they are: argument name → parameter name
    (TruncNormal's ``std`` is the normal's ``stddev``, RandomNormal's ``stddev`` too)."""
    arguments = {h.symbol: h.argument for h in resolved.arguments}
    return {arguments[e]: p.name for p, e in case.distribution.parameters if e in arguments}


def choice_values(resolved: Resolved, chosen: dict[str, str], values: dict) -> dict:
    """The symbols that valued choices set, for the options chosen and the arguments' ``values``."""
    return {c.sets: sympy.sympify(dict(c.values)[chosen[c.argument]]).xreplace(values) for c in resolved.valued_choices}


def fans_of(dimensions: tuple[int, ...]) -> tuple[int, int]:
    """Evaluate the FANS expressions for a concrete shape (for tests and docs examples)."""
    values = {shape[index]: size for index, size in enumerate(dimensions)}
    result = []
    for symbol in (fan_in, fan_out):
        expr = FANS[symbol].subs(rank, len(dimensions)).doit()
        result.append(int(expr.subs(values)))
    return result[0], result[1]


def distribution_with(resolved: Resolved, settings: dict[str, object]) -> Distribution:
    """The distribution ``resolved`` draws from with ``settings`` (arguments and choices by name) applied;
    fans and unset arguments stay symbols."""
    choices = {c.argument: str(settings.get(c.argument, c.default)) for c in resolved.choices}
    case = resolved.case(**{c.argument: choices[c.argument] for c in resolved.case_choices})
    values = {h.symbol: sympy.sympify(settings[h.argument]) for h in resolved.arguments if h.argument in settings}
    valued = choice_values(resolved, choices, {h.symbol: h.symbol for h in resolved.arguments} | values)
    return case.distribution.subs({**valued, **values})


def variance_scaling_settings(resolved: Resolved, case) -> tuple[sympy.Expr, str] | None:
    """(scale, mode) if ``case`` belongs to the VarianceScaling family, else None."""
    settings, scale, item = dict(case.settings), None, resolved
    below: list[dict] = []  # the substitutions of the levels under the one visited, nearest the spec first
    applied: list[dict] = []
    while item is not None:
        if item.spec.derived_from is not None:
            settings.update(dict(item.spec.derived_from.choices))
            if "scale" in dict(item.spec.derived_from.arguments):
                scale, applied = dict(item.spec.derived_from.arguments)["scale"], list(below)
        elif item.spec.name == "VarianceScaling" and scale is None:
            scale, applied = next(h.symbol for h in item.arguments if h.argument == "scale"), list(below)
        below.append(dict(item.substitution))
        item = item.parent
    if "mode" not in settings or scale is None:
        return None
    # The scale is written in the symbols of the level that fixed it: what the levels under it fixed goes in.
    scale = sympy.sympify(scale)
    for substitution in reversed(applied):
        scale = scale.xreplace(substitution)
    return scale, settings["mode"]


def names_in(relation: object) -> tuple[str, ...]:
    """The initializers an initializer relation names (none for a relation of another kind)."""
    if isinstance(relation, Comparison):
        return (relation.left, relation.right)
    if isinstance(relation, SeedExample):
        return (relation.promised, relation.written)
    if isinstance(relation, ClosedForm):
        return (relation.initializer,)
    return ()
