"""Stage 2 for estimators: what the generated class and the docs need, derived from the spec's batch size.

Nothing here is proven: the generated checks prove the spec's statements from
the sampling (``codegen.proofs.estimator``).
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy

from codegen.language.estimator import EstimatorSpec, N, sigma


@dataclass(frozen=True)
class Lowered:
    spec: EstimatorSpec
    batch_size: sympy.Expr
    variance_factor: sympy.Expr
    """The stated variance over one example's (σ²), simplified: ``(N - B)/(B(N - 1))``, ``0``, ``1``."""
    shuffled: bool
    """Whether the order of the examples matters: False when every batch is the whole set."""
    partial: bool
    """Whether an epoch can end in a partial batch: N need not be a multiple of the batch size."""


def lower(spec: EstimatorSpec) -> Lowered:
    batch_size = sympy.sympify(spec.batch_size)
    return Lowered(
        spec,
        batch_size,
        sympy.simplify(sympy.sympify(spec.variance) / sigma**2),
        shuffled=not sympy.simplify(batch_size - N).is_zero,
        partial=not sympy.Mod(N, batch_size).is_zero,
    )
