"""Every generated schedule kernel against its spec, and the errors bad input gets.

The reference is the spec's own expression (``bind``) evaluated exactly
(``codegen.verify.schedule_reference``): rational arithmetic where it can,
256 bits where it cannot. Tolerances, stated once:

- float64: within twice the first-order float64 rounding bound of the
  expression (each operation's rounding, carried to the result through its
  derivative; see schedule_reference). A schedule made only of exact
  operations (PiecewiseConstantDecay) gets 0: bit-exact.
- float32 (``values(..., dtype=np.float32)`` rounds the float64 result once):
  that tolerance plus one float32 ulp of the exact value.

Steps: every step over a few horizons, each boundary and its neighbours, and
far past the end (to 3e9, past int32) where the value stays a normal float.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest

import trainspec.schedules as S
from codegen.language.schedule import Call
from codegen.load import load_registry
from codegen.lower.schedule import bind
from codegen.proofs.schedule_reference import reference
from tests.helpers import SPECS_DIR

SPECS = {spec.name: spec for spec in load_registry(SPECS_DIR).schedules}
FAR = [10_000, 123_457, 1_000_003, 3_000_000_017]


def _steps(*ranges, far: bool = True) -> np.ndarray:
    steps = set()
    for r in ranges:
        steps.update(r)
    if far:
        steps.update(FAR)
    return np.array(sorted(steps), dtype=np.int64)


# (schedule, arguments, steps): each variant, integer and non-dyadic arguments, boundaries and far past the end.
CASES = [
    (
        "ExponentialDecay",
        dict(initial_learning_rate=0.1, decay_steps=7.0, decay_rate=0.3),
        _steps(range(300), far=False),
    ),
    (
        "ExponentialDecay",
        dict(initial_learning_rate=0.1, decay_steps=100, decay_rate=0.96, staircase=True),
        _steps(range(0, 2000, 7), [99, 100, 101, 199, 200, 201, 70_000]),
    ),
    (
        "ExponentialDecay",
        dict(initial_learning_rate=0.01, decay_steps=0.3, decay_rate=1.01),
        _steps(range(400), far=False),
    ),
    (
        "NaturalExpDecay",
        dict(initial_learning_rate=0.1, decay_steps=13.0, decay_rate=0.7),
        _steps(range(500), far=False),
    ),
    (
        "NaturalExpDecay",
        dict(initial_learning_rate=0.5, decay_steps=10, decay_rate=0.5, staircase=True),
        _steps(range(400), [9, 10, 11, 10_000]),
    ),
    ("InverseTimeDecay", dict(initial_learning_rate=0.1, decay_steps=7.0, decay_rate=0.3), _steps(range(300))),
    (
        "InverseTimeDecay",
        dict(initial_learning_rate=0.1, decay_steps=10, decay_rate=2.5, staircase=True),
        _steps(range(300)),
    ),
    (
        "PolynomialDecay",
        dict(initial_learning_rate=0.1, decay_steps=37.0, end_learning_rate=0.001, power=2.0),
        _steps(range(120)),
    ),
    (
        "PolynomialDecay",
        dict(initial_learning_rate=0.1, decay_steps=37.0, power=0.5, cycle=True),
        _steps(range(300), [36, 37, 38, 73, 74, 75]),
    ),
    ("PolynomialDecay", dict(initial_learning_rate=1.0, decay_steps=100), _steps(range(0, 250, 3), [99, 100, 101])),
    ("CosineDecay", dict(initial_learning_rate=0.1, decay_steps=37.0, alpha=0.1), _steps(range(120))),
    (
        "CosineDecay",
        dict(initial_learning_rate=0.01, decay_steps=37.0, warmup_target=0.3, warmup_steps=11),
        _steps(range(120)),
    ),
    (
        "CosineDecay",
        dict(initial_learning_rate=0.0, decay_steps=1000, alpha=0.05, warmup_target=0.1, warmup_steps=100),
        _steps(range(0, 1300, 11), [99, 100, 101, 1099, 1100, 1101]),
    ),
    ("CosineDecay", dict(initial_learning_rate=0.1, decay_steps=10, warmup_steps=5), _steps(range(40))),
    (
        "CosineDecayRestarts",
        dict(initial_learning_rate=0.1, first_decay_steps=10.0, t_mul=3.0, m_mul=0.5),
        _steps(range(200), [40, 130, 400, 1210, 3640, 10_930]),
    ),
    (
        "CosineDecayRestarts",
        dict(initial_learning_rate=0.1, first_decay_steps=20, t_mul=1.0, m_mul=0.9, alpha=0.1),
        _steps(range(300)),
    ),
    (
        "CosineDecayRestarts",
        dict(initial_learning_rate=0.1, first_decay_steps=8, t_mul=1.5, alpha=0.05),
        _steps(range(400)),
    ),
    (
        "CyclicLR",
        dict(base_lr=0.01, max_lr=0.1, step_size_up=7.0, step_size_down=3.0, mode="exp_range", gamma=0.99),
        _steps(range(400), far=False),
    ),
    ("CyclicLR", dict(base_lr=0.01, max_lr=0.1, step_size_up=7.0, mode="triangular2"), _steps(range(300))),
    ("CyclicLR", dict(base_lr=0.001, max_lr=0.006, step_size_up=2000), _steps(range(0, 12000, 13), [1999, 2000, 2001])),
    ("PiecewiseConstantDecay", dict(boundaries=[3, 10.5, 20], values=[0.1, 0.2, 0.3, 0.4]), _steps(range(40))),
    ("PiecewiseConstantDecay", dict(boundaries=[100000], values=[1.0, 0.5]), _steps([99999, 100000, 100001, 0])),
]
IDS = [f"{name}-{index}" for index, (name, _, _) in enumerate(CASES)]


def _math(name: str, arguments: dict):
    return bind(SPECS, Call(name, arguments))


@pytest.mark.parametrize(("name", "arguments", "steps"), CASES, ids=IDS)
def test_kernel_matches_spec_float64(name, arguments, steps):
    bound = _math(name, arguments)
    values = getattr(S, name)(**arguments).values(steps)
    failures = []
    for step, value in zip(steps.tolist(), values.tolist()):
        ref = reference(bound.value, bound.numbers, step, bound.definitions)
        if ref.error(value) > 2 * ref.bound:
            failures.append((step, value, float(ref.value), ref.error(value), 2 * ref.bound))
    assert not failures, failures[:5]


@pytest.mark.parametrize(("name", "arguments", "steps"), CASES, ids=IDS)
def test_kernel_matches_spec_float32(name, arguments, steps):
    bound = _math(name, arguments)
    values = getattr(S, name)(**arguments).values(steps, dtype=np.float32)
    assert values.dtype == np.float32
    failures = []
    for step, value in zip(steps.tolist(), values.tolist()):
        ref = reference(bound.value, bound.numbers, step, bound.definitions)
        ulp32 = float(np.spacing(np.float32(abs(float(ref.value)))))
        if ref.error(value) > 2 * ref.bound + ulp32:
            failures.append((step, value, float(ref.value)))
    assert not failures, failures[:5]


@pytest.mark.parametrize(("name", "arguments", "steps"), CASES, ids=IDS)
def test_one_step_equals_the_array_form(name, arguments, steps):
    schedule = getattr(S, name)(**arguments)
    values = schedule.values(steps)
    assert [schedule(int(step)) for step in steps[:200]] == values[:200].tolist()


def test_tolerance_is_tight_enough_to_matter():
    """The stated tolerance is some ulps, not a loose bound: a value 64 ulps off is caught."""
    bound = _math("CosineDecay", dict(initial_learning_rate=0.1, decay_steps=37.0, alpha=0.1))
    for step in (0, 5, 18, 36):
        ref = reference(bound.value, bound.numbers, step, bound.definitions)
        value = float(ref.value)
        assert 2 * ref.bound < 64 * math.ulp(value)
        assert ref.error(value + 64 * math.ulp(value)) > 2 * ref.bound


def test_piecewise_constant_is_bit_exact_at_boundaries():
    schedule = S.PiecewiseConstantDecay(boundaries=[10, 20], values=[0.3, 0.2, 0.1])
    # Keras: a boundary step still uses the earlier value.
    assert schedule.values([0, 10, 11, 20, 21, 10**9]).tolist() == [0.3, 0.3, 0.2, 0.2, 0.1, 0.1]


def test_restarts_land_on_exact_cycle_starts():
    """Cycle i starts at D0 (t^i - 1)/(t - 1); there the rate is the peak lr0 ((1 - alpha) m^i + alpha).

    With t_mul = 3 the float64 quotient log(x)/log(3) lands just below an
    integer at some of these starts, which would put them at the end of the
    previous cycle; the kernel's integer-safe floor_log does not.
    """
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


def test_floor_log_is_exact_for_powers():
    from trainspec.runtime.schedule import floor_log

    for base in (2.0, 3.0, 1.5, 10.0, 1.25):
        for exponent in range(0, 40):
            power = base**exponent
            if Fraction(power) != Fraction(base) ** exponent:
                break  # no longer representable: exactness is about the float x the kernel receives
            assert floor_log(power, base) == exponent
            if exponent:
                assert floor_log(math.nextafter(power, 0), base) == exponent - 1


def test_linear_warmup_reaches_its_target_exactly():
    following = S.CosineDecay(0.1, 400, alpha=0.1)
    warmup = S.LinearWarmup(following, warmup_steps=7, initial_learning_rate=0.003)
    assert warmup.own_value(7) == following(0)  # the ramp's formula at its end, bit for bit
    assert warmup(7) == following(0) and warmup(8) == following(1)
    assert warmup(0) == 0.003
    ramp = warmup.values(8)
    assert np.all(np.diff(ramp) > 0)


def test_cosine_decay_without_target_ignores_warmup_steps():
    """Keras: with warmup_target None, warmup_steps is ignored."""
    plain = S.CosineDecay(0.1, 50, alpha=0.2)
    ignored = S.CosineDecay(0.1, 50, alpha=0.2, warmup_steps=30)
    assert plain.values(80).tolist() == ignored.values(80).tolist()


def test_values_accepts_arrays_and_counts():
    schedule = S.ExponentialDecay(0.1, 10, 0.5)
    assert schedule.values(3).tolist() == [schedule(0), schedule(1), schedule(2)]
    grid = schedule.values(np.array([[0, 1], [2, 3]]))
    assert grid.shape == (2, 2) and grid[1, 1] == schedule(3)
    assert schedule.values([]).shape == (0,)


# ----------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("build", "error", "message"),
    [
        (lambda: S.ExponentialDecay(0.1, 0, 0.5), ValueError, r"ExponentialDecay: decay_steps must be > 0, got 0"),
        (lambda: S.ExponentialDecay(0.1, -5, 0.5), ValueError, r"decay_steps must be > 0, got -5"),
        (lambda: S.InverseTimeDecay(0.1, 0.0, 0.5), ValueError, r"decay_steps must be > 0, got 0.0"),
        (lambda: S.NaturalExpDecay(0.1, 0, 0.5), ValueError, r"decay_steps must be > 0"),
        (lambda: S.PolynomialDecay(0.1, 0), ValueError, r"PolynomialDecay: decay_steps must be > 0"),
        (lambda: S.CosineDecay(0.1, 0), ValueError, r"CosineDecay: decay_steps must be > 0, got 0"),
        (lambda: S.CosineDecayRestarts(0.1, 0), ValueError, r"first_decay_steps must be > 0, got 0"),
        (lambda: S.CosineDecayRestarts(0.1, 10, t_mul=0.5), ValueError, r"t_mul must be >= 1, got 0.5"),
        (lambda: S.CyclicLR(0.1, 0.2, step_size_up=0), ValueError, r"step_size_up must be > 0, got 0"),
        (lambda: S.CyclicLR(0.1, 0.2, mode="cosine"), ValueError, r"mode must be one of"),
        (lambda: S.CosineDecay(0.1, 10, alpha=1.5), ValueError, r"alpha must be >= 0 and <= 1, got 1.5"),
        (lambda: S.CosineDecay(float("nan"), 10), ValueError, r"initial_learning_rate must be >= 0, got nan"),
        (lambda: S.ExponentialDecay(0.1, 10, 0.5, staircase=1), ValueError, r"staircase must be one of"),
        (lambda: S.ExponentialDecay(True, 10, 0.5), TypeError, r"initial_learning_rate must be a number"),
        (lambda: S.ExponentialDecay("0.1", 10, 0.5), TypeError, r"initial_learning_rate must be a number"),
        (
            lambda: S.PiecewiseConstantDecay([10, 10], [1.0, 0.5, 0.1]),
            ValueError,
            r"boundaries must be strictly increasing, but boundaries\[1\] = 10 is not above boundaries\[0\] = 10",
        ),
        (lambda: S.PiecewiseConstantDecay([20, 10], [1.0, 0.5, 0.1]), ValueError, r"strictly increasing"),
        (
            lambda: S.PiecewiseConstantDecay([10, 20], [1.0, 0.5]),
            ValueError,
            r"values must have len\(boundaries\) \+ 1 = 3 elements, got 2",
        ),
        (lambda: S.PiecewiseConstantDecay([10], [1.0, 0.5, 0.1]), ValueError, r"= 2 elements, got 3"),
        (lambda: S.PiecewiseConstantDecay([10], [1.0, float("inf")]), ValueError, r"values\[1\] must be a finite"),
        (lambda: S.PiecewiseConstantDecay(10, [1.0]), TypeError, r"boundaries must be a list of numbers"),
        (
            lambda: S.LinearWarmup(S.CosineDecay(0.1, 10), warmup_steps=0),
            ValueError,
            r"warmup_steps must be an integer >= 1, got 0",
        ),
        (lambda: S.LinearWarmup(S.CosineDecay(0.1, 10), warmup_steps=2.5), ValueError, r"an integer >= 1, got 2.5"),
        (lambda: S.LinearWarmup(lambda k: 0.1, warmup_steps=5), TypeError, r"schedule must be a trainspec schedule"),
    ],
)
def test_bad_arguments_raise_clear_errors(build, error, message):
    with pytest.raises(error, match=message):
        build()


@pytest.mark.parametrize("bad", [-1, -(2**40)])
def test_negative_step_is_refused_everywhere(bad):
    schedule = S.CosineDecay(0.1, 100)
    with pytest.raises(ValueError, match=rf"step must be >= 0 \(the 0-based iteration\), got {bad}"):
        schedule(bad)
    with pytest.raises(ValueError, match=r"steps must be >= 0"):
        schedule.values([0, 5, bad])
    with pytest.raises(ValueError, match=r"step must be >= 0"):
        schedule.kernel.scalar(bad, 0.1, 100.0, 0.0, 0.1, 0.0)  # the generated njit kernel checks too


def test_non_integer_steps_are_refused():
    schedule = S.ExponentialDecay(0.1, 10, 0.5)
    assert schedule(3.0) == schedule(3)
    with pytest.raises(ValueError, match=r"step must be a whole number"):
        schedule(2.5)
    with pytest.raises(TypeError, match=r"step must be a non-negative integer"):
        schedule("3")
    with pytest.raises(ValueError, match=r"steps must be whole numbers"):
        schedule.values([0.0, 1.5])


def test_config_round_trip_and_serialisation():
    import json

    warmup = S.LinearWarmup(S.CosineDecayRestarts(0.1, 20, m_mul=0.5), warmup_steps=5, initial_learning_rate=0.01)
    config = json.loads(json.dumps(S.serialize(warmup)))
    rebuilt = S.deserialize(config)
    assert rebuilt == warmup
    assert rebuilt.values(200).tolist() == warmup.values(200).tolist()
    assert S.CyclicLR.from_config(S.CyclicLR(0.1, 0.2, mode="exp_range", gamma=0.9).get_config()).get_config() == (
        S.CyclicLR(0.1, 0.2, mode="exp_range", gamma=0.9).get_config()
    )
    with pytest.raises(ValueError, match=r"unknown schedule 'Nope'"):
        S.deserialize({"class_name": "Nope", "config": {}})
