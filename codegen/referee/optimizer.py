"""``trainspec verify``: run a spec and an implementation on the same random problem and say where they part.

Both sides start from the same parameters, get the same stream of gradients
(independent of the parameters, so a difference is the optimizer's alone) and
the same hyperparameters, drawn at random from their typical ranges
(``typical_range``: where the spec declares the method is used, and ε large
enough that where it sits shows). The spec side is trainspec's generated
class (checked against the 50-digit reference by the test suite).
Per step the referee records the largest relative error, normwise against the
displacement so far: max|w_impl − w_spec| / max|w_spec − w_0| (or against a
floor of a few roundings of |w| per step, where the displacement is smaller:
``relative_errors``). The first step where it exceeds the tolerance is the
divergence. Then it looks for what the
implementation computes instead: every other registered convention of the
same method, and every one-line slip of the spec's own algorithm (``slips``:
ε moved across a root, one moment's bias correction dropped or a step off,
β ↔ 1 − β in one state, a root dropped or added, a state started at 0, the
step shifted, a factor dropped), each named with the line it changes.

One run covers the spec's variants (``variants``, ``run_coverage``): each flag
switched, each momentum-like hyperparameter at the value that switches its
feature off, Keras's weight decay and clipping, and a learning rate that
follows a schedule, the one thing that tells apart conventions equal at a
constant rate (Keras's and PyTorch's SGD momentum).
"""

from __future__ import annotations

import argparse
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import ModuleType

import numpy as np
import sympy

import trainspec
from codegen.language.common import Hyperparameter, typical_range
from codegen.language.optimizer import OptimizerSpec, eta, g, starts_as_parameter, t, w
from codegen.language.schedule import ScheduleSpec
from codegen.load import Registry
from codegen.lower.optimizer import Variant as LoweredVariant
from codegen.lower.optimizer import lower
from codegen.lower.relations import select_variant
from codegen.referee import coverage
from codegen.referee import optimizer_adapters as external
from codegen.referee import schedule as schedules
from codegen.referee.coverage import DEFAULTS, Coverage, Skipped, Variant
from codegen.referee.slips import decay_rates, slips
from codegen.referee.verdict import Candidate, Verdict
from trainspec.runtime.optimizer import clipped as keras_clipped

SHAPES = ((7,), (3, 4))


def tolerance(dtype: np.dtype) -> float:
    """√(machine epsilon): two correct evaluations of one formula agree to ~1e-13 relative in float64 after 300
    steps (measured against torch and Keras), while a different convention at these hyperparameters differs by
    1e-6 or more; the square root sits between them with a margin of ~1000 on each side."""
    return math.sqrt(float(np.finfo(dtype).eps))


def verify(
    registry: Registry,
    spec_name: str,
    against: str,
    *,
    steps: int = 300,
    seed: int = 0,
    dtype: str = "float64",
    given: Mapping[str, float | bool] | None = None,
    variant: Variant | None = None,
    schedule: str | None = None,
    package: ModuleType = trainspec,
) -> Verdict:
    """Referee ``against`` on ``spec_name``'s random problem; see the module docstring. ``given`` pins arguments
    and flags by name, ``variant`` (one of ``variants``) sets what its run covers, and ``schedule`` (``SPEC`` or
    ``SPEC:name=value,...``) is the schedule a variant with a scheduled learning rate follows. The spec side is
    the class ``package`` (a generated package) built for it."""
    spec = _optimizer(registry, spec_name)
    variant = variant or Variant(DEFAULTS)
    implementation = external.implementation(against, spec, registry)
    rng = np.random.default_rng(seed)
    arguments = draw(
        spec, rng, implementation.accepts, {**(given or {}), **variant.settings}, implementation.requires, variant.drawn
    )
    start, gradients = problem(rng, steps, np.dtype(dtype))
    schedule = schedule or DEFAULT_SCHEDULE
    rates = learning_rates(registry, schedule, steps, seed, package) if variant.schedule else None
    actual = trajectory(implementation.make(dict(arguments), rates), start, gradients)
    own, rounding = implementation.rounded(arguments) if implementation.rounded else (arguments, "")
    expected = spec_trajectory(package, spec.name, own, start, gradients, rates)
    errors = relative_errors(actual, expected, np.dtype(dtype))
    limit = tolerance(np.dtype(dtype))
    diverged = np.nonzero(~(errors <= limit))[0]
    first = int(diverged[0]) + 1 if diverged.size else None
    matches = []
    if first is not None:
        problem_ = Problem(start, gradients, rates)
        for candidate in candidates(registry, package, spec, own, problem_):
            error = float(np.max(relative_errors(actual, candidate.run(), np.dtype(dtype))))
            if error <= limit:
                matches.append((candidate.label, candidate.explanation, error))
    notes = [*implementation.notes, *([rounding] if rounding else [])]
    if rates is not None:
        notes.append(f"learning rate: {schedule} at steps 0 .. {steps - 1}, rounded to float32")
    if first is not None and np.array_equal(actual, np.broadcast_to(actual[0], actual.shape)):
        notes.append(f"the parameters never changed: {against} must update the arrays it is given in place")
    return Verdict(spec.name, against, steps, limit, arguments, errors, first, matches, notes=tuple(notes))


