"""Schedules that ``trainspec verify`` referees: torch.optim.lr_scheduler, keras.optimizers.schedules, optax, or a
function.

Every adapter gives the same thing, a ``ScheduleImplementation``: the rates
it computes at the 0-based steps ``0 .. N - 1`` as float64 NumPy values,
for arguments given by the spec's argument names.

A library's schedule is a *counterpart* of a spec where it computes the same
math after converting the arguments (``ExponentialDecay(staircase=True)`` is
``StepLR(step_size=decay_steps, gamma=decay_rate)``). The spec declares it
(``ScheduleSpec.counterparts``; the conventions are in
``codegen.language.schedule``), and this module reads the declaration: it
picks the counterpart that applies to the drawn arguments, restates them
inside what it covers (``constrain``: ``PolynomialLR`` decays to 0, so
``end_learning_rate = 0``), gives the steps over which it matches the spec
(``horizon``: ``CosineAnnealingLR`` is periodic past ``T_max``, the spec stays
at its floor), and builds it. torch's schedulers compute in Python floats
(float64), stepped on a dummy optimizer; Keras's in its ``floatx``, which the
adapter sets to the dtype asked for while they run (float32 is Keras's
default); Optax's in float64 or float32 as JAX's ``jax_enable_x64`` is set
for the dtype asked for while they run (float32 is JAX's default).

A user's implementation (``--against module:function``) is a function::

    def rate(step: int, **arguments) -> float

``step`` is 0-based (Keras's ``optimizer.iterations``: 0 on the first
update); ``arguments`` are the spec's arguments by their spec names, as
``trainspec list`` and the docs name them: numbers, choices
(``staircase=True``, ``mode="triangular2"``), ``None`` where an optional
argument is left out (``warmup_target=None``), lists (``boundaries``,
``values``), and for a warmup the schedule that follows it, a callable
``schedule(step) -> float`` (a trainspec schedule).
"""

from __future__ import annotations

import contextlib
import importlib
import os
import warnings
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np
import sympy

import trainspec
from codegen.language.common import Counterpart, Hyperparameter
from codegen.language.schedule import Call, Each, ListArgument, ScheduleCounterpart, ScheduleSpec
from codegen.referee.optimizer_adapters import called, user_function

Arguments = dict  # spec argument name -> number, choice, None, list, or a ``Call`` for a following schedule

# What ``--against`` names, and where that library keeps its schedules.
LIBRARIES = {"torch": "torch.optim.lr_scheduler", "keras": "keras.optimizers.schedules", "optax": "optax"}
STEPPING = "each step's rate: the group's lr before optimizer.step(), then scheduler.step() (once per batch)"


@dataclass(frozen=True)
class ScheduleImplementation:
    """An implementation to referee: how it computes the rates, and over which arguments and steps it can."""

    label: str
    rates: Callable[[Mapping, int], np.ndarray]  # (arguments, N) -> the rates at steps 0 .. N - 1, float64
    constrain: Callable[[Arguments], Arguments] = lambda arguments: arguments
    horizon: Callable[[Mapping], int | None] = lambda arguments: None  # steps it matches the spec for; None: all
    notes: Callable[[Mapping], tuple[str, ...]] = lambda arguments: ()  # what was converted, what was capped


def implementation(
    against: str,
    spec: ScheduleSpec,
    dtype: np.dtype,
    specs: Mapping[str, ScheduleSpec],
    package: ModuleType = trainspec,
) -> ScheduleImplementation:
    """The adapter ``against`` names: ``torch``, ``keras``, ``optax``, or ``module:function``.

    ``specs`` are the registered schedules (a following schedule's defaults); ``package`` is the generated
    package whose schedules a user's function gets as the following schedule.
    """
    if against == "torch" and dtype != np.float64:
        raise ValueError("torch.optim.lr_scheduler computes in Python floats (float64): use --dtype float64")
    if against in LIBRARIES:
        counterparts = tuple(c for c in spec.counterparts if c.library == against and c.same)
        if not counterparts:
            raise ValueError(f"{LIBRARIES[against]} has no counterpart of {spec.name}")
        declared = Declared(spec, specs, counterparts)
        if against == "torch":
            return _torch(declared)
        return _keras(declared, dtype) if against == "keras" else _optax(declared, dtype)
    if ":" in against:
        return _user(against, package)
    raise ValueError(f"--against must be torch, keras, optax or module:function, not {against!r}")


