"""LaTeX printers: every formula and every piece of prose in the generated documentation.

``latex`` prints SymPy with the spec's pretty names and one term order for
every kind (positive terms first, a bare symbol leading: ``w - \\eta g``,
``r - 2``). ``text`` escapes plain prose for text mode, the one escaper:
LaTeX's special characters, and the Unicode that specs write in their plain
text (Greek letters, ``√``, ``±``, ``ε̂``...) as the math it stands for.
``prose`` keeps the ``$...$`` math a docs-only field may hold. Only the LaTeX
kernel and amsmath are needed to typeset the result.
"""

from __future__ import annotations

import unicodedata

import sympy
from sympy.printing.latex import LatexPrinter
from sympy.printing.precedence import PRECEDENCE

from codegen.errors import SpecError
from codegen.language.optimizer import tensor_sum
from codegen.printers.text import interval_text

# LaTeX's special characters in text mode; an underscore may break a line (long argument names in table cells).
_SPECIAL = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "&": r"\&",
    "#": r"\#",
    "%": r"\%",
    "$": r"\$",
    "_": r"\_\allowbreak{}",
    "^": r"\^{}",
    "~": r"\~{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
    "|": r"\textbar{}",
    "–": "--",
    "—": "---",
    "‘": "`",
    "’": "'",
    "“": "``",
    "”": "''",
    "…": r"\ldots{}",
    "§": r"\S{}",
}

# Unicode that plain-text prose uses for math, and the math it stands for.
_GREEK = [
    "alpha",
    "beta",
    "gamma",
    "delta",
    "epsilon",
    "zeta",
    "eta",
    "theta",
    "iota",
    "kappa",
    "lambda",
    "mu",
    "nu",
    "xi",
    "o",
    "pi",
    "rho",
    "varsigma",
    "sigma",
    "tau",
    "upsilon",
    "phi",
    "chi",
    "psi",
    "omega",
]
_MATH = {
    **{chr(0x3B1 + i): "\\" + name for i, name in enumerate(_GREEK)},
    "ο": "o",
    "µ": r"\mu",
    "Γ": r"\Gamma",
    "Δ": r"\Delta",
    "Θ": r"\Theta",
    "Λ": r"\Lambda",
    "Π": r"\Pi",
    "Σ": r"\Sigma",
    "Φ": r"\Phi",
    "Ψ": r"\Psi",
    "Ω": r"\Omega",
    "−": "-",
    "·": r"\cdot",
    "×": r"\times",
    "±": r"\pm",
    "∓": r"\mp",
    "√": r"\surd",
    "‖": r"\Vert",
    "→": r"\to",
    "←": r"\leftarrow",
    "↔": r"\leftrightarrow",
    "≔": r"\coloneqq",
    "≤": r"\le",
    "≥": r"\ge",
    "≠": r"\ne",
    "≈": r"\approx",
    "∞": r"\infty",
    "½": r"\tfrac12",
    "²": "^2",
    "³": "^3",
    "¹": "^1",
    "⁴": "^4",
    "⁻": "^-",
    "ᵀ": r"^{\mathsf T}",
    "ᵗ": "^t",
    **{chr(0x2080 + i): f"_{i}" for i in range(10)},
}
_ACCENTS = {"\u0302": r"\hat", "\u0304": r"\bar"}


def text(plain: str, where: str = "text") -> str:
    """Plain prose for LaTeX text mode: specials escaped, Unicode math as math, accented letters kept.

    A character that has no LaTeX meaning here raises ``ValueError`` naming ``where``.
    """
    pieces: list[str] = []
    index = 0
    while index < len(plain):
        character, index = plain[index], index + 1
        accents = []
        while index < len(plain) and plain[index] in _ACCENTS:
            accents.append(_ACCENTS[plain[index]])
            index += 1
        if accents:  # ε̂, v̂: the letter as math under its accents
            body = _MATH.get(character, character)
            for accent in accents:
                body = f"{accent}{{{body}}}"
            pieces.append(rf"\ensuremath{{{body}}}")
        elif character in _SPECIAL:
            pieces.append(_SPECIAL[character])
        elif character in _MATH:
            pieces.append(rf"\ensuremath{{{_MATH[character]}}}")
        elif character.isascii() or _is_accented_letter(character):
            pieces.append(character)  # pdfLaTeX's UTF-8 input writes é as \'e
        else:
            raise ValueError(f"{where}: character {character!r} has no LaTeX form here; write it in plain ASCII")
    return "".join(pieces)