def _optimizer(registry: Registry, name: str) -> OptimizerSpec:
    spec = registry.get(name)
    if not isinstance(spec, OptimizerSpec):
        raise ValueError(f"{name} is not an optimizer spec")
    return spec


# ----------------------------------------------------------------------------- the variants


DEFAULT_SCHEDULE = "CosineDecay"
"""The schedule the learning rate follows in the scheduled variant, its arguments drawn for the run."""


def variants(
    spec: OptimizerSpec, implementation: external.Implementation, pinned: Mapping[str, object], dtype: str
) -> tuple[list[Variant], list[Skipped]]:
    """The runs that cover ``spec`` against ``implementation``, and those it cannot take, with the reason: every
    option at its default; each flag switched; each momentum-like hyperparameter at the value that switches its
    feature off (it is drawn inside its domain otherwise); Keras's weight decay and each of its clippings where the
    convention has them; a scheduled learning rate. Nothing that ``pinned`` fixes is varied."""
    takes = implementation.takes
    found, skipped = [Variant(DEFAULTS)], []
    drawn = external.scalar_arguments(spec)
    for option in lower(spec).options:
        name = option.argument
        if option.kind == "flag" and takes(name):
            found.append(Variant(name if not option.default else f"{name}=False", {name: not option.default}))
        elif option.kind != "flag" and name in drawn and takes(name):
            found.append(Variant(f"{name}={option.off_value:g}", {name: option.off_value}))
        elif name in external.BASE_OPTIONS and spec.base_options == "keras":
            found.append(Variant(name, drawn=(name,)))
    found += _decay_rates_at_zero(spec, {name for variant in found for name in variant.settings}, takes)
    if spec.base_options == "keras":
        found += [Variant(name, drawn=(name,)) for name in external.CLIPPING]
    if takes("learning_rate") and "learning_rate" not in pinned:
        found.append(Variant("schedule", schedule=True))
    kept = []
    for variant in coverage.unpinned(found, pinned):
        why = _not_taken(variant, spec, implementation, pinned, dtype)
        (skipped.append(Skipped(variant.label, why)) if why else kept.append(variant))
    return kept, skipped


def _decay_rate_arguments(spec: OptimizerSpec) -> list[str]:
    """The arguments of the spec's decay rates (β₁, β₂, ρ: a moving average's rate) whose domain holds 0."""
    arguments = {h.symbol: h for h in spec.hyperparameters}
    rates = [arguments[symbol] for symbol in decay_rates(select_variant(spec, {})) if symbol in arguments]
    return [h.argument for h in rates if h.domain.contains(sympy.Integer(0)) == sympy.true]


def _decay_rates_at_zero(spec: OptimizerSpec, varied: set[str], takes: Callable[[str], bool]) -> list[Variant]:
    """A variant per decay rate whose domain holds 0, at 0: the average is then the latest value alone, a case a
    typical draw never reaches (Keras's momentum 0 is an option of its own)."""
    names = [name for name in _decay_rate_arguments(spec) if name not in varied and takes(name)]
    return [Variant(f"{name}=0", {name: 0.0}) for name in names]


