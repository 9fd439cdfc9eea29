"""The LaTeX section of one optimizer, and the general section on the Keras base options.

Every formula of an optimizer is printed by ``codegen.printers.latex`` from
the spec's own expressions (the update, initial values, domains, option
substitutions), and the weight decay of the Keras base options from the
expression ``codegen.lower.optimizer`` fuses into the kernels: no LaTeX math is
typed here. Gradient clipping, which the hand-written runtime applies, is
declared below as SymPy expressions that the tests evaluate against the
runtime. A spec's plain prose is escaped for LaTeX text mode; its convention
notes and references keep the ``$...$`` math their author wrote.
"""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass

import sympy
from sympy import Interval, oo
from sympy.logic import SOPform

from codegen.emit.checks.optimizer import relations_check_path
from codegen.emit.common import Emitted
from codegen.errors import SpecError
from codegen.language.common import Hyperparameter
from codegen.language.optimizer import OptimizerSpec, Option, State, g, learning_rate, t, tensor_sum, w
from codegen.language.relations import Equivalence, WrittenUpdate
from codegen.lower.optimizer import (
    WEIGHT_DECAY,
    WEIGHT_DECAY_OPTION,
    Lowered,
    live_symbols,
    settings,
    specialised,
    w_decayed,
    weight_decay,
    with_weight_decay,
)
from codegen.printers.latex import latex, latex_number, math, number_formula, prose, text, texttt

UPDATE = r"\leftarrow"
"""A state's (or the parameter's) new value replaces the old one."""
DEFINITION = r"\coloneqq"
"""A local: an intermediate value named for this step only."""
PER_STEP = r"^{\dagger}"
"""Marks a line that reads no element of the parameter: the same for every element."""

CLIPPED = r", after clipping (\S\ref{sec:base})"
"""Said of the gradient where the Keras base options clip it before the update."""
# The role symbols are declared in codegen/language/optimizer.py; their meaning, for the symbol tables.
ROLE_ROWS = {
    w: ("parameter", "one element of the parameter being trained; the update runs elementwise"),
    g: ("gradient", r"the gradient of the loss with respect to $w$"),
    t: ("step", r"the 1-based step: $t = 1$ on the first update (Keras: \texttt{iterations} + 1)"),
}

# Pretty names for the symbols codegen.lower.optimizer introduces for the base options.
BASE_NAMES = {weight_decay: r"\lambda_{\mathrm{wd}}"}


@dataclass(frozen=True)
class AlgorithmLine:
    """One assignment of the algorithm, or one branch of it: ``number: condition target relation value``.

    A branch after the first of the same assignment has no number; ``condition`` is empty where no option changes
    the assignment, else ``if …:``, ``else if …:`` or ``else:`` in math mode."""

    number: str
    condition: str
    target: str
    relation: str
    value: str


@dataclass(frozen=True)
class ProvenForm:
    """Another way to write the update (the paper's, another library's documentation) and the generated check that
    proves it computes the same at every step."""

    statement: str
    check: str
    lines: tuple[AlgorithmLine, ...]


@dataclass(frozen=True)
class InitialLine:
    """A state's value before the first step, and whether it is one per element or one in all."""

    target: str
    value: str
    scope: str


@dataclass(frozen=True)
class HyperparameterRow:
    argument: str
    symbol: str
    default: str
    domain: str
    description: str


@dataclass(frozen=True)
class SymbolRow:
    symbol: str
    role: str
    description: str


@dataclass(frozen=True)
class OptionRow:
    argument: str
    switch: str
    description: str
    when_off: str


@dataclass(frozen=True)
class ConventionNote:
    library: str
    note: str


@dataclass(frozen=True)
class OptimizerDoc:
    """Everything the section of one optimizer shows, as LaTeX."""

    name: str
    label: str
    source: str
    summary: str
    inputs: tuple[str, ...]
    """Each argument of the step with its default: ``$\\eta = 0.001$ (\\texttt{learning\\_rate})``."""
    initial: tuple[InitialLine, ...]
    steps: tuple[AlgorithmLine, ...]
    has_per_step: bool
    proven_forms: tuple[ProvenForm, ...]
    hyperparameters: tuple[HyperparameterRow, ...]
    symbols: tuple[SymbolRow, ...]
    options: tuple[OptionRow, ...]
    kernels: str
    references: tuple[str, ...]
    conventions: tuple[ConventionNote, ...]
    keras_base: bool
    """It takes the Keras base options (decoupled weight decay, clipping)."""


