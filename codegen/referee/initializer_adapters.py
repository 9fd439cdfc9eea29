"""Initializers that ``trainspec verify`` referees: a spec's declared counterpart in torch.nn.init or
keras.initializers, or a user's function.

Every adapter gives the same thing, an ``InitializerImplementation``: called
with a shape *in the spec's layout*, a dtype, an int seed and the spec's
arguments (by the spec's names, choices included), it returns a new NumPy
array of that shape holding the implementation's values.

A library's counterpart is the one the spec declares (``counterparts``:
``Counterpart`` and ``ScaledCounterpart`` in ``codegen.language.initializer``):
its import path, the arguments it is called with as expressions of the spec's
symbols, names of its arguments or plain values, and the options it covers.
Nothing here is keyed by a spec's name.

Each library reads the fans off its own layout: torch.nn.init stores weights
as ``(out, in, *kernel)``, Keras as ``(*kernel, in, out)``. Where the spec's
distribution depends on the fans, the adapter fills the library's array whose
fans (by that library's rule) equal the spec's fans for the shape (the same
layer: ``(in, out)`` ↔ ``(out, in)``, ``(kh, kw, in, out)`` ↔ ``(out, in, kh,
kw)``) and permutes the values back, so both sides describe the same layer. The
spec's fans come from its generated class (``compute_fans``), never from an
assumed layout: a torch-convention spec's shape is already torch's and is
filled as it is.

A user's implementation (``--against module:function``) is a function::

    def init(shape: tuple[int, ...], dtype: str, seed: int, **arguments) -> np.ndarray

``shape`` is in the spec's layout (the one its ``compute_fans`` reads),
``dtype`` is ``"float32"`` or ``"float64"``, ``seed`` an int (each shape gets
its own), and ``arguments`` are the spec's arguments and choices by their
spec names, as ``trainspec list`` and the docs name them (``stddev=0.05``,
``mode="fan_avg"``). It returns a new array of ``shape``.
"""

from __future__ import annotations

import importlib
import inspect
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy

from codegen.language.common import Counterpart
from codegen.language.initializer import ScaledCounterpart
from codegen.lower.initializer import Resolved, choice_values
from codegen.referee.optimizer_adapters import called, user_function
from trainspec.initializers.kernels import compute_fans as keras_compute_fans
from trainspec.initializers.kernels import torch_compute_fans

Shape = tuple[int, ...]
Fans = Callable[[Sequence[int]], tuple[int, int]]

LIBRARIES = {"torch": "torch.nn.init", "keras": "keras.initializers"}
"""The libraries ``--against`` names, and where each keeps its initializers."""
LIBRARY_FANS: dict[str, Fans] = {"torch": torch_compute_fans, "keras": keras_compute_fans}
"""How each library reads the fans off a shape (torch.nn.init's and Keras 3's rules, as the generated kernels have
them)."""


@dataclass(frozen=True)
class InitializerImplementation:
    """An implementation to referee: how it fills a shape, and over which arguments and shapes it can."""

    label: str
    draw: Callable[[Shape, str, int, Mapping[str, Any]], np.ndarray]  # (shape, dtype, seed, arguments) -> array
    # (drawn arguments, the given ones) -> the arguments restated within its reach (a counterpart's pinned ones)
    constrain: Callable[[dict, Mapping], dict] = lambda arguments, given: arguments
    notes: Callable[[Mapping, str], tuple[str, ...]] = lambda arguments, family: ()  # (arguments, family) -> lines
    layout: Callable[[Shape, Mapping], str] = lambda shape, arguments: ""  # how it lays out a shape, if otherwise


def implementation(against: str, resolved: Resolved, compute_fans: Fans) -> InitializerImplementation:
    """The adapter ``against`` names: ``torch``, ``keras`` or ``module:function``.

    ``compute_fans`` is the spec's (its generated class's): a library's array is laid out to match it.
    """
    if against in LIBRARIES:
        return _library(against, resolved, compute_fans)
    if ":" in against:
        return _user(against)
    raise ValueError(f"--against must be torch, keras or module:function, not {against!r}")


# ----------------------------------------------------------------------------- a declared counterpart


def declared(resolved: Resolved, library: str) -> tuple[Counterpart, ...]:
    """The spec's counterparts in ``library``, those that draw its distribution (``same``) first."""
    found = sorted((c for c in resolved.spec.counterparts if c.library == library), key=lambda c: not c.same)
    if not found:
        raise ValueError(f"{LIBRARIES[library]} has no counterpart of {resolved.spec.name}: its spec declares none")
    return tuple(found)


