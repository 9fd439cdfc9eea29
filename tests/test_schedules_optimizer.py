"""Optimizers that take a schedule as learning_rate: Keras's step convention, config, resuming mid-schedule."""

from __future__ import annotations

import json

import numpy as np
import pytest

from trainspec import (
    SGD,
    Adam,
    CosineDecay,
    CosineDecayRestarts,
    ExponentialDecay,
    LinearWarmup,
    PiecewiseConstantDecay,
)


def _data(seed: int, size: int = 64, dtype=np.float64):
    generator = np.random.default_rng(seed)
    params = [generator.standard_normal(size).astype(dtype), generator.standard_normal((3, 5)).astype(dtype)]
    grads = [[generator.standard_normal(p.shape).astype(dtype) for p in params] for _ in range(30)]
    return params, grads


def test_schedule_is_evaluated_at_the_zero_based_iteration():
    """Plain SGD: w <- w - eta_k g, with eta_k = schedule(k) for the k-th update, k = 0 first (Keras)."""
    schedule = PiecewiseConstantDecay(boundaries=[2, 5], values=[0.5, 0.25, 0.125])
    optimizer = SGD(learning_rate=schedule)
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


def test_weight_decay_uses_the_same_schedule_value():
    """Keras: w <- w - w*lambda*eta_k before the update, with the schedule's eta_k of this step."""
    schedule = ExponentialDecay(0.1, 3, 0.5)
    optimizer = SGD(learning_rate=schedule, weight_decay=0.01)
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
    constant = PiecewiseConstantDecay(boundaries=[1000], values=[1e-3, 1e-3])
    for dtype in (np.float32, np.float64):
        params_a, grads = _data(2, dtype=dtype)
        params_b = [p.copy() for p in params_a]
        scheduled, fixed = Adam(learning_rate=constant), Adam(learning_rate=1e-3)
        for g in grads:
            scheduled.apply(g, params_a)
            fixed.apply(g, params_b)
        for a, b in zip(params_a, params_b):
            np.testing.assert_array_equal(a, b)


def test_config_serialises_the_schedule_as_keras_does():
    schedule = LinearWarmup(CosineDecay(0.1, 100, alpha=0.1), warmup_steps=10)
    optimizer = Adam(learning_rate=schedule, beta_1=0.8)
    config = json.loads(json.dumps(optimizer.get_config()))
    assert config["learning_rate"]["class_name"] == "LinearWarmup"
    assert config["learning_rate"]["config"]["schedule"]["class_name"] == "CosineDecay"
    rebuilt = Adam.from_config(config)
    assert rebuilt.learning_rate_schedule == schedule
    assert rebuilt.get_config() == optimizer.get_config()
    assert Adam(learning_rate=0.01).learning_rate_schedule is None


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_resuming_mid_schedule_is_bit_exact(tmp_path, dtype):
    """Save after 11 of 30 steps, rebuild from the saved config, load, continue: the same bits as one run."""
    schedule = LinearWarmup(
        CosineDecayRestarts(0.05, 6, t_mul=2.0, m_mul=0.7), warmup_steps=4, initial_learning_rate=1e-4
    )
    params, grads = _data(3, dtype=dtype)
    reference = [p.copy() for p in params]
    uninterrupted = Adam(learning_rate=schedule, weight_decay=0.004, amsgrad=True)
    for g in grads:
        uninterrupted.apply(g, reference)

    first = Adam(learning_rate=schedule, weight_decay=0.004, amsgrad=True)
    for g in grads[:11]:
        first.apply(g, params)
    path = tmp_path / "state.npz"
    first.save_state(path)
    config = json.loads(json.dumps(first.get_config()))
    resumed = Adam.from_config(config)
    resumed.load_state(path)
    assert resumed.iterations == 11 and resumed.learning_rate == schedule(11)
    for g in grads[11:]:
        resumed.apply(g, params)
    for p, r in zip(params, reference):
        np.testing.assert_array_equal(p, r)


def test_a_plain_callable_is_refused_with_a_way_out():
    with pytest.raises(TypeError, match=r"learning_rate must be a float or a trainspec schedule.*subclass"):
        SGD(learning_rate=lambda step: 0.1)


def test_a_float_learning_rate_is_still_checked():
    with pytest.raises(ValueError, match=r"learning_rate"):
        SGD(learning_rate=-0.1)


def test_a_hand_written_schedule_works_everywhere():
    """Subclass Schedule with __call__ and get_config: optimizers, warmups, values() and configs accept it."""
    from trainspec.schedules import Schedule, deserialize, register, serialize

    class Halving(Schedule):
        def __init__(self, start, name=None):
            super().__init__(name=name)
            self.start = start

        def __call__(self, step):
            return self.start / 2 ** (int(step) // 3)

        def get_config(self):
            return {"start": self.start, "name": self.name}

    register(Halving)
    schedule = Halving(0.8)
    assert schedule.values(7).tolist() == [0.8, 0.8, 0.8, 0.4, 0.4, 0.4, 0.2]
    warmup = LinearWarmup(schedule, warmup_steps=2)
    assert warmup.values(4).tolist() == [0.0, 0.4, 0.8, 0.8]
    assert deserialize(json.loads(json.dumps(serialize(warmup)))).values(9).tolist() == warmup.values(9).tolist()
    optimizer = SGD(learning_rate=schedule)
    params, grads = _data(4)
    for g in grads[:4]:
        optimizer.apply(g, params)
    assert optimizer.learning_rate == 0.4
    assert SGD.from_config(json.loads(json.dumps(optimizer.get_config()))).learning_rate_schedule(5) == 0.4
