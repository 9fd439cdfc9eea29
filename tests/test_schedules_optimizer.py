"""Optimizers that take a schedule as learning_rate: Keras's step convention, config, resuming mid-schedule.

Every registered schedule is tried, built from its spec's example; the optimizers are SGD and Adam of the
package under test.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from helpers import SPECS_DIR, package

from codegen.language.schedule import Call, ScheduleSpec
from codegen.load import load_registry
from codegen.referee.schedule_adapters import build

REGISTRY = load_registry(SPECS_DIR)
TRAINSPEC = package()
S = TRAINSPEC.schedules
EXAMPLES = [pytest.param(spec, id=spec.name) for spec in REGISTRY.schedules]
COMPOSITIONS = [pytest.param(spec, id=spec.name) for spec in REGISTRY.schedules if spec.then is not None]


def _example(spec: ScheduleSpec):
    return build(Call(spec.name, dict(spec.example.arguments)), TRAINSPEC)


def _data(seed: int, size: int = 64, dtype=np.float64):
    generator = np.random.default_rng(seed)
    params = [generator.standard_normal(size).astype(dtype), generator.standard_normal((3, 5)).astype(dtype)]
    grads = [[generator.standard_normal(p.shape).astype(dtype) for p in params] for _ in range(30)]
    return params, grads


class Halving(S.Schedule):
    """A hand-written schedule: ``start`` halved every ``every`` steps."""

    def __init__(self, start, every=3, name=None):
        super().__init__(name=name)
        self.start, self.every = start, every

    def __call__(self, step):
        return self.start / 2 ** (int(step) // self.every)

    def get_config(self):
        return {"start": self.start, "every": self.every, "name": self.name}


S.register(Halving)


@pytest.mark.parametrize("spec", EXAMPLES)
def test_schedule_is_evaluated_at_the_zero_based_iteration(spec):
    """Plain SGD: w <- w - eta_k g, with eta_k = schedule(k) for the k-th update, k = 0 first (Keras)."""
    schedule = _example(spec)
    optimizer = TRAINSPEC.SGD(learning_rate=schedule)
    params, grads = _data(0)
    expected = [p.copy() for p in params]
    for step, g in enumerate(grads[:8]):
        assert optimizer.learning_rate == schedule(step)
        optimizer.apply(g, params)
        for e, gi in zip(expected, g):
            e -= schedule(step) * gi  # the kernel's w - eta*g, in the same float64 order
    assert optimizer.iterations == 8
    for p, e in zip(params, expected):
        np.testing.assert_array_equal(p, e)


@pytest.mark.parametrize("spec", EXAMPLES)
def test_weight_decay_uses_the_same_schedule_value(spec):
    """Keras: w <- w - w*lambda*eta_k before the update, with the schedule's eta_k of this step."""
    schedule = _example(spec)
    optimizer = TRAINSPEC.SGD(learning_rate=schedule, weight_decay=0.01)
    params, grads = _data(1)
    expected = [p.copy() for p in params]
    for step, g in enumerate(grads[:6]):
        optimizer.apply(g, params)
        eta = schedule(step)
        for e, gi in zip(expected, g):
            e -= (eta * 0.01) * e  # the kernel's w_decayed = w - k0*w with k0 = eta*lambda_wd
            e -= eta * gi
    for p, e in zip(params, expected):
        np.testing.assert_array_equal(p, e)


