"""The model of one optimizer module: its kernels, their per-step scalar functions, and its Keras-style class.

A function whose text (without its name) is already in the module, or in the
module of a spec this one derives from, is not written again: the variants
share it, or the module imports it from its ancestor (Keras's AdamW computes
Adam's update, so ``adamw.py`` imports every kernel of ``adam.py``). Numba
then compiles each distinct kernel once.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

import sympy
from sympy.logic.boolalg import Boolean

from codegen.emit.common import Emitted, Line, docstring, modules_used, string_literal
from codegen.language.common import Constraint, Hyperparameter
from codegen.language.optimizer import OptimizerSpec, Option, t, w
from codegen.lower.optimizer import WEIGHT_DECAY, Lowered, Variant
from codegen.plan import KernelPlan
from codegen.printers.python import LoopPrinter, ScalarPrinter, float_literal
from codegen.printers.text import interval_text

TABLE_ADDRESSES = 2
"""The first address column of a row of the runtime's multi-tensor tables (after start and stop:
``runtime.multi_tensor.ADDRESSES``)."""

# The constructor arguments every Keras optimizer takes besides its own.
KERAS_BASE_ARGUMENTS = ("weight_decay", "clipnorm", "clipvalue", "global_clipnorm")


@dataclass(frozen=True)
class ScalarsFunction:
    """The once-per-step scalars of a variant: float64 Python from the hyperparameters and the step."""

    name: str
    arguments: tuple[str, ...]
    lines: tuple[Line, ...]
    scalars: tuple[str, ...]
    optimizer_state_out: tuple[str, ...]

    @property
    def key(self) -> tuple:
        return ("scalars", self.arguments, self.lines, self.scalars, self.optimizer_state_out)


@dataclass(frozen=True)
class KernelFunction:
    """The element loop of a variant: one fused in-place pass over flat arrays."""

    name: str
    arrays: tuple[str, ...]
    scalars: tuple[str, ...]
    loads: tuple[Line, ...]
    body: tuple[Line, ...]
    stores: tuple[Line, ...]
    flags: tuple[str, ...] = ()
    """The scalars that are conditions (true or false for the whole step), among ``scalars``."""
    sums: tuple[Line, ...] = ()
    """A pass computing sums over the tensor: each accumulator and the term it adds per element; the kernel takes
    a ``sums`` array after the arrays and leaves each sum there."""
    values: tuple[str, ...] = ()
    """An update after such a pass: its last scalars, one value per tensor (its rows companion takes them from a
    ``values`` table, one row per table row)."""

    @property
    def key(self) -> tuple:
        return (
            "kernel",
            self.arrays,
            self.scalars,
            self.loads,
            self.body,
            self.stores,
            self.flags,
            self.sums,
            self.values,
        )

    @property
    def names_read(self) -> frozenset[str]:
        """Every name its loads, body, stores and sums read: a backend that binds arrays and scalars as statements
        (Triton) binds only these."""
        texts = [line.value for line in (*self.loads, *self.body, *self.sums)]
        texts += [value for line in self.body for case in line.cases for value in case]
        texts += [line.target for line in self.stores]
        return frozenset(re.findall(r"[A-Za-z_]\w*", " ".join(texts)))

    @property
    def step_scalars(self) -> tuple[str, ...]:
        """The scalars that are the same for every tensor of a step (all but ``values``)."""
        return self.scalars[: len(self.scalars) - len(self.values)]

    @property
    def arguments(self) -> tuple[str, ...]:
        return (*self.arrays, *(("sums",) if self.sums else ()), *self.scalars)

    @property
    def rows_arguments(self) -> tuple[str, ...]:
        """The arguments of its rows companion after the table, the rows to step and the dtype: the table of each
        row's sums or values where it has them, then the scalars of the step."""
        tables = ("partials",) if self.sums else ("values",) if self.values else ()
        return (*tables, *self.step_scalars)

    @property
    def summary(self) -> str:
        if self.sums:
            # Compiled with fastmath reassoc (see the template): its float64 accumulators then vectorise.
            return "The pass before the update: in place, what needs no sum over the tensor; each sum into ``sums``."
        if self.values:
            return "The update after the sums over the tensor, in place; its last scalars are the tensor's values."
        return "One step, in place, over flat contiguous arrays of one dtype."

    @property
    def address_columns(self) -> tuple[tuple[str, int], ...]:
        """Each array and the column of a multi-tensor table row that holds its address (after start and stop)."""
        return tuple((array, TABLE_ADDRESSES + index) for index, array in enumerate(self.arrays))

    @property
    def table_width(self) -> int:
        """The columns of a multi-tensor table row: start, stop, then one address per array."""
        return TABLE_ADDRESSES + len(self.arrays)

    @property
    def rows_name(self) -> str:
        """The name of its companion over the rows of a multi-tensor table (``runtime.multi_tensor``)."""
        return f"{self.name}_rows"


