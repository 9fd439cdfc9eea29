"""The Keras-style optimizer driver that every generated optimizer class extends.

A generated class declares its data (argument domains, switches, the kernel
of each variant, initial state); this module does everything that is the same
for all of them: checking arguments and arrays before anything is touched,
creating state, the Keras base options (gradient clipping, decoupled weight
decay), calling the kernels, and saving and restoring state bit-exactly.
"""

from __future__ import annotations

import json
import math
import numbers
import os
import zipfile
from collections.abc import Callable, Iterable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from .arguments import FLOAT_DTYPES, Constraint, Domain, argument_text, checked_real
from .multi_tensor import Reduction, address, step_tensors
from .schedule import Schedule, deserialize, serialize

COPY_OF_PARAMETER = "copy of the parameter"
"""The initial value (in ``initial_state``) of a state that starts as the parameter itself (schedule-free's z)."""


def initial_slot(param: np.ndarray, value: float | str) -> np.ndarray:
    """A state array for ``param``: a copy of it, or filled with ``value``, in its shape and dtype."""
    if value == COPY_OF_PARAMETER:
        return np.array(param, dtype=param.dtype, order="C", copy=True)
    return np.full(param.shape, value, dtype=param.dtype)


def per_tensor_table(states: Sequence[Mapping[str, float]], names: tuple[str, ...]) -> np.ndarray | None:
    """The state kept per tensor, ``names`` of each of ``states`` (one mapping per tensor), as the float64 table a
    reduction's finish updates in place: a row per tensor. None where a variant keeps none."""
    return np.array([[state[name] for name in names] for state in states]) if names else None


def store_per_tensor(
    states: Sequence[MutableMapping[str, float]], names: tuple[str, ...], table: np.ndarray | None
) -> None:
    """Write a ``per_tensor_table`` the finish has updated back into ``states``."""
    if table is not None:
        for state, row in zip(states, table.tolist()):
            state.update(zip(names, row))


@dataclass(frozen=True)
class Switch:
    """An option that selects a variant: a boolean ``flag``, or a hyperparameter on unless it equals ``value``."""

    argument: str
    kind: str
    value: float = 0.0


@dataclass(frozen=True)
class KernelVariant:
    """One generated variant: its per-step scalar function and its element kernel."""

    name: str
    scalars: Callable[..., tuple[tuple[float, ...], tuple[float, ...]]]
    kernel: Callable[..., None]
    rows: Callable[..., None]
    """The kernel over the rows of a multi-tensor table (``runtime.multi_tensor``)."""
    hyperparameters: tuple[str, ...]
    state: tuple[str, ...]
    optimizer_state: tuple[str, ...]
    tensor_state: tuple[str, ...] = ()
    """The state kept as one float64 per tensor (NovoGrad's second moment), which the reduction's finish updates."""
    reduction: Reduction | None = None
    """For a variant with sums over the tensor: the pass computing them, before ``rows`` (then its update)."""


