"""Weight initializers: specs in, generated kernels, classes, checks and LaTeX out.

    resolve (derivations carried out) → family kernels (hoist, print) → per-initializer
    scalar functions (substitute, CSE, print) → models of strings → render

``initializer_files(registry)`` returns every generated file of the
initializers; ``codegen.build.generate`` adds them to the build. The kernels
depend only on a distribution family, never on an initializer, so they live in
one module (``generated/initializers/kernels.py``) and compile once; each
initializer's module holds the functions that turn a shape's fans and the
arguments into the kernel's scalars, printed from its spec, and its class.
"""

from __future__ import annotations

import math
import textwrap
from dataclasses import dataclass

import sympy
from sympy.logic.boolalg import to_nnf

from codegen.initializer_checks import check_files
from codegen.initializer_docs import doc_files
from codegen.initializer_spec import (
    CONSTANTS,
    FAMILIES,
    LAYOUTS,
    MATRIX_SHAPE,
    Case,
    Distribution,
    Family,
    InitializerSpec,
    Resolved,
    constant_values,
    i,
    j,
    q_ij,
    r_jj,
    resolve,
    truncated_std_definition,
    u,
    x,
    z,
)
from codegen.models import Line, constraint_source
from codegen.printers import KernelPrinter, PreludePrinter
from codegen.render import GeneratedFile, header, render

KERNELS_SOURCE = "codegen/initializer_spec.py"
"""Where the families, the fans and the truncation constant the kernels module prints are declared."""

# Per-element symbols: a kernel computes them for each element, so they are never hoisted.
ELEMENT_SYMBOLS = frozenset({x, z, u, i, j, q_ij, r_jj})

# How a kernel draws each variate from the Generator it is given, in the precision ``variate``
# (np.float32 or np.float64, chosen by the runtime from the family's variate_dtype).
DRAWS = {z: "rng.standard_normal(dtype=variate)", u: "rng.random(dtype=variate)"}

CONSTANT_NAMES = {symbol: symbol.name.upper() for symbol in CONSTANTS}


class ShapePrinter(PreludePrinter):
    """Python for the fan formulas: products over the shape as ``math.prod``."""

    def _print_Product(self, expr: sympy.Product) -> str:
        (index, lower, upper) = expr.limits[0]
        term = self._print(expr.function)
        return f"math.prod({term} for {self._print(index)} in range({self._print(lower)}, {self._print(upper + 1)}))"

    def _print_Indexed(self, expr: sympy.Indexed) -> str:
        return f"{self._print(expr.base.label)}[{', '.join(self._print(index) for index in expr.indices)}]"


class ElementPrinter(KernelPrinter):
    """Kernel loop bodies: ``sign`` as NumPy's (Numba compiles it), relations as Python."""

    def _print_sign(self, expr: sympy.Expr) -> str:
        return f"np.sign({self._print(expr.args[0])})"


# ----------------------------------------------------------------- family kernels


@dataclass(frozen=True)
class KernelPlan:
    """A family's kernel: its scalars (hoisted, as expressions of the family's parameters) and its body."""

    family: Family
    scalars: tuple[sympy.Symbol, ...]
    hoisted: tuple[tuple[sympy.Symbol, sympy.Expr], ...]
    sample: sympy.Expr
    reject: sympy.Basic | None


def plan_family(family: Family) -> KernelPlan:
    """Hoist every part of the sample (and the acceptance test) that is the same for all elements."""
    hoisted: dict[sympy.Expr, sympy.Symbol] = {}
    sample = _hoist(family.sample, hoisted)
    reject = None if family.accept is None else _hoist(to_nnf(sympy.Not(family.accept)), hoisted)
    used = (sample.free_symbols | (reject.free_symbols if reject is not None else set())) - ELEMENT_SYMBOLS
    kept = tuple(p for p in family.parameters if p in used)
    temporaries = tuple((symbol, expr) for expr, symbol in hoisted.items())
    return KernelPlan(family, (*kept, *(symbol for symbol, _ in temporaries)), temporaries, sample, reject)


