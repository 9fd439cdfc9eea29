"""Stage 1 for controllers: check that a spec means something before anything is generated from it.

Every check raises ``SpecError`` naming the spec file and the symbol at fault.
"""

from __future__ import annotations

import numbers

import sympy
from sympy.core.function import AppliedUndef

from codegen.errors import SpecError
from codegen.language.common import Counterpart, Hyperparameter
from codegen.language.controller import ControllerSpec, eta, m
from codegen.validate.schedule import check_name, check_scalar

# Names the generated modules use for themselves; no argument, state or local may take them.
RESERVED_NAMES = frozenset({"metric", "state", "config", "math", "numba", "np", "self", "name"})
# What an update may use besides arithmetic and powers: each has a kernel form and an exact form for the proofs.
FUNCTIONS = (sympy.Max, sympy.Min, sympy.Abs, sympy.Piecewise)


def validate(spec: ControllerSpec) -> ControllerSpec:
    """Return ``spec`` if it is well formed; raise ``SpecError`` naming the file and symbol otherwise."""
    _ControllerChecker(spec).run()
    return spec


class _ControllerChecker:
    def __init__(self, spec: ControllerSpec):
        self.spec = spec

    def fail(self, message: str, symbol: object = None) -> None:
        raise SpecError(self.spec.source, message, spec=self.spec.name, symbol=None if symbol is None else str(symbol))

    def run(self) -> None:
        self.arguments()
        self.state()
        self.update()
        self.choices()
        self.example()
        self.counterparts()

    def _name(self, name: str, what: str, symbol: object = None) -> None:
        check_name(name, what, RESERVED_NAMES, self.fail, symbol)

    def arguments(self) -> None:
        seen: set[str] = set()
        for argument in self.spec.arguments:
            if not isinstance(argument, Hyperparameter):
                self.fail(f"argument {argument!r} is not a Hyperparameter")
            self._name(argument.argument, "argument", argument.symbol)
            if argument.argument in seen:
                self.fail(f"argument {argument.argument!r} is declared twice")
            seen.add(argument.argument)
            check_scalar(argument, self.fail, lambda name, symbol: self._name(name, "symbol", symbol))
        if "learning_rate" not in seen:
            self.fail("a controller needs the argument learning_rate (initial_rate()): the rate it starts from")

    def _arguments(self) -> set:
        return {a.symbol for a in self.spec.arguments}

    def state(self) -> None:
        names = {a.argument for a in self.spec.arguments}
        seen: set = set()
        for state in self.spec.state:
            if not isinstance(state.symbol, sympy.Symbol) or state.symbol in seen:
                self.fail(f"state {state.name!r} needs a symbol of its own", state.symbol)
            seen.add(state.symbol)
            self._name(state.name, "state", state.symbol)
            if state.name in names - {"learning_rate"}:
                self.fail(f"state {state.name!r} has the name of an argument", state.symbol)
            self._initial(state.symbol, state.initial)
        if eta not in seen:
            self.fail("a controller's state must hold the rate eta, starting at learning_rate", eta)

    def _initial(self, symbol: sympy.Symbol, initial: object) -> None:
        if isinstance(initial, bool) or not isinstance(initial, (numbers.Real, sympy.Basic)):
            self.fail(f"the initial value of {symbol} must be a number or an expression of the arguments", symbol)
        value = sympy.sympify(initial)
        if value in (sympy.oo, -sympy.oo):
            return
        unknown = value.free_symbols - self._arguments()
        if unknown:
            self.fail(
                f"the initial value of {symbol} reads {sorted(map(str, unknown))}, which are no arguments", symbol
            )

    def update(self) -> None:
        states = set(self.spec.state_symbols)
        known = self._arguments() | states | {m}
        assigned: set = set()
        for lhs, rhs in self.spec.update:
            if not isinstance(lhs, sympy.Symbol):
                self.fail(f"the left-hand side of an assignment must be a symbol, got {lhs!r}")
            if lhs in self._arguments() or lhs == m:
                self.fail(f"{lhs} is an argument or the metric: it cannot be assigned", lhs)
            self._name(lhs.name, "assigned symbol", lhs)
            self._expression(lhs, sympy.sympify(rhs), known)
            known.add(lhs)
            assigned.add(lhs)
        if eta not in assigned:
            self.fail("the update never assigns the rate eta", eta)

    def _expression(self, lhs: sympy.Symbol, rhs: sympy.Basic, known: set) -> None:
        unknown = rhs.free_symbols - known
        if unknown:
            names = ", ".join(sorted(map(str, unknown)))
            self.fail(
                f"the assignment of {lhs} reads {names}: neither an argument, the metric m, state, nor assigned before",
                lhs,
            )
        for applied in rhs.atoms(AppliedUndef):
            self.fail(f"the assignment of {lhs} calls {applied}, which has no kernel form", lhs)
        for node in sympy.preorder_traversal(rhs):
            if isinstance(node, sympy.Function) and not isinstance(node, FUNCTIONS):
                allowed = ", ".join(f.__name__ for f in FUNCTIONS)
                self.fail(f"the assignment of {lhs} uses {node.func}; a controller may use {allowed}", lhs)
        if isinstance(rhs, sympy.Piecewise) and rhs.args[-1].cond is not sympy.true:
            self.fail(f"the Piecewise assigned to {lhs} needs a last branch (value, True)", lhs)

    def choices(self) -> None:
        names = {a.argument for a in self.spec.arguments}
        replaceable = set(self.spec.locals) | set(self.spec.state_symbols)
        for choice in self.spec.choices:
            self._name(choice.argument, "choice")
            if choice.argument in names:
                self.fail(f"choice {choice.argument!r} has the name of an argument")
            whens = [case.when for case in choice.cases]
            if len({(type(w), w) for w in whens}) != len(whens) or choice.default not in whens:
                self.fail(f"choice {choice.argument!r} needs distinct cases, its default among them")
            for case in choice.cases:
                for symbol, value in case.define.items():
                    if symbol not in replaceable:
                        self.fail(
                            f"case {case.when!r} of {choice.argument!r} replaces {symbol}: no local or state", symbol
                        )
                    if symbol in self.spec.state_symbols:
                        self._initial(symbol, value)

    def example(self) -> None:
        names = {a.argument for a in self.spec.arguments} | {c.argument for c in self.spec.choices}
        for name in self.spec.example.arguments:
            if name not in names:
                self.fail(f"the example sets {name!r}, which is neither an argument nor a choice")
        for argument in self.spec.arguments:
            if argument.default is None and argument.argument not in self.spec.example.arguments:
                self.fail(f"the example must set the required argument {argument.argument!r}")
        metrics = self.spec.example.metrics
        if len(metrics) < 2 or not all(isinstance(x, numbers.Real) and not isinstance(x, bool) for x in metrics):
            self.fail("the example's metrics must be two or more numbers")

    def counterparts(self) -> None:
        names = {a.argument for a in self.spec.arguments} | {c.argument for c in self.spec.choices}
        for counterpart in self.spec.counterparts:
            if not isinstance(counterpart, Counterpart) or "." not in counterpart.name:
                self.fail(f"counterpart {counterpart!r} must be a Counterpart with an import path as its name")
            for keyword_, value in counterpart.arguments:
                if isinstance(value, str) and value not in names:
                    self.fail(f"{counterpart.name}'s {keyword_} names {value!r}, neither an argument nor a choice")
                if isinstance(value, sympy.Basic) and value.free_symbols - self._arguments():
                    self.fail(f"{counterpart.name}'s {keyword_} reads symbols that are no arguments: {value}")
