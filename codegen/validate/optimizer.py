"""Stage 1 for optimizers: check that a spec means something before anything is generated from it.

Every check raises ``SpecError`` naming the spec file and the symbol at fault,
so a bad spec stops the build before a single file is written.
"""

from __future__ import annotations

import keyword
import numbers

import sympy
from sympy.core.function import Application, AppliedUndef
from sympy.core.relational import Relational
from sympy.logic.boolalg import Boolean

from codegen.errors import SpecError
from codegen.language.optimizer import (
    FUNCTIONS,
    ROLE_SYMBOLS,
    OptimizerSpec,
    eta,
    g,
    starts_as_parameter,
    t,
    tensor_sum,
    w,
)
from codegen.language.relations import Equivalence, ScaleInvariance, Unbiased
from codegen.load import Registry

# Names the generated kernels use for themselves; a spec symbol may not take them.
RESERVED_NAMES = frozenset({"param", "grad", "i", "math", "numba", "np", "numpy"})


def validate(spec: OptimizerSpec, registry: Registry) -> OptimizerSpec:
    """Return ``spec`` unchanged if it is well formed; raise ``SpecError`` otherwise."""
    check = _Checker(spec)
    check.structure()
    check.names()
    check.hyperparameters()
    check.state()
    check.update()
    check.unused()
    check.options()
    check.constraints()
    _check_relation_names(spec, registry)
    return spec


def warnings(spec: OptimizerSpec) -> tuple[str, ...]:
    """What ``spec`` allows that no user wants, though it builds: a value that is not a finite number after one step
    with a zero gradient.

    A zero gradient on the first step is what a frozen layer or an unused embedding row gets; a division by the
    root of a moment that starts at 0 with no ε then gives 0/0. The update runs once as declared (every flag on, an
    option its hyperparameter's default switches off off), from the initial state, hyperparameters at their
    defaults, on a one-element tensor.
    """
    scope: dict = {w: sympy.Integer(1), g: sympy.Integer(0), t: sympy.Integer(1)}
    scope.update({h.symbol: sympy.sympify(h.default) for h in spec.hyperparameters})
    scope.update({s.symbol: sympy.sympify(s.initial).xreplace(scope) for s in spec.state})
    update = spec.update
    defaults = {h.argument: h.default for h in spec.hyperparameters}
    for option in spec.options:
        # An option at its default off value is off: its general form may divide by that value (a warmup's t/W).
        if option.kind != "flag" and defaults.get(option.argument) == option.off_value:
            update = option.switched_off(update)
    for lhs, rhs in update:
        try:
            # A sum over a one-element tensor is its term: taken first, so that Max and Min meet numbers.
            value = sympy.sympify(rhs).replace(tensor_sum, lambda term: term).xreplace(scope)
        except (ValueError, TypeError):  # SymPy will not compare an infinity it met inside Max or Min: not finite
            value = sympy.zoo
        if not value.is_finite:
            return (
                f"{spec.source}: {spec.name}: symbol {str(lhs)!r}: with a zero gradient at the first step (the state "
                f"as it starts, hyperparameters at their defaults) {lhs} is {value}: a frozen or unused parameter "
                "would turn NaN. Add an ε, or guard the division with a Piecewise.",
            )
        scope[lhs] = value
    return ()


def _check_relation_names(spec: OptimizerSpec, registry: Registry) -> None:
    """A relation's name names its generated test: one relation per name in the whole registry."""
    relations = [r for r in registry.relations if isinstance(r, Equivalence | Unbiased | ScaleInvariance)]
    elsewhere = {}
    for relation in relations:
        if relation.source != spec.source:
            elsewhere.setdefault(relation.name, relation.source)
    own = [relation for relation in relations if relation.source == spec.source]
    for index, relation in enumerate(own):
        taken = elsewhere.get(relation.name) or (
            spec.source if relation.name in {r.name for r in own[:index]} else None
        )
        if taken:
            raise SpecError(spec.source, f"relation name {relation.name!r} is already used in {taken}", spec=spec.name)


