"""Every registered schedule's generated kernel against its spec, and the errors bad input gets.

The reference is the spec's own expression (``bind``) evaluated exactly
(``codegen.proofs.schedule_reference``): rational arithmetic where it can,
256 bits where it cannot. Tolerances, stated once:

- float64: within twice the first-order float64 rounding bound of the
  expression (each operation's rounding, carried to the result through its
  derivative; see schedule_reference). A schedule made only of exact
  operations (PiecewiseConstantDecay) gets 0: bit-exact.
- float32 (``values(..., dtype=np.float32)`` rounds the float64 result once):
  that tolerance plus one float32 ulp of the exact value.

The cases come from each spec: its example, the example with each other case
of each choice and each optional argument left None (or set, where the
example leaves it None), and arguments drawn from their typical ranges, once
with whole step counts and once with fractional ones where the domain allows
them. Steps: every step of the run, and far past it (to 3e9, past int32)
wherever the exact value is still a normal float.
"""

from __future__ import annotations

import json
import math
import re
import sys
from fractions import Fraction

import numpy as np
import pytest
import sympy
from helpers import SPECS_DIR, package, submodule_of

from codegen.language.common import Hyperparameter
from codegen.language.schedule import Call, ListArgument, ScheduleArgument, ScheduleSpec
from codegen.load import load_registry
from codegen.lower.schedule import bind
from codegen.proofs.schedule_reference import reference
from codegen.referee.schedule import draw, draw_number
from codegen.referee.schedule_adapters import build

REGISTRY = load_registry(SPECS_DIR)
SPECS = {spec.name: spec for spec in REGISTRY.schedules}
S = package().schedules
FAR = [10_000, 123_457, 1_000_003, 3_000_000_017]
DRAWN_STEPS = 150  # the run the drawn arguments are drawn for: decays end, cycles repeat inside it
SEEDS = (1, 2)
FRACTION = 0.3  # added to whole step counts where the domain takes reals: a non-dyadic fraction of a step


def _spec(name: str) -> ScheduleSpec:
    """The registered spec of that name; a test about one spec's behaviour is skipped where it is not registered."""
    if name not in SPECS:
        pytest.skip(f"{name} is not in the registry under test")
    return SPECS[name]


def _schedule(name: str, arguments: dict):
    return build(Call(name, arguments), package())


# ----------------------------------------------------------------------------- the cases, from each spec


def _variations(spec: ScheduleSpec) -> list[tuple[str, dict]]:
    """The example, then the example with one choice or one optional argument changed."""
    example = dict(spec.example.arguments)
    found = [("example", example)]
    for choice in spec.choices:
        chosen = example.get(choice.argument, choice.default)
        for case in choice.cases:
            if not (case.when == chosen and type(case.when) is type(chosen)):
                found.append((f"{choice.argument}={case.when}", {**example, choice.argument: case.when}))
    rng = np.random.default_rng(0)
    for rule in spec.when_none:
        if example.get(rule.argument) is None:
            argument = spec.argument(rule.argument)
            value = draw_number(argument, rng, spec.example.steps)
            found.append((f"{rule.argument}={value}", {**example, rule.argument: value}))
        else:
            found.append((f"{rule.argument}=None", {**example, rule.argument: None}))
    return found


def _fractional(spec: ScheduleSpec, arguments: dict) -> dict:
    """Whole step counts moved off the integers, where the spec takes reals (an Interval domain, a list)."""
    moved = dict(arguments)
    for argument in spec.arguments:
        value = arguments.get(argument.argument)
        if isinstance(argument, ListArgument) and argument.increasing and not argument.integer:
            moved[argument.argument] = [item + FRACTION for item in value]
        elif (
            isinstance(argument, Hyperparameter)
            and isinstance(argument.domain, sympy.Interval)
            and isinstance(value, int)
            and not isinstance(value, bool)
        ):
            moved[argument.argument] = value + FRACTION
    return moved


