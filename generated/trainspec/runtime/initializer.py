"""The Keras-style initializer driver that every generated initializer class extends.

A generated class declares its data (argument domains, choices, constraints,
the ranks it accepts, and per case the kernel and the function that turns a
shape's fans into the kernel's scalars); this module does what is the same for
all of them: checking arguments, shapes and arrays before anything is
allocated or written, seeding, splitting the array into blocks that fill in
parallel, and Keras's config and lookup by name.

Random streams. The flat array is cut into blocks of ``block_size`` elements
(a class attribute the generated classes set from the spec language);
block ``b`` is filled from its own ``numpy.random.Generator`` (PCG64), seeded
by the ``b``-th child of the call's ``SeedSequence``. The values therefore
depend on the seed and the shape only, never on the number of threads.

Seeds, as in Keras 3: an int seed gives the same values at every call; with
``seed=None`` a random seed is drawn once, when the initializer is built, so
each initializer object differs but repeats itself; a ``numpy.random.Generator``
(the counterpart of Keras's ``SeedGenerator``) gives new values at every call.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from .arguments import FLOAT_DTYPES, THREADS, Constraint, Domain, argument_text, checked_real

_pool: ThreadPoolExecutor | None = None


@dataclass(frozen=True)
class Choice:
    """A string argument: its options, its default and the other spellings Keras accepts."""

    argument: str
    options: tuple[str, ...]
    default: str
    aliases: tuple[tuple[str, str], ...] = ()
    sets: str | None = None
    """A valued choice: ``value(option, *arguments)`` is the scalar it sets (PyTorch's gain), not a case."""
    value: Callable[..., float] | None = None
    arguments: tuple[str, ...] = ()


@dataclass(frozen=True)
class Case:
    """How to fill an array for one combination of the choices.

    ``scalars(fan_in, fan_out, *arguments)`` returns the kernel's scalars in
    float64; they are rounded to the array's dtype before the kernel runs.
    Orthogonal also names the kernel that draws its Gaussian matrix and the
    function that flattens a shape to (rows, cols).
    """

    family: str
    kernel: Callable[..., None]
    scalars: Callable[..., tuple[float, ...]]
    arguments: tuple[str, ...]
    variate: str = "array"
    """The precision of the variates: ``"array"`` (the array's dtype) or ``"float64"``."""
    normal: Callable[..., None] | None = None
    matrix: Callable[[Sequence[int]], tuple[int, int]] | None = None


class Initializer:
    """Fills new or existing NumPy arrays with initial weights, as Keras 3 does.

    ``initializer(shape, dtype="float32")`` returns a new array;
    ``initializer.fill(array)`` fills an existing one in place.
    """

    domains: ClassVar[tuple[Domain, ...]] = ()
    choices: ClassVar[tuple[Choice, ...]] = ()
    constraints: ClassVar[tuple[Constraint, ...]] = ()
    cases: ClassVar[dict[tuple[str, ...], Case]]
    ranks: ClassVar[tuple[int, int | None]] = (0, None)
    random: ClassVar[bool] = False
    signature: ClassVar[tuple[str, ...]] = ()
    required: ClassVar[tuple[str, ...]] = ()
    """The arguments without a default."""
    compute_fans: ClassVar[Callable[[Sequence[int]], tuple[int, int]]]
    block_size: ClassVar[int]
    """Elements per random stream. Part of the output's definition: changing it changes every seeded array."""

    def __init__(
        self,
        arguments: dict[str, Any],
        choices: dict[str, Any],
        seed: Any = None,
        axes: tuple[Any, Any] = (None, None),
    ):
        domains = {domain.argument: domain for domain in self.domains}
        self._arguments = {name: checked_real(name, v, domains[name]) for name, v in arguments.items()}
        self._choices = {c.argument: _checked_choice(c, choices[c.argument]) for c in self.choices}
        for constraint in self.constraints:
            constraint.check(self._arguments)
        self._axes = _checked_axes(*axes)
        self.case = self.cases[tuple(self._choices[c.argument] for c in self.choices if c.sets is None)]
        self._scalar_inputs = dict(self._arguments)
        for choice in self.choices:
            if choice.sets is not None:
                inputs = (self._arguments[name] for name in choice.arguments)
                self._scalar_inputs[choice.sets] = choice.value(self._choices[choice.argument], *inputs)
        self._seed = _checked_seed(seed) if self.random else None
        # Keras 3: an unseeded initializer draws its seed once, so every call repeats its values.
        self._entropy = np.random.SeedSequence().entropy if self.random and seed is None else None

    def __getattr__(self, name: str) -> Any:
        # The arguments read as attributes, as in Keras (``initializer.stddev``, ``initializer.mode``).
        for table in ("_arguments", "_choices"):
            values = self.__dict__.get(table, {})
            if name in values:
                return values[name]
        raise AttributeError(f"{type(self).__name__} has no attribute {name!r}")

    @property
    def seed(self) -> Any:
        return self._seed

    # ----------------------------------------------------------------- config

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments that rebuild this initializer (``from_config``)."""
        values = {**self._arguments, **self._choices, "seed": self._seed}
        values["input_axes"], values["output_axes"] = (None if a is None else list(a) for a in self._axes)
        return {name: values[name] for name in self.signature}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Initializer:
        return cls(**config)

    def __repr__(self) -> str:
        arguments = ", ".join(f"{k}={argument_text(v)}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({arguments})"

    # ----------------------------------------------------------------- filling

    def __call__(self, shape: Sequence[int], dtype: Any = "float32") -> np.ndarray:
        """A new array of ``shape`` and ``dtype`` (float32 or float64), filled."""
        shape = self._checked_shape(shape)
        dtype = _checked_dtype(dtype)
        out = np.empty(shape, dtype=dtype)
        self._fill(out)
        return out

    def fill(self, out: np.ndarray) -> np.ndarray:
        """Fill ``out`` (a writeable, C-contiguous float32 or float64 array) in place; returns it."""
        if not isinstance(out, np.ndarray):
            raise TypeError(f"out must be a numpy.ndarray, got {type(out).__name__}")
        _checked_dtype(out.dtype)
        if not out.flags.c_contiguous:
            raise ValueError("out is not C-contiguous; fill numpy.ascontiguousarray(out) and copy back")
        if not out.flags.writeable:
            raise ValueError("out is read-only")
        self._checked_shape(out.shape)
        self._fill(out)
        return out

    def _checked_shape(self, shape: Any) -> tuple[int, ...]:
        name = type(self).__name__
        if isinstance(shape, numbers.Integral) and not isinstance(shape, bool):
            shape = (shape,)
        try:
            dimensions = tuple(shape)
        except TypeError:
            raise TypeError(f"shape must be a tuple of ints, got {type(shape).__name__} {shape!r}") from None
        for size in dimensions:
            if isinstance(size, (bool, np.bool_)) or not isinstance(size, numbers.Integral):
                raise TypeError(f"shape must be a tuple of ints, got {dimensions!r}")
            if size < 1:
                raise ValueError(f"every dimension of shape must be at least 1, got shape {dimensions!r}")
        lowest, highest = self.ranks
        if len(dimensions) < lowest or (highest is not None and len(dimensions) > highest):
            wanted = f"exactly {lowest}" if lowest == highest else f"at least {lowest}"
            raise ValueError(f"{name} needs a shape of rank {wanted}, got shape {dimensions!r}")
        return tuple(int(size) for size in dimensions)

    def _root_seed(self) -> np.random.SeedSequence:
        if isinstance(self._seed, np.random.Generator):
            # Stateful, like Keras's SeedGenerator: every call takes fresh entropy from it.
            return np.random.SeedSequence(self._seed.integers(0, 2**63, size=4).tolist())
        return np.random.SeedSequence(self._entropy if self._seed is None else self._seed)

    def _fill(self, out: np.ndarray) -> None:
        case, block = self.case, self.block_size
        fan_in, fan_out = self._fans(out.shape)
        raw = case.scalars(fan_in, fan_out, *(self._scalar_inputs[name] for name in case.arguments))
        scalars = tuple(out.dtype.type(s) for s in raw)
        variate = np.float64 if case.variate == "float64" else out.dtype.type
        if case.family == "orthogonal":
            _fill_orthogonal(case, out, (variate, *scalars), self._root_seed(), block)
        elif case.family == "identity":
            # One share of the rows per thread: streaming stores pay off on large stretches (no random streams
            # tie a constant fill to blocks).
            rows_per_share = -(-out.shape[0] // THREADS)
            _each_block(out.shape[0], lambda lo, hi: case.kernel(out[lo:hi], lo, *scalars), rows_per_share)
        elif self.random:
            _fill_random(case.kernel, out.reshape(-1), (variate, *scalars), self._root_seed(), block)
        else:
            flat = out.reshape(-1)
            share = max(-(-flat.size // THREADS), 1)
            _each_block(flat.size, lambda lo, hi: case.kernel(flat[lo:hi], *scalars), share)

    def _fans(self, shape: tuple[int, ...]) -> tuple[int, int]:
        """The layout's fans, or (Keras 3) the products of the dimensions on ``input_axes`` and ``output_axes``."""
        input_axes, output_axes = self._axes
        if input_axes is None:
            return self.compute_fans(shape)
        for name, axes in (("input_axes", input_axes), ("output_axes", output_axes)):
            if any(not -len(shape) <= axis < len(shape) for axis in axes):
                raise ValueError(f"{name}={list(axes)!r} is out of range for shape {shape!r}")
            if len({axis % len(shape) for axis in axes}) != len(axes):
                raise ValueError(f"{name}={list(axes)!r} names a dimension twice")
        return math.prod(shape[a] for a in input_axes), math.prod(shape[a] for a in output_axes)


def _fill_random(
    kernel: Callable[..., None], flat: np.ndarray, scalars: tuple, root: np.random.SeedSequence, block: int
) -> None:
    """Fill ``flat`` block by block, block ``b`` from the ``b``-th child stream of ``root``."""
    streams = root.spawn(max(1, -(-flat.size // block)))

    def fill_block(lo: int, hi: int) -> None:
        generator = np.random.Generator(np.random.PCG64(streams[lo // block]))
        kernel(flat[lo:hi], generator, *scalars)

    _each_block(flat.size, fill_block, block)


def _fill_orthogonal(case: Case, out: np.ndarray, arguments: tuple, root: np.random.SeedSequence, block: int) -> None:
    """Keras's construction: QR of a (max, min) standard normal matrix, sign fix, transpose if wide.

    The Gaussian matrix and its QR are float64 whatever the dtype (NumPy's QR computes in float64
    anyway); the kernel rounds each element of gain·sign(R_jj)·Q once, when it stores it.
    """
    variate, *scalars = arguments
    rows, cols = case.matrix(out.shape)
    gaussian = np.empty((max(rows, cols), min(rows, cols)), dtype=np.float64)
    _fill_random(case.normal, gaussian.reshape(-1), (variate, 0.0, 1.0), root, block)
    q, r = np.linalg.qr(gaussian)
    case.kernel(q, np.ascontiguousarray(np.diagonal(r)), out.reshape(rows, cols), rows < cols, *scalars)


def _each_block(size: int, work: Callable[[int, int], None], block: int) -> None:
    """Run ``work(lo, hi)`` over consecutive blocks of ``range(size)``, on several threads when there are several."""
    bounds = [(lo, min(lo + block, size)) for lo in range(0, size, block)] or [(0, 0)]
    if len(bounds) == 1 or THREADS == 1:
        for lo, hi in bounds:
            work(lo, hi)
        return
    global _pool
    if _pool is None:
        _pool = ThreadPoolExecutor(THREADS, thread_name_prefix="trainspec-init")
    for future in [_pool.submit(work, lo, hi) for lo, hi in bounds]:
        future.result()


# ----------------------------------------------------------------- argument checks


def _checked_choice(choice: Choice, value: Any) -> str:
    aliases = dict(choice.aliases)
    if isinstance(value, str) and value in aliases:
        return aliases[value]
    if not isinstance(value, str) or value not in choice.options:
        accepted = ", ".join(repr(option) for option in (*choice.options, *aliases))
        raise ValueError(f"{choice.argument} must be one of {accepted}; got {value!r}")
    return value


def _checked_axes(input_axes: Any, output_axes: Any) -> tuple[tuple[int, ...] | None, tuple[int, ...] | None]:
    """Both None, or both sequences of distinct ints (checked against the shape when it is known)."""
    if input_axes is None and output_axes is None:
        return None, None
    if input_axes is None or output_axes is None:
        raise ValueError(f"give both input_axes and output_axes, or neither; got {input_axes!r} and {output_axes!r}")
    checked = []
    for name, axes in (("input_axes", input_axes), ("output_axes", output_axes)):
        if isinstance(axes, (str, bytes)) or not hasattr(axes, "__iter__"):
            raise TypeError(f"{name} must be a list of ints, got {axes!r}")
        axes = tuple(axes)
        if not axes or any(isinstance(a, (bool, np.bool_)) or not isinstance(a, numbers.Integral) for a in axes):
            raise TypeError(f"{name} must be a non-empty list of ints, got {list(axes)!r}")
        checked.append(tuple(int(a) for a in axes))
    return checked[0], checked[1]


def _checked_seed(seed: Any) -> Any:
    if seed is None or isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ValueError(f"seed must be None, a non-negative int or a numpy.random.Generator; got {seed!r}")
    return int(seed)


def _checked_dtype(dtype: Any) -> np.dtype:
    try:
        resolved = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"dtype must be float32 or float64, got {dtype!r}") from None
    if resolved not in FLOAT_DTYPES:
        raise TypeError(f"dtype must be float32 or float64, got {resolved}")
    return resolved


# ----------------------------------------------------------------- lookup by name


def lookup(table: dict[str, type[Initializer]], identifier: Any) -> Any:
    """Keras's ``initializers.get``: a name, a ``{"class_name", "config"}`` dict, a class or an instance."""
    if identifier is None or isinstance(identifier, Initializer):
        return identifier
    if isinstance(identifier, str):
        return _default_instance(_class_named(table, identifier))
    if isinstance(identifier, dict):
        if set(identifier) != {"class_name", "config"}:
            raise ValueError(f"a config dict has the keys 'class_name' and 'config', got {sorted(identifier)}")
        return _class_named(table, identifier["class_name"]).from_config(dict(identifier["config"]))
    if isinstance(identifier, type) and issubclass(identifier, Initializer):
        return _default_instance(identifier)
    if callable(identifier):
        return identifier
    raise ValueError(f"cannot interpret {identifier!r} as an initializer")


def serialize(initializer: Initializer) -> dict[str, Any]:
    """The dict ``lookup`` turns back into an equal initializer."""
    return {"class_name": type(initializer).__name__, "config": initializer.get_config()}


def _default_instance(cls: type[Initializer]) -> Initializer:
    if cls.required:
        given = ", ".join(f"{name}=..." for name in cls.required)
        raise TypeError(
            f"{cls.__name__} has no default for {', '.join(cls.required)}; build it as {cls.__name__}({given}), "
            f"or get it from a config dict"
        )
    return cls()


def _class_named(table: dict[str, type[Initializer]], name: str) -> type[Initializer]:
    try:
        return table[name]
    except KeyError:
        known = ", ".join(sorted(table))
        raise ValueError(f"unknown initializer {name!r}; known: {known}") from None
