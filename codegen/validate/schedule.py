"""Stage 1 for schedules: check that a spec means something before anything is generated from it.

Every check raises ``SpecError`` naming the spec file and the symbol at fault.
"""

from __future__ import annotations

import keyword
import numbers
from collections.abc import Callable

import sympy

from codegen.errors import SpecError
from codegen.language.common import Counterpart, Hyperparameter, exact
from codegen.language.schedule import Call, Each, ListArgument, ScheduleArgument, ScheduleCounterpart, ScheduleSpec, k
from codegen.load import Registry

# Names the generated modules use for themselves; no argument or definition may take them.
RESERVED_NAMES = frozenset(
    {"step", "steps", "out", "index", "name", "target", "config", "math", "numba", "np", "floor_log", "self"}
)


def validate(spec: ScheduleSpec, registry: Registry) -> ScheduleSpec:
    """Return ``spec`` if it is well formed; raise ``SpecError`` naming the file and symbol otherwise."""
    _ScheduleChecker(spec, {s.name: s for s in registry.schedules}).run()
    return spec


def check_name(
    name: str, what: str, reserved: frozenset[str], fail: Callable[..., None], symbol: object = None
) -> None:
    """``name`` must be usable as a Python name in a generated module: no keyword, none the module takes itself."""
    if not name.isidentifier() or keyword.iskeyword(name) or name in reserved:
        fail(f"{what} {name!r} is not usable as a Python name (or is reserved)", symbol)


