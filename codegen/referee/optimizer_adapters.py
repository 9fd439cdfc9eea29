"""Implementations that ``trainspec verify`` referees: torch.optim, keras.optimizers, or a user's function.

Every adapter gives the same thing, a ``Stepper``: called with the parameter
arrays, their gradients and the 1-based step, it updates the arrays in place,
as the implementation computes, in float64 NumPy arrays.

A user's implementation (``--against module:function``) is a function with
the signature::

    def step(params: list[np.ndarray], grads: list[np.ndarray], state: dict, t: int, **hyperparameters) -> None

It updates ``params`` in place. ``state`` is one dict per optimizer, empty on
the first call and kept between calls (store buffers in it); ``t`` is 1 on
the first step; ``hyperparameters`` are the spec's arguments by their spec
names (``learning_rate``, ``beta_1``, ``epsilon``, ...) and its flags
(``amsgrad=False``), as ``trainspec list`` and the docs name them.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from codegen.language.optimizer import OptimizerSpec

Stepper = Callable[[list[np.ndarray], list[np.ndarray], int], None]

# The method each spec implements, whatever its convention: an implementation of a method is refereed against
# every registered convention of it.
FAMILIES: dict[str, str] = {
    "Adam": "adam",
    "TorchAdam": "adam",
    "AdamW": "adamw",
    "TorchAdamW": "adamw",
    "SGD": "sgd",
    "TorchSGD": "sgd",
    "RMSprop": "rmsprop",
    "TorchRMSprop": "rmsprop",
    "Adagrad": "adagrad",
    "TorchAdagrad": "adagrad",
    "Adadelta": "adadelta",
    "TorchAdadelta": "adadelta",
    "Adamax": "adamax",
    "TorchAdamax": "adamax",
    "Nadam": "nadam",
    "TorchNAdam": "nadam",
    "LegacyKerasNadam": "nadam",
    "Lion": "lion",
}

# One name per concept across conventions: PyTorch's RMSprop calls Keras's rho alpha.
SYNONYMS = {"alpha": "rho"}

TORCH_CLASSES = {
    "adam": "Adam",
    "adamw": "AdamW",
    "sgd": "SGD",
    "rmsprop": "RMSprop",
    "adagrad": "Adagrad",
    "adadelta": "Adadelta",
    "adamax": "Adamax",
    "nadam": "NAdam",
}
# Concept → torch argument; beta_1 and beta_2 go together into ``betas``.
TORCH_ARGUMENTS = {
    "learning_rate": "lr",
    "epsilon": "eps",
    "rho": "rho",
    "momentum": "momentum",
    "dampening": "dampening",
    "weight_decay": "weight_decay",
    "weight_decay_l2": "weight_decay",
    "lr_decay": "lr_decay",
    "initial_accumulator_value": "initial_accumulator_value",
    "momentum_decay": "momentum_decay",
    "amsgrad": "amsgrad",
    "nesterov": "nesterov",
    "centered": "centered",
}

KERAS_CLASSES = {
    "adam": "Adam",
    "adamw": "AdamW",
    "sgd": "SGD",
    "rmsprop": "RMSprop",
    "adagrad": "Adagrad",
    "adadelta": "Adadelta",
    "adamax": "Adamax",
    "nadam": "Nadam",
    "lion": "Lion",
}
KERAS_ARGUMENTS = (
    "learning_rate",
    "beta_1",
    "beta_2",
    "epsilon",
    "rho",
    "momentum",
    "initial_accumulator_value",
    "weight_decay",
    "amsgrad",
    "nesterov",
    "centered",
)


@dataclass(frozen=True)
class Implementation:
    """An implementation to referee: which spec arguments it takes, and how to build a stepper from them."""

    label: str
    accepts: frozenset[str] | None  # concepts it takes (None: every argument of the spec)
    make: Callable[[Mapping[str, float | bool]], Stepper]


def concept(argument: str, spec: OptimizerSpec | None = None) -> str:
    """The convention-independent name of a spec argument (``alpha`` → ``rho``).

    PyTorch's ``weight_decay`` is an L2 term on the gradient, except in AdamW; Keras's is always decoupled:
    the same name, two concepts.
    """
    if argument == "weight_decay" and spec is not None and spec.base_options == "none" and family(spec) != "adamw":
        return "weight_decay_l2"
    return SYNONYMS.get(argument, argument)


def family(spec: OptimizerSpec) -> str:
    return FAMILIES.get(spec.name, spec.module_name)


def implementation(against: str, spec: OptimizerSpec) -> Implementation:
    """The adapter ``against`` names: ``torch``, ``keras``, or ``module:function``."""
    if against == "torch":
        return _torch(spec)
    if against == "keras":
        return _keras(spec)
    if ":" in against:
        return _user(against)
    raise ValueError(f"--against must be torch, keras or module:function, not {against!r}")


# ----------------------------------------------------------------------------- torch.optim


def _torch(spec: OptimizerSpec) -> Implementation:
    name = TORCH_CLASSES.get(family(spec))
    if name is None:
        raise ValueError(f"torch.optim has no counterpart of {spec.name}")

    def make(arguments: Mapping[str, float | bool]) -> Stepper:
        import torch

        keywords = {TORCH_ARGUMENTS[k]: v for k, v in arguments.items() if k in TORCH_ARGUMENTS}
        if "beta_1" in arguments:
            keywords["betas"] = (arguments["beta_1"], arguments["beta_2"])
        if name == "RMSprop" and "rho" in keywords:
            keywords["alpha"] = keywords.pop("rho")
        tensors: list = []
        optimizer: list = []

        def step(params: list[np.ndarray], grads: list[np.ndarray], t: int) -> None:
            if not tensors:
                tensors.extend(torch.from_numpy(p.copy()).requires_grad_() for p in params)
                # foreach=False: the single-tensor loop, whose arithmetic is the documented algorithm's.
                optimizer.append(getattr(torch.optim, name)(tensors, foreach=False, **keywords))
            for tensor, gradient in zip(tensors, grads):
                tensor.grad = torch.from_numpy(gradient.copy())
            optimizer[0].step()
            for p, tensor in zip(params, tensors):
                p[...] = tensor.detach().numpy()

        return step

    # torch's weight_decay is decoupled only in AdamW: Keras's decoupled decay has no counterpart elsewhere.
    accepted = {*TORCH_ARGUMENTS, "beta_1", "beta_2"} - ({"weight_decay_l2"} if name == "AdamW" else {"weight_decay"})
    return Implementation(f"torch.optim.{name}", frozenset(accepted), make)


# ----------------------------------------------------------------------------- keras.optimizers


def _keras(spec: OptimizerSpec) -> Implementation:
    name = KERAS_CLASSES.get(family(spec))
    if name is None:
        raise ValueError(f"keras.optimizers has no counterpart of {spec.name}")

    def make(arguments: Mapping[str, float | bool]) -> Stepper:
        os.environ.setdefault("KERAS_BACKEND", "torch")  # must be set before keras is first imported
        import keras

        keywords = {k: v for k, v in arguments.items() if k in KERAS_ARGUMENTS}
        variables: list = []
        optimizer: list = []

        def step(params: list[np.ndarray], grads: list[np.ndarray], t: int) -> None:
            if not variables:
                variables.extend(keras.Variable(p.copy(), dtype=str(p.dtype)) for p in params)
                optimizer.append(getattr(keras.optimizers, name)(**keywords))
            tensors = [keras.ops.convert_to_tensor(gradient) for gradient in grads]
            optimizer[0].apply_gradients(zip(tensors, variables))
            for p, variable in zip(params, variables):
                p[...] = keras.ops.convert_to_numpy(variable)

        return step

    return Implementation(f"keras.optimizers.{name}", frozenset(KERAS_ARGUMENTS), make)


# ----------------------------------------------------------------------------- a user's function


def user_function(target: str) -> Callable:
    """The function ``module:function`` names, importable from sys.path or the working directory.

    The working directory is searched too because the ``trainspec`` console script, unlike
    ``python -m``, does not put it on sys.path, and a user's module usually sits there.
    """
    module_name, _, function_name = target.partition(":")
    if os.getcwd() not in sys.path:
        sys.path.append(os.getcwd())
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise ValueError(f"{target}: cannot import {module_name}: {error}") from error
    function = getattr(module, function_name, None)
    if not callable(function):
        raise ValueError(f"{target}: {module_name} has no function {function_name!r}")
    return function


def _user(target: str) -> Implementation:
    function = user_function(target)

    def make(arguments: Mapping[str, float | bool]) -> Stepper:
        state: dict = {}

        def step(params: list[np.ndarray], grads: list[np.ndarray], t: int) -> None:
            function(params, grads, state, t, **arguments)

        return step

    return Implementation(target, None, make)
