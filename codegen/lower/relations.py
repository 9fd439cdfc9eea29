"""Relations resolved against the registry: each side of a relation as an update ready to run.

A relation names specs and variants (``SpecUpdate("Adam", options=...)``) or
writes an update out (``WrittenUpdate``). Resolving lowers the named spec,
picks the variant the options select, and applies the relation's
substitution; ``check_relation`` refuses, with a ``SpecError`` naming the
file and the relation, anything that could not be proved as declared.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass

import sympy

from codegen.errors import SpecError
from codegen.language.optimizer import OptimizerSpec, g, t, w
from codegen.language.relations import (
    Assignment,
    Equivalence,
    Relation,
    ScaleInvariance,
    Side,
    SpecUpdate,
    Unbiased,
    WrittenUpdate,
)
from codegen.load import Registry
from codegen.lower.optimizer import Variant, lower, prune


@dataclass(frozen=True)
class KernelCall:
    """How to run the generated kernel that computes a resolved update."""

    module: str
    variant: str
    arguments: Mapping[str, sympy.Expr]
    state_symbols: Mapping[str, sympy.Symbol]


@dataclass(frozen=True)
class Update:
    """An update ready to run: assignments, every state with its initial value, symbol domains."""

    label: str
    assignments: tuple[Assignment, ...]
    initial: Mapping[sympy.Symbol, sympy.Expr]
    domains: Mapping[sympy.Symbol, sympy.Set]
    kernel: KernelCall | None = None


def optimizer_relations(registry: Registry) -> tuple[Relation, ...]:
    """The relations of the kinds this module proves (other kinds of spec declare other relations)."""
    return tuple(r for r in registry.relations if isinstance(r, Equivalence | Unbiased | ScaleInvariance))


def find(registry: Registry, name: str) -> Relation:
    """The relation called ``name``."""
    for relation in optimizer_relations(registry):
        if relation.name == name:
            return relation
    raise KeyError(f"no relation named {name!r}")


def resolve(side: Side, registry: Registry) -> Update:
    """The assignments, initial state and domains that ``side`` stands for."""
    if isinstance(side, WrittenUpdate):
        return _resolve_written(side)
    spec = _optimizer(registry, side.spec)
    variant = select_variant(spec, side.options)
    assignments = tuple((lhs, substitute(rhs, side.substitution)) for lhs, rhs in variant.assignments)
    initial = {s.symbol: substitute(s.initial, side.substitution) for s in variant.state}
    # A substitution can leave a value nothing reads (Lamb's norms, once its trust ratio is fixed at 1): dropped,
    # as the lowering drops it, since the reference cannot evaluate a sum over the tensor per element.
    assignments = prune(assignments, set(initial))
    domains = {h.symbol: h.domain for h in (*spec.hyperparameters, *variant.hyperparameters)}
    domains.update(side.domains)
    return Update(describe_side(side, registry), assignments, initial, domains, _kernel_call(spec, variant, side))


def substitute(expression: sympy.Expr, substitution: Mapping[sympy.Expr, sympy.Expr]) -> sympy.Expr:
    """Apply the entries one after another, in the order the relation declares them."""
    expression = sympy.sympify(expression)
    for old, new in substitution.items():
        expression = expression.subs(old, new)
    return expression


def select_variant(spec: OptimizerSpec, options: Mapping[str, bool]) -> Variant:
    """The lowered variant that ``options`` select (options not named keep their default)."""
    lowered = lower(spec)
    known = {option.argument: option for option in lowered.options}
    unknown = sorted(set(options) - set(known))
    if unknown:
        raise KeyError(f"{spec.name} has no option {unknown[0]!r}; options: {', '.join(known)}")
    switches = tuple(bool(options.get(o.argument, o.default)) for o in lowered.options)
    name = dict(lowered.selection)[switches]
    return next(variant for variant in lowered.variants if variant.name == name)


def _optimizer(registry: Registry, name: str) -> OptimizerSpec:
    spec = registry.get(name)
    if not isinstance(spec, OptimizerSpec):
        raise KeyError(f"{name!r} is not an optimizer spec")
    return spec


def _kernel_call(spec: OptimizerSpec, variant: Variant, side: SpecUpdate) -> KernelCall | None:
    """The generated kernel computes ``side`` only if the substitution just fixes hyperparameter values."""
    by_symbol = {h.symbol: h for h in (*spec.hyperparameters, *variant.hyperparameters)}
    if not all(key in by_symbol for key in side.substitution):
        return None
    # A value that changes with the step (ε·√(1 − β2^t), a schedule η·t) is not one constant kernel argument.
    if any(t in sympy.sympify(value).free_symbols for value in side.substitution.values()):
        return None
    arguments = {h.argument: substitute(h.symbol, side.substitution) for h in by_symbol.values()}
    state_symbols = {s.name: s.symbol for s in variant.state}
    return KernelCall(spec.module_name, variant.name, arguments, state_symbols)


def _resolve_written(side: WrittenUpdate) -> Update:
    """Its hyperparameters' domains come from the spec it is compared with, or its own ``domains``."""
    assignments = tuple((lhs, sympy.sympify(rhs)) for lhs, rhs in side.assignments)
    initial = {symbol: sympy.sympify(value) for symbol, value in side.initial.items()}
    return Update(side.label, assignments, initial, dict(side.domains))


