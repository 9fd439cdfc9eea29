"""Stage 4: the frozen models of finished strings that templates lay out.

Templates receive nothing else: no SymPy objects, no logic beyond loops over
these fields. Every string here was written by a printer in ``printers.py``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import sympy

from codegen.lower import WEIGHT_DECAY, Lowered
from codegen.optimize import KernelPlan, plan_kernel
from codegen.printers import KernelPrinter, PreludePrinter, print_prelude
from codegen.spec import Constraint, OptimizerSpec, Option, t


@dataclass(frozen=True)
class Line:
    target: str
    value: str


@dataclass(frozen=True)
class KernelModel:
    name: str
    enabled: str
    hyperparameters: str
    prelude_arguments: tuple[str, ...]
    prelude: tuple[Line, ...]
    scalars: tuple[str, ...]
    optimizer_state_out: tuple[str, ...]
    arrays: tuple[str, ...]
    loads: tuple[Line, ...]
    body: tuple[Line, ...]
    stores: tuple[Line, ...]
    state: str
    optimizer_state: str


@dataclass(frozen=True)
class ArgumentModel:
    name: str
    default: str
    domain: tuple[str, str, str, str]


@dataclass(frozen=True)
class OptimizerModuleModel:
    source: str
    spec_name: str
    class_name: str
    default_name: str
    summary: str
    docstring: str
    hyperparameters: tuple[ArgumentModel, ...]
    domains: tuple[ArgumentModel, ...]
    flags: tuple[ArgumentModel, ...]
    switches: tuple[str, ...]
    initial_state: tuple[Line, ...]
    kernels: tuple[KernelModel, ...]
    kernels_module: str
    """The module whose VARIANTS and initial_state this one imports ("" when it has its own)."""
    imports: tuple[str, ...]
    selection: tuple[tuple[str, str], ...]
    base_arguments: tuple[tuple[str, str], ...]
    keras_base_options: str
    constraints: tuple[str, ...]


# The constructor arguments every Keras optimizer takes besides its own (semantics.md §1.4).
KERAS_BASE_ARGUMENTS = ("weight_decay", "clipnorm", "clipvalue", "global_clipnorm")


def optimizer_module_model(lowered: Lowered) -> OptimizerModuleModel:
    spec = lowered.spec
    imports: set[str] = {"math"}
    shared = spec.kernels_of is not None  # the update is another spec's: import its kernels, print none
    if not shared:
        imports.add("numba")
    kernels = () if shared else tuple(kernel_model(plan_kernel(variant), imports) for variant in lowered.variants)
    flags = tuple(
        ArgumentModel(option.argument, repr(option.default), ("", "", "", ""))
        for option in spec.options
        if option.kind == "flag"
    )
    return OptimizerModuleModel(
        source=spec.source,
        spec_name=spec.name,
        class_name=spec.name,
        default_name=spec.module_name,
        summary=_docstring_text(spec.summary),
        docstring=_docstring_text(_docstring(spec)),
        hyperparameters=tuple(_argument(h) for h in spec.hyperparameters),
        domains=tuple(_argument(h) for h in (*spec.hyperparameters, *_base_hyperparameters(spec))),
        flags=flags,
        switches=tuple(_switch(option) for option in lowered.options),
        initial_state=_initial_state(spec),
        kernels=kernels,
        kernels_module=spec.kernels_of or "",
        imports=tuple(sorted(imports)),
        selection=tuple((repr(switches), name) for switches, name in lowered.selection),
        base_arguments=_base_arguments(spec),
        keras_base_options=repr(spec.base_options == "keras"),
        constraints=tuple(
            constraint_source(c, {h.symbol: h.argument for h in spec.hyperparameters}) for c in spec.constraints
        ),
    )


def _base_arguments(spec: OptimizerSpec) -> tuple[tuple[str, str], ...]:
    """The base arguments with their defaults as source text; none for a spec in another convention."""
    if spec.base_options != "keras":
        return ()
    defaults = {"weight_decay": spec.weight_decay_default}
    return tuple((argument, repr(defaults.get(argument))) for argument in KERAS_BASE_ARGUMENTS)


def _base_hyperparameters(spec: OptimizerSpec) -> tuple:
    return (WEIGHT_DECAY,) if spec.base_options == "keras" else ()


def kernel_model(plan: KernelPlan, imports: set[str]) -> KernelModel:
    """The strings of one variant's prelude and kernel; adds the modules they use to ``imports``."""
    variant = plan.variant
    loop_printer = KernelPrinter(scalars=frozenset(plan.scalars))
    arguments = [h.symbol.name for h in variant.hyperparameters] + [t.name]
    arguments += [s.symbol.name for s in variant.optimizer_state]
    arrays = ("param", "grad", *(s.name for s in variant.parameter_state))
    body = tuple(Line(lhs.name, loop_printer.doprint(rhs)) for lhs, rhs in plan.body)
    imports.update(loop_printer.module_imports)
    return KernelModel(
        name=variant.name,
        enabled=", ".join(variant.enabled) or "no options",
        hyperparameters=repr(tuple(h.argument for h in variant.hyperparameters)),
        prelude_arguments=tuple(arguments),
        prelude=tuple(Line(lhs.name, print_prelude(rhs)) for lhs, rhs in plan.prelude),
        scalars=tuple(s.name for s in plan.scalars),
        optimizer_state_out=tuple(symbol.name for _, symbol in plan.optimizer_state_out),
        arrays=arrays,
        loads=tuple(Line(symbol.name, f"{array}[i]") for array, symbol in plan.loads),
        body=body,
        stores=tuple(Line(f"{array}[i]", symbol.name) for array, symbol in plan.stores),
        state=repr(tuple(s.name for s in variant.parameter_state)),
        optimizer_state=repr(tuple(s.name for s in variant.optimizer_state)),
    )