class Optimizer:
    """Updates a list of NumPy arrays in place from their gradients, as Keras 3 does.

    Subclasses are generated from a spec; they set the class attributes below
    and pass their constructor arguments to ``__init__``.
    """

    domains: ClassVar[tuple[Domain, ...]]
    switches: ClassVar[tuple[Switch, ...]]
    variants: ClassVar[dict[tuple[bool, ...], KernelVariant]]
    initial_state: ClassVar[Callable[[dict[str, float]], dict[str, float | str]]]
    default_name: ClassVar[str]
    # False for a spec in another library's convention: no Keras weight_decay or clipping arguments, and a
    # hyperparameter of its own may then be called weight_decay (PyTorch's L2 term).
    keras_base_options: ClassVar[bool] = True
    constraints: ClassVar[tuple[Constraint, ...]] = ()

    def __init__(
        self,
        hyperparameters: dict[str, Any],
        flags: dict[str, Any],
        weight_decay: float | None = None,
        clipnorm: float | None = None,
        clipvalue: float | None = None,
        global_clipnorm: float | None = None,
        name: str | None = None,
    ):
        clipping = {"clipnorm": clipnorm, "clipvalue": clipvalue, "global_clipnorm": global_clipnorm}
        settings = checked_settings(type(self), hyperparameters, flags, weight_decay, clipping)
        self._hyperparameters, self._flags, self._schedule = settings.hyperparameters, settings.flags, settings.schedule
        self.weight_decay = settings.weight_decay
        self.clipnorm, self.clipvalue, self.global_clipnorm = clipnorm, clipvalue, global_clipnorm
        self.iterations = 0
        self.name = self.default_name if name is None else str(name)
        self.variant = select_variant(type(self), {**self._flags, **self._all_hyperparameters()})
        self._slots: list[dict[str, np.ndarray]] | None = None
        self._tensor_state: list[dict[str, float]] | None = None
        self._addresses: list[tuple[int, ...]] | None = None
        self._optimizer_state = {
            n: float(v)
            for n, v in self.initial_state(self._all_hyperparameters()).items()
            if n in self.variant.optimizer_state
        }

    # ----------------------------------------------------------------- configuration

    def _all_hyperparameters(self) -> dict[str, float]:
        values = dict(self._hyperparameters)
        if self.keras_base_options:
            values["weight_decay"] = self.weight_decay or 0.0
        if self._schedule is not None:
            values["learning_rate"] = float(self._schedule(self.iterations))
        return values

    @property
    def learning_rate(self) -> float:
        """The learning rate of the next step (a schedule's value at ``iterations``)."""
        return self._all_hyperparameters()["learning_rate"]

    @learning_rate.setter
    def learning_rate(self, value: float) -> None:
        """A new constant rate for the steps from now on (a controller's, after each epoch), checked against its domain
        before anything changes. An optimizer built with a schedule refuses it, as Keras does: its rate is the
        schedule's."""
        if self._schedule is not None:
            raise TypeError(
                f"{type(self).__name__} was built with the schedule {self._schedule!r} as its learning_rate, which "
                "sets the rate of every step: build it with a number to set the rate yourself"
            )
        domain = next(d for d in self.domains if d.argument == "learning_rate")
        self._hyperparameters["learning_rate"] = checked_real("learning_rate", value, domain)

    @property
    def learning_rate_schedule(self) -> Schedule | None:
        """The schedule given as ``learning_rate``, or None for a constant rate."""
        return self._schedule

    def _configured_hyperparameters(self) -> dict[str, Any]:
        if self._schedule is None:
            return dict(self._hyperparameters)
        return {"learning_rate": serialize(self._schedule), **self._hyperparameters}

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments that recreate this optimizer (``from_config``)."""
        config = {"name": self.name, **self._configured_hyperparameters(), **self._flags}
        if self.keras_base_options:
            config.update(
                weight_decay=self.weight_decay,
                clipnorm=self.clipnorm,
                clipvalue=self.clipvalue,
                global_clipnorm=self.global_clipnorm,
            )
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Optimizer:
        config = dict(config)
        if isinstance(config.get("learning_rate"), dict):
            config["learning_rate"] = deserialize(config["learning_rate"])
        return cls(**config)

    def __repr__(self) -> str:
        config = self.get_config().items()
        arguments = ", ".join(f"{k}={argument_text(v)}" for k, v in config if v is not None and k != "name")
        return f"{type(self).__name__}({arguments})"

    # ----------------------------------------------------------------- stepping

    def build(self, params: Sequence[np.ndarray]) -> None:
        """Create the state for ``params`` (done by the first ``apply`` if not called)."""
        params = list(params)
        _check_params(params)
        initial = self.initial_state(self._all_hyperparameters())
        self._slots = [{name: initial_slot(p, initial[name]) for name in self.variant.state} for p in params]
        self._tensor_state = [{name: float(initial[name]) for name in self.variant.tensor_state} for _ in params]
        self._addresses = None

    def apply(self, grads: Iterable[np.ndarray], params: Iterable[np.ndarray]) -> None:
        """One optimizer step: update every array of ``params`` in place from ``grads``.

        Every argument is checked first; on any error no array has changed.
        """
        grads, params = list(grads), list(params)
        self._check_step(grads, params)
        if self._slots is None:
            self.build(params)
        grads = clipped(grads, self.clipnorm, self.clipvalue, self.global_clipnorm)
        t = self.iterations + 1
        hyperparameters = self._all_hyperparameters()
        arguments = [hyperparameters[arg] for arg in self.variant.hyperparameters]
        optimizer_state = [self._optimizer_state[n] for n in self.variant.optimizer_state]
        scalars, new_optimizer_state = self.variant.scalars(*arguments, t, *optimizer_state)
        # One call steps every array of a dtype: the rows of a table of their addresses (runtime.multi_tensor).
        by_dtype: dict[np.dtype, tuple[list, list, list]] = {}
        for index, (p, g, slots) in enumerate(zip(params, grads, self._slot_addresses())):
            addresses, sizes, indices = by_dtype.setdefault(p.dtype, ([], [], []))
            addresses.append((address(p), address(g), *slots))
            sizes.append(p.size)
            indices.append(index)
        for dtype, (addresses, sizes, indices) in by_dtype.items():
            states = [self._tensor_state[index] for index in indices]
            per_tensor = per_tensor_table(states, self.variant.tensor_state)
            step_tensors(self.variant.rows, addresses, sizes, dtype, scalars, self.variant.reduction, per_tensor)
            store_per_tensor(states, self.variant.tensor_state, per_tensor)
        self._optimizer_state = dict(zip(self.variant.optimizer_state, map(float, new_optimizer_state)))
        self.iterations += 1

    def _slot_addresses(self) -> list[tuple[int, ...]]:
        """The address of each parameter's state arrays, in the variant's order (they move only with the state)."""
        if self._addresses is None:
            self._addresses = [tuple(address(slots[n]) for n in self.variant.state) for slots in self._slots]
        return self._addresses

    def apply_gradients(self, grads_and_vars: Iterable[tuple[np.ndarray, np.ndarray]]) -> None:
        """Keras's spelling: ``apply_gradients(zip(grads, params))``."""
        pairs = list(grads_and_vars)
        self.apply([g for g, _ in pairs], [p for _, p in pairs])

    def _check_step(self, grads: list, params: list) -> None:
        if len(grads) != len(params):
            raise ValueError(f"got {len(grads)} gradients for {len(params)} parameters")
        _check_params(params)
        for index, (g, p) in enumerate(zip(grads, params)):
            _check_array(f"grads[{index}]", g)
            if g.shape != p.shape:
                raise ValueError(f"grads[{index}] has shape {g.shape} but params[{index}] has shape {p.shape}")
            if g.dtype != p.dtype:
                raise TypeError(f"grads[{index}] has dtype {g.dtype} but params[{index}] has dtype {p.dtype}")
        if self._slots is not None:
            if len(self._slots) != len(params):
                raise ValueError(f"this optimizer was built for {len(self._slots)} parameters, got {len(params)}")
            for index, (p, slots) in enumerate(zip(params, self._slots)):
                for name, array in slots.items():
                    if array.shape != p.shape or array.dtype != p.dtype:
                        raise ValueError(
                            f"params[{index}] is {p.dtype}{list(p.shape)} but its state {name!r} "
                            f"was built for {array.dtype}{list(array.shape)}"
                        )

    # ----------------------------------------------------------------- state

    def get_state(self) -> dict[str, Any]:
        """Everything needed to resume bit-exactly: the step count and copies of all state."""
        return {
            "optimizer": type(self).__name__,
            "variant": self.variant.name,
            "iterations": self.iterations,
            "optimizer_state": dict(self._optimizer_state),
            "slots": None if self._slots is None else [{n: a.copy() for n, a in s.items()} for s in self._slots],
            "tensor_state": None if self._tensor_state is None else [dict(s) for s in self._tensor_state],
        }

    def set_state(self, state: dict[str, Any]) -> None:
        """Restore what ``get_state`` returned; checked whole before anything is replaced."""
        if state.get("optimizer") != type(self).__name__ or state.get("variant") != self.variant.name:
            raise ValueError(
                f"state of {state.get('optimizer')} ({state.get('variant')}) cannot be loaded into "
                f"{type(self).__name__} ({self.variant.name}); build the optimizer from the same config"
            )
        iterations = state["iterations"]
        if isinstance(iterations, bool) or not isinstance(iterations, numbers.Integral) or iterations < 0:
            raise ValueError(f"iterations must be a non-negative integer, got {iterations!r}")
        if set(state["optimizer_state"]) != set(self.variant.optimizer_state):
            raise ValueError(
                f"optimizer_state must hold {self.variant.optimizer_state}, got {sorted(state['optimizer_state'])}"
            )
        slots = state["slots"]
        if slots is not None:
            for index, s in enumerate(slots):
                if set(s) != set(self.variant.state):
                    raise ValueError(f"slots[{index}] must hold {self.variant.state}, got {sorted(s)}")
                for name, array in s.items():
                    _check_array(f"slots[{index}][{name!r}]", array)
            self._check_slots_fit(slots)
            slots = [{n: np.array(a, copy=True) for n, a in s.items()} for s in slots]
        # Convert everything before assigning anything: a refused restore leaves the optimizer as it was.
        optimizer_state = {
            n: _checked_state_scalar("optimizer_state", n, v) for n, v in state["optimizer_state"].items()
        }
        tensor_state = self._checked_tensor_state(state.get("tensor_state"), slots)
        self.iterations = int(iterations)
        self._optimizer_state = optimizer_state
        self._slots, self._tensor_state, self._addresses = slots, tensor_state, None

    def _checked_tensor_state(self, given: Any, slots: list | None) -> list[dict[str, float]] | None:
        """The per-tensor state of a restore: one dict per parameter, as the slots have, or None before a build."""
        names = set(self.variant.tensor_state)
        if slots is None or (given is None and not names):
            if given is not None:
                raise ValueError("tensor_state must be None where slots is None (the optimizer is not built)")
            return None if slots is None else [{} for _ in slots]
        if not isinstance(given, list) or len(given) != len(slots):
            raise ValueError(f"tensor_state must be a list of one dict per parameter ({len(slots)}), got {given!r}")
        for index, entry in enumerate(given):
            if not isinstance(entry, dict) or set(entry) != names:
                raise ValueError(f"tensor_state[{index}] must hold {self.variant.tensor_state}, got {entry!r}")
        return [
            {n: _checked_state_scalar(f"tensor_state[{i}]", n, v) for n, v in e.items()} for i, e in enumerate(given)
        ]

    def _check_slots_fit(self, slots: list[dict[str, np.ndarray]]) -> None:
        """Each parameter's slots share one shape and dtype: the built parameters' where the optimizer is built."""
        if self._slots is not None and len(slots) != len(self._slots):
            raise ValueError(f"slots hold state for {len(slots)} parameters; this optimizer has {len(self._slots)}")
        for index, s in enumerate(slots):
            built = None if self._slots is None else next(iter(self._slots[index].values()), None)
            expected = built if built is not None else next(iter(s.values()), None)
            for name, array in s.items():
                if array.shape != expected.shape or array.dtype != expected.dtype:
                    raise ValueError(
                        f"slots[{index}][{name!r}] is {array.dtype}{list(array.shape)} but parameter {index} "
                        f"is {expected.dtype}{list(expected.shape)}"
                    )

    def save_state(self, path: str | os.PathLike) -> None:
        """Write ``get_state()`` and the config to one ``.npz`` file."""
        state = self.get_state()
        arrays = {}
        for index, slots in enumerate(state["slots"] or []):
            for name, array in slots.items():
                arrays[f"slot.{index}.{name}"] = array
        header = {k: v for k, v in state.items() if k != "slots"}
        header["n_params"] = None if state["slots"] is None else len(state["slots"])
        header["config"] = self.get_config()
        np.savez(path, header=np.frombuffer(json.dumps(header).encode(), dtype=np.uint8), **arrays)

    def load_state(self, path: str | os.PathLike) -> None:
        """Restore what ``save_state`` wrote; a file that is not one (truncated, corrupted) is named in the error."""
        try:
            with np.load(path) as data:
                header = json.loads(bytes(data["header"]).decode())
                n_params = header.pop("n_params")
                header.pop("config")
                slots = None
                if n_params is not None:
                    # The names come from the file, so set_state can say what does not fit (another variant's state).
                    slots = [{} for _ in range(n_params)]
                    for key in data.files:
                        if key.startswith("slot."):
                            _, index, name = key.split(".", 2)
                            slots[int(index)][name] = data[key]
        except FileNotFoundError:
            raise
        except (OSError, EOFError, ValueError, KeyError, IndexError, TypeError, zipfile.BadZipFile) as error:
            raise ValueError(
                f"{os.fspath(path)} is not an optimizer state saved by save_state (truncated or corrupted?): "
                f"{type(error).__name__}: {error}"
            ) from error
        self.set_state({**header, "slots": slots})