def test_a_constant_schedule_is_the_float_learning_rate():
    """A schedule that is constant gives bit for bit the run with that float (float32 parameters too)."""
    constant = Halving(1e-3, every=10**9)
    for dtype in (np.float32, np.float64):
        params_a, grads = _data(2, dtype=dtype)
        params_b = [p.copy() for p in params_a]
        scheduled, fixed = TRAINSPEC.Adam(learning_rate=constant), TRAINSPEC.Adam(learning_rate=1e-3)
        for g in grads:
            scheduled.apply(g, params_a)
            fixed.apply(g, params_b)
        for a, b in zip(params_a, params_b):
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("spec", EXAMPLES)
def test_config_serialises_the_schedule_as_keras_does(spec):
    schedule = _example(spec)
    optimizer = TRAINSPEC.Adam(learning_rate=schedule, beta_1=0.8)
    config = json.loads(json.dumps(optimizer.get_config()))
    assert config["learning_rate"]["class_name"] == spec.name
    for name, value in spec.example.arguments.items():
        if isinstance(value, Call):  # a following schedule is serialised as a schedule in turn
            assert config["learning_rate"]["config"][name]["class_name"] == value.schedule
    rebuilt = TRAINSPEC.Adam.from_config(config)
    assert rebuilt.learning_rate_schedule == schedule
    assert rebuilt.get_config() == optimizer.get_config()
    assert TRAINSPEC.Adam(learning_rate=0.01).learning_rate_schedule is None


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("spec", EXAMPLES)
def test_resuming_mid_schedule_is_bit_exact(tmp_path, spec, dtype):
    """Save after 11 of 30 steps, rebuild from the saved config, load, continue: the same bits as one run."""
    schedule = _example(spec)
    params, grads = _data(3, dtype=dtype)
    reference = [p.copy() for p in params]
    uninterrupted = TRAINSPEC.Adam(learning_rate=schedule, weight_decay=0.004, amsgrad=True)
    for g in grads:
        uninterrupted.apply(g, reference)

    first = TRAINSPEC.Adam(learning_rate=schedule, weight_decay=0.004, amsgrad=True)
    for g in grads[:11]:
        first.apply(g, params)
    path = tmp_path / "state.npz"
    first.save_state(path)
    config = json.loads(json.dumps(first.get_config()))
    resumed = TRAINSPEC.Adam.from_config(config)
    resumed.load_state(path)
    assert resumed.iterations == 11 and resumed.learning_rate == schedule(11)
    for g in grads[11:]:
        resumed.apply(g, params)
    for p, r in zip(params, reference):
        np.testing.assert_array_equal(p, r)


def test_a_plain_callable_is_refused_with_a_way_out():
    with pytest.raises(TypeError, match=r"learning_rate must be a float or a trainspec schedule.*subclass"):
        TRAINSPEC.SGD(learning_rate=lambda step: 0.1)


def test_a_float_learning_rate_is_still_checked():
    with pytest.raises(ValueError, match=r"learning_rate"):
        TRAINSPEC.SGD(learning_rate=-0.1)


def test_a_hand_written_schedule_works_with_optimizers():
    """Subclass Schedule with __call__ and get_config: values(), configs and optimizers accept it."""
    schedule = Halving(0.8)
    assert schedule.values(7).tolist() == [0.8, 0.8, 0.8, 0.4, 0.4, 0.4, 0.2]
    assert (
        S.deserialize(json.loads(json.dumps(S.serialize(schedule)))).values(9).tolist() == schedule.values(9).tolist()
    )
    optimizer = TRAINSPEC.SGD(learning_rate=schedule)
    params, grads = _data(4)
    for g in grads[:4]:
        optimizer.apply(g, params)
    assert optimizer.learning_rate == 0.4
    assert TRAINSPEC.SGD.from_config(json.loads(json.dumps(optimizer.get_config()))).learning_rate_schedule(5) == 0.4


@pytest.mark.parametrize("spec", COMPOSITIONS)
def test_a_hand_written_schedule_follows_a_composition(spec):
    """A warmup in front of a hand-written schedule: it takes over at the boundary, re-based, and serialises."""
    boundary = next(a.argument for a in spec.scalar_arguments if a.symbol == spec.then.boundary)
    arguments = {**spec.example.arguments, spec.then.argument: Halving(0.8)}
    composed = build(Call(spec.name, arguments), TRAINSPEC)
    at = int(arguments[boundary])
    assert composed.continued(at) == 0.8  # the own formula ends on the following schedule's first value
    assert composed.values(range(at, at + 9)).tolist() == Halving(0.8).values(9).tolist()
    rebuilt = S.deserialize(json.loads(json.dumps(S.serialize(composed))))
    assert rebuilt.values(at + 9).tolist() == composed.values(at + 9).tolist()