@dataclass(frozen=True)
class ClippingRule:
    argument: str
    formula: str  # math mode; the template displays it


@dataclass(frozen=True)
class BaseOptionsDoc:
    """The Keras base options every optimizer takes: decoupled weight decay and clipping."""

    arguments: tuple[HyperparameterRow, ...]
    weight_decay_argument: str
    weight_decay: AlgorithmLine
    weight_decay_off: str
    clipping: tuple[ClippingRule, ...]
    global_norm: str


# ----------------------------------------------------------------------------- optimizers


def plain(spec, value: str, where: str) -> str:
    """A spec's plain prose for LaTeX text mode; a character with no LaTeX form fails the build, naming the field."""
    try:
        return text(value, where)
    except ValueError as error:
        raise SpecError(spec.source, str(error), spec=spec.name) from error


def optimizer_section(lowered: Lowered, relations: tuple = ()) -> Emitted:
    """The section of one optimizer: every formula printed from the spec's expressions; beside the algorithm, the
    written forms that ``relations`` declared in the spec's own file prove equal to it."""
    spec = lowered.spec
    names = spec.latex_names
    steps = algorithm_lines(spec)
    model = OptimizerDoc(
        name=text(spec.name),
        label=section_label(spec),
        source=texttt(spec.source),
        summary=plain(spec, spec.summary, "the summary"),
        inputs=inputs(spec),
        initial=tuple(_initial_line(state, names) for state in spec.state),
        steps=steps,
        has_per_step=any(line.number.endswith(PER_STEP) for line in steps),
        proven_forms=proven_forms(spec, relations),
        hyperparameters=tuple(
            hyperparameter_row(h, names, plain(spec, h.description, f"the description of {h.argument}"))
            for h in spec.hyperparameters
        ),
        symbols=symbol_rows(spec),
        options=tuple(_option_row(option, spec) for option in spec.options),
        kernels=", ".join(texttt(variant.name) for variant in lowered.variants),
        references=tuple(prose(reference, spec.source, spec.name, "a reference") for reference in spec.references),
        # A convention note is LaTeX already, as the spec language documents it.
        conventions=tuple(ConventionNote(text(c.library), c.note) for c in spec.conventions),
        keras_base=spec.base_options == "keras",
    )
    return Emitted(f"docs/optimizers/{spec.module_name}.tex", "docs/optimizer.tex.jinja", model, spec.source)


def section_label(spec: OptimizerSpec) -> str:
    """The label of an optimizer's section, which other sections refer to."""
    return f"sec:optimizer:{spec.module_name}"


def inputs(spec: OptimizerSpec) -> tuple[str, ...]:
    """The step's arguments with their defaults, as the algorithm's first line lists them: hyperparameters, then
    the switches of the flag options."""
    names = spec.latex_names
    listed = [
        f"${latex(h.symbol, names)} = {number_formula(h.default)}$ ({texttt(h.argument)})" for h in spec.hyperparameters
    ]
    listed += [f"{texttt(o.argument)} = {texttt(repr(o.default))}" for o in spec.options if o.kind == "flag"]
    if spec.base_options == "keras":
        value = latex_number(spec.weight_decay_default)
        listed.append(f"${latex(weight_decay, BASE_NAMES)}$ = {value} ({texttt(WEIGHT_DECAY.argument)})")
    return tuple(listed)


def algorithm_lines(spec: OptimizerSpec) -> tuple[AlgorithmLine, ...]:
    """The update in the spec's order, ``←`` for the parameter and state, ``≔`` for locals; an assignment that an
    option changes as one branch per form it takes, each under the settings that give it."""
    updated = {w, *(s.symbol for s in spec.state)}
    per_step = _per_step_symbols(spec)
    variables = element_symbols(spec)
    lines = [_base_weight_decay_line()] if spec.base_options == "keras" else []
    for number, ((lhs, _), cases) in enumerate(zip(spec.update, option_cases(spec)), start=1):
        mark = PER_STEP if lhs in per_step else ""
        relation = UPDATE if lhs in updated else DEFINITION
        target = latex(lhs, spec.latex_names)
        for case, (condition, rhs) in enumerate(cases):
            label = f"{number}{mark}" if case == 0 else ""
            lines.append(
                AlgorithmLine(label, condition, target, relation, latex(rhs, spec.latex_names, variables=variables))
            )
    return tuple(lines)


