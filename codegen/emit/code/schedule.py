"""The model of one schedule module: the scalar kernel of every variant, and the Keras-style class."""

from __future__ import annotations

from dataclasses import dataclass

import sympy

from codegen.emit.common import Emitted, Line, docstring, modules_used
from codegen.language.common import Hyperparameter
from codegen.language.schedule import ListArgument, ScheduleSpec, k
from codegen.plan import SchedulePlan
from codegen.printers.python import ScalarPrinter, float_literal
from codegen.printers.text import interval_text


@dataclass(frozen=True)
class KernelModel:
    name: str
    selection: str
    arguments: tuple[str, ...]
    lines: tuple[Line, ...]
    value: str


@dataclass(frozen=True)
class ArgumentModel:
    name: str
    required: bool
    default: str
    runtime: str


@dataclass(frozen=True)
class WhenNoneModel:
    argument: str
    lines: tuple[Line, ...]


@dataclass(frozen=True)
class ScheduleModule:
    """Everything the module template lays out, as finished strings."""

    spec_name: str
    summary: str
    docstring: str
    modules: tuple[str, ...]
    helpers: tuple[str, ...]
    kernels: tuple[KernelModel, ...]
    arguments: tuple[ArgumentModel, ...]
    choices: tuple[str, ...]
    selection: tuple[tuple[str, str], ...]
    then: str
    joined: str
    when_none: tuple[WhenNoneModel, ...]


def kernel_names(spec: ScheduleSpec) -> dict:
    """How each symbol reads in a kernel: the step as ``step``, arguments by their Keras names."""
    names: dict = {k: "step"}
    for argument in spec.arguments:
        if isinstance(argument, (Hyperparameter, ListArgument)):
            names[argument.symbol] = argument.argument
    if spec.length is not None:
        base = next(a for a in spec.list_arguments if a.length == spec.length)
        names[spec.length] = f"len({base.argument})"
    if spec.then is not None:
        names[spec.then.function(0)] = "target"
    return names


def schedule_module(spec: ScheduleSpec, plans: tuple[SchedulePlan, ...], package: str) -> Emitted:
    """The module of ``spec`` in ``package``: one kernel per variant (its planned definitions and value), the class."""
    printer = ScalarPrinter(kernel_names(spec))
    # A join has no formula of its own: each schedule it joins runs its own kernel.
    kernels = () if spec.join is not None else tuple(_kernel(spec, plan, printer) for plan in plans)
    then = joined = ""
    if spec.then is not None:
        boundary = next(a.argument for a in spec.scalar_arguments if a.symbol == spec.then.boundary)
        then = f'("{spec.then.argument}", "{boundary}")'
    if spec.join is not None:
        joined = f'("{spec.join.schedules}", "{spec.join.boundaries}")'
    arguments = tuple(_argument(spec, a) for a in spec.arguments) + tuple(choice_argument(c) for c in spec.choices)
    model = ScheduleModule(
        spec_name=spec.name,
        summary=docstring(f"{spec.name}: {spec.summary}", indent=""),
        docstring=docstring(_class_docstring(spec)),
        modules=modules_used(
            *(a.runtime for a in arguments),
            *(k.value for k in kernels),
            *(line.value for k in kernels for line in k.lines),
        ),
        helpers=tuple(sorted(printer.helpers)),
        kernels=kernels,
        arguments=arguments,
        choices=tuple(c.argument for c in spec.choices),
        selection=tuple((repr(plan.variant.selection), plan.variant.name) for plan in plans if kernels),
        then=then,
        joined=joined,
        when_none=tuple(_when_none(spec, rule) for rule in spec.when_none),
    )
    return Emitted(f"{package}/schedules/{spec.module_name}.py", "code/schedule.py.jinja", model, spec.source)


def _kernel(spec: ScheduleSpec, plan: SchedulePlan, printer: ScalarPrinter) -> KernelModel:
    """The printed scalar kernel of one variant: its arguments, its definitions as lines, its value."""
    expressions = [plan.value, *(e for _, e in plan.definitions)]
    used = set().union(*(e.free_symbols for e in expressions))
    used |= {base for e in expressions for base in e.atoms(sympy.IndexedBase)}
    if spec.length in used:
        used |= {a.symbol for a in spec.list_arguments if a.length == spec.length}
    arguments = [
        a.argument for a in spec.arguments if isinstance(a, (Hyperparameter, ListArgument)) and a.symbol in used
    ]
    if spec.then is not None:
        arguments.append("target")
    labels = [f"{c.argument}={w!r}" for c, w in zip(spec.choices, plan.variant.selection)]
    return KernelModel(
        name=plan.variant.name,
        selection=", ".join(labels) or "the only form",
        arguments=tuple(arguments),
        lines=tuple(Line(s.name, printer.doprint(e)) for s, e in plan.definitions),
        value=printer.doprint(plan.value),
    )


