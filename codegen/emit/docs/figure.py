"""A plot as a LaTeX ``picture``: the docs' plots of the schedules, drawn from the generated kernels.

The figure is text, written with fixed precision so that the same values give
byte-identical output: axes, ticks and labels, and the curve as straight
``\\qbezier`` segments (a quadratic Bézier with its control point at the
middle is a straight line). ``\\qbezier`` and ``picture`` are in the LaTeX
kernel, so the figure needs no package. The polyline is thinned with the
Ramer-Douglas-Peucker rule to within a fraction of the line width.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from codegen.emit.common import Emitted

# The plot area, in picture units of 0.1 mm.
WIDTH = 1000
HEIGHT = 420
UNIT = "0.1mm"
# A point may leave the thinned polyline when it is this close to it (picture units: 0.02 mm).
TOLERANCE = 0.2
MARGIN_LEFT = 130
MARGIN_BOTTOM = 70


@dataclass(frozen=True)
class Tick:
    position: str
    label: str


@dataclass(frozen=True)
class Figure:
    """A plot as finished strings: the picture's size, the curve's segments, the ticks."""

    unit: str
    width: int
    height: int
    box: str
    segments: tuple[str, ...]
    x_ticks: tuple[Tick, ...]
    y_ticks: tuple[Tick, ...]


def figure(values: Sequence[float]) -> Figure:
    """The plot of ``values`` at steps 0, 1, ..., len - 1, from 0 up to a little above the largest value."""
    values = np.asarray(values, dtype=np.float64)
    if values.size < 2 or not np.all(np.isfinite(values)):
        raise ValueError("a plot needs at least two finite values")
    last = values.size - 1
    low = min(0.0, float(values.min()))
    high = _nice_ceiling(float(values.max()))
    if high <= low:
        high = low + 1.0
    xs = np.arange(values.size) * (WIDTH / last)
    ys = (values - low) * (HEIGHT / (high - low))
    points = thinned(list(zip(xs.tolist(), ys.tolist())), TOLERANCE)
    segments = tuple(_segment(a, b) for a, b in itertools.pairwise(points))
    x_ticks = tuple(Tick(_coordinate(step * WIDTH / last), str(step)) for step in _ticks(0, last))
    y_ticks = tuple(
        Tick(_coordinate((value - low) * HEIGHT / (high - low)), _label(value)) for value in _y_ticks(low, high)
    )
    # The picture's size and lower-left corner: room left of the axis for the labels, below for the ticks.
    box = f"({WIDTH + MARGIN_LEFT},{HEIGHT + MARGIN_BOTTOM + 20})(-{MARGIN_LEFT},-{MARGIN_BOTTOM})"
    return Figure(UNIT, WIDTH, HEIGHT, box, segments, x_ticks, y_ticks)


def _segment(a: tuple[float, float], b: tuple[float, float]) -> str:
    middle = ((a[0] + b[0]) / 2, (a[1] + b[1]) / 2)
    return "".join(f"({_coordinate(x)},{_coordinate(y)})" for x, y in (a, middle, b))


def _coordinate(value: float) -> str:
    text = f"{value:.1f}"
    return "0.0" if text == "-0.0" else text


def _label(value: float) -> str:
    if value == 0:
        return "0"
    return f"{value:.3g}"


def _nice_ceiling(value: float) -> float:
    """The smallest of 1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10 times a power of ten that is at least ``value``."""
    if value <= 0:
        return 0.0
    power = 10.0 ** math.floor(math.log10(value))
    for factor in (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if factor * power >= value * (1 - 1e-12):
            return factor * power
    return 10 * power


def _ticks(first: int, last: int) -> list[int]:
    """Round steps between ``first`` and ``last``: at most six, multiples of 1, 2 or 5 times a power of ten."""
    span = max(last - first, 1)
    for power in range(0, 12):
        for factor in (1, 2, 5):
            spacing = factor * 10**power
            if span / spacing <= 5:
                return list(range(first, last + 1, spacing))
    return [first, last]


def _y_ticks(low: float, high: float) -> list[float]:
    return [low + (high - low) * i / 4 for i in range(5)]


def thinned(points: list[tuple[float, float]], tolerance: float) -> list[tuple[float, float]]:
    """Ramer-Douglas-Peucker: drop points within ``tolerance`` of the line between the points kept around them."""
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        (x0, y0), (x1, y1) = points[first], points[last]
        length = math.hypot(x1 - x0, y1 - y0)
        farthest, distance = None, tolerance
        for index in range(first + 1, last):
            x, y = points[index]
            # Distance to the line through the two kept points (to the point itself when they coincide).
            d = abs((x1 - x0) * (y0 - y) - (x0 - x) * (y1 - y0)) / length if length else math.hypot(x - x0, y - y0)
            if d > distance:
                farthest, distance = index, d
        if farthest is not None:
            keep[farthest] = True
            stack += [(first, farthest), (farthest, last)]
    return [point for point, kept in zip(points, keep) if kept]


def figure_file(path: str, values: Sequence[float], source: str) -> Emitted:
    """The picture of ``values`` (steps 0, 1, ...) as a file at ``path`` in the docs folder."""
    return Emitted(path, "docs/figure.tex.jinja", figure(values), source)
