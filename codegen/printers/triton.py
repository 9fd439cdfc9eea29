"""The Triton printer: an element update as the body of a Triton kernel, one block of elements at a time.

It prints what ``LoopPrinter`` prints, with the functions of ``triton.language``
(``tl.maximum``, ``tl.minimum``, ``tl.abs``, ``tl.where`` for a branch) and, where Triton's own operation
is not correctly rounded in float32 (division and square root are
approximations there), the runtime's ``divide`` and ``sqrt``, which choose the
IEEE operation for the block's dtype. ``sign`` and ``power`` come from the
runtime too: Triton has neither for every dtype.
"""

from __future__ import annotations

import sympy

from codegen.printers.python import LoopPrinter

RUNTIME_FUNCTIONS = ("divide", "power", "sign", "sqrt")
"""The functions of ``runtime.triton_math`` that printed kernels call."""


class TritonPrinter(LoopPrinter):
    """Triton for the body of a kernel over a block of elements."""

    branch_statements = False  # the elements of a block take different branches: a select, not statements

    def _print_Pow(self, expr: sympy.Pow, rational: bool = False) -> str:
        if expr.exp == sympy.Rational(1, 2):
            return f"sqrt({self._print(expr.base)})"
        if expr.exp.is_Number:  # squares and cubes as products; any other literal power is refused there
            return super()._print_Pow(expr, rational)
        return f"power({self._print(expr.base)}, {self._print(expr.exp)})"

    def _divided(self, numerator: str, denominator: sympy.Expr) -> str:
        return f"divide({numerator}, {self._print(denominator)})"

    def _print_Max(self, expr: sympy.Max) -> str:
        return self._nested("tl.maximum", expr.args)

    def _print_Min(self, expr: sympy.Min) -> str:
        return self._nested("tl.minimum", expr.args)

    def _nested(self, function: str, args: tuple[sympy.Expr, ...]) -> str:
        first, *rest = args
        text = self._print(first)
        for arg in rest:
            text = f"{function}({text}, {self._print(arg)})"
        return text

    def _print_Abs(self, expr: sympy.Abs) -> str:
        return f"tl.abs({self._print(expr.args[0])})"

    def _print_sign(self, expr: sympy.Expr) -> str:
        return f"sign({self._print(expr.args[0])})"

    def _print_Piecewise(self, expr: sympy.Piecewise) -> str:
        """Nested ``tl.where``: a block's elements take different branches, so each branch is computed and the
        condition selects, element by element."""
        *cases, (_, text) = self.branches(expr)
        for condition, value in reversed(cases):
            text = f"tl.where({condition}, {value}, {text})"
        return text

    def _print_And(self, expr: sympy.And) -> str:
        return " & ".join(f"({self._print(arg)})" for arg in expr.args)

    def _print_Or(self, expr: sympy.Or) -> str:
        return " | ".join(f"({self._print(arg)})" for arg in expr.args)

    def _print_Not(self, expr: sympy.Not) -> str:
        return f"~({self._print(expr.args[0])})"
