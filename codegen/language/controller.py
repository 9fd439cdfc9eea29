"""The controller spec model: what a file in ``specs/controllers/`` declares.

A controller sets the learning rate from a metric measured once per epoch (a
validation loss): PyTorch's ``ReduceLROnPlateau``, Keras's callback of that
name. Unlike a schedule it is no function of the step: it carries state from
one epoch to the next (the best metric so far, a count of epochs without
improvement, a cooldown) and the rate itself, ``eta``, which starts at the
argument ``learning_rate`` (the optimizer's rate when training starts).

A spec declares that state and the update that runs each epoch on the metric
``m`` as ordered assignments with imperative meaning, as an optimizer's
update: on a right-hand side a state symbol is its value before this epoch
until the assignment that updates it, and the new value after; a symbol
assigned that is no state is a local. A state may be assigned more than once.
Conditions are ``Piecewise``, and a local that holds a condition holds it as
0 or 1 (``Piecewise((1, m < best), (0, True))``), so that later assignments
can read it after the state it compared has changed.

A ``Choice`` (from the schedule language) picks one form: each ``Case``
replaces the assignments of some locals, and for a state symbol its initial
value (``mode="max"`` starts ``best`` at -oo). Every combination of cases is a
variant with its own generated kernel.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import sympy
from sympy import Interval, oo

from codegen.language.common import Counterpart, Hyperparameter, Named, Typical
from codegen.language.schedule import Case, Choice

# What spec files import from here: the vocabulary of this kind, and the pieces every kind shares.
__all__ = [
    "CONTROLLER_RELATIONS",
    "Case",
    "Choice",
    "ControllerCall",
    "ControllerSpec",
    "ControllerState",
    "Counterpart",
    "Example",
    "Hyperparameter",
    "Trajectory",
    "Typical",
    "eta",
    "eta_0",
    "initial_rate",
    "m",
]

m = sympy.Symbol("m", real=True)
"""The metric measured this epoch (a validation loss, an accuracy)."""
eta = sympy.Symbol("eta", positive=True)
"""The learning rate in effect: state, the controller's output after each epoch."""
eta_0 = sympy.Symbol("eta_0", positive=True)
"""The rate the controller starts from: its argument ``learning_rate``."""


def initial_rate() -> Hyperparameter:
    """The argument every controller has: the optimizer's rate when training starts, where ``eta`` starts."""
    return Hyperparameter(
        eta_0,
        "learning_rate",
        None,
        Interval.open(0, oo),
        "the optimizer's rate when training starts",
        typical=Typical(1e-3, 1e-1, log=True),
    )


@dataclass(frozen=True)
class ControllerState:
    """A quantity carried from one epoch to the next, with its initial value (an expression of the arguments,
    ``oo`` or ``-oo``). ``integer``: a count (printed and stored as a whole number)."""

    symbol: sympy.Symbol
    name: str
    initial: sympy.Expr | float
    description: str
    integer: bool = False


@dataclass(frozen=True)
class Example:
    """Argument values and a metric sequence, for the plot in the docs and the numeric checks."""

    arguments: dict
    metrics: tuple[float, ...]


@dataclass(frozen=True)
class ControllerSpec(Named):
    """One controller, declared once."""

    kind: ClassVar[str] = "controller"
    name: str
    aliases: tuple[str, ...]
    summary: str
    arguments: tuple[Hyperparameter, ...]
    state: tuple[ControllerState, ...]
    update: tuple[tuple[sympy.Symbol, sympy.Expr], ...]
    example: Example
    choices: tuple[Choice, ...] = ()
    library: str = "Keras 3"
    references: tuple[str, ...] = ()
    conventions: tuple[tuple[str, str], ...] = ()
    latex_names: dict = field(default_factory=dict)
    counterparts: tuple[Counterpart, ...] = ()
    source: str = "<unknown>"

    @property
    def state_symbols(self) -> tuple[sympy.Symbol, ...]:
        return tuple(s.symbol for s in self.state)

    @property
    def locals(self) -> tuple[sympy.Symbol, ...]:
        """The symbols the update assigns that are no state, in order of first assignment."""
        states = set(self.state_symbols)
        found: list[sympy.Symbol] = []
        for lhs, _ in self.update:
            if lhs not in states and lhs not in found:
                found.append(lhs)
        return tuple(found)


# ----------------------------------------------------------------------------- relations


@dataclass(frozen=True)
class ControllerCall:
    """A controller with argument values (numbers or symbols) and choices by name."""

    controller: str
    arguments: dict


@dataclass(frozen=True)
class Trajectory:
    """Fed ``metrics`` epoch by epoch, ``call`` sets the rates ``expected``: a tuple with the rate after each epoch
    (expressions of the call's symbols), or another ``ControllerCall``, whose rates on the same metrics they are.
    ``holds=False`` states that they differ, and the check finds the first epoch where they do.

    The proof runs the update exactly (SymPy, the call's symbols kept as symbols); ``example`` gives those symbols
    numbers for the confirmation on the generated kernels.
    """

    name: str
    description: str
    call: ControllerCall
    metrics: tuple
    expected: tuple | ControllerCall
    example: dict = field(default_factory=dict)
    holds: bool = True
    source: str = "<unknown>"


CONTROLLER_RELATIONS = (Trajectory,)
