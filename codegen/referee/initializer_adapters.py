"""Initializers that ``trainspec verify`` referees: torch.nn.init, keras.initializers, or a user's function.

Every adapter gives the same thing, an ``InitializerImplementation``: called
with a shape *in the spec's layout*, a dtype, an int seed and the spec's
arguments (by the spec's names, choices included), it returns a new NumPy
array of that shape holding the implementation's values.

torch.nn.init stores weights as ``(out, in, *kernel)`` and computes the fans
from that layout; a Keras-layout spec stores ``(*kernel, in, out)``. For the
torch functions that read the fans (``xavier_*``, ``kaiming_*``) the adapter
fills the torch tensor whose torch fans equal the spec's fans for the shape
(the same layer: ``(in, out)`` ↔ ``(out, in)``, ``(kh, kw, in, out)`` ↔
``(out, in, kh, kw)``) and permutes the values back, so both sides describe
the same layer. The spec's fans come from its generated class
(``compute_fans``), never from an assumed layout: a torch-convention spec's
shape is already torch's and is filled as it is.

A user's implementation (``--against module:function``) is a function::

    def init(shape: tuple[int, ...], dtype: str, seed: int, **arguments) -> np.ndarray

``shape`` is in the spec's layout (the one its ``compute_fans`` reads),
``dtype`` is ``"float32"`` or ``"float64"``, ``seed`` an int (each shape gets
its own), and ``arguments`` are the spec's arguments and choices by their
spec names, as ``trainspec list`` and the docs name them (``stddev=0.05``,
``mode="fan_avg"``). It returns a new array of ``shape``.
"""

from __future__ import annotations

import inspect
import math
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from codegen.language.initializer import InitializerSpec
from codegen.referee.optimizer_adapters import user_function
from trainspec.initializers.kernels import torch_compute_fans

Shape = tuple[int, ...]
Fans = Callable[[Sequence[int]], tuple[int, int]]


@dataclass(frozen=True)
class InitializerImplementation:
    """An implementation to referee: how it fills a shape, and over which arguments and shapes it can."""

    label: str
    draw: Callable[[Shape, str, int, Mapping[str, Any]], np.ndarray]  # (shape, dtype, seed, arguments) -> array
    constrain: Callable[[dict], dict] = lambda arguments: arguments  # drawn arguments restated within its reach
    notes: Callable[[Mapping, str], tuple[str, ...]] = lambda arguments, family: ()  # (arguments, family) -> lines
    layout: Callable[[Shape, Mapping], str] = lambda shape, arguments: ""  # how it lays out a shape, if otherwise


def implementation(against: str, spec: InitializerSpec, compute_fans: Fans) -> InitializerImplementation:
    """The adapter ``against`` names: ``torch``, ``keras`` or ``module:function``.

    ``compute_fans`` is the spec's (its generated class's): the torch adapter lays its tensor out to match it.
    """
    if against == "torch":
        return _torch(spec, compute_fans)
    if against == "keras":
        return _keras(spec)
    if ":" in against:
        return _user(against)
    raise ValueError(f"--against must be torch, keras or module:function, not {against!r}")


# ----------------------------------------------------------------------------- torch.nn.init

# The torch functions that compute fans from the tensor's (out, in, *kernel) layout.
FAN_FUNCTIONS = frozenset({"xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_"})


@dataclass(frozen=True)
class TorchCall:
    """One torch.nn.init call: the function, its keyword arguments, and how the report shows it."""

    function: str
    keywords: dict
    text: str
    gain: float | None = None  # multiplied in afterwards (eye_ takes no gain)


def _variance_scaling_call(a: Mapping) -> TorchCall:
    """VarianceScaling through xavier_* (fan_avg, gain √scale) or kaiming_* (leaky_relu slope for gain √scale).

    torch has no truncated variance-scaling initializer: the truncated cases go to the untruncated normal
    functions, and the referee reports the difference.
    """
    scale, mode, distribution = a["scale"], a["mode"], a["distribution"]
    kind = "uniform" if distribution == "uniform" else "normal"
    if mode == "fan_avg":
        return TorchCall(f"xavier_{kind}_", {"gain": math.sqrt(scale)}, f"xavier_{kind}_(gain=sqrt(scale))")
    # calculate_gain('leaky_relu', slope) = sqrt(2 / (1 + slope²)) = sqrt(scale) for slope = sqrt(2 / scale - 1).
    slope = math.sqrt(2.0 / scale - 1.0)
    return TorchCall(
        f"kaiming_{kind}_",
        {"a": slope, "mode": mode, "nonlinearity": "leaky_relu"},
        f"kaiming_{kind}_(a=sqrt(2/scale - 1), mode=mode, nonlinearity='leaky_relu'), whose gain is sqrt(scale)",
    )


