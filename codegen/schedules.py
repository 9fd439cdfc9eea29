"""Learning-rate schedules: specs in, kernel modules, LaTeX sections and check modules out.

    validate_schedule → schedule_module_model (printers write every string) → render

Each stage is a function of the spec (and the registry, for what one spec
says about another) that a test can call. ``schedule_files`` runs them all
for ``codegen.build``.
"""

from __future__ import annotations

import keyword
import math
import numbers
from dataclasses import dataclass

import sympy

from codegen.errors import SpecError
from codegen.load import Registry
from codegen.models import Line
from codegen.printers import PreludePrinter
from codegen.render import GeneratedFile, header, render
from codegen.schedule_spec import (
    Call,
    ListArgument,
    ScheduleArgument,
    ScheduleSpec,
    Variant,
    k,
    log_ratio,
    variants,
)
from codegen.spec import Hyperparameter

# Names the generated modules use for themselves; no argument or definition may take them.
RESERVED_NAMES = frozenset(
    {"step", "steps", "out", "index", "name", "target", "config", "math", "numba", "np", "floor_log", "self"}
)
# The runtime helpers a kernel may call; the printer asks for them by name.
HELPERS = ("floor_log",)


# ----------------------------------------------------------------------------- stage 1: validate


def validate_schedule(spec: ScheduleSpec, registry: Registry) -> ScheduleSpec:
    """Return ``spec`` if it is well formed; raise ``SpecError`` naming the file and symbol otherwise."""
    _ScheduleChecker(spec, {s.name: s for s in registry.schedules}).run()
    return spec