def _hoist(expr: sympy.Basic, hoisted: dict[sympy.Expr, sympy.Symbol]) -> sympy.Basic:
    """Replace each largest sub-expression free of per-element symbols (numbers included) by a scalar."""
    if expr.is_Symbol or isinstance(expr, sympy.logic.boolalg.BooleanAtom):
        return expr
    if not (expr.free_symbols & ELEMENT_SYMBOLS) and isinstance(expr, sympy.Expr):
        if expr not in hoisted:
            hoisted[expr] = sympy.Symbol(f"k{len(hoisted)}", real=True)
        return hoisted[expr]
    arguments = [_hoist(arg, hoisted) for arg in expr.args]
    if isinstance(expr, (sympy.Add, sympy.Mul, sympy.Pow)):
        return expr.func(*arguments, evaluate=False)
    return expr.func(*arguments)


@dataclass(frozen=True)
class KernelModel:
    name: str
    family: str
    description: str
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
class KernelsModuleModel:
    constants: tuple[tuple[str, str, str], ...]
    fans: tuple[FansModel, ...]
    matrix: tuple[Line, ...]
    kernels: tuple[KernelModel, ...]


LAYOUT_DOCS = {
    "keras": "Keras's (fan_in, fan_out) of a shape of any rank (kernels are stored (..., in, out)).",
    "torch": "torch.nn.init's (fan_in, fan_out) of a shape of rank at least 2 (stored (out, in, ...)).",
}


def fans_function(layout: str) -> str:
    """The name of the generated function that computes ``layout``'s fans."""
    return "compute_fans" if layout == "keras" else f"{layout}_compute_fans"


def kernel_name(kind: str) -> str:
    return f"fill_{kind}"


def kernel_model(plan: KernelPlan) -> KernelModel:
    printer = ElementPrinter(scalars=frozenset(plan.scalars))
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
        description=plan.family.description,
        arguments=tuple(symbol.name for symbol in plan.scalars),
        draw=DRAWS[variate] if variate is not None else "",
        variate=variate.name if variate is not None else "",
        reject=printer.doprint(plan.reject) if plan.reject is not None else "",
        sample="" if pieces else printer.doprint(plan.sample),
        **pieces,
    )


def kernels_module_model() -> KernelsModuleModel:
    printer = ShapePrinter()
    values = constant_values(30)
    constants = tuple(
        (CONSTANT_NAMES[symbol], repr(float(values[symbol])), sympy.sstr(define()))
        for symbol, define in CONSTANTS.items()
    )
    return KernelsModuleModel(
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
        kernels=tuple(kernel_model(plan_family(family)) for family in FAMILIES.values()),
    )


# ----------------------------------------------------------------- initializer modules


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
class InitializerModuleModel:
    name: str
    alias: str
    summary: str
    docstring: str
    kernel_imports: str
    cases: tuple[CaseModel, ...]
    domains: tuple[str, ...]
    choices: tuple[str, ...]
    constraints: tuple[str, ...]
    ranks: str
    random: str
    signature: str
    parameters: str
    argument_values: str
    choice_values: str
    seed: str
    values: tuple[ValueModel, ...]
    fans_function: str
    axes: str


def case_scalars(distribution: Distribution) -> tuple[tuple[sympy.Symbol, ...], tuple[sympy.Expr, ...]]:
    """The kernel's scalars for one case: the family's hoisted scalars with the case's parameters substituted."""
    plan = plan_family(FAMILIES[distribution.family])
    parameters = distribution.values
    definitions = {**parameters, **{symbol: expr.xreplace(parameters) for symbol, expr in plan.hoisted}}
    return plan.scalars, tuple(sympy.sympify(definitions[symbol]) for symbol in plan.scalars)


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


def scalar_inputs(resolved: Resolved) -> tuple[sympy.Symbol, ...]:
    """What a case's scalar function takes besides the fans: the arguments, then what valued choices set."""
    return (*(h.symbol for h in resolved.arguments), *(c.sets for c in resolved.valued_choices))


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


