"""Argument checks every generated class shares: domains, conditions on several arguments, dtypes, threads.

Hand-written, part of the trainspec package; the generated modules import it.
Every check raises before anything is allocated, computed or changed, with a
message that names the argument and the value it got.
"""

from __future__ import annotations

import math
import numbers
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
"""The dtypes trainspec trains and initializes."""

THREADS = max(1, min(os.cpu_count() or 1, 8))
"""Threads a large array is split over (the kernels release the GIL)."""


def number_text(value: float) -> str:
    """A bound as people write it: ``0.9``, ``1e-07``, ``inf``, ``3``."""
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def argument_text(value: Any) -> str:
    """An argument as a call shows it (a repr): a whole number as an integer (``decay_steps=100``, not ``100.0``), a
    list element by element, anything else by its repr."""
    if isinstance(value, float) and math.isfinite(value):
        return number_text(value)
    if isinstance(value, (list, tuple)):
        inner = ", ".join(argument_text(item) for item in value)
        return f"[{inner}]" if isinstance(value, list) else f"({inner}{',' if len(value) == 1 else ''})"
    return repr(value)


@dataclass(frozen=True)
class Domain:
    """The interval an argument must lie in, as the spec declares it."""

    argument: str
    lower: float
    upper: float
    lower_open: bool
    upper_open: bool
    integer: bool = False
    """Whole numbers only (a count, a fan); the value is still passed on as a float."""

    def __contains__(self, value: float) -> bool:
        above = value > self.lower if self.lower_open else value >= self.lower
        below = value < self.upper if self.upper_open else value <= self.upper
        return above and below and (not self.integer or float(value).is_integer())

    def __str__(self) -> str:
        left = "(" if self.lower_open else "["
        right = ")" if self.upper_open else "]"
        interval = f"{left}{number_text(self.lower)}, {number_text(self.upper)}{right}"
        return f"the whole numbers in {interval}" if self.integer else interval


@dataclass(frozen=True)
class Constraint:
    """A condition on several arguments (``minval <= maxval``), with the message shown when it fails.

    With ``when`` set, it binds only while that flag is on.
    """

    arguments: tuple[str, ...]
    holds: Callable[..., bool]
    text: str
    message: str
    when: str | None = None

    def check(self, values: Mapping[str, Any]) -> None:
        """Raise ValueError naming the arguments and their values unless the condition holds for ``values``."""
        if self.when is not None and not values[self.when]:
            return
        given = [values[name] for name in self.arguments]
        if not self.holds(*given):
            shown = ", ".join(f"{name}={v!r}" for name, v in zip(self.arguments, given))
            condition = self.text if self.when is None else f"{self.text} when {self.when}=True"
            raise ValueError(f"{self.message} ({condition}), got {shown}")


def checked_real(argument: str, value: Any, domain: Domain) -> float:
    """``value`` as a float if it is a real number inside ``domain``; TypeError or ValueError otherwise."""
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(
            f"{argument} must be a number in {domain}, got {value!r}: a bool is not a coefficient "
            f"(momentum=True meant momentum=1.0 in tf.keras 2, which never forgets a gradient and diverges)"
        )
    if not isinstance(value, numbers.Real):
        raise TypeError(f"{argument} must be a number in {domain}, got {type(value).__name__} {value!r}")
    value = float(value)
    if math.isnan(value) or value not in domain:
        raise ValueError(f"{argument} must lie in {domain}, got {value!r}")
    return value