def check_scalar(
    argument: Hyperparameter, fail: Callable[..., None], check_name: Callable[[str, object], None]
) -> None:
    """A scalar argument of a schedule or a controller: a symbol with a usable name (``check_name``), an
    Interval or Range(a, oo) domain, a number default inside it, a typical range inside it; ``fail`` otherwise."""
    if not isinstance(argument.symbol, sympy.Symbol):
        fail(f"argument {argument.argument!r} must be declared with a symbol", argument.symbol)
    check_name(argument.symbol.name, argument.symbol)
    domain = argument.domain
    if isinstance(domain, sympy.Range):
        if domain.step != 1 or not domain.inf.is_Integer or domain.sup is not sympy.oo:
            fail(f"integer domain of {argument.argument!r} must be Range(a, oo)", argument.symbol)
    elif not isinstance(domain, sympy.Interval):
        fail(f"domain of {argument.argument!r} must be an Interval or Range(a, oo)", argument.symbol)
    default = argument.default
    if default is not None:
        if isinstance(default, bool) or not isinstance(default, numbers.Real):
            fail(f"default {default!r} of {argument.argument!r} is not a number", argument.symbol)
        if not domain.contains(exact(default)):
            fail(f"default {default!r} of {argument.argument!r} is outside {domain}", argument.symbol)
    typical = argument.typical
    if typical is not None:
        if not (typical.low < typical.high and (typical.low > 0 or not typical.log)):
            fail(f"typical range of {argument.argument!r} must have low < high (and low > 0 if log)")
        inside = domain.contains(exact(typical.low)) and domain.contains(exact(typical.high))
        if not typical.per_run and not inside:
            fail(f"typical range of {argument.argument!r} is not inside {domain}", argument.symbol)


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
        self.counterparts()

    def _name(self, name: str, what: str, symbol: object = None) -> None:
        check_name(name, what, RESERVED_NAMES, self.fail, symbol)

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
            elif argument.length is not None:
                self._sized(argument)

    def _none_allowed(self, name: str) -> bool:
        return any(rule.argument == name for rule in self.spec.when_none)

    def _scalar(self, argument: Hyperparameter) -> None:
        check_scalar(argument, self.fail, lambda name, symbol: self._name(name, "symbol", symbol))

    def _list(self, argument: ListArgument) -> None:
        if not isinstance(argument.symbol, sympy.IndexedBase):
            self.fail(f"list argument {argument.argument!r} must be declared with an IndexedBase", argument.symbol)
        self._sized(argument)

    def _sized(self, argument: ListArgument | ScheduleArgument) -> None:
        """A list, of numbers or of schedules: its length is the length symbol's plus a whole number."""
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
        then, join = self.spec.then, self.spec.join
        for applied in sympy.sympify(expression).atoms(sympy.core.function.AppliedUndef):
            if join is not None and applied.func == join.function and len(applied.args) == 2:
                continue
            if then is None or applied.func != then.function or applied.args != (0,):
                allowed = f"{join.function}(j, s)" if join is not None else "the following schedule's first value f(0)"
                self.fail(f"{where} calls {applied}; only {allowed} may appear")

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
        if self.spec.join is not None:
            self._join(schedule_arguments)
            return
        if then is None:
            if schedule_arguments:
                self.fail("a schedule argument needs a Then or Join composition")
            return
        if schedule_arguments[0].length is not None:
            self.fail(f"Then.argument {then.argument!r} must be one schedule, not a list (a list is a Join's)")
        if [a.argument for a in schedule_arguments] != [then.argument]:
            self.fail(f"Then.argument {then.argument!r} must be the spec's one schedule argument")
        boundary = [a for a in self.spec.scalar_arguments if a.symbol == then.boundary]
        if not boundary or not isinstance(boundary[0].domain, sympy.Range):
            self.fail("Then.boundary must be an integer argument (a Range domain)", then.boundary)

    def _join(self, schedule_arguments: list[ScheduleArgument]) -> None:
        join = self.spec.join
        if self.spec.then is not None or self.spec.choices:
            self.fail("a Join has no formula of its own to combine with a Then or with choices")
        if [(a.argument, a.length is not None) for a in schedule_arguments] != [(join.schedules, True)]:
            self.fail(f"Join.schedules {join.schedules!r} must be the spec's one argument that is a list of schedules")
        boundaries = [a for a in self.spec.list_arguments if a.argument == join.boundaries]
        if not boundaries or not (boundaries[0].integer and boundaries[0].increasing):
            self.fail(f"Join.boundaries {join.boundaries!r} must be a list argument of increasing whole numbers")
        if sympy.expand(schedule_arguments[0].length - boundaries[0].length) != 1:
            self.fail(f"{join.schedules!r} must have one schedule more than {join.boundaries!r} has boundaries")
        calls = sympy.sympify(self.spec.value).atoms(sympy.core.function.AppliedUndef)
        if {applied.func for applied in calls} != {join.function}:
            self.fail(f"a Join's value is {join.function}(j, s): the schedule in effect at its own step")

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

    def counterparts(self) -> None:
        """Each counterpart names what it reads: arguments and choices that exist, symbols that have values."""
        for counterpart in self.spec.counterparts:
            if not isinstance(counterpart, Counterpart) or "." not in counterpart.name:
                self.fail(f"counterpart {counterpart!r} must be a Counterpart with an import path as its name")
            known = self._known() - {k} | self._pins(counterpart)
            for _, value in counterpart.arguments:
                self._counterpart_value(value, known, counterpart.name)
            if isinstance(counterpart, ScheduleCounterpart) and counterpart.horizon is not None:
                self._counterpart_value(counterpart.horizon, known, counterpart.name)

    def _pins(self, counterpart: Counterpart) -> set:
        """Check ``requires``; the symbols a following schedule's pattern binds."""
        choices = {c.argument: c for c in self.spec.choices}
        bound: set = set()
        for name, value in counterpart.requires:
            argument = None if name in choices else self._argument_named(name, counterpart.name)
            if name in choices:
                if not any(case.when == value and type(case.when) is type(value) for case in choices[name].cases):
                    self.fail(f"{counterpart.name} pins {name}={value!r}, which is not one of its cases")
            elif isinstance(argument, ScheduleArgument):
                patterns = value if argument.length is not None and isinstance(value, tuple) else (value,)
                for pattern in patterns:
                    if not isinstance(pattern, Call) or pattern.schedule not in self.specs:
                        self.fail(f"{counterpart.name} pins {name} to {value!r}, not a Call of a registered schedule")
                    if not all(isinstance(symbol, sympy.Symbol) for symbol in pattern.arguments.values()):
                        self.fail(f"{counterpart.name}: the pattern for {name} must give each argument as a symbol")
                    bound |= set(pattern.arguments.values())
            elif value is None and not self._none_allowed(name):
                self.fail(f"{counterpart.name} pins {name} to None, which it does not allow")
        known = self._known() - {k} | bound
        schedules = {a.argument for a in self.spec.arguments if isinstance(a, ScheduleArgument)}
        for name, value in counterpart.requires:
            if name not in {*choices, *schedules} and value is not None:
                self._counterpart_value(value, known, counterpart.name)
        return bound

    def _argument_named(self, name: str, where: str):
        try:
            return self.spec.argument(name)
        except KeyError:
            self.fail(f"{where} names {name!r}, which is neither an argument nor a choice")

    def _counterpart_value(self, value: object, known: set, where: str) -> None:
        if isinstance(value, Counterpart):
            for _, item in value.arguments:
                self._counterpart_value(item, known, where)
        elif isinstance(value, tuple):
            for item in value:
                self._counterpart_value(item, known, where)
        elif isinstance(value, Each):
            if not isinstance(self._argument_named(value.over, where), ListArgument):
                self.fail(f"{where}: Each runs over {value.over!r}, which is not a list argument")
            self._counterpart_value(value.element, known | {value.index}, where)
        elif isinstance(value, str):
            if value not in {c.argument for c in self.spec.choices}:
                self._argument_named(value, where)
        elif isinstance(value, sympy.Basic):
            labels = {s.label for s in known if isinstance(s, sympy.IndexedBase)}
            for symbol in value.free_symbols - known - labels:
                if not isinstance(symbol, sympy.Indexed):
                    self.fail(f"{where} reads {symbol}, which is neither an argument nor bound by a pattern", symbol)