def check_relation(relation: Relation, registry: Registry) -> None:
    """Raise ``SpecError`` (naming the file and the relation) if ``relation`` cannot be proved as declared."""
    try:
        _check(relation, registry)
    except (KeyError, ValueError) as error:
        message = error.args[0] if error.args else str(error)
        raise SpecError(relation.source, f"relation {relation.name!r}: {message}") from error


def _check(relation: Relation, registry: Registry) -> None:
    if not re.fullmatch(r"[a-z][a-z0-9_]*", relation.name):
        raise ValueError("a relation's name must be snake_case: it names the generated test")
    if not relation.statement.strip():
        raise ValueError("the statement is empty")
    declared = sides(relation)
    for side in declared:
        if isinstance(side, SpecUpdate):
            _check_substitution(side, registry)
    updates = [resolve(side, registry) for side in declared]
    for update in updates:
        _check_symbols(update, updates)
    if isinstance(relation, Equivalence):
        _check_state_map(relation, updates[0], updates[1])
    if isinstance(relation, Unbiased) and relation.state not in updates[0].initial:
        raise ValueError(f"{relation.state} is not a state of {updates[0].label}")
    if isinstance(relation, ScaleInvariance):
        # Necessity drops each condition, so the update must also make sense without them.
        _check_symbols(resolve(relation.update, registry), updates)
        for key in relation.conditions:
            if not isinstance(key, sympy.Symbol):
                raise ValueError(f"condition {key} must set a symbol: necessity drops it and samples its domain")


def sides(relation: Relation) -> list[Side]:
    if isinstance(relation, Equivalence):
        return [relation.left, relation.right]
    if isinstance(relation, ScaleInvariance):
        conditions = {**relation.update.substitution, **relation.conditions}
        return [dataclasses.replace(relation.update, substitution=conditions)]
    return [relation.update]


def _check_substitution(side: SpecUpdate, registry: Registry) -> None:
    """Every entry must change the variant: a misspelt pattern would otherwise prove nothing."""
    spec = _optimizer(registry, side.spec)
    variant = select_variant(spec, side.options)
    expressions = [rhs for _, rhs in variant.assignments] + [sympy.sympify(s.initial) for s in variant.state]
    for old, new in side.substitution.items():
        changed = [substitute(e, {old: new}) for e in expressions]
        if changed == expressions:
            raise ValueError(f"substitution {old} → {new} changes nothing in {variant.name}")
        expressions = changed


def _check_symbols(update: Update, updates: list[Update]) -> None:
    known = {w, g, t, *update.initial}
    for other in updates:
        known |= set(other.domains)
    for lhs, rhs in update.assignments:
        unknown = sorted(str(s) for s in rhs.free_symbols - known)
        if unknown:
            raise ValueError(f"{update.label}: {unknown[0]} has no domain and is neither state nor assigned earlier")
        known.add(lhs)


def _check_state_map(relation: Equivalence, left: Update, right: Update) -> None:
    for state, expression in relation.state_map.items():
        if state not in left.initial:
            raise ValueError(f"{state} is not a state of {left.label}")
        known = {w, *right.initial, *right.domains, *left.domains}
        unknown = sorted(str(s) for s in sympy.sympify(expression).free_symbols - known)
        if unknown:
            raise ValueError(
                f"{unknown[0]} in the state map is neither the parameter, a state of {right.label}, "
                "nor a hyperparameter"
            )


def describe_side(side: Side, registry: Registry) -> str:
    """One line: which update this is (spec variant and substitution, or the written form's label)."""
    if isinstance(side, WrittenUpdate):
        return f"{side.label} (written in the relation)"
    variant = select_variant(_optimizer(registry, side.spec), side.options)
    text = f"{side.spec}, variant {variant.name}"
    if side.substitution:
        text += ", with " + print_substitution(side.substitution)
    return text


def print_substitution(substitution: Mapping[sympy.Expr, sympy.Expr]) -> str:
    return ", ".join(f"{sympy.sstr(old)} → {sympy.sstr(new)}" for old, new in substitution.items())


def has_kernel(relation: Relation, registry: Registry) -> bool:
    """Whether some update in ``relation`` is computed by a generated kernel (else nothing to confirm)."""
    return any(resolve(side, registry).kernel is not None for side in sides(relation))
