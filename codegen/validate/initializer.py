"""Stage 1 for initializers: check that a spec means something before anything is generated from it.

A derived initializer's settings are checked against its parent when it is
resolved (``codegen.lower.initializer``), where the parent's arguments and
choices are known.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Callable

import sympy

from codegen.errors import SpecError
from codegen.language.common import admits
from codegen.language.initializer import CONSTANTS, FAMILIES, LAYOUTS, Choice, InitializerSpec, fan_in, fan_out


def validate(spec: InitializerSpec) -> InitializerSpec:
    """Raise ``SpecError`` (naming the file and the symbol) unless ``spec`` is well formed."""

    def fail(message: str, symbol: object = None) -> None:
        raise SpecError(spec.source, message, spec=spec.name, symbol=None if symbol is None else str(symbol))

    if not spec.name.isidentifier() or not spec.module_name.isidentifier():
        fail(f"names must be identifiers, got {spec.name!r} and {spec.module_name!r}")
    if spec.layout not in (None, *LAYOUTS):
        fail(f"unknown layout {spec.layout!r}; known: {sorted(LAYOUTS)}")
    _check_arguments_and_choices(spec, fail)
    if spec.derived_from is not None:
        if spec.cases or any(c.selects_case for c in spec.choices):
            fail("a derived initializer declares no cases, and only valued choices (Choice.sets) of its own")
        return
    if not spec.cases:
        fail("declares no distribution (cases) and is not derived_from another initializer")
    known = {h.symbol for h in spec.arguments} | {c.sets for c in spec.choices if c.sets} | {fan_in, fan_out}
    known |= set(CONSTANTS)
    for case in spec.cases:
        if case.distribution.family not in FAMILIES:
            fail(f"unknown distribution family {case.distribution.family!r}")
        for parameter, expr in case.distribution.parameters:
            stray = sympy.sympify(expr).free_symbols - known
            if stray:
                fail(
                    f"parameter {parameter} uses undeclared symbols {sorted(map(str, stray))}",
                    sorted(stray, key=str)[0],
                )
    expected = _all_settings(tuple(c for c in spec.choices if c.selects_case))
    declared = [case.settings for case in spec.cases]
    if sorted(declared) != sorted(expected) or len(set(declared)) != len(declared):
        fail(f"needs exactly one case per combination of the choices' options: {expected}")


def _check_arguments_and_choices(spec: InitializerSpec, fail: Callable[..., None]) -> None:
    for h in spec.arguments:
        name = h.symbol.name
        if not name.isidentifier() or keyword.iskeyword(name) or name in RESERVED_NAMES or re.fullmatch(r"x\d+", name):
            fail("argument symbols need identifier names that generated code does not use itself", h.symbol)
        if h.default is not None and not admits(h.domain, h.default):
            fail(f"default {h.default!r} of {h.argument} is outside its domain {h.domain}", h.symbol)
    arguments = {h.symbol for h in spec.arguments}
    for choice in spec.choices:
        if choice.default not in choice.options or any(o not in choice.options for _, o in choice.aliases):
            fail(f"choice {choice.argument}: the default and every alias must be among {choice.options}")
        if choice.sets is None:
            continue
        if sorted(dict(choice.values)) != sorted(choice.options):
            fail(f"valued choice {choice.argument}: needs exactly one value per option", choice.sets)
        for option, value in choice.values:
            stray = sympy.sympify(value).free_symbols - arguments
            if stray:
                fail(f"{choice.argument}={option!r} sets {choice.sets} to an expression of undeclared symbols", option)


RESERVED_NAMES = frozenset({"fan_in", "fan_out", "math", "np", "numba", "seed", "self", "out", "rng", "variate"})
"""Names the generated functions and classes use for themselves; an argument symbol may not take one."""


def _all_settings(choices: tuple[Choice, ...]) -> list[tuple[tuple[str, str], ...]]:
    settings: list[tuple[tuple[str, str], ...]] = [()]
    for choice in choices:
        settings = [(*s, (choice.argument, option)) for s in settings for option in choice.options]
    return settings
