"""``trainspec verify`` for schedules: run a spec and an implementation over the same steps and say where they part.

Both sides get the same arguments, drawn at random (seeded) from each
argument's typical range, which the spec declares where the schedule does
something over the run (or which its domain gives): step counts are
fractions of the number of steps, so decays end, cycles repeat and warmups
finish inside it. A library's side is the counterpart the spec declares.
The spec side is trainspec's generated class in float64 (checked against the
exact reference by the test suite). Per step ``k`` (0-based) the referee
records the relative error normwise against the largest rate so far:
``|rate_impl(k) − rate_spec(k)| / max_{j ≤ k} |rate_spec(j)|`` (the absolute
difference while the spec's rate has been 0 at every step so far, as at the
start of a warmup from 0). The first step where it exceeds the tolerance is
the divergence. Then it looks for what the implementation computes instead:
the spec's other choices (the staircase dropped or added, another mode), the
registered specs derived from it or it from them, and the spec's expression
with one classic slip (the step shifted by one, a boundary step on the other
side, the warmup counted inside ``decay_steps``, ``alpha`` taken as an
absolute rate), each evaluated in float64 from the rewritten SymPy
expression.

Why normwise: a correct float32 evaluation of ``1 + cos(π k/D)`` next to the
end of a cosine decay to 0 is off by a float32 rounding of the cosine (~3e-8)
out of a value of ~(π/D)²/2, a relative error near 1e-3 *of that value* but
3e-8 of the rate the schedule started from; slips move the rate by a share of
that scale. Measured against the scale, a tolerance separates rounding from
formula for every schedule, as ``trainspec verify`` does for optimizers with
the displacement.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable, Mapping
from types import ModuleType
from typing import Any

import numpy as np
import sympy

import trainspec
from codegen.language.common import Hyperparameter, Typical, typical_range
from codegen.language.schedule import (
    Call,
    Element,
    ScheduleArgument,
    ScheduleSpec,
    k,
    list_typical_range,
)
from codegen.load import Registry
from codegen.lower.schedule import bind, log_ratio, variant_for
from codegen.printers.source import call_text
from codegen.referee import coverage
from codegen.referee import schedule_adapters as schedule_external
from codegen.referee.coverage import DEFAULTS, Coverage, Variant
from codegen.referee.verdict import Candidate, Verdict
from trainspec.runtime.schedule import floor_log

# A list argument is drawn with 1 .. MAX_LIST_LENGTH elements in its shortest list (boundaries).
MAX_LIST_LENGTH = 4

MEASURE = "relative error, normwise against the largest rate so far; absolute while that is 0"


def tolerance(dtype: np.dtype) -> float:
    """The largest normwise relative error of a correct implementation computing in ``dtype``.

    float64: √eps ≈ 1.5e-8, the optimizers' rule. Float64 implementations may be recursive (PyTorch's
    chainable schedulers multiply the previous rate by a factor each step), so their rounding grows with the
    run: measured ≤ 1e-14 over 300 steps and ≤ 6e-13 over 20 000, far below it.

    float32: 2^8 eps ≈ 3.1e-5. A float32 implementation evaluates a closed form once per step (Keras, Optax).
    The first-order float32 rounding bound of the spec's expression (``schedule_reference``'s float64 bound
    scaled by 2^29), normwise, reaches 40 eps over the drawn ranges for the schedules Keras has (at
    CosineDecayRestarts, whose cycle position k/D − Σ t^i cancels); 2^8 eps is 6 times that, and Keras
    measures ≤ 3 eps.

    Both sit far below what a slip changes. The smallest, the step shifted by one, moves a slow decay by about
    its slope: r/decay_steps ≥ 6.7e-4 of the scale for InverseTimeDecay (|ln r|/decay_steps for
    ExponentialDecay) at the drawn ranges over 300 steps; as decay_steps grows with the run, this shrinks like
    1/steps, and a float32 run of over ~6000 steps may no longer tell a slow decay from itself shifted.
    """
    precision = np.dtype(dtype)
    eps = float(np.finfo(precision).eps)
    return math.sqrt(eps) if precision == np.float64 else 2.0**8 * eps


def verify(
    registry: Registry,
    spec_name: str,
    against: str,
    *,
    steps: int = 300,
    seed: int = 0,
    dtype: str = "float64",
    given: Mapping[str, Any] | None = None,
    at_defaults: bool = False,
    package: ModuleType = trainspec,
) -> Verdict:
    """Referee ``against`` on ``spec_name`` over ``steps`` steps; ``given`` pins arguments instead of drawing them,
    and with ``at_defaults`` every choice not given takes its default and no argument is None (a variant run).

    ``package`` is the generated package whose schedule is the spec's side (the one built from ``registry``).
    """
    spec = registry.get(spec_name)
    if not isinstance(spec, ScheduleSpec):
        raise ValueError(f"{spec_name} is not a schedule spec")
    if steps < 1:
        raise ValueError(f"--steps must be at least 1, got {steps}")
    specs = {s.name: s for s in registry.schedules}
    implementation = schedule_external.implementation(against, spec, np.dtype(dtype), specs, package)
    drawn = draw(specs, spec, np.random.default_rng(seed), steps, given or {}, at_defaults=at_defaults)
    arguments = implementation.constrain(drawn)
    compared = min(steps, implementation.horizon(arguments) or steps)
    actual = implementation.rates(arguments, compared)
    errors = relative_errors(actual, spec_rates(spec, arguments, compared, package))
    limit = tolerance(np.dtype(dtype))
    diverged = np.nonzero(~(errors <= limit))[0]
    first = int(diverged[0]) if diverged.size else None
    matches = [] if first is None else _matches(specs, spec, arguments, actual, limit)
    notes = implementation.notes(arguments)
    if compared < steps:
        notes = (*notes, f"steps compared: 0 .. {compared - 1} of the {steps} asked for")
    shown = {name: _shown(value) for name, value in arguments.items()}
    return Verdict(
        spec.name,
        against,
        compared,
        limit,
        shown,
        errors,
        first,
        matches,
        measure=MEASURE,
        first_step=0,
        argument_label="arguments",
        notes=tuple(notes),
    )


def _matches(specs, spec: ScheduleSpec, arguments: Mapping, actual: np.ndarray, limit: float) -> list:
    """The candidates that ``actual`` follows within ``limit`` at every step: (label, explanation, error)."""
    found = []
    for candidate in candidates(specs, spec, arguments, actual.size):
        error = float(np.max(relative_errors(actual, candidate.run())))
        if error <= limit:
            found.append((candidate.label, candidate.explanation, error))
    return found


def _shown(value: Any) -> Any:
    """An argument as the report shows it: a schedule (or a list of them) as the call that builds it."""
    if isinstance(value, Call):
        return _Shown(call_text(value, {}, package=None))
    if isinstance(value, list) and value and all(isinstance(item, Call) for item in value):
        return _Shown("[" + ", ".join(call_text(item, {}, package=None) for item in value) + "]")
    return value


class _Shown(str):
    """A value printed as it reads (a following schedule), not quoted."""

    def __repr__(self) -> str:
        return str(self)


# ----------------------------------------------------------------------------- the arguments and the two sides


def draw(
    specs: Mapping[str, ScheduleSpec],
    spec: ScheduleSpec,
    rng: np.random.Generator,
    steps: int,
    given: Mapping,
    at_defaults: bool = False,
) -> dict[str, Any]:
    """Random arguments by the spec's names, from their typical ranges for a run of ``steps`` steps.

    Numbers are float32-exact (Keras keeps them in float32), step counts whole; choices and Nones drawn evenly
    (``at_defaults``: every choice at its default, and no None; ``given`` still pins either);
    the schedule that follows a warmup is the one in the spec's example, with the arguments the example gives
    drawn and the others at their defaults.
    """
    unknown = sorted(set(given) - {a.argument for a in spec.arguments} - {c.argument for c in spec.choices})
    if unknown:
        raise ValueError(f"{spec.name} has no argument {unknown[0]!r}")
    drawn: dict[str, Any] = {}
    for argument in spec.arguments:
        if isinstance(argument, ScheduleArgument):
            drawn[argument.argument] = _following(specs, spec, argument.argument, rng, steps)
        elif isinstance(argument, Hyperparameter):
            drawn[argument.argument] = draw_number(argument, rng, steps)
    if spec.length is not None:
        drawn.update(_lists(spec, rng, steps, _example_length(spec)))
    for rule in spec.when_none:
        if rng.random() < 0.5 and not at_defaults:
            drawn[rule.argument] = None
    for choice in spec.choices:
        case = int(rng.integers(len(choice.cases)))
        drawn[choice.argument] = choice.default if at_defaults else choice.cases[case].when
    drawn.update(given)
    return drawn


def draw_number(argument: Hyperparameter, rng: np.random.Generator, steps: int) -> float | int:
    """One value from the argument's typical range: a whole number for a step count or an integer domain."""
    typical = typical_range(argument)
    value = _uniform(typical, rng, steps)
    if typical.per_run:
        return max(1, round(value))  # at least one step
    if isinstance(argument.domain, sympy.Range):
        return max(int(argument.domain.inf), round(value))
    return float(np.float32(value))