def _scale_within_leaky_relu(arguments: dict) -> dict:
    if arguments["mode"] != "fan_avg" and arguments["scale"] > 2:
        raise ValueError(
            "torch's kaiming_* reach gains up to sqrt(2) (scale <= 2) through leaky_relu's slope; "
            f"scale {arguments['scale']} has no counterpart"
        )
    return arguments


def _truncated_normal_call(a: Mapping) -> TorchCall:
    mean, std = a["mean"], a["stddev"]
    return TorchCall(
        "trunc_normal_",
        {"mean": mean, "std": std, "a": mean - 2 * std, "b": mean + 2 * std},
        "trunc_normal_(mean=mean, std=stddev, a=mean - 2*stddev, b=mean + 2*stddev): its a, b are absolute",
    )


# Keras spec → its torch.nn.init counterpart, from the spec's arguments (torch 2.13's torch/nn/init.py).
TORCH_COUNTERPARTS: dict[str, Callable[[Mapping], TorchCall]] = {
    "RandomNormal": lambda a: TorchCall(
        "normal_", {"mean": a["mean"], "std": a["stddev"]}, "normal_(mean=mean, std=stddev)"
    ),
    "RandomUniform": lambda a: TorchCall(
        "uniform_", {"a": a["minval"], "b": a["maxval"]}, "uniform_(a=minval, b=maxval)"
    ),
    "TruncatedNormal": _truncated_normal_call,
    "Zeros": lambda a: TorchCall("zeros_", {}, "zeros_()"),
    "Ones": lambda a: TorchCall("ones_", {}, "ones_()"),
    "Constant": lambda a: TorchCall("constant_", {"val": a["value"]}, "constant_(val=value)"),
    "Identity": lambda a: TorchCall("eye_", {}, "eye_() times gain (eye_ takes no gain)", gain=a["gain"]),
    "Orthogonal": lambda a: TorchCall("orthogonal_", {"gain": a["gain"]}, "orthogonal_(gain=gain)"),
    "GlorotUniform": lambda a: TorchCall("xavier_uniform_", {}, "xavier_uniform_()"),
    "GlorotNormal": lambda a: TorchCall("xavier_normal_", {}, "xavier_normal_() (untruncated)"),
    "HeUniform": lambda a: TorchCall(
        "kaiming_uniform_",
        {"mode": "fan_in", "nonlinearity": "relu"},
        "kaiming_uniform_(mode='fan_in', nonlinearity='relu')",
    ),
    "HeNormal": lambda a: TorchCall(
        "kaiming_normal_",
        {"mode": "fan_in", "nonlinearity": "relu"},
        "kaiming_normal_(mode='fan_in', nonlinearity='relu') (untruncated)",
    ),
    "LecunUniform": lambda a: TorchCall(
        "kaiming_uniform_",
        {"mode": "fan_in", "nonlinearity": "linear"},
        "kaiming_uniform_(mode='fan_in', nonlinearity='linear')",
    ),
    "LecunNormal": lambda a: TorchCall(
        "kaiming_normal_",
        {"mode": "fan_in", "nonlinearity": "linear"},
        "kaiming_normal_(mode='fan_in', nonlinearity='linear') (untruncated)",
    ),
    "VarianceScaling": _variance_scaling_call,
}
TORCH_CONSTRAINTS: dict[str, Callable[[dict], dict]] = {"VarianceScaling": _scale_within_leaky_relu}


