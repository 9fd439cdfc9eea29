"""The generated check module of a spec file's optimizer relations: a proof and a numeric confirmation each.

Every spec file that declares optimizer relations gets
``checks/test_<module>_relations.py``: per relation, one test that proves it
with SymPy and, when a generated kernel computes one of its updates, one that
confirms it numerically on the kernels of the same package. The engine is
the proof library (``codegen.proofs.optimizer``); the generated module states,
in each test's docstring, exactly what is proved.
"""

from __future__ import annotations

import textwrap
import zlib
from collections.abc import Iterable
from dataclasses import dataclass

import sympy

from codegen.emit.common import Emitted, docstring
from codegen.language.relations import (
    NUMERIC_SIZE,
    REFERENCE_DIGITS,
    Assignment,
    Equivalence,
    Relation,
    ScaleInvariance,
    Unbiased,
    WrittenUpdate,
    numeric_steps,
)
from codegen.load import Registry
from codegen.lower.relations import (
    Update,
    check_relation,
    describe_side,
    has_kernel,
    optimizer_relations,
    print_substitution,
    resolve,
    sides,
)

DOCSTRING_WIDTH = 112  # with the 4 spaces of a function body, inside the project's 120 columns


NO_KERNEL = (
    "No numeric confirmation: no generated kernel computes these updates "
    "(a substitution here is more than a hyperparameter value)."
)


@dataclass(frozen=True)
class ConfirmationModel:
    summary: str
    docstring: tuple[str, ...]
    seed: int


@dataclass(frozen=True)
class RelationModel:
    name: str
    summary: str
    docstring: tuple[str, ...]
    confirmations: tuple[ConfirmationModel, ...]


@dataclass(frozen=True)
class ChecksModuleModel:
    docstring: str
    relations: tuple[RelationModel, ...]
    specs: str
    """The specs folder, relative to the check module's folder, as a POSIX path."""
    package: str


def relations_check_module(spec, registry: Registry, specs: str, package: str) -> Emitted | None:
    """The check module of the relations declared in ``spec``'s file (None if it declares none).

    A relation that cannot be proved as declared fails the build (``check_relation``). The module loads the specs
    from ``specs``, relative to its own folder, and tests the kernels of the package ``package`` it is part of.
    """
    relations = tuple(r for r in optimizer_relations(registry) if r.source == spec.source)
    if not relations:
        return None
    for relation in relations:
        check_relation(relation, registry)
    about = (
        f"The relations declared in {spec.source}: proved with SymPy, confirmed on the generated kernels.\n\n"
        "Each relation is data in the spec file; codegen.proofs.optimizer is the engine. A proof runs the updates "
        "symbolically from their declared initial state and requires every residual to simplify to exactly 0, or, "
        "for a relation declared not to hold, finds an exact counterexample; a failing proof prints the residual. "
        "The numeric tests run the kernels of this package on random float64 data."
    )
    relation_models = tuple(_relation_model(r, registry) for r in relations)
    model = ChecksModuleModel(docstring(about, indent=""), relation_models, specs, package)
    return Emitted(relations_check_path(spec.module_name), "checks/optimizer.py.jinja", model, spec.source)


def relations_check_path(module: str) -> str:
    """Where the checks of the relations declared in ``specs/optimizers/<module>.py`` go."""
    return f"checks/test_{module}_relations.py"


def _relation_model(relation: Relation, registry: Registry) -> RelationModel:
    confirmations = ()
    if has_kernel(relation, registry):
        summary = f"Numeric confirmation of {relation.name} on the generated kernels."
        body = _docstring_body(describe_confirmation(relation, registry))
        confirmations = (ConfirmationModel(summary, body, zlib.crc32(relation.name.encode())),)
    lines = describe(relation, registry)
    if not confirmations:
        lines.append(NO_KERNEL)
    summary, *rest = _wrap(relation.statement, "")
    body = (*(("    " + line) for line in rest), *_docstring_body(lines))
    return RelationModel(relation.name, summary, body, confirmations)


def _docstring_body(lines: list[str]) -> tuple[str, ...]:
    """The docstring after its summary: a blank line, then each line wrapped with a hanging indent."""
    body = [""]
    for line in lines:
        body.extend(("    " + piece).rstrip() for piece in _wrap(line, "    "))
    return tuple(body)


def _wrap(text: str, hanging: str) -> list[str]:
    escaped = text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    return textwrap.wrap(escaped, DOCSTRING_WIDTH, subsequent_indent=hanging, break_long_words=False) or [""]


def print_assignments(assignments: Iterable[Assignment]) -> list[str]:
    return [f"{sympy.sstr(lhs)} ← {sympy.sstr(rhs)}" for lhs, rhs in assignments]


