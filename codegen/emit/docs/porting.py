"""The porting chapter: each method's conventions in Keras, PyTorch and Optax side by side, and the mappings between
them that the generated checks prove, or prove impossible.

Everything is read from the registry: a spec's counterparts (the library's class and what it calls each argument),
its hyperparameters (the defaults), the lines of its update that read ε, its weight decay, and the equivalences
declared between two conventions of one method.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import sympy

from codegen.emit.common import Emitted
from codegen.emit.docs.optimizer import (
    DEFINITION,
    UPDATE,
    ConventionNote,
    check_citation,
    element_symbols,
    plain,
    section_label,
)
from codegen.language.common import Counterpart
from codegen.language.optimizer import OptimizerSpec, w
from codegen.language.relations import Equivalence, SpecUpdate
from codegen.lower.optimizer import WEIGHT_DECAY
from codegen.printers.latex import latex, math, number_formula, text, texttt

PORTING = "docs/optimizers/porting.tex"
LIBRARIES = {"keras": "Keras 3", "torch": "PyTorch", "optax": "Optax"}
"""The libraries a counterpart may come from, by top-level package, as the docs name them."""


@dataclass(frozen=True)
class ConventionRow:
    """One library's class for the method: the spec that computes its formula, its arguments with their defaults,
    and its weight decay."""

    library: str
    name: str
    spec: str
    arguments: str
    weight_decay: str


@dataclass(frozen=True)
class EpsilonLine:
    """A line of a convention's update that reads ε: where ε goes."""

    spec: str
    number: int
    target: str
    relation: str
    value: str


@dataclass(frozen=True)
class Mapping:
    """A declared equivalence between two conventions: what it states, the verdict ("Equal" or "Not equal"), the
    substitutions, and the check that proves it ("proven by …") or shows a counterexample."""

    statement: str
    verdict: str
    substitutions: tuple[str, ...]
    evidence: str


@dataclass(frozen=True)
class MethodPorting:
    title: str
    label: str
    rows: tuple[ConventionRow, ...]
    epsilon: tuple[EpsilonLine, ...]
    others: tuple[ConventionNote, ...]
    """What the specs say of libraries with no class in the table."""
    mappings: tuple[Mapping, ...]


@dataclass(frozen=True)
class PortingDoc:
    methods: tuple[MethodPorting, ...]


def porting_part(specs: tuple[OptimizerSpec, ...], relations: tuple) -> Emitted:
    """The chapter, one section per method in the order of the specs; a method's conventions in the same order."""
    methods = {spec.method_name: [] for spec in specs}
    for spec in specs:
        methods[spec.method_name].append(spec)
    modules = {spec.source: spec.module_name for spec in specs}
    model = PortingDoc(tuple(_method(name, group, relations, modules) for name, group in methods.items()))
    return Emitted(PORTING, "docs/porting.tex.jinja", model, "the specs in specs/optimizers/")


def _method(method: str, specs: list[OptimizerSpec], relations: tuple, modules: dict[str, str]) -> MethodPorting:
    rows = tuple(_row(spec, c) for spec in specs for c in spec.counterparts if c.same and c.library in LIBRARIES)
    shown = {row.library for row in rows}
    others = {}
    for spec in specs:
        for convention in spec.conventions:
            if convention.library not in shown:
                others.setdefault(convention.library, ConventionNote(text(convention.library), convention.note))
    names = {spec.name for spec in specs}
    mappings = tuple(
        _mapping(relation, {spec.name: spec for spec in specs}, modules)
        for relation in relations
        if isinstance(relation, Equivalence)
        and isinstance(relation.right, SpecUpdate)
        and {relation.left.spec, relation.right.spec} <= names
        and relation.left.spec != relation.right.spec
    )
    title = next((spec.name for spec in specs if spec.convention == "Keras 3"), specs[0].name)
    return MethodPorting(
        text(title),
        f"sec:porting:{method}",
        rows,
        tuple(line for spec in specs for line in _epsilon_lines(spec)),
        tuple(others.values()),
        mappings,
    )


def _row(spec: OptimizerSpec, counterpart: Counterpart) -> ConventionRow:
    return ConventionRow(
        LIBRARIES[counterpart.library],
        _import_path(counterpart.name),
        rf"{text(spec.name)} (\S\ref{{{section_label(spec)}}})",
        _arguments(spec, counterpart),
        _weight_decay(spec),
    )


