"""Python printers: every piece of math in the generated Python is written by one of these.

``ScalarPrinter`` writes plain Python on floats: the once-per-step scalars of
an optimizer, a schedule's value at one step, an initializer's parameters from
the fans. It prints ``Piecewise`` as a conditional expression (only the taken
branch runs), ``Sum`` and ``Product`` over a range as ``sum``/``math.prod`` of
a list (Numba compiles a list, not a generator), indexed elements, and
``floor(log(x)/log(b))`` as the runtime's exact ``floor_log`` (the quotient of
two rounded logarithms misplaces exact powers). ``names`` prints a symbol, a
list or an applied function under the name the generated code gives it.

``LoopPrinter`` writes element loops for Numba: small integer powers as
products, ``math.sqrt``, ``max``/``min``, ``np.sign``, and it refuses
literals, since a Python float in a float32 loop would make Numba compute in
float64 (the planner hoists every literal into a typed scalar first). The one
literal it prints is a small integer compared with (``tmp0 > 0``), exact in
every dtype. A branch (``Piecewise``) that is a whole assignment is laid out
by the template as ``if``/``elif``/``else`` from ``branches``.
"""

from __future__ import annotations

import math

import sympy
from sympy.printing.precedence import PRECEDENCE
from sympy.printing.pycode import PythonCodePrinter

from codegen.lower.schedule import log_ratio


class ScalarPrinter(PythonCodePrinter):
    """Python for scalar code on floats (float64 at run time)."""

    def __init__(self, names: dict | None = None, scalars: frozenset = frozenset()):
        super().__init__({"fully_qualified_modules": True, "standard": "python3"})
        self.names = names or {}
        self.scalars = scalars
        self.helpers: set[str] = set()
        """The runtime helpers the printed code calls (``floor_log``)."""

    @property
    def modules(self) -> frozenset[str]:
        """The modules the printed code uses (``math``, ``numpy``)."""
        return frozenset(self.module_imports)

    def _print_Symbol(self, expr: sympy.Symbol) -> str:
        return self.names.get(expr, expr.name)

    def _print_IndexedBase(self, expr: sympy.IndexedBase) -> str:
        return self.names.get(expr, self._print(expr.label))

    def _print_Indexed(self, expr: sympy.Indexed) -> str:
        indices = ", ".join(self._print(index) for index in expr.indices)
        return f"{self._print(expr.base)}[{indices}]"

    def _print_AppliedUndef(self, expr: sympy.Expr) -> str:
        if expr in self.names:
            return self.names[expr]
        raise ValueError(f"cannot print the undefined function {expr} in generated code")

    def _print_Add(self, expr: sympy.Add, order: str | None = None) -> str:
        """Positive terms first, a bare symbol leading (``m + k*(g - m)``), then ``- x`` terms."""
        terms = sorted(expr.args, key=lambda term: (term.could_extract_minus_sign(), not term.is_Symbol))
        precedence = PRECEDENCE["Add"]
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

    def _print_Sum(self, expr: sympy.Sum) -> str:
        return f"sum({self._comprehension(expr)})"

    def _print_Product(self, expr: sympy.Product) -> str:
        return f"{self._module_format('math.prod')}({self._comprehension(expr)})"

    def _comprehension(self, expr: sympy.Sum | sympy.Product) -> str:
        (index, lower, upper), *more = expr.limits
        if more:
            raise ValueError(f"only single sums and products are printed, not {expr}")
        bounds = f"{self._print(lower)}, {self._print(upper + 1)}"
        return f"[{self._print(expr.function)} for {self._print(index)} in range({bounds})]"

    def _print_floor(self, expr: sympy.floor) -> str:
        ratio = log_ratio(expr.args[0])
        if ratio is not None:
            self.helpers.add("floor_log")
            return f"floor_log({self._print(ratio[0])}, {self._print(ratio[1])})"
        return f"{self._module_format('math.floor')}({self._print(expr.args[0])})"

    def _print_Relational(self, expr: sympy.core.relational.Relational) -> str:
        return f"{self._print(expr.lhs)} {expr.rel_op} {self._print(expr.rhs)}"

    def _print_And(self, expr: sympy.And) -> str:
        return " and ".join(self._condition(arg) for arg in expr.args)

    def _print_Or(self, expr: sympy.Or) -> str:
        return " or ".join(self._condition(arg) for arg in expr.args)

    def _print_Not(self, expr: sympy.Not) -> str:
        return f"not {self._condition(expr.args[0])}"

    def _condition(self, expr: sympy.Basic) -> str:
        """A condition as an operand of ``and``, ``or`` or ``not``: comparisons bind tighter, the rest is wrapped."""
        text = self._print(expr)
        return text if isinstance(expr, sympy.core.relational.Relational) or expr.is_Symbol else f"({text})"

    def _print_Piecewise(self, expr: sympy.Piecewise) -> str:
        """A conditional expression, ``a if c else b if d else e``: only the taken branch runs."""
        *cases, otherwise = self.branches(expr)
        text = otherwise[1]
        for condition, value in reversed(cases):
            text = f"{value} if {condition} else {text}"
        return text

    def branches(self, expr: sympy.Piecewise) -> tuple[tuple[str, str], ...]:
        """Each branch of ``expr`` as (condition, value) texts, in order; the last one's condition is ``""``: it is
        taken when no other is (a Piecewise without that final ``True`` branch is undefined, and refused)."""
        pairs = expr.args
        if pairs[-1].cond is not sympy.true:
            raise ValueError(f"{expr} has no final branch for when no condition holds (a pair ending in True)")
        texts = [(self._print(pair.cond), self.parenthesize(pair.expr, PRECEDENCE["Lambda"] + 1)) for pair in pairs]
        return (*texts[:-1], ("", texts[-1][1]))

    def parenthesize(self, item: sympy.Basic, level: int, strict: bool = False) -> str:
        if isinstance(item, sympy.Piecewise):  # a conditional expression binds more loosely than any operator
            return f"({self._print(item)})"
        return super().parenthesize(item, level, strict)

    def _print_sign(self, expr: sympy.Expr) -> str:
        # numpy.sign keeps the dtype and maps 0 to 0, as sympy.sign does.
        return f"{self._module_format('numpy.sign')}({self._print(expr.args[0])})"

    def _module_format(self, fqn: str, register: bool = True) -> str:
        """``np.sign`` for NumPy (imported as np, as people write it); ``math.sqrt`` for the rest."""
        text = super()._module_format(fqn, register)
        return "np" + text.removeprefix("numpy") if text.startswith("numpy.") else text


