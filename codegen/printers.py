"""Printers: every piece of math in the generated files is written by one of these.

``KernelPrinter`` writes loop bodies for Numba: integer powers as products,
``math.sqrt``, ``max``/``min``, ``Piecewise`` as a conditional expression (so
only the taken branch runs), and it refuses literals, since a Python float in
a float32 loop would make Numba compute in float64 (the optimizer hoists every
literal into a typed scalar first). ``PreludePrinter`` writes the once-per-step
scalar code in plain Python floats. ``latex`` writes formulas for the docs.
"""

from __future__ import annotations

import sympy
from sympy.printing.pycode import PythonCodePrinter


class PreludePrinter(PythonCodePrinter):
    """Python for scalars computed once per step, in float64."""

    def __init__(self, names: dict[sympy.Symbol, str] | None = None, scalars: frozenset = frozenset()):
        super().__init__({"fully_qualified_modules": True, "standard": "python3"})
        self.names = names or {}
        self.scalars = scalars

    def _print_Symbol(self, expr: sympy.Symbol) -> str:
        return self.names.get(expr, expr.name)

    def _print_Add(self, expr: sympy.Add, order: str | None = None) -> str:
        """Positive terms first, a bare symbol leading (``m + k*(g - m)``), then ``- x`` terms."""
        terms = sorted(expr.args, key=lambda term: (term.could_extract_minus_sign(), not term.is_Symbol))
        precedence = sympy.printing.precedence.PRECEDENCE["Add"]
        text = ""
        for term in terms:
            if text and term.could_extract_minus_sign():
                text += " - " + self.parenthesize(-term, precedence)
            elif text:
                text += " + " + self.parenthesize(term, precedence)
            else:
                text = self._print(term)
        return text

    def _print_Rational(self, expr: sympy.Rational) -> str:
        return f"{expr.p}/{expr.q}"

    def _print_Integer(self, expr: sympy.Integer) -> str:
        return str(expr.p)

    def _print_Float(self, expr: sympy.Float) -> str:
        return repr(float(expr))


class LiteralInLoopError(ValueError):
    """A literal reached the loop printer; the optimizer should have hoisted it."""


class KernelPrinter(PreludePrinter):
    """Python for Numba element loops: no literals, products for small integer powers."""

    def _print_Pow(self, expr: sympy.Pow, rational: bool = False) -> str:
        base, exponent = expr.base, expr.exp
        parenthesized = self.parenthesize(base, sympy.printing.precedence.PRECEDENCE["Mul"] + 1)
        if exponent == 2:
            return f"{parenthesized}*{parenthesized}"
        if exponent == 3:
            return f"{parenthesized}*{parenthesized}*{parenthesized}"
        if exponent == sympy.Rational(1, 2):
            return f"math.sqrt({self._print(base)})"
        if exponent.is_Number:
            raise LiteralInLoopError(f"cannot print {expr} in a loop without a literal")
        exponent_text = self.parenthesize(exponent, sympy.printing.precedence.PRECEDENCE["Pow"])
        base_text = self.parenthesize(base, sympy.printing.precedence.PRECEDENCE["Pow"])
        return f"{base_text}**{exponent_text}"

    def _print_Number(self, expr: sympy.Number) -> str:
        raise LiteralInLoopError(f"literal {expr} in a loop body")

    _print_Integer = _print_Rational = _print_Float = _print_Number

    def _print_sign(self, expr: sympy.Expr) -> str:
        # numpy.sign keeps the dtype and maps 0 to 0, as sympy.sign does.
        return f"{self._module_format('numpy.sign')}({self._print(expr.args[0])})"

    def _print_Mul(self, expr: sympy.Mul) -> str:
        if expr.could_extract_minus_sign() and expr.args[0] == -1:
            rest = sympy.Mul(*expr.args[1:], evaluate=False)
            return "-" + self.parenthesize(rest, sympy.printing.precedence.PRECEDENCE["Mul"])
        numerator, denominator = [], []
        # Scalars lead a product, as a person writes them: k1*(g - m), not (g - m)*k1.
        factors = sorted(expr.as_ordered_factors(), key=lambda factor: factor not in self.scalars)
        for factor in factors:
            if factor.is_Pow and factor.exp.is_Number and factor.exp.is_negative:
                inverse = factor.base if factor.exp == -1 else sympy.Pow(factor.base, -factor.exp, evaluate=False)
                denominator.append(inverse)
            else:
                numerator.append(factor)
        if not numerator:
            raise LiteralInLoopError(f"cannot print {expr} in a loop without a literal 1")
        text = "*".join(self.parenthesize(f, sympy.printing.precedence.PRECEDENCE["Mul"]) for f in numerator)
        for factor in denominator:
            text += "/" + self.parenthesize(factor, sympy.printing.precedence.PRECEDENCE["Mul"] + 1)
        return text


def print_prelude(expr: sympy.Expr, names: dict[sympy.Symbol, str] | None = None) -> str:
    return PreludePrinter(names).doprint(expr)


def latex(expr: sympy.Expr, names: dict[sympy.Symbol, str]) -> str:
    """LaTeX for ``expr`` with the spec's pretty symbol names.

    ``order="none"`` keeps SymPy's canonical argument order, which reads as a person writes
    an update (``w - \\frac{\\eta g}{...}``); the default lexicographic order puts the
    negative term first (``- \\frac{\\eta g}{...} + w``). Both are deterministic.
    """
    return sympy.latex(expr, symbol_names=names, mul_symbol=None, ln_notation=True, order="none")