@dataclass(frozen=True)
class FinishFunction:
    """The per-tensor values of a variant with sums over the tensor: float64, from each tensor's sums."""

    name: str
    scalars: tuple[str, ...]
    sums: tuple[str, ...]
    lines: tuple[Line, ...]
    values: tuple[str, ...]
    tensor_state: tuple[Line, ...] = ()
    """Each state kept per tensor: its old value's name (``target``) and its new value's (``value``)."""

    @property
    def key(self) -> tuple:
        return ("finish", self.scalars, self.sums, self.lines, self.values, self.tensor_state)

    @property
    def arguments(self) -> tuple[str, ...]:
        """The tables it reads and writes (one row a tensor), then the scalars of the step."""
        return ("sums", "values", *(("tensor_state",) if self.tensor_state else ()), *self.scalars)


@dataclass(frozen=True)
class StepFunction:
    """One whole step of one tensor for a variant with sums over the tensor: the sums, the values, the update."""

    name: str
    arrays: tuple[str, ...]
    scalars: tuple[str, ...]
    parts: tuple[tuple, tuple, tuple]
    """The keys of the functions it calls: the pass computing the sums, the values, and the update."""
    sums: int
    values: int
    tensor_state: tuple[str, ...] = ()
    """The arrays of one float64 element that hold the tensor's per-tensor state, after the element arrays."""

    @property
    def key(self) -> tuple:
        return ("step", self.arrays, self.scalars, self.parts, self.sums, self.values, self.tensor_state)

    @property
    def arguments(self) -> tuple[str, ...]:
        return (*self.arrays, *self.tensor_state, *self.scalars)

    @property
    def finish_arguments(self) -> tuple[str, ...]:
        """What it passes the finish (``FinishFunction.arguments``): its tables, then the step's scalars."""
        return ("sums", "values", *(("tensor_state",) if self.tensor_state else ()), *self.scalars)


@dataclass(frozen=True)
class StepModel:
    """A step function as the template writes it: the functions it calls, by the names the module knows them by."""

    function: StepFunction
    reduce: str
    finish: str
    update: str


@dataclass(frozen=True)
class VariantFunctions:
    """The keys of a variant's functions: its scalars, its whole step on one tensor, the update its rows companion
    runs, and for a variant with sums over the tensor, the pass computing them and the per-tensor values."""

    scalars: tuple
    kernel: tuple
    update: tuple
    reduce: tuple | None = None
    finish: tuple | None = None
    sums: int = 0
    values: int = 0


@dataclass(frozen=True)
class InitialStateFunction:
    """The value every state starts from, given the hyperparameters by argument name."""

    name: str
    lines: tuple[Line, ...]

    @property
    def key(self) -> tuple:
        return ("initial_state", self.lines)


@dataclass(frozen=True)
class VariantModel:
    name: str
    enabled: str
    scalars: str
    kernel: str
    rows: str
    hyperparameters: str
    state: str
    optimizer_state: str
    tensor_state: str
    reduction: str
    """The runtime ``Reduction`` of a variant with sums over the tensor, as source; ``"None"`` otherwise."""


@dataclass(frozen=True)
class ArgumentModel:
    name: str
    default: str


