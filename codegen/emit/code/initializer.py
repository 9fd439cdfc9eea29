"""The models of the initializer modules: one kernel module for all families, and one module per initializer.

The kernels depend only on a distribution family, never on an initializer, so
they live in one module (``initializers/kernels.py``) and compile once; each
initializer's module holds the functions that turn a shape's fans and the
arguments into the kernel's scalars, printed from its spec, and its class.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy

from codegen.emit.code.optimizer import constraint_source, domain_source
from codegen.emit.common import Emitted, Line, docstring, modules_used
from codegen.language.initializer import (
    CONSTANTS,
    FAMILIES,
    LAYOUTS,
    MATRIX_SHAPE,
    STREAM_BLOCK,
    constant_values,
    i,
    j,
    u,
    z,
)
from codegen.lower.initializer import Resolved
from codegen.plan import CasePlan, FamilyPlan
from codegen.printers.python import LoopPrinter, ScalarPrinter

KERNELS_SOURCE = "codegen/language/initializer.py"
"""Where the families, the fans and the truncation constant the kernels module prints are declared."""

# How a kernel draws each variate from the Generator it is given, in the precision ``variate``
# (np.float32 or np.float64, chosen by the runtime from the family's variate_dtype).
DRAWS = {z: "rng.standard_normal(dtype=variate)", u: "rng.random(dtype=variate)"}

CONSTANT_NAMES = {symbol: symbol.name.upper() for symbol in CONSTANTS}

LAYOUT_DOCS = {
    "keras": "Keras's (fan_in, fan_out) of a shape of any rank (kernels are stored (..., in, out)).",
    "torch": "torch.nn.init's (fan_in, fan_out) of a shape of rank at least 2 (stored (out, in, ...)).",
}

CONVENTIONS = {"keras": "Keras 3", "torch": "PyTorch (torch.nn.init, shapes (out, in, ...))"}
"""Whose semantics a class of each layout follows, for its docstring."""


# ----------------------------------------------------------------- the family kernels


@dataclass(frozen=True)
class KernelModel:
    name: str
    family: str
    doc: str
    arguments: tuple[str, ...]
    draw: str
    variate: str
    reject: str
    sample: str
    diagonal: str = ""
    otherwise: str = ""


@dataclass(frozen=True)
class FansModel:
    function: str
    doc: str
    lines: tuple[Line, ...]


@dataclass(frozen=True)
class KernelsModule:
    block_size: str
    constants: tuple[tuple[str, str, str], ...]
    fans: tuple[FansModel, ...]
    matrix: tuple[Line, ...]
    kernels: tuple[KernelModel, ...]


def fans_function(layout: str) -> str:
    """The name of the generated function that computes ``layout``'s fans."""
    return "compute_fans" if layout == "keras" else f"{layout}_compute_fans"


def kernel_name(family: str) -> str:
    return f"fill_{family}"


def _kernel(plan: FamilyPlan) -> KernelModel:
    printer = LoopPrinter(scalars=frozenset(plan.scalars))
    variate = plan.family.variate
    pieces = {}
    if isinstance(plan.sample, sympy.Piecewise):
        # Identity: one value on the diagonal (i = j), another elsewhere; the kernel writes the
        # second over the whole row, then the first on the diagonal, so the loop has no branch.
        (on_diagonal, condition), (elsewhere, _) = plan.sample.args
        if condition != sympy.Eq(i, j):
            raise ValueError(f"family {plan.family.kind}: a piecewise sample must split on i == j, got {condition}")
        pieces = {"diagonal": printer.doprint(on_diagonal), "otherwise": printer.doprint(elsewhere)}
    return KernelModel(
        name=kernel_name(plan.family.kind),
        family=plan.family.kind,
        doc=docstring(f"{plan.family.kind}: {plan.family.description}; {_KERNEL_DOCS[_shape(plan)]}"),
        arguments=tuple(symbol.name for symbol in plan.scalars),
        draw=DRAWS[variate] if variate is not None else "",
        variate=variate.name if variate is not None else "",
        reject=printer.doprint(plan.reject) if plan.reject is not None else "",
        sample="" if pieces else printer.doprint(plan.sample),
        **pieces,
    )


