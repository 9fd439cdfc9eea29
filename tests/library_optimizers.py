"""Optimizers written by hand in the libraries' own forms, for ``trainspec verify --against module:name``.

Each follows its spec's documented algorithm, written here independently of trainspec: a ``torch.optim.Optimizer``
subclass (Keras's Adam as a PyTorch user ports it), a Keras ``Optimizer`` subclass (Keras's SGD), and an optax
``GradientTransformation`` factory (Keras's SGD). A torch class takes the argument names of the spec's declared
torch counterpart (``lr``, ``betas``, ``eps``), the others the spec's own names. The referee imports this module
with KERAS_BACKEND=torch unless it is set.
"""

from __future__ import annotations

import jax.numpy as jnp
import keras
import optax
import torch


class KerasAdamInTorch(torch.optim.Optimizer):
    """Keras's Adam (ε̂ added to √v, both bias corrections folded into the step size) with torch's argument names."""

    def __init__(self, params, lr=0.001, betas=(0.9, 0.999), eps=1e-7, amsgrad=False):
        super().__init__(params, {"lr": lr, "betas": betas, "eps": eps, "amsgrad": amsgrad})

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            beta_1, beta_2 = group["betas"]
            for p in group["params"]:
                state = self.state[p]
                if not state:
                    state.update(step=0, m=torch.zeros_like(p), v=torch.zeros_like(p), v_hat=torch.zeros_like(p))
                state["step"] += 1
                t = state["step"]
                state["m"].add_((1 - beta_1) * (p.grad - state["m"]))
                state["v"].add_((1 - beta_2) * (p.grad * p.grad - state["v"]))
                v = state["v"]
                if group["amsgrad"]:
                    torch.maximum(state["v_hat"], v, out=state["v_hat"])
                    v = state["v_hat"]
                alpha = group["lr"] * (1 - beta_2**t) ** 0.5 / (1 - beta_1**t)
                p.sub_(alpha * state["m"] / (v.sqrt() + group["eps"]))


class KerasSGDByHand(keras.optimizers.Optimizer):
    """Keras's SGD as a Keras user subclasses it: v ← μv − ηg; w ← w + v, or w + μv − ηg with Nesterov."""

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, **base_options):
        super().__init__(learning_rate=learning_rate, name="sgd_by_hand", **base_options)
        self.momentum, self.nesterov = momentum, nesterov

    def build(self, variables):
        super().build(variables)
        self.velocities = [self.add_variable_from_reference(v, "velocity") for v in variables]

    def update_step(self, gradient, variable, learning_rate):
        learning_rate = keras.ops.cast(learning_rate, variable.dtype)
        gradient = keras.ops.cast(gradient, variable.dtype)
        velocity = self.velocities[self._get_variable_index(variable)]
        new_velocity = self.momentum * velocity - learning_rate * gradient
        self.assign(velocity, new_velocity)
        step = self.momentum * new_velocity - learning_rate * gradient if self.nesterov else new_velocity
        self.assign_add(variable, step)


def keras_sgd_in_optax(learning_rate, momentum=0.0, nesterov=False) -> optax.GradientTransformation:
    """Keras's SGD as an optax transformation; ``learning_rate`` a number or, as optax takes it, a function of the
    0-based update count."""

    def rate(count):
        return learning_rate(count) if callable(learning_rate) else learning_rate

    def init(params):
        return {"count": jnp.zeros([], jnp.int32), "velocity": [jnp.zeros_like(p) for p in params]}

    def update(grads, state, params=None):
        eta = rate(state["count"])
        velocity = [momentum * v - eta * g for v, g in zip(state["velocity"], grads)]
        updates = [momentum * v - eta * g for v, g in zip(velocity, grads)] if nesterov else velocity
        return updates, {"count": state["count"] + 1, "velocity": velocity}

    return optax.GradientTransformation(init, update)


BUILT_TRANSFORM = keras_sgd_in_optax(0.1)
"""An optax transformation already built: its hyperparameters are fixed, so the referee cannot draw them."""


class NotAnOptimizer:
    """A class of neither library."""


class RefusesItsArguments(torch.optim.Optimizer):
    """A torch optimizer whose constructor fails with an error that is not a ValueError."""

    def __init__(self, params, lr=0.01, momentum=0.0, nesterov=False):
        raise RuntimeError("this optimizer is not finished")


class FailsOnItsSecondStep(KerasSGDByHand):
    """Keras's SGD by hand, with a step that fails once the variables are built."""

    def update_step(self, gradient, variable, learning_rate):
        if self.iterations > 0:
            raise TypeError("an unsupported operand")
        super().update_step(gradient, variable, learning_rate)


def optax_sgd_that_fails_to_build(learning_rate, momentum=0.0, nesterov=False) -> optax.GradientTransformation:
    """An optax factory that fails before it returns a transformation."""
    raise KeyError("momentum_dtype")
