"""The optimizer spec model: what a file in ``specs/optimizers/`` declares.

A spec is pure data. It names its symbols' roles (parameter, gradient, step,
hyperparameters, state) and gives the update as ordered assignments with
imperative meaning: on the right-hand side, a state symbol means its value
*before* this step until the assignment that updates it, and the new value
after. A symbol assigned in the update that is neither the parameter nor a
state is a local (an intermediate quantity such as Adam's ``alpha_t``).

Options (``amsgrad``, ``centered``, ``nesterov``, ``momentum > 0``) are not
written as separate updates: each is a substitution that specialises the one
general update, and every variant is derived from it (``codegen.lower.optimizer``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import ClassVar, Literal

import sympy
from sympy import Interval, oo

from codegen.language.common import Constraint, Counterpart, Hyperparameter, Named, Typical

# What spec files import from here: the vocabulary of this kind, and the pieces every kind shares.
__all__ = [
    "FUNCTIONS",
    "ROLE_SYMBOLS",
    "Constraint",
    "Convention",
    "Counterpart",
    "Derivation",
    "Hyperparameter",
    "OptimizerSpec",
    "Option",
    "State",
    "Typical",
    "derive",
    "eta",
    "g",
    "lambda_wd",
    "learning_rate",
    "norm",
    "starts_as_parameter",
    "t",
    "tensor_sum",
    "w",
]

# The roles every optimizer shares. Hyperparameters and state are per spec.
w = sympy.Symbol("w")
"""The parameter being trained (one element of it: kernels loop elementwise)."""
g = sympy.Symbol("g")
"""The gradient of the loss with respect to ``w``."""
t = sympy.Symbol("t", integer=True, positive=True)
"""The 1-based step: ``t = 1`` on the first update (Keras ``iterations + 1``)."""
eta = sympy.Symbol("eta")
"""The learning rate in effect for this step."""
lambda_wd = sympy.Symbol("lambda_wd")
"""Keras's base option ``weight_decay``: the generator puts the decoupled decay w ← w − λ·η·w before every update in
Keras's convention; a relation names it to write the decayed update out."""

ROLE_SYMBOLS = (w, g, t, eta)


class tensor_sum(sympy.Function):
    """The sum over every element of the tensor of an expression of one element: ``tensor_sum(w**2)`` is ‖w‖².

    An assignment that reads a sum has one value per tensor, as do those that read it in turn (LAMB's trust ratio);
    the kernel computes the sums in a pass over the tensor before the update. A sum may read the gradient, the
    parameter, state and values of this step, but not another sum.
    """

    nargs = 1


def norm(expression: sympy.Expr) -> sympy.Expr:
    """The Euclidean norm over the tensor of an expression of one element: ``norm(w)`` is ‖w‖."""
    return sympy.sqrt(tensor_sum(expression**2))


FUNCTIONS = (sympy.Max, sympy.Min, sympy.Abs, sympy.sign, sympy.exp, sympy.log, sympy.Piecewise, tensor_sum)
"""The functions an update may use besides arithmetic and powers (``sqrt`` is a power): each has a kernel form on
every backend and a rounding bound in the reference. ``Piecewise`` is a branch: per element when its conditions read
elements (Rprop's sign cases), per step when they read only hyperparameters and ``t`` (RAdam's switch on ρ_t). Its
conditions compare (``<``, ``<=``, ``>``, ``>=``, ``Eq``, ``Ne``) and combine (``&``, ``|``, ``~``), and its last pair
is ``(value, True)``: what holds when no condition does. ``tensor_sum`` (and ``norm``) reduce over the tensor."""


def starts_as_parameter(initial: sympy.Expr | float | None) -> bool:
    """Whether a state's initial value is the parameter itself: its state starts as a copy of it."""
    return initial is not None and sympy.sympify(initial) == w


def learning_rate(default: float) -> Hyperparameter:
    """The learning rate hyperparameter, which every optimizer has.

    Typically 1e-3 to 1e-1, log-uniform: where training moves the parameters visibly in a few hundred steps.
    """
    return Hyperparameter(
        eta, "learning_rate", default, Interval.Lopen(0, oo), "learning rate", typical=Typical(1e-3, 1e-1, log=True)
    )


@dataclass(frozen=True)
class State:
    """A quantity carried from one step to the next.

    ``scope="parameter"`` state has one element per parameter element (Adam's
    moments); ``scope="tensor"`` state is one number per tensor, assigned from
    sums over it (NovoGrad's layer-wise second moment) and kept in float64;
    ``scope="optimizer"`` state is one scalar for the whole optimizer (Nadam's
    momentum product). ``initial`` may be a number or an expression of
    hyperparameters (Adagrad's ``initial_accumulator_value``), or, for state
    per element, ``w``: a copy of the parameter (schedule-free's z).

    ``output=True`` marks a second sequence of the parameter that the user
    reads (ASGD's running average ``ax``): it is kept and stored though the
    parameter's own update never reads it (other state nothing reads is
    pruned).
    """

    symbol: sympy.Symbol
    name: str
    initial: sympy.Expr | float | None
    description: str
    scope: Literal["parameter", "tensor", "optimizer"] = "parameter"
    output: bool = False


