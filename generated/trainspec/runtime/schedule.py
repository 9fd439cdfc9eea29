"""The Keras-style learning-rate schedule that every generated schedule class extends.

A generated class declares its data (its arguments and their domains, the
kernel of each variant, the rules for arguments left as ``None``); this
module does what is the same for all: checking arguments before anything is
computed, choosing the variant, evaluating the kernels at one step
(``schedule(step)``) or at many (``schedule.values(steps)``), running the
parts of a composition (a warmup and the schedule that follows it; schedules
joined one after another) each from its first step, and serialising to and
from a config as Keras does (``{"class_name": ..., "config": ...}``).

Every schedule is a function of the 0-based step (Keras passes
``optimizer.iterations``, 0 on the first update). Values are computed in
float64; ``values(..., dtype=np.float32)`` rounds each to float32 once.
"""

from __future__ import annotations

import itertools
import math
import numbers
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, ClassVar

import numba
import numpy as np

from .arguments import argument_text, number_text


@numba.njit(cache=True)
def floor_log(x: float, base: float) -> int:
    """``floor(log(x) / log(base))`` exactly, for ``x >= 1`` and ``base > 1``.

    The quotient of two rounded logarithms can fall just below an integer
    when ``x`` is an exact power of ``base`` (``log(243)/log(3)`` is
    4.999... in float64). The estimate is corrected by comparing ``x``
    with powers of ``base``, which are exact while they are representable.
    """
    estimate = math.floor(math.log(x) / math.log(base))
    index = max(estimate, 0)
    while base ** (index + 1) <= x:
        index += 1
    while index > 0 and base**index > x:
        index -= 1
    return index


@dataclass(frozen=True)
class Argument:
    """One constructor argument and what it accepts.

    ``kind``: ``"number"`` (a real in ``[lower, upper]``, ends open or
    closed, ``integer`` for whole numbers only), ``"list"`` (finite reals,
    whole ones where ``integer``; its length is ``len(length_of) +
    length_offset`` when ``length_of`` is set), ``"choice"`` (one of
    ``choices``), ``"schedule"`` (a Schedule) or ``"schedules"`` (a list of
    them, its length set as a list's).
    ``optional``: ``None`` is accepted (a ``WhenNone`` rule says what it means).
    """

    name: str
    kind: str
    required: bool
    default: Any = None
    optional: bool = False
    lower: float = -math.inf
    upper: float = math.inf
    lower_open: bool = True
    upper_open: bool = True
    integer: bool = False
    choices: tuple = ()
    increasing: bool = False
    length_of: str | None = None
    length_offset: int = 0

    def describe(self) -> str:
        """The domain in words: ``> 0``, ``>= 0 and <= 1``, ``an integer >= 1``."""
        parts = []
        if self.lower != -math.inf:
            parts.append(f"{'>' if self.lower_open else '>='} {number_text(self.lower)}")
        if self.upper != math.inf:
            parts.append(f"{'<' if self.upper_open else '<='} {number_text(self.upper)}")
        bounds = " and ".join(parts) or "finite"
        return f"an integer {bounds}" if self.integer else bounds


@dataclass(frozen=True)
class ScheduleKernel:
    """One generated variant: its scalar kernel, its array form, and the arguments both take after the step."""

    name: str
    scalar: Callable[..., float]
    array: Callable[..., None]
    arguments: tuple[str, ...]


_CLASSES: dict[str, type[Schedule]] = {}


def register(*classes: type[Schedule]) -> None:
    """Make ``classes`` known to ``deserialize`` (the generated package registers its own). A name that another class
    holds already is an error: one package imported twice under two module names would otherwise swap its classes
    for their twins, and ``isinstance`` checks against the first import would fail far from the cause."""
    for cls in classes:
        taken = _CLASSES.get(cls.__name__)
        if taken is not None and taken is not cls:
            raise ValueError(
                f"a schedule class named {cls.__name__} is registered already, from {taken.__module__}; "
                f"{cls.__module__}.{cls.__name__} would replace it (is the generated package imported twice, "
                "under two module names?)"
            )
        _CLASSES[cls.__name__] = cls


def serialize(schedule: Schedule) -> dict[str, Any]:
    """Keras's form: ``{"class_name": "CosineDecay", "config": {...}}``."""
    return {"class_name": type(schedule).__name__, "config": schedule.get_config()}