def _not_taken(
    variant: Variant,
    spec: OptimizerSpec,
    implementation: external.Implementation,
    pinned: Mapping[str, object],
    dtype: str,
) -> str:
    """Why ``implementation`` cannot run ``variant`` (empty when it can)."""
    if variant.schedule and not reads_the_rate_each_step(spec):
        return "the learning rate only sets where the step sizes start: a schedule changes nothing after step 1"
    for name in variant.drawn:
        if name not in implementation.base_options:
            return f"{implementation.label} has no Keras base option {name}"
        if dtype == "float64" and name in implementation.float32_inside:
            return f"{implementation.float32_inside[name]} (run --dtype float32 to cover it)"
    at_zero = [name for name, value in variant.settings.items() if value == 0]
    if dtype == "float32" and set(at_zero) & set(_decay_rate_arguments(spec)):
        return (
            "at a decay rate of 0 the moving average m + (1 - β)(g - m) cancels in float32 (v + (g² - v) with v ≫ "
            "g²), and implementations that round it differently part beyond rounding (run --dtype float64)"
        )
    decays = pinned.get("weight_decay", spec.weight_decay_default) not in (None, 0)
    if variant.schedule and decays and implementation.rounded is not None:
        return (
            f"{implementation.label} rounds its decay factor 1 - weight_decay * learning_rate to float32, a rounding "
            "that no constant weight_decay reproduces once the rate changes (weight_decay=0 with --arg covers it)"
        )
    return ""


def reads_the_rate_each_step(spec: OptimizerSpec) -> bool:
    """Whether a step reads the learning rate (Rprop's reads it only as the step sizes' start, and Keras's base
    decay, where the convention has it, reads it at every step)."""
    return spec.base_options == "keras" or any(eta in sympy.sympify(rhs).free_symbols for _, rhs in spec.update)


def run_coverage(
    registry: Registry,
    spec_name: str,
    against: str,
    *,
    steps: int = 300,
    seed: int = 0,
    dtype: str = "float64",
    given: Mapping[str, float | bool] | None = None,
    schedule: str | None = None,
    chosen: Sequence[str] = (),
    command: str = "",
    package: ModuleType = trainspec,
) -> Coverage:
    """Every variant of ``spec_name`` against ``against`` (or those ``chosen`` names), one verdict each."""
    spec = _optimizer(registry, spec_name)
    given = dict(given or {})
    unknown = sorted(
        set(given) - set(external.scalar_arguments(spec)) - set(external.flags(spec)) - set(external.BASE_OPTIONS)
    )
    if unknown:
        names = ", ".join([*external.scalar_arguments(spec), *external.flags(spec)])
        raise ValueError(f"{spec.name} has no argument or flag {unknown[0]!r}; it has: {names}")
    implementation = external.implementation(against, spec, registry)
    found, skipped = variants(spec, implementation, given, dtype)
    runs = coverage.run(
        coverage.selected(found, chosen),
        lambda variant: verify(
            registry,
            spec_name,
            against,
            steps=steps,
            seed=seed,
            dtype=dtype,
            given=given,
            variant=variant,
            schedule=schedule,
            package=package,
        ),
    )
    return Coverage(command or f"trainspec verify {spec.name} --against {against}", runs, [] if chosen else skipped)


def learning_rates(registry: Registry, text: str, steps: int, seed: int, package: ModuleType) -> np.ndarray:
    """The learning rate at steps 0 .. steps - 1 from ``SPEC[:name=value,...]``: the schedule's arguments not given
    are drawn for a run of ``steps`` steps, and every rate is rounded to float32 (Keras holds it in float32)."""
    name, _, given = text.partition(":")
    try:
        spec = registry.get(name)
    except KeyError:
        spec = None
    if not isinstance(spec, ScheduleSpec):
        known = ", ".join(s.name for s in registry.schedules)
        raise ValueError(f"--schedule {text!r}: {name!r} is not a schedule spec; schedules: {known}")
    pinned = coverage.parsed_assignments(given.split(",")) if given else {}
    specs = {s.name: s for s in registry.schedules}
    arguments = schedules.draw(specs, spec, np.random.default_rng(seed), steps, pinned)
    return schedules.spec_rates(spec, arguments, steps, package).astype(np.float32).astype(np.float64)


# ----------------------------------------------------------------------------- the problem