def _cases() -> list:
    cases = []
    for spec in REGISTRY.schedules:
        for label, arguments in _variations(spec):
            cases.append(pytest.param(spec.name, arguments, spec.example.steps, id=f"{spec.name}-{label}"))
        for seed in SEEDS:
            drawn = draw(SPECS, spec, np.random.default_rng(seed), DRAWN_STEPS, {})
            cases.append(pytest.param(spec.name, drawn, DRAWN_STEPS, id=f"{spec.name}-drawn{seed}"))
        fractional = _fractional(spec, draw(SPECS, spec, np.random.default_rng(SEEDS[0]), DRAWN_STEPS, {}))
        cases.append(pytest.param(spec.name, fractional, DRAWN_STEPS, id=f"{spec.name}-fractional"))
    return cases


CASES = _cases()


def _is_normal(value: float) -> bool:
    """Zero or a normal float64: a value the kernel can hold without underflow or overflow."""
    return value == 0 or sys.float_info.min <= abs(value) <= sys.float_info.max


def _references(name: str, arguments: dict, run: int) -> list[tuple[int, object]]:
    """(step, exact reference) at every step of the run and at the far steps where the value is a normal float."""
    bound = bind(SPECS, Call(name, arguments))
    found = []
    for step in [*range(run), *FAR]:
        ref = reference(bound.value, bound.numbers, step, bound.definitions)
        if step < run or _is_normal(float(ref.value)):
            found.append((step, ref))
    return found


@pytest.mark.parametrize(("name", "arguments", "run"), CASES)
def test_kernel_matches_spec_float64(name, arguments, run):
    references = _references(name, arguments, run)
    values = _schedule(name, arguments).values([step for step, _ in references])
    failures = [
        (step, value, float(ref.value), ref.error(value), 2 * ref.bound)
        for (step, ref), value in zip(references, values.tolist())
        if ref.error(value) > 2 * ref.bound
    ]
    assert not failures, failures[:5]


@pytest.mark.parametrize(("name", "arguments", "run"), CASES)
def test_kernel_matches_spec_float32(name, arguments, run):
    references = _references(name, arguments, run)
    values = _schedule(name, arguments).values([step for step, _ in references], dtype=np.float32)
    assert values.dtype == np.float32
    failures = []
    for (step, ref), value in zip(references, values.tolist()):
        ulp32 = float(np.spacing(np.float32(abs(float(ref.value)))))
        if ref.error(value) > 2 * ref.bound + ulp32:
            failures.append((step, value, float(ref.value)))
    assert not failures, failures[:5]


@pytest.mark.parametrize(("name", "arguments", "run"), CASES)
def test_one_step_equals_the_array_form(name, arguments, run):
    schedule = _schedule(name, arguments)
    steps = np.array([*range(min(run, 200)), *FAR], dtype=np.int64)
    values = schedule.values(steps)
    assert [schedule(int(step)) for step in steps] == values.tolist()


# ----------------------------------------------------------------------------- what every spec promises


def _examples(where=lambda spec: True) -> list:
    return [pytest.param(spec, id=spec.name) for spec in REGISTRY.schedules if where(spec)]


@pytest.mark.parametrize("spec", _examples(lambda spec: spec.then is not None))
def test_composition_hands_over_to_the_following_schedule_exactly(spec):
    """From the boundary on the following schedule runs from its step 0; the own formula ends on its first value."""
    arguments = dict(spec.example.arguments)
    boundary = next(a.argument for a in spec.scalar_arguments if a.symbol == spec.then.boundary)
    at = int(arguments[boundary])
    composed = _schedule(spec.name, arguments)
    following = build(arguments[spec.then.argument], package())
    assert composed.continued(at) == following(0)  # the own formula at its end, bit for bit
    assert composed.values(range(at, at + 50)).tolist() == following.values(50).tolist()


@pytest.mark.parametrize("spec", [pytest.param(s, id=s.name) for s in REGISTRY.schedules if s.join is not None])
def test_a_join_hands_over_to_each_schedule_exactly(spec):
    """From each boundary on the next schedule runs from its own step 0, bit for bit; before it, the earlier one."""
    arguments = dict(spec.example.arguments)
    joined = _schedule(spec.name, arguments)
    schedules = [build(call, package()) for call in arguments[spec.join.schedules]]
    starts = [0, *arguments[spec.join.boundaries]]
    for index, (schedule, start) in enumerate(zip(schedules, starts)):
        assert joined.values(range(start, start + 50)).tolist() == schedule.values(50).tolist()
        if index:
            earlier = starts[index - 1]
            assert joined.continued(start) == schedules[index - 1](start - earlier)  # the earlier one, taken on
            assert joined(start - 1) == schedules[index - 1](start - 1 - earlier)