class LiteralInLoopError(ValueError):
    """A literal reached the loop printer; the planner should have hoisted it."""


class LoopPrinter(ScalarPrinter):
    """Python for Numba element loops: no literals, products for small integer powers."""

    branch_statements = True
    """A branch that is a whole assignment is written as ``if``/``elif``/``else`` statements."""

    def _print_Pow(self, expr: sympy.Pow, rational: bool = False) -> str:
        base, exponent = expr.base, expr.exp
        parenthesized = self.parenthesize(base, PRECEDENCE["Mul"] + 1)
        if exponent == 2:
            return f"{parenthesized}*{parenthesized}"
        if exponent == 3:
            return f"{parenthesized}*{parenthesized}*{parenthesized}"
        if exponent == sympy.Rational(1, 2):
            return f"{self._module_format('math.sqrt')}({self._print(base)})"
        if exponent.is_Number:
            raise LiteralInLoopError(f"cannot print {expr} in a loop without a literal")
        return f"{self.parenthesize(base, PRECEDENCE['Pow'])}**{self.parenthesize(exponent, PRECEDENCE['Pow'])}"

    def _print_Number(self, expr: sympy.Number) -> str:
        raise LiteralInLoopError(f"literal {expr} in a loop body")

    _print_Integer = _print_Rational = _print_Float = _print_Number

    def _print_Relational(self, expr: sympy.core.relational.Relational) -> str:
        # A small integer compared with stays a literal (the planner keeps it): it is exact in every dtype.
        sides = [str(side.p) if side.is_Integer else self._print(side) for side in (expr.lhs, expr.rhs)]
        return f"{sides[0]} {expr.rel_op} {sides[1]}"

    def _print_Mul(self, expr: sympy.Mul) -> str:
        if expr.could_extract_minus_sign() and expr.args[0] == -1:
            rest = sympy.Mul(*expr.args[1:], evaluate=False)
            return "-" + self.parenthesize(rest, PRECEDENCE["Mul"])
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
        text = "*".join(self.parenthesize(f, PRECEDENCE["Mul"]) for f in numerator)
        for factor in denominator:
            text = self._divided(text, factor)
        return text

    def _divided(self, numerator: str, denominator: sympy.Expr) -> str:
        """``numerator`` (printed) divided by ``denominator``."""
        if denominator.is_Pow and denominator.exp in (2, 3):
            return f"{numerator}/({self._print(denominator)})"  # printed as a product: x*x
        return f"{numerator}/{self.parenthesize(denominator, PRECEDENCE['Mul'] + 1)}"


def float_literal(value: sympy.Expr | float) -> str:
    """A number as Python source for a float: ``0.9``, ``math.inf``, ``-math.inf``."""
    number = float(value)
    if math.isinf(number):
        return "math.inf" if number > 0 else "-math.inf"
    return repr(number)