def _is_accented_letter(character: str) -> bool:
    """A Latin letter with accents (é, ü, ő): an ASCII letter followed by combining marks."""
    decomposed = unicodedata.normalize("NFD", character)
    return decomposed[0].isascii() and decomposed[0].isalpha() and all(unicodedata.combining(c) for c in decomposed[1:])


def prose(source_text: str, source: str, spec: str, where: str) -> str:
    """A docs-only field of a spec (a convention note, a reference): ``$...$`` math kept, the rest escaped.

    Errors name the spec file (``source``), the spec and the field (``where``).
    """
    pieces = source_text.split("$")
    if len(pieces) % 2 == 0:
        raise SpecError(source, f"unbalanced $ in {where}: {source_text!r}", spec=spec)
    try:
        return "$".join(piece if index % 2 else text(piece, where) for index, piece in enumerate(pieces))
    except ValueError as error:
        raise SpecError(source, str(error), spec=spec) from error


_TT_ESCAPES = {c: rf"\char{ord(c)}{{}}" for c in "_{}\\^~<>|"}


def texttt(name: str) -> str:
    """``name`` in typewriter type, with real glyphs for ``_ { } \\ ^ ~ < > |``.

    The typewriter font has them at their ASCII codes, and ``\\char`` selects them, so
    an argument copied from the PDF keeps its underscores (``\\_`` draws a rule, which
    copies as a space).
    """
    return r"\texttt{" + "".join(_TT_ESCAPES.get(c) or text(c) for c in name) + "}"


def math(formula: str) -> str:
    return f"${formula}$"


def domain_latex(domain: sympy.Set) -> str:
    """A domain in math mode: ``\\{1, 2, \\ldots\\}`` for a Range from 1, ``(0, \\infty)`` for an interval."""
    if isinstance(domain, sympy.Range):
        return f"\\{{{domain.inf}, {domain.inf + 1}, \\ldots\\}}"
    return interval_text(domain).replace("inf", r"\infty")


def latex_number(value: float | None) -> str:
    """A default as users write it: ``$0.9$``, ``$10^{-7}$``, ``None``."""
    return texttt("None") if value is None else math(number_formula(value))


def number_formula(value: float) -> str:
    """A number in math mode as users write it: ``0.9``, ``10^{-7}``, ``5 \\cdot 10^{-3}``."""
    figure = float(value)
    if figure.is_integer():
        return str(int(figure))
    written = repr(figure)
    if "e" not in written:
        return written
    mantissa, exponent = written.split("e")
    power = f"10^{{{int(exponent)}}}"
    return power if float(mantissa) == 1 else f"{mantissa} \\cdot {power}"