# What each shape of kernel fills, for its docstring.
_KERNEL_DOCS = {
    "identity": "rows first_row, first_row + 1, ... of a 2-D array. One streaming pass writes the off-diagonal "
    "value everywhere, then the diagonal is written over it.",
    "orthogonal": "from Q and the diagonal of R; out is Q's shape or its transpose.",
    "random": "every element of out from rng, variates of type variate.",
    "constant": "every element of out, with streaming stores (runtime.streaming).",
}


def _shape(plan: FamilyPlan) -> str:
    if plan.family.kind in ("identity", "orthogonal"):
        return plan.family.kind
    return "random" if plan.family.variate is not None else "constant"


def kernels_module(plans: tuple[FamilyPlan, ...], package: str) -> Emitted:
    """Every family's kernel, the fans of each layout, Orthogonal's matrix shape and the named constants."""
    printer = ScalarPrinter()
    values = constant_values(30)
    constants = tuple(
        (CONSTANT_NAMES[symbol], repr(float(values[symbol])), sympy.sstr(define()))
        for symbol, define in CONSTANTS.items()
    )
    model = KernelsModule(
        block_size=repr(STREAM_BLOCK),
        constants=constants,
        fans=tuple(
            FansModel(
                fans_function(layout),
                LAYOUT_DOCS[layout],
                tuple(Line(symbol.name, printer.doprint(expr)) for symbol, expr in fans.items()),
            )
            for layout, fans in LAYOUTS.items()
        ),
        matrix=tuple(Line(symbol.name, printer.doprint(expr)) for symbol, expr in MATRIX_SHAPE.items()),
        kernels=tuple(_kernel(plan) for plan in plans),
    )
    return Emitted(f"{package}/initializers/kernels.py", "code/initializer_kernels.py.jinja", model, KERNELS_SOURCE)


# ----------------------------------------------------------------- one initializer


@dataclass(frozen=True)
class CaseModel:
    key: str
    function: str
    arguments: str
    docstring: str
    lines: tuple[Line, ...]
    returns: str
    case: str


@dataclass(frozen=True)
class ValueModel:
    function: str
    docstring: str
    choice: str
    inputs: tuple[str, ...]
    """The arguments the values use, after the choice itself."""
    branches: tuple[tuple[str, str], ...]
    """(the test of the option as source, the value it gives)."""

    @property
    def arguments(self) -> str:
        return ", ".join((self.choice, *self.inputs))


@dataclass(frozen=True)
class InitializerModule:
    name: str
    alias: str
    summary: str
    docstring: str
    kernel_imports: str
    runtime_imports: str
    arguments_imports: str
    cases: tuple[CaseModel, ...]
    domains: tuple[str, ...]
    choices: tuple[str, ...]
    constraints: tuple[str, ...]
    ranks: str
    random: str
    signature: str
    required: str
    """The arguments without a default, as a tuple's source; empty where every argument has one."""
    parameters: str
    argument_values: str
    choice_values: str
    seed: str
    values: tuple[ValueModel, ...]
    fans_function: str
    axes: str
    modules: tuple[str, ...]


def scalar_inputs(resolved: Resolved) -> tuple[sympy.Symbol, ...]:
    """What a case's scalar function takes besides the fans: the arguments, then what valued choices set."""
    return (*(h.symbol for h in resolved.arguments), *(c.sets for c in resolved.valued_choices))


def scalars_function(resolved: Resolved, settings: tuple[tuple[str, str], ...]) -> str:
    """The name of the generated function that gives a case's kernel scalars."""
    name = "_".join(option for _, option in settings)
    return f"{resolved.spec.module_name}_{name}_scalars" if name else f"{resolved.spec.module_name}_scalars"


