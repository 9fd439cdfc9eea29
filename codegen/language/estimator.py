"""The spec of a gradient estimator: how many examples each step's gradient averages, and what that costs.

Gradient descent by batch size (full-batch, mini-batch and single-sample,
often called BGD, mini-batch GD and SGD) differs in one thing: the estimate of
the gradient each step uses,

    ĝ(w) = (1/|S|) Σ_{i ∈ S} ∇ℓ_i(w),

where ``S`` is the batch, drawn from the ``N`` examples of the training set
uniformly without replacement. A spec declares the batch size ``|S|`` as an
expression (``B``, ``N``, ``1``) and states, per coordinate of the gradient,
the mean and the variance of ĝ in terms of the full-batch gradient ``ḡ`` and
the spread ``σ²`` of the per-example gradients (``σ² = (1/N) Σ (g_i − ḡ)²``).
The generated checks derive both by counting batches and prove the statements;
a derived spec (full batch: ``B = N``) states its own and the checks prove
they follow from its parent's by the substitution.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import sympy

from codegen.language.common import Hyperparameter, Named

N = sympy.Symbol("N", integer=True, positive=True)
"""The number of examples in the training set."""
B = sympy.Symbol("B", integer=True, positive=True)
"""The batch size of the mini-batch estimator."""
g_bar = sympy.Symbol("g_bar", real=True)
"""One coordinate of the full-batch gradient ``(1/N) Σ_i ∇ℓ_i(w)``."""
sigma = sympy.Symbol("sigma", nonnegative=True)
"""The spread of one coordinate of the per-example gradients: ``σ² = (1/N) Σ_i (g_i − ḡ)²``."""

SYMBOLS = (N, B, g_bar, sigma)
"""What an estimator's formulas may be written in."""
LATEX_NAMES = {N: "N", B: "B", g_bar: r"\bar g", sigma: r"\sigma"}


@dataclass(frozen=True)
class Derivation:
    """A special case of another estimator: its symbols replaced (``B = N`` for the full batch)."""

    parent: str
    substitution: tuple[tuple[sympy.Symbol, sympy.Expr], ...]

    def text(self) -> str:
        """``MiniBatch with B = N``."""
        settings = ", ".join(f"{symbol} = {sympy.sstr(value)}" for symbol, value in self.substitution)
        return f"{self.parent} with {settings}"


@dataclass(frozen=True)
class EstimatorSpec(Named):
    """One way of estimating the gradient of a step from a batch of examples, declared once.

    ``batch_size``: ``|S|`` as an expression of ``N`` and the arguments. ``mean`` and ``variance``: what is stated of
    one coordinate of ĝ, in ``N``, ``B``, ``g_bar`` and ``sigma``; the generated checks prove both from the
    sampling. ``legend``: the short name the docs' figures use (``"mini-batch GD"``).
    """

    kind: ClassVar[str] = "estimator"
    name: str
    aliases: tuple[str, ...]
    title: str
    legend: str
    summary: str
    batch_size: sympy.Expr
    mean: sympy.Expr
    variance: sympy.Expr
    arguments: tuple[Hyperparameter, ...] = ()
    derived_from: Derivation | None = None
    description: str = ""
    references: tuple[str, ...] = ()
    source: str = "<unknown>"


def derive(parent: EstimatorSpec, substitution: dict, **own: object) -> EstimatorSpec:
    """``parent`` with ``substitution`` applied to its batch size; the arguments it replaces are dropped.

    ``own`` gives every field a derived spec states for itself: ``name``, ``aliases``, ``title``, ``legend``,
    ``summary``, and its ``mean`` and ``variance`` stated anew (the checks prove that they are the parent's under
    the substitution), optionally ``description`` and ``references``.
    """
    replaced = set(substitution)
    return EstimatorSpec(
        batch_size=sympy.sympify(parent.batch_size).subs(substitution),
        arguments=tuple(a for a in parent.arguments if a.symbol not in replaced),
        derived_from=Derivation(parent.name, tuple(substitution.items())),
        **{"references": parent.references, **own},
    )