class _Checker:
    def __init__(self, spec: OptimizerSpec):
        self.spec = spec
        self.hyper = {h.symbol for h in spec.hyperparameters}
        self.states = {s.symbol for s in spec.state}
        self.assigned = [lhs for lhs, _ in spec.update]
        self.locals = {lhs for lhs in self.assigned if lhs not in self.states and lhs != w}

    def fail(self, message: str, symbol: object = None) -> None:
        name = None if symbol is None else str(symbol)
        raise SpecError(self.spec.source, message, spec=self.spec.name, symbol=name)

    def structure(self) -> None:
        """Symbols where symbols belong and numbers where numbers belong, which the later checks rely on."""
        for position, (lhs, rhs) in enumerate(self.spec.update):
            if not isinstance(lhs, sympy.Symbol):
                self.fail(f"the left-hand side of assignment {position + 1} is not a symbol", lhs)
            if isinstance(rhs, bool) or (isinstance(rhs, Boolean) and not isinstance(rhs, sympy.Expr)):
                self.fail(f"the assignment to {lhs} is a condition, not a value; branch on it with Piecewise", lhs)
            if not isinstance(rhs, (numbers.Real, sympy.Expr)):
                self.fail(f"the right-hand side of the assignment to {lhs} is not an expression: {rhs!r}", lhs)
        for h in self.spec.hyperparameters:
            if not isinstance(h.symbol, sympy.Symbol):
                self.fail(f"hyperparameter {h.argument!r} must be declared with a symbol", h.symbol)
            if h.default is None:
                self.fail(f"hyperparameter {h.argument!r} has no default; give it the one its library uses", h.symbol)
            if isinstance(h.default, bool) or not isinstance(h.default, numbers.Real):
                self.fail(f"default {h.default!r} of {h.argument!r} is not a number", h.symbol)
            if not isinstance(h.domain, sympy.Interval):
                example = "Interval(0, oo), Interval.Ropen(0, 1)"
                self.fail(f"the domain of {h.argument!r} is {h.domain!r}, not a SymPy Interval ({example})", h.symbol)
        for s in self.spec.state:
            if not isinstance(s.symbol, sympy.Symbol):
                self.fail(f"state {s.name!r} must be declared with a symbol", s.symbol)
            if s.initial is not None and (
                isinstance(s.initial, bool) or not isinstance(s.initial, (numbers.Real, sympy.Expr))
            ):
                self.fail(f"initial value {s.initial!r} is neither a number nor an expression", s.symbol)

    def names(self) -> None:
        if not self.spec.name.isidentifier():
            self.fail(f"spec name {self.spec.name!r} is not an identifier")
        if not self.spec.module_name.isidentifier() or keyword.iskeyword(self.spec.module_name):
            self.fail(f"module name {self.spec.module_name!r} is not an identifier")
        declared = sorted({*ROLE_SYMBOLS, *self.hyper, *self.states, *self.locals}, key=str)
        for symbol in declared:
            name = symbol.name
            if not name.isidentifier() or keyword.iskeyword(name):
                self.fail("symbol names must be Python identifiers (give a pretty name in latex_names)", symbol)
            if name.startswith("_") or name in RESERVED_NAMES or (name.startswith("k") and name[1:].isdigit()):
                self.fail("this name is reserved for generated code", symbol)
        names = [s.name for s in declared]
        for name in names:
            if names.count(name) > 1:
                self.fail("two different symbols share this name", name)
        arguments = [h.argument for h in self.spec.hyperparameters]
        for argument in arguments:
            if arguments.count(argument) > 1 or not argument.isidentifier():
                self.fail(f"argument name {argument!r} is repeated or not an identifier", argument)
        state_names = [s.name for s in self.spec.state]
        for name in state_names:
            if state_names.count(name) > 1 or not name.isidentifier() or name in RESERVED_NAMES:
                self.fail(f"state name {name!r} is repeated, reserved or not an identifier", name)

    def hyperparameters(self) -> None:
        for h in self.spec.hyperparameters:
            if h.symbol in ROLE_SYMBOLS and h.symbol != eta:
                self.fail("a hyperparameter cannot take the role symbol's place", h.symbol)
            if sympy.sympify(h.default) not in h.domain:
                self.fail(f"default {h.default!r} of {h.argument!r} lies outside its domain {h.domain}", h.symbol)
        if eta not in self.hyper:
            self.fail("every optimizer declares the learning rate (codegen.language.optimizer.learning_rate)", eta)

    def state(self) -> None:
        for s in self.spec.state:
            if s.initial is None:
                self.fail("state has no initial value", s.symbol)
            copied = starts_as_parameter(s.initial)
            if s.scope not in ("parameter", "tensor", "optimizer"):
                self.fail(f"scope {s.scope!r} is none of 'parameter', 'tensor', 'optimizer'", s.symbol)
            if copied and s.scope != "parameter":
                self.fail(f"{s.scope}-wide state cannot start as the parameter, which has many elements", s.symbol)
            stray = sympy.sympify(s.initial).free_symbols - self.hyper
            if stray and not copied:
                self.fail(
                    f"initial value uses {sorted(map(str, stray))}, which are not hyperparameters "
                    "(a state may also start as a copy of the parameter: initial=w)",
                    s.symbol,
                )
            if s.symbol not in self.assigned:
                self.fail("state is never updated", s.symbol)

    def update(self) -> None:
        inputs = {g, t, *self.hyper}
        defined: set[sympy.Symbol] = {w, g, t, *self.hyper, *self.states}
        seen: set[sympy.Symbol] = set()
        if w not in self.assigned:
            self.fail("the update never assigns the parameter", w)
        for position, (lhs, rhs) in enumerate(self.spec.update):
            if not isinstance(lhs, sympy.Symbol):
                self.fail(f"the left-hand side of assignment {position + 1} is not a symbol", lhs)
            if lhs in inputs:
                self.fail("assignment to an input (gradient, step or hyperparameter)", lhs)
            if lhs in seen:
                self.fail("assigned twice; give the intermediate value its own name", lhs)
            for symbol in sorted(sympy.sympify(rhs).free_symbols, key=str):
                if symbol in defined:
                    continue
                if symbol in self.locals:
                    later = self._depends_on(symbol, lhs)
                    reason = "cyclic assignments" if later else "used before it is assigned"
                    self.fail(f"{reason} (in the assignment to {lhs})", symbol)
                self.fail(f"undefined symbol in the assignment to {lhs}", symbol)
            undefined = sorted(sympy.sympify(rhs).atoms(AppliedUndef), key=str)
            if undefined:
                self.fail(f"undefined function {undefined[0].func} in the assignment to {lhs}", undefined[0].func)
            self._functions(lhs, sympy.sympify(rhs))
            if sympy.sympify(rhs).has(sympy.zoo, sympy.nan):
                self.fail(f"the assignment to {lhs} divides by zero or is undefined", lhs)
            seen.add(lhs)
            defined.add(lhs)

    def _functions(self, lhs: sympy.Symbol, rhs: sympy.Basic) -> None:
        """Only functions every backend prints, and branches that are defined everywhere."""
        allowed = ", ".join(f.__name__ for f in FUNCTIONS)
        for applied in sorted(rhs.atoms(Application), key=str):
            if isinstance(applied, (AppliedUndef, *FUNCTIONS, sympy.And, sympy.Or, sympy.Not)):  # conditions: below
                continue
            name = type(applied).__name__
            self.fail(f"{name} (in the assignment to {lhs}) has no kernel form; an update may use {allowed}", name)
        for branch in sorted(rhs.atoms(sympy.Piecewise), key=str):
            if branch.args[-1].cond is not sympy.true:
                self.fail(f"a Piecewise in the assignment to {lhs} has no last (value, True): undefined", lhs)
            for pair in branch.args:
                self._condition(lhs, pair.cond)

    def _condition(self, lhs: sympy.Symbol, condition: sympy.Basic) -> None:
        if condition is sympy.true or isinstance(condition, Relational):
            return
        if isinstance(condition, (sympy.And, sympy.Or, sympy.Not)):
            for part in condition.args:
                self._condition(lhs, part)
            return
        self.fail(f"the condition {condition} (in the assignment to {lhs}) is not a comparison", lhs)

    def _depends_on(self, local: sympy.Symbol, target: sympy.Symbol) -> bool:
        """Whether ``local``'s definition reads ``target``, directly or through other locals."""
        definitions = dict(self.spec.update)
        pending, visited = [local], set()
        while pending:
            symbol = pending.pop()
            if symbol in visited or symbol not in definitions:
                continue
            visited.add(symbol)
            reads = sympy.sympify(definitions[symbol]).free_symbols
            if target in reads:
                return True
            pending.extend(reads & self.locals)
        return False

    def unused(self) -> None:
        read = set().union(*(sympy.sympify(rhs).free_symbols for _, rhs in self.spec.update))
        read |= set().union(*(sympy.sympify(s.initial).free_symbols for s in self.spec.state))
        for symbol in sorted(self.hyper | self.states | self.locals, key=str):
            if symbol not in read:
                self.fail("declared or assigned but never used", symbol)

    def options(self) -> None:
        arguments = {h.argument for h in self.spec.hyperparameters}
        seen: set[str] = set()
        for option in self.spec.options:
            if option.argument in seen:
                self.fail(f"option {option.argument!r} is declared twice", option.argument)
            seen.add(option.argument)
            if option.kind != "flag" and option.argument not in arguments:
                self.fail(f"option {option.argument!r} must name a hyperparameter", option.argument)
            if option.kind != "flag":
                hyperparameter = self.spec.hyperparameter(option.argument)
                domain = hyperparameter.domain
                if sympy.sympify(option.off_value) not in domain:
                    self.fail(f"option value {option.off_value!r} lies outside {domain}", option.argument)
                # The off form runs when the argument is off_value: where it sets the argument's symbol, to that value.
                set_to = option.when_off.get(hyperparameter.symbol)
                if set_to is not None and not _is_number(set_to, option.off_value):
                    self.fail(
                        f"option {option.argument!r}: its off form runs when {option.argument} = {option.off_value:g}, "
                        f"but sets {hyperparameter.symbol} to {set_to}",
                        option.argument,
                    )
            if option.kind == "flag" and option.argument in arguments:
                self.fail(f"flag {option.argument!r} clashes with a hyperparameter", option.argument)
            targets = set(option.applies_to) or set(self.assigned)
            changed = any(
                sympy.sympify(rhs).subs(option.when_off) != rhs for lhs, rhs in self.spec.update if lhs in targets
            )
            if not changed:
                self.fail(f"option {option.argument!r}: its substitution changes nothing", option.argument)

    def constraints(self) -> None:
        flags = {o.argument for o in self.spec.options if o.kind == "flag"}
        for constraint in self.spec.constraints:
            stray = sympy.sympify(constraint.condition).free_symbols - self.hyper
            if stray:
                self.fail("a constraint may use only hyperparameters", sorted(stray, key=str)[0])
            if constraint.when is not None and constraint.when not in flags:
                self.fail(f"constraint {constraint.message!r}: when={constraint.when!r} is not a flag", constraint.when)


def _is_number(value: object, number: float) -> bool:
    """Whether ``value`` is the number ``number`` (SymPy's Integer 0 and Float 0.0 compare unequal)."""
    value = sympy.sympify(value)
    return value.is_number and float(value) == number
