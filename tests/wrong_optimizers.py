"""Deliberately wrong Adam implementations, in ``trainspec verify``'s ``module:function`` form.

Each is Keras's Adam (ε̂ added to √v, corrections folded into the step size) with one
classic slip; the referee must report each as failing and name the slip.
"""

from __future__ import annotations

import numpy as np


def _adam(params, grads, state, t, learning_rate, beta_1, beta_2, epsilon, amsgrad, slip: str) -> None:
    b1, b2 = (1 - beta_1, beta_2) if slip == "swap" else (beta_1, beta_2)
    for index, (p, grad) in enumerate(zip(params, grads)):
        m = state.setdefault(("m", index), np.zeros_like(p))
        v = state.setdefault(("v", index), np.zeros_like(p))
        m += (1 - b1) * (grad - m)
        v += (1 - b2) * (grad * grad - v)
        if amsgrad:  # Keras keeps the largest v so far and steps with it
            v_hat = state.setdefault(("v_hat", index), np.zeros_like(p))
            np.maximum(v_hat, v, out=v_hat)
            v = v_hat
        if slip == "no_bias_correction":
            p -= learning_rate * m / (np.sqrt(v) + epsilon)
        elif slip == "epsilon_inside":
            p -= learning_rate * np.sqrt(1 - beta_2**t) / (1 - beta_1**t) * m / np.sqrt(v + epsilon)
        else:
            p -= learning_rate * np.sqrt(1 - b2**t) / (1 - b1**t) * m / (np.sqrt(v) + epsilon)


def correct_adam(params, grads, state, t, **hyperparameters) -> None:
    _adam(params, grads, state, t, slip="", **hyperparameters)


def adam_epsilon_inside_root(params, grads, state, t, **hyperparameters) -> None:
    _adam(params, grads, state, t, slip="epsilon_inside", **hyperparameters)


def adam_without_bias_correction(params, grads, state, t, **hyperparameters) -> None:
    _adam(params, grads, state, t, slip="no_bias_correction", **hyperparameters)


def adam_beta_swapped(params, grads, state, t, **hyperparameters) -> None:
    _adam(params, grads, state, t, slip="swap", **hyperparameters)


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