def scalar_argument(argument: Hyperparameter, optional: bool = False) -> ArgumentModel:
    """A number argument as the runtime's ``Argument`` declares it: its domain, its default; ``optional``: None is
    accepted (a ``WhenNone`` rule says what it means)."""
    required = argument.default is None and not optional
    fields = [f'"{argument.argument}"', '"number"', f"required={required}", f"default={argument.default!r}"]
    fields += [f"optional={optional}", *_domain_fields(argument.domain)]
    return ArgumentModel(argument.argument, required, repr(argument.default), ", ".join(fields))


def _argument(spec: ScheduleSpec, argument) -> ArgumentModel:
    optional = any(rule.argument == argument.argument for rule in spec.when_none)
    required = argument.default is None and not optional
    fields = [f'"{argument.argument}"']
    if isinstance(argument, Hyperparameter):
        return scalar_argument(argument, optional)
    if isinstance(argument, ListArgument):
        fields += ['"list"', "required=True", f"increasing={argument.increasing}"]
        fields += ["integer=True"] if argument.integer else []
        fields += _length_fields(spec, argument)
    elif argument.length is not None:
        fields += ['"schedules"', "required=True", *_length_fields(spec, argument)]
    else:
        fields += ['"schedule"', "required=True"]
    return ArgumentModel(argument.argument, required, repr(argument.default), ", ".join(fields))


def _length_fields(spec: ScheduleSpec, argument) -> list[str]:
    """A list's length, where it is not the length symbol's own: the base list's and an offset."""
    if argument.length == spec.length:
        return []
    base = next(a for a in spec.list_arguments if a.length == spec.length)
    offset = int(sympy.expand(argument.length - spec.length))
    return [f'length_of="{base.argument}"', f"length_offset={offset}"]


def _domain_fields(domain: sympy.Set) -> list[str]:
    if isinstance(domain, sympy.Range):
        return [f"lower={float(domain.inf)!r}", "lower_open=False", "integer=True"]
    return [
        f"lower={float_literal(domain.inf)}",
        f"upper={float_literal(domain.sup)}",
        f"lower_open={bool(domain.left_open)}",
        f"upper_open={bool(domain.right_open)}",
    ]


def choice_argument(choice) -> ArgumentModel:
    """A choice as the runtime's ``Argument`` declares it: one of its cases, its default."""
    options = ", ".join(repr(case.when) for case in choice.cases)
    runtime = f'"{choice.argument}", "choice", required=False, default={choice.default!r}, choices=({options},)'
    return ArgumentModel(choice.argument, False, repr(choice.default), runtime)


def _when_none(spec: ScheduleSpec, rule) -> WhenNoneModel:
    printer = ScalarPrinter({a.symbol: f'config["{a.argument}"]' for a in spec.scalar_arguments})
    lines = []
    for symbol, expression in rule.assign.items():
        argument = next(a.argument for a in spec.scalar_arguments if a.symbol == symbol)
        lines.append(Line(argument, printer.doprint(sympy.sympify(expression))))
    return WhenNoneModel(rule.argument, tuple(lines))


def _class_docstring(spec: ScheduleSpec) -> str:
    lines = [spec.summary, "", f"{spec.library} convention; generated from {spec.source}."]
    lines += ["Call it with the 0-based step (Keras's optimizer.iterations).", "", "Arguments:"]
    for argument in spec.arguments:
        default = "required" if argument.default is None else f"default {argument.default!r}"
        if any(rule.argument == argument.argument for rule in spec.when_none):
            default = "default None"
        domain = f", in {interval_text(argument.domain)}" if isinstance(argument, Hyperparameter) else ""
        lines.append(f"    {argument.argument}: {argument.description}; {default}{domain}.")
    for choice in spec.choices:
        options = ", ".join(repr(case.when) for case in choice.cases)
        lines.append(f"    {choice.argument}: {choice.description}; one of {options}; default {choice.default!r}.")
    for rule in spec.when_none:
        lines.append(f"If {rule.argument} is None: {rule.description}.")
    if spec.past_the_end:
        lines.append(f"Past the end: {spec.past_the_end}")
    return "\n".join(lines)