def draw(
    spec: OptimizerSpec,
    rng: np.random.Generator,
    accepts: frozenset[str] | None,
    given: Mapping[str, float | bool],
    requires: Mapping[str, object] | None = None,
    base_options: Sequence[str] = (),
) -> dict[str, float | bool]:
    """Random hyperparameters by the spec's argument names, each drawn from its typical range as a float32 number
    (Keras keeps η in float32), and the ``base_options`` named likewise; every flag at its default; then the values
    ``given`` pins, those ``requires`` pins, and those the spec's constraints demand, set exactly.

    Only the arguments the implementation takes are drawn (``accepts``); the others keep their defaults.
    """
    chosen: dict[str, float | bool] = {}
    for argument, hyperparameter in external.scalar_arguments(spec).items():
        if accepts is None or argument in accepts:
            chosen[argument] = float(np.float32(typical_value(hyperparameter, rng)))
    for name in base_options:
        chosen[name] = float(np.float32(typical_value(external.BASE_OPTIONS[name], rng)))
    defaults = {option.argument: option.default for option in spec.options if option.kind == "flag"}
    flag_values = {name: bool(given.get(name, defaults.get(name, False))) for name in sorted(external.flags(spec))}
    chosen.update({name: value for name, value in given.items() if name not in flag_values})
    chosen.update(flag_values)
    drawn = {h.symbol: chosen[name] for name, h in external.scalar_arguments(spec).items() if name in chosen}
    for argument, value in (requires or {}).items():
        chosen[argument] = float(value.xreplace(drawn)) if isinstance(value, sympy.Basic) else value
    return meet_constraints(spec, chosen)


def typical_value(hyperparameter: Hyperparameter, rng: np.random.Generator) -> float:
    """A value drawn from the hyperparameter's typical range: log-uniform or uniform, as the range says."""
    return typical_point(hyperparameter, rng.random())


def typical_point(hyperparameter: Hyperparameter, fraction: float) -> float:
    """The point ``fraction`` of the way through the hyperparameter's typical range, on a log scale where the range
    is log-uniform."""
    typical = typical_range(hyperparameter)
    if typical.log:
        low, high = math.log(typical.low), math.log(typical.high)
        return math.exp(low + fraction * (high - low))
    return typical.low + fraction * (typical.high - typical.low)


def meet_constraints(spec: OptimizerSpec, chosen: dict[str, float | bool]) -> dict[str, float | bool]:
    """``chosen`` with every equality that a constraint in force demands set exactly (PyTorch's Nesterov momentum:
    no dampening). A constraint is in force when it names no flag, or its flag is on in ``chosen``."""
    arguments = {h.symbol: h.argument for h in spec.hyperparameters}
    for constraint in spec.constraints:
        if constraint.when is None or chosen.get(constraint.when):
            for equality in constraint.condition.atoms(sympy.Eq):
                symbol, value = sorted(equality.args, key=lambda side: not isinstance(side, sympy.Symbol))
                chosen[arguments[symbol]] = float(value)
    return chosen


def problem(rng: np.random.Generator, steps: int, dtype: np.dtype) -> tuple[list[np.ndarray], list[list[np.ndarray]]]:
    """Starting parameters N(0, 1), and gradients N(0, 1) times a per-coordinate scale over two decades."""
    start = [rng.standard_normal(shape).astype(dtype) for shape in SHAPES]
    scales = [10.0 ** rng.uniform(-1, 1, shape) for shape in SHAPES]
    gradients = [[(s * rng.standard_normal(s.shape)).astype(dtype) for s in scales] for _ in range(steps)]
    return start, gradients


def trajectory(step: external.Stepper, start: Sequence[np.ndarray], gradients) -> np.ndarray:
    """The flattened parameters after every step, shape (steps + 1, n)."""
    params = [p.copy() for p in start]
    rows = [np.concatenate([p.ravel() for p in params])]
    for index, grads in enumerate(gradients, start=1):
        step(params, [gr.copy() for gr in grads], index)
        rows.append(np.concatenate([p.ravel() for p in params]))
    return np.array(rows, dtype=np.float64)


ROUNDINGS_PER_STEP = 4
"""How many roundings of the parameter's own magnitude a step may differ by between two correct implementations in
one dtype. An update that recomputes the parameter from quantities of its size (schedule-free's interpolation
y = (1 − β)z + βx) differs by ulps of |w| whatever the step's length: float32 runs of Keras's ScheduleFreeAdamW
measured at most 1.2 roundings per step against the spec, at displacements (warmup's first steps) far below
|w|·√ε, where the displacement alone made them 'diverge' by 6e-4 to 1e-3."""


