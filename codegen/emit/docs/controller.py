"""The LaTeX section of one controller, and the controllers' part that inputs them all.

``docs/controllers/<module>.tex`` holds the controller's arguments, its state
with the initial values, its update (SymPy's printing of the spec's
assignments, in order), the cases of its choices, the relations the generated
checks prove, and the other libraries' conventions.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy

from codegen.emit.common import Emitted
from codegen.emit.docs.schedule import ArgumentRow, Equation, choice_row, hyperparameter_row
from codegen.language.controller import CONTROLLER_RELATIONS, ControllerSpec, m
from codegen.printers.latex import latex, text

PART = "docs/controllers/controllers.tex"


@dataclass(frozen=True)
class StateRow:
    name: str
    symbol: str
    initial: str
    description: str


@dataclass(frozen=True)
class Case:
    condition: str
    equations: tuple[Equation, ...]
    starts: tuple[Equation, ...]
    """The states the case starts elsewhere, with their initial values."""


@dataclass(frozen=True)
class ControllerDoc:
    name: str
    label: str
    summary: str
    source: str
    library: str
    arguments: tuple[ArgumentRow, ...]
    state: tuple[StateRow, ...]
    update: tuple[Equation, ...]
    cases: tuple[Case, ...]
    relations: tuple[str, ...]
    conventions: tuple[tuple[str, str], ...]
    references: tuple[str, ...]
    example: str
    figure: str


def figure_path(spec: ControllerSpec) -> str:
    """Where ``trainspec docs`` draws the rates of ``spec``'s example, relative to docs/ and without .tex."""
    return f"figures/controllers/{spec.module_name}"


def controller_section(spec: ControllerSpec, relations: tuple) -> Emitted:
    """The section of ``spec``: its arguments, state, update in order, the cases of its choices, its relations."""
    names = {**spec.latex_names, m: "m"}
    own = tuple(r for r in relations if isinstance(r, CONTROLLER_RELATIONS) and r.source == spec.source)
    model = ControllerDoc(
        name=spec.name,
        label=f"controller:{spec.module_name}",
        summary=text(spec.summary),
        source=text(spec.source),
        library=text(spec.library),
        arguments=tuple(hyperparameter_row(a, names) for a in spec.arguments)
        + tuple(choice_row(c) for c in spec.choices),
        state=tuple(
            StateRow(
                text(s.name),
                f"${latex(s.symbol, names)}$",
                f"${latex(sympy.sympify(s.initial), names)}$",
                text(s.description),
            )
            for s in spec.state
        ),
        update=tuple(Equation(latex(lhs, names), latex(sympy.sympify(rhs), names)) for lhs, rhs in spec.update),
        cases=tuple(
            _case(spec, choice.argument, case, names) for choice in spec.choices for case in choice.cases if case.define
        ),
        relations=tuple(text(r.description) for r in own),
        conventions=tuple((text(library), note) for library, note in spec.conventions),
        references=tuple(text(r) for r in spec.references),
        example=_example(spec),
        figure=figure_path(spec),
    )
    return Emitted(f"docs/controllers/{spec.module_name}.tex", "docs/controller.tex.jinja", model, spec.source)


@dataclass(frozen=True)
class ControllersPart:
    sections: tuple[str, ...]


def controllers_part(specs: tuple[ControllerSpec, ...]) -> Emitted:
    """The document that opens the controllers' part and inputs every section."""
    model = ControllersPart(tuple(f"controllers/{spec.module_name}" for spec in specs))
    return Emitted(PART, "docs/controllers.tex.jinja", model, "the specs in specs/controllers/")


def _case(spec: ControllerSpec, argument: str, case, names: dict) -> Case:
    def equations(states: bool) -> tuple[Equation, ...]:
        return tuple(
            Equation(latex(symbol, names), latex(sympy.sympify(value), names))
            for symbol, value in case.define.items()
            if (symbol in spec.state_symbols) == states
        )

    return Case(text(f"{argument}={case.when!r}"), equations(False), equations(True))


def _example(spec: ControllerSpec) -> str:
    arguments = ", ".join(f"{name}={value!r}" for name, value in spec.example.arguments.items())
    metrics = ", ".join(f"{value:g}" for value in spec.example.metrics)
    return text(f"{spec.name}({arguments}), stepped on the metrics {metrics}")
