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
Schedules one after another, any number of them (PyTorch's ``SequentialLR``,
Optax's ``join_schedules``), are a ``Join`` of a list of schedules at a list
of boundaries, by the same rule; the spec's value names the schedule in
effect with an undefined function of two arguments, ``f(j, s)``: schedule
``j`` at its own step ``s``. A join has no formula of its own, so no kernel:
each schedule in it runs its own.

A schedule that is a special case of another records the substitution in
``derived_from``; the docs print "special case of" from it and a generated
check proves it.

The same schedule in another library (``counterparts``, read by ``trainspec
verify --against torch|keras`` and the conformance tests) is a ``Counterpart``
(``codegen.language.common``), or a ``ScheduleCounterpart`` where it matches
over the first steps only. For a schedule, its conventions are:

- ``arguments``: none for a library schedule that takes the spec's own
  arguments and choices under their own names (Keras's, for a Keras-convention
  spec). Their values: a SymPy expression of the spec's symbols, evaluated
  with the drawn numbers (``floor(D)`` for a library that takes a whole number
  of steps: it gives a Python int); the name of an argument or choice, passed
  as it is (``None`` included); a tuple, passed as a list (torch's
  ``milestones``); an ``Each``, a list built element by element; a nested
  ``Counterpart``, the library's object built first (SequentialLR's
  ``schedulers``); any other Python value, passed as it is.
- A torch scheduler's ``optimizer`` is given as the rate it starts from: the
  referee steps the scheduler on an optimizer with that ``lr``, and nested
  schedulers are built on the same optimizer.
- ``requires`` pins a choice to one of its cases (a string there is a case),
  an optional argument to ``None``, a number to a SymPy expression of the
  spec's symbols, a list to an ``Each``. The choices and ``None``s select
  among a library's counterparts: the first one whose pinned choices and
  ``None``s the drawn arguments already have, and none of whose expressions
  reads an argument left ``None``, is used; failing that, the first one, with
  its pins applied. Pins of numbers are always applied, all from the drawn
  values at once (a pinned number is a float where the drawn one is). A pin
  of the schedule argument to a ``Call`` whose arguments are symbols is a
  pattern: the following schedule must be that schedule with those
  arguments, its others at their defaults, and the symbols stand for its
  values everywhere else.
- Only counterparts with ``same`` (the default) are verified against.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

import sympy

from codegen.language.common import Counterpart, Hyperparameter, Named, Typical

# What spec files import from here: the vocabulary of this kind, and the pieces every kind shares.
__all__ = [
    "SCHEDULE_RELATIONS",
    "Bounded",
    "Call",
    "Case",
    "Choice",
    "Continuous",
    "Counterpart",
    "Derivation",
    "Each",
    "Element",
    "Example",
    "Hyperparameter",
    "Identity",
    "Join",
    "JumpAt",
    "ListArgument",
    "Periodic",
    "ScheduleArgument",
    "ScheduleCounterpart",
    "ScheduleSpec",
    "StepsRule",
    "Then",
    "Typical",
    "ValueAt",
    "WhenNone",
    "k",
]

k = sympy.Symbol("k", integer=True, nonnegative=True)
"""The 0-based step: ``k = 0`` on the first update (Keras ``optimizer.iterations``)."""


@dataclass(frozen=True)
class ListArgument:
    """A list-valued argument: ``symbol[i]`` for ``i`` in ``0 .. length - 1``.

    ``length`` is an expression of the spec's length symbol (``n`` for the
    boundaries, ``n + 1`` for the values). ``increasing`` requires strictly
    increasing elements. Elements must be finite real numbers, and whole ones
    where ``integer``. ``typical``: where the elements are drawn
    (``list_typical_range``).
    """

    symbol: sympy.IndexedBase
    argument: str
    length: sympy.Expr
    description: str
    increasing: bool = False
    default: None = None
    typical: Typical | None = None
    integer: bool = False
    """Whole numbers only (steps a join re-bases the schedules at)."""


def list_typical_range(argument: ListArgument) -> Typical:
    """The declared range of a list's elements; without one, steps of the run for an increasing list (boundaries),
    else rates (log-uniform over 1e-3 .. 1, as ``typical_range`` takes an unbounded positive domain)."""
    if argument.typical is not None:
        return argument.typical
    return Typical(0.0, 1.0, per_run=True) if argument.increasing else Typical(1e-3, 1.0, log=True)


@dataclass(frozen=True)
class ScheduleArgument:
    """An argument that is itself a schedule (the one that follows a warmup), or with a ``length`` (an expression of
    the spec's length symbol) a list of schedules (those a ``Join`` runs one after another)."""

    argument: str
    description: str
    default: None = None
    length: sympy.Expr | None = None


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
class Join:
    """The schedules of the list argument ``schedules`` one after another, at the steps of the list argument
    ``boundaries``: the first from step 0, and from ``boundaries[i]`` on ``schedules[i + 1]``, re-based to start at
    its own step 0 (Optax's ``join_schedules``).

    ``function(j, s)`` is the undefined SymPy function that stands for schedule ``j`` at its own step ``s`` in the
    spec's value.
    """

    schedules: str
    boundaries: str
    function: sympy.FunctionClass


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
class Each:
    """A list with one element per position of the list argument ``over``: ``element`` at ``index = 0, 1, ...``.

    In a counterpart's arguments and pins: torch's ``MultiStepLR`` takes ``milestones=Each(b[i] + 1, i,
    "boundaries")``.
    """

    element: sympy.Expr
    index: sympy.Symbol
    over: str


@dataclass(frozen=True)
class ScheduleCounterpart(Counterpart):
    """A schedule's ``Counterpart`` that computes the spec over the first ``horizon`` steps only.

    ``horizon``: an expression of the spec's symbols, the number of steps from step 0 over which it matches
    (torch's ``CosineAnnealingLR`` is periodic past ``T_max`` while the spec stays at its floor: ``D + 1``).
    """

    horizon: sympy.Expr | None = None


@dataclass(frozen=True)
class ScheduleSpec(Named):
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
    join: Join | None = None
    length: sympy.Symbol | None = None
    derived_from: Derivation | None = None
    past_the_end: str = ""
    library: str = "Keras 3"
    references: tuple[str, ...] = ()
    conventions: tuple[tuple[str, str], ...] = ()
    latex_names: dict = field(default_factory=dict)
    counterparts: tuple[Counterpart, ...] = ()
    source: str = "<unknown>"

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

    @property
    def sized_arguments(self) -> tuple[ListArgument | ScheduleArgument, ...]:
        """The arguments that are lists, of numbers or of schedules: those whose lengths the length symbol gives."""
        return tuple(a for a in self.arguments if getattr(a, "length", None) is not None)

    def symbol_of(self, name: str) -> sympy.Basic:
        argument = self.argument(name)
        if isinstance(argument, ScheduleArgument):
            raise KeyError(f"{self.name}: {name!r} is a schedule, not a symbol")
        return argument.symbol


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
class JumpAt:
    """The jump at ``at`` is ``size``: the value at ``at`` less the formula in effect at step ``at - 1``, taken to
    ``at``. A composition's statement (a spec with ``Then`` or ``Join``)."""

    name: str
    description: str
    call: Call
    at: sympy.Expr
    example: dict
    size: sympy.Expr
    source: str = "<unknown>"


@dataclass(frozen=True)
class Continuous(JumpAt):
    """No jump at ``at``: a ``JumpAt`` of size 0."""

    size: sympy.Expr = sympy.S.Zero


SCHEDULE_RELATIONS = (Identity, Periodic, Bounded, ValueAt, JumpAt)
