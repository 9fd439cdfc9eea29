"""What every emitter produces: a file to render, described by its template and a model of finished strings.

Templates receive nothing but the model (and the file's header): no SymPy
objects, no logic beyond loops over its fields. Every string in a model was
written by a printer in ``codegen.printers``.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass


@dataclass(frozen=True)
class Line:
    """One assignment of generated code: ``target = value``.

    ``cases``, for a branch a template lays out as statements: (condition, value) for each branch in order, the
    last one's condition empty (``else``); ``value`` is then the same branch as one conditional expression.
    """

    target: str
    value: str
    cases: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Emitted:
    """One file to render: its path in the output folder, its template, its model, and where it comes from."""

    path: str
    template: str
    model: object
    source: str


def docstring(text: str, indent: str = "    ", width: int = 100) -> str:
    """Plain ``text`` as the body of a triple-quoted docstring: paragraphs wrapped, backslashes and quotes safe.

    Lines after the first are indented by ``indent``; a line that starts with spaces keeps them (an entry of an
    argument list) and continues four spaces further in.
    """
    lines = []
    for paragraph in text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"').split("\n"):
        stripped = paragraph.lstrip(" ")
        lead = paragraph[: len(paragraph) - len(stripped)]
        hanging = "    " if lead else ""
        wrapped = textwrap.wrap(
            stripped, width - len(indent) - len(lead), subsequent_indent=hanging, break_on_hyphens=False
        ) or [""]
        lines.extend(lead + piece if piece else "" for piece in wrapped)
    first, *rest = lines
    return "\n".join([first, *(f"{indent}{line}" if line else "" for line in rest)])


def modules_used(*texts: str) -> tuple[str, ...]:
    """The modules that printed code refers to (``math.sqrt``, ``np.sign``), for the imports of its file."""
    joined = " ".join(texts)
    return tuple(
        module for module, pattern in (("math", r"\bmath\."), ("numpy", r"\bnp\.")) if re.search(pattern, joined)
    )


def string_literal(text: str, width: int = 80) -> str:
    """``text`` as a Python string literal; a long one as implicitly joined pieces in parentheses, so that the
    formatter can keep the generated line within the line length."""
    if len(text) <= width:
        return repr(text)
    pieces = textwrap.wrap(text, width, drop_whitespace=False, break_on_hyphens=False)
    return "(" + " ".join(repr(piece) for piece in pieces) + ")"
