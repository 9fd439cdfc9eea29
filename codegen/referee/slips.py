"""One-line slips of an optimizer's update, derived from its spec: what ``trainspec verify`` tries when a run fails.

Each slip changes one site of one assignment of the variant that ran (or one
state's starting value), the way a one-line bug in an implementation would:
ε moved into or out of a root; one moment's bias correction dropped or
counted a step off; β ↔ 1 − β in one state's average; a root dropped or
added; a state read from the wrong side of its update; a state started at 0;
the step count shifted by one in one line; one scalar factor dropped. A few
whole-update slips follow (every bias correction dropped, β ↔ 1 − β
everywhere), since an implementation that gets one convention wrong usually
gets it wrong in every line. Each slip is labelled with what changed and the
line it changed, as the algorithm numbers its lines.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import sympy

from codegen.language.optimizer import t
from codegen.lower.optimizer import Variant

Assignment = tuple[sympy.Symbol, sympy.Expr]
HALF = sympy.Rational(1, 2)


@dataclass(frozen=True)
class Slip:
    """The variant's assignments and starting values with one change, and what the change was."""

    label: str
    assignments: tuple[Assignment, ...]
    initial: dict[sympy.Symbol, sympy.Expr] = field(default_factory=dict)


def slips(variant: Variant) -> list[Slip]:
    """Every distinct single-site slip of ``variant``, then the whole-update ones; none equal to the variant."""
    assignments = tuple(variant.assignments)
    decays = decay_rates(variant)
    scalars = _scalars(variant)
    found: list[Slip] = []
    for index, (lhs, rhs) in enumerate(assignments):
        where = f"line {index + 1}: {lhs} ← {sympy.sstr(rhs)}"
        for form in _forms(variant, lhs, rhs, scalars):
            written = "" if form == rhs else f", written {sympy.sstr(form)}"
            for what, changed in _site_changes(variant, lhs, form, decays, scalars):
                if changed != form:
                    replaced = (*assignments[:index], (lhs, changed), *assignments[index + 1 :])
                    found.append(Slip(f"{what}, in {where}{written}", replaced))
    found += _read_order(variant, assignments)
    for state in variant.state:
        if sympy.sympify(state.initial) != 0:
            label = f"the {state.name} ({state.symbol}) starting at 0 instead of {state.initial}"
            found.append(Slip(label, assignments, {state.symbol: sympy.Integer(0)}))
    found += _whole_update(assignments, decays)
    return _distinct(found, assignments)


def decay_rates(variant: Variant) -> dict[sympy.Symbol, sympy.Symbol]:
    """Each decay rate (a hyperparameter in [0, 1] that some state's update weighs against 1 − itself: β, ρ), and
    the state whose moving average it sets."""
    states = {s.symbol for s in variant.state}
    found = {}
    for h in variant.hyperparameters:
        if not h.domain.is_subset(sympy.Interval(0, 1)):
            continue
        moment = next((lhs for lhs, rhs in variant.assignments if lhs in states and rhs.has(1 - h.symbol)), None)
        if moment is not None:
            found[h.symbol] = moment
    return found


def _forms(variant: Variant, lhs: sympy.Symbol, rhs: sympy.Expr, scalars: set[sympy.Symbol]) -> list[sympy.Expr]:
    """The assignment as written and, for a state's moving average, as β m + (1 − β) g: an implementation's line
    follows either, and a factor one drops differs between them."""
    if lhs not in {s.symbol for s in variant.state} or rhs.has(sympy.Piecewise, sympy.Max, sympy.Min):
        return [rhs]
    varying = sorted(rhs.free_symbols - scalars, key=str)
    collected = sympy.collect(sympy.expand(rhs), varying)
    return [rhs] if collected == rhs else [rhs, collected]


def _site_changes(
    variant: Variant,
    lhs: sympy.Symbol,
    rhs: sympy.Expr,
    decays: dict[sympy.Symbol, sympy.Symbol],
    scalars: set[sympy.Symbol],
) -> Iterator[tuple[str, sympy.Expr]]:
    """(what changed, the new right-hand side) for each one-site change of one assignment."""
    for h in variant.hyperparameters:
        name = sympy.sstr(h.symbol)
        yield f"{name} moved inside the root", move_inside(rhs, h.symbol)
        yield f"{name} moved outside the root", move_outside(rhs, h.symbol)
    for beta, moment in decays.items():
        if rhs.has(beta**t):
            yield f"the bias correction of {moment} dropped (1 − {beta}^t → 1)", rhs.xreplace({beta**t: 0})
            yield (
                f"the bias correction of {moment} a step late ({beta}^(t-1))",
                rhs.xreplace({beta**t: beta ** (t - 1)}),
            )
            yield (
                f"the bias correction of {moment} a step early ({beta}^(t+1))",
                rhs.xreplace({beta**t: beta ** (t + 1)}),
            )
        if lhs == moment:
            yield f"{beta} and 1 − {beta} swapped in {moment}'s update", rhs.xreplace({beta: 1 - beta})
    for root in _nodes(rhs, lambda n: isinstance(n, sympy.Pow) and abs(n.exp) == HALF):
        yield f"the root of {sympy.sstr(root.base)} dropped", rhs.xreplace({root: root.base ** sympy.sign(root.exp)})
    states = {s.symbol for s in variant.state}
    for divisor in _nodes(rhs, lambda n: isinstance(n, sympy.Pow) and n.exp == -1 and not n.base.has(sympy.sqrt)):
        for state in sorted(divisor.base.free_symbols & states, key=str):
            rooted = divisor.xreplace({state: sympy.sqrt(state)})
            yield f"a root taken of {state} in the divisor", rhs.xreplace({divisor: rooted})
    if rhs.has(t):
        yield "the step count one behind (t → t − 1)", rhs.xreplace({t: t - 1})
        yield "the step count one ahead (t → t + 1)", rhs.xreplace({t: t + 1})
    for product in _nodes(rhs, lambda n: isinstance(n, sympy.Mul) and not _negation(n)):
        for factor in product.args:
            if not factor.is_number and factor.free_symbols <= scalars:
                rest = sympy.Mul(*(f for f in product.args if f is not factor))
                yield f"the factor {sympy.sstr(factor)} dropped", rhs.xreplace({product: rest})


