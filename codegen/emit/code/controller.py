"""The model of one controller module: one epoch's kernel and the initial state of every variant, and the class."""

from __future__ import annotations

from dataclasses import dataclass

import sympy

from codegen.emit.code.schedule import ArgumentModel, choice_argument, scalar_argument
from codegen.emit.common import Emitted, Line, docstring, modules_used
from codegen.language.controller import ControllerSpec, m
from codegen.lower.controller import Variant
from codegen.printers.python import ScalarPrinter
from codegen.printers.text import interval_text


@dataclass(frozen=True)
class KernelModel:
    name: str
    selection: str
    arguments: tuple[str, ...]
    """The arguments the kernel takes after the metric and the state, by their names in the config."""
    signature: str
    """The kernel's parameters: the metric, the state, those arguments (as the kernel names them)."""
    lines: tuple[Line, ...]
    initial_arguments: tuple[str, ...]
    initial_signature: str
    initial: str


@dataclass(frozen=True)
class ControllerModule:
    """Everything the module template lays out, as finished strings."""

    spec_name: str
    summary: str
    docstring: str
    modules: tuple[str, ...]
    state: tuple[str, ...]
    returned: str
    """The new state, as a kernel returns it."""
    counts: tuple[str, ...]
    kernels: tuple[KernelModel, ...]
    arguments: tuple[ArgumentModel, ...]
    choices: tuple[str, ...]
    selection: tuple[tuple[str, str], ...]


def kernel_names(spec: ControllerSpec) -> dict:
    """How each symbol reads in a kernel: the metric as ``metric``, state and arguments by their names, locals by
    their symbols' names."""
    states = {s.name for s in spec.state}
    names: dict = {m: "metric"}
    # An argument that has a state's name (the starting learning_rate, beside the rate in effect) is its initial
    # value: the kernels name it so, and take it by position.
    names.update({a.symbol: f"initial_{a.argument}" if a.argument in states else a.argument for a in spec.arguments})
    names.update({s.symbol: s.name for s in spec.state})
    return names


def controller_module(spec: ControllerSpec, variants: tuple[Variant, ...], package: str) -> Emitted:
    """The module of ``spec`` in ``package``: a kernel per variant (one epoch of its update, in order), the class."""
    printer = ScalarPrinter(kernel_names(spec))
    kernels = tuple(_kernel(spec, variant, printer) for variant in variants)
    arguments = tuple(scalar_argument(a) for a in spec.arguments) + tuple(choice_argument(c) for c in spec.choices)
    model = ControllerModule(
        spec_name=spec.name,
        summary=docstring(f"{spec.name}: {spec.summary}", indent=""),
        docstring=docstring(_class_docstring(spec)),
        modules=modules_used(
            *(a.runtime for a in arguments),
            *(line.value for k in kernels for line in k.lines),
            *(k.initial for k in kernels),
        ),
        state=tuple(s.name for s in spec.state),
        returned=", ".join(s.name for s in spec.state),
        counts=tuple(s.name for s in spec.state if s.integer),
        kernels=kernels,
        arguments=arguments,
        choices=tuple(c.argument for c in spec.choices),
        selection=tuple((repr(v.selection), v.name) for v in variants),
    )
    return Emitted(f"{package}/controllers/{spec.module_name}.py", "code/controller.py.jinja", model, spec.source)


def _kernel(spec: ControllerSpec, variant: Variant, printer: ScalarPrinter) -> KernelModel:
    """One epoch of one variant: its assignments in order, as the spec states them (a state may be assigned more
    than once: Python's assignments have the spec's imperative meaning)."""
    read = set().union(*(rhs.free_symbols for _, rhs in variant.update))
    taken = [a for a in spec.arguments if a.symbol in read]
    initial = [sympy.sympify(value) for _, value in variant.initial]
    initial_read = set().union(*(value.free_symbols for value in initial))
    initial_taken = [a for a in spec.arguments if a.symbol in initial_read]
    labels = [f"{c.argument}={w!r}" for c, w in zip(spec.choices, variant.selection)]
    parameters = [m, *spec.state_symbols, *(a.symbol for a in taken)]
    return KernelModel(
        name=variant.name,
        selection=", ".join(labels) or "the only form",
        arguments=tuple(a.argument for a in taken),
        signature=", ".join(printer.doprint(symbol) for symbol in parameters),
        lines=tuple(Line(printer.doprint(lhs), printer.doprint(rhs)) for lhs, rhs in variant.update),
        initial_arguments=tuple(a.argument for a in initial_taken),
        initial_signature=", ".join(printer.doprint(a.symbol) for a in initial_taken),
        initial=", ".join(printer.doprint(value) for value in initial),
    )


def _class_docstring(spec: ControllerSpec) -> str:
    lines = [spec.summary, "", f"{spec.library} convention; generated from {spec.source}."]
    lines += ["Call step(metric) once per epoch; it returns the rate for the next epoch.", "", "Arguments:"]
    for argument in spec.arguments:
        default = "required" if argument.default is None else f"default {argument.default!r}"
        lines.append(
            f"    {argument.argument}: {argument.description}; {default}, in {interval_text(argument.domain)}."
        )
    for choice in spec.choices:
        options = ", ".join(repr(case.when) for case in choice.cases)
        lines.append(f"    {choice.argument}: {choice.description}; one of {options}; default {choice.default!r}.")
    lines += ["", "State (state_dict):"]
    lines += [f"    {state.name}: {state.description}." for state in spec.state]
    return "\n".join(lines)
