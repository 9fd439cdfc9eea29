"""The schedule spec model: what a file in ``specs/schedules/`` declares.

A learning-rate schedule is a function of the 0-based step ``k`` (Keras
passes ``optimizer.iterations``, which is 0 on the first update). A spec
gives it as ordered *definitions* (intermediate quantities such as the
completed fraction ``p = k/D``) and a *value* written with them, all SymPy
expressions: ``floor``, ``ceiling``, ``Min`` and ``Piecewise`` carry the
steps, boundaries and clamps.

Three things need more than one expression, and each is data here:

- ``Choice``: an argument that selects one form of the value (Keras's
  ``staircase``, PyTorch's ``mode``). Each case redefines some definitions;
  every combination of cases is a variant with its own generated kernel.
- ``WhenNone``: an argument whose ``None`` stands for values of other
  arguments (CosineDecay without ``warmup_target``; CyclicLR's
  ``step_size_down``).
- ``ListArgument``: a list-valued argument (PiecewiseConstantDecay's
  ``boundaries`` and ``values``). The spec is written for any length with
  ``IndexedBase`` symbols and a length symbol, and the kernel takes arrays:
  one expression, every length, nothing rebuilt per call.

A schedule that runs *in front of* another (a warmup) is a composition,
declared with ``Then``: for ``k`` below a boundary the spec's own value
applies, and from the boundary on the following schedule runs, re-based to
start at its own step 0 (Optax's ``join_schedules`` rule). The following
schedule is the undefined function ``f`` in the spec's expressions, so the
composition is still one SymPy expression (``full_value``) for the docs and
the checks, while each part is evaluated by its own generated kernel.

A schedule that is a special case of another records the substitution in
``derived_from``; the docs print "special case of" from it and a generated
check proves it.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

import sympy

from codegen.spec import Hyperparameter

k = sympy.Symbol("k", integer=True, nonnegative=True)
"""The 0-based step: ``k = 0`` on the first update (Keras ``optimizer.iterations``)."""


@dataclass(frozen=True)
class ListArgument:
    """A list-valued argument: ``symbol[i]`` for ``i`` in ``0 .. length - 1``.

    ``length`` is an expression of the spec's length symbol (``n`` for the
    boundaries, ``n + 1`` for the values). ``increasing`` requires strictly
    increasing elements. Elements must be finite real numbers.
    """

    symbol: sympy.IndexedBase
    argument: str
    length: sympy.Expr
    description: str
    increasing: bool = False
    default: None = None


@dataclass(frozen=True)
class ScheduleArgument:
    """An argument that is itself a schedule (the one that follows a warmup)."""

    argument: str
    description: str
    default: None = None


@dataclass(frozen=True)
class Case:
    """One value of a ``Choice``: ``when`` is the argument value, ``define`` the definitions it replaces.

    A key of ``define`` that is an argument symbol is substituted everywhere
    instead, and the argument is then not passed to that variant's kernel.
    ``label`` names the variant (appended to the kernel name; empty for the
    default case).
    """

    when: Any
    label: str
    define: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Choice:
    """An argument that picks one of several forms of the value."""

    argument: str
    cases: tuple[Case, ...]
    default: Any
    description: str

    def case(self, value: Any) -> Case:
        for case in self.cases:
            if case.when == value and type(case.when) is type(value):
                return case
        raise KeyError(f"{self.argument}={value!r} is not one of {[c.when for c in self.cases]}")


@dataclass(frozen=True)
class WhenNone:
    """An optional argument whose ``None`` means: these arguments take these values instead.

    ``assign`` maps argument symbols to expressions of other arguments,
    e.g. CyclicLR's ``{step_size_down: step_size_up}``.
    """

    argument: str
    assign: dict
    description: str


@dataclass(frozen=True)
class Then:
    """The schedule given as ``argument`` follows this one from step ``boundary`` on, re-based to its step 0.

    ``function`` is the undefined SymPy function that stands for it in the
    spec's expressions; ``function(0)``, its first value, is the target a
    warmup ramps to.
    """

    argument: str
    function: sympy.FunctionClass
    boundary: sympy.Expr


@dataclass(frozen=True)
class Derivation:
    """This schedule is ``parent`` with some of its arguments replaced.

    ``arguments`` maps a parent argument name to an expression of this
    spec's symbols; every other parent argument is this spec's argument of
    the same name, and so is every choice.
    """

    parent: str
    arguments: dict
    note: str = ""


@dataclass(frozen=True)
class Example:
    """Argument values for the plot in the docs and for numeric checks (Keras names)."""

    arguments: dict
    steps: int


@dataclass(frozen=True)
class ScheduleSpec:
    """One learning-rate schedule, declared once."""

    kind: ClassVar[str] = "schedule"
    name: str
    aliases: tuple[str, ...]
    summary: str
    arguments: tuple[Hyperparameter | ListArgument | ScheduleArgument, ...]
    definitions: tuple[tuple[sympy.Symbol, sympy.Expr], ...]
    value: sympy.Expr
    example: Example
    choices: tuple[Choice, ...] = ()
    when_none: tuple[WhenNone, ...] = ()
    then: Then | None = None
    length: sympy.Symbol | None = None
    derived_from: Derivation | None = None
    past_the_end: str = ""
    library: str = "Keras 3"
    references: tuple[str, ...] = ()
    conventions: tuple[tuple[str, str], ...] = ()
    latex_names: dict = field(default_factory=dict)
    source: str = "<unknown>"

    @property
    def module_name(self) -> str:
        """The snake_case name of the generated module (``CosineDecay`` → ``cosine_decay``)."""
        return self.aliases[0] if self.aliases else self.name.lower()

    def argument(self, name: str) -> Hyperparameter | ListArgument | ScheduleArgument:
        for argument in self.arguments:
            if argument.argument == name:
                return argument
        raise KeyError(f"{self.name} has no argument {name!r}")

    @property
    def scalar_arguments(self) -> tuple[Hyperparameter, ...]:
        return tuple(a for a in self.arguments if isinstance(a, Hyperparameter))

    @property
    def list_arguments(self) -> tuple[ListArgument, ...]:
        return tuple(a for a in self.arguments if isinstance(a, ListArgument))

    def symbol_of(self, name: str) -> sympy.Basic:
        argument = self.argument(name)
        if isinstance(argument, ScheduleArgument):
            raise KeyError(f"{self.name}: {name!r} is a schedule, not a symbol")
        return argument.symbol


@dataclass(frozen=True)
class Variant:
    """One combination of choice cases: the definitions and value with those cases applied."""

    name: str
    selection: tuple[Any, ...]
    labels: tuple[str, ...]
    definitions: tuple[tuple[sympy.Symbol, sympy.Expr], ...]
    value: sympy.Expr


def variants(spec: ScheduleSpec) -> tuple[Variant, ...]:
    """Every variant of ``spec``, the default cases first, in the order the choices list their cases."""
    combos = itertools.product(*(choice.cases for choice in spec.choices))
    return tuple(apply_cases(spec, combo) for combo in combos)


def variant_for(spec: ScheduleSpec, selection: dict[str, Any]) -> Variant:
    """The variant for choice values given by argument name (defaults for the others)."""
    cases = tuple(choice.case(selection.get(choice.argument, choice.default)) for choice in spec.choices)
    return apply_cases(spec, cases)


def apply_cases(spec: ScheduleSpec, cases: tuple[Case, ...]) -> Variant:
    defined = {symbol for symbol, _ in spec.definitions}
    redefine: dict = {}
    substitute: dict = {}
    for case in cases:
        for symbol, expression in case.define.items():
            (redefine if symbol in defined else substitute)[symbol] = sympy.sympify(expression)
    definitions = tuple(
        (symbol, sympy.sympify(redefine.get(symbol, expression)).xreplace(substitute))
        for symbol, expression in spec.definitions
    )
    labels = tuple(case.label for case in cases)
    name = "_".join([spec.module_name, *(label for label in labels if label)])
    return Variant(
        name=name,
        selection=tuple(case.when for case in cases),
        labels=labels,
        definitions=definitions,
        value=sympy.sympify(spec.value).xreplace(substitute),
    )


def log_ratio(expression: sympy.Expr) -> tuple[sympy.Expr, sympy.Expr] | None:
    """``(x, b)`` when ``expression`` is ``log(x)/log(b)``."""
    if not isinstance(expression, sympy.Mul) or len(expression.args) != 2:
        return None
    logs = [a for a in expression.args if isinstance(a, sympy.log)]
    inverse = [a for a in expression.args if a.is_Pow and a.exp == -1 and isinstance(a.base, sympy.log)]
    if len(logs) == 1 and len(inverse) == 1:
        return logs[0].args[0], inverse[0].base.args[0]
    return None


def inline(definitions: tuple[tuple[sympy.Symbol, sympy.Expr], ...], value: sympy.Expr) -> sympy.Expr:
    """``value`` with every definition substituted, latest first: one expression of ``k`` and the arguments."""
    expression = sympy.sympify(value)
    for symbol, definition in reversed(definitions):
        expression = expression.xreplace({symbol: definition})
    return expression


def full_value(spec: ScheduleSpec, variant: Variant | None = None, unset: frozenset[str] = frozenset()) -> sympy.Expr:
    """The schedule as one SymPy expression of ``k``: definitions inlined, ``None`` rules and ``Then`` applied.

    ``unset`` names the ``WhenNone`` arguments left as ``None``. A ``Then``
    composition comes back as ``Piecewise((own value, k < boundary),
    (f(k - boundary), True))`` with the following schedule as ``f``.
    """
    variant = variant or variants(spec)[0]
    expression = inline(variant.definitions, variant.value)
    for rule in spec.when_none:
        if rule.argument in unset:
            expression = expression.xreplace({s: sympy.sympify(e) for s, e in rule.assign.items()})
    if spec.then is not None:
        boundary = spec.then.boundary
        expression = sympy.Piecewise((expression, k < boundary), (spec.then.function(k - boundary), True))
    return expression


# ----------------------------------------------------------------------------- relations


@dataclass(frozen=True)
class Call:
    """A schedule with argument values: numbers, symbols, expressions, lists, or another ``Call``."""

    schedule: str
    arguments: dict


StepsRule = Callable[[dict], range]


@dataclass(frozen=True)
class Identity:
    """``lhs`` and ``rhs`` are the same schedule.

    ``steps=None``: proven for a symbolic step ``k`` (every step). Otherwise
    proven exactly at every step of ``steps(instance)`` for each instance of
    ``instances`` (values for the symbols that floor, Min and Piecewise
    need as numbers), with the remaining symbols left symbolic.
    ``example`` gives numbers for the remaining symbols, for the numeric
    confirmation on the generated kernels.
    """

    name: str
    description: str
    lhs: Call
    rhs: Call
    example: dict
    steps: StepsRule | None = None
    instances: tuple[dict, ...] = ({},)
    source: str = "<unknown>"


@dataclass(frozen=True)
class Periodic:
    """``value(k + period) = value(k)`` for a symbolic step ``k``."""

    name: str
    description: str
    call: Call
    period: sympy.Expr
    example: dict
    source: str = "<unknown>"


@dataclass(frozen=True)
class Bounded:
    """``lower <= value(k) <= upper`` exactly at every step of ``steps(instance)`` for each instance.

    Together with a ``Periodic`` relation over the same steps (one whole
    period) this covers every step.
    """

    name: str
    description: str
    call: Call
    lower: sympy.Expr
    upper: sympy.Expr
    steps: StepsRule
    instances: tuple[dict, ...]
    example: dict
    source: str = "<unknown>"


@dataclass(frozen=True)
class ValueAt:
    """``value(step) = expected`` with the arguments symbolic."""

    name: str
    description: str
    call: Call
    step: sympy.Expr
    expected: sympy.Expr
    example: dict
    source: str = "<unknown>"


@dataclass(frozen=True)
class Continuous:
    """No jump at ``at``: the formula in effect at step ``at - 1``, taken to ``at``, equals the value at ``at``."""

    name: str
    description: str
    call: Call
    at: sympy.Expr
    example: dict
    source: str = "<unknown>"


SCHEDULE_RELATIONS = (Identity, Periodic, Bounded, ValueAt, Continuous)


# ----------------------------------------------------------------------------- instantiation


def exact(value: Any) -> sympy.Expr:
    """A number as SymPy takes it exactly: a Python float becomes the rational it stores (0.1 is not 1/10)."""
    if isinstance(value, float):
        return sympy.Rational(value)
    return sympy.sympify(value)


def call_value(specs: dict[str, ScheduleSpec], call: Call) -> sympy.Expr:
    """The schedule that ``call`` describes as one expression of ``k``, every argument substituted.

    Arguments left out take their defaults; a ``WhenNone`` argument left out
    (or None) applies its rule; list arguments are expanded to their length;
    a following schedule is another ``Call`` (substituted) or an undefined
    SymPy function (kept, for a statement about any schedule).
    """
    bound = bind(specs, call)
    return bound.inlined().xreplace({symbol: exact(value) for symbol, value in bound.numbers.items()})


@dataclass(frozen=True)
class Bound:
    """A schedule call in the shape its kernel computes it.

    ``value`` is written with the defined symbols of ``definitions`` (each an
    expression of the step, the arguments and earlier definitions, as the
    kernel computes them one by one), and arguments given as Python numbers
    stay symbols, with their numbers in ``numbers``: SymPy would otherwise
    fold them together and simplify across definitions, and the reference's
    rounding bound must count the operations the kernel performs.
    """

    value: sympy.Expr
    numbers: dict
    definitions: dict

    def inlined(self) -> sympy.Expr:
        """``value`` with every definition substituted: one expression of ``k`` and the arguments."""
        expression = self.value
        for _ in range(len(self.definitions) + 1):
            if not expression.free_symbols & set(self.definitions):
                return expression
            expression = expression.xreplace(self.definitions)
        raise ValueError("the definitions refer to each other in a cycle")


def bind(specs: dict[str, ScheduleSpec], call: Call, tag: str = "") -> Bound:
    """``call`` as a ``Bound``. With a ``tag``, its argument and defined symbols are renamed ``name__tag``.

    A following schedule (a ``Call``) is bound twice, renamed apart: once at
    step ``k - boundary`` (where it runs) and once at step 0 (its first
    value, which a warmup ramps to).
    """
    spec = specs[call.schedule]
    arguments = call.arguments
    unknown = set(arguments) - {a.argument for a in spec.arguments} - {c.argument for c in spec.choices}
    if unknown:
        raise KeyError(f"{spec.name} has no argument(s) {sorted(unknown)}")
    variant = variant_for(spec, {c.argument: arguments[c.argument] for c in spec.choices if c.argument in arguments})
    unset = frozenset(r.argument for r in spec.when_none if arguments.get(r.argument) is None)
    when_none = {}
    for rule in spec.when_none:
        if rule.argument in unset:
            when_none.update({symbol: sympy.sympify(e) for symbol, e in rule.assign.items()})

    def renamed(symbol: sympy.Symbol) -> sympy.Symbol:
        # The assumptions as declared (all of them, derived ones included, when SymPy does not keep those).
        assumptions = getattr(symbol, "_assumptions_orig", None) or symbol.assumptions0
        return sympy.Symbol(f"{symbol.name}__{tag}", **assumptions) if tag else symbol

    substitution: dict = {symbol: renamed(symbol) for symbol, _ in variant.definitions}
    numbers: dict = {}
    for argument in spec.scalar_arguments:
        given = arguments.get(argument.argument, argument.default)
        if given is None and argument.argument not in unset:
            raise KeyError(f"{spec.name}: argument {argument.argument!r} is required")
        if isinstance(given, (int, float)) and not isinstance(given, bool):
            substitution[argument.symbol] = renamed(argument.symbol)
            numbers[renamed(argument.symbol)] = given
        elif given is not None:
            substitution[argument.symbol] = sympy.sympify(given)

    def prepared(expression: sympy.Expr) -> sympy.Expr:
        expression = _expand_lists(spec, sympy.sympify(expression).xreplace(when_none), arguments)
        return expression.xreplace(substitution)

    definitions = {substitution[symbol]: prepared(e) for symbol, e in variant.definitions}
    value = prepared(variant.value)
    if spec.then is not None:
        boundary = prepared(spec.then.boundary)
        following = arguments[spec.then.argument]
        if isinstance(following, Call):
            running = bind(specs, following, tag + "1")
            first = bind(specs, following, tag + "0")
            shift = {k: k - boundary}
            value = value.replace(spec.then.function, sympy.Lambda(k, first.value.xreplace({k: 0})))
            later = running.value.xreplace(shift)
            definitions.update({s: e.xreplace({k: 0}) for s, e in first.definitions.items()})
            definitions.update({s: e.xreplace(shift) for s, e in running.definitions.items()})
            numbers.update({**first.numbers, **running.numbers})
        else:
            value = value.replace(spec.then.function, following)
            later = following(k - boundary)
        value = sympy.Piecewise((value, k < boundary), (later, True))
    used = set().union(value.free_symbols, *(e.free_symbols for e in definitions.values()))
    return Bound(value, {s: v for s, v in numbers.items() if s in used}, definitions)


def _expand_lists(spec: ScheduleSpec, expression: sympy.Expr, arguments: dict) -> sympy.Expr:
    """Lists of given length: the sums over their elements written out, the elements substituted."""
    if spec.length is None:
        return expression
    lists = {a.symbol: [exact(x) for x in arguments[a.argument]] for a in spec.list_arguments}
    base = next(a for a in spec.list_arguments if a.length == spec.length)
    expression = expression.xreplace({spec.length: len(lists[base.symbol])}).doit()

    def element(indexed: sympy.Indexed) -> sympy.Expr:
        return Element(indexed.indices[0], *lists[indexed.base])

    return expression.replace(lambda e: isinstance(e, sympy.Indexed) and e.base in lists, element)


class Element(sympy.Function):
    """``Element(j, x_0, ..., x_m)`` is ``x_j``: a list's element at an index that may depend on the step.

    It evaluates as soon as the index is a number, so at a given step it is
    just the element (and a proof at that step sees only it).
    """

    @classmethod
    def eval(cls, index, *items):
        if index.is_Integer and 0 <= int(index) < len(items):
            return items[int(index)]
        return None


def derivation_value(specs: dict[str, ScheduleSpec], spec: ScheduleSpec, variant: Variant) -> sympy.Expr:
    """The parent of ``spec`` with ``derived_from``'s substitution, in the variant with the same choices."""
    derivation = spec.derived_from
    parent = specs[derivation.parent]
    selection = dict(zip((c.argument for c in spec.choices), variant.selection))
    parent_variant = variant_for(parent, selection)
    mapping = {}
    for argument in parent.arguments:
        if argument.argument in derivation.arguments:
            mapping[argument.symbol] = sympy.sympify(derivation.arguments[argument.argument])
        else:
            mapping[argument.symbol] = spec.symbol_of(argument.argument)
    return full_value(parent, parent_variant).xreplace(mapping)
