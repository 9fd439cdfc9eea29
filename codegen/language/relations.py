"""Relations between optimizer specs: facts declared as data beside the specs, which the generated checks prove.

A spec file may end with ``RELATIONS = (...)``. There are three kinds:

- ``Equivalence``: one update (a spec variant specialised by a substitution)
  is the same as another (a second spec variant, or an update written out in
  the relation), or, with ``holds=False``, provably is not.
- ``Unbiased``: a bias correction turns a moving average of a constant input
  into that input; the closed form of the average is derived from the spec.
- ``ScaleInvariance``: the parameter's trajectory does not change when every
  gradient is multiplied by ``c > 0``, under stated conditions, each of them
  necessary; or, with ``holds=False``, it does change.

Relations name specs (``"Adagrad"``) and are resolved through the registry
(``codegen.lower.relations``); a spec file never imports another for a
relation. Symbols are matched by name, so a relation writes
``symbols("A A_0")`` for Adagrad's accumulator and its initial value. How the
proofs work is told in ``codegen.proofs.optimizer``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import sympy
from sympy import Interval, oo

Assignment = tuple[sympy.Symbol, sympy.Expr]

c = sympy.Symbol("c", positive=True)
"""The factor every gradient is multiplied by in a scale-invariance relation."""

SCALE_DOMAIN = Interval.open(0, oo)

# How the generated checks confirm a relation on the kernels: steps, elements, and the digits of the other side
# where no kernel computes it.
NUMERIC_STEPS = 5
NUMERIC_SIZE = 8
REFERENCE_DIGITS = 50


@dataclass(frozen=True)
class SpecUpdate:
    """One variant of a registered spec, specialised by a substitution.

    ``options`` switches the spec's options by argument (``{"momentum": True}``);
    an option not named keeps its default. ``substitution`` is applied to the
    variant's assignments and initial state: hyperparameter → value
    (``{beta_1: 0}``) and expression → expression (``{rho*v: v}``); each entry
    must change something. ``domains`` gives the domain of any new symbol the
    substitution introduces.
    """

    spec: str
    options: Mapping[str, bool] = field(default_factory=dict)
    substitution: Mapping[sympy.Expr, sympy.Expr] = field(default_factory=dict)
    domains: Mapping[sympy.Symbol, sympy.Set] = field(default_factory=dict)


@dataclass(frozen=True)
class WrittenUpdate:
    """An update written out in the relation: a textbook form, or another library's.

    Assignments have the spec's imperative meaning. ``initial`` gives the value
    every state starts from (a symbol read before it is assigned is state).
    Its other symbols are the roles (``w``, ``g``, ``t``, ``eta``) and
    hyperparameters of the specs the relation names, or new ones in ``domains``.
    """

    label: str
    assignments: tuple[Assignment, ...]
    initial: Mapping[sympy.Symbol, sympy.Expr] = field(default_factory=dict)
    domains: Mapping[sympy.Symbol, sympy.Set] = field(default_factory=dict)


@dataclass(frozen=True)
class Equivalence:
    """``left`` and ``right`` compute the same ``w`` (and corresponding state) at every step.

    ``state_map`` maps a state of ``left`` to an expression in ``right``'s
    state (``{v: -eta*b}``). With ``holds=False`` the relation claims, and the
    proof shows by a counterexample, that they differ.
    """

    name: str
    statement: str
    left: SpecUpdate
    right: SpecUpdate | WrittenUpdate
    state_map: Mapping[sympy.Symbol, sympy.Expr] = field(default_factory=dict)
    holds: bool = True
    steps: int = 3
    source: str = "<unknown>"


@dataclass(frozen=True)
class Unbiased:
    """For a constant gradient, ``state / correction`` equals ``expected`` at every step t.

    The closed form of the state is derived from the spec's own assignment
    (``sympy.rsolve``), not written here; ``correction`` must appear in the
    spec's update, so the relation speaks of the correction the update uses.
    """

    name: str
    statement: str
    update: SpecUpdate
    state: sympy.Symbol
    correction: sympy.Expr
    expected: sympy.Expr
    source: str = "<unknown>"


@dataclass(frozen=True)
class ScaleInvariance:
    """Multiplying every gradient by ``c > 0`` leaves ``w`` unchanged at every step.

    ``conditions`` (symbol → value) are what makes it hold: the proof shows
    they suffice, and that dropping any one breaks it. With ``holds=False``
    the relation claims that it does not hold; symbols in ``for_all`` stay
    symbolic in the counterexample, which then holds for every value of
    them in their domains.
    """

    name: str
    statement: str
    update: SpecUpdate
    conditions: Mapping[sympy.Symbol, sympy.Expr] = field(default_factory=dict)
    holds: bool = True
    for_all: tuple[sympy.Symbol, ...] = ()
    steps: int = 3
    source: str = "<unknown>"


Relation = Equivalence | Unbiased | ScaleInvariance


def numeric_steps(relation: Relation) -> int:
    """Steps of a numeric confirmation: at least as many as the proof ran, where a difference may first show."""
    proved = relation.steps if isinstance(relation, Equivalence | ScaleInvariance) else 0
    return max(NUMERIC_STEPS, proved)


Side = SpecUpdate | WrittenUpdate
