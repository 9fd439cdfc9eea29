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
# Consecutive points of a drawn polyline are at least this far apart (picture units: 0.1 mm): LaTeX's \qbezier
# overflows on shorter segments, and a ragged curve has many.
SPACING = 1.0
MARGIN_LEFT = 130
MARGIN_BOTTOM = 85
PICTURE_WIDTH = f"{(WIDTH + MARGIN_LEFT) / 10:g}mm"
"""The width of every figure, the tick labels left of the axis included (the legend below is narrower)."""


@dataclass(frozen=True)
class Tick:
    position: str
    label: str


@dataclass(frozen=True)
class Curve:
    """One polyline, as ``\\qbezier`` segments, in a colour of xcolor (empty: the text colour, no package)."""

    colour: str
    segments: tuple[str, ...]


@dataclass(frozen=True)
class Marker:
    position: str
    colour: str


@dataclass(frozen=True)
class Figure:
    """A plot as finished strings: the picture's size, the curves, markers, ticks, axis labels and legend."""

    unit: str
    width: int
    height: int
    box: str
    curves: tuple[Curve, ...]
    markers: tuple[Marker, ...]
    x_ticks: tuple[Tick, ...]
    y_ticks: tuple[Tick, ...]
    x_label: str
    y_label: str
    legend: tuple[tuple[str, str], ...]
    """(colour, label) of each labelled curve, in order."""


@dataclass(frozen=True)
class Axis:
    """One axis: its label (LaTeX), its range, log-scaled or not, and its tick values (None: chosen here)."""

    label: str
    low: float
    high: float
    log: bool = False
    ticks: tuple[float, ...] | None = None

    def scaled(self, values: np.ndarray, length: int) -> np.ndarray:
        """``values`` in picture units along an axis of ``length``."""
        transform = np.log10 if self.log else np.asarray
        low, high = transform(self.low), transform(self.high)
        return (transform(values) - low) * (length / (high - low))

    def tick_values(self) -> tuple[float, ...]:
        if self.ticks is not None:
            return self.ticks
        if self.log:
            first, last = math.ceil(math.log10(self.low) - 1e-9), math.floor(math.log10(self.high) + 1e-9)
            return tuple(10.0**power for power in range(first, last + 1))
        return tuple(self.low + (self.high - self.low) * i / 4 for i in range(5))

    def tick_label(self, value: float) -> str:
        power = math.log10(value) if self.log else None
        if power is not None and abs(power - round(power)) < 1e-9 and abs(power) > 2:
            return f"$10^{{{round(power)}}}$"
        return _label(value)


@dataclass(frozen=True)
class Series:
    """One curve to plot: its points, its colour (xcolor's name; empty for the text colour) and legend label."""

    xs: Sequence[float]
    ys: Sequence[float]
    colour: str = ""
    label: str = ""
    marked: bool = False
    """Whether its first point is marked (a trajectory's start)."""


def plot(series: Sequence[Series], x: Axis, y: Axis, height: int = HEIGHT, marks: Sequence[tuple] = ()) -> Figure:
    """``series`` on the axes ``x`` and ``y``; a segment that leaves the plot area is left out. ``marks``: points
    (x, y, colour) drawn as dots (a minimum)."""
    curves = []
    for one in series:
        xs = x.scaled(np.asarray(one.xs, dtype=np.float64), WIDTH)
        ys = y.scaled(np.asarray(one.ys, dtype=np.float64), height)
        if xs.size < 2 or not (np.all(np.isfinite(xs)) and np.all(np.isfinite(ys))):
            raise ValueError(f"a curve needs at least two finite points: {one.label or 'the curve'}")
        points = spaced(thinned(list(zip(xs.tolist(), ys.tolist())), TOLERANCE), SPACING)
        inside = [a for a in itertools.pairwise(points) if _inside(a[0], height) and _inside(a[1], height)]
        curves.append(Curve(one.colour, tuple(_segment(a, b) for a, b in inside)))
    starts = [(one.xs[0], one.ys[0], one.colour) for one in series if one.marked]
    markers = tuple(Marker(_position(x, y, a, b, height), colour) for a, b, colour in (*starts, *marks))
    x_ticks = tuple(Tick(_coordinate(_scaled(x, v, WIDTH)), x.tick_label(v)) for v in x.tick_values())
    y_ticks = tuple(Tick(_coordinate(_scaled(y, v, height)), y.tick_label(v)) for v in y.tick_values())
    legend = tuple((one.colour, one.label) for one in series if one.label)
    # The picture's size and lower-left corner: room left of the axis for the labels, below for the ticks.
    box = f"({WIDTH + MARGIN_LEFT},{height + MARGIN_BOTTOM + 20})(-{MARGIN_LEFT},-{MARGIN_BOTTOM})"
    return Figure(UNIT, WIDTH, height, box, tuple(curves), markers, x_ticks, y_ticks, x.label, y.label, legend)


def figure(values: Sequence[float], first: int = 0, label: str = "step $k$") -> Figure:
    """The plot of ``values`` at steps ``first``, ``first + 1``, ... (the axis named ``label``), from 0 up to a little
    above the largest value."""
    values = np.asarray(values, dtype=np.float64)
    if values.size < 2 or not np.all(np.isfinite(values)):
        raise ValueError("a plot needs at least two finite values")
    last = first + values.size - 1
    low = min(0.0, float(values.min()))
    high = _nice_ceiling(float(values.max()))
    if high <= low:
        high = low + 1.0
    steps = Axis(label, float(first), float(last), ticks=tuple(float(step) for step in _ticks(first, last)))
    return plot([Series(np.arange(first, last + 1), values)], steps, Axis("", low, high))


def _scaled(axis: Axis, value: float, length: int) -> float:
    return float(axis.scaled(np.float64(value), length))


def _position(x: Axis, y: Axis, a: float, b: float, height: int) -> str:
    return f"({_coordinate(_scaled(x, a, WIDTH))},{_coordinate(_scaled(y, b, height))})"


def _inside(point: tuple[float, float], height: int) -> bool:
    slack = 1e-6
    return -slack <= point[0] <= WIDTH + slack and -slack <= point[1] <= height + slack


def _segment(a: tuple[float, float], b: tuple[float, float]) -> str:
    middle = ((a[0] + b[0]) / 2, (a[1] + b[1]) / 2)
    return "".join(f"({_coordinate(x)},{_coordinate(y)})" for x, y in (a, middle, b))


def _coordinate(value: float) -> str:
    text = f"{value:.1f}"
    return "0.0" if text == "-0.0" else text


def _label(value: float) -> str:
    if float(value).is_integer() and abs(value) < 1e6:
        return str(int(value))
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


def spaced(points: list[tuple[float, float]], spacing: float) -> list[tuple[float, float]]:
    """``points`` without those closer than ``spacing`` to the point kept before them (the last is always kept)."""
    kept = points[:1]
    for point in points[1:-1]:
        if math.dist(point, kept[-1]) >= spacing:
            kept.append(point)
    if len(points) > 1:
        if len(kept) > 1 and math.dist(points[-1], kept[-1]) < spacing:
            kept.pop()
        kept.append(points[-1])
    return kept


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


def figure_file(path: str, drawn: Figure, source: str) -> Emitted:
    """The picture ``drawn`` (``figure`` or ``plot``) as a file at ``path`` in the docs folder."""
    return Emitted(path, "docs/figure.tex.jinja", drawn, source)