def _uniform(typical: Typical, rng: np.random.Generator, steps: int) -> float:
    low, high = (typical.low * steps, typical.high * steps) if typical.per_run else (typical.low, typical.high)
    return math.exp(rng.uniform(math.log(low), math.log(high))) if typical.log else rng.uniform(low, high)


def _following(
    specs: Mapping[str, ScheduleSpec], spec: ScheduleSpec, name: str, rng: np.random.Generator, steps: int
) -> Call | list[Call]:
    """The schedule drawn for a schedule argument: the example's, its given arguments drawn anew (for a list, each
    of the example's)."""
    example = spec.example.arguments.get(name)
    if isinstance(example, list) and all(isinstance(item, Call) for item in example):
        return [_drawn_call(specs, item, rng, steps) for item in example]
    if not isinstance(example, Call):
        raise ValueError(f"{spec.name}'s example must give {name} as a Call: the schedule drawn to follow")
    return _drawn_call(specs, example, rng, steps)


def _drawn_call(specs: Mapping[str, ScheduleSpec], example: Call, rng: np.random.Generator, steps: int) -> Call:
    following = specs[example.schedule]
    unset = {a.argument: a.default for a in following.arguments if a.argument not in example.arguments}
    unset.update({c.argument: c.default for c in following.choices if c.argument not in example.arguments})
    return Call(following.name, draw(specs, following, rng, steps, unset))


