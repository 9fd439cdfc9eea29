"""The batches of gradient descent by batch size, which every generated estimator class extends.

A generated class declares its batch size as a function of the number of
examples (``size``), the variance of its estimate relative to one example's
(``variance_factor``), and whether it shuffles and can leave a partial batch;
this module does what is the same for all: checking arguments, drawing each
epoch's order, and cutting it into batches.

Policy: epoch ``e`` visits the examples in the order
``numpy.random.default_rng([seed, e]).permutation(N)``, so any epoch can be
drawn again on its own (a resumed run continues with the same batches), and
cuts it into consecutive batches of ``size(N)``. Each batch is then a uniform
sample without replacement, the sampling the estimator's stated variance
holds for. When ``N`` is not a multiple of the batch size, ``last_batch``
says what becomes of the ``N mod B`` examples left at the end: ``"keep"``
(the default, as PyTorch's ``DataLoader`` and Keras's ``fit``) makes them a
smaller last batch; ``"drop"`` leaves them out of this epoch, so that every
step averages exactly ``B`` examples.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterator
from typing import Any, ClassVar

import numpy as np

LAST_BATCH_POLICIES = ("keep", "drop")


def split(order: np.ndarray, size: int, last_batch: str = "keep") -> list[np.ndarray]:
    """``order`` cut into consecutive batches of ``size``; the remainder by ``last_batch`` (``keep`` or ``drop``)."""
    whole = order.size // size * size
    batches = [order[start : start + size] for start in range(0, whole, size)]
    if whole < order.size and last_batch == "keep":
        batches.append(order[whole:])
    return batches


def _checked_count(argument: str, value: Any, lowest: int) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{argument} must be an integer, got {value!r}")
    if value < lowest:
        raise ValueError(f"{argument} must be >= {lowest}, got {value!r}")
    return int(value)


class Batches:
    """Epoch-wise shuffled index batches: which examples each step's gradient averages.

    ``seed``: an integer; None draws one from the operating system's entropy when the object is made (kept in
    ``seed`` and in ``get_config``, so that a run can be repeated).
    """

    arguments: ClassVar[tuple[tuple[str, int, int], ...]] = ()
    """The class's own arguments: (name, default, lowest value)."""
    shuffled: ClassVar[bool] = True
    """Whether the order of the examples matters (it does not when every batch is the whole set)."""
    partial: ClassVar[bool] = True
    """Whether an epoch can end in a partial batch (``N`` not a multiple of the batch size)."""

    def __init__(self, *, seed: int | None = None, last_batch: str = "keep", **arguments: Any):
        for name, _, lowest in self.arguments:
            setattr(self, name, _checked_count(name, arguments[name], lowest))
        if last_batch not in LAST_BATCH_POLICIES:
            raise ValueError(f"last_batch must be one of {', '.join(LAST_BATCH_POLICIES)}, got {last_batch!r}")
        self.last_batch = last_batch
        if seed is None:  # a class that does not shuffle has no use for one
            seed = int(np.random.SeedSequence().entropy % 2**63) if self.shuffled else 0
        self.seed = _checked_count("seed", seed, 0)

    def size(self, examples: int) -> int:
        """The examples one step's gradient averages, for a training set of ``examples``."""
        raise NotImplementedError

    @staticmethod
    def relative_variance(examples: int, size: int) -> float:
        """The variance of one coordinate of a batch's estimate over one example's (σ²), for ``examples`` >= 2."""
        raise NotImplementedError

    def variance_factor(self, examples: int) -> float:
        """The variance of one coordinate of a whole batch's estimate over that of one example's gradient (σ²).

        0 for a single example: the estimate is then exact. A batch size above ``examples`` counts as the whole set.
        """
        examples = _checked_count("examples", examples, 1)
        if examples == 1:
            return 0.0
        return float(self.relative_variance(examples, min(self.size(examples), examples)))

    def epoch(self, examples: int, number: int = 0) -> list[np.ndarray]:
        """The batches of epoch ``number`` (from 0) over ``examples`` examples: arrays of int64 indices."""
        examples = _checked_count("examples", examples, 1)
        number = _checked_count("number", number, 0)
        size = self.size(examples)
        if self.last_batch == "drop" and size > examples:
            raise ValueError(
                f"batch size {size} > {examples} examples: with last_batch='drop' an epoch would have no batch"
            )
        if self.shuffled:
            order = np.random.default_rng([self.seed, number]).permutation(examples)
        else:
            order = np.arange(examples)
        return split(order, size, self.last_batch)

    def epochs(self, examples: int, count: int, start: int = 0) -> Iterator[tuple[int, np.ndarray]]:
        """(epoch, batch) for every batch of ``count`` epochs from epoch ``start``."""
        for number in range(start, start + _checked_count("count", count, 0)):
            for batch in self.epoch(examples, number):
                yield number, batch

    def steps_per_epoch(self, examples: int) -> int:
        """The batches in one epoch over ``examples`` examples."""
        examples = _checked_count("examples", examples, 1)
        size = self.size(examples)
        whole = examples // size
        return whole + 1 if examples % size and self.last_batch == "keep" else whole

    def get_config(self) -> dict:
        """The arguments that rebuild this object: the class's own, ``seed`` where it shuffles, ``last_batch`` where an
        epoch can end in a partial batch."""
        config = {name: getattr(self, name) for name, _, _ in self.arguments}
        if self.shuffled:
            config["seed"] = self.seed
        if self.partial:
            config["last_batch"] = self.last_batch
        return config

    @classmethod
    def from_config(cls, config: dict) -> Batches:
        return cls(**config)

    def __repr__(self) -> str:
        settings = ", ".join(f"{name}={value!r}" for name, value in self.get_config().items())
        return f"{type(self).__name__}({settings})"
