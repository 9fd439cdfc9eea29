"""LaTeX formula documentation generated from the specs (stub: being written)."""

from __future__ import annotations

from pathlib import Path


def doc_files(registry) -> list:
    """The generated .tex files for ``registry`` (GeneratedFile objects)."""
    return []


def build_pdf(out_dir: Path, pdf: Path | None = None) -> Path:
    raise NotImplementedError
