"""Plain-text printers: domains and numbers as a docstring or a terminal shows them, with no LaTeX."""

from __future__ import annotations

import math

import sympy


def interval_text(domain: sympy.Set) -> str:
    """A domain as people write it: ``[0, 1)``, ``(0, inf)``, ``integers >= 1``."""
    if isinstance(domain, sympy.Range):
        return f"integers >= {domain.inf}"
    left = "(" if domain.left_open else "["
    right = ")" if domain.right_open else "]"
    return f"{left}{number_text(domain.inf)}, {number_text(domain.sup)}{right}"


def number_text(value: sympy.Expr | float) -> str:
    """A number in the fewest characters that read back to it: ``0.9``, ``1e-07``, ``inf``, ``3``."""
    number = float(value)
    if math.isinf(number):
        return "inf" if number > 0 else "-inf"
    return str(int(number)) if number.is_integer() else repr(number)
