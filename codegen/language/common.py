"""Pieces every kind of spec declares with: a scalar argument with its domain, and a condition on several."""

from __future__ import annotations

from dataclasses import dataclass

import sympy


@dataclass(frozen=True)
class Typical:
    """Where an argument is usually set: the tests and ``trainspec verify`` draw it from here.

    ``log``: drawn log-uniformly (a rate spanning decades), else uniformly. ``per_run``: ``low`` and ``high`` are
    fractions of the length of the run it is drawn for, and the value is a whole number of steps (a schedule's
    ``decay_steps``).
    """

    low: float
    high: float
    log: bool = False
    per_run: bool = False


@dataclass(frozen=True)
class Counterpart:
    """The same method in another library: what ``trainspec verify``, the conformance tests and the benchmark call.

    ``name`` is the import path of the class or function (``"torch.optim.Adam"``, ``"keras.optimizers.Adam"``,
    ``"torch.nn.init.kaiming_uniform_"``). ``arguments`` gives each argument it is called with: a SymPy expression of
    the spec's symbols (``eta``; ``alpha * eta_0``), a tuple of them (torch's ``betas``), the name of one of the
    spec's arguments, flags or choices as a string (``"amsgrad"``), or a Python value passed as it is. Without
    ``arguments`` every argument, flag and choice of the spec is passed under its own name (a Keras counterpart of a
    Keras-convention spec). ``same``: it computes this spec's formula, so the spec is verified against it; False when
    it does the same job in another convention (the benchmark's comparison, or a referee's other candidate).
    ``requires`` pins some of the spec's arguments (by name) to values, SymPy expressions of its other symbols, or
    the name of a function of the drawn value, where the counterpart covers only part of the spec (torch's
    PolynomialLR decays to 0: ``end_learning_rate=0``). ``note`` says in a few words what the mapping does, for
    the referee's report. ``backends``: for a Keras counterpart that computes the spec's formula on some of its
    backends only (measured), those backends; empty, every one. ``broken_defaults``: the library's arguments whose
    own default is a measured bug (Optax's adadelta ascends at its default ``learning_rate=None``); the referee
    passes every argument anyway, and the defaults test leaves these out.
    """

    name: str
    arguments: tuple[tuple[str, object], ...] = ()
    same: bool = True
    requires: tuple[tuple[str, object], ...] = ()
    note: str = ""
    backends: tuple[str, ...] = ()
    broken_defaults: tuple[str, ...] = ()

    @property
    def library(self) -> str:
        """The top-level package: ``torch``, ``keras``, ``optax``."""
        return self.name.partition(".")[0]


@dataclass(frozen=True)
class Hyperparameter:
    """A scalar the user sets: its symbol, its argument name, default, domain, and what it means.

    ``typical``, when given, narrows the domain to where the argument is usually set; without it,
    ``typical_range`` derives the range from the domain.
    """

    symbol: sympy.Symbol
    argument: str
    default: float | None
    domain: sympy.Set
    description: str
    typical: Typical | None = None


@dataclass(frozen=True)
class Constraint:
    """A condition on several arguments that a domain per argument cannot state (``minval <= maxval``).

    ``when`` names a flag under which alone it must hold (PyTorch's Nesterov
    momentum needs momentum > 0 and no dampening).
    """

    condition: sympy.Basic
    message: str
    when: str | None = None


# Where an unbounded end of a domain is cut when nothing narrower is declared: rates, scales and penalties
# live between 1e-3 and 1 (log-uniform); a bounded end is the domain's own, pulled inside when it is open.
_POSITIVE = Typical(1e-3, 1.0, log=True)
_OPEN_END = 1e-3


def typical_range(hyperparameter: Hyperparameter) -> Typical:
    """The declared typical range, or one derived from the domain (an Interval or a Range)."""
    if hyperparameter.typical is not None:
        return hyperparameter.typical
    domain = hyperparameter.domain
    if isinstance(domain, sympy.Range):
        low = float(domain.inf)
        return Typical(low, low + 10.0)
    low, high = float(domain.inf), float(domain.sup)
    if high == float("inf"):
        if low >= 0:
            return _POSITIVE if low == 0 or domain.left_open else Typical(low, low + 1.0)
        return Typical(-1.0, 1.0)
    if low == float("-inf"):
        return Typical(high - 1.0, high)
    width = high - low
    return Typical(
        low + _OPEN_END * width if domain.left_open else low,
        high - _OPEN_END * width if domain.right_open else high,
    )


def admits(domain: sympy.Set, value: float) -> bool:
    """Whether ``value`` lies in ``domain``; a whole-number domain (a Range) admits whole values only."""
    if isinstance(domain, sympy.Range):
        return float(value).is_integer() and sympy.Integer(int(value)) in domain
    return bool(sympy.Float(value) in domain)


def example_value(hyperparameter: Hyperparameter) -> float:
    """The value an argument takes where one value stands for all (the checks at the defaults, the docs' example):
    its default, or for a required argument the middle of its typical range (geometric for a log range), a whole
    number where the domain is one (a fan of 64 for the range 1 to 4096)."""
    if hyperparameter.default is not None:
        return hyperparameter.default
    typical = typical_range(hyperparameter)
    middle = (typical.low * typical.high) ** 0.5 if typical.log else (typical.low + typical.high) / 2
    return float(round(middle)) if isinstance(hyperparameter.domain, sympy.Range) else middle


def exact(value: object) -> sympy.Expr:
    """A number as SymPy takes it exactly: a Python float becomes the rational it stores (0.1 is not 1/10)."""
    if isinstance(value, float):
        return sympy.Rational(value)
    return sympy.sympify(value)


class Named:
    """What every kind of spec has: a class name, snake_case aliases, and a generated module named after them."""

    name: str
    aliases: tuple[str, ...]

    @property
    def module_name(self) -> str:
        """The snake_case name of the generated module (``CosineDecay`` → ``cosine_decay``): the first alias."""
        return self.aliases[0] if self.aliases else self.name.lower()