@dataclass(frozen=True)
class OptimizerModule:
    """Everything the module template lays out, as finished strings."""

    spec_name: str
    default_name: str
    summary: str
    docstring: str
    modules: tuple[str, ...]
    numba: bool
    runtime_imports: str
    shared: tuple[tuple[str, str], ...]
    """(module, the names imported from it): functions an ancestor's module already holds."""
    initial_state: InitialStateFunction | None
    scalars_functions: tuple[ScalarsFunction, ...]
    kernel_functions: tuple[KernelFunction, ...]
    finish_functions: tuple[FinishFunction, ...]
    step_functions: tuple[StepModel, ...]
    reductions: bool
    """A variant sums over the tensor (the module names the runtime's ``Reduction``)."""
    variants: tuple[VariantModel, ...]
    initial_state_name: str
    domains: tuple[str, ...]
    switches: tuple[str, ...]
    selection: tuple[tuple[str, str], ...]
    keras_base_options: str
    constraints: tuple[str, ...]
    hyperparameters: tuple[ArgumentModel, ...]
    flags: tuple[ArgumentModel, ...]
    base_arguments: tuple[ArgumentModel, ...]


@dataclass(frozen=True)
class Functions:
    """The functions a module defines, by content, and the names they go by."""

    initial_state: InitialStateFunction
    scalars: tuple[ScalarsFunction, ...]
    kernels: tuple[KernelFunction, ...]
    finishes: tuple[FinishFunction, ...]
    steps: tuple[StepFunction, ...]
    by_variant: dict[str, VariantFunctions]

    @property
    def every(self) -> tuple:
        return (self.initial_state, *self.scalars, *self.kernels, *self.finishes, *self.steps)

    def without(self, keys: set[tuple]) -> Functions:
        """These functions less those with ``keys`` (what a module imports rather than writes); the initial state
        stays, which goes by the same name in every module."""
        kept = {kind: tuple(f for f in getattr(self, kind) if f.key not in keys) for kind in _KIND_FIELDS}
        return dataclasses.replace(self, **kept)


_KINDS = (ScalarsFunction, KernelFunction, FinishFunction, StepFunction)
"""The kinds of function a module defines besides its initial state, in the order it lays them out."""
_KIND_FIELDS = ("scalars", "kernels", "finishes", "steps")
"""The fields of ``Functions`` that hold them, in the same order."""


def functions(lowered: Lowered, plans: tuple[KernelPlan, ...]) -> Functions:
    """Every function the spec's variants need, each distinct text once, named after the first variant using it."""
    spec = lowered.spec
    found: dict[tuple, object] = {}
    by_variant = {}
    for plan in plans:
        scalars_function, update = _scalars_function(plan), kernel_function(plan)
        parts = [scalars_function, update]
        if plan.reduction is None:
            chosen = VariantFunctions(scalars_function.key, update.key, update.key)
        else:
            reduce, finish = reduce_function(plan), finish_function(plan)
            step = StepFunction(
                f"{plan.variant.name}_kernel",
                update.arrays,
                update.step_scalars,
                (reduce.key, finish.key, update.key),
                len(reduce.sums),
                len(update.values),
                _tensor_state_arrays(plan, (*update.arrays, *update.step_scalars)),
            )
            parts += [reduce, finish, step]
            chosen = VariantFunctions(
                scalars_function.key, step.key, update.key, reduce.key, finish.key, step.sums, step.values
            )
        for function in parts:
            found.setdefault(function.key, function)
        by_variant[plan.variant.name] = chosen
    initial = InitialStateFunction("initial_state", _initial_state(spec))
    of = {kind: tuple(f for f in found.values() if isinstance(f, kind)) for kind in _KINDS}
    return Functions(initial, of[ScalarsFunction], of[KernelFunction], of[FinishFunction], of[StepFunction], by_variant)


