"""Stage 1 for schedules: check that a spec means something before anything is generated from it.

Every check raises ``SpecError`` naming the spec file and the symbol at fault.
"""

from __future__ import annotations

import keyword
import numbers

import sympy

from codegen.errors import SpecError
from codegen.language.common import Hyperparameter, exact
from codegen.language.schedule import ListArgument, ScheduleArgument, ScheduleSpec, k
from codegen.load import Registry

# Names the generated modules use for themselves; no argument or definition may take them.
RESERVED_NAMES = frozenset(
    {"step", "steps", "out", "index", "name", "target", "config", "math", "numba", "np", "floor_log", "self"}
)


def validate(spec: ScheduleSpec, registry: Registry) -> ScheduleSpec:
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
            if not domain.contains(exact(default)):
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
