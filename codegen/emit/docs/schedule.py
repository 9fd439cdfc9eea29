"""The LaTeX section of one schedule, and the schedules' part that inputs them all.

``docs/schedules/<module>.tex`` holds the schedule's arguments, its formula
(SymPy's printing of the spec's definitions and value), its choices, its
rules for arguments left as None, what it is a special case of, the
relations the generated checks prove, and a plot of its example, drawn from
the generated kernel when the docs are built (``figure_path``).
``docs/schedules/schedules.tex`` opens the part and inputs every section.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy

from codegen.emit.common import Emitted
from codegen.language.common import Hyperparameter
from codegen.language.schedule import SCHEDULE_RELATIONS, Call, ListArgument, ScheduleArgument, ScheduleSpec, k
from codegen.printers.latex import domain_latex, latex, latex_number, text

PART = "docs/schedules/schedules.tex"


def figure_path(spec: ScheduleSpec) -> str:
    """Where ``trainspec docs`` draws the plot of ``spec``'s example, relative to docs/ and without .tex."""
    return f"figures/schedules/{spec.module_name}"


@dataclass(frozen=True)
class ArgumentRow:
    name: str
    symbol: str
    default: str
    domain: str
    description: str


@dataclass(frozen=True)
class Equation:
    target: str
    value: str


@dataclass(frozen=True)
class Case:
    condition: str
    equations: tuple[Equation, ...]


@dataclass(frozen=True)
class ScheduleDoc:
    name: str
    label: str
    summary: str
    source: str
    library: str
    arguments: tuple[ArgumentRow, ...]
    definitions: tuple[Equation, ...]
    value: str
    cases: tuple[Case, ...]
    when_none: tuple[Case, ...]
    then: str
    derived_from: str
    past_the_end: str
    relations: tuple[str, ...]
    conventions: tuple[tuple[str, str], ...]
    references: tuple[str, ...]
    example: str
    figure: str


def schedule_section(spec: ScheduleSpec, first_variant, specs: dict, relations: tuple) -> Emitted:
    """The section of ``spec``: its default variant's formula, its cases and rules, its relations, its plot."""
    names = {**spec.latex_names, k: "k"}
    varying = _varying(spec)
    own = tuple(r for r in relations if isinstance(r, SCHEDULE_RELATIONS) and r.source == spec.source)
    model = ScheduleDoc(
        name=spec.name,
        label=f"schedule:{spec.module_name}",
        summary=text(spec.summary),
        source=text(spec.source),
        library=text(spec.library),
        arguments=tuple(_row(spec, a, names) for a in spec.arguments) + tuple(choice_row(c) for c in spec.choices),
        definitions=tuple(Equation(latex(s, names), latex(e, names, varying)) for s, e in first_variant.definitions),
        value=latex(first_variant.value, names, varying),
        cases=_cases(spec, names),
        when_none=tuple(_when_none(spec, rule, names) for rule in spec.when_none),
        then=_then(spec, names),
        derived_from=_derived(spec, specs, names),
        past_the_end=text(spec.past_the_end),
        relations=tuple(text(r.description) for r in own),
        # A convention note is LaTeX already, as the spec language documents it; its underscores may break a line.
        conventions=tuple(
            (text(library), note.replace(r"\_", r"\_\allowbreak{}")) for library, note in spec.conventions
        ),
        references=tuple(text(r) for r in spec.references),
        example=_example(spec),
        figure=figure_path(spec),
    )
    return Emitted(f"docs/schedules/{spec.module_name}.tex", "docs/schedule.tex.jinja", model, spec.source)


@dataclass(frozen=True)
class SchedulesPart:
    sections: tuple[str, ...]


def schedules_part(specs: tuple[ScheduleSpec, ...]) -> Emitted:
    """The document that opens the schedules' part and inputs every section."""
    model = SchedulesPart(tuple(f"schedules/{spec.module_name}" for spec in specs))
    return Emitted(PART, "docs/schedules.tex.jinja", model, "the specs in specs/schedules/")


def _row(spec: ScheduleSpec, argument, names: dict) -> ArgumentRow:
    optional = any(rule.argument == argument.argument for rule in spec.when_none)
    if isinstance(argument, Hyperparameter):
        return hyperparameter_row(argument, names, optional)
    if isinstance(argument, ListArgument):
        last = latex(sympy.expand(argument.length - 1), names)
        symbol = f"${latex(argument.symbol, names)}_0, \\ldots, {latex(argument.symbol, names)}_{{{last}}}$"
        domain = "strictly increasing" if argument.increasing else "finite"
        return ArgumentRow(text(argument.argument), symbol, "required", domain, text(argument.description))
    if isinstance(argument, ScheduleArgument) and argument.length is not None:
        last = latex(sympy.expand(argument.length - 1), names)
        return ArgumentRow(
            text(argument.argument), f"$j = 0, \\ldots, {last}$", "required", "schedules", text(argument.description)
        )
    if isinstance(argument, ScheduleArgument):
        return ArgumentRow(text(argument.argument), "$f$", "required", "a schedule", text(argument.description))
    raise TypeError(argument)


