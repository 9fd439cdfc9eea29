"""Plots of schedules: a LaTeX ``picture`` for the docs, a PNG for the command line.

The docs' plot is drawn from the generated kernel at build time. The build
has the generated module only as text, so ``load_without_jit`` executes that
text with ``numba.njit`` standing aside: the kernel's own source runs in
CPython (no compilation, no cache files), and its values are those of the
compiled kernel up to the last bits of libm, far below the plot's resolution.

The figure is text, written with fixed precision so that a rebuild is
byte-identical: axes, ticks and labels, and the curve as straight
``\\qbezier`` segments (a quadratic Bézier with its control point at the
middle is a straight line). ``\\qbezier`` and ``picture`` are in the LaTeX
kernel, so the figure needs no package. The polyline is thinned with the
Ramer-Douglas-Peucker rule to within a fraction of the line width.
"""

from __future__ import annotations

import argparse
import ast
import builtins
import itertools
import math
import textwrap
import types
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

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


# ----------------------------------------------------------------------------- running generated text


def load_without_jit(texts: dict[str, str]) -> dict[str, dict]:
    """Execute generated schedule modules (name → source) with Numba's decorators standing aside.

    Imports of ``numba`` get a stand-in whose ``njit`` returns the function
    unchanged, and the runtime's compiled helpers are replaced by their
    Python source (``py_func``); nothing else is touched, and nothing global.
    """
    import codegen.runtime.schedule as runtime

    stand_in = types.ModuleType("numba")
    stand_in.njit = _no_jit
    plain_runtime = types.ModuleType(runtime.__name__)
    for name, value in vars(runtime).items():
        setattr(plain_runtime, name, getattr(value, "py_func", value))

    def importer(name, globals=None, locals=None, fromlist=(), level=0):
        if name == "numba":
            return stand_in
        if name == runtime.__name__:
            return plain_runtime
        return builtins.__import__(name, globals, locals, fromlist, level)

    namespaces = {}
    for name, text in texts.items():
        namespace = {"__builtins__": {**vars(builtins), "__import__": importer}, "__name__": f"_plot_{name}"}
        exec(compile(text, f"<generated {name}>", "exec"), namespace)  # our own generated text, see the docstring
        namespaces[name] = namespace
    return namespaces


def _no_jit(*args, **kwargs):
    if len(args) == 1 and callable(args[0]) and not kwargs:
        return args[0]
    return lambda function: function


# ----------------------------------------------------------------------------- PNG


def write_png(schedule, steps: int, path: Path, title: str) -> Path:
    """Plot ``schedule`` over ``steps`` steps to a PNG with matplotlib (the ``plot`` extra)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as pyplot
    except ImportError as error:
        raise RuntimeError("plotting needs matplotlib: pip install 'trainspec[plot]'") from error
    values = schedule.values(steps)
    figure_, axes = pyplot.subplots(figsize=(7, 3.2), dpi=120)
    axes.plot(np.arange(steps), values, linewidth=1.2)
    axes.set_xlabel("step (0-based)")
    axes.set_ylabel("learning rate")
    axes.set_title("\n".join(textwrap.wrap(title, 100)), fontsize=8)
    axes.set_xlim(0, max(steps - 1, 1))
    axes.set_ylim(bottom=min(0.0, float(values.min())))
    axes.grid(alpha=0.3)
    figure_.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure_.savefig(path, metadata={"Software": None})
    pyplot.close(figure_)
    return path


# ----------------------------------------------------------------------------- the plot-schedule command


def schedule_options(cls) -> argparse.ArgumentParser:
    """A parser for ``cls``'s constructor arguments as ``--keras-name-with-dashes`` options."""
    parser = argparse.ArgumentParser(prog=f"trainspec plot-schedule {cls.__name__}", add_help=True)
    for argument in cls.arguments:
        option = "--" + argument.name.replace("_", "-")
        required = argument.required and argument.kind != "choice"
        if argument.kind == "number":
            kind = int if argument.integer else float
            parser.add_argument(
                option, type=kind, required=required, default=argument.default, help=argument.describe()
            )
        elif argument.kind == "list":
            parser.add_argument(option, type=float, nargs="+", required=True, help="numbers, space separated")
        elif argument.kind == "schedule":
            parser.add_argument(
                option, type=parse_schedule, required=True, help='another schedule, e.g. "CosineDecay(0.1, 900)"'
            )
        elif all(isinstance(choice, bool) for choice in argument.choices):
            parser.add_argument(option, type=_boolean, default=argument.default, help="true or false")
        else:
            parser.add_argument(option, choices=argument.choices, default=argument.default)
    parser.add_argument("--steps", type=int, default=1000, help="steps to plot, from 0 (default 1000)")
    parser.add_argument("--out", type=Path, default=None, help="the PNG to write (default: NAME.png)")
    return parser


def _boolean(value: str) -> bool:
    lowered = value.lower()
    if lowered not in {"true", "false", "1", "0"}:
        raise argparse.ArgumentTypeError(f"expected true or false, got {value!r}")
    return lowered in {"true", "1"}


def parse_schedule(source: str):
    """``"CosineDecay(0.1, decay_steps=900)"``: a schedule from a call with literal arguments (nothing evaluated)."""
    from trainspec.schedules import get

    try:
        call = ast.parse(source, mode="eval").body
        if not isinstance(call, ast.Call) or not isinstance(call.func, ast.Name):
            raise ValueError("not a call of a schedule by name")
        arguments = [_literal(a) for a in call.args]
        keywords = {keyword.arg: _literal(keyword.value) for keyword in call.keywords}
        return get(call.func.id)(*arguments, **keywords)
    except (SyntaxError, ValueError, TypeError) as error:
        raise argparse.ArgumentTypeError(f"{source!r}: {error}") from error


def _literal(node: ast.AST):
    if isinstance(node, ast.Call):
        return parse_schedule(ast.unparse(node))
    return ast.literal_eval(node)


def plot_command(name: str, options: list[str]) -> Path:
    """``trainspec plot-schedule NAME --option value ...``: write the PNG, return its path."""
    from trainspec.schedules import get

    cls = get(name)
    parsed = vars(schedule_options(cls).parse_args(options))
    steps, out = parsed.pop("steps"), parsed.pop("out")
    if steps < 2:
        raise ValueError(f"--steps must be at least 2, got {steps}")
    schedule = cls(**parsed)
    out = Path(f"{cls.__name__}.png") if out is None else out
    return write_png(schedule, steps, out, repr(schedule))