def optimizer_module(
    lowered: Lowered, own: Functions, providers: tuple[tuple[str, Functions], ...], package: str
) -> Emitted:
    """The module of ``lowered``'s spec in ``package``. A function whose text one of ``providers`` (modules of other
    specs, nearest first) already has is imported from it instead of being written again."""
    spec = lowered.spec
    inherited: dict[tuple, tuple[str, str]] = {}  # key → (module, name), the nearest provider winning
    for module, theirs in reversed(providers):
        for function in theirs.every:
            inherited[function.key] = (module, function.name)
    names: dict[tuple, str] = {}
    shared: dict[str, list[str]] = {}
    local = []
    for function in own.every:
        if function.key in inherited:
            module, name = inherited[function.key]
            companions = [f"{name}_rows"] if isinstance(function, KernelFunction) else []
            shared.setdefault(module, []).extend([name, *companions])
            names[function.key] = name
        else:
            local.append(function)
            names[function.key] = function.name
    scalars_functions = tuple(f for f in local if isinstance(f, ScalarsFunction))
    kernel_functions = tuple(f for f in local if isinstance(f, KernelFunction))
    finish_functions = tuple(f for f in local if isinstance(f, FinishFunction))
    step_functions = tuple(
        StepModel(f, *(names[part] for part in f.parts)) for f in local if isinstance(f, StepFunction)
    )
    variants = tuple(_variant_model(variant, own.by_variant[variant.name], names) for variant in lowered.variants)
    domains = tuple(domain_source(h) for h in (*spec.hyperparameters, *_base_hyperparameters(spec)))
    runtime = ["Domain", "KernelVariant", "Optimizer", *(["Switch"] if lowered.options else [])]
    starts = () if own.initial_state.key in inherited else own.initial_state.lines
    if any(line.value == _COPY_OF_PARAMETER for line in starts):
        runtime.append(_COPY_OF_PARAMETER)
    if spec.constraints:
        runtime.append("Constraint")
    model = OptimizerModule(
        spec_name=spec.name,
        default_name=spec.module_name,
        summary=docstring(f"{spec.name}: {spec.summary}", indent=""),
        docstring=docstring(class_docstring(spec)),
        modules=modules_used(
            *domains,
            *(line.value for f in scalars_functions for line in f.lines),
            *(line.value for f in kernel_functions for line in (*f.body, *f.sums)),
            *(line.value for f in finish_functions for line in f.lines),
            *(["np.zeros"] if step_functions else []),
        ),
        numba=bool(kernel_functions or finish_functions or step_functions),
        runtime_imports=", ".join(sorted(runtime)),
        shared=tuple((module, ", ".join(names_)) for module, names_ in sorted(shared.items())),
        initial_state=None if own.initial_state.key in inherited else own.initial_state,
        scalars_functions=scalars_functions,
        kernel_functions=kernel_functions,
        finish_functions=finish_functions,
        step_functions=step_functions,
        reductions=any(f.reduce is not None for f in own.by_variant.values()),
        variants=variants,
        initial_state_name=names[own.initial_state.key],
        domains=domains,
        switches=tuple(_switch(option) for option in lowered.options),
        selection=tuple((repr(switches), name) for switches, name in lowered.selection),
        keras_base_options=repr(spec.base_options == "keras"),
        constraints=tuple(
            constraint_source(c, {h.symbol: h.argument for h in spec.hyperparameters}) for c in spec.constraints
        ),
        hyperparameters=hyperparameter_arguments(spec),
        flags=flag_arguments(spec),
        base_arguments=base_arguments(spec),
    )
    return Emitted(f"{package}/optimizers/{spec.module_name}.py", "code/optimizer.py.jinja", model, spec.source)


def _variant_model(variant: Variant, keys: VariantFunctions, names: dict[tuple, str]) -> VariantModel:
    reduction = "None"
    if keys.reduce is not None:
        reduce, finish = names[keys.reduce], names[keys.finish]
        reduction = f"Reduction({reduce}_rows, {finish}, sums={keys.sums}, values={keys.values})"
    return VariantModel(
        name=variant.name,
        enabled=", ".join(variant.enabled) or "no options",
        scalars=names[keys.scalars],
        kernel=names[keys.kernel],
        rows=f"{names[keys.update]}_rows",
        hyperparameters=repr(tuple(h.argument for h in variant.hyperparameters)),
        state=repr(tuple(s.name for s in variant.parameter_state)),
        optimizer_state=repr(tuple(s.name for s in variant.optimizer_state)),
        tensor_state=repr(tuple(s.name for s in variant.tensor_state)),
        reduction=reduction,
    )


def _tensor_state_arrays(plan: KernelPlan, taken: tuple[str, ...]) -> tuple[str, ...]:
    """The names of the one-element arrays a whole step of one tensor takes its per-tensor state in: the state's."""
    return tuple(s.name if s.name not in taken else f"{s.name}_array" for s in plan.variant.tensor_state)