def build(call: Call, package: ModuleType = trainspec):
    """The schedule of ``package`` that ``call`` describes (the schedules it takes built first)."""
    return package.schedules.SCHEDULES[call.schedule](**built_arguments(call.arguments, package))


def built_arguments(arguments: Mapping, package: ModuleType = trainspec) -> dict:
    """``arguments`` with every schedule in them built (a following one, or a list of them)."""

    def built(value: Any) -> Any:
        if isinstance(value, Call):
            return build(value, package)
        return [built(item) for item in value] if isinstance(value, (list, tuple)) else value

    return {name: built(value) for name, value in arguments.items()}


# ----------------------------------------------------------------------------- reading a counterpart


@dataclass(frozen=True)
class Resolved:
    """The counterpart that applies to some arguments, those arguments with its pins applied, and its values.

    ``scope`` gives every symbol its value: the spec's arguments (a list argument's label its list) and the
    symbols of a following schedule's pattern.
    """

    counterpart: Counterpart
    arguments: Arguments
    scope: dict

    def value(self, declared: Any, nested: Callable[[Counterpart], Any] | None = None) -> Any:
        """A declared argument value, evaluated: see the conventions in ``codegen.language.schedule``."""
        if isinstance(declared, Counterpart):
            if nested is None:
                raise ValueError(f"{self.counterpart.name} cannot take another library object ({declared.name})")
            return nested(declared)
        if isinstance(declared, Each):
            length = len(self.arguments[declared.over])
            return [_number(declared.element, {**self.scope, declared.index: j}) for j in range(length)]
        if isinstance(declared, tuple):
            return [self.value(item, nested) for item in declared]
        if isinstance(declared, str):
            return self.arguments[declared]
        if isinstance(declared, sympy.Basic):
            return _number(declared, self.scope)
        return declared

    def keywords(
        self, counterpart: Counterpart, spec: ScheduleSpec, nested: Callable[[Counterpart], Any] | None = None
    ) -> dict[str, Any]:
        """What ``counterpart`` is called with (its ``optimizer`` aside): declared, or the spec's own arguments."""
        if not counterpart.arguments:
            names = [a.argument for a in spec.arguments] + [c.argument for c in spec.choices]
            return {name: self.arguments[name] for name in names}
        return {name: self.value(declared, nested) for name, declared in counterpart.arguments if name != "optimizer"}

    def horizon(self) -> int | None:
        horizon = self.counterpart.horizon if isinstance(self.counterpart, ScheduleCounterpart) else None
        return None if horizon is None else int(_number(horizon, self.scope))