def relative_errors(actual: np.ndarray, expected: np.ndarray, dtype: type | np.dtype = np.float64) -> np.ndarray:
    """Per step: the largest |difference| over the largest displacement of the expected parameters so far, or, if
    larger, over the displacement at which the tolerance allows ``ROUNDINGS_PER_STEP`` roundings of the largest
    parameter per step so far (in float64 about 3e-8·|w| per step, far below any displacement a run makes)."""
    displacement = np.abs(expected - expected[0]).max(axis=1)
    magnitude = np.maximum.accumulate(np.abs(expected).max(axis=1))[1:]
    steps = np.arange(1, magnitude.size + 1)
    rounding = ROUNDINGS_PER_STEP * steps * magnitude * float(np.finfo(dtype).eps) / 2
    scale = np.maximum(np.maximum.accumulate(displacement)[1:], rounding / tolerance(dtype))
    difference = np.abs(actual - expected).max(axis=1)[1:]
    difference = np.where(np.isnan(difference), np.inf, difference)
    with np.errstate(invalid="ignore"):  # a slip's trajectory may run off to infinity: inf / inf is no match
        errors = difference / np.where(scale > 0, scale, np.finfo(np.float64).tiny)
    return np.where(np.isnan(errors), np.inf, errors)


# ----------------------------------------------------------------------------- the spec and its relatives


@dataclass(frozen=True)
class Problem:
    """What every side of one comparison runs on: the start, the gradients, and the learning rate per step (None:
    the drawn constant)."""

    start: list[np.ndarray]
    gradients: list[list[np.ndarray]]
    rates: np.ndarray | None = None


def spec_trajectory(
    package: ModuleType, name: str, arguments: Mapping, start, gradients, rates: np.ndarray | None = None
) -> np.ndarray:
    """The trajectory of the generated class ``name`` built with ``arguments`` (its own argument names); with
    ``rates``, its learning rate follows them (a schedule of the package that looks them up)."""
    if rates is not None:
        arguments = {**arguments, "learning_rate": tabulated(package, rates)}
    optimizer = package.OPTIMIZERS[name](**arguments)

    def step(params, grads, _t):
        optimizer.apply(grads, params)

    return trajectory(step, start, gradients)


def tabulated(package: ModuleType, rates: np.ndarray):
    """A schedule of ``package`` that returns ``rates[step]``: the run's learning rates as the spec side reads them."""

    class Tabulated(package.schedules.Schedule):
        """The referee's learning rates, step by step."""

        def __call__(self, step: int) -> float:
            return float(rates[step])

        def get_config(self) -> dict:
            return {}

    return Tabulated()


def candidates(
    registry: Registry, package: ModuleType, spec: OptimizerSpec, arguments: Mapping, run: Problem
) -> list[Candidate]:
    """Other conventions of the same method, each with the values of the arguments it shares with the spec, then
    the spec with one classic slip each."""
    found = []
    for other in registry.optimizers:
        if other is spec or other.method_name != spec.method_name:
            continue
        shared = external.carried(arguments, spec, other, registry)
        if spec.base_options == other.base_options == "keras":  # Keras's own options carry over by name
            shared.update({name: arguments[name] for name in external.BASE_OPTIONS if name in arguments})
        found.append(
            Candidate(
                f"{other.convention} {other.name} ({other.module_name})",
                difference(spec, other),
                lambda other=other, shared=shared: spec_trajectory(
                    package, other.name, shared, run.start, run.gradients, run.rates
                ),
            )
        )
    variant = select_variant(spec, switches(spec, arguments))
    for slip in slips(variant):
        found.append(
            Candidate(
                f"{spec.name} with {slip.label}",
                f"the implementation computes {spec.name} with {slip.label}.",
                lambda slip=slip: interpret(spec, variant, arguments, run, slip.assignments, slip.initial),
            )
        )
    return found


def switches(spec: OptimizerSpec, arguments: Mapping) -> dict[str, bool]:
    """Which of the lowered spec's options ``arguments`` switch on: a flag by its value, a hyperparameter by
    differing from the value that switches its feature off."""
    found = {}
    for option in lower(spec).options:
        value = arguments.get(option.argument)
        if option.kind == "flag":
            found[option.argument] = bool(value) if value is not None else option.default
        else:
            found[option.argument] = value is not None and float(value) != option.off_value
    return found


def difference(spec: OptimizerSpec, other: OptimizerSpec) -> str:
    """What separates two conventions, from their derivation records and convention notes."""
    for child, parent in ((other, spec), (spec, other)):
        derivation = child.derived_from
        if derivation is not None and derivation.parent == parent.name:
            return f"{child.name} is {parent.name} with {derivation.text}: {derivation.note}"
    for note in spec.conventions:
        if note.library == other.convention:
            return f"{other.convention}: {_plain(note.note)}"
    return f"{other.name} is another convention of the same method ({other.convention})."


