"""Stage 1 for estimators: check that a spec means something before anything is generated from it.

Every check raises ``SpecError`` naming the spec file and the symbol at fault.
"""

from __future__ import annotations

import keyword

import sympy

from codegen.errors import SpecError
from codegen.language.estimator import SYMBOLS, EstimatorSpec, N, sigma
from codegen.load import Registry

# Names the generated classes use for themselves; no argument may take them.
RESERVED_NAMES = frozenset({"examples", "number", "count", "start", "seed", "last_batch", "self", "config"})


def validate(spec: EstimatorSpec, registry: Registry) -> EstimatorSpec:
    """Return ``spec`` if it is well formed; raise ``SpecError`` naming the file and symbol otherwise."""
    arguments = {argument.symbol for argument in spec.arguments}
    for argument in spec.arguments:
        _check_argument(spec, argument)
    _check_symbols(spec, "batch_size", spec.batch_size, {N, *arguments})
    batch_size = sympy.sympify(spec.batch_size)
    if not batch_size.is_integer or not batch_size.is_positive:
        _fail(spec, f"batch_size {batch_size} must be a positive integer for every N and every argument")
    _check_symbols(spec, "mean", spec.mean, {*SYMBOLS, *arguments})
    _check_symbols(spec, "variance", spec.variance, {*SYMBOLS, *arguments})
    if not sympy.simplify(sympy.sympify(spec.variance).subs(sigma, 0)).is_zero:
        _fail(spec, f"variance {spec.variance} must vanish when the examples' gradients agree (sigma = 0)", sigma)
    if spec.derived_from is not None:
        parents = {s.name for s in registry.of("estimator")}
        if spec.derived_from.parent not in parents:
            known = ", ".join(sorted(parents))
            _fail(spec, f"derived from {spec.derived_from.parent!r}, which is no estimator here; known: {known}")
    return spec


def _check_argument(spec: EstimatorSpec, argument) -> None:
    name = argument.argument
    if not name.isidentifier() or keyword.iskeyword(name) or name in RESERVED_NAMES:
        _fail(spec, f"argument {name!r} is not usable as a Python name (or is reserved)", argument.symbol)
    domain = argument.domain
    if not isinstance(domain, sympy.Range) or domain.step != 1 or domain.sup != sympy.oo or domain.inf < 1:
        _fail(spec, f"argument {name!r} counts examples: its domain must be Range(k, oo) with k >= 1", argument.symbol)
    if not isinstance(argument.default, int) or argument.default not in domain:
        _fail(spec, f"argument {name!r}: default {argument.default!r} is not an integer in its domain", argument.symbol)


def _check_symbols(spec: EstimatorSpec, field: str, expr: object, allowed: set) -> None:
    try:
        value = sympy.sympify(expr)
    except sympy.SympifyError:
        _fail(spec, f"{field} {expr!r} is not a SymPy expression")
    for symbol in sorted(value.free_symbols - allowed, key=str):
        names = ", ".join(sorted(str(s) for s in allowed))
        _fail(spec, f"{field} uses {symbol}, which is neither an argument nor one of {names}", symbol)


def _fail(spec: EstimatorSpec, message: str, symbol: object = None) -> None:
    raise SpecError(spec.source, message, spec=spec.name, symbol=None if symbol is None else str(symbol))