def settle(
    resolved: Resolved, library: str, arguments: Mapping, given: Mapping | None = None
) -> tuple[Counterpart, dict]:
    """The counterpart for these arguments, and the arguments with its requirements pinned.

    The first declared (``same`` first) whose required options hold; where none does, the first, its required
    options pinned, but never over an argument the caller gave.
    """
    options = {c.argument for c in resolved.choices}
    counterparts = declared(resolved, library)
    covering = (c for c in counterparts if all(arguments[n] == v for n, v in c.requires if n in options))
    counterpart = next(covering, counterparts[0])
    pinned = {name: _pinned(resolved, value, arguments) for name, value in counterpart.requires}
    given = given or {}
    clash = sorted(name for name, value in pinned.items() if name in given and given[name] != value)
    if clash:
        required = ", ".join(f"{name}={pinned[name]!r}" for name in clash)
        raise ValueError(f"{counterpart.name} is {resolved.spec.name} with {required} only")
    return counterpart, {**arguments, **pinned}


def _pinned(resolved: Resolved, value: object, arguments: Mapping) -> object:
    """A required value: a choice's option as it is, a number or an expression of the other arguments evaluated."""
    return value if isinstance(value, str) else _evaluated(resolved, sympy.sympify(value), arguments)


def call_arguments(resolved: Resolved, counterpart: Counterpart, arguments: Mapping) -> dict[str, Any]:
    """The keyword arguments ``counterpart`` is called with for the spec's ``arguments`` (by the spec's names)."""
    if not counterpart.arguments:
        consumed = {s.name for s in sympy.sympify(_times(counterpart)).free_symbols}
        return {name: value for name, value in arguments.items() if name not in consumed}
    return {key: _mapped(resolved, value, arguments) for key, value in counterpart.arguments}


def _mapped(resolved: Resolved, value: object, arguments: Mapping) -> object:
    if isinstance(value, tuple):
        return tuple(_mapped(resolved, item, arguments) for item in value)
    if isinstance(value, str):
        return arguments.get(value, value)  # the name of a spec argument or choice, else a plain string
    if isinstance(value, sympy.Basic):
        return _evaluated(resolved, value, arguments)
    return value


def _times(counterpart: Counterpart) -> sympy.Expr:
    return counterpart.times if isinstance(counterpart, ScaledCounterpart) else sympy.S.One


def factor(resolved: Resolved, counterpart: Counterpart, arguments: Mapping) -> float:
    """What the counterpart's values are multiplied by afterwards (1 but for a ``ScaledCounterpart``)."""
    return _evaluated(resolved, _times(counterpart), arguments)


def _evaluated(resolved: Resolved, expression: sympy.Expr, arguments: Mapping) -> float:
    """``expression`` of the spec's symbols at ``arguments`` (and what its valued choices set), as a float."""
    values = {h.symbol: sympy.Float(arguments[h.argument]) for h in resolved.arguments if h.argument in arguments}
    chosen = {c.argument: arguments[c.argument] for c in resolved.choices if c.argument in arguments}
    if len(chosen) == len(resolved.choices):
        values |= choice_values(resolved, chosen, values)
    result = sympy.sympify(expression).xreplace(values).evalf()
    if result.free_symbols or result.is_real is not True or not result.is_finite:
        shown = ", ".join(f"{k}={v!r}" for k, v in arguments.items())
        raise ValueError(f"{sympy.sstr(expression)} is not a real number at {shown}")
    return float(result)


def call_text(resolved: Resolved, counterpart: Counterpart) -> str:
    """``torch.nn.init.kaiming_normal_(mode='fan_in', nonlinearity='relu'): untruncated``, as declared: the spec's
    arguments by name, expressions of its symbols, plain values quoted."""
    names = [h.argument for h in resolved.arguments] + [c.argument for c in resolved.choices]
    if counterpart.arguments:
        mapping = counterpart.arguments
    else:
        mapping = tuple((key, key) for key in call_arguments(resolved, counterpart, dict.fromkeys(names)))
    shown = ", ".join(f"{key}={_shown(value, names)}" for key, value in mapping)
    times = _times(counterpart)
    scaled = "" if times == 1 else f" times {sympy.sstr(times)}"
    return f"{counterpart.name}({shown}){scaled}" + (f": {counterpart.note}" if counterpart.note else "")


def _shown(value: object, names: Sequence[str]) -> str:
    if isinstance(value, tuple):
        return "(" + ", ".join(_shown(item, names) for item in value) + ")"
    if isinstance(value, sympy.Basic):
        return sympy.sstr(value)
    return value if value in names else repr(value)


def imported(counterpart: Counterpart) -> Any:
    """The class or function a counterpart names (Keras on its torch backend unless told otherwise)."""
    module, _, attribute = counterpart.name.rpartition(".")
    if counterpart.library == "keras":
        os.environ.setdefault("KERAS_BACKEND", "torch")  # must be set before keras is first imported
    try:
        target = getattr(importlib.import_module(module), attribute, None)
    except ImportError as error:
        raise ValueError(f"cannot import {module} for the counterpart {counterpart.name}: {error}") from None
    if target is None:
        raise ValueError(f"{module} has no {attribute} (a counterpart the spec declares)")
    return target


