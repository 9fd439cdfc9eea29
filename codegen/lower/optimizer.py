"""Stage 2 for optimizers: lower a spec to the variants the runtime can call.

A variant fixes every option (and the Keras base option ``weight_decay``) to
on or off. Switching an option off applies its substitution to the one
general update; state that nothing reads any more is then pruned, so a
variant carries exactly the state it needs (SGD without momentum keeps none).
Variants whose lowered updates coincide are merged.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import sympy
from sympy import Interval, oo

from codegen.language.common import Hyperparameter, Typical
from codegen.language.optimizer import OptimizerSpec, Option, State, eta, t, w
from codegen.language.optimizer import lambda_wd as weight_decay

w_decayed = sympy.Symbol("w_decayed")

WEIGHT_DECAY = Hyperparameter(
    weight_decay,
    "weight_decay",
    None,
    Interval(0, oo),
    "decoupled weight decay, applied before the step",
    typical=Typical(1e-3, 1e-1, log=True),
)
WEIGHT_DECAY_OPTION = Option(
    "weight_decay", when_off={weight_decay: 0}, kind="nonzero", description="decoupled weight decay"
)

Assignment = tuple[sympy.Symbol, sympy.Expr]


@dataclass(frozen=True)
class Variant:
    """One specialisation of a spec: what a single generated kernel computes."""

    spec: OptimizerSpec
    name: str
    enabled: tuple[str, ...]
    assignments: tuple[Assignment, ...]
    hyperparameters: tuple[Hyperparameter, ...]
    state: tuple[State, ...]

    @property
    def parameter_state(self) -> tuple[State, ...]:
        return tuple(s for s in self.state if s.scope == "parameter")

    @property
    def tensor_state(self) -> tuple[State, ...]:
        return tuple(s for s in self.state if s.scope == "tensor")

    @property
    def optimizer_state(self) -> tuple[State, ...]:
        return tuple(s for s in self.state if s.scope == "optimizer")

    @property
    def invariants(self) -> frozenset[sympy.Symbol]:
        """Symbols with one value per step for every element: they never vary in the loop."""
        return frozenset({t, *(h.symbol for h in self.hyperparameters), *(s.symbol for s in self.optimizer_state)})


@dataclass(frozen=True)
class Lowered:
    """All variants of a spec, and which variant each combination of switches selects."""

    spec: OptimizerSpec
    options: tuple[Option, ...]
    variants: tuple[Variant, ...]
    selection: tuple[tuple[tuple[bool, ...], str], ...]


def all_options(spec: OptimizerSpec) -> tuple[Option, ...]:
    """The spec's own options, then the base options every Keras optimizer has (none for other conventions)."""
    if spec.base_options == "none":
        return spec.options
    return (*spec.options, WEIGHT_DECAY_OPTION)


def with_weight_decay(spec: OptimizerSpec) -> tuple[tuple[Assignment, ...], tuple[Hyperparameter, ...]]:
    """The update with Keras's decoupled decay ``w ← w − λ·η·w`` before the spec's own step.

    A spec without the Keras base options is returned as it is: its convention's decay, if any, is in its update.
    """
    if spec.base_options == "none":
        return tuple(spec.update), tuple(spec.hyperparameters)
    decayed = []
    parameter_assigned = False
    for lhs, rhs in spec.update:
        if not parameter_assigned:
            rhs = sympy.sympify(rhs).xreplace({w: w_decayed})
        decayed.append((lhs, rhs))
        parameter_assigned |= lhs == w
    return ((w_decayed, w - weight_decay * eta * w), *decayed), (*spec.hyperparameters, WEIGHT_DECAY)


# Lowering takes ~50 ms, and a build asks for a spec's variants from several places (its own kernels, every relation
# that names it). Specs are unhashable (they hold dicts), so the memo is keyed by identity and keeps the spec alive,
# which keeps its id from being reused.
_LOWERED: dict[int, tuple[OptimizerSpec, Lowered]] = {}


def lower(spec: OptimizerSpec) -> Lowered:
    """Every variant of ``spec``; identical lowered updates share one variant. Lowered once per spec object."""
    if id(spec) not in _LOWERED:
        _LOWERED[id(spec)] = (spec, _lower(spec))
    return _LOWERED[id(spec)][1]


def _lower(spec: OptimizerSpec) -> Lowered:
    update, hyperparameters = with_weight_decay(spec)
    options = all_options(spec)
    variants: dict[tuple, Variant] = {}
    selection = []
    for switches in settings(spec, options):
        assignments = specialised(update, options, switches)
        outputs = {s.symbol for s in spec.state if s.output}
        assignments = prune(_inline_aliases(assignments), outputs)
        kept = {s.symbol for s in spec.state if _reads_old_value(s.symbol, assignments)} | outputs
        final = outcome(assignments)
        key = tuple(sorted((str(lhs), sympy.srepr(value)) for lhs, value in final.items() if lhs in {w, *kept}))
        if key not in variants:
            enabled = tuple(o.argument for o, on in zip(options, switches) if on)
            variants[key] = _make_variant(spec, enabled, assignments, hyperparameters)
        selection.append((switches, variants[key].name))
    ordered = tuple(variants.values())
    return Lowered(spec, options, ordered, tuple(selection))