@dataclass(frozen=True)
class Declared:
    """A spec's counterparts in one library, read for given arguments."""

    spec: ScheduleSpec
    specs: Mapping[str, ScheduleSpec]
    counterparts: tuple[Counterpart, ...]

    def resolve(self, arguments: Mapping) -> Resolved:
        """The first counterpart that applies to ``arguments``, or failing that the first, with its pins applied."""
        counterpart = next((c for c in self.counterparts if self._applies(c, arguments)), self.counterparts[0])
        arguments = {**arguments, **self._unified(counterpart, arguments)}
        drawn = Resolved(counterpart, dict(arguments), self._scope(counterpart, arguments))
        pinned = {
            name: _pinned(value, drawn, arguments[name])
            for name, value in counterpart.requires
            if not _is_pattern(value)
        }
        constrained = {**arguments, **pinned}
        return Resolved(counterpart, constrained, self._scope(counterpart, constrained))

    def _unified(self, counterpart: Counterpart, arguments: Mapping) -> dict:
        """The lists of schedules a pattern pins, made to agree where it names one symbol in several of them (the
        schedules torch's SequentialLR joins share the optimizer's one base rate): each takes the first's value."""
        unified = {}
        for name, patterns in counterpart.requires:
            given = arguments.get(name)
            if not (_is_pattern(patterns) and isinstance(patterns, tuple) and isinstance(given, list)):
                continue
            seen: dict = {}
            calls = []
            for pattern, call in zip(patterns, given):
                if not isinstance(call, Call) or call.schedule != pattern.schedule:
                    return {}  # no match: the scope says what it needs
                defaults = {a.argument: a.default for a in self.specs[call.schedule].arguments}
                changed = dict(call.arguments)
                for own, symbol in pattern.arguments.items():
                    changed[own] = seen.setdefault(symbol, changed.get(own, defaults.get(own)))
                calls.append(Call(call.schedule, changed))
            unified[name] = calls
        return unified

    def _applies(self, counterpart: Counterpart, arguments: Mapping) -> bool:
        """Its pinned choices and Nones are the drawn ones, its pattern matches, and it reads no argument left None."""
        choices = {c.argument for c in self.spec.choices}
        for name, value in counterpart.requires:
            if _is_pattern(value):
                if self._pattern(value, arguments[name]) is None:
                    return False
            elif (name in choices or value is None) and not _same(arguments[name], value):
                return False
        unset = {a.symbol for a in self.spec.scalar_arguments if arguments.get(a.argument) is None}
        return not read_symbols(counterpart) & unset

    def _scope(self, counterpart: Counterpart, arguments: Mapping) -> dict:
        scope: dict = {}
        for argument in self.spec.arguments:
            if isinstance(argument, Hyperparameter):
                scope[argument.symbol] = arguments.get(argument.argument)
            elif isinstance(argument, ListArgument):  # SymPy reads a list's symbol b in b[i] as its label
                scope[argument.symbol.label] = list(arguments[argument.argument])
        for name, value in counterpart.requires:
            if _is_pattern(value):
                bound = self._pattern(value, arguments[name])
                if bound is None:
                    raise ValueError(
                        f"{counterpart.name}, the counterpart of {self.spec.name}, needs {name}={_pattern_text(value)} "
                        "with its other arguments at their defaults"
                    )
                scope.update(bound)
        return scope

    def _pattern(self, pattern: Call | tuple[Call, ...], given: Any) -> dict | None:
        """The values of ``pattern``'s symbols in the schedule ``given`` (a tuple: in each of a list of schedules), or
        None where it does not match."""
        if isinstance(pattern, tuple):
            if not isinstance(given, (list, tuple)) or len(given) != len(pattern):
                return None
            each = [self._pattern(one, schedule) for one, schedule in zip(pattern, given)]
            return None if None in each else {symbol: value for bound in each for symbol, value in bound.items()}
        if not isinstance(given, Call) or given.schedule != pattern.schedule:
            return None
        following = self.specs[pattern.schedule]
        defaults = {a.argument: a.default for a in following.arguments}
        defaults.update({c.argument: c.default for c in following.choices})
        for name, default in defaults.items():
            if name not in pattern.arguments and not _same(given.arguments.get(name, default), default):
                return None
        bound = {symbol: given.arguments.get(name, defaults[name]) for name, symbol in pattern.arguments.items()}
        return None if any(value is None for value in bound.values()) else bound

    def text(self, counterpart: Counterpart) -> str:
        """The counterpart as a call, with the spec's argument names: ``...StepLR(step_size=floor(decay_steps))``."""
        return _call_text(counterpart, self._names(counterpart), full=True)

    def pins_text(self, counterpart: Counterpart) -> str | None:
        """The arguments ``counterpart`` pins, for the report; None where it pins none."""
        if not counterpart.requires:
            return None
        names = self._names(counterpart)
        pins = [f"{name}={_value_text(value, names)}" for name, value in counterpart.requires]
        return "pinned for it: " + ", ".join(pins)

    def _names(self, counterpart: Counterpart) -> dict:
        """Each symbol printed as the argument it stands for (``schedule.decay_steps`` in a pattern)."""
        names: dict = {}
        for argument in self.spec.arguments:
            if isinstance(argument, Hyperparameter):
                names[argument.symbol] = sympy.Symbol(argument.argument)
            elif isinstance(argument, ListArgument):
                names[argument.symbol] = sympy.IndexedBase(argument.argument)
        for name, value in counterpart.requires:
            if isinstance(value, Call):
                names.update({symbol: sympy.Symbol(f"{name}.{own}") for own, symbol in value.arguments.items()})
            elif _is_pattern(value):
                for index, pattern in enumerate(value):  # a symbol named in several, by its first
                    for own, symbol in pattern.arguments.items():
                        names.setdefault(symbol, sympy.Symbol(f"{name}[{index}].{own}"))
        return names


