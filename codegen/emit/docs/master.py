"""The master document of the formula documentation: the preamble, then the part each kind writes."""

from __future__ import annotations

from dataclasses import dataclass

from codegen.emit.common import Emitted

MASTER = "docs/trainspec.tex"
TITLE = "trainspec: the formulas of training"


@dataclass(frozen=True)
class MasterDoc:
    title: str
    parts: tuple[str, ...]
    """The parts to input, relative to docs/ and without .tex (``optimizers/optimizers``)."""


def master_document(parts: tuple[str, ...]) -> Emitted:
    """``docs/trainspec.tex``, which inputs ``parts`` in order."""
    return Emitted(MASTER, "docs/trainspec.tex.jinja", MasterDoc(TITLE, parts), "the specs in specs/")