class _Printer(LatexPrinter):
    """SymPy's LaTeX with one term order for sums: positive terms first, a bare symbol leading; a comparison with
    what varies on its left (SymPy's Piecewise stores ``k < W`` as ``W > k``); a sum over the tensor as Σ over its
    elements, and the root of a sum of squares as the norm ‖x‖."""

    leading: frozenset = frozenset()
    """The symbols that vary (a schedule's step and what is defined from it): a comparison reads them first."""
    variables: frozenset = frozenset()
    """The per-element quantities of an update (the weight, the gradient, the state): a product writes its
    coefficients before them, (1 − β₁) g, and a sum its terms with them first, √v̂ + ε, as the papers do."""

    def _print_Relational(self, expr: sympy.core.relational.Relational) -> str:
        if self.leading & expr.rhs.free_symbols and not self.leading & expr.lhs.free_symbols:
            expr = expr.reversed
        return super()._print_Relational(expr)

    def _print_tensor_sum(self, expr: sympy.Expr) -> str:
        # The text-size sum sign alone in its group: a style switch reaches to the end of its group otherwise (a
        # branch's whole value), and pandoc reads no style switch right after another (a branch's \displaystyle).
        return rf"{{\textstyle\sum_{{\mathrm{{tensor}}}}}} {self.parenthesize(expr.args[0], PRECEDENCE['Mul'])}"

    def _print_Pow(self, expr: sympy.Pow) -> str:
        base, exponent = expr.base, expr.exp
        if exponent == sympy.Rational(1, 2) and isinstance(base, tensor_sum):
            inner = base.args[0]
            if inner.is_Pow and inner.exp == 2:
                return rf"\left\lVert {self._print(inner.base)} \right\rVert"
        return super()._print_Pow(expr)

    def _print_Piecewise(self, expr: sympy.Piecewise) -> str:
        # Each value in display style: SymPy's cases shrink the fractions of every branch to text size.
        rows = []
        for value, condition in expr.args:
            when = r"\text{otherwise}" if condition == sympy.true else rf"\text{{if }} {self._print(condition)}"
            rows.append(rf"\displaystyle {self._print(value)} & {when}")
        return r"\begin{cases} " + r" \\ ".join(rows) + r" \end{cases}"

    def _print_Mul(self, expr: sympy.Mul) -> str:
        # ½(1 − α)(1 + cos …) as textbooks write it, not one fraction over a product of several parenthesised factors.
        coefficient, rest = expr.as_coeff_Mul()
        if coefficient.is_Rational and coefficient.q != 1 and rest.is_Mul and _compound_factors(rest) >= 2:
            sign = "- " if coefficient < 0 else ""
            return rf"{sign}\frac{{{abs(coefficient.p)}}}{{{coefficient.q}}} {self._print(rest)}"
        # SymPy takes a sign out by evaluating -expr, which would undo the order: a product with one is left as it is.
        if self.variables and not expr.could_extract_minus_sign():
            numerator, denominator = sympy.fraction(expr, exact=True)
            factors = sympy.Mul.make_args(numerator)
            ordered = sorted(factors, key=self._varies)
            if ordered != list(factors):
                numerator = sympy.Mul(*ordered, evaluate=False)
                if denominator == 1:
                    return super()._print_Mul(numerator)
                return rf"\frac{{{self._print(numerator)}}}{{{self._print(denominator)}}}"
        return super()._print_Mul(expr)

    def _varies(self, term: sympy.Expr) -> bool:
        return bool(term.free_symbols & self.variables)

    def _print_Add(self, expr: sympy.Add, order: str | None = None) -> str:
        terms = sorted(
            expr.args, key=lambda term: (term.could_extract_minus_sign(), not self._varies(term), not term.is_Symbol)
        )
        written = ""
        for term in terms:
            if written and term.could_extract_minus_sign():
                written += " - " + self.parenthesize(-term, PRECEDENCE["Add"])
            elif written:
                written += " + " + self.parenthesize(term, PRECEDENCE["Add"])
            else:
                written = self._print(term)
        return written


def _compound_factors(product: sympy.Mul) -> int:
    """How many factors of ``product`` are sums or functions (what a printed product parenthesises or names)."""
    return sum(
        1 for factor in product.args if factor.is_Add or factor.is_Function or (factor.is_Pow and factor.base.is_Add)
    )


def latex(expr: sympy.Basic, names: dict, leading: frozenset = frozenset(), variables: frozenset = frozenset()) -> str:
    """LaTeX for ``expr`` with the spec's pretty symbol names; comparisons read a symbol of ``leading`` first, and
    products and sums place the per-element ``variables`` of an update as the papers do."""
    printer = _Printer({"symbol_names": names, "mul_symbol": None, "ln_notation": True, "order": "none"})
    printer.leading, printer.variables = leading, variables
    return printer.doprint(expr)
