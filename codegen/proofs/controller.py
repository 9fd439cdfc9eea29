"""What the generated checks of controllers import: the update run exactly, and the kernels run on numbers.

``prove_rates`` runs a controller's update, as the check states it (its
arguments substituted, numbers exact, symbols kept), epoch by epoch in exact
arithmetic, and compares the rates with what the statement says: each epoch's
difference must simplify to 0. ``prove_rates_differ`` finds the first epoch at
which two controllers part.

``confirm_rates`` runs the generated class on the same metrics in float64.
Its tolerance: a rate is the starting rate multiplied by ``factor`` once per
cut, each product rounded once (half an ulp), and ``min_lr`` is taken exactly;
so after n cuts the relative error is at most n·2⁻⁵³. ``KERNEL_CUTS`` cuts are
allowed for, far more than any statement makes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import sympy

from codegen.lower.controller import run_exactly
from codegen.proofs.package import generated_package

# What the generated checks import.
__all__ = [
    "confirm_rates",
    "confirm_rates_differ",
    "generated_package",
    "prove_rates",
    "prove_rates_differ",
    "run_exactly",
]

KERNEL_CUTS = 64
TOLERANCE = KERNEL_CUTS * 2.0**-53
"""The relative error a float64 kernel's rate may have: see the module's docstring."""


def prove_rates(update: Sequence, initial: dict, metrics: Sequence, expected: Sequence, what: str) -> None:
    """The update's rates on ``metrics`` are ``expected``, epoch by epoch, exactly."""
    rates = run_exactly(update, initial, metrics)
    assert len(rates) == len(expected), f"{what}: {len(rates)} epochs run, {len(expected)} rates stated"
    for epoch, (rate, stated) in enumerate(zip(rates, expected), 1):
        residual = sympy.simplify(rate - stated)
        assert residual == 0, f"{what}: after epoch {epoch} the rate is {rate}, not {stated} (residual {residual})"


def prove_rates_differ(first: Sequence, second: Sequence, metrics: Sequence, what: str) -> int:
    """The first epoch after which two runs' rates (``run_exactly``'s results) differ: there must be one."""
    for epoch, (one, other) in enumerate(zip(first, second), 1):
        if sympy.simplify(one - other) != 0:
            return epoch
    raise AssertionError(f"{what}: the rates agree at every one of the {len(metrics)} epochs")


def confirm_rates(controller, metrics: Iterable[float], expected: Sequence[float], what: str) -> None:
    """The generated ``controller`` stepped on ``metrics`` sets ``expected`` within ``TOLERANCE``, relatively."""
    rates = np.array([controller.step(metric) for metric in metrics])
    wanted = np.asarray(expected, dtype=np.float64)
    error = np.abs(rates - wanted) / np.abs(wanted)
    worst = int(np.argmax(error))
    assert error[worst] <= TOLERANCE, (
        f"{what}: after epoch {worst + 1} the kernel's rate is {rates[worst]!r}, not {wanted[worst]!r} "
        f"(relative error {error[worst]:.2e} > {TOLERANCE:.2e})"
    )


def confirm_rates_differ(first, second, metrics: Sequence[float], epoch: int, what: str) -> None:
    """The two generated controllers part after ``epoch`` (where the exact runs do), by more than ``TOLERANCE``."""
    for metric in metrics[: epoch - 1]:
        first.step(metric)
        second.step(metric)
    one, other = first.step(metrics[epoch - 1]), second.step(metrics[epoch - 1])
    assert abs(one - other) > TOLERANCE * max(abs(one), abs(other)), (
        f"{what}: the kernels agree after epoch {epoch} ({one!r}), where the exact rates differ"
    )