class _ScheduleChecker:
    def __init__(self, spec: ScheduleSpec, specs: dict[str, ScheduleSpec]):
        self.spec = spec
        self.specs = specs

    def fail(self, message: str, symbol: object = None) -> None:
        raise SpecError(self.spec.source, message, spec=self.spec.name, symbol=None if symbol is None else str(symbol))

    def run(self) -> None:
        self.arguments()
        self.definitions()
        self.choices()
        self.when_none()
        self.composition()
        self.derivation()
        self.example()

    def _name(self, name: str, what: str, symbol: object = None) -> None:
        if not name.isidentifier() or keyword.iskeyword(name) or name in RESERVED_NAMES:
            self.fail(f"{what} {name!r} is not usable as a Python name (or is reserved)", symbol)

    def arguments(self) -> None:
        seen: set[str] = set()
        optional_seen = False
        for argument in self.spec.arguments:
            self._name(argument.argument, "argument", getattr(argument, "symbol", None))
            if argument.argument in seen:
                self.fail(f"argument {argument.argument!r} is declared twice")
            seen.add(argument.argument)
            required = argument.default is None and not self._none_allowed(argument.argument)
            if required and optional_seen:
                self.fail(f"required argument {argument.argument!r} follows an argument with a default")
            optional_seen = optional_seen or not required
            if isinstance(argument, Hyperparameter):
                self._scalar(argument)
            elif isinstance(argument, ListArgument):
                self._list(argument)
            elif not isinstance(argument, ScheduleArgument):
                self.fail(f"argument {argument!r} is not a Hyperparameter, ListArgument or ScheduleArgument")

    def _none_allowed(self, name: str) -> bool:
        return any(rule.argument == name for rule in self.spec.when_none)

    def _scalar(self, argument: Hyperparameter) -> None:
        if not isinstance(argument.symbol, sympy.Symbol):
            self.fail(f"argument {argument.argument!r} must be declared with a symbol", argument.symbol)
        self._name(argument.symbol.name, "symbol", argument.symbol)
        domain = argument.domain
        if isinstance(domain, sympy.Range):
            if domain.step != 1 or not domain.inf.is_Integer or domain.sup is not sympy.oo:
                self.fail(f"integer domain of {argument.argument!r} must be Range(a, oo)", argument.symbol)
        elif not isinstance(domain, sympy.Interval):
            self.fail(f"domain of {argument.argument!r} must be an Interval or Range(a, oo)", argument.symbol)
        default = argument.default
        if default is not None:
            if isinstance(default, bool) or not isinstance(default, numbers.Real):
                self.fail(f"default {default!r} of {argument.argument!r} is not a number", argument.symbol)
            if not domain.contains(exact_number(default)):
                self.fail(f"default {default!r} of {argument.argument!r} is outside {domain}", argument.symbol)

    def _list(self, argument: ListArgument) -> None:
        if not isinstance(argument.symbol, sympy.IndexedBase):
            self.fail(f"list argument {argument.argument!r} must be declared with an IndexedBase", argument.symbol)
        if self.spec.length is None:
            self.fail("a spec with list arguments must name its length symbol (length=...)")
        offset = sympy.expand(argument.length - self.spec.length)
        if not offset.is_Integer:
            self.fail(f"length of {argument.argument!r} must be the length symbol plus a whole number")
        bases = [a for a in self.spec.list_arguments if a.length == self.spec.length]
        if len(bases) != 1:
            self.fail("exactly one list argument must have the length symbol itself as its length")

    def _known(self) -> set:
        known = {k}
        for argument in self.spec.arguments:
            if isinstance(argument, Hyperparameter):
                known.add(argument.symbol)
            elif isinstance(argument, ListArgument):
                known |= {argument.symbol, argument.symbol.label}
        if self.spec.length is not None:
            known.add(self.spec.length)
        return known

    def _check_symbols(self, expression: sympy.Expr, known: set, where: str) -> None:
        for symbol in sympy.sympify(expression).free_symbols:
            if isinstance(symbol, sympy.Indexed):
                continue
            if symbol not in known:
                self.fail(f"{where} uses {symbol}, which is neither an argument, the step k nor defined before", symbol)
        for applied in sympy.sympify(expression).atoms(sympy.core.function.AppliedUndef):
            if self.spec.then is None or applied.func != self.spec.then.function or applied.args != (0,):
                self.fail(f"{where} calls {applied}; only the following schedule's first value f(0) may appear")

    def definitions(self) -> None:
        known = self._known()
        names = {a.argument for a in self.spec.arguments}
        for symbol, expression in self.spec.definitions:
            if not isinstance(symbol, sympy.Symbol):
                self.fail(f"the left-hand side of a definition must be a symbol, got {symbol!r}")
            self._name(symbol.name, "defined symbol", symbol)
            if symbol in known or symbol.name in names:
                self.fail("a definition may not redefine an argument, the step or an earlier definition", symbol)
            self._check_symbols(expression, known, f"the definition of {symbol}")
            known.add(symbol)
        self._check_symbols(self.spec.value, known, "the value")

    def choices(self) -> None:
        defined = {symbol for symbol, _ in self.spec.definitions}
        scalars = {a.symbol for a in self.spec.scalar_arguments}
        names = {a.argument for a in self.spec.arguments}
        for choice in self.spec.choices:
            self._name(choice.argument, "choice")
            if choice.argument in names:
                self.fail(f"choice {choice.argument!r} has the name of an argument")
            whens = [case.when for case in choice.cases]
            if len({(type(w), w) for w in whens}) != len(whens) or choice.default not in whens:
                self.fail(f"choice {choice.argument!r} needs distinct cases, its default among them")
            for case in choice.cases:
                for symbol in case.define:
                    if symbol not in defined | scalars:
                        self.fail(f"case {case.when!r} of {choice.argument!r} redefines an unknown symbol", symbol)

    def when_none(self) -> None:
        for rule in self.spec.when_none:
            try:
                argument = self.spec.argument(rule.argument)
            except KeyError:
                self.fail(f"WhenNone names an unknown argument {rule.argument!r}")
            if not isinstance(argument, Hyperparameter) or argument.default is not None:
                self.fail(f"WhenNone argument {rule.argument!r} must be a scalar argument whose default is None")
            scalars = {a.symbol for a in self.spec.scalar_arguments}
            for symbol, expression in rule.assign.items():
                if symbol not in scalars:
                    self.fail(f"WhenNone for {rule.argument!r} assigns {symbol}, which is not an argument", symbol)
                self._check_symbols(expression, scalars, f"WhenNone for {rule.argument!r}")

    def composition(self) -> None:
        schedule_arguments = [a for a in self.spec.arguments if isinstance(a, ScheduleArgument)]
        then = self.spec.then
        if then is None:
            if schedule_arguments:
                self.fail("a schedule argument needs a Then composition")
            return
        if [a.argument for a in schedule_arguments] != [then.argument]:
            self.fail(f"Then.argument {then.argument!r} must be the spec's one schedule argument")
        boundary = [a for a in self.spec.scalar_arguments if a.symbol == then.boundary]
        if not boundary or not isinstance(boundary[0].domain, sympy.Range):
            self.fail("Then.boundary must be an integer argument (a Range domain)", then.boundary)

    def derivation(self) -> None:
        derivation = self.spec.derived_from
        if derivation is None:
            return
        parent = self.specs.get(derivation.parent)
        if parent is None:
            self.fail(f"derived_from names an unknown schedule {derivation.parent!r}")
        parent_names = {a.argument for a in parent.arguments}
        own_names = {a.argument for a in self.spec.arguments}
        for name in derivation.arguments:
            if name not in parent_names:
                self.fail(f"derived_from replaces {name!r}, which {parent.name} does not have")
        for name in parent_names - set(derivation.arguments):
            if name not in own_names:
                self.fail(f"{parent.name}'s argument {name!r} is neither replaced nor an argument here")
        if [c.argument for c in parent.choices] != [c.argument for c in self.spec.choices]:
            self.fail(f"derived_from needs the same choices as {parent.name}")

    def example(self) -> None:
        known = {a.argument for a in self.spec.arguments} | {c.argument for c in self.spec.choices}
        for name in self.spec.example.arguments:
            if name not in known:
                self.fail(f"the example sets {name!r}, which is not an argument")
        for argument in self.spec.arguments:
            required = argument.default is None and not self._none_allowed(argument.argument)
            if required and argument.argument not in self.spec.example.arguments:
                self.fail(f"the example must set the required argument {argument.argument!r}")
        if not isinstance(self.spec.example.steps, int) or self.spec.example.steps < 2:
            self.fail("the example's steps must be an integer >= 2")


