"""``trainspec plot-schedule``: a schedule with the user's arguments, plotted to a PNG with matplotlib."""

from __future__ import annotations

import argparse
import ast
import textwrap
from pathlib import Path

import numpy as np

from trainspec.schedules import get

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
            kind = int if argument.integer else float
            parser.add_argument(option, type=kind, nargs="+", required=True, help="numbers, space separated")
        elif argument.kind == "schedules":
            parser.add_argument(
                option, type=parse_schedule, nargs="+", required=True, help='schedules, each quoted: "ConstantLR(0.1)"'
            )
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
    cls = get(name)
    parsed = vars(schedule_options(cls).parse_args(options))
    steps, out = parsed.pop("steps"), parsed.pop("out")
    if steps < 2:
        raise ValueError(f"--steps must be at least 2, got {steps}")
    schedule = cls(**parsed)
    out = Path(f"{cls.__name__}.png") if out is None else out
    return write_png(schedule, steps, out, repr(schedule))
