"""Deliberately wrong Adam implementations, in ``trainspec verify``'s ``module:function`` form.

Each is Keras's Adam (ε̂ added to √v, corrections folded into the step size) with one
classic slip; the referee must report each as failing and name the slip.
"""

from __future__ import annotations

import numpy as np


def _adam(params, grads, state, t, learning_rate, beta_1, beta_2, epsilon, amsgrad, slip: str) -> None:
    b1, b2 = (1 - beta_1, beta_2) if slip == "swap" else (beta_1, beta_2)
    step = t + 1 if slip == "step_ahead" else t
    for index, (p, grad) in enumerate(zip(params, grads)):
        m = state.setdefault(("m", index), np.zeros_like(p))
        v = state.setdefault(("v", index), np.zeros_like(p))
        m_before = m.copy()
        if slip == "m_factor_dropped":
            m[...] = beta_1 * m + grad
        else:
            m += (1 - b1) * (grad - m)
        v += (beta_2 if slip == "v_swapped" else 1 - b2) * (grad * grad - v)
        if amsgrad:  # Keras keeps the largest v so far and steps with it
            v_hat = state.setdefault(("v_hat", index), np.zeros_like(p))
            np.maximum(v_hat, v, out=v_hat)
            v = v_hat
        correction_1 = 1 if slip == "m_correction_dropped" else 1 - b1**step
        correction_2 = 1 - b2 ** (step - 1 if slip == "v_correction_late" else step)
        root = v if slip == "v_root_dropped" else np.sqrt(v)
        m = m_before if slip == "m_stale" else m
        with np.errstate(divide="ignore", invalid="ignore"):  # a slip may divide by 0 (β₁ swapped, at β₁ = 0)
            if slip == "no_bias_correction":
                p -= learning_rate * m / (root + epsilon)
            elif slip == "epsilon_inside":
                p -= learning_rate * np.sqrt(correction_2) / correction_1 * m / np.sqrt(v + epsilon)
            else:
                p -= learning_rate * np.sqrt(correction_2) / correction_1 * m / (root + epsilon)


def correct_adam(params, grads, state, t, **hyperparameters) -> None:
    _adam(params, grads, state, t, slip="", **hyperparameters)


def adam_epsilon_inside_root(params, grads, state, t, **hyperparameters) -> None:
    _adam(params, grads, state, t, slip="epsilon_inside", **hyperparameters)


def adam_without_bias_correction(params, grads, state, t, **hyperparameters) -> None:
    _adam(params, grads, state, t, slip="no_bias_correction", **hyperparameters)


def adam_beta_swapped(params, grads, state, t, **hyperparameters) -> None:
    _adam(params, grads, state, t, slip="swap", **hyperparameters)


ONE_LINE_SLIPS = {
    "m_correction_dropped": "the bias correction of m dropped",
    "v_correction_late": "the bias correction of v a step late",
    "v_swapped": "beta_2 and 1 − beta_2 swapped in v's update",
    "step_ahead": "the step count one ahead",
    "m_factor_dropped": "the factor 1 - beta_1 dropped, in line 2",
    "v_root_dropped": "the root of v dropped",
    "m_stale": "m read before its update (line 2), in line 4: w ← ",
}
"""One-line Adam bugs (``adam_<name>``), each with the cause the referee must name."""


def adam_m_correction_dropped(params, grads, state, t, **hyperparameters) -> None:
    _adam(params, grads, state, t, slip="m_correction_dropped", **hyperparameters)


def adam_v_correction_late(params, grads, state, t, **hyperparameters) -> None:
    _adam(params, grads, state, t, slip="v_correction_late", **hyperparameters)


def adam_v_swapped(params, grads, state, t, **hyperparameters) -> None:
    _adam(params, grads, state, t, slip="v_swapped", **hyperparameters)


def adam_step_ahead(params, grads, state, t, **hyperparameters) -> None:
    _adam(params, grads, state, t, slip="step_ahead", **hyperparameters)


def adam_m_factor_dropped(params, grads, state, t, **hyperparameters) -> None:
    _adam(params, grads, state, t, slip="m_factor_dropped", **hyperparameters)


def adam_v_root_dropped(params, grads, state, t, **hyperparameters) -> None:
    _adam(params, grads, state, t, slip="v_root_dropped", **hyperparameters)


def adam_m_stale(params, grads, state, t, **hyperparameters) -> None:
    _adam(params, grads, state, t, slip="m_stale", **hyperparameters)


def adagrad_starting_at_zero(params, grads, state, t, learning_rate, initial_accumulator_value, epsilon) -> None:
    """Keras's Adagrad with its accumulator started at 0 instead of initial_accumulator_value."""
    for index, (p, grad) in enumerate(zip(params, grads)):
        accumulator = state.setdefault(index, np.zeros_like(p))
        accumulator += grad * grad
        p -= learning_rate * grad / np.sqrt(accumulator + epsilon)


def adam_that_raises(params, grads, state, t, **hyperparameters):
    """A user's step that fails on its third call: verify must say so, not report a divergence."""
    if t == 3:
        raise ZeroDivisionError("the user's own bug")
    correct_adam(params, grads, state, t, **hyperparameters)


def adam_returning_new_arrays(params, grads, state, t, **hyperparameters):
    """Adam written functionally: it returns the new parameters and leaves the given arrays alone."""
    copies = [p.copy() for p in params]
    correct_adam(copies, grads, state, t, **hyperparameters)
    return copies


def adam_writing_copies(params, grads, state, t, **hyperparameters) -> None:
    """Adam that steps copies of the parameters and returns nothing: the given arrays never change."""
    correct_adam([p.copy() for p in params], grads, state, t, **hyperparameters)


def adam_with_clipnorm(params, grads, state, t, clipnorm=None, **hyperparameters) -> None:
    """Adam that takes Keras's clipnorm by name (and so is run with it): each gradient scaled to norm ≤ clipnorm."""
    if clipnorm is not None:
        grads = [g * (clipnorm / max(float(np.linalg.norm(g)), clipnorm)) for g in grads]
    correct_adam(params, grads, state, t, **hyperparameters)