def _is_pattern(value: Any) -> bool:
    """A pin of a schedule argument: a ``Call`` whose arguments are symbols, or a tuple of them for a list."""
    return isinstance(value, Call) or (isinstance(value, tuple) and bool(value) and isinstance(value[0], Call))


def read_symbols(counterpart: Counterpart) -> set:
    """Every symbol that ``counterpart``'s expressions read (a nested counterpart's included)."""

    def symbols(value: Any) -> set:
        if isinstance(value, Counterpart):
            return read_symbols(value)
        if isinstance(value, Each):
            return sympy.sympify(value.element).free_symbols - {value.index}
        if isinstance(value, tuple):
            return set().union(*(symbols(item) for item in value))
        if isinstance(value, sympy.Basic):
            return value.free_symbols
        return set()

    found = set().union(*(symbols(value) for _, value in counterpart.arguments + counterpart.requires))
    if isinstance(counterpart, ScheduleCounterpart) and counterpart.horizon is not None:
        found |= sympy.sympify(counterpart.horizon).free_symbols
    return found


def _pinned(value: Any, drawn: Resolved, before: Any) -> Any:
    """A pin's value: a choice or None as it is; numbers evaluated from the drawn ones, a float where it was one."""
    if value is None or isinstance(value, (bool, str)):
        return value
    number = drawn.value(value)
    return float(number) if isinstance(before, float) else number


def _same(value: Any, other: Any) -> bool:
    """Equal, and a bool only to a bool (``False == 0`` in Python, not here)."""
    return value == other and isinstance(value, bool) == isinstance(other, bool)


def _number(expression: sympy.Basic, scope: Mapping) -> Any:
    """``expression`` in Python arithmetic with the values in ``scope``: a symbol alone is its value as it is."""
    if expression in scope:
        return scope[expression]
    used = sorted((key for key in scope if key in expression.free_symbols), key=str)
    unknown = {s for s in expression.free_symbols if not isinstance(s, sympy.Indexed) and s not in scope}
    missing = unknown | {key for key in used if scope[key] is None}
    if missing:
        raise ValueError(f"no value for {', '.join(sorted(map(str, missing)))} in {expression}")
    return sympy.lambdify(used, expression, modules=["math"])(*(scope[key] for key in used))


def _imported(path: str) -> Any:
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)


def _pattern_text(pattern: Call | tuple[Call, ...]) -> str:
    if isinstance(pattern, tuple):
        return "[" + ", ".join(_pattern_text(one) for one in pattern) + "]"
    return f"{pattern.schedule}({', '.join(f'{name}={value}' for name, value in pattern.arguments.items())})"


def _call_text(counterpart: Counterpart, names: dict, full: bool = False) -> str:
    name = counterpart.name if full else counterpart.name.rpartition(".")[2]
    if not counterpart.arguments:
        return f"{name}(same arguments)"
    parts = [
        f"optimizer=SGD(lr={_value_text(value, names)})" if key == "optimizer" else f"{key}={_value_text(value, names)}"
        for key, value in counterpart.arguments
    ]
    return f"{name}({', '.join(parts)})"


def _value_text(value: Any, names: dict) -> str:
    if isinstance(value, Counterpart):
        return _call_text(value, names)
    if isinstance(value, Call):
        return _pattern_text(Call(value.schedule, {k: names.get(v, v) for k, v in value.arguments.items()}))
    if _is_pattern(value):
        return "[" + ", ".join(_value_text(item, names) for item in value) + "]"
    if isinstance(value, Each):
        return f"[{_value_text(value.element, names)} for each {value.index}]"
    if isinstance(value, tuple):
        return "[" + ", ".join(_value_text(item, names) for item in value) + "]"
    if isinstance(value, sympy.Basic):
        return sympy.sstr(value.xreplace(names))
    return value if isinstance(value, str) else repr(value)


def _notes(declared: Declared, resolved: Resolved, *more: str) -> tuple[str, ...]:
    counterpart = resolved.counterpart
    lines = [declared.text(counterpart), *more, declared.pins_text(counterpart), counterpart.note]
    return tuple(line for line in lines if line)


def _implementation(
    declared: Declared, rates: Callable[[Resolved, int], np.ndarray], *notes: str
) -> ScheduleImplementation:
    return ScheduleImplementation(
        label=LIBRARIES[declared.counterparts[0].library],
        rates=lambda arguments, steps: _rates_of(declared.resolve(arguments), steps, rates),
        constrain=lambda arguments: declared.resolve(arguments).arguments,
        horizon=lambda arguments: declared.resolve(arguments).horizon(),
        notes=lambda arguments: _notes(declared, declared.resolve(arguments), *notes),
    )