def _case_options(family: str, imports: set[str]) -> str:
    """The keyword arguments of a generated ``Case`` beyond the four every case has."""
    if family == "orthogonal":
        # Orthogonal draws its Gaussian matrix with the normal family's kernel.
        imports.update({kernel_name("normal"), "matrix_shape"})
        normal = FAMILIES["normal"]
        return f", variate={normal.variate_dtype!r}, normal={kernel_name('normal')}, matrix=matrix_shape"
    if FAMILIES[family].variate is not None:
        return f", variate={FAMILIES[family].variate_dtype!r}"
    return ""


def _value(resolved: Resolved, choice) -> ValueModel:
    """The function a valued choice becomes: the value of its symbol for each option (options alike grouped)."""
    printer = ScalarPrinter()
    used = sorted(set().union(*(sympy.sympify(v).free_symbols for _, v in choice.values)), key=str)
    arguments = [h.symbol for h in resolved.arguments if h.symbol in used]
    grouped: dict[str, list[str]] = {}
    for option, value in choice.values:
        grouped.setdefault(printer.doprint(sympy.sympify(value)), []).append(option)
    return ValueModel(
        function=f"{resolved.spec.module_name}_{choice.sets.name}",
        docstring=f"The {choice.sets.name} each {choice.argument} sets, as the spec declares it.",
        choice=choice.argument,
        inputs=tuple(symbol.name for symbol in arguments),
        branches=tuple(
            (
                f"{choice.argument} == {options[0]!r}"
                if len(options) == 1
                else f"{choice.argument} in {tuple(options)!r}",
                value,
            )
            for value, options in grouped.items()
        ),
    )


def _choice(resolved: Resolved, choice) -> str:
    """The runtime ``Choice`` as source."""
    common = f"{choice.argument!r}, {choice.options!r}, {choice.default!r}, {choice.aliases!r}"
    if choice.selects_case:
        return f"Choice({common})"
    values = _value(resolved, choice)
    return f"Choice({common}, sets={choice.sets.name!r}, value={values.function}, arguments={values.inputs!r})"


def _case(resolved: Resolved, settings: tuple[tuple[str, str], ...], plan: CasePlan, imports: set[str]) -> CaseModel:
    """One case's scalar function (printed from its plan) and its entry in the class's table."""
    spec = resolved.spec
    function = scalars_function(resolved, settings)
    printer = ScalarPrinter(names=CONSTANT_NAMES)
    inputs = scalar_inputs(resolved)
    family = plan.distribution.family
    imports.add(kernel_name(family))
    extra = _case_options(family, imports)
    if any(symbol in e.free_symbols for e in plan.expressions for symbol in CONSTANTS):
        imports.update(CONSTANT_NAMES[symbol] for symbol in CONSTANTS)
    shown = ", ".join(f"{name}={option!r}" for name, option in settings)
    argument_names = tuple(symbol.name for symbol in inputs)
    return CaseModel(
        key=repr(tuple(option for _, option in settings)),
        function=function,
        arguments=", ".join(("fan_in", "fan_out", *argument_names)),
        docstring=docstring(
            f"{spec.name}{f' ({shown})' if shown else ''}: the kernel's scalars "
            f"({', '.join(s.name for s in plan.names)}) in float64, for a shape with these fans."
        ),
        lines=tuple(Line(symbol.name, printer.doprint(expr)) for symbol, expr in plan.temporaries),
        returns=", ".join(printer.doprint(expr) for expr in plan.reduced) + ("," if len(plan.reduced) == 1 else ""),
        case=f"{family!r}, {kernel_name(family)}, {function}, {argument_names!r}{extra}",
    )