def _import_path(name: str) -> str:
    """``keras.optimizers.Adam`` in typewriter type, breakable after each dot (a table column is narrow)."""
    *packages, last = name.split(".")
    return r"\allowbreak{}".join([*(texttt(f"{package}.") for package in packages), texttt(last)])


def _arguments(spec: OptimizerSpec, counterpart: Counterpart) -> str:
    """The counterpart's arguments with the spec's defaults, under the library's names: ``\\texttt{lr} = $0.001$``."""
    defaults = {h.symbol: h.default for h in spec.hyperparameters}
    switches = {o.argument: o.default for o in spec.options if o.kind == "flag"}
    if not counterpart.arguments:  # called with the spec's own names
        named = [(h.argument, h.symbol) for h in spec.hyperparameters] + [(name, name) for name in switches]
    else:
        named = list(counterpart.arguments)
    shown = []
    for name, value in named:
        if isinstance(value, str) and value in switches:
            written = texttt(repr(switches[value]))
        elif isinstance(value, str):  # a choice of the spec, passed by its name
            written = texttt(value)
        elif isinstance(value, tuple):
            written = math(", ".join(_value(part, defaults, spec) for part in value).join("()"))
        elif isinstance(value, sympy.Basic):
            written = math(_value(value, defaults, spec))
        else:  # a Python value the counterpart is always called with
            written = texttt(repr(value))
        broken = " (always pass it: the library's own default is broken)" if name in counterpart.broken_defaults else ""
        shown.append(f"{texttt(name)} = {written}{broken}")
    return ", ".join(shown)


def _value(expression: sympy.Basic, defaults: dict, spec: OptimizerSpec) -> str:
    """An argument's default: the number where the spec's defaults make it one, else the expression."""
    known = {symbol: sympy.Float(value) for symbol, value in defaults.items() if value is not None}
    value = sympy.sympify(expression).xreplace(known)
    return number_formula(float(value)) if value.is_number else latex(expression, spec.latex_names)


def _weight_decay(spec: OptimizerSpec) -> str:
    if spec.base_options == "keras":
        return rf"decoupled: the base option {texttt('weight_decay')} (\S\ref{{sec:base}})"
    decays = [h for h in spec.hyperparameters if h.argument == WEIGHT_DECAY.argument]
    if not decays:
        return "none"
    return "; ".join(f"{texttt(h.argument)}: {plain(spec, h.description, h.argument)}" for h in decays)


def _epsilon_lines(spec: OptimizerSpec) -> list[EpsilonLine]:
    """The lines of the spec's update that read ε (the hyperparameter named ``epsilon``), as the algorithm numbers
    them."""
    epsilon = next((h.symbol for h in spec.hyperparameters if h.argument == "epsilon"), None)
    if epsilon is None:
        return []
    updated = {w, *(s.symbol for s in spec.state)}
    return [
        EpsilonLine(
            text(spec.name),
            number,
            latex(lhs, spec.latex_names),
            UPDATE if lhs in updated else DEFINITION,
            latex(rhs, spec.latex_names, variables=element_symbols(spec)),
        )
        for number, (lhs, rhs) in enumerate(spec.update, start=1)
        if epsilon in sympy.sympify(rhs).free_symbols
    ]


def _mapping(relation: Equivalence, specs: dict[str, OptimizerSpec], modules: dict[str, str]) -> Mapping:
    substitutions = []
    for side in (relation.left, relation.right):
        names = specs[side.spec].latex_names
        pairs = [
            f"{latex(sympy.sympify(old), names)} \\mapsto {latex(sympy.sympify(new), names)}"
            for old, new in side.substitution.items()
        ]
        switches = [f"{texttt(option)} = {texttt(repr(on))}" for option, on in side.options.items()]
        if pairs or switches:
            written = ", ".join(itertools.chain(switches, (math(pair) for pair in pairs)))
            substitutions.append(f"{text(side.spec)}: {written}")
    check = check_citation(relation, modules[relation.source])
    statement = plain(specs[relation.left.spec], relation.statement, f"the statement of {relation.name}")
    if relation.holds:
        return Mapping(statement, "Equal", tuple(substitutions), f"proven by {check}")
    return Mapping(statement, "Not equal", tuple(substitutions), f"a counterexample by {check}")
