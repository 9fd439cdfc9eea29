"""The LaTeX section of one estimator, and the part on gradient descent by batch size that inputs them all.

``docs/training/<module>.tex`` holds the estimator's arguments, the estimate,
its mean and variance as the generated checks prove them, its cost per epoch
and what it is a special case of. ``docs/training/training.tex`` opens the
part: the setting, the sampling policy, and the figures ``trainspec docs``
draws with the generated kernels (``FIGURES``).
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy

from codegen.emit.common import Emitted
from codegen.emit.docs.schedule import ArgumentRow
from codegen.language.estimator import LATEX_NAMES, EstimatorSpec, N
from codegen.lower.estimator import Lowered
from codegen.printers.latex import domain_latex, latex, text

PART = "docs/training/training.tex"
FIGURES = (
    "figures/training/loss_epochs",
    "figures/training/loss_evaluations",
    "figures/training/rosenbrock",
    "figures/training/beale",
)
"""The figures of the part, relative to docs/ and without .tex, drawn by ``trainspec docs``."""


@dataclass(frozen=True)
class EstimatorDoc:
    title: str
    label: str
    summary: str
    source: str
    arguments: tuple[ArgumentRow, ...]
    batch_size: str
    mean: str
    variance: str
    steps: str
    """Steps per epoch, in math mode."""
    shuffled: bool
    partial: bool
    derived_from: str
    checks: str
    description: str
    references: tuple[str, ...]


@dataclass(frozen=True)
class TrainingPart:
    sections: tuple[str, ...]
    figures: tuple[str, ...]


def estimator_section(lowered: Lowered) -> Emitted:
    spec = lowered.spec
    names = {**LATEX_NAMES, **{a.symbol: latex(a.symbol, LATEX_NAMES) for a in spec.arguments}}
    model = EstimatorDoc(
        title=text(spec.title),
        label=f"sec:estimator-{spec.module_name}",
        summary=text(spec.summary),
        source=text(spec.source),
        arguments=tuple(
            ArgumentRow(
                text(a.argument),
                f"${latex(a.symbol, names)}$",
                text(repr(a.default)),
                f"${domain_latex(a.domain)}$",
                text(a.description),
            )
            for a in spec.arguments
        ),
        batch_size=latex(lowered.batch_size, names),
        mean=latex(sympy.sympify(spec.mean), names),
        variance=latex(sympy.sympify(spec.variance), names),
        steps=_steps(lowered, names),
        shuffled=lowered.shuffled,
        partial=lowered.partial,
        derived_from=_derivation(spec, names),
        checks=text(f"checks/test_{spec.module_name}_estimator.py"),
        description=text(spec.description),
        references=tuple(text(r) for r in spec.references),
    )
    return Emitted(f"docs/training/{spec.module_name}.tex", "docs/estimator.tex.jinja", model, spec.source)


def _steps(lowered: Lowered, names: dict) -> str:
    quotient = latex(N / lowered.batch_size, names)
    if not lowered.partial:
        return quotient
    return rf"\lceil {quotient} \rceil \text{{ (keep), }} \lfloor {quotient} \rfloor \text{{ (drop)}}"


def _derivation(spec: EstimatorSpec, names: dict) -> str:
    if spec.derived_from is None:
        return ""
    settings = ", ".join(
        f"${latex(symbol, names)} = {latex(value, names)}$" for symbol, value in spec.derived_from.substitution
    )
    return text(f"{spec.derived_from.parent} with ") + settings


def training_part(specs: tuple[EstimatorSpec, ...]) -> Emitted:
    """The document that opens the part on gradient descent by batch size and inputs every section."""
    model = TrainingPart(tuple(f"training/{spec.module_name}" for spec in specs), FIGURES)
    return Emitted(PART, "docs/training.tex.jinja", model, "the specs in specs/training/")
