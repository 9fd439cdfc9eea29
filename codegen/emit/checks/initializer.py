"""The generated pytest modules that prove what the initializer specs claim.

One module per initializer, ``checks/test_<name>_initializer.py``,
and one for what the families share, ``test_initializer_families.py``. Each
test states its expressions as SymPy code printed from the spec, proves the
claim exactly with the helpers of ``codegen.proofs.initializer`` (which
integrate densities and solve equations independently of the spec's own
derivation), and then confirms it numerically on the generated kernels:

* every case: the generated scalar functions agree with the spec's expressions
  evaluated at 40 digits, to 4 ulp;
* a special case (GlorotUniform of VarianceScaling, Zeros of Constant): its
  distribution is the parent's with the derivation's substitution, and the two
  generated classes fill identical arrays from one seed;
* a published closed form: the spec's distribution has it;
* every symmetric uniform case of the VarianceScaling family: limit = sqrt(3·variance),
  and that variance is scale / n for Keras's n of the mode;
* every normal case of the family: the variance (after truncation, if truncated) is scale / n;
* the design document's HeUniform and LecunUniform examples: the class it calls has
  another limit than the one its name promises, for every shape.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy

from codegen.emit.code.initializer import KERNELS_SOURCE, kernel_name, scalar_inputs, scalars_function
from codegen.emit.common import Emitted, docstring
from codegen.language.common import example_value, typical_range
from codegen.language.initializer import (
    CONSTANTS,
    FAMILIES,
    ClosedForm,
    Comparison,
    SeedExample,
    fan_in,
    fan_out,
    truncated_std,
    x,
)
from codegen.lower.initializer import Resolved, choice_values, distribution_with, variance_scaling_settings
from codegen.plan import CasePlan, FamilyPlan
from codegen.printers.source import code

FAN_SAMPLES = ((1, 1), (3, 5), (784, 256), (144, 288), (1_000_000, 7))
"""Fans the scalar functions are evaluated at: the smallest, small odd, a Dense layer, a 3x3 conv, extreme."""

SHAPES = ((64, 32), (3, 3, 8, 16), (1000,), (7, 300, 2))
"""Shapes the numeric comparisons fill: 2-D, a conv kernel, 1-D, rank 3."""


@dataclass(frozen=True)
class SymbolLine:
    name: str
    assumptions: str


@dataclass(frozen=True)
class ScalarCheck:
    test: str
    doc: str
    function: str
    label: str
    arguments: str
    argument_samples: str
    scalars: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class DerivationCheck:
    test: str
    doc: str
    text: str
    parent_class: str
    parent_module: str
    parent_config: str
    child_config: str
    substitution: str
    parameters: tuple[tuple[str, str, str], ...]
    """(name, the parent's expression, the derived spec's expression)."""
    random: bool


@dataclass(frozen=True)
class ClosedFormCheck:
    test: str
    doc: str
    quantity: str
    family: str
    parameters: str
    expected: str
    citation: str


@dataclass(frozen=True)
class FamilyCheck:
    test: str
    doc: str
    label: str
    family: str
    parameters: str
    target: str


@dataclass(frozen=True)
class SeedCheck:
    test: str
    doc: str
    note: str
    promised: str
    written: str
    promised_family: str
    written_family: str
    promised_parameters: str
    written_parameters: str
    written_module: str


@dataclass(frozen=True)
class ComparisonCheck:
    test: str
    doc: str
    statement: str
    claim: str
    left: str
    right: str
    left_family: str
    right_family: str
    left_parameters: str
    right_parameters: str


@dataclass(frozen=True)
class CheckModuleModel:
    name: str
    summary: str
    module: str
    source: str
    symbols: tuple[SymbolLine, ...]
    scalar_checks: tuple[ScalarCheck, ...]
    derivations: tuple[DerivationCheck, ...]
    closed_forms: tuple[ClosedFormCheck, ...]
    uniform_limits: tuple[FamilyCheck, ...]
    variances: tuple[FamilyCheck, ...]
    seed_examples: tuple[SeedCheck, ...]
    comparisons: tuple[ComparisonCheck, ...]
    shapes: str
    fans: str
    package: str


# ----------------------------------------------------------------- pieces of a module


def _symbol_lines(expressions: list[sympy.Basic]) -> tuple[SymbolLine, ...]:
    symbols = set()
    for expr in expressions:
        symbols |= sympy.sympify(expr).free_symbols
    lines = []
    for symbol in sorted(symbols | set(CONSTANTS), key=lambda s: (s.name, sorted(s._assumptions_orig.items()))):
        assumptions = dict(symbol._assumptions_orig)
        if sympy.Symbol(symbol.name, **assumptions) != symbol:
            raise ValueError(f"cannot restate symbol {symbol} with assumptions {assumptions}")
        arguments = "".join(f", {key}={value!r}" for key, value in sorted(assumptions.items()))
        lines.append(SymbolLine(symbol.name, f"{symbol.name!r}{arguments}"))
    return tuple(lines)


def _parameters_code(parameters: dict) -> str:
    return "{" + ", ".join(f"{p.name!r}: {code(e)}" for p, e in parameters.items()) + "}"


# What a valued choice sets (a gain) is evaluated at besides its default option's value: a positive scalar.
_VALUED = (0.5, 2.0)


def _shapes_of_rank(ranks: tuple[int, int | None]) -> tuple[tuple[int, ...], ...]:
    lowest, highest = ranks
    return tuple(shape for shape in SHAPES if lowest <= len(shape) and (highest is None or len(shape) <= highest))


def _argument_samples(resolved: Resolved) -> str:
    """Values of the scalar functions' inputs: the defaults, then the two ends of each argument's typical range.
    What a valued choice sets (a gain) is first the value the default option gives, then ``_VALUED``."""
    arguments = resolved.arguments
    defaults = {h.symbol: sympy.sympify(example_value(h)) for h in arguments}
    defaults |= choice_values(resolved, {c.argument: c.default for c in resolved.choices}, defaults)
    valued = [c.sets for c in resolved.valued_choices]
    samples = [tuple(float(defaults[symbol]) for symbol in (*(h.symbol for h in arguments), *valued))]
    ranges = [typical_range(h) for h in arguments]
    samples.append(tuple([r.low for r in ranges] + [_VALUED[0] for _ in valued]))
    samples.append(tuple([r.high for r in ranges] + [_VALUED[1] for _ in valued]))
    return repr(list(dict.fromkeys(samples)))


def _scalar_checks(resolved: Resolved, plans: tuple[CasePlan, ...]) -> tuple[ScalarCheck, ...]:
    module = resolved.spec.module_name
    checks = []
    for case, plan in zip(resolved.cases, plans):
        names, expressions = plan.names, plan.expressions
        suffix = f"_{case.name}" if case.name else ""
        settings = ", ".join(f"{k}={v!r}" for k, v in case.settings)
        label = f"{resolved.spec.name} ({settings})" if settings else resolved.spec.name
        checks.append(
            ScalarCheck(
                test=f"test_{module}{suffix}_scalars_match_the_spec",
                doc=docstring(f"{label}: the generated scalar function equals the spec's expressions to 4 ulp."),
                function=scalars_function(resolved, case.settings),
                label=label,
                arguments="[" + ", ".join(symbol.name for symbol in scalar_inputs(resolved)) + "]",
                argument_samples=_argument_samples(resolved),
                scalars=tuple((name.name, code(expr)) for name, expr in zip(names, expressions)),
            )
        )
    return tuple(checks)


def _derivation_checks(resolved: Resolved) -> tuple[DerivationCheck, ...]:
    spec, parent = resolved.spec, resolved.parent
    if parent is None:
        return ()
    derivation = spec.derived_from
    fixed = dict(derivation.choices)
    parameters = []
    for child_case in resolved.cases:
        settings = {**dict(child_case.settings), **fixed}
        parent_case = next(c for c in parent.cases if all(settings.get(k, v) == v for k, v in c.settings))
        suffix = f" ({child_case.name})" if child_case.name else ""
        parameters += [
            (f"{p.name}{suffix}", code(expr), code(child_case.distribution.values[p]))
            for p, expr in parent_case.distribution.parameters
        ]
    defaults = {h.symbol: sympy.sympify(example_value(h)) for h in resolved.arguments}
    defaults |= choice_values(resolved, {c.argument: c.default for c in resolved.choices}, defaults)
    config = [f"{name}={float(sympy.sympify(value).xreplace(defaults))!r}" for name, value in derivation.arguments]
    config += [f"{name}={option!r}" for name, option in derivation.choices]
    if resolved.layout != parent.layout and parent.uses_fans:  # the parent reads the fans where the child does
        config.append("**LAYOUT_AXES[" + repr(resolved.layout) + "](len(shape))")
    own = [f"{name}={value!r}" for name, value in resolved.required_examples.items()]
    seed = ["seed=7"] if resolved.random else []
    substitution = ", ".join(f"{symbol.name}: {code(value)}" for symbol, value in resolved.substitution)
    return (
        DerivationCheck(
            test=f"test_{spec.module_name}_is_{parent.spec.module_name}_with_its_settings",
            doc=docstring(
                f"{spec.name} is {derivation.text()}: the parent's distribution with the substitution, exactly."
            ),
            text=derivation.text(),
            parent_class=parent.spec.name,
            parent_module=parent.spec.module_name,
            parent_config=", ".join(config + seed),
            child_config=", ".join(own + seed),
            substitution="{" + substitution + "}",
            parameters=tuple(parameters),
            random=resolved.random,
        ),
    )


def _closed_form_checks(resolved: Resolved, relations: tuple) -> tuple[ClosedFormCheck, ...]:
    checks = []
    for relation in relations:
        if not isinstance(relation, ClosedForm) or relation.initializer != resolved.spec.name:
            continue
        case = resolved.case(**dict(relation.settings))
        # One closed form per setting of the choices (kaiming_normal_'s fan_in and fan_out): each test its own name.
        settings = "".join(f"_{option}" for _, option in relation.settings)
        checks.append(
            ClosedFormCheck(
                test=f"test_{resolved.spec.module_name}{settings}_{relation.parameter}_is_the_published_closed_form",
                doc=docstring(f"{relation.citation}."),
                quantity=relation.parameter,
                family=case.distribution.family,
                parameters=_parameters_code(case.distribution.values),
                expected=code(relation.expected),
                citation=relation.citation,
            )
        )
    return tuple(checks)


# What each family check proves, by the name of its test.
_CLAIMS = {
    "uniform_limit_is_sqrt_3_variance": "U(-L, L) with L = sqrt(3 variance), and that variance is scale / n",
    "variance_after_truncation_is_scale_over_n": (
        "the variance of the values, after truncation at two standard deviations, is scale / n"
    ),
    "variance_is_scale_over_n": "the variance of the values is scale / n",
}


def _family_checks(resolved: Resolved, family: str, claim: str) -> tuple[FamilyCheck, ...]:
    checks = []
    for case in resolved.cases:
        vs = variance_scaling_settings(resolved, case)
        if case.distribution.family != family or vs is None:
            continue
        scale, mode = vs
        suffix = f"_{case.name}" if case.name else ""
        label = f"{resolved.spec.name} ({', '.join(f'{k}={v!r}' for k, v in case.settings) or 'its settings'})"
        checks.append(
            FamilyCheck(
                test=f"test_{resolved.spec.module_name}{suffix}_{claim}",
                doc=docstring(f"{label}: {_CLAIMS[claim]}."),
                label=label,
                family=family,
                parameters=_parameters_code(case.distribution.values),
                target=f"{code(scale)} / KERAS_MODE_FANS[{mode!r}]",
            )
        )
    return tuple(checks)


def _seed_checks(resolved: Resolved, relations: tuple, by_name: dict[str, Resolved]) -> tuple[SeedCheck, ...]:
    checks = []
    for relation in relations:
        if not isinstance(relation, SeedExample) or relation.promised != resolved.spec.name:
            continue
        written = by_name[relation.written]
        promised_case, written_case = resolved.cases[0], written.cases[0]
        checks.append(
            SeedCheck(
                test=f"test_seed_example_for_{resolved.spec.module_name}_calls_{written.spec.module_name}",
                doc=docstring(f"{relation.note}: its limit is not {resolved.spec.name}'s, for any shape."),
                note=relation.note,
                promised=resolved.spec.name,
                written=written.spec.name,
                promised_family=promised_case.distribution.family,
                written_family=written_case.distribution.family,
                promised_parameters=_parameters_code(promised_case.distribution.values),
                written_parameters=_parameters_code(written_case.distribution.values),
                written_module=written.spec.module_name,
            )
        )
    return tuple(checks)


def _comparison_checks(
    resolved: Resolved, relations: tuple, by_name: dict[str, Resolved]
) -> tuple[ComparisonCheck, ...]:
    checks = []
    for relation in relations:
        if not isinstance(relation, Comparison) or relation.left != resolved.spec.name:
            continue
        left = distribution_with(resolved, dict(relation.left_settings))
        right = distribution_with(by_name[relation.right], dict(relation.right_settings))
        claim = relation.claim.replace(" ", "_")
        checks.append(
            ComparisonCheck(
                test=f"test_{resolved.spec.module_name}_and_{by_name[relation.right].spec.module_name}_{claim}",
                doc=docstring(relation.statement),
                statement=relation.statement,
                claim=relation.claim,
                left=relation.left,
                right=relation.right,
                left_family=left.family,
                right_family=right.family,
                left_parameters=_parameters_code(left.values),
                right_parameters=_parameters_code(right.values),
            )
        )
    return tuple(checks)


def initializer_check_module(
    resolved: Resolved, plans: tuple[CasePlan, ...], relations: tuple, by_name: dict[str, Resolved], package: str
) -> Emitted:
    """The check module of one initializer (``plans``: its cases' plans, in order); ``by_name`` resolves the
    initializers its relations name."""
    model = _check_module_model(resolved, plans, relations, by_name, package)
    spec = resolved.spec
    return Emitted(f"checks/test_{spec.module_name}_initializer.py", "checks/initializer.py.jinja", model, spec.source)


def _check_module_model(
    resolved: Resolved, plans: tuple[CasePlan, ...], relations: tuple, by_name: dict[str, Resolved], package: str
) -> CheckModuleModel:
    scalar_checks = _scalar_checks(resolved, plans)
    comparisons = _comparison_checks(resolved, relations, by_name)
    closed_forms = _closed_form_checks(resolved, relations)
    seed_examples = _seed_checks(resolved, relations, by_name)
    # The fans always: every scalar check evaluates at them, whether the distribution uses them or not.
    expressions: list = [fan_in, fan_out, *(h.symbol for h in resolved.arguments)]
    for case in resolved.cases:
        expressions.extend(case.distribution.values.values())
    if resolved.parent is not None:
        for case in resolved.parent.cases:
            expressions.extend(case.distribution.values.values())
        expressions.extend(h.symbol for h in resolved.parent.arguments)
    expressions.extend(
        sympy.sympify(relation.expected)
        for relation in relations
        if isinstance(relation, ClosedForm) and relation.initializer == resolved.spec.name
    )
    for check in seed_examples:
        expressions.extend(by_name[check.written].cases[0].distribution.values.values())
    for relation in relations:
        if isinstance(relation, Comparison) and relation.left == resolved.spec.name:
            expressions.extend(distribution_with(resolved, dict(relation.left_settings)).values.values())
            right = distribution_with(by_name[relation.right], dict(relation.right_settings))
            expressions.extend(right.values.values())
    spec = resolved.spec
    summary = (
        f"Checks of {spec.name}: what its spec ({spec.source}) claims, proved with SymPy and confirmed on the kernels."
    )
    return CheckModuleModel(
        name=resolved.spec.name,
        summary=docstring(summary, indent=""),
        module=resolved.spec.module_name,
        source=resolved.spec.source,
        symbols=_symbol_lines(expressions),
        scalar_checks=scalar_checks,
        derivations=_derivation_checks(resolved),
        closed_forms=closed_forms,
        uniform_limits=_family_checks(resolved, "uniform", "uniform_limit_is_sqrt_3_variance"),
        variances=(
            *_family_checks(resolved, "truncated_normal", "variance_after_truncation_is_scale_over_n"),
            *_family_checks(resolved, "normal", "variance_is_scale_over_n"),
        ),
        seed_examples=seed_examples,
        comparisons=comparisons,
        shapes=repr(_shapes_of_rank(resolved.ranks)),
        fans=repr(FAN_SAMPLES),
        package=package,
    )


@dataclass(frozen=True)
class FamilyKernelCheck:
    family: str
    kernel: str
    parameters: str
    scalars: str
    """The kernel's scalars in its order, as SymPy source in the family's parameters."""
    variate: str
    sample: str
    accept: str
    variate_dtype: str


@dataclass(frozen=True)
class FamiliesModel:
    symbols: tuple[SymbolLine, ...]
    constant: str
    constant_name: str
    kernels: tuple[FamilyKernelCheck, ...]
    package: str


def families_check_module(plans: tuple[FamilyPlan, ...], package: str) -> Emitted:
    """The checks of what the families share: the truncation constant, and each random kernel's sample."""
    kernels = []
    symbols = [symbol for family in FAMILIES.values() for symbol in family.parameters]
    for plan in plans:
        family = plan.family
        if not family.random or family.kind == "orthogonal":
            continue
        symbols.extend((family.variate, x))
        hoisted = dict(plan.hoisted)
        scalars = "[" + ", ".join(code(hoisted.get(symbol, symbol)) for symbol in plan.scalars) + "]"
        kernels.append(
            FamilyKernelCheck(
                family=family.kind,
                kernel=kernel_name(family.kind),
                parameters="[" + ", ".join(p.name for p in family.parameters) + "]",
                scalars=scalars,
                variate=family.variate.name,
                sample=code(family.sample),
                accept=code(family.accept) if family.accept is not None else "",
                variate_dtype=family.variate_dtype,
            )
        )
    model = FamiliesModel(
        symbols=_symbol_lines(symbols),
        constant=code(CONSTANTS[truncated_std]()),
        constant_name=truncated_std.name.upper(),
        kernels=tuple(kernels),
        package=package,
    )
    return Emitted("checks/test_initializer_families.py", "checks/initializer_families.py.jinja", model, KERNELS_SOURCE)
