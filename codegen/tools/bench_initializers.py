"""Benchmark of the generated initializers against NumPy's Generator and torch.nn.init.

Every row fills the same preallocated float32 array in place (no allocation
in any timing): trainspec with ``initializer.fill(out)``; NumPy with a
``numpy.random.Generator`` doing the same job vectorised (the fastest way we
know: ``out=`` draws in float32, then in-place arithmetic; truncation by
redrawing the out-of-range values until none is left); torch with the
``torch.nn.init`` function that draws from the same distribution, on a tensor
sharing the array's memory, where torch has one. Each timing is the median of
``repeats`` runs; the three run in turn in every round, so load from other
processes hits them alike. One trainspec run before the timing compiles the
kernel (or loads it from Numba's cache) and touches every page of the array.

The ratio is NumPy's time over trainspec's: above 1 means trainspec is faster. It is given for
the medians, for the best run of each (the cost when no other process took the cores), and
against trainspec on one thread (its cost per core; NumPy's Generator and fill use one).
"""

from __future__ import annotations

import math
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from trainspec import initializers as ts
from trainspec.initializers.kernels import BLOCK_SIZE
from trainspec.runtime import initializer as runtime

DEFAULT_SIZE = 10**8
ORTHOGONAL_COLUMNS = 100
ORTHOGONAL_MAX_VALUES = 10**6
"""Orthogonal fills a tall (rows, 100) matrix of at most 10^6 values: its cost is LAPACK's QR, which grows as
rows·cols² and takes minutes at 10^8 values in NumPy and in trainspec alike (both call the same QR)."""


@dataclass(frozen=True)
class Job:
    """One row: how each implementation fills ``out`` (a 2-D float32 array) with one initializer."""

    name: str
    trainspec: Callable[[np.ndarray], object]
    numpy: Callable[[np.ndarray], object]
    torch: Callable[[np.ndarray], object] | None
    torch_name: str


def _numpy_normal(rng: np.random.Generator, mean: float, stddev: float) -> Callable[[np.ndarray], None]:
    def fill(out: np.ndarray) -> None:
        rng.standard_normal(out=out.reshape(-1), dtype=np.float32)
        out *= np.float32(stddev)
        out += np.float32(mean)

    return fill


def _numpy_truncated(rng: np.random.Generator, mean: float, stddev: float) -> Callable[[np.ndarray], None]:
    def fill(out: np.ndarray) -> None:
        flat = out.reshape(-1)
        rng.standard_normal(out=flat, dtype=np.float32)
        outside = np.flatnonzero(np.abs(flat) > 2)
        while outside.size:
            flat[outside] = rng.standard_normal(outside.size, dtype=np.float32)
            outside = outside[np.abs(flat[outside]) > 2]
        flat *= np.float32(stddev)
        flat += np.float32(mean)

    return fill


def _numpy_uniform(rng: np.random.Generator, low: float, high: float) -> Callable[[np.ndarray], None]:
    def fill(out: np.ndarray) -> None:
        rng.random(out=out.reshape(-1), dtype=np.float32)
        out *= np.float32(high - low)
        out += np.float32(low)

    return fill


def _numpy_constant(value: float) -> Callable[[np.ndarray], None]:
    return lambda out: out.fill(value)


def _numpy_identity(gain: float) -> Callable[[np.ndarray], None]:
    def fill(out: np.ndarray) -> None:
        out.fill(0)
        np.fill_diagonal(out, gain)

    return fill


def _numpy_orthogonal(rng: np.random.Generator, gain: float) -> Callable[[np.ndarray], None]:
    def fill(out: np.ndarray) -> None:
        rows, cols = out.shape  # the benchmark's matrix is tall: no transpose needed
        gaussian = rng.standard_normal((rows, cols), dtype=np.float32)
        q, r = np.linalg.qr(gaussian)
        np.multiply(q, np.sign(np.diagonal(r)) * np.float32(gain), out=out)

    return fill


def _torch_job(function: str, **arguments: object) -> Callable[[np.ndarray], object] | None:
    try:
        import torch
    except ImportError:
        return None
    init = getattr(torch.nn.init, function)
    return lambda out: init(torch.from_numpy(out), **arguments)