@dataclass(frozen=True)
class Option:
    """A switch that specialises the general update by substitution.

    ``kind="flag"``: a boolean argument (``amsgrad``); the substitution
    ``when_off`` is applied when it is False.
    ``kind="nonzero"``: a hyperparameter (``momentum``) whose zero value
    removes a feature; ``when_off`` is applied when it is 0.
    ``kind="value"``: a hyperparameter with a special value that allows a
    cheaper form (Ftrl's ``learning_rate_power = -0.5`` turns a power into a
    square root); ``when_off`` is applied when it equals ``value``.
    ``applies_to`` limits the substitution to the assignments of those
    symbols (Nesterov's look-ahead rewrites only the update of ``w``).
    """

    argument: str
    when_off: dict
    kind: Literal["flag", "nonzero", "value"] = "flag"
    default: bool = False
    value: float = 0.0
    description: str = ""
    applies_to: tuple[sympy.Symbol, ...] = ()

    @property
    def off_value(self) -> float:
        """The hyperparameter value that selects the ``when_off`` form (kinds ``nonzero`` and ``value``)."""
        return self.value if self.kind == "value" else 0.0

    def switched_off(self, assignments: tuple[tuple[sympy.Symbol, sympy.Expr], ...]) -> tuple:
        """``assignments`` with ``when_off`` substituted (into those of ``applies_to`` only, where given)."""
        targets = set(self.applies_to)
        return tuple(
            (lhs, sympy.sympify(rhs).subs(self.when_off) if not targets or lhs in targets else rhs)
            for lhs, rhs in assignments
        )


@dataclass(frozen=True)
class Convention:
    """How another library's implementation of the same method differs.

    ``note`` is for the documentation only, and is LaTeX (``$\\epsilon$``, ``\\texttt{lr}``); every other prose
    field of a spec is plain text, which docstrings and the command line show as it is.
    """

    library: str
    note: str


@dataclass(frozen=True)
class Derivation:
    """How a spec was obtained from another: its parent's update under a substitution.

    ``substitution`` is applied, in order, to every right-hand side of the
    parent's update (``{epsilon: epsilon*sqrt(1 - beta_2**t)}``); ``text`` is
    the same substitution as a reader writes it (``ε̂ → ε√(1 − β2^t)``), and
    ``note`` says what it means.
    """

    parent: str
    substitution: tuple[tuple[sympy.Expr, sympy.Expr], ...]
    text: str
    note: str = ""


@dataclass(frozen=True)
class OptimizerSpec(Named):
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
    derived_from: Derivation | None = None
    # "keras": the generated class takes Keras's base options (decoupled weight_decay, clipnorm, clipvalue,
    # global_clipnorm); "none": it takes only the spec's own arguments (another library's convention, whose
    # weight decay, if any, is a hyperparameter of its update).
    base_options: Literal["keras", "none"] = "keras"
    weight_decay_default: float | None = None  # the base option's default (Keras's AdamW: 0.004)
    constraints: tuple[Constraint, ...] = ()
    convention: str = "Keras 3"
    method: str | None = None
    """The method this spec is one convention of (``"adam"`` for Adam and TorchAdam); the referee tries every
    registered convention of it. None: its own (the module name); a derived spec keeps its parent's."""
    counterparts: tuple[Counterpart, ...] = ()
    source: str = "<unknown>"

    @property
    def method_name(self) -> str:
        """The method this spec is a convention of."""
        return self.method or self.module_name

    def hyperparameter(self, argument: str) -> Hyperparameter:
        for hyperparameter in self.hyperparameters:
            if hyperparameter.argument == argument:
                return hyperparameter
        raise KeyError(f"{self.name} has no hyperparameter {argument!r}")


def derive(
    parent: OptimizerSpec,
    *,
    name: str,
    aliases: tuple[str, ...],
    summary: str,
    substitution: dict,
    text: str,
    note: str = "",
    prepend: tuple[tuple[sympy.Symbol, sympy.Expr], ...] = (),
    hyperparameters: tuple[Hyperparameter, ...] | None = None,
    defaults: dict[str, float] | None = None,
    state: tuple[State, ...] | None = None,
    options: tuple[Option, ...] | None = None,
    **fields,
) -> OptimizerSpec:
    """A new spec: ``parent``'s update with ``substitution`` applied, recorded as ``derived_from``.

    ``prepend`` adds assignments before the substituted update (a local the
    substitution introduces, such as PyTorch's ``g_wd = g + λw``).
    ``hyperparameters`` replaces the parent's list; ``defaults`` then changes
    defaults by argument name. ``state`` and ``options`` replace the parent's
    (the parent's options, with the substitution applied to their ``when_off``
    values, are kept otherwise). Any other field of ``OptimizerSpec``
    (``conventions``, ``references``, ``latex_names``, ``base_options``,
    ``convention``) is passed through.
    """
    pairs = tuple((sympy.sympify(old), sympy.sympify(new)) for old, new in substitution.items())
    update = (*prepend, *((lhs, _substituted(rhs, pairs)) for lhs, rhs in parent.update))
    chosen = parent.hyperparameters if hyperparameters is None else hyperparameters
    for argument, value in (defaults or {}).items():
        if argument not in {h.argument for h in chosen}:
            raise KeyError(f"{name}: no hyperparameter {argument!r} to give a default")
        chosen = tuple(replace(h, default=value) if h.argument == argument else h for h in chosen)
    if options is None:
        options = tuple(
            replace(o, when_off={_substituted(k, pairs): _substituted(v, pairs) for k, v in o.when_off.items()})
            for o in parent.options
        )
    fields.setdefault("latex_names", dict(parent.latex_names))
    fields.setdefault("method", parent.method_name)
    return OptimizerSpec(
        name=name,
        aliases=aliases,
        summary=summary,
        hyperparameters=chosen,
        state=parent.state if state is None else state,
        update=update,
        options=options,
        derived_from=Derivation(parent.name, pairs, text, note),
        **fields,
    )


def _substituted(expression: sympy.Expr, pairs: tuple[tuple[sympy.Expr, sympy.Expr], ...]) -> sympy.Expr:
    expression = sympy.sympify(expression)
    for old, new in pairs:
        expression = expression.subs(old, new)
    return expression