def value_model(resolved: Resolved, choice) -> ValueModel:
    """The function a valued choice becomes: the value of its symbol for each option (options alike grouped)."""
    printer = PreludePrinter()
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
    values = value_model(resolved, choice)
    return f"Choice({common}, sets={choice.sets.name!r}, value={values.function}, arguments={values.inputs!r})"


def case_model(resolved: Resolved, case: Case, imports: set[str]) -> CaseModel:
    """One case's scalar function (printed from the spec, with CSE) and its entry in the class's table."""
    spec = resolved.spec
    function = f"{spec.module_name}_{case.name}_scalars" if case.name else f"{spec.module_name}_scalars"
    names, expressions = case_scalars(case.distribution)
    temporaries, reduced = sympy.cse(expressions, symbols=sympy.numbered_symbols("x"))
    printer = PreludePrinter(names=CONSTANT_NAMES)
    inputs = scalar_inputs(resolved)
    arguments = ["fan_in", "fan_out", *(symbol.name for symbol in inputs)]
    family = case.distribution.family
    imports.add(kernel_name(family))
    extra = _case_options(family, imports)
    if any(symbol in sympy.sympify(e).free_symbols for e in expressions for symbol in CONSTANTS):
        imports.update(CONSTANT_NAMES[symbol] for symbol in CONSTANTS)
    argument_names = tuple(symbol.name for symbol in inputs)
    settings = ", ".join(f"{name}={option!r}" for name, option in case.settings)
    return CaseModel(
        key=repr(tuple(option for _, option in case.settings)),
        function=function,
        arguments=", ".join(arguments),
        docstring=(
            f"{spec.name}{f' ({settings})' if settings else ''}: the kernel's scalars "
            f"({', '.join(s.name for s in names)}) in float64, for a shape with these fans."
        ),
        lines=tuple(Line(symbol.name, printer.doprint(expr)) for symbol, expr in temporaries),
        returns=", ".join(printer.doprint(expr) for expr in reduced) + ("," if len(reduced) == 1 else ""),
        case=f"{family!r}, {kernel_name(family)}, {function}, {argument_names!r}{extra}",
    )


def initializer_module_model(resolved: Resolved) -> InitializerModuleModel:
    spec = resolved.spec
    imports: set[str] = {fans_function(resolved.layout)}
    cases = tuple(case_model(resolved, case, imports) for case in resolved.cases)
    arguments = resolved.arguments
    parameters = [f"{h.argument}={h.default!r}" for h in arguments]
    parameters += [f"{c.argument}={c.default!r}" for c in resolved.choices]
    signature = [h.argument for h in arguments] + [c.argument for c in resolved.choices]
    if resolved.random:
        parameters.append("seed=None")
        signature.append("seed")
    fan_axes = resolved.uses_fans and resolved.layout == "keras"
    if fan_axes:  # Keras 3: the dimensions each fan multiplies, instead of the layout's
        parameters += ["input_axes=None", "output_axes=None"]
        signature += ["input_axes", "output_axes"]
    return InitializerModuleModel(
        name=spec.name,
        alias=spec.module_name,
        summary=_docstring_text("\n".join(textwrap.wrap(f"{spec.name}: {_plain(spec.summary)}", 100))),
        docstring=_docstring_text(_class_docstring(resolved)),
        kernel_imports=", ".join(sorted(imports, key=lambda name: (not name.isupper(), name))),
        cases=cases,
        domains=tuple(_domain(h) for h in arguments),
        choices=tuple(_choice(resolved, c) for c in resolved.choices),
        values=tuple(value_model(resolved, c) for c in resolved.valued_choices),
        fans_function=fans_function(resolved.layout),
        axes=", axes=(input_axes, output_axes)" if fan_axes else "",
        constraints=tuple(constraint_source(c, {}) for c in resolved.constraints),
        ranks=repr(resolved.ranks),
        random=repr(resolved.random),
        signature=repr(tuple(signature)),
        parameters="".join(f", {p}" for p in parameters),
        argument_values="{" + ", ".join(f"{h.argument!r}: {h.argument}" for h in arguments) + "}",
        choice_values="{" + ", ".join(f"{c.argument!r}: {c.argument}" for c in resolved.choices) + "}",
        seed=", seed" if resolved.random else "",
    )