def hyperparameter_row(argument: Hyperparameter, names: dict, optional: bool = False) -> ArgumentRow:
    """A number argument as a row of an arguments table; ``optional``: its default is None (a ``WhenNone`` rule)."""
    if optional or argument.default is None:
        default = text("None" if optional else "required")
    elif isinstance(argument.default, sympy.Basic):  # an exact default, PyTorch's factor of 1/3
        default = f"${latex(argument.default, names)}$"
    else:  # as the optimizers' tables write numbers: 0, not 0.0; 10^{-7}
        default = latex_number(argument.default)
    return ArgumentRow(
        text(argument.argument),
        f"${latex(argument.symbol, names)}$",
        default,
        f"${domain_latex(argument.domain)}$",
        text(argument.description),
    )


def choice_row(choice) -> ArgumentRow:
    """A choice as a row of an arguments table: its default, and its options in the description."""
    options = ", ".join(repr(case.when) for case in choice.cases)
    description = text(f"{choice.description}; one of {options}")
    return ArgumentRow(text(choice.argument), "", text(repr(choice.default)), "a choice", description)


def _varying(spec: ScheduleSpec) -> frozenset:
    """The step ``k`` and every definition that reads it, in any form of the value: what a condition reads first."""
    varying = {k}
    definitions = [*spec.definitions, *(item for c in spec.choices for case in c.cases for item in case.define.items())]
    for _ in definitions:  # a definition may read one defined after it in another case: repeat to a fixed point
        varying |= {s for s, e in definitions if sympy.sympify(e).free_symbols & varying}
    return frozenset(varying)


def _cases(spec: ScheduleSpec, names: dict) -> tuple[Case, ...]:
    varying = _varying(spec)
    cases = []
    for choice in spec.choices:
        for case in choice.cases:
            if not case.define:
                continue
            equations = tuple(
                Equation(latex(s, names), latex(sympy.sympify(e), names, varying)) for s, e in case.define.items()
            )
            cases.append(Case(text(f"{choice.argument}={case.when!r}"), equations))
    return tuple(cases)


def _when_none(spec: ScheduleSpec, rule, names: dict) -> Case:
    equations = tuple(Equation(latex(s, names), latex(sympy.sympify(e), names)) for s, e in rule.assign.items())
    condition = f"\\texttt{{{text(rule.argument)}}} is \\texttt{{None}} ({text(rule.description)})"
    return Case(condition, equations)


def _then(spec: ScheduleSpec, names: dict) -> str:
    if spec.join is not None:
        applied = latex(spec.join.function(sympy.Symbol("j"), sympy.Symbol("s")), names)
        return (
            f"${applied}$ is schedule $j$ of \\texttt{{{text(spec.join.schedules)}}} at its own step $s$: each "
            f"schedule runs from the boundary in \\texttt{{{text(spec.join.boundaries)}}} where it starts (the first "
            "from step $0$), started at its own step $0$. Where two schedules meet, the rate jumps by the next one's "
            "first value less the earlier one taken to the boundary."
        )
    if spec.then is None:
        return ""
    f = spec.then.function
    boundary = latex(spec.then.boundary, names)
    following = latex(f(k - spec.then.boundary), names)
    return (
        f"For $k \\ge {boundary}$ the schedule given as \\texttt{{{text(spec.then.argument)}}} runs, started at its "
        f"own step $0$: $\\eta(k) = {following}$. The formula above holds for $k < {boundary}$, with "
        f"${latex(f(0), names)}$ the first value of that schedule."
    )


def _derived(spec: ScheduleSpec, specs: dict, names: dict) -> str:
    derivation = spec.derived_from
    if derivation is None:
        return ""
    parent = specs[derivation.parent]
    replaced = ", ".join(
        f"$\\mathtt{{{text(name)}}} = {latex(sympy.sympify(value), names)}$"
        for name, value in derivation.arguments.items()
    )
    return f"Special case of {parent.name} (Section~\\ref{{schedule:{parent.module_name}}}) with {replaced}."


def _example(spec: ScheduleSpec) -> str:
    parts = [f"{name}={_example_value(value)}" for name, value in spec.example.arguments.items()]
    return text(f"{spec.name}({', '.join(parts)})") + f", steps $0$ to ${spec.example.steps}$"


def _example_value(value) -> str:
    if isinstance(value, Call):
        return f"{value.schedule}({', '.join(f'{n}={_example_value(v)}' for n, v in value.arguments.items())})"
    if isinstance(value, list):
        return f"[{', '.join(_example_value(item) for item in value)}]"
    return repr(value)