def _torch(spec: InitializerSpec, compute_fans: Fans) -> InitializerImplementation:
    plan = TORCH_COUNTERPARTS.get(spec.name) or _same_named_torch_function(spec)

    def order(shape: Shape, call: TorchCall) -> tuple[int, ...]:
        return torch_layout(shape, compute_fans(shape)) if call.function in FAN_FUNCTIONS else tuple(range(len(shape)))

    def draw(shape: Shape, dtype: str, seed: int, arguments: Mapping) -> np.ndarray:
        import torch

        call = plan(arguments)
        axes = order(shape, call)
        tensor = torch.empty(tuple(shape[axis] for axis in axes), dtype=getattr(torch, dtype))
        function = getattr(torch.nn.init, call.function)
        keywords = dict(call.keywords)
        if "generator" in inspect.signature(function).parameters:
            keywords["generator"] = torch.Generator().manual_seed(seed)
        with torch.no_grad():
            function(tensor, **keywords)
            if call.gain is not None:
                tensor.mul_(call.gain)
        return np.transpose(tensor.numpy(), np.argsort(axes))  # back to the spec's layout

    def notes(arguments: Mapping, family: str) -> tuple[str, ...]:
        call = plan(arguments)
        lines = [f"torch.nn.init.{call.text}"]
        if call.function in FAN_FUNCTIONS:
            lines.append(
                "torch reads fans from (out, in, *kernel): each shape is filled as the torch tensor whose torch "
                "fans equal the spec's fans (the same layer), and its values laid back out in the spec's shape"
            )
        if family == "orthogonal":
            lines.append("orthogonal_ flattens to (shape[0], the rest), Keras to (the rest, shape[-1])")
        return tuple(lines)

    def layout(shape: Shape, arguments: Mapping) -> str:
        axes = order(shape, plan(arguments))
        if axes == tuple(range(len(shape))):
            return ""
        return f"filled as the torch tensor {tuple(shape[axis] for axis in axes)}, the same fans"

    return InitializerImplementation(
        "torch.nn.init",
        draw,
        constrain=TORCH_CONSTRAINTS.get(spec.name, lambda arguments: arguments),
        notes=notes,
        layout=layout,
    )


def _same_named_torch_function(spec: InitializerSpec) -> Callable[[Mapping], TorchCall]:
    """A torch-convention spec named after its function (KaimingNormal → kaiming_normal_), arguments by name."""
    import torch

    name = f"{spec.module_name}_"
    function = getattr(torch.nn.init, name, None)
    if function is None:
        raise ValueError(f"torch.nn.init has no counterpart of {spec.name}")
    accepted = set(inspect.signature(function).parameters)

    def plan(arguments: Mapping) -> TorchCall:
        unknown = sorted(set(arguments) - accepted)
        if unknown:
            raise ValueError(f"torch.nn.init.{name} takes no argument {unknown[0]!r} of {spec.name}")
        return TorchCall(name, dict(arguments), f"{name}(same arguments)")

    return plan


def torch_layout(shape: Shape, fans: tuple[int, int]) -> tuple[int, ...]:
    """The order of ``shape``'s axes that makes a torch tensor with ``fans``: as it is, or Keras's reversed.

    Keras ``(*kernel, in, out)`` → torch ``(out, in, *kernel)``.
    """
    rank = len(shape)
    orders = [tuple(range(rank)), (rank - 1, rank - 2, *range(rank - 2))] if rank >= 2 else []
    for order in orders:
        if torch_compute_fans([shape[axis] for axis in order]) == tuple(fans):
            return order
    raise ValueError(f"no layout of shape {shape} gives torch the spec's fans {tuple(fans)}")


# ----------------------------------------------------------------------------- keras.initializers


def _keras(spec: InitializerSpec) -> InitializerImplementation:
    os.environ.setdefault("KERAS_BACKEND", "torch")  # must be set before keras is first imported
    import keras

    cls = getattr(keras.initializers, spec.name, None)
    if not inspect.isclass(cls):
        raise ValueError(f"keras.initializers has no counterpart of {spec.name}")
    seeded = "seed" in inspect.signature(cls).parameters

    def draw(shape: Shape, dtype: str, seed: int, arguments: Mapping) -> np.ndarray:
        initializer = cls(**arguments, **({"seed": seed} if seeded else {}))
        return np.asarray(keras.ops.convert_to_numpy(initializer(shape, dtype=dtype)))

    def notes(arguments: Mapping, family: str) -> tuple[str, ...]:
        backend = keras.backend.backend()
        lines = [f"keras.initializers.{spec.name}(same arguments{', seed=...' if seeded else ''}), {backend} backend"]
        if family == "truncated_normal" and backend == "torch":
            lines.append(
                "Keras's torch backend truncates by drawing 4 normals per value and keeping the first within "
                "±2 stddev, or the first draw if none is (keras/src/backend/torch/random.py)"
            )
        return tuple(lines)

    return InitializerImplementation(f"keras.initializers.{spec.name}", draw, notes=notes)


# ----------------------------------------------------------------------------- a user's function


def _user(target: str) -> InitializerImplementation:
    function = user_function(target)

    def draw(shape: Shape, dtype: str, seed: int, arguments: Mapping) -> np.ndarray:
        return np.asarray(function(tuple(shape), dtype, seed, **arguments))

    return InitializerImplementation(target, draw)