def initializer_module(resolved: Resolved, plans: tuple[CasePlan, ...], package: str) -> Emitted:
    """The module of one initializer in ``package``: a scalar function per case (``plans``, in the order of its
    cases), and the class."""
    spec = resolved.spec
    # A spec whose distribution reads no fan takes them where they are defined for every rank (a torch-layout
    # bias is 1-D, where torch.nn.init defines none).
    fans = fans_function(resolved.layout if resolved.uses_fans else "keras")
    imports: set[str] = {fans, "BLOCK_SIZE"}
    cases = tuple(_case(resolved, case.settings, plan, imports) for case, plan in zip(resolved.cases, plans))
    arguments = resolved.arguments
    # Python puts arguments without a default first; the others keep the spec's order.
    required = tuple(h.argument for h in arguments if h.default is None)
    parameters = list(required)
    parameters += [f"{h.argument}={h.default!r}" for h in arguments if h.default is not None]
    parameters += [f"{c.argument}={c.default!r}" for c in resolved.choices]
    signature = [h.argument for h in arguments] + [c.argument for c in resolved.choices]
    if resolved.random:
        parameters.append("seed=None")
        signature.append("seed")
    fan_axes = resolved.uses_fans and resolved.layout == "keras"
    if fan_axes:  # Keras 3: the dimensions each fan multiplies, instead of the layout's
        parameters += ["input_axes=None", "output_axes=None"]
        signature += ["input_axes", "output_axes"]
    runtime = ["Case", "Initializer"]
    runtime += ["Choice"] if resolved.choices else []
    domains = tuple(domain_source(h) for h in arguments)
    constraints = tuple(constraint_source(c, {}) for c in resolved.constraints)
    model = InitializerModule(
        name=spec.name,
        alias=spec.module_name,
        summary=docstring(f"{spec.name}: {spec.summary}", indent=""),
        docstring=docstring(_class_docstring(resolved)),
        kernel_imports=", ".join(sorted(imports, key=lambda name: (not name.isupper(), name))),
        runtime_imports=", ".join(sorted(runtime)),
        arguments_imports=", ".join(name for name, used in (("Constraint", constraints), ("Domain", domains)) if used),
        cases=cases,
        domains=domains,
        choices=tuple(_choice(resolved, c) for c in resolved.choices),
        values=tuple(_value(resolved, c) for c in resolved.valued_choices),
        fans_function=fans,
        axes=", axes=(input_axes, output_axes)" if fan_axes else "",
        constraints=constraints,
        ranks=repr(resolved.ranks),
        random=repr(resolved.random),
        signature=repr(tuple(signature)),
        required=repr(required) if required else "",
        parameters="".join(f", {p}" for p in parameters),
        argument_values="{" + ", ".join(f"{h.argument!r}: {h.argument}" for h in arguments) + "}",
        choice_values="{" + ", ".join(f"{c.argument!r}: {c.argument}" for c in resolved.choices) + "}",
        seed=", seed" if resolved.random else "",
        modules=modules_used(
            *domains, *constraints, *(line.value for c in cases for line in c.lines), *(c.returns for c in cases)
        ),
    )
    return Emitted(f"{package}/initializers/{spec.module_name}.py", "code/initializer.py.jinja", model, spec.source)


def _class_docstring(resolved: Resolved) -> str:
    spec = resolved.spec
    library = CONVENTIONS[resolved.layout]
    lines = [spec.summary, "", f"{library} semantics; generated from {spec.source}."]
    if spec.derived_from is not None:
        lines.append(f"The special case {spec.derived_from.text()}.")
    lines += ["", f"Arguments ({library.split()[0]} names and defaults):"]
    for h in resolved.arguments:
        given = "required" if h.default is None else f"default {h.default!r}"
        lines.append(f"    {h.argument}: {h.description}; {given}.")
    for c in resolved.choices:
        spellings = ", ".join(repr(o) for o in c.options)
        lines.append(f"    {c.argument}: {c.description}, one of {spellings}; default {c.default!r}.")
    if resolved.random:
        lines.append(
            "    seed: None (a random seed drawn once), an int, or a numpy.random.Generator (new values at every call)."
        )
    if resolved.uses_fans and resolved.layout == "keras":
        lines.append(
            "    input_axes, output_axes: None, or the dimensions whose product is fan_in and fan_out (Keras 3), "
            "instead of the kernel layout's."
        )
    return "\n".join(lines)