def layout_for(shape: Shape, fans: tuple[int, int], library_fans: Fans) -> tuple[int, ...]:
    """The order of ``shape``'s axes that gives a library the spec's fans: as it is, Keras's read as torch's
    (``(*kernel, in, out)`` → ``(out, in, *kernel)``), or torch's read as Keras's."""
    rank = len(shape)
    to_torch = (rank - 1, rank - 2, *range(rank - 2))
    orders = [tuple(range(rank)), to_torch, tuple(int(a) for a in np.argsort(to_torch))] if rank >= 2 else [()]
    for order in orders:
        if tuple(library_fans([shape[axis] for axis in order])) == tuple(fans):
            return order
    raise ValueError(f"no layout of shape {shape} gives the spec's fans {tuple(fans)}")


def _library(library: str, resolved: Resolved, compute_fans: Fans) -> InitializerImplementation:
    for counterpart in declared(resolved, library):  # refused before anything is drawn: none declared, or unknown
        imported(counterpart)
    fill = {"torch": _torch_fill, "keras": _keras_fill}[library]

    def order(shape: Shape) -> tuple[int, ...]:
        if not resolved.uses_fans:
            return tuple(range(len(shape)))
        return layout_for(shape, compute_fans(shape), LIBRARY_FANS[library])

    def constrain(arguments: dict, given: Mapping) -> dict:
        counterpart, settled = settle(resolved, library, arguments, given)
        try:
            call_arguments(resolved, counterpart, settled)
            factor(resolved, counterpart, settled)
        except ValueError as error:
            note = f" ({counterpart.note})" if counterpart.note else ""
            raise ValueError(
                f"{resolved.spec.name} has no {library} counterpart at these arguments: {counterpart.name} needs "
                f"{error}{note}"
            ) from None
        return settled

    def draw(shape: Shape, dtype: str, seed: int, arguments: Mapping) -> np.ndarray:
        counterpart, _ = settle(resolved, library, arguments)
        axes = order(shape)
        keywords = call_arguments(resolved, counterpart, arguments)
        laid_out = tuple(shape[axis] for axis in axes)
        values = called(counterpart.name, fill, imported(counterpart), laid_out, dtype, seed, keywords)
        times = factor(resolved, counterpart, arguments)
        if times != 1:
            values = values * values.dtype.type(times)  # in the array's dtype, as the library would
        return np.transpose(values, np.argsort(axes))  # back to the spec's layout

    def notes(arguments: Mapping, family: str) -> tuple[str, ...]:
        counterpart, _ = settle(resolved, library, arguments)
        lines = [call_text(resolved, counterpart)]
        if resolved.uses_fans and resolved.layout != library:
            lines.append(
                f"{library} reads the fans off its own layout: each shape is filled as the {library} shape whose "
                f"fans equal the spec's fans (the same layer), and its values laid back out in the spec's shape"
            )
        return (*lines, *_library_notes(library, family))

    def layout(shape: Shape, arguments: Mapping) -> str:
        axes = order(shape)
        if axes == tuple(range(len(shape))):
            return ""
        return f"filled as the {library} shape {tuple(shape[axis] for axis in axes)}, the same fans"

    return InitializerImplementation(LIBRARIES[library], draw, constrain=constrain, notes=notes, layout=layout)


def _torch_fill(function: Callable, shape: Shape, dtype: str, seed: int, keywords: Mapping) -> np.ndarray:
    import torch

    tensor = torch.empty(shape, dtype=getattr(torch, dtype))
    seeded = {"generator": torch.Generator().manual_seed(seed)}
    with torch.no_grad():
        function(tensor, **keywords, **(seeded if "generator" in inspect.signature(function).parameters else {}))
    return tensor.numpy()


def _keras_fill(cls: type, shape: Shape, dtype: str, seed: int, keywords: Mapping) -> np.ndarray:
    import keras

    seeded = {"seed": seed} if "seed" in inspect.signature(cls).parameters else {}
    return np.asarray(keras.ops.convert_to_numpy(cls(**keywords, **seeded)(shape, dtype=dtype)))


def _library_notes(library: str, family: str) -> tuple[str, ...]:
    """What the report says about the library itself: Keras's backend, and how its torch backend truncates."""
    if library != "keras":
        return ()
    import keras

    backend = keras.backend.backend()
    lines = [f"Keras on its {backend} backend, seeded per shape"]
    if family == "truncated_normal" and backend == "torch":
        lines.append(
            "Keras's torch backend truncates by drawing 4 normals per value and keeping the first within "
            "±2 stddev, or the first draw if none is (keras/src/backend/torch/random.py)"
        )
    return tuple(lines)


# ----------------------------------------------------------------------------- a user's function


def _user(target: str) -> InitializerImplementation:
    function = user_function(target)

    def draw(shape: Shape, dtype: str, seed: int, arguments: Mapping) -> np.ndarray:
        return np.asarray(called(target, function, tuple(shape), dtype, seed, **arguments))

    return InitializerImplementation(target, draw)