def _scalars_function(plan: KernelPlan) -> ScalarsFunction:
    variant = plan.variant
    printer = ScalarPrinter()
    arguments = (
        *(h.symbol.name for h in variant.hyperparameters),
        t.name,
        *(s.symbol.name for s in variant.optimizer_state),
    )
    return ScalarsFunction(
        name=f"{variant.name}_scalars",
        arguments=arguments,
        lines=tuple(Line(lhs.name, printer.doprint(rhs)) for lhs, rhs in plan.prelude),
        scalars=tuple(s.name for s in plan.scalars),
        optimizer_state_out=tuple(symbol.name for _, symbol in plan.optimizer_state_out),
    )


def kernel_function(plan: KernelPlan, printer: type[LoopPrinter] = LoopPrinter) -> KernelFunction:
    """The element update of ``plan``'s variant, its body printed by ``printer`` (Numba's loop printer, or another
    backend's): loads and stores pair a symbol with the array it comes from or goes to. After a pass computing sums
    over the tensor, it is the variant's update pass, and the per-tensor values are its last scalars."""
    values = () if plan.reduction is None else plan.reduction.values
    name = plan.variant.name + ("_kernel" if plan.reduction is None else "_update")
    return _element_function(plan, name, plan.loads, plan.body, plan.stores, printer, values=values)


def reduce_function(plan: KernelPlan, printer: type[LoopPrinter] = LoopPrinter) -> KernelFunction:
    """The pass of a variant with sums over the tensor that computes them (and finishes what needs none)."""
    reduction = plan.reduction
    name = f"{plan.variant.name}_reduce"
    return _element_function(plan, name, reduction.loads, reduction.body, reduction.stores, printer, reduction.sums)


def finish_function(plan: KernelPlan) -> FinishFunction:
    """The per-tensor values of a variant with sums over the tensor, from its sums, in float64."""
    reduction = plan.reduction
    printer = ScalarPrinter()
    return FinishFunction(
        name=f"{plan.variant.name}_finish",
        scalars=tuple(s.name for s in plan.scalars),
        sums=tuple(accumulator.name for accumulator, _ in reduction.sums),
        lines=tuple(Line(lhs.name, printer.doprint(rhs)) for lhs, rhs in reduction.finish),
        values=tuple(value.name for value in reduction.values),
        tensor_state=tuple(Line(state.symbol.name, new.name) for state, new in reduction.tensor_state),
    )


def _element_function(
    plan: KernelPlan,
    name: str,
    loads: tuple,
    body: tuple,
    stores: tuple,
    printer: type[LoopPrinter],
    sums: tuple = (),
    values: tuple = (),
) -> KernelFunction:
    scalars = (*plan.scalars, *values)
    body_printer = printer(scalars=frozenset(scalars))
    arrays = _array_names(plan)
    flags = {lhs for lhs, rhs in plan.prelude if isinstance(rhs, Boolean) and not isinstance(rhs, sympy.Expr)}
    return KernelFunction(
        name=name,
        arrays=tuple(arrays.values()),
        scalars=tuple(s.name for s in scalars),
        loads=tuple(Line(symbol.name, arrays[array]) for array, symbol in loads),
        body=tuple(_body_line(lhs, rhs, body_printer) for lhs, rhs in body),
        stores=tuple(Line(arrays[array], symbol.name) for array, symbol in stores),
        flags=tuple(s.name for s in plan.scalars if s in flags),
        sums=tuple(Line(accumulator.name, body_printer.doprint(term)) for accumulator, term in sums),
        values=tuple(value.name for value in values),
    )


def _array_names(plan: KernelPlan) -> dict[str, str]:
    """Each array's name in the kernels: its state's, unless an element value goes by that name (Rprop's ``prev``)."""
    passes = [(plan.loads, plan.body)]
    if plan.reduction is not None:
        passes.append((plan.reduction.loads, (*plan.reduction.body, *plan.reduction.sums)))
    taken = {s.name for s in plan.scalars}
    for loads, body in passes:
        taken |= {symbol.name for _, symbol in loads} | {lhs.name for lhs, _ in body}
    names = ("param", "grad", *(s.name for s in plan.variant.parameter_state))
    return {name: f"{name}_array" if name in taken else name for name in names}