def settings(spec: OptimizerSpec, options: tuple[Option, ...]) -> tuple[tuple[bool, ...], ...]:
    """Every setting of ``options`` (True: on) that no constraint of ``spec`` rules out, all off first."""
    return tuple(
        switches
        for switches in itertools.product((False, True), repeat=len(options))
        if _allowed(spec, options, switches)
    )


def specialised(
    update: tuple[Assignment, ...], options: tuple[Option, ...], switches: tuple[bool, ...]
) -> tuple[Assignment, ...]:
    """``update`` with the substitution of every option that ``switches`` turns off."""
    for option, on in zip(options, switches):
        if not on:
            update = option.switched_off(update)
    return update


def _allowed(spec: OptimizerSpec, options: tuple[Option, ...], switches: tuple[bool, ...]) -> bool:
    """False where a constraint rules the switches out (PyTorch's Nesterov without momentum): no kernel for it."""
    flags = {o.argument for o, on in zip(options, switches) if on and o.kind == "flag"}
    hyperparameters = {h.argument: h.symbol for h in spec.hyperparameters}
    fixed = {
        hyperparameters[o.argument]: o.off_value
        for o, on in zip(options, switches)
        if not on and o.kind != "flag" and o.argument in hyperparameters
    }
    return all(
        c.condition.subs(fixed) is not sympy.false for c in spec.constraints if c.when is None or c.when in flags
    )


def _make_variant(spec, enabled, assignments, hyperparameters) -> Variant:
    read = set().union(*(rhs.free_symbols for _, rhs in assignments))
    assigned = {lhs for lhs, _ in assignments}
    live_hyper = tuple(h for h in hyperparameters if h.symbol in read)
    live_state = tuple(
        s for s in spec.state if s.symbol in assigned and (s.output or _reads_old_value(s.symbol, assignments))
    )
    name = "_".join((spec.module_name, *enabled))
    return Variant(spec, name, enabled, assignments, live_hyper, live_state)


def _reads_old_value(symbol: sympy.Symbol, assignments: tuple[Assignment, ...]) -> bool:
    """Whether the value from the previous step is read: only then is it state to keep."""
    for lhs, rhs in assignments:
        if symbol in rhs.free_symbols:
            return True
        if lhs == symbol:
            return False
    return False


def _inline_aliases(assignments: tuple[Assignment, ...]) -> tuple[Assignment, ...]:
    """Read ``x = y`` copies and ``x = 0`` constants through, so ``m = g`` leaves no local.

    A copy of ``y`` stands for ``y`` only until ``y`` is assigned again.
    """
    result: list[Assignment] = []
    aliases: dict[sympy.Symbol, sympy.Expr] = {}
    for lhs, rhs in assignments:
        rhs = rhs.xreplace(aliases)
        aliases = {name: value for name, value in aliases.items() if value != lhs}
        if lhs != w and (rhs.is_Number or rhs.is_Symbol):
            aliases[lhs] = rhs
        result.append((lhs, rhs))
    return tuple(result)


def outcome(assignments: tuple[Assignment, ...]) -> dict[sympy.Symbol, sympy.Expr]:
    """What one step computes: each assigned symbol's final value in terms of the step's inputs."""
    values: dict[sympy.Symbol, sympy.Expr] = {}
    for lhs, rhs in assignments:
        values[lhs] = rhs.xreplace(values)
    return values


def prune(assignments: tuple[Assignment, ...], outputs: set[sympy.Symbol] = frozenset()) -> tuple[Assignment, ...]:
    """Drop assignments whose value can never reach the parameter or an output sequence (``State.output``)."""
    live = live_symbols(assignments, outputs)
    return tuple((lhs, rhs) for lhs, rhs in assignments if lhs in live)


def live_symbols(assignments: tuple[Assignment, ...], outputs: set[sympy.Symbol] = frozenset()) -> set[sympy.Symbol]:
    """The symbols whose value can reach the parameter or an output sequence.

    State is live if a live assignment reads it (this step or, through its old
    value, the next). Starting from the parameter and the outputs, grow the
    live set to a fixed point; everything else is dead, state included.
    """
    live = {w, *outputs}
    changed = True
    while changed:
        changed = False
        for lhs, rhs in assignments:
            if lhs in live:
                new = rhs.free_symbols - live
                if new:
                    live |= new
                    changed = True
    return live
