"""Schedules written by hand in ``trainspec verify``'s ``module:function`` form: right ones, and each with one slip.

Each function is ``rate(step, **arguments) -> float`` with the 0-based step and the spec's argument names.
The correct ones follow Keras 3's formulas (keras/src/optimizers/schedules/learning_rate_schedule.py) and
PyTorch's for CyclicLR (torch/optim/lr_scheduler.py); every wrong one is the correct formula with one classic
mistake, which the referee must report as failing and name. ``under_test`` is set by a test for its duration.
"""

from __future__ import annotations

import math


def _cosine(step, initial_learning_rate, decay_steps, alpha, warmup_target, warmup_steps, slip: str = "") -> float:
    if slip == "early":
        step += 1
    if warmup_target is None:
        warmup_target, warmup_steps = initial_learning_rate, 0
    if slip == "optax_warmup":
        decay_steps -= warmup_steps
    s = min(step, decay_steps + warmup_steps)
    if s < warmup_steps:
        return initial_learning_rate + (warmup_target - initial_learning_rate) * s / warmup_steps
    cosine = (1 + math.cos(math.pi * (s - warmup_steps) / decay_steps)) / 2
    if slip == "absolute_alpha":
        return alpha + (warmup_target - alpha) * cosine
    return warmup_target * ((1 - alpha) * cosine + alpha)


def correct_cosine_decay(step, **arguments) -> float:
    return _cosine(step, **arguments)


def cosine_decay_one_step_early(step, **arguments) -> float:
    """scheduler.step() before optimizer.step(): every update gets the next step's rate."""
    return _cosine(step, **arguments, slip="early")


def cosine_decay_warmup_inside_decay_steps(step, **arguments) -> float:
    """Optax's warmup_cosine_decay_schedule reading of decay_steps: the total, warmup included."""
    return _cosine(step, **arguments, slip="optax_warmup")


def cosine_decay_absolute_alpha(step, **arguments) -> float:
    """alpha used as the floor rate itself, as PyTorch's eta_min."""
    return _cosine(step, **arguments, slip="absolute_alpha")


def exponential_decay_staircase_ignored(step, initial_learning_rate, decay_steps, decay_rate, staircase) -> float:
    """The continuous form whatever staircase says."""
    return initial_learning_rate * decay_rate ** (step / decay_steps)


def natural_exp_decay_as_exponential(step, initial_learning_rate, decay_steps, decay_rate, staircase) -> float:
    """decay_rate used as ExponentialDecay's factor, not as the natural rate of exp(-decay_rate)."""
    p = step // decay_steps if staircase else step / decay_steps
    return initial_learning_rate * decay_rate**p


def piecewise_constant_switching_at_boundary(step, boundaries, values) -> float:
    """Switches at step >= boundary (Optax's rule), one step before Keras."""
    return values[sum(1 for b in boundaries if b <= step)]


def correct_piecewise_constant(step, boundaries, values) -> float:
    return values[sum(1 for b in boundaries if b < step)]


def cyclic_lr_always_triangular(step, base_lr, max_lr, step_size_up, step_size_down, mode, gamma) -> float:
    """The amplitude never scaled, whatever the mode."""
    down = step_size_up if step_size_down is None else step_size_down
    length = step_size_up + down
    position = step / length - math.floor(step / length)
    up = step_size_up / length
    height = position / up if position <= up else (1 - position) / (1 - up)
    return base_lr + (max_lr - base_lr) * height


def correct_linear_warmup(step, schedule, warmup_steps, initial_learning_rate) -> float:
    if step >= warmup_steps:
        return schedule(step - warmup_steps)
    fraction = step / warmup_steps
    return initial_learning_rate * (1 - fraction) + schedule(0) * fraction


def linear_warmup_not_rebased(step, schedule, warmup_steps, initial_learning_rate) -> float:
    """The following schedule run on the global step: its first warmup_steps steps are skipped."""
    if step >= warmup_steps:
        return schedule(step)
    return correct_linear_warmup(step, schedule, warmup_steps, initial_learning_rate)


def linear_warmup_dividing_by_one_less(step, schedule, warmup_steps, initial_learning_rate) -> float:
    """The ramp divides by warmup_steps − 1, so that its last step reaches the target (a one-line bug)."""
    if step >= warmup_steps:
        return schedule(step - warmup_steps)
    fraction = step / (warmup_steps - 1)
    return initial_learning_rate * (1 - fraction) + schedule(0) * fraction


def exponential_decay_rounding(step, initial_learning_rate, decay_steps, decay_rate, staircase) -> float:
    """The staircase rounds to the nearest stair instead of down (a one-line bug)."""
    p = math.floor(step / decay_steps + 0.5) if staircase else step / decay_steps
    return initial_learning_rate * decay_rate**p


def _join(step, schedules, boundaries, rebased=True, starts_at=lambda step, boundary: step >= boundary):
    start, current = 0, schedules[0]
    for boundary, schedule in zip(boundaries, schedules[1:]):
        if starts_at(step, boundary):
            start, current = boundary, schedule
    return current(step - start if rebased else step)


def correct_join(step, schedules, boundaries) -> float:
    """Optax's join_schedules, by hand: the schedules come as callables, the boundaries as a list."""
    return _join(step, schedules, boundaries)


def join_switching_after_the_boundary(step, schedules, boundaries) -> float:
    """A boundary step left to the earlier schedule (``>`` for ``>=``)."""
    return _join(step, schedules, boundaries, starts_at=lambda step, boundary: step > boundary)


def join_not_rebased(step, schedules, boundaries) -> float:
    """Each later schedule run on the global step, as SequentialLR users expect it not to be."""
    return _join(step, schedules, boundaries, rebased=False)


def linear_warmup_squared_ramp(step, schedule, warmup_steps, initial_learning_rate) -> float:
    """A quadratic ramp where the spec's is linear: a mistake no slip models."""
    if step >= warmup_steps:
        return schedule(step - warmup_steps)
    fraction = (step / warmup_steps) ** 2
    return initial_learning_rate * (1 - fraction) + schedule(0) * fraction