def exact_number(value: float) -> sympy.Expr:
    return sympy.Rational(value) if isinstance(value, float) else sympy.sympify(value)


# ----------------------------------------------------------------------------- stage 2: print


class SchedulePrinter(PreludePrinter):
    """Scalar Python for a Numba schedule kernel.

    Adds what schedules need: ``Sum`` as a list sum (Numba compiles it; a
    generator it does not), indexed list elements by argument name, and
    ``floor(log(x)/log(b))`` as the runtime's exact ``floor_log``, because
    the quotient of two rounded logarithms misplaces exact powers.
    """

    def __init__(self, names: dict):
        super().__init__(names)
        self.helpers: set[str] = set()

    def _print_Indexed(self, expr: sympy.Indexed) -> str:
        indices = ", ".join(self._print(index) for index in expr.indices)
        return f"{self._print(expr.base)}[{indices}]"

    def _print_IndexedBase(self, expr: sympy.IndexedBase) -> str:
        return self.names.get(expr, expr.name)

    def _print_Sum(self, expr: sympy.Sum) -> str:
        (index, lower, upper), *more = expr.limits
        if more:
            raise NotImplementedError("only single sums are printed")
        term = self._print(expr.function)
        bounds = f"{self._print(lower)}, {self._print(upper + 1)}"
        return f"sum([{term} for {self._print(index)} in range({bounds})])"

    def _print_floor(self, expr: sympy.floor) -> str:
        ratio = log_ratio(expr.args[0])
        if ratio is not None:
            self.helpers.add("floor_log")
            return f"floor_log({self._print(ratio[0])}, {self._print(ratio[1])})"
        return f"math.floor({self._print(expr.args[0])})"

    def _print_AppliedUndef(self, expr: sympy.Expr) -> str:
        if expr.args == (0,):
            return "target"
        raise NotImplementedError(f"cannot print {expr} in a kernel")


def kernel_names(spec: ScheduleSpec) -> dict:
    """How each symbol reads in a kernel: the step as ``step``, arguments by their Keras names."""
    names = {k: "step"}
    for argument in spec.arguments:
        if isinstance(argument, (Hyperparameter, ListArgument)):
            names[argument.symbol] = argument.argument
    if spec.length is not None:
        base = next(a for a in spec.list_arguments if a.length == spec.length)
        names[spec.length] = f"len({base.argument})"
    return names


# ----------------------------------------------------------------------------- stage 3: models


@dataclass(frozen=True)
class KernelModel:
    name: str
    selection: str
    arguments: list[str]
    lines: tuple[Line, ...]
    value: str
    helpers: tuple[str, ...]


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
class ScheduleModuleModel:
    spec_name: str
    class_name: str
    summary: str
    docstring: tuple[str, ...]
    helpers: tuple[str, ...]
    kernels: tuple[KernelModel, ...]
    arguments: tuple[ArgumentModel, ...]
    choices: tuple[str, ...]
    selection: tuple[tuple[str, str], ...]
    then: str
    when_none: tuple[WhenNoneModel, ...]