@pytest.mark.parametrize("spec", _examples(lambda spec: spec.then is not None or spec.join is not None))
def test_a_composition_takes_steps_in_any_order(spec):
    """Steps in order are split between the parts by slices, others by masks: the same values either way."""
    composed = _schedule(spec.name, dict(spec.example.arguments))
    in_order = np.arange(2 * (spec.example.steps // 2 + 5))  # an even count: it is laid out as two rows below
    shuffled = np.random.default_rng(0).permutation(in_order)
    assert composed.values(shuffled).tolist() == composed.values(in_order)[shuffled].tolist()
    assert (
        composed.values(in_order[::-1].reshape(2, -1)).tolist()
        == composed.values(in_order)[::-1].reshape(2, -1).tolist()
    )


@pytest.mark.parametrize("spec", _examples(lambda spec: spec.join is not None))
def test_a_join_of_one_schedule_is_that_schedule(spec):
    """No boundaries, one schedule: every step is that schedule's, one at a time and in one call."""
    arguments = dict(spec.example.arguments)
    first = arguments[spec.join.schedules][0]
    joined = _schedule(spec.name, {**arguments, spec.join.schedules: [first], spec.join.boundaries: []})
    alone = build(first, package())
    assert joined.values(300).tolist() == alone.values(300).tolist()
    assert [joined(step) for step in (0, 7, 299)] == [alone(step) for step in (0, 7, 299)]


def _ignored_when_none(spec: ScheduleSpec) -> list[tuple[str, str]]:
    """(optional argument, an argument that its None rule replaces by another value)."""
    names = {a.symbol: a.argument for a in spec.scalar_arguments}
    return [
        (rule.argument, names[symbol])
        for rule in spec.when_none
        for symbol in rule.assign
        if names[symbol] != rule.argument
    ]


@pytest.mark.parametrize(
    ("spec", "optional", "ignored"),
    [
        pytest.param(spec, optional, ignored, id=f"{spec.name}-{optional}-{ignored}")
        for spec in REGISTRY.schedules
        for optional, ignored in _ignored_when_none(spec)
    ],
)
def test_an_argument_a_none_rule_replaces_is_ignored(spec, optional, ignored):
    """Keras's CosineDecay without warmup_target ignores warmup_steps: whatever the None rule replaces is unused."""
    arguments = {**spec.example.arguments, optional: None}
    steps = spec.example.steps
    plain = _schedule(spec.name, arguments).values(steps)
    other = draw_number(spec.argument(ignored), np.random.default_rng(3), steps)
    assert _schedule(spec.name, {**arguments, ignored: other}).values(steps).tolist() == plain.tolist()


@pytest.mark.parametrize("spec", _examples())
def test_values_accepts_arrays_and_counts(spec):
    schedule = _schedule(spec.name, dict(spec.example.arguments))
    assert schedule.values(3).tolist() == [schedule(0), schedule(1), schedule(2)]
    grid = schedule.values(np.array([[0, 1], [2, 3]]))
    assert grid.shape == (2, 2) and grid[1, 1] == schedule(3)
    assert schedule.values([]).shape == (0,)


@pytest.mark.parametrize("spec", _examples())
def test_config_round_trip_and_serialisation(spec):
    schedule = _schedule(spec.name, dict(spec.example.arguments))
    config = json.loads(json.dumps(S.serialize(schedule)))
    rebuilt = S.deserialize(config)
    assert rebuilt == schedule
    assert rebuilt.values(spec.example.steps).tolist() == schedule.values(spec.example.steps).tolist()
    assert type(schedule).from_config(schedule.get_config()).get_config() == schedule.get_config()


def test_deserialize_refuses_an_unknown_schedule():
    with pytest.raises(ValueError, match=r"unknown schedule 'Nope'"):
        S.deserialize({"class_name": "Nope", "config": {}})


def test_a_second_class_under_a_registered_name_is_refused():
    """Two classes of one name (the generated package imported twice, under two module names) must not replace each
    other in deserialize's table: the second is an error naming both; registering the same class again is fine."""
    spec = REGISTRY.schedules[0]
    registered = S.SCHEDULES[spec.name]
    twin = type(spec.name, (S.Schedule,), {"__module__": "elsewhere"})
    with pytest.raises(
        ValueError, match=rf"{spec.name} is registered already, from {registered.__module__}; elsewhere"
    ):
        S.register(twin)
    S.register(registered)
    schedule = _schedule(spec.name, dict(spec.example.arguments))
    assert type(S.deserialize(S.serialize(schedule))) is registered


def test_floor_log_is_exact_for_powers():
    floor_log = submodule_of("runtime.schedule").floor_log
    for base in (2.0, 3.0, 1.5, 10.0, 1.25):
        for exponent in range(0, 40):
            power = base**exponent
            if Fraction(power) != Fraction(base) ** exponent:
                break  # no longer representable: exactness is about the float x the kernel receives
            assert floor_log(power, base) == exponent
            if exponent:
                assert floor_log(math.nextafter(power, 0), base) == exponent - 1


# ----------------------------------------------------------------------------- one spec's behaviour on purpose


def test_tolerance_is_tight_enough_to_matter():
    """The stated tolerance is some ulps, not a loose bound: a value 64 ulps off is caught."""
    _spec("CosineDecay")
    bound = bind(SPECS, Call("CosineDecay", dict(initial_learning_rate=0.1, decay_steps=37.0, alpha=0.1)))
    for step in (0, 5, 18, 36):
        ref = reference(bound.value, bound.numbers, step, bound.definitions)
        value = float(ref.value)
        assert 2 * ref.bound < 64 * math.ulp(value)
        assert ref.error(value + 64 * math.ulp(value)) > 2 * ref.bound


def test_piecewise_constant_is_bit_exact_at_boundaries():
    _spec("PiecewiseConstantDecay")
    schedule = S.PiecewiseConstantDecay(boundaries=[10, 20], values=[0.3, 0.2, 0.1])
    # keras/src/optimizers/schedules/learning_rate_schedule.py: a boundary step still uses the earlier value.
    assert schedule.values([0, 10, 11, 20, 21, 10**9]).tolist() == [0.3, 0.3, 0.2, 0.2, 0.1, 0.1]


def test_restarts_land_on_exact_cycle_starts():
    """Cycle i starts at D0 (t^i - 1)/(t - 1); there the rate is the peak lr0 ((1 - alpha) m^i + alpha).

    With t_mul = 3 the float64 quotient log(x)/log(3) lands just below an
    integer at some of these starts, which would put them at the end of the
    previous cycle; the kernel's integer-safe floor_log does not.
    """
    _spec("CosineDecayRestarts")
    lr0, d0, t, m, alpha = 0.1, 10, 3, 0.5, 0.05
    schedule = S.CosineDecayRestarts(lr0, d0, t_mul=float(t), m_mul=m, alpha=alpha)
    naive_misplaced = 0
    for i in range(1, 25):
        start = d0 * (t**i - 1) // (t - 1)
        peak = lr0 * ((1 - alpha) * m**i + alpha)
        assert schedule(start) == pytest.approx(peak, rel=1e-14), i
        # One step earlier: the last step of cycle i - 1, one step short of its end.
        length = d0 * t ** (i - 1)
        end_of_previous = lr0 * (
            (1 - alpha) * m ** (i - 1) * (1 + math.cos(math.pi * (length - 1) / length)) / 2 + alpha
        )
        assert schedule(start - 1) == pytest.approx(end_of_previous, rel=1e-12), i
        naive = math.floor(math.log(1 - (start / d0) * (1 - t)) / math.log(t))
        naive_misplaced += naive != i
    assert naive_misplaced > 0, "the test should include starts where a float logarithm misplaces the restart"


# ----------------------------------------------------------------------------- bad input, from each spec's domains


def _bad_numbers(spec: ScheduleSpec, argument: Hyperparameter) -> list:
    """Values outside the argument's domain (its ends, a fraction of an integer domain, NaN) and non-numbers."""
    domain, name = argument.domain, argument.argument
    low, high = float(domain.inf), float(domain.sup)
    outside = [math.nan]
    if math.isfinite(low):
        outside.append(low - 0.5 if domain.contains(low) else low)
    if math.isfinite(high):
        outside.append(high + 0.5 if domain.contains(high) else high)
    if isinstance(domain, sympy.Range):
        outside.append(low + 0.5)
    found = [
        (name, value, ValueError, rf"{spec.name}: {name} must be .*, got {re.escape(repr(value))}$")
        for value in outside
    ]
    found += [(name, value, TypeError, rf"{spec.name}: {name} must be a number") for value in (True, "0.1")]
    return found


def _bad_lists(spec: ScheduleSpec, example: dict) -> list:
    found = []
    for argument in spec.list_arguments:
        name, items = argument.argument, list(example[argument.argument])
        found.append((name, items[0], TypeError, rf"{spec.name}: {name} must be a list of numbers"))
        found.append((name, [*items, items[-1] + 1], ValueError, r"must have len\(\w+\) \+ \d+ = \d+ elements, got"))
        found.append((name, [math.inf, *items[1:]], ValueError, rf"{name}\[0\] must be a finite number, got inf"))
        if argument.increasing and len(items) > 1:
            found.append((name, items[::-1], ValueError, rf"{name} must be strictly increasing"))
        if argument.integer:
            found.append((name, [items[0] + 0.5, *items[1:]], ValueError, rf"{name}\[0\] must be a whole number"))
    return found


def _bad_schedule_lists(spec: ScheduleSpec, argument: ScheduleArgument) -> list:
    """A list of schedules: not a list, an element that is no schedule, one schedule too many."""
    name, items = argument.argument, list(spec.example.arguments[argument.argument])
    return [
        (name, 0.1, TypeError, rf"{spec.name}: {name} must be a list of trainspec schedules"),
        (name, [0.1, *items[1:]], TypeError, rf"{spec.name}: {name}\[0\] must be a trainspec schedule, got float"),
        (name, [*items, items[-1]], ValueError, r"must have len\(\w+\) \+ \d+ = \d+ elements, got"),
    ]


def _bad_arguments(spec: ScheduleSpec) -> list:
    """(argument, bad value, error, message): the example with one argument made wrong."""
    found = []
    for argument in spec.arguments:
        if isinstance(argument, Hyperparameter):
            found += _bad_numbers(spec, argument)
        elif isinstance(argument, ScheduleArgument) and argument.length is not None:
            found += _bad_schedule_lists(spec, argument)
        elif isinstance(argument, ScheduleArgument):
            found.append((argument.argument, 0.1, TypeError, rf"{argument.argument} must be a trainspec schedule"))
    found += _bad_lists(spec, spec.example.arguments)
    for choice in spec.choices:
        found.append((choice.argument, "nope", ValueError, rf"{spec.name}: {choice.argument} must be one of"))
    return found


@pytest.mark.parametrize(
    ("spec", "name", "value", "error", "message"),
    [
        pytest.param(spec, name, value, error, message, id=f"{spec.name}-{name}={value!r}")
        for spec in REGISTRY.schedules
        for name, value, error, message in _bad_arguments(spec)
    ],
)
def test_bad_arguments_raise_clear_errors(spec, name, value, error, message):
    with pytest.raises(error, match=message):
        _schedule(spec.name, {**spec.example.arguments, name: value})


@pytest.mark.parametrize("spec", _examples())
@pytest.mark.parametrize("bad", [-1, -(2**40)])
def test_negative_step_is_refused_everywhere(spec, bad):
    schedule = _schedule(spec.name, dict(spec.example.arguments))
    with pytest.raises(ValueError, match=rf"step must be >= 0 \(the 0-based iteration\), got {bad}"):
        schedule(bad)
    with pytest.raises(ValueError, match=r"steps must be >= 0"):
        schedule.values([0, 5, bad])
    if schedule.kernel is not None:  # a join has no kernel of its own; each schedule it joins checks in its own
        with pytest.raises(ValueError, match=r"step must be >= 0"):
            schedule.kernel.scalar(bad, *schedule._kernel_arguments)  # the generated njit kernel checks too


@pytest.mark.parametrize("spec", _examples())
def test_non_integer_steps_are_refused(spec):
    schedule = _schedule(spec.name, dict(spec.example.arguments))
    assert schedule(3.0) == schedule(3)
    with pytest.raises(ValueError, match=r"step must be a whole number"):
        schedule(2.5)
    with pytest.raises(TypeError, match=r"step must be a non-negative integer"):
        schedule("3")
    with pytest.raises(ValueError, match=r"steps must be whole numbers"):
        schedule.values([0.0, 1.5])