def _body_line(lhs: sympy.Symbol, rhs: sympy.Expr, printer: LoopPrinter) -> Line:
    """One assignment of the loop; a branch of three cases or more as statements where the backend writes them (two
    read best as one conditional expression, as the project's linter asks)."""
    many = isinstance(rhs, sympy.Piecewise) and len(rhs.args) > 2
    return Line(lhs.name, printer.doprint(rhs), printer.branches(rhs) if many and printer.branch_statements else ())


def constraint_source(constraint: Constraint, names: dict[sympy.Symbol, str]) -> str:
    """The runtime ``Constraint`` as Python source: its condition over the arguments ``names`` gives the symbols."""
    condition = constraint.condition.xreplace({symbol: sympy.Symbol(name) for symbol, name in names.items()})
    arguments = tuple(sorted(s.name for s in condition.free_symbols))
    text = ScalarPrinter().doprint(condition)
    when = "" if constraint.when is None else f", when={constraint.when!r}"
    condition_text, message = string_literal(text), string_literal(constraint.message)
    return f"Constraint({arguments!r}, lambda {', '.join(arguments)}: {text}, {condition_text}, {message}{when})"


def domain_source(h: Hyperparameter) -> str:
    """The runtime ``Domain`` of a hyperparameter as Python source."""
    domain = h.domain
    bounds = f"{float_literal(domain.inf)}, {float_literal(domain.sup)}"
    if isinstance(domain, sympy.Range):  # whole numbers from inf on; sup is oo or the last one
        return f"Domain({h.argument!r}, {bounds}, False, {domain.sup == sympy.oo}, integer=True)"
    return f"Domain({h.argument!r}, {bounds}, {bool(domain.left_open)}, {bool(domain.right_open)})"


def _switch(option: Option) -> str:
    """The runtime ``Switch`` that selects ``option``, as Python source."""
    if option.kind == "value":
        return f"Switch({option.argument!r}, {option.kind!r}, {float(option.value)!r})"
    return f"Switch({option.argument!r}, {option.kind!r})"


def hyperparameter_arguments(spec: OptimizerSpec) -> tuple[ArgumentModel, ...]:
    return tuple(ArgumentModel(h.argument, repr(h.default)) for h in spec.hyperparameters)


def flag_arguments(spec: OptimizerSpec) -> tuple[ArgumentModel, ...]:
    return tuple(ArgumentModel(o.argument, repr(o.default)) for o in spec.options if o.kind == "flag")


def base_arguments(spec: OptimizerSpec) -> tuple[ArgumentModel, ...]:
    """The base arguments with their defaults as source text; none for a spec in another convention."""
    if spec.base_options != "keras":
        return ()
    defaults = {"weight_decay": spec.weight_decay_default}
    return tuple(ArgumentModel(argument, repr(defaults.get(argument))) for argument in KERAS_BASE_ARGUMENTS)


def _base_hyperparameters(spec: OptimizerSpec) -> tuple[Hyperparameter, ...]:
    return (WEIGHT_DECAY,) if spec.base_options == "keras" else ()


_COPY_OF_PARAMETER = "COPY_OF_PARAMETER"
"""The runtime's name for the initial value of a state that starts as the parameter (``initial=w``)."""


def _initial_state(spec: OptimizerSpec) -> tuple[Line, ...]:
    names = {h.symbol: f"hyperparameters[{h.argument!r}]" for h in spec.hyperparameters} | {w: _COPY_OF_PARAMETER}
    printer = ScalarPrinter(names)
    return tuple(Line(s.name, printer.doprint(sympy.sympify(s.initial))) for s in spec.state)


def class_docstring(spec: OptimizerSpec) -> str:
    lines = [spec.summary, "", f"{spec.convention} convention; generated from {spec.source}."]
    if spec.derived_from is not None:
        lines.append(f"Derived from {spec.derived_from.parent} by {spec.derived_from.text}.")
    lines += ["", f"Arguments ({spec.convention} names and defaults):"]
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
    return "\n".join(lines)
