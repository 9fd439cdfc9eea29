"""The spec model: what a file in ``specs/`` declares.

A spec is pure data. It names its symbols' roles (parameter, gradient, step,
hyperparameters, state) and gives the update as ordered assignments with
imperative meaning: on the right-hand side, a state symbol means its value
*before* this step until the assignment that updates it, and the new value
after. A symbol assigned in the update that is neither the parameter nor a
state is a local (an intermediate quantity such as Adam's ``alpha_t``).

Options (``amsgrad``, ``centered``, ``nesterov``, ``momentum > 0``) are not
written as separate updates: each is a substitution that specialises the one
general update, and every variant is derived from it (``codegen.lower``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar, Literal

import sympy
from sympy import Interval, oo

# The roles every optimizer shares. Hyperparameters and state are per spec.
w = sympy.Symbol("w")
"""The parameter being trained (one element of it: kernels loop elementwise)."""
g = sympy.Symbol("g")
"""The gradient of the loss with respect to ``w``."""
t = sympy.Symbol("t", integer=True, positive=True)
"""The 1-based step: ``t = 1`` on the first update (Keras ``iterations + 1``)."""
eta = sympy.Symbol("eta")
"""The learning rate in effect for this step."""

ROLE_SYMBOLS = (w, g, t, eta)


@dataclass(frozen=True)
class Hyperparameter:
    """A scalar the user sets, with its Keras argument name, default and domain."""

    symbol: sympy.Symbol
    argument: str
    default: float | None
    domain: sympy.Set
    description: str


def learning_rate(default: float) -> Hyperparameter:
    """The learning rate hyperparameter, which every optimizer has."""
    return Hyperparameter(eta, "learning_rate", default, Interval.Lopen(0, oo), "learning rate")


@dataclass(frozen=True)
class State:
    """A quantity carried from one step to the next.

    ``scope="parameter"`` state has one element per parameter element (Adam's
    moments); ``scope="optimizer"`` state is one scalar for the whole optimizer
    (Nadam's momentum product). ``initial`` may be a number or an expression
    of hyperparameters (Adagrad's ``initial_accumulator_value``).
    """

    symbol: sympy.Symbol
    name: str
    initial: sympy.Expr | float | None
    description: str
    scope: Literal["parameter", "optimizer"] = "parameter"


@dataclass(frozen=True)
class Option:
    """A switch that specialises the general update by substitution.

    ``kind="flag"``: a boolean argument (``amsgrad``); the substitution
    ``when_off`` is applied when it is False.
    ``kind="nonzero"``: a hyperparameter (``momentum``) whose zero value
    removes a feature; ``when_off`` is applied when it is 0.
    ``applies_to`` limits the substitution to the assignments of those
    symbols (Nesterov's look-ahead rewrites only the update of ``w``).
    """

    argument: str
    when_off: dict
    kind: Literal["flag", "nonzero"] = "flag"
    default: bool = False
    description: str = ""
    applies_to: tuple[sympy.Symbol, ...] = ()


@dataclass(frozen=True)
class Convention:
    """How another library's implementation of the same method differs."""

    library: str
    note: str


@dataclass(frozen=True)
class OptimizerSpec:
    """One optimizer, declared once."""

    kind: ClassVar[str] = "optimizer"
    name: str
    aliases: tuple[str, ...]
    summary: str
    hyperparameters: tuple[Hyperparameter, ...]
    state: tuple[State, ...]
    update: tuple[tuple[sympy.Symbol, sympy.Expr], ...]
    options: tuple[Option, ...] = ()
    references: tuple[str, ...] = ()
    conventions: tuple[Convention, ...] = ()
    latex_names: dict = field(default_factory=dict)
    source: str = "<unknown>"

    @property
    def module_name(self) -> str:
        """The snake_case name of the generated module (``Adam`` → ``adam``)."""
        return self.aliases[0] if self.aliases else self.name.lower()

    def hyperparameter(self, argument: str) -> Hyperparameter:
        for hyperparameter in self.hyperparameters:
            if hyperparameter.argument == argument:
                return hyperparameter
        raise KeyError(f"{self.name} has no hyperparameter {argument!r}")