@dataclass(frozen=True)
class Settings:
    """An optimizer's arguments, checked: what its kernels and its base options run with."""

    hyperparameters: dict[str, float]
    """Every hyperparameter but a scheduled learning rate."""
    flags: dict[str, bool]
    schedule: Schedule | None
    """The schedule given as learning_rate, or None for a constant rate."""
    weight_decay: float | None
    """The Keras base option; None when off (and always for another library's convention)."""


def checked_settings(
    declaration: type[Optimizer],
    hyperparameters: dict[str, Any],
    flags: dict[str, Any],
    weight_decay: float | None = None,
    clipping: dict[str, float | None] | None = None,
) -> Settings:
    """The arguments of an optimizer of class ``declaration``, each checked against its domain, or an error naming
    the argument and its value."""
    domains = {domain.argument: domain for domain in declaration.domains}
    # A schedule as learning_rate is evaluated at the 0-based iterations once per step (Keras's convention).
    schedule = _learning_rate_schedule(hyperparameters.get("learning_rate"))
    checked = {
        arg: checked_real(arg, value, domains[arg])
        for arg, value in hyperparameters.items()
        if not (arg == "learning_rate" and schedule is not None)
    }
    checked_flags = {arg: _checked_flag(arg, value) for arg, value in flags.items()}
    for constraint in declaration.constraints:
        constraint.check({**checked, **checked_flags})
    if weight_decay is not None:
        weight_decay = checked_real("weight_decay", weight_decay, domains["weight_decay"])
    clipping = clipping or {}
    for arg, value in clipping.items():
        if value is not None:
            checked_real(arg, value, Domain(arg, 0.0, math.inf, True, True))
    if sum(value is not None for value in clipping.values()) > 1:
        given = ", ".join(arg for arg, value in clipping.items() if value is not None)
        raise ValueError(f"set at most one of clipnorm, clipvalue, global_clipnorm; got {given}")
    return Settings(checked, checked_flags, schedule, weight_decay)


