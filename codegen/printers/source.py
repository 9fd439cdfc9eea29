"""Source printers: SymPy expressions and schedule calls as Python source that evaluates back to them.

The generated checks state their math as SymPy source (``code``), so a reader
sees exactly what is proved and the proof does not depend on the spec loader;
``call_text`` writes the constructor call that builds a schedule with given
arguments, for the checks and for ``trainspec verify``'s messages.
"""

from __future__ import annotations

import sympy

from codegen.language.common import exact
from codegen.language.schedule import Call


def code(expr: sympy.Basic) -> str:
    """SymPy source for ``expr`` that evaluates back to it exactly (integers as ``S(n)``, never Python division)."""
    return sympy.sstr(sympy.sympify(expr), sympy_integers=True)


def call_text(call: Call, numbers: dict, package: str | None = "trainspec") -> str:
    """Python that builds the schedule ``call`` describes, its symbols replaced by ``numbers``.

    The class is qualified by ``package`` (``trainspec.CosineDecay(...)``), or bare with None.
    """
    arguments = ", ".join(f"{name}={_value_text(value, numbers, package)}" for name, value in call.arguments.items())
    prefix = f"{package}." if package else ""
    return f"{prefix}{call.schedule}({arguments})"


def _value_text(value, numbers: dict, package: str | None) -> str:
    if isinstance(value, Call):
        return call_text(value, numbers, package)
    if isinstance(value, sympy.FunctionClass) and value in numbers:
        return call_text(numbers[value], numbers, package)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_value_text(item, numbers, package) for item in value) + "]"
    if isinstance(value, (bool, str)) or value is None:
        return repr(value)
    number = sympy.sympify(value).xreplace({s: exact(v) for s, v in numbers.items() if isinstance(s, sympy.Symbol)})
    if not number.is_number:
        raise ValueError(f"no number for {number} in {numbers}")
    return repr(int(number)) if number.is_Integer else repr(float(number))