def _example_length(spec: ScheduleSpec) -> int | None:
    """The length symbol's value in the example, where it gives a list of schedules (the drawn schedules are the
    example's, so their lists keep its length); None where the length is drawn."""
    for argument in spec.sized_arguments:
        if isinstance(argument, ScheduleArgument):
            offset = int(sympy.expand(argument.length - spec.length))
            return len(spec.example.arguments[argument.argument]) - offset
    return None


def _lists(spec: ScheduleSpec, rng: np.random.Generator, steps: int, count: int | None) -> dict[str, list]:
    """Lists of ``count`` elements, or of one drawn length: increasing steps are distinct and inside the run (the
    step after each too)."""
    if steps < 3:
        raise ValueError(f"{spec.name} needs --steps 3 or more, to place a boundary inside the run")
    if count is None:
        count = int(rng.integers(1, min(MAX_LIST_LENGTH, steps - 2) + 1))
    elif count > steps - 2:
        needed = f"--steps {count + 2} or more, to place its {count} boundaries inside the run"
        raise ValueError(f"{spec.name} needs {needed}")
    lists = {}
    for argument in spec.list_arguments:
        length = int(argument.length.subs(spec.length, count))
        typical = list_typical_range(argument)
        if argument.increasing and typical.per_run:
            inside = np.arange(max(1, math.ceil(typical.low * steps)), min(steps - 1, int(typical.high * steps) + 1))
            lists[argument.argument] = sorted(int(step) for step in rng.choice(inside, length, False))
        elif typical.per_run:
            lists[argument.argument] = [max(1, round(_uniform(typical, rng, steps))) for _ in range(length)]
        else:
            items = [float(np.float32(_uniform(typical, rng, steps))) for _ in range(length)]
            lists[argument.argument] = sorted(items) if argument.increasing else items
    return lists