def deserialize(config: dict[str, Any]) -> Schedule:
    """The schedule that ``serialize`` described."""
    if not isinstance(config, dict) or set(config) - {"class_name", "config", "module", "registered_name"}:
        raise ValueError(f"a serialised schedule is {{'class_name': ..., 'config': {{...}}}}, got {config!r}")
    name = config.get("class_name")
    if name not in _CLASSES:
        known = ", ".join(sorted(_CLASSES)) or "none registered (import trainspec first)"
        raise ValueError(f"unknown schedule {name!r}; known: {known}")
    return _CLASSES[name].from_config(config.get("config", {}))


class Schedule:
    """A learning rate as a function of the 0-based step, as Keras's ``LearningRateSchedule``.

    Subclasses are generated from a spec; they set the class attributes
    below and pass their constructor arguments to ``__init__`` by name.
    A hand-written subclass may instead override ``__call__`` and
    ``get_config``; ``values`` then falls back to calling it at each step.
    """

    arguments: ClassVar[tuple[Argument, ...]] = ()
    choices: ClassVar[tuple[str, ...]] = ()
    variants: ClassVar[dict[tuple, ScheduleKernel]] = {}
    # The warmup form: (argument holding the following schedule, argument holding the boundary step).
    then: ClassVar[tuple[str, str] | None] = None
    # Schedules joined one after another: (argument holding the schedules, argument holding the boundaries).
    joined: ClassVar[tuple[str, str] | None] = None
    # The spec's rules for arguments left as None: a function of the config returning the kernels' values.
    effective_arguments: ClassVar[Callable[[dict[str, Any]], dict[str, Any]]] = staticmethod(lambda config: config)

    def __init__(self, name: str | None = None, **arguments: Any):
        label = type(self).__name__
        checked = {a.name: checked_argument(label, a, arguments[a.name]) for a in self.arguments}
        _check_lengths(label, self.arguments, checked)
        self.name = label if name is None else str(name)
        self._config = checked
        effective = type(self).effective_arguments(dict(checked))
        # The parts of the schedule, each with its first step: None is the schedule's own formula, a Schedule runs
        # from its first step on, re-based to its own step 0.
        self._parts: tuple[tuple[int, Schedule | None], ...] = ((0, None),)
        if self.then is not None:
            following, boundary = self.then
            self._parts = ((0, None), (int(effective[boundary]), checked[following]))
            effective["target"] = checked[following](0)
        if self.joined is not None:
            schedules, boundaries = self.joined
            starts = (0, *(int(b) for b in checked[boundaries]))
            self._parts = tuple(zip(starts, checked[schedules]))
        # A hand-written subclass has no generated kernels: it computes its values in __call__; so has a join.
        self.kernel = self.variants[tuple(checked[c] for c in self.choices)] if self.variants else None
        arguments_used = self.kernel.arguments if self.kernel else ()
        self._kernel_arguments = tuple(_kernel_value(effective[a]) for a in arguments_used)

    # ----------------------------------------------------------------- evaluation

    def __call__(self, step: int) -> float:
        """The learning rate at the 0-based ``step``, a float (a hand-written subclass overrides this)."""
        step = _checked_step(step)
        return self._part_value(self._part_at(step), step)

    def continued(self, step: int) -> float:
        """The part in effect at ``step - 1`` taken on to ``step``: at a join, the formula before it at its end.

        Where the part does not change at ``step`` it is the value itself; the jump at a boundary ``b`` is
        ``schedule(b) - schedule.continued(b)``.
        """
        step = _checked_step(step)
        return self._part_value(self._part_at(max(step - 1, 0)), step)

    def _part_at(self, step: int) -> int:
        """The index of the part in effect at ``step``: the last one that has started."""
        return next(index for index in reversed(range(len(self._parts))) if self._parts[index][0] <= step)

    def _part_value(self, index: int, step: int) -> float:
        start, schedule = self._parts[index]
        if schedule is not None:
            return float(schedule(step - start))
        if self.kernel is None:
            raise TypeError(f"{type(self).__name__} has no generated formula of its own")
        return float(self.kernel.scalar(step, *self._kernel_arguments))

    def values(self, steps: int | Iterable[int], dtype: Any = np.float64) -> np.ndarray:
        """The learning rate at many steps in one call: ``steps`` is a count N (steps 0 .. N-1) or integers."""
        steps = _checked_steps(steps)
        dtype = np.dtype(dtype)
        if dtype not in (np.dtype(np.float32), np.dtype(np.float64)):
            raise TypeError(f"dtype must be float32 or float64, got {dtype}")
        out = np.empty(steps.shape, dtype=dtype)
        if not self.variants and self.joined is None:
            out[...] = [self(int(s)) for s in steps.reshape(-1)]
            return out
        if self._parts == ((0, None),):  # the schedule's own formula, at every step
            self.kernel.array(steps.reshape(-1), out.reshape(-1), *self._kernel_arguments)
            return out
        flat, written = steps.reshape(-1), out.reshape(-1)
        for (start, schedule), inside in zip(self._parts, _split(flat, [start for start, _ in self._parts])):
            if schedule is not None:
                written[inside] = schedule.values(flat[inside] - start, dtype=dtype)
            else:
                own = np.empty(flat[inside].shape, dtype=dtype)
                self.kernel.array(flat[inside], own, *self._kernel_arguments)
                written[inside] = own
        return out

    # ----------------------------------------------------------------- configuration

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments that recreate this schedule (``from_config``)."""
        config = {}
        for argument in self.arguments:
            value = self._config[argument.name]
            if argument.kind == "schedule":
                value = serialize(value)
            elif argument.kind == "schedules":
                value = [serialize(schedule) for schedule in value]
            elif argument.kind == "list" and argument.integer:
                value = [int(x) for x in value]
            elif argument.kind == "list":
                value = [float(x) for x in value]
            config[argument.name] = value
        config["name"] = self.name
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Schedule:
        config = dict(config)
        for argument in cls.arguments:
            if argument.kind == "schedule" and isinstance(config.get(argument.name), dict):
                config[argument.name] = deserialize(config[argument.name])
            if argument.kind == "schedules" and isinstance(config.get(argument.name), (list, tuple)):
                config[argument.name] = [deserialize(x) if isinstance(x, dict) else x for x in config[argument.name]]
        return cls(**config)

    def __repr__(self) -> str:
        arguments = ", ".join(f"{a.name}={argument_text(self._config[a.name])}" for a in self.arguments)
        return f"{type(self).__name__}({arguments})"

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.get_config() == self.get_config()

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.name))


def _split(steps: np.ndarray, starts: list[int]) -> list[slice | np.ndarray]:
    """Which of ``steps`` each part of a composition takes (the parts start at ``starts``, in order): slices where
    the steps are in order (``values(N)``: no copies of the steps to mark them), else masks."""
    if steps.size < 2 or bool(np.all(steps[1:] >= steps[:-1])):
        edges = [*np.searchsorted(steps, starts, side="left").tolist(), steps.size]
        return [slice(begin, end) for begin, end in itertools.pairwise(edges)]
    ends = [*starts[1:], math.inf]
    return [(steps >= start) & (steps < end) for start, end in zip(starts, ends)]


# --------------------------------------------------------------------- checks


def checked_argument(label: str, argument: Argument, value: Any) -> Any:
    """``value`` for ``argument`` of the class ``label``, checked against its kind and domain; a TypeError or
    ValueError naming both where it does not fit."""
    name = argument.name
    if value is None and argument.optional:
        return None
    if argument.kind == "choice":
        for choice in argument.choices:
            if value == choice and type(value) is type(choice):
                return choice
        raise ValueError(f"{label}: {name} must be one of {list(argument.choices)!r}, got {value!r}")
    if argument.kind == "schedule":
        if not isinstance(value, Schedule):
            raise TypeError(f"{label}: {name} must be a trainspec schedule, got {type(value).__name__} {value!r}")
        return value
    if argument.kind == "schedules":
        return _checked_schedules(label, name, value)
    if argument.kind == "list":
        return _checked_list(label, argument, value)
    return _checkednumber_text(label, argument, value)


def _checkednumber_text(label: str, argument: Argument, value: Any) -> float | int:
    name = argument.name
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{label}: {name} must be a number {argument.describe()}, got {type(value).__name__} {value!r}")
    number = float(value)
    if math.isnan(number):
        raise ValueError(f"{label}: {name} must be {argument.describe()}, got {value!r}")
    above = number > argument.lower if argument.lower_open else number >= argument.lower
    below = number < argument.upper if argument.upper_open else number <= argument.upper
    if not (above and below) or (argument.integer and not number.is_integer()):
        raise ValueError(f"{label}: {name} must be {argument.describe()}, got {value!r}")
    return int(number) if argument.integer else number


def _checked_schedules(label: str, name: str, value: Any) -> tuple[Schedule, ...]:
    if isinstance(value, (str, bytes, Schedule)) or not isinstance(value, Iterable):
        raise TypeError(f"{label}: {name} must be a list of trainspec schedules, got {type(value).__name__} {value!r}")
    items = tuple(value)
    for index, item in enumerate(items):
        if not isinstance(item, Schedule):
            raise TypeError(
                f"{label}: {name}[{index}] must be a trainspec schedule, got {type(item).__name__} {item!r}"
            )
    return items


def _checked_list(label: str, argument: Argument, value: Any) -> tuple[float | int, ...]:
    name = argument.name
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise TypeError(f"{label}: {name} must be a list of numbers, got {type(value).__name__} {value!r}")
    items = list(value)
    for index, item in enumerate(items):
        if isinstance(item, (bool, np.bool_)) or not isinstance(item, numbers.Real) or not math.isfinite(item):
            raise ValueError(f"{label}: {name}[{index}] must be a finite number, got {item!r}")
        if argument.integer and not float(item).is_integer():
            raise ValueError(f"{label}: {name}[{index}] must be a whole number (a step), got {item!r}")
    items = [int(item) if argument.integer else float(item) for item in items]
    if argument.increasing:
        for index in range(1, len(items)):
            if not items[index] > items[index - 1]:
                raise ValueError(
                    f"{label}: {name} must be strictly increasing, but {name}[{index}] = {items[index]:g} "
                    f"is not above {name}[{index - 1}] = {items[index - 1]:g}"
                )
    return tuple(items)


def _check_lengths(label: str, arguments: tuple[Argument, ...], checked: dict[str, Any]) -> None:
    for argument in arguments:
        if argument.kind in ("list", "schedules") and argument.length_of is not None:
            expected = len(checked[argument.length_of]) + argument.length_offset
            if len(checked[argument.name]) != expected:
                raise ValueError(
                    f"{label}: {argument.name} must have len({argument.length_of}) + {argument.length_offset} = "
                    f"{expected} elements, got {len(checked[argument.name])}"
                )


def _kernel_value(value: Any) -> Any:
    if isinstance(value, tuple):
        return np.array(value, dtype=np.float64)
    return float(value)


def _checked_step(step: Any) -> int:
    if isinstance(step, (bool, np.bool_)) or not isinstance(step, numbers.Real):
        raise TypeError(f"step must be a non-negative integer (the 0-based iteration), got {type(step).__name__}")
    if isinstance(step, numbers.Integral) or (math.isfinite(step) and float(step).is_integer()):
        step = int(step)
    else:
        raise ValueError(f"step must be a whole number (the 0-based iteration), got {step!r}")
    if step < 0:
        raise ValueError(f"step must be >= 0 (the 0-based iteration), got {step}")
    return step


def _checked_steps(steps: int | Iterable[int]) -> np.ndarray:
    if isinstance(steps, numbers.Integral) and not isinstance(steps, (bool, np.bool_)):
        if steps < 0:
            raise ValueError(f"the number of steps must be >= 0, got {steps}")
        return np.arange(int(steps), dtype=np.int64)
    array = np.asarray(steps)
    if array.dtype.kind == "f" and array.size and not np.all(np.isfinite(array) & (array == np.round(array))):
        raise ValueError("steps must be whole numbers (0-based iterations)")
    if array.dtype.kind not in "iuf" and array.size:
        raise TypeError(f"steps must be integers, got an array of {array.dtype}")
    array = np.ascontiguousarray(array, dtype=np.int64)
    if array.size and array.min() < 0:
        raise ValueError(f"steps must be >= 0 (0-based iterations), got {int(array.min())}")
    return array
