"""The master document of the formula documentation: the preamble, then the part each kind writes."""

from __future__ import annotations

from dataclasses import dataclass

from codegen.emit.common import Emitted

MASTER = "docs/trainspec.tex"
VERSION_FILE = "version.tex"
"""What the master inputs for trainspec's version (``\\trainspecversion``): written by ``trainspec docs`` when it
typesets, so that no generated file carries a version."""
TITLE = "trainspec: the formulas of training"
SUBJECT = "Optimizers, learning-rate schedules, weight initializers and gradient estimators, from SymPy specs"


@dataclass(frozen=True)
class MasterDoc:
    title: str
    subject: str
    parts: tuple[str, ...]
    """The parts to input, relative to docs/ and without .tex (``optimizers/optimizers``)."""


def master_document(parts: tuple[str, ...]) -> Emitted:
    """``docs/trainspec.tex``, which inputs ``parts`` in order."""
    return Emitted(MASTER, "docs/trainspec.tex.jinja", MasterDoc(TITLE, SUBJECT, parts), "the specs in specs/")