def jobs(size: int) -> list[tuple[tuple[int, int], Job]]:
    """Every generated initializer at its defaults, with its NumPy and torch counterparts, and its shape."""
    side = math.isqrt(size)
    square = (side, side)
    tall = (max(ORTHOGONAL_COLUMNS, min(size, ORTHOGONAL_MAX_VALUES) // ORTHOGONAL_COLUMNS), ORTHOGONAL_COLUMNS)
    rng = np.random.default_rng(0)
    c = float(ts.kernels.TRUNCATED_STD)
    fan = float(side)

    def truncated(name: str, initializer, stddev: float) -> Job:
        torch = _torch_job("trunc_normal_", mean=0.0, std=stddev, a=-2 * stddev, b=2 * stddev)
        return Job(name, initializer.fill, _numpy_truncated(rng, 0.0, stddev), torch, "trunc_normal_")

    def normal(name: str, initializer, stddev: float, torch_name: str, **torch_arguments: object) -> Job:
        torch = _torch_job(torch_name, **torch_arguments)
        return Job(name, initializer.fill, _numpy_normal(rng, 0.0, stddev), torch, torch_name)

    def uniform(name: str, initializer, limit: float, torch_name: str, **torch_arguments: object) -> Job:
        torch = _torch_job(torch_name, **torch_arguments)
        return Job(name, initializer.fill, _numpy_uniform(rng, -limit, limit), torch, torch_name)

    rows = [
        Job(
            "RandomNormal",
            ts.RandomNormal(seed=1).fill,
            _numpy_normal(rng, 0.0, 0.05),
            _torch_job("normal_", mean=0.0, std=0.05),
            "normal_",
        ),
        truncated("TruncatedNormal", ts.TruncatedNormal(seed=1), 0.05),
        uniform("RandomUniform", ts.RandomUniform(seed=1), 0.05, "uniform_", a=-0.05, b=0.05),
        Job("Zeros", ts.Zeros().fill, _numpy_constant(0.0), _torch_job("zeros_"), "zeros_"),
        Job("Ones", ts.Ones().fill, _numpy_constant(1.0), _torch_job("ones_"), "ones_"),
        Job("Constant", ts.Constant(0.5).fill, _numpy_constant(0.5), _torch_job("constant_", val=0.5), "constant_"),
        truncated("VarianceScaling", ts.VarianceScaling(seed=1), math.sqrt(1 / fan) / c),
        truncated("GlorotNormal", ts.GlorotNormal(seed=1), math.sqrt(1 / fan) / c),
        uniform("GlorotUniform", ts.GlorotUniform(seed=1), math.sqrt(3 / fan), "xavier_uniform_"),
        truncated("HeNormal", ts.HeNormal(seed=1), math.sqrt(2 / fan) / c),
        uniform("HeUniform", ts.HeUniform(seed=1), math.sqrt(6 / fan), "kaiming_uniform_", a=0.0),
        truncated("LecunNormal", ts.LecunNormal(seed=1), math.sqrt(1 / fan) / c),
        # kaiming_uniform_ with the 'linear' gain 1 is U(±sqrt(3/fan_in)): LecunUniform.
        uniform("LecunUniform", ts.LecunUniform(seed=1), math.sqrt(3 / fan), "kaiming_uniform_", nonlinearity="linear"),
        Job("Identity", ts.Identity().fill, _numpy_identity(1.0), _torch_job("eye_"), "eye_"),
        # PyTorch's conventions at their defaults, on the square shape (its fans read either way alike).
        uniform("XavierUniform", ts.XavierUniform(seed=1), math.sqrt(3 / fan), "xavier_uniform_"),
        normal("XavierNormal", ts.XavierNormal(seed=1), math.sqrt(1 / fan), "xavier_normal_"),
        uniform("KaimingUniform", ts.KaimingUniform(seed=1), math.sqrt(6 / fan), "kaiming_uniform_", a=0.0),
        normal("KaimingNormal", ts.KaimingNormal(seed=1), math.sqrt(2 / fan), "kaiming_normal_", a=0.0),
        Job(
            "TruncNormal",
            ts.TruncNormal(seed=1).fill,
            _numpy_truncated(rng, 0.0, 1.0),
            _torch_job("trunc_normal_"),
            "trunc_normal_",
        ),
    ]
    shaped = [(square, job) for job in rows]
    orthogonal = Job(
        "Orthogonal",
        ts.Orthogonal(seed=1).fill,
        _numpy_orthogonal(rng, 1.0),
        _torch_job("orthogonal_"),
        "orthogonal_",
    )
    shaped.append((tall, orthogonal))
    return shaped


@dataclass(frozen=True)
class Timing:
    median: float
    best: float


def time_interleaved(steps: dict[str, Callable[[], object]], repeats: int) -> dict[str, Timing]:
    """Each step timed in turn, round after round, so load from elsewhere hits all alike: median and best."""
    seconds: dict[str, list[float]] = {name: [] for name in steps}
    for _ in range(max(1, repeats)):
        for name, step in steps.items():
            start = time.perf_counter()
            step()
            seconds[name].append(time.perf_counter() - start)
    return {name: Timing(statistics.median(values), min(values)) for name, values in seconds.items()}


@dataclass(frozen=True)
class Row:
    name: str
    values: int
    trainspec: Timing
    one_thread: Timing
    numpy: Timing
    torch: Timing | None
    torch_name: str


def measure(shape: tuple[int, int], job: Job, repeats: int) -> Row:
    out = np.empty(shape, dtype=np.float32)
    job.trainspec(out)  # warm-up: compiles the kernel (or loads it from Numba's cache) and touches every page
    steps = {
        "trainspec": lambda: job.trainspec(out),
        "trainspec, one thread": lambda: _one_thread(job.trainspec, out),
        "numpy": lambda: job.numpy(out),
    }
    if job.torch is not None:
        steps["torch"] = lambda: job.torch(out)
    seconds = time_interleaved(steps, repeats)
    torch_name = job.torch_name if job.torch else ""
    return Row(
        job.name,
        out.size,
        seconds["trainspec"],
        seconds["trainspec, one thread"],
        seconds["numpy"],
        seconds.get("torch"),
        torch_name,
    )


def _one_thread(fill: Callable[[np.ndarray], object], out: np.ndarray) -> None:
    """``fill`` with the runtime's thread pool out of the way: the cost per core, whatever else runs."""
    threads = runtime.THREADS
    runtime.THREADS = 1
    try:
        fill(out)
    finally:
        runtime.THREADS = threads


def markdown_table(rows: list[Row]) -> str:
    header = [
        "initializer",
        "values",
        "trainspec ms",
        "Gvalues/s",
        "trainspec, 1 thread ms",
        "NumPy Generator ms",
        "torch.nn.init ms",
        "NumPy / trainspec",
        "same, best runs",
        "NumPy / trainspec 1 thread",
        "torch / trainspec",
    ]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        torch = "—" if row.torch is None else f"{row.torch.median * 1e3:.1f} ({row.torch_name})"
        torch_ratio = "—" if row.torch is None else f"{row.torch.median / row.trainspec.median:.2f}"
        cells = [
            row.name,
            f"{row.values:.0e}",
            f"{row.trainspec.median * 1e3:.1f}",
            f"{row.values / row.trainspec.median / 1e9:.2f}",
            f"{row.one_thread.median * 1e3:.1f}",
            f"{row.numpy.median * 1e3:.1f}",
            torch,
            f"{row.numpy.median / row.trainspec.median:.2f}",
            f"{row.numpy.best / row.trainspec.best:.2f}",
            f"{row.numpy.median / row.one_thread.median:.2f}",
            torch_ratio,
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def machine_lines() -> list[str]:
    try:
        import torch

        torch_text = f"torch {torch.__version__} ({torch.get_num_threads()} threads)"
    except ImportError:
        torch_text = "torch not installed"
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return [
        f"- {platform.machine()}, {os.cpu_count()} logical cores; load average before the run {load:.2f}",
        f"- NumPy {np.__version__}, {torch_text}",
        f"- trainspec: blocks of {BLOCK_SIZE} values, each its own PCG64 stream, on up to {runtime.THREADS} threads",
    ]


def run(size: int = DEFAULT_SIZE, repeats: int = 3, names: tuple[str, ...] = ()) -> str:
    """Measure every initializer (or those in ``names``) on ``size`` float32 values; print Markdown, return it."""
    try:
        import torch

        torch.set_num_threads(os.cpu_count() or 1)
    except ImportError:
        pass
    header = machine_lines()
    rows = []
    for shape, job in jobs(size):
        if names and job.name not in names:
            continue
        rows.append(measure(shape, job, repeats))
        print(f"  measured {job.name}", file=sys.stderr, flush=True)
    text = "\n".join(
        [
            *header,
            "",
            f"Filling a preallocated float32 array of {size:.0e} values in place (Orthogonal: "
            f"{min(size, ORTHOGONAL_MAX_VALUES):.0e}); median of {repeats} runs, the three libraries in turn "
            "in each round, after one trainspec warm-up run. Ratios above 1: trainspec is faster.",
            "",
            markdown_table(rows),
        ]
    )
    print(text)
    return text


if __name__ == "__main__":
    run(int(float(sys.argv[1])) if len(sys.argv) > 1 else DEFAULT_SIZE)