_GLYPHS = (
    (r"\hat\epsilon", "ε̂"),
    (r"\epsilon", "ε"),
    (r"\beta_2", "β2"),
    (r"\beta_1", "β1"),
    (r"\lambda", "λ"),
    (r"\eta", "η"),
    (r"\rho", "ρ"),
    (r"\alpha", "α"),
    (r"\kappa", "κ"),
    (r"\psi", "ψ"),
    (r"\mu", "μ"),
    (r"\to", "→"),
    (r"\max", "max"),
    (r"\texttt", ""),
    ("$", ""),
)


def _plain(latex: str) -> str:
    """LaTeX from a spec's notes as plain text for a terminal."""
    latex = re.sub(r"\\sqrt\{([^{}]*)\}", r"√(\1)", latex)
    for old, new in _GLYPHS:
        latex = latex.replace(old, new)
    return latex.replace("{", "").replace("}", "")


def interpret(
    spec: OptimizerSpec,
    variant: LoweredVariant,
    arguments: Mapping,
    run: Problem,
    assignments: Sequence[tuple[sympy.Symbol, sympy.Expr]] | None = None,
    initial: Mapping[sympy.Symbol, sympy.Expr] | None = None,
) -> np.ndarray:
    """``variant``'s update (or ``assignments`` in its place, and ``initial`` over its starting values) evaluated in
    float64 NumPy, tensor by tensor (a sum over the tensor is over each one's elements), with Keras's clipping where
    ``arguments`` ask for it and the learning rate of ``run.rates`` per step: a diagnosis, not a kernel."""
    hyperparameters = (*spec.hyperparameters, *variant.hyperparameters)
    values = {h.symbol: _value(arguments.get(h.argument), h) for h in hyperparameters}
    assignments = list(variant.assignments if assignments is None else assignments)
    inputs = sorted({w, g, t, *values, *(s.symbol for s in variant.state), *(lhs for lhs, _ in assignments)}, key=str)
    modules = [{"tensor_sum": np.sum}, "numpy"]
    functions = [(lhs, sympy.lambdify(inputs, rhs, modules)) for lhs, rhs in assignments]
    starts = {s.symbol: sympy.sympify(s.initial) for s in variant.state} | dict(initial or {})
    starting = {symbol: sympy.sympify(value).xreplace(values) for symbol, value in starts.items()}
    clipping = {name: arguments.get(name) for name in external.CLIPPING}
    tensors: list[dict] = []  # each tensor's state, from one step to the next

    def step(params, grads, index):
        if not tensors:
            tensors.extend({symbol: _starting(value, p) for symbol, value in starting.items()} for p in params)
        grads = keras_clipped(grads, **clipping)
        for p, grad, env in zip(params, grads, tensors):
            env.update(values)
            env.update({w: p.ravel().astype(np.float64), g: grad.ravel().astype(np.float64), t: np.float64(index)})
            if run.rates is not None:
                env[eta] = float(run.rates[index - 1])
            for lhs, function in functions:
                env[lhs] = function(*(env.get(symbol, 0.0) for symbol in inputs))
            p[...] = np.broadcast_to(env[w], (p.size,)).reshape(p.shape)

    with np.errstate(all="ignore"):  # a slip may divide by 0 (a bias correction a step late): it just matches nothing
        return trajectory(step, run.start, run.gradients)


def _starting(initial: sympy.Expr, param: np.ndarray) -> np.ndarray:
    """A state's elements before the first step: a copy of the parameter where it starts as one (``w``)."""
    if starts_as_parameter(initial):
        return param.ravel().astype(np.float64)
    return np.full(param.size, float(initial))


def _value(given: float | None, hyperparameter: Hyperparameter) -> float:
    """The value a run used: the one given (0 included), else the default; a base option left off (None) is 0."""
    if given is not None:
        return float(given)
    return float(hyperparameter.default or 0.0)


def verify_command(registry: Registry, arguments: argparse.Namespace, package: ModuleType) -> Coverage:
    """``trainspec verify`` for an optimizer, with the command line's arguments."""
    return run_coverage(
        registry,
        arguments.spec,
        arguments.against,
        steps=arguments.steps,
        seed=arguments.seed,
        dtype=arguments.dtype,
        given={**{name: True for name in arguments.flag}, **coverage.parsed_assignments(arguments.arg)},
        schedule=arguments.schedule,
        chosen=arguments.variant,
        command=arguments.command_line,
        package=package,
    )