def element_symbols(spec: OptimizerSpec) -> frozenset[sympy.Symbol]:
    """The ``variables`` of ``latex`` for ``spec``'s update: the weight, the gradient, the element-wise state, and
    every local assigned from them outside a sum over the tensor (a norm, a trust ratio is a coefficient)."""
    element = {w, g, *(s.symbol for s in spec.state if s.scope == "parameter")}
    for lhs, rhs in spec.update:
        rhs = sympy.sympify(rhs)
        outside = rhs.xreplace({total: sympy.Dummy() for total in rhs.atoms(tensor_sum)}).free_symbols
        if outside & element:
            element.add(lhs)
    return frozenset(element)


def proven_forms(spec: OptimizerSpec, relations: tuple) -> tuple[ProvenForm, ...]:
    """The written updates that an equivalence declared in ``spec``'s file proves equal to ``spec`` itself (some
    setting of its options, no substitution): the textbook form of an update that the kernel computes otherwise."""
    forms = []
    for relation in relations:
        if not (
            isinstance(relation, Equivalence)
            and relation.holds
            and relation.source == spec.source
            and isinstance(relation.right, WrittenUpdate)
            and relation.left.spec == spec.name
            and not relation.left.substitution
        ):
            continue
        written = relation.right
        updated = {w, *written.initial, *(s.symbol for s in spec.state)}
        symbols = set().union(*(sympy.sympify(rhs).free_symbols | {lhs} for lhs, rhs in written.assignments))
        names = {**{symbol: _written_name(symbol) for symbol in symbols}, **BASE_NAMES, **spec.latex_names}
        variables = frozenset({g, *updated, *(lhs for lhs, _ in written.assignments)})
        lines = tuple(
            AlgorithmLine(
                "",
                "",
                latex(lhs, names),
                UPDATE if lhs in updated else DEFINITION,
                latex(rhs, names, variables=variables),
            )
            for lhs, rhs in written.assignments
        )
        statement = plain(spec, relation.statement, f"the statement of {relation.name}")
        forms.append(ProvenForm(statement, check_citation(relation, spec.module_name), lines))
    return tuple(forms)


def check_citation(relation: Equivalence, module: str) -> str:
    """The generated test that proves ``relation``, declared in the spec file ``module``, and its file."""
    return f"{texttt(f'test_{relation.name}')} in {texttt(relations_check_path(module))}"


def _written_name(symbol: sympy.Symbol) -> str:
    """A written form's own symbol as a reader writes it: ``m_hat`` as m̂ (SymPy's accent for ``mhat``)."""
    base, _, accent = symbol.name.rpartition("_")
    return sympy.latex(sympy.Symbol(base + accent) if base and accent in ("hat", "bar", "tilde") else symbol)


def _base_weight_decay_line() -> AlgorithmLine:
    """Keras's decoupled weight decay, the first thing a step does where the base option is set (unnumbered: it is
    not the spec's, and ``codegen.lower`` fuses it into every kernel as printed here)."""
    _, decayed = weight_decay_assignment()
    condition = rf"\textbf{{if}}\ {latex(weight_decay, BASE_NAMES)} \neq 0\colon"
    return AlgorithmLine("", condition, latex(w, BASE_NAMES), UPDATE, latex(decayed, BASE_NAMES))


def option_cases(spec: OptimizerSpec) -> list[tuple[tuple[str, sympy.Expr], ...]]:
    """For each assignment of the update, its forms under the spec's options: ``(condition, value)`` pairs in the
    order a reader tests them, the condition empty where every setting gives the same form. A setting where the
    assignment is dead (nothing it computes is read: SGD's velocity without momentum) runs no branch of it."""
    update = tuple((lhs, sympy.sympify(rhs)) for lhs, rhs in spec.update)
    allowed = settings(spec, spec.options)
    outputs = {s.symbol for s in spec.state if s.output}
    forms = {switches: _live_values(specialised(update, spec.options, switches), outputs) for switches in allowed}
    cases = []
    for index in range(len(update)):
        outcomes: dict[sympy.Expr, list[tuple[bool, ...]]] = {}
        for switches in allowed:
            if forms[switches][index] is not None:
                outcomes.setdefault(forms[switches][index], []).append(switches)
        cases.append(_branches(spec, outcomes, allowed))
    return cases


def _live_values(assignments: tuple, outputs: set) -> list[sympy.Expr | None]:
    """Each assignment's value, or None where it is dead (the kernels prune it)."""
    live = live_symbols(assignments, outputs)
    return [rhs if lhs in live else None for lhs, rhs in assignments]