def describe(relation: Relation, registry: Registry) -> list[str]:
    """What the generated test proves, in lines of text (the test's docstring after the statement)."""
    if isinstance(relation, Equivalence):
        return _describe_equivalence(relation, registry)
    if isinstance(relation, Unbiased):
        return _describe_unbiased(relation, registry)
    return _describe_invariance(relation, registry)


def _describe_equivalence(relation: Equivalence, registry: Registry) -> list[str]:
    lines = [f"Left:  {describe_side(relation.left, registry)}", f"Right: {describe_side(relation.right, registry)}"]
    if isinstance(relation.right, WrittenUpdate):
        lines += ["    " + line for line in print_assignments(relation.right.assignments)]
        if relation.right.initial:
            lines.append("    starting from " + print_substitution(relation.right.initial).replace("→", "="))
    pairs = ["w ↔ w", *(f"{sympy.sstr(s)} ↔ {sympy.sstr(e)}" for s, e in relation.state_map.items())]
    lines.append("Compared: " + ", ".join(pairs))
    steps = f"{relation.steps} symbolic steps from the declared initial state, gradients g_1 … g_{relation.steps}"
    if relation.holds:
        lines.append(f"Proof: after each of {steps}, every residual simplifies to exactly 0.")
    else:
        lines.append(f"Proof that it does not hold: an exact counterexample within {steps}.")
    return lines


def _describe_unbiased(relation: Unbiased, registry: Registry) -> list[str]:
    state, correction, expected = map(sympy.sstr, (relation.state, relation.correction, relation.expected))
    return [
        f"Update: {describe_side(relation.update, registry)}",
        f"Claim: with a constant gradient g, {state}_t / ({correction}) = {expected} for every t ≥ 1.",
        f"Proof: the closed form of {state}_t is derived from the spec's assignment with sympy.rsolve and checked "
        f"against 3 steps of the update; the ratio then simplifies to {expected}. The correction {correction} "
        "must appear in the spec's update.",
    ]


def _describe_invariance(relation: ScaleInvariance, registry: Registry) -> list[str]:
    lines = [f"Update: {describe_side(relation.update, registry)}"]
    scaled = f"every g_i → c·g_i (c > 0) leaves w unchanged after each of {relation.steps} symbolic steps"
    if relation.holds:
        conditions = print_substitution(relation.conditions) if relation.conditions else "none"
        return [
            *lines,
            f"Conditions: {conditions}",
            f"Proof: with the conditions, {scaled}: every residual simplifies to exactly 0.",
            "Necessity: without any one condition, an exact counterexample.",
        ]
    claim = f"Proof that it does not hold: an exact counterexample to the claim that {scaled}"
    if relation.for_all:
        names = ", ".join(sympy.sstr(s) for s in relation.for_all)
        return [*lines, f"{claim}, valid for every value of {names} in the domains."]
    return [*lines, f"{claim}."]


def describe_confirmation(relation: Relation, registry: Registry) -> list[str]:
    """What the generated numeric test runs, in lines of text."""
    steps = numeric_steps(relation)
    data = f"{steps} steps on {NUMERIC_SIZE} random float64 elements, hyperparameters drawn in their domains"
    if isinstance(relation, Equivalence):
        labelled = [("Left", relation.left), ("Right", relation.right)]
        lines = [f"{label}: {_how(resolve(side, registry))}." for label, side in labelled]
        if relation.holds:
            return [*lines, f"{data}; each compared quantity agrees."]
        own = "each kernel agrees with its own side evaluated by SymPy, so a wrong kernel cannot pass as the difference"
        return [*lines, f"{data}; some compared quantity differs, and {own}."]
    if isinstance(relation, Unbiased):
        lines = [f"Update: {_how(resolve(relation.update, registry))}, one constant gradient."]
        return [*lines, f"{data}; {relation.state}/({relation.correction}) must equal {relation.expected}."]
    (side,) = sides(relation)
    lines = [f"Update: {_how(resolve(side, registry))}, run with g and with c·g, c drawn in [2, 10]."]
    if relation.holds:
        return [*lines, f"{data}; w - w_0 must not change, and must change without any one condition."]
    return [*lines, f"{data}; w - w_0 must change."]


def _how(update: Update) -> str:
    if update.kernel is None:
        return f"{update.label}, evaluated by SymPy at {REFERENCE_DIGITS} digits"
    values = [f"{name} = {sympy.sstr(value)}" for name, value in update.kernel.arguments.items() if value.is_number]
    fixed = f" with {', '.join(values)}" if values else ""
    return f"generated kernel {update.kernel.variant} (optimizers/{update.kernel.module}.py){fixed}"