def _negation(product: sympy.Mul) -> bool:
    """−x: a sign, not a factor one drops."""
    return len(product.args) == 2 and sympy.S.NegativeOne in product.args


def _scalars(variant: Variant) -> set[sympy.Symbol]:
    """The symbols with one value per step: hyperparameters, t, and what is computed from them alone."""
    scalars = {t, *(h.symbol for h in variant.hyperparameters)}
    for lhs, rhs in variant.assignments:
        if rhs.free_symbols <= scalars:
            scalars.add(lhs)
    return scalars


def _read_order(variant: Variant, assignments: tuple[Assignment, ...]) -> list[Slip]:
    """One line reading a state's value from the wrong side of its update: the new value where the spec reads the
    old (an implementation that saved a reference, not a copy, before updating in place), or the old where it reads
    the new. The new value is read early only where nothing its update reads changes in between."""
    found = []
    for state in (s.symbol for s in variant.state):
        updated = next((j for j, (lhs, _) in enumerate(assignments) if lhs == state), None)
        if updated is None:
            continue
        update = assignments[updated][1]
        for index, (lhs, rhs) in enumerate(assignments):
            if index == updated or state not in rhs.free_symbols:
                continue
            where = f"in line {index + 1}: {lhs} ← {sympy.sstr(rhs)}"
            if index < updated:
                between = {assigned for assigned, _ in assignments[index:updated]}
                if not update.free_symbols & between:
                    changed = (lhs, rhs.xreplace({state: update}))
                    replaced = (*assignments[:index], changed, *assignments[index + 1 :])
                    found.append(Slip(f"{state} read after its update (line {updated + 1}), {where}", replaced))
            else:
                old = sympy.Symbol(f"{state}_before_update")
                kept = (*assignments[:updated], (old, state), *assignments[updated:index])
                replaced = (*kept, (lhs, rhs.xreplace({state: old})), *assignments[index + 1 :])
                found.append(Slip(f"{state} read before its update (line {updated + 1}), {where}", replaced))
    return found


def _whole_update(assignments: Sequence[Assignment], decays: dict[sympy.Symbol, sympy.Symbol]) -> list[Slip]:
    found = []
    if len(decays) > 1:
        dropped = {beta**t: 0 for beta in decays}
        label = "every bias correction dropped (1 − β^t → 1)"
        found.append(Slip(label, tuple((lhs, rhs.xreplace(dropped)) for lhs, rhs in assignments)))
    for beta in decays:
        swapped = tuple((lhs, rhs.xreplace({beta: 1 - beta})) for lhs, rhs in assignments)
        found.append(Slip(f"{beta} and 1 − {beta} swapped everywhere", swapped))
    return found


def _distinct(found: Sequence[Slip], assignments: tuple[Assignment, ...]) -> list[Slip]:
    """The slips that change something, each change once (the first label that makes it): lines compare expanded,
    so the same change made to the line as written and to its collected form counts once."""

    def identity(slip: Slip) -> tuple:
        lines = tuple(sympy.expand(rhs) for _, rhs in slip.assignments)
        return lines, tuple(sorted(slip.initial.items(), key=str))

    seen = {identity(Slip("", assignments))}
    kept = []
    for slip in found:
        if (made := identity(slip)) not in seen:
            seen.add(made)
            kept.append(slip)
    return kept


def _nodes(expression: sympy.Expr, test: Callable[[sympy.Basic], bool]) -> list[sympy.Basic]:
    """The distinct subexpressions passing ``test``, in a fixed order."""
    return sorted({node for node in sympy.preorder_traversal(expression) if test(node)}, key=sympy.default_sort_key)


def move_inside(expression: sympy.Expr, epsilon: sympy.Symbol) -> sympy.Expr:
    """√X + ε → √(X + ε)."""

    def rewrite(node):
        if isinstance(node, sympy.Add) and epsilon in node.args:
            roots = [a for a in node.args if isinstance(a, sympy.Pow) and a.exp == HALF]
            if roots:
                # Compared by value: once SymPy's cache has evicted a symbol, an equal one need not be the same object.
                rest = [a for a in node.args if a not in (epsilon, roots[0])]
                return sympy.Add(sympy.sqrt(roots[0].base + epsilon), *rest)
        return node

    return expression.replace(lambda n: isinstance(n, sympy.Add), rewrite)


def move_outside(expression: sympy.Expr, epsilon: sympy.Symbol) -> sympy.Expr:
    """√(X + ε) → √X + ε."""

    def rewrite(node):
        base = node.base
        if isinstance(base, sympy.Add) and epsilon in base.args:
            root = sympy.sqrt(sympy.Add(*(a for a in base.args if a != epsilon))) + epsilon
            return root if node.exp == HALF else 1 / root
        return node

    return expression.replace(lambda n: isinstance(n, sympy.Pow) and abs(n.exp) == HALF, rewrite)