def _branches(spec: OptimizerSpec, outcomes: dict, allowed: tuple) -> tuple[tuple[str, sympy.Expr], ...]:
    """The if / else-if / else chain over ``outcomes`` (value → the settings giving it): the form that needs the
    most options on first, as PyTorch's boxes test a switch; each condition as short as the earlier ones allow."""
    if len(outcomes) == 1 and len(next(iter(outcomes.values()))) == len(allowed):
        return (("", next(iter(outcomes))),)
    switches = [sympy.Symbol(f"option{i}") for i in range(len(spec.options))]
    ruled_out = [c for c in itertools.product((False, True), repeat=len(switches)) if c not in allowed]
    ordered = sorted(outcomes.items(), key=lambda item: (-min(map(sum, item[1])), -max(map(sum, item[1]))))
    covered = sum(len(settings_) for _, settings_ in ordered) == len(allowed)
    branches, tested = [], []
    for number, (value, giving) in enumerate(ordered):
        condition = SOPform(switches, [_bits(c) for c in giving], [_bits(c) for c in (*ruled_out, *tested)])
        tested += giving
        last = number == len(ordered) - 1
        if (last and covered) or condition is sympy.true:
            branches.append((r"\textbf{else}\colon" if number else "", value))
            break
        keyword = r"\textbf{if}" if number == 0 else r"\textbf{else if}"
        branches.append((rf"{keyword}\ {_condition_latex(condition, spec)}\colon", value))
    return tuple(branches)


def _bits(setting: tuple[bool, ...]) -> list[int]:
    return [int(on) for on in setting]


def _condition_latex(condition: sympy.Basic, spec: OptimizerSpec) -> str:
    """A condition on the options' switches, in words and symbols, in math mode:
    ``\\mu \\neq 0\\ \\text{and}\\ \\texttt{nesterov}``."""
    if isinstance(condition, sympy.Or):
        return r"\ \text{or}\ ".join(
            f"({_condition_latex(term, spec)})" if isinstance(term, sympy.And) else _condition_latex(term, spec)
            for term in condition.args
        )
    if isinstance(condition, sympy.And):
        return r"\ \text{and}\ ".join(_condition_latex(term, spec) for term in condition.args)
    on = not isinstance(condition, sympy.Not)
    option = spec.options[int((condition if on else condition.args[0]).name.removeprefix("option"))]
    if option.kind == "flag":
        return texttt(option.argument) if on else rf"\text{{not}}\ {texttt(option.argument)}"
    symbol = latex(spec.hyperparameter(option.argument).symbol, spec.latex_names)
    relation = r"\neq" if on else "="
    return f"{symbol} {relation} {latex(sympy.nsimplify(option.off_value), spec.latex_names)}"


def _per_step_symbols(spec: OptimizerSpec) -> set[sympy.Symbol]:
    """Symbols assigned from the step, hyperparameters and optimizer-wide state only (Nadam's ``Π``)."""
    invariant = {t, *(h.symbol for h in spec.hyperparameters)}
    invariant |= {s.symbol for s in spec.state if s.scope == "optimizer"}
    assigned = set()
    for lhs, rhs in spec.update:
        if sympy.sympify(rhs).free_symbols <= invariant:
            invariant.add(lhs)
            assigned.add(lhs)
    return assigned


_SCOPES = {
    "parameter": ("every element", "state, per element"),
    "tensor": ("one number per tensor", "state, one per tensor"),
    "optimizer": ("one scalar for the whole optimizer", "state, one scalar"),
}
"""How many values a state of each scope has, as the docs say it: before the first step, and in the symbols."""


def _initial_line(state: State, names: dict) -> InitialLine:
    scope = _SCOPES[state.scope][0]
    return InitialLine(latex(state.symbol, names), latex(sympy.sympify(state.initial), names), rf"\text{{{scope}}}")


def hyperparameter_row(h: Hyperparameter, names: dict, description: str) -> HyperparameterRow:
    """One row of a table of arguments; ``description`` is LaTeX already."""
    return HyperparameterRow(
        argument=texttt(h.argument),
        symbol=math(latex(h.symbol, names)),
        default=latex_number(h.default),
        domain=math(latex(h.domain, names)),
        description=description,
    )