def select_variant(declaration: type[Optimizer], values: dict[str, Any]) -> KernelVariant:
    """The variant that the switches of ``declaration`` select for these argument values."""
    switches = tuple(
        bool(values[s.argument]) if s.kind == "flag" else values[s.argument] != s.value for s in declaration.switches
    )
    return declaration.variants[switches]


def clipped(
    grads: list[np.ndarray], clipnorm: float | None, clipvalue: float | None, global_clipnorm: float | None
) -> list[np.ndarray]:
    """Keras's gradient clipping, on copies: the caller's gradients are never modified."""
    if clipvalue is not None:
        return [np.clip(g, -clipvalue, clipvalue) for g in grads]
    if clipnorm is not None:
        return [g * g.dtype.type(norm_clip_scale(float(np.linalg.norm(g)), clipnorm)) for g in grads]
    if global_clipnorm is not None:
        scale = global_clip_scale(math.sqrt(sum(float(np.vdot(g, g)) for g in grads)), global_clipnorm)
        return [g * g.dtype.type(scale) for g in grads]
    return grads


def norm_clip_scale(norm: float, clipnorm: float) -> float:
    """The factor Keras's ``clipnorm`` scales a gradient of L2 norm ``norm`` by."""
    return clipnorm / max(norm, clipnorm)