def _rates_of(resolved: Resolved, steps: int, rates: Callable[[Resolved, int], np.ndarray]) -> np.ndarray:
    """The library's rates; what it raises (a constructor refusing the arguments) names the counterpart."""
    return called(resolved.counterpart.name, rates, resolved, steps)


# ----------------------------------------------------------------------------- torch.optim.lr_scheduler


def _torch(declared: Declared) -> ScheduleImplementation:
    def rates(resolved: Resolved, steps: int) -> np.ndarray:
        """The group's ``lr`` before each ``optimizer.step()``, the scheduler stepped once per batch after it."""
        import torch

        starting = dict(resolved.counterpart.arguments).get("optimizer")
        if starting is None:
            raise ValueError(f"{resolved.counterpart.name} needs optimizer= the rate it starts from")
        parameter = torch.nn.Parameter(torch.zeros(1, dtype=torch.float64))
        optimizer = torch.optim.SGD([parameter], lr=resolved.value(starting))

        def scheduler(counterpart: Counterpart):
            return _imported(counterpart.name)(optimizer, **resolved.keywords(counterpart, declared.spec, scheduler))

        stepped = scheduler(resolved.counterpart)
        values = np.empty(steps, dtype=np.float64)
        for step in range(steps):
            values[step] = float(optimizer.param_groups[0]["lr"])
            if step + 1 < steps:  # no step past the last rate asked for: OneCycleLR raises past its total_steps
                optimizer.step()  # no gradient: changes nothing, but the scheduler sees the documented order
                stepped.step()
        return values

    return _implementation(declared, rates, STEPPING)


# ----------------------------------------------------------------------------- keras.optimizers.schedules


def _keras(declared: Declared, dtype: np.dtype) -> ScheduleImplementation:
    def rates(resolved: Resolved, steps: int) -> np.ndarray:
        os.environ.setdefault("KERAS_BACKEND", "torch")  # must be set before keras is first imported
        import keras

        with _floatx(keras, str(dtype)):
            keywords = resolved.keywords(resolved.counterpart, declared.spec)
            schedule = _imported(resolved.counterpart.name)(**keywords)
            return np.array([float(schedule(step)) for step in range(steps)], dtype=np.float64)

    precision = f"computed in {dtype} (keras.config.floatx() = {dtype!s} while it runs)"
    return _implementation(declared, rates, precision)


@contextlib.contextmanager
def _floatx(keras, dtype: str) -> Iterator[None]:
    """Keras's schedules compute in the dtype of ``initial_learning_rate``: floatx for a Python float."""
    saved = keras.config.floatx()
    keras.config.set_floatx(dtype)
    try:
        yield
    finally:
        keras.config.set_floatx(saved)


# ----------------------------------------------------------------------------- optax


def _optax(declared: Declared, dtype: np.dtype) -> ScheduleImplementation:
    def rates(resolved: Resolved, steps: int) -> np.ndarray:
        import jax

        def nested(counterpart: Counterpart):
            return _imported(counterpart.name)(**resolved.keywords(counterpart, declared.spec, nested))

        with _x64(jax, dtype == np.float64):
            schedule = nested(resolved.counterpart)
            return np.array([float(schedule(step)) for step in range(steps)], dtype=np.float64)

    precision = f"computed in {dtype} (jax_enable_x64 = {dtype == np.float64} while it runs)"
    return _implementation(declared, rates, precision)


@contextlib.contextmanager
def _x64(jax, enabled: bool) -> Iterator[None]:
    """JAX computes a Python float in float32 unless 64-bit mode is on."""
    saved = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", enabled)
    try:
        yield
    finally:
        jax.config.update("jax_enable_x64", saved)


# ----------------------------------------------------------------------------- a user's function


def _user(target: str, package: ModuleType) -> ScheduleImplementation:
    function = user_function(target)

    def rates(arguments: Mapping, steps: int) -> np.ndarray:
        given = built_arguments(arguments, package)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a NaN or overflow is reported as a divergence
            return np.array([float(called(target, function, step, **given)) for step in range(steps)], dtype=np.float64)

    return ScheduleImplementation(target, rates)