def symbol_rows(spec: OptimizerSpec) -> tuple[SymbolRow, ...]:
    """Every symbol of the update (initial values read only hyperparameters), with its role and meaning."""
    names = spec.latex_names
    used = set().union(*(sympy.sympify(rhs).free_symbols for _, rhs in spec.update))
    used |= {lhs for lhs, _ in spec.update}
    clipped = CLIPPED if spec.base_options == "keras" else ""
    rows = [
        SymbolRow(math(latex(symbol, names)), role, description + (clipped if symbol == g else ""))
        for symbol, (role, description) in ROLE_ROWS.items()
        if symbol in used
    ]
    for h in spec.hyperparameters:
        meaning = f"{texttt(h.argument)}: {plain(spec, h.description, h.argument)}"
        rows.append(SymbolRow(math(latex(h.symbol, names)), "hyperparameter", meaning))
    for state in spec.state:
        role = _SCOPES[state.scope][1]
        meaning = f"{texttt(state.name)}: {plain(spec, state.description, state.name)}"
        rows.append(SymbolRow(math(latex(state.symbol, names)), role, meaning))
    declared = {*ROLE_ROWS, *(h.symbol for h in spec.hyperparameters), *(s.symbol for s in spec.state)}
    per_tensor = _per_tensor_symbols(spec)
    for number, (lhs, _) in enumerate(spec.update, start=1):
        if lhs not in declared:
            role = "local, one per tensor" if lhs in per_tensor else "local"
            rows.append(SymbolRow(math(latex(lhs, names)), role, f"defined in line {number}, for this step only"))
    return tuple(rows)


def _per_tensor_symbols(spec: OptimizerSpec) -> set[sympy.Symbol]:
    """Locals with one value per tensor: those that sum over it, and those computed from them alone."""
    found = {s.symbol for s in spec.state if s.scope == "tensor"}
    invariant = {
        t,
        *(h.symbol for h in spec.hyperparameters),
        *(s.symbol for s in spec.state if s.scope == "optimizer"),
    }
    for lhs, rhs in spec.update:
        rhs = sympy.sympify(rhs)
        summed = rhs.has(tensor_sum)
        if summed or (rhs.free_symbols & found and rhs.free_symbols <= invariant | found):
            found.add(lhs)
        elif rhs.free_symbols <= invariant:
            invariant.add(lhs)
    return found


def _option_row(option: Option, spec: OptimizerSpec) -> OptionRow:
    names = spec.latex_names
    if option.kind == "flag":
        switch = f"{texttt('True')} or {texttt('False')}, default {texttt(repr(option.default))}"
    else:
        symbol = latex(spec.hyperparameter(option.argument).symbol, names)
        switch = f"off when ${symbol} = {latex(sympy.nsimplify(option.off_value), names)}$"
    return OptionRow(
        argument=texttt(option.argument),
        switch=switch,
        description=plain(spec, option.description, f"option {option.argument}"),
        when_off=substitution(option, names, element_symbols(spec)),
    )


def substitution(option: Option, names: dict, variables: frozenset = frozenset()) -> str:
    """The substitution ``option`` applies when off, e.g. ``$\\max(v, \\hat v) \\mapsto v$``; ``variables`` as
    ``latex`` takes them."""
    pairs = ", ".join(
        f"{latex(sympy.sympify(old), names, variables=variables)} \\mapsto "
        f"{latex(sympy.sympify(new), names, variables=variables)}"
        for old, new in option.when_off.items()
    )
    text = math(pairs)
    if option.applies_to:
        targets = ", ".join(math(latex(symbol, names)) for symbol in option.applies_to)
        text += f" in the update of {targets} only"
    return text


# ----------------------------------------------------------------------------- base options


def weight_decay_assignment() -> tuple[sympy.Symbol, sympy.Expr]:
    """``(w_decayed, w - λ·η·w)``, exactly as ``codegen.lower`` fuses it before every spec's step.

    ``with_weight_decay`` prepends it to an update; a one-line update that only
    keeps ``w`` exposes it without choosing one of the registered optimizers.
    """
    probe = OptimizerSpec("probe", (), "", (learning_rate(1.0),), (), ((w, w),))
    update, _ = with_weight_decay(probe)
    lhs, rhs = update[0]
    if lhs != w_decayed:
        raise RuntimeError(f"codegen.lower no longer starts the update with {w_decayed}; update codegen/docmodels.py")
    return lhs, rhs