def global_clip_scale(norm: float, global_clipnorm: float) -> float:
    """The factor Keras's ``global_clipnorm`` scales every gradient by, given their joint L2 norm ``norm``."""
    c = global_clipnorm
    if not math.isfinite(norm):
        return math.nan
    return c * min(1.0 / norm, 1.0 / c) if norm > 0 else 1.0


def _learning_rate_schedule(value: Any) -> Schedule | None:
    """``value`` if it is a schedule; None for a number (checked as a float later); an error otherwise."""
    if isinstance(value, Schedule):
        return value
    if callable(value):
        raise TypeError(
            f"learning_rate must be a float or a trainspec schedule, got the callable {value!r}; "
            "to use your own function of the step, subclass trainspec.schedules.Schedule"
        )
    return None


def _checked_state_scalar(where: str, name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{where}[{name!r}] must be a float, got {type(value).__name__} {value!r}")
    return float(value)


def _checked_flag(argument: str, value: Any) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{argument} must be True or False, got {type(value).__name__} {value!r}")
    return bool(value)


def _check_array(label: str, array: Any) -> None:
    if not isinstance(array, np.ndarray):
        raise TypeError(f"{label} must be a numpy.ndarray, got {type(array).__name__}")
    if array.dtype not in FLOAT_DTYPES:
        raise TypeError(f"{label} has dtype {array.dtype}; only float32 and float64 arrays can be trained")
    if not array.flags.c_contiguous:
        raise ValueError(f"{label} is not C-contiguous; pass numpy.ascontiguousarray(...) instead")


def _check_params(params: list) -> None:
    for index, p in enumerate(params):
        _check_array(f"params[{index}]", p)
        if not p.flags.writeable:
            raise ValueError(f"params[{index}] is read-only; the optimizer updates parameters in place")
    seen: dict[int, int] = {}
    for index, p in enumerate(params):
        if id(p) in seen:
            raise ValueError(f"params[{index}] is the same array as params[{seen[id(p)]}]")
        seen[id(p)] = index
