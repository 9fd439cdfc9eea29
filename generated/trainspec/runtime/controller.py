"""The learning-rate controller that every generated controller class extends.

A controller sets the rate from a metric measured once per epoch (PyTorch's
and Keras's ReduceLROnPlateau). A generated class declares its data: its
arguments and their domains, the kernel of each variant (one epoch of the
update, compiled by Numba) and the initial state; this module does what is the
same for all: checking arguments before anything is computed, choosing the
variant, stepping it (``controller.step(metric)`` returns the rate to use
next), and saving and restoring its state and config.

    controller = ReduceLROnPlateau(learning_rate=0.1, patience=5)
    for epoch in range(epochs):
        train_one_epoch(optimizer)
        optimizer.learning_rate = controller.step(validation_loss())
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from .arguments import argument_text
from .schedule import Argument, checked_argument


@dataclass(frozen=True)
class ControllerKernel:
    """One generated variant: one epoch of its update, the arguments it takes after the metric and the state, its
    initial state and the arguments that takes."""

    name: str
    step: Callable[..., tuple]
    arguments: tuple[str, ...]
    initial: Callable[..., tuple]
    initial_arguments: tuple[str, ...]


class Controller:
    """A learning rate set from a metric, once per epoch; its state carried from one epoch to the next.

    Subclasses are generated from a spec; they set the class attributes below and pass their constructor
    arguments to ``__init__`` by name.
    """

    arguments: ClassVar[tuple[Argument, ...]] = ()
    choices: ClassVar[tuple[str, ...]] = ()
    variants: ClassVar[dict[tuple, ControllerKernel]] = {}
    state_names: ClassVar[tuple[str, ...]] = ()
    """The state, in the order the kernels take and return it; ``learning_rate`` among it."""
    counts: ClassVar[frozenset[str]] = frozenset()
    """The state that is a whole number (epochs counted)."""

    def __init__(self, name: str | None = None, **arguments: Any):
        label = type(self).__name__
        checked = {a.name: checked_argument(label, a, arguments[a.name]) for a in self.arguments}
        self.name = label if name is None else str(name)
        self._config = checked
        self.kernel = self.variants[tuple(checked[c] for c in self.choices)]
        self._kernel_arguments = tuple(_kernel_value(checked[a]) for a in self.kernel.arguments)
        self._state = tuple(self.kernel.initial(*(_kernel_value(checked[a]) for a in self.kernel.initial_arguments)))
        self._rate = self.state_names.index("learning_rate")
        self.epochs = 0

    # ----------------------------------------------------------------- stepping

    def step(self, metric: float) -> float:
        """One epoch: the metric measured at its end (a validation loss); returns the rate for the next epoch.

        The metric is a real number, or anything with one that ``float`` takes (a NumPy scalar, a one-element array
        or tensor, as PyTorch's scheduler takes them). NaN counts as no improvement, as in PyTorch and Keras (every
        comparison with it is false).
        """
        if type(metric) is not float:  # a float goes to the kernel as it is; anything else is checked first
            metric = _checked_metric(type(self).__name__, metric)
        self._state = self.kernel.step(metric, *self._state, *self._kernel_arguments)
        self.epochs += 1
        return self._state[self._rate]

    @property
    def learning_rate(self) -> float:
        """The rate in effect: the starting rate until the first cut."""
        return float(self._state[self._rate])

    # ----------------------------------------------------------------- state and config

    def state_dict(self) -> dict[str, Any]:
        """The state after the epochs stepped so far, and their count: what ``load_state_dict`` restores."""
        return {"epochs": self.epochs, **dict(zip(self.state_names, self._state))}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore a ``state_dict``; a missing, unknown or ill-typed entry is refused before anything changes."""
        label = type(self).__name__
        if not isinstance(state, dict):
            raise TypeError(f"{label}.load_state_dict takes a dict, got {type(state).__name__}")
        expected = {"epochs", *self.state_names}
        if set(state) != expected:
            missing, unknown = sorted(expected - set(state)), sorted(set(state) - expected)
            raise ValueError(f"{label}.load_state_dict: missing {missing}, unknown {unknown}")
        restored = tuple(_state_value(label, name, state[name], name in self.counts) for name in self.state_names)
        epochs = _state_value(label, "epochs", state["epochs"], True)
        if epochs < 0:
            raise ValueError(f"{label}.load_state_dict: epochs must be >= 0, got {epochs}")
        self._state, self.epochs = restored, epochs

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments that recreate this controller (``from_config``), as Keras configs read."""
        return {**self._config, "name": self.name}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Controller:
        return cls(**config)

    def __repr__(self) -> str:
        arguments = ", ".join(f"{a.name}={argument_text(self._config[a.name])}" for a in self.arguments)
        return f"{type(self).__name__}({arguments})"


def _checked_metric(label: str, metric: Any) -> float:
    """``metric`` as a float: a real number, or an object ``float`` takes (a one-element array or tensor)."""
    refused = isinstance(metric, (bool, np.bool_, str, bytes, complex))
    if refused or not (isinstance(metric, numbers.Real) or hasattr(metric, "__float__")):
        raise TypeError(f"{label}.step takes the metric as a real number, got {type(metric).__name__} {metric!r}")
    try:
        return float(metric)
    except (TypeError, ValueError, RuntimeError) as error:  # an array or tensor of several elements
        raise TypeError(f"{label}.step takes one metric, got {type(metric).__name__}: {error}") from None


def _kernel_value(value: Any) -> Any:
    """An argument as the kernels take it: a choice's value is no kernel argument; a whole number stays one."""
    return value if isinstance(value, int) and not isinstance(value, bool) else float(value)


def _state_value(label: str, name: str, value: Any, count: bool) -> float | int:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{label}.load_state_dict: {name} must be a number, got {type(value).__name__} {value!r}")
    if count:
        if not (math.isfinite(value) and float(value).is_integer() and value >= 0):
            raise ValueError(f"{label}.load_state_dict: {name} must be a whole number >= 0, got {value!r}")
        return int(value)
    return float(value)