# Keras's gradient clipping (the clipnorm, clipvalue and global_clipnorm of keras.optimizers.Optimizer), as the
# runtime applies it before the kernels run; tests/test_docs.py evaluates these expressions against the runtime.
CLIP = sympy.Symbol("c", positive=True)
"""The value of the clipping argument."""
TENSOR_NORM = sympy.Symbol("norm_g", nonnegative=True)
"""The L2 norm of one gradient tensor (over all its elements)."""
GLOBAL_NORM = sympy.Symbol("N", nonnegative=True)
"""The joint L2 norm of all gradient tensors of one step."""
TENSOR_INDEX, TENSOR_COUNT = sympy.symbols("j k", integer=True, positive=True)
TENSOR_NORM_J = sympy.Symbol("norm_j", nonnegative=True)
"""The norm of the ``j``-th of the ``k`` gradient tensors, in the definition of ``N``."""
g_i = sympy.Symbol("g_i")
"""One element of the ``i``-th gradient tensor."""
CLIP_NAMES = {TENSOR_NORM: r"\lVert g\rVert_{2}", TENSOR_NORM_J: r"\lVert g_{j}\rVert_{2}"}


@dataclass(frozen=True)
class Clipping:
    """One clipping argument: the gradient element it replaces by ``clipped``."""

    argument: str
    target: sympy.Symbol
    clipped: sympy.Expr
    what: str  # LaTeX


@functools.cache
def clipping_rules() -> tuple[Clipping, ...]:
    """The three Keras clipping arguments (built on first use: SymPy's Min and Max are slow to construct)."""
    return (
        Clipping(
            "clipnorm", g, g * CLIP / sympy.Max(TENSOR_NORM, CLIP), r"clip each gradient tensor $g$ by its own norm"
        ),
        Clipping("clipvalue", g, sympy.Min(CLIP, sympy.Max(-CLIP, g)), "clip each element of each gradient"),
        Clipping(
            "global_clipnorm",
            g_i,
            CLIP * g_i * sympy.Min(1 / GLOBAL_NORM, 1 / CLIP),
            r"clip all gradients $g_i$ by $N$",
        ),
    )


def global_norm_definition() -> sympy.Expr:
    """``N`` over the ``k`` gradient tensors of one step."""
    return sympy.sqrt(sympy.Sum(TENSOR_NORM_J**2, (TENSOR_INDEX, 1, TENSOR_COUNT)))


CLIP_DOMAIN = Interval.open(0, oo)
"""Each clipping argument is None (off) or a positive float."""


def base_options_doc() -> BaseOptionsDoc:
    """The general section: weight decay printed from ``codegen.lower``, then clipping."""
    _, decayed = weight_decay_assignment()
    clip_rows = tuple(
        hyperparameter_row(Hyperparameter(CLIP, rule.argument, None, CLIP_DOMAIN, rule.what), CLIP_NAMES, rule.what)
        for rule in clipping_rules()
    )
    return BaseOptionsDoc(
        arguments=(hyperparameter_row(WEIGHT_DECAY, BASE_NAMES, text(WEIGHT_DECAY.description)), *clip_rows),
        weight_decay_argument=texttt(WEIGHT_DECAY.argument),
        # lower names the decayed value w_decayed and the step reads it wherever it read w: w ← decayed.
        weight_decay=AlgorithmLine("", "", latex(w, BASE_NAMES), UPDATE, latex(decayed, BASE_NAMES)),
        weight_decay_off=substitution(WEIGHT_DECAY_OPTION, BASE_NAMES),
        clipping=tuple(
            ClippingRule(
                texttt(rule.argument), f"{latex(rule.target, CLIP_NAMES)} {UPDATE} {latex(rule.clipped, CLIP_NAMES)}"
            )
            for rule in clipping_rules()
        ),
        global_norm=math(f"{latex(GLOBAL_NORM, CLIP_NAMES)} = {latex(global_norm_definition(), CLIP_NAMES)}"),
    )


@dataclass(frozen=True)
class OptimizersPart:
    """The optimizers' part of the documentation: the general part on the base options, a section each, then the
    porting chapter."""

    base: str
    sections: tuple[str, ...]
    porting: str


def optimizers_part(specs: tuple[OptimizerSpec, ...]) -> Emitted:
    """The document that inputs the general part, every optimizer's section, then the porting chapter."""
    sections = tuple(f"optimizers/{spec.module_name}" for spec in specs)
    model = OptimizersPart("optimizers/base_options", sections, "optimizers/porting")
    return Emitted(PART, "docs/optimizers.tex.jinja", model, "the specs in specs/optimizers/")


def base_options_part() -> Emitted:
    """How to read a section, and the Keras base options: the same for every registry, so built once."""
    return Emitted(BASE, "docs/optimizers_base.tex.jinja", base_options_doc(), "codegen/lower/optimizer.py")


PART = "docs/optimizers/optimizers.tex"
BASE = "docs/optimizers/base_options.tex"