def spec_rates(spec: ScheduleSpec, arguments: Mapping, steps: int, package: ModuleType = trainspec) -> np.ndarray:
    """The spec's rates at steps 0 .. steps - 1, computed by its generated class in ``package`` in float64."""
    return schedule_external.build(Call(spec.name, dict(arguments)), package).values(steps)


def relative_errors(actual: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """Per step: |difference| over the largest |expected| so far (the difference itself while that is 0)."""
    scale = np.maximum.accumulate(np.abs(expected))
    difference = np.abs(actual - expected)
    difference = np.where(np.isnan(difference), np.inf, difference)
    return np.where(scale > 0, difference / np.where(scale > 0, scale, 1.0), difference)


# ----------------------------------------------------------------------------- what else it may compute


def candidates(specs: Mapping[str, ScheduleSpec], spec: ScheduleSpec, arguments: Mapping, steps: int) -> list:
    """The spec's other choices, its derived relatives, then the spec with one classic slip each."""
    found = [*_other_choices(specs, spec, arguments, steps), *_relatives(specs, spec, arguments, steps)]
    bound = bind(specs, Call(spec.name, dict(arguments)))
    expression = bound.inlined()
    for label, explanation, rewrite in slips(spec, expression):
        rewritten = rewrite(expression)
        if rewritten != expression:
            found.append(
                Candidate(
                    f"{spec.name} with {label}",
                    explanation,
                    lambda e=rewritten: evaluate(e, bound.numbers, steps),
                )
            )
    if spec.then is not None or spec.join is not None:
        at_own_step = bind(specs, Call(spec.name, dict(arguments)), rebased=False)
        found.append(
            Candidate(
                f"{spec.name} with the schedules it runs not re-based (each at step k, not k − its first step)",
                "a schedule that takes over at a boundary starts where the step count is, not at its own step 0: "
                "it was handed the global step (as a Keras schedule gets optimizer.iterations) instead of the "
                "steps since it started.",
                lambda: evaluate(at_own_step.inlined(), at_own_step.numbers, steps),
            )
        )
    return found


def _other_choices(specs, spec: ScheduleSpec, arguments: Mapping, steps: int) -> list[Candidate]:
    found = []
    for choice in spec.choices:
        drawn = arguments[choice.argument]
        for case in choice.cases:
            if case.when == drawn and type(case.when) is type(drawn):
                continue
            other = {**arguments, choice.argument: case.when}
            if isinstance(drawn, bool):
                slip = f"the {choice.argument} {'dropped' if drawn else 'added'} ({choice.argument}={case.when!r})"
            else:
                slip = f"{choice.argument}={case.when!r} instead of {drawn!r}"
            changed = _changed_definitions(spec, {choice.argument: drawn}, {choice.argument: case.when})
            found.append(
                Candidate(
                    f"{spec.name} with {slip}",
                    f"{changed} ({choice.argument}: {choice.description}).",
                    lambda o=other: _bound_values(specs, Call(spec.name, o), steps),
                )
            )
    return found


def _changed_definitions(spec: ScheduleSpec, drawn: dict, other: dict) -> str:
    """The definitions two choices give differently, in the arguments' names: ``p = k/decay_steps, not ...``."""
    names = {a.symbol: sympy.Symbol(a.argument) for a in spec.scalar_arguments}
    mine = dict(variant_for(spec, drawn).definitions)
    theirs = dict(variant_for(spec, other).definitions)
    parts = [
        f"{symbol} = {sympy.sstr(theirs[symbol].xreplace(names))}, not {sympy.sstr(mine[symbol].xreplace(names))}"
        for symbol in mine
        if sympy.sympify(mine[symbol]) != sympy.sympify(theirs[symbol])
    ]
    return "; ".join(parts) or "the same definitions, another value"


def _relatives(specs, spec: ScheduleSpec, arguments: Mapping, steps: int) -> list[Candidate]:
    """Registered specs derived from this one (or it from them): the other formula with the same arguments."""
    found = []
    for other in specs.values():
        for child, parent in ((spec, other), (other, spec)):
            derivation = child.derived_from
            if other is spec or derivation is None or derivation.parent != parent.name:
                continue
            names = {a.argument for a in other.arguments} | {c.argument for c in other.choices}
            call = Call(other.name, {name: value for name, value in arguments.items() if name in names})
            found.append(
                Candidate(
                    f"{other.name} with the same arguments",
                    f"{child.name} is {parent.name} with {derivation.note}: the implementation computes "
                    f"{other.name}'s formula with {spec.name}'s arguments.",
                    lambda c=call: _bound_values(specs, c, steps),
                )
            )
    return found


# ----------------------------------------------------------------------------- classic slips


Rewrite = Callable[[sympy.Expr], sympy.Expr]


def slips(spec: ScheduleSpec, expression: sympy.Expr) -> list[tuple[str, str, Rewrite]]:
    """Rewrites of the schedule's expression that model the usual mistakes (the caller keeps those that change it)."""
    found: list[tuple[str, str, Rewrite]] = [
        (
            "the step shifted by one (k → k + 1)",
            "step k gets the rate of step k + 1: the scheduler was stepped before the optimizer "
            "(in PyTorch, scheduler.step() before optimizer.step()), or the 1-based update count t = k + 1 was "
            "passed where the schedule takes the 0-based step.",
            lambda e: e.xreplace({k: k + 1}),
        ),
        (
            "the step shifted back by one (k → k − 1)",
            "step k gets the rate of step k − 1: the 0-based step was taken as 1-based and one subtracted, or "
            "the rate was read one step late.",
            lambda e: e.xreplace({k: k - 1}),
        ),
        (
            "boundary steps on the other side (< ↔ ≤ where the step is compared)",
            "a step that lands exactly on a boundary is counted on its other side: e.g. Optax's "
            "piecewise_constant_schedule switches at k ≥ boundary, Keras's PiecewiseConstantDecay at k > boundary.",
            _flip_step_comparisons,
        ),
    ]
    if expression.has(sympy.floor):
        found.append(
            (
                "floor taken as round (⌊x⌋ → ⌊x + 1/2⌋)",
                "a step count divided and rounded to the nearest whole number where the schedule rounds down.",
                lambda e: e.replace(sympy.floor, lambda x: sympy.floor(x + sympy.Rational(1, 2))),
            )
        )
    for argument in spec.scalar_arguments:
        if typical_range(argument).per_run and argument.symbol in expression.free_symbols:
            name = argument.argument
            found.append(
                (
                    f"dividing by {name} − 1 instead of {name}",
                    f"the step count {name} off by one where the schedule divides by it: e.g. a warmup whose ramp "
                    f"divides by {name} − 1 so that its last step reaches the target.",
                    lambda e, n=argument.symbol: _divisor_shifted(e, n),
                )
            )
    symbols = {a.argument: a.symbol for a in spec.scalar_arguments}
    decay, warmup = symbols.get("decay_steps"), symbols.get("warmup_steps")
    if decay is not None and warmup in expression.free_symbols:
        found.append(
            (
                "the warmup counted inside decay_steps (decay_steps → decay_steps − warmup_steps)",
                "the decay ends decay_steps steps after step 0, not after the warmup: Optax's "
                "warmup_cosine_decay_schedule convention (its decay_steps is the total length, warmup included).",
                lambda e: e.xreplace({decay: decay - warmup}),
            )
        )
    alpha = symbols.get("alpha")
    if alpha is not None:
        # alpha is a fraction of the rate the decay starts from: the warmup's target if there is one, else the
        # initial rate (the None rule has already put initial_learning_rate in the target's place).
        start = next(
            (
                symbols[n]
                for n in ("warmup_target", "initial_learning_rate")
                if symbols.get(n) in expression.free_symbols
            ),
            None,
        )
        if start is not None:
            found.append(
                (
                    "alpha applied as an absolute rate (alpha → alpha / the decay's start rate)",
                    "the floor is alpha itself, as PyTorch's eta_min, not alpha times the rate the decay starts from.",
                    lambda e, s=start: e.xreplace({alpha: alpha / s}),
                )
            )
    return found


def _divisor_shifted(expression: sympy.Expr, count: sympy.Symbol) -> sympy.Expr:
    """Every division by ``count`` made a division by ``count − 1``; ``count`` elsewhere (a boundary) left as it is."""
    return expression.replace(
        lambda node: isinstance(node, sympy.Pow) and node.base == count and node.exp.is_negative,
        lambda node: (count - 1) ** node.exp,
    )


def _flip_step_comparisons(expression: sympy.Expr) -> sympy.Expr:
    flipped = {
        sympy.StrictLessThan: sympy.LessThan,
        sympy.LessThan: sympy.StrictLessThan,
        sympy.StrictGreaterThan: sympy.GreaterThan,
        sympy.GreaterThan: sympy.StrictGreaterThan,
    }

    def flip(relation):
        return flipped[type(relation)](*relation.args, evaluate=False)

    return expression.replace(lambda e: type(e) in flipped and k in e.free_symbols, flip)


# ----------------------------------------------------------------------------- float64 evaluation


class FloorLog(sympy.Function):
    """``floor(log(x)/log(b))``, evaluated exactly by the runtime's ``floor_log`` (a rounded quotient of two
    logarithms can land below an exact restart)."""


def _floor_log(x: float, base: float) -> int:
    if x < 1 or base <= 1:
        return math.floor(math.log(x) / math.log(base))
    return int(floor_log(float(x), float(base)))


def _element(index: float, *items: float) -> float:
    return items[int(index)]


def evaluate(expression: sympy.Expr, numbers: Mapping, steps: int) -> np.ndarray:
    """``expression`` at steps 0 .. steps - 1 in float64 (a diagnosis, not a kernel): NaN where it is undefined."""

    def exact_floor_log(node):
        ratio = log_ratio(node.args[0])
        return FloorLog(*ratio) if ratio is not None else node

    expression = expression.replace(lambda e: isinstance(e, sympy.floor), exact_floor_log)
    symbols = sorted(numbers, key=str)
    namespace = {"Element": _element, "FloorLog": _floor_log, Element.__name__: _element}
    function = sympy.lambdify([k, *symbols], expression, modules=[namespace, "math"])
    values = [float(numbers[s]) for s in symbols]
    rates = np.empty(steps, dtype=np.float64)
    for step in range(steps):
        try:
            rates[step] = float(function(step, *values))
        except (ArithmeticError, ValueError, TypeError):
            rates[step] = math.nan
    return rates


def _bound_values(specs, call: Call, steps: int) -> np.ndarray:
    bound = bind(specs, call)
    return evaluate(bound.inlined(), bound.numbers, steps)


def variants(spec: ScheduleSpec, pinned: Mapping[str, Any]) -> list[Variant]:
    """The runs that cover ``spec``: every choice at its default and no argument None; each other case of each
    choice; each argument that may be None, None. Nothing that ``pinned`` fixes is varied."""
    found = [Variant(DEFAULTS)]
    for choice in spec.choices:
        found += coverage.other_options(choice.argument, (case.when for case in choice.cases), choice.default)
    found += [Variant(f"{rule.argument}=None", {rule.argument: None}) for rule in spec.when_none]
    return coverage.unpinned(found, pinned)


def verify_command(registry: Registry, arguments: argparse.Namespace, package: ModuleType) -> Coverage:
    """``trainspec verify`` for a schedule, with the command line's arguments: every variant, or those chosen."""
    coverage.refuse_optimizer_options(arguments, "a schedule")
    spec = registry.get(arguments.spec)
    given = coverage.parsed_assignments(arguments.arg)
    return coverage.run_command(
        arguments,
        variants(spec, given),
        (),
        lambda variant: verify(
            registry,
            arguments.spec,
            arguments.against,
            steps=arguments.steps,
            seed=arguments.seed,
            dtype=arguments.dtype,
            given={**given, **variant.settings},
            at_defaults=True,
            package=package,
        ),
    )