def constraint_source(constraint: Constraint, names: dict[sympy.Symbol, str]) -> str:
    """The runtime ``Constraint`` as Python source: its condition over the arguments ``names`` gives the symbols."""
    condition = constraint.condition.xreplace({symbol: sympy.Symbol(name) for symbol, name in names.items()})
    arguments = tuple(sorted(s.name for s in condition.free_symbols))
    text = PreludePrinter().doprint(condition)
    when = "" if constraint.when is None else f", when={constraint.when!r}"
    return f"Constraint({arguments!r}, lambda {', '.join(arguments)}: {text}, {text!r}, {constraint.message!r}{when})"


def _switch(option: Option) -> str:
    """The runtime ``Switch`` that selects ``option``, as Python source."""
    if option.kind == "value":
        return f"Switch({option.argument!r}, {option.kind!r}, {float(option.value)!r})"
    return f"Switch({option.argument!r}, {option.kind!r})"


def _argument(h) -> ArgumentModel:
    interval = h.domain
    bounds = (
        _float_text(interval.inf),
        _float_text(interval.sup),
        repr(bool(interval.left_open)),
        repr(bool(interval.right_open)),
    )
    return ArgumentModel(h.argument, repr(h.default), bounds)


def _float_text(value: sympy.Expr) -> str:
    number = float(value)
    if math.isinf(number):
        return "math.inf" if number > 0 else "-math.inf"
    return repr(number)


def _initial_state(spec: OptimizerSpec) -> tuple[Line, ...]:
    names = {h.symbol: f"hyperparameters[{h.argument!r}]" for h in spec.hyperparameters}
    return tuple(Line(s.name, print_prelude(sympy.sympify(s.initial), names)) for s in spec.state)


def _docstring(spec: OptimizerSpec) -> str:
    """The class docstring, indented for the class body."""
    lines = [f"{spec.summary}", "", f"{spec.convention} convention; generated from ``{spec.source}``.", ""]
    if spec.derived_from is not None:
        lines[-1:] = [f"Derived from {spec.derived_from.parent} by {spec.derived_from.text}.", ""]
    lines.append(f"Arguments ({spec.convention} names and defaults):")
    for h in spec.hyperparameters:
        lines.append(f"    {h.argument}: {h.description}; default {h.default!r}, in {interval_text(h.domain)}.")
    for option in spec.options:
        if option.kind == "flag":
            lines.append(f"    {option.argument}: {option.description}; default {option.default!r}.")
    if spec.base_options == "keras":
        lines.append("    weight_decay, clipnorm, clipvalue, global_clipnorm: the Keras base options.")
    for constraint in spec.constraints:
        when = "" if constraint.when is None else f" (with {constraint.when}=True)"
        lines.append(f"    {constraint.message}{when}.")
    return "\n".join(f"    {line}" if line else "" for line in lines).lstrip()


def _docstring_text(text: str) -> str:
    """``text`` escaped for a triple-quoted docstring: LaTeX backslashes doubled, so no invalid escapes."""
    return text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')


def interval_text(interval: sympy.Interval) -> str:
    """An interval as a mathematician writes it in plain text: ``[0, 1)``, ``(0, inf)``."""
    left = "(" if interval.left_open else "["
    right = ")" if interval.right_open else "]"
    return f"{left}{_plain(interval.inf)}, {_plain(interval.sup)}{right}"


def _plain(value: sympy.Expr) -> str:
    return {sympy.oo: "inf", -sympy.oo: "-inf"}.get(value, str(value))