def kernel_model(spec: ScheduleSpec, variant: Variant) -> KernelModel:
    """The printed scalar kernel of one variant: its arguments, its definitions as lines, its value."""
    printer = SchedulePrinter(kernel_names(spec))
    needed = _needed_definitions(variant)
    lines = tuple(Line(s.name, printer.doprint(e)) for s, e in variant.definitions if s in needed)
    value = printer.doprint(variant.value)
    expressions = [sympy.sympify(variant.value), *(sympy.sympify(e) for s, e in variant.definitions if s in needed)]
    used = set().union(*(e.free_symbols for e in expressions))
    used |= {base for e in expressions for base in e.atoms(sympy.IndexedBase)}
    if spec.length in used:
        used |= {a.symbol for a in spec.list_arguments if a.length == spec.length}
    arguments = [
        a.argument for a in spec.arguments if isinstance(a, (Hyperparameter, ListArgument)) and a.symbol in used
    ]
    if spec.then is not None:
        arguments.append("target")
    labels = [f"{c.argument}={w!r}" for c, w in zip(spec.choices, variant.selection)]
    return KernelModel(
        name=variant.name,
        selection=", ".join(labels) or "the only form",
        arguments=arguments,
        lines=lines,
        value=value,
        helpers=tuple(sorted(printer.helpers)),
    )


def _needed_definitions(variant: Variant) -> set:
    """The definitions the value depends on, directly or through other definitions."""
    needed: set = set()
    frontier = set(sympy.sympify(variant.value).free_symbols)
    definitions = dict(variant.definitions)
    while frontier:
        symbol = frontier.pop()
        if symbol in definitions and symbol not in needed:
            needed.add(symbol)
            frontier |= sympy.sympify(definitions[symbol]).free_symbols
    return needed


def argument_model(spec: ScheduleSpec, argument) -> ArgumentModel:
    optional = any(rule.argument == argument.argument for rule in spec.when_none)
    required = argument.default is None and not optional
    fields = [f'"{argument.argument}"']
    if isinstance(argument, Hyperparameter):
        fields += ['"number"', f"required={required}", f"default={argument.default!r}", f"optional={optional}"]
        fields += _domain_fields(argument.domain)
    elif isinstance(argument, ListArgument):
        fields += ['"list"', "required=True", f"increasing={argument.increasing}"]
        if argument.length != spec.length:
            base = next(a for a in spec.list_arguments if a.length == spec.length)
            offset = int(sympy.expand(argument.length - spec.length))
            fields += [f'length_of="{base.argument}"', f"length_offset={offset}"]
    else:
        fields += ['"schedule"', "required=True"]
    return ArgumentModel(argument.argument, required, repr(argument.default), ", ".join(fields))


def _domain_fields(domain: sympy.Set) -> list[str]:
    if isinstance(domain, sympy.Range):
        return [f"lower={float(domain.inf)!r}", "lower_open=False", "integer=True"]
    return [
        f"lower={_float_text(domain.inf)}",
        f"upper={_float_text(domain.sup)}",
        f"lower_open={bool(domain.left_open)}",
        f"upper_open={bool(domain.right_open)}",
    ]


def _float_text(value: sympy.Expr) -> str:
    number = float(value)
    if math.isinf(number):
        return "math.inf" if number > 0 else "-math.inf"
    return repr(number)


def choice_model(choice) -> ArgumentModel:
    options = ", ".join(repr(case.when) for case in choice.cases)
    runtime = f'"{choice.argument}", "choice", required=False, default={choice.default!r}, choices=({options},)'
    return ArgumentModel(choice.argument, False, repr(choice.default), runtime)


def when_none_model(spec: ScheduleSpec, rule) -> WhenNoneModel:
    names = {a.symbol: f'config["{a.argument}"]' for a in spec.scalar_arguments}
    printer = PreludePrinter(names)
    lines = []
    for symbol, expression in rule.assign.items():
        argument = next(a.argument for a in spec.scalar_arguments if a.symbol == symbol)
        lines.append(Line(argument, printer.doprint(sympy.sympify(expression))))
    return WhenNoneModel(rule.argument, tuple(lines))


def schedule_module_model(spec: ScheduleSpec) -> ScheduleModuleModel:
    """Everything the module template lays out, as finished strings."""
    all_variants = variants(spec)
    kernels = tuple(kernel_model(spec, variant) for variant in all_variants)
    helpers = tuple(sorted({name for kernel in kernels for name in kernel.helpers}))
    then = "None"
    if spec.then is not None:
        boundary = next(a.argument for a in spec.scalar_arguments if a.symbol == spec.then.boundary)
        then = f'("{spec.then.argument}", "{boundary}")'
    return ScheduleModuleModel(
        spec_name=spec.name,
        class_name=spec.name,
        summary=spec.summary,
        docstring=_docstring(spec),
        helpers=helpers,
        kernels=kernels,
        arguments=tuple(argument_model(spec, a) for a in spec.arguments) + tuple(choice_model(c) for c in spec.choices),
        choices=tuple(c.argument for c in spec.choices),
        selection=tuple((repr(v.selection), v.name) for v in all_variants),
        then=then,
        when_none=tuple(when_none_model(spec, rule) for rule in spec.when_none),
    )