def _domain(h) -> str:
    interval = h.domain
    bounds = [_float_text(interval.inf), _float_text(interval.sup)]
    return f"Domain({h.argument!r}, {bounds[0]}, {bounds[1]}, {bool(interval.left_open)}, {bool(interval.right_open)})"


def _float_text(value: sympy.Expr) -> str:
    number = float(value)
    if math.isinf(number):
        return "math.inf" if number > 0 else "-math.inf"
    return repr(number)


CONVENTIONS = {"keras": "Keras 3", "torch": "PyTorch (torch.nn.init, shapes (out, in, ...))"}
"""Whose semantics a class of each layout follows, for its docstring."""


def _class_docstring(resolved: Resolved) -> str:
    spec = resolved.spec
    summary = textwrap.wrap(_plain(spec.summary), width=100, break_on_hyphens=False)
    library = CONVENTIONS[resolved.layout]
    lines = [*summary, "", f"{library} semantics; generated from ``{spec.source}``."]
    if spec.derived_from is not None:
        lines.append(f"The special case {spec.derived_from.text()}.")
    lines += ["", f"Arguments ({library.split()[0]} names and defaults):"]
    for h in resolved.arguments:
        lines.append(f"    {h.argument}: {h.description}; default {h.default!r}.")
    for c in resolved.choices:
        spellings = ", ".join(repr(o) for o in c.options)
        lines.append(f"    {c.argument}: {c.description}, one of {spellings}; default {c.default!r}.")
    if resolved.random:
        lines.append("    seed: None (a random seed drawn once), an int, or a numpy.random.Generator (new values")
        lines.append("        at every call).")
    if resolved.uses_fans and resolved.layout == "keras":
        lines.append("    input_axes, output_axes: None, or the dimensions whose product is fan_in and fan_out")
        lines.append("        (Keras 3), instead of the kernel layout's.")
    return "\n".join(f"    {line}" if line else "" for line in lines).lstrip()


def _plain(text: str) -> str:
    """Spec prose for a Python docstring: the LaTeX ``$...$`` kept, escaped underscores unescaped."""
    return text.replace("\\_", "_")


def _docstring_text(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')


# ----------------------------------------------------------------- the package and the files


def resolved_initializers(registry) -> tuple[Resolved, ...]:
    """Every initializer spec of ``registry`` with its derivation carried out, in load order."""
    specs = {spec.name: spec for spec in registry.initializers}
    return tuple(resolve(spec, specs) for spec in registry.initializers)


def package_exports(registry) -> list[tuple[str, str, tuple[str, ...]]]:
    """(module, class name, snake_case spellings) of every initializer, for the top-level package."""
    return [(spec.module_name, spec.name, spec.aliases) for spec in registry.initializers]


def initializer_files(registry) -> list[GeneratedFile]:
    """The generated modules, checks and LaTeX of every initializer in ``registry``."""
    if not registry.initializers:
        return []
    resolved = resolved_initializers(registry)
    truncated_std_definition()  # derived once, shared by every stage below
    files = [
        GeneratedFile(
            "initializers/kernels.py",
            render("initializer_kernels.py.jinja", model=kernels_module_model(), header=header(KERNELS_SOURCE)),
            KERNELS_SOURCE,
        )
    ]
    for item in resolved:
        spec: InitializerSpec = item.spec
        text = render("initializer.py.jinja", model=initializer_module_model(item), header=header(spec.source))
        files.append(GeneratedFile(f"initializers/{spec.module_name}.py", text, spec.source))
    sources = "the specs in specs/initializers/"
    exports = package_exports(registry)
    init = render("initializers_init.py.jinja", header=header(sources), exports=exports)
    files.append(GeneratedFile("initializers/__init__.py", init, sources))
    files.extend(check_files(resolved, registry.relations))
    files.extend(doc_files(resolved))
    return files
