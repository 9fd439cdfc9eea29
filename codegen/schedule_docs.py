"""LaTeX sections of the schedules: one file per schedule, and one that inputs them in order.

``docs/schedules/<module>.tex`` holds the schedule's arguments, its formula
(SymPy's printing of the spec's definitions and value), its choices, its
rules for arguments left as None, what it is a special case of, the
relations the generated checks prove, and a plot of its example drawn from
the generated kernel. ``docs/schedules/schedules.tex`` opens a section and
inputs them all; the master document inputs it as ``\\input{schedules/schedules}``.
Only the LaTeX kernel and amsmath are needed.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy

from codegen.load import Registry
from codegen.printers import latex
from codegen.render import GeneratedFile, header, render
from codegen.schedule_plot import Figure, figure, load_without_jit
from codegen.schedule_spec import SCHEDULE_RELATIONS, Call, ListArgument, ScheduleArgument, ScheduleSpec, k, variants
from codegen.schedules import domain_text, specs_by_name
from codegen.spec import Hyperparameter

INDEX = "docs/schedules/schedules.tex"
# Underscores may break a line (long Keras names would otherwise overflow it).
_SPECIAL = {"\\": r"\textbackslash{}", "_": r"\_\allowbreak{}", "~": r"\~{}", "^": r"\^{}", "<": r"$<$", ">": r"$>$"}
_SPECIAL |= {character: "\\" + character for character in "%&#${}"}


def text(plain: str) -> str:
    """Plain text made safe for LaTeX."""
    plain = plain.replace("<=", "\0le").replace(">=", "\0ge")
    escaped = "".join(_SPECIAL.get(character, character) for character in plain)
    return escaped.replace("\0le", r"$\le$").replace("\0ge", r"$\ge$")


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
    figure: Figure


def schedule_doc_files(registry: Registry, modules: list[GeneratedFile]) -> list[GeneratedFile]:
    """Every schedule's section, and the index that inputs them; plots come from ``modules``' kernels."""
    specs = specs_by_name(registry)
    namespaces = load_without_jit({spec.name: module.text for spec, module in zip(registry.schedules, modules)})
    files = []
    for spec in registry.schedules:
        relations = [r for r in registry.relations if isinstance(r, SCHEDULE_RELATIONS) and r.source == spec.source]
        values = example_values(spec, specs, namespaces)
        model = schedule_doc(spec, specs, relations, figure(values))
        section = render("schedule.tex.jinja", model=model, header=header(spec.source))
        files.append(GeneratedFile(f"docs/schedules/{spec.module_name}.tex", section, spec.source))
    sources = "the specs in specs/schedules/"
    sections = [f"schedules/{spec.module_name}" for spec in registry.schedules]
    files.append(
        GeneratedFile(INDEX, render("schedules.tex.jinja", sections=sections, header=header(sources)), sources)
    )
    return files


def example_values(spec: ScheduleSpec, specs: dict, namespaces: dict) -> list[float]:
    """The example's values at steps 0 .. steps, from the generated kernels run without compilation."""
    schedule = build(Call(spec.name, spec.example.arguments), specs, namespaces)
    return [schedule(step) for step in range(spec.example.steps + 1)]


def build(call: Call, specs: dict, namespaces: dict):
    arguments = {
        name: build(value, specs, namespaces) if isinstance(value, Call) else value
        for name, value in call.arguments.items()
    }
    return namespaces[call.schedule][call.schedule](**arguments)


def schedule_doc(spec: ScheduleSpec, specs: dict, relations: list, plot: Figure) -> ScheduleDoc:
    names = {**spec.latex_names, k: "k"}
    default_variant = variants(spec)[0]
    return ScheduleDoc(
        name=spec.name,
        label=f"schedule:{spec.module_name}",
        summary=text(spec.summary),
        source=text(spec.source),
        library=text(spec.library),
        arguments=tuple(_row(spec, a, names) for a in spec.arguments) + tuple(_choice_row(c) for c in spec.choices),
        definitions=tuple(Equation(latex(s, names), latex(e, names)) for s, e in default_variant.definitions),
        value=latex(default_variant.value, names),
        cases=_cases(spec, names),
        when_none=tuple(_when_none(spec, rule, names) for rule in spec.when_none),
        then=_then(spec, names),
        derived_from=_derived(spec, specs, names),
        past_the_end=text(spec.past_the_end),
        relations=tuple(text(r.description) for r in relations),
        conventions=tuple((text(library), _breakable(note)) for library, note in spec.conventions),
        references=tuple(text(r) for r in spec.references),
        example=_example(spec),
        figure=plot,
    )


def _breakable(latex_text: str) -> str:
    """A LaTeX note from a spec, with its underscores allowed to break a line."""
    return latex_text.replace(r"\_", r"\_\allowbreak{}")


def _row(spec: ScheduleSpec, argument, names: dict) -> ArgumentRow:
    optional = any(rule.argument == argument.argument for rule in spec.when_none)
    if isinstance(argument, Hyperparameter):
        default = "None" if optional else ("required" if argument.default is None else f"{argument.default!r}")
        return ArgumentRow(
            text(argument.argument),
            f"${latex(argument.symbol, names)}$",
            text(default),
            f"${_domain(argument.domain)}$",
            text(argument.description),
        )
    if isinstance(argument, ListArgument):
        last = latex(sympy.expand(argument.length - 1), names)
        symbol = f"${latex(argument.symbol, names)}_0, \\ldots, {latex(argument.symbol, names)}_{{{last}}}$"
        domain = "strictly increasing" if argument.increasing else "finite"
        return ArgumentRow(text(argument.argument), symbol, "required", domain, text(argument.description))
    if isinstance(argument, ScheduleArgument):
        return ArgumentRow(text(argument.argument), "$f$", "required", "a schedule", text(argument.description))
    raise TypeError(argument)


def _choice_row(choice) -> ArgumentRow:
    options = ", ".join(repr(case.when) for case in choice.cases)
    description = text(f"{choice.description}; one of {options}")
    return ArgumentRow(text(choice.argument), "", text(repr(choice.default)), "a choice", description)


def _domain(domain: sympy.Set) -> str:
    if isinstance(domain, sympy.Range):
        return f"\\{{{domain.inf}, {domain.inf + 1}, \\ldots\\}}"
    plain = domain_text(domain)
    return plain.replace("inf", r"\infty").replace(">=", r"\ge")


def _cases(spec: ScheduleSpec, names: dict) -> tuple[Case, ...]:
    cases = []
    for choice in spec.choices:
        for case in choice.cases:
            if not case.define:
                continue
            equations = tuple(Equation(latex(s, names), latex(sympy.sympify(e), names)) for s, e in case.define.items())
            cases.append(Case(text(f"{choice.argument}={case.when!r}"), equations))
    return tuple(cases)


def _when_none(spec: ScheduleSpec, rule, names: dict) -> Case:
    equations = tuple(Equation(latex(s, names), latex(sympy.sympify(e), names)) for s, e in rule.assign.items())
    condition = f"\\texttt{{{text(rule.argument)}}} is \\texttt{{None}} ({text(rule.description)})"
    return Case(condition, equations)


def _then(spec: ScheduleSpec, names: dict) -> str:
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
    return repr(value)