def _docstring(spec: ScheduleSpec) -> tuple[str, ...]:
    lines = [f"{spec.name} ({spec.library} convention), generated from ``{spec.source}``.", ""]
    lines += [spec.summary, "", "Call it with the 0-based step (Keras's ``optimizer.iterations``).", ""]
    lines.append("Arguments:")
    for argument in spec.arguments:
        default = "required" if argument.default is None else f"default {argument.default!r}"
        if any(rule.argument == argument.argument for rule in spec.when_none):
            default = "default None"
        domain = f", in {domain_text(argument.domain)}" if isinstance(argument, Hyperparameter) else ""
        lines.append(f"    {argument.argument}: {argument.description}; {default}{domain}.")
    for choice in spec.choices:
        options = ", ".join(repr(case.when) for case in choice.cases)
        lines.append(f"    {choice.argument}: {choice.description}; one of {options}; default {choice.default!r}.")
    for rule in spec.when_none:
        lines.append(f"If {rule.argument} is None: {rule.description}.")
    if spec.past_the_end:
        lines.append(f"Past the end: {spec.past_the_end}")
    # Indented for the class body; blank lines stay empty (no trailing spaces in the generated file).
    return (lines[0], *(f"    {line}" if line else "" for line in lines[1:]))


def domain_text(domain: sympy.Set) -> str:
    """A domain as people write it: ``(0, inf)``, ``[0, 1]``, ``integers >= 1``."""
    if isinstance(domain, sympy.Range):
        return f"integers >= {domain.inf}"
    left = "(" if domain.left_open else "["
    right = ")" if domain.right_open else "]"
    return f"{left}{_plain(domain.inf)}, {_plain(domain.sup)}{right}"


def _plain(value: sympy.Expr) -> str:
    number = float(value)
    if math.isinf(number):
        return "inf" if number > 0 else "-inf"
    return f"{number:g}"


# ----------------------------------------------------------------------------- stage 4: files


def schedule_module(spec: ScheduleSpec) -> GeneratedFile:
    text = render("schedule.py.jinja", model=schedule_module_model(spec), header=header(spec.source))
    return GeneratedFile(f"schedules/{spec.module_name}.py", text, spec.source)


def schedules_package(registry: Registry) -> GeneratedFile:
    sources = "the specs in specs/schedules/"
    exports = [(spec.module_name, spec.name, spec.aliases) for spec in registry.schedules]
    text = render("schedules_init.py.jinja", header=header(sources), exports=exports)
    return GeneratedFile("schedules/__init__.py", text, sources)


def schedule_files(registry: Registry) -> list[GeneratedFile]:
    """Every generated file for the schedules of ``registry``: modules, package, LaTeX sections, checks."""
    from codegen.schedule_docs import schedule_doc_files
    from codegen.verify.schedule_checks import schedule_check_files

    if not registry.schedules:
        return []
    for spec in registry.schedules:
        validate_schedule(spec, registry)
    modules = [schedule_module(spec) for spec in registry.schedules]
    files = [*modules, schedules_package(registry)]
    files += schedule_doc_files(registry, modules)
    files += schedule_check_files(registry)
    return files


def specs_by_name(registry: Registry) -> dict[str, ScheduleSpec]:
    return {spec.name: spec for spec in registry.schedules}


def call_text(call: Call, numbers: dict, package: str | None = "trainspec") -> str:
    """Python that builds the schedule ``call`` describes, its symbols replaced by ``numbers`` (the class
    qualified by ``package``; bare with None)."""
    parts = []
    for name, value in call.arguments.items():
        parts.append(f"{name}={_value_text(value, numbers, package)}")
    prefix = f"{package}." if package else ""
    return f"{prefix}{call.schedule}({', '.join(parts)})"


def _value_text(value, numbers: dict, package: str | None) -> str:
    if isinstance(value, Call):
        return call_text(value, numbers, package)
    if isinstance(value, sympy.FunctionClass) and value in numbers:
        return call_text(numbers[value], numbers, package)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_value_text(item, numbers, package) for item in value) + "]"
    if isinstance(value, (bool, str)) or value is None:
        return repr(value)
    number = sympy.sympify(value).xreplace(
        {s: exact_number(v) for s, v in numbers.items() if isinstance(s, sympy.Symbol)}
    )
    if not number.is_number:
        raise ValueError(f"no number for {number} in {numbers}")
    return repr(int(number)) if number.is_Integer else repr(float(number))
