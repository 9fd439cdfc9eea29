"""Benchmark of the generated initializers against NumPy's Generator and torch.nn.init.

One row per initializer of the registry, at its defaults. Every row fills the
same preallocated float32 array in place (no allocation in any timing):
trainspec with ``initializer.fill(out)``; NumPy with a
``numpy.random.Generator`` doing the same job vectorised for the spec's family
and parameters at the array's fans (the fastest way we know: ``out=`` draws
in float32, then in-place arithmetic; truncation by redrawing the
out-of-range values until none is left); torch with the ``torch.nn.init``
function that draws from the same distribution, on a tensor sharing the
array's memory, where torch has one: the spec's declared counterpart that
draws its distribution, else that of the registered initializer whose
arguments are its family's parameters (TruncNormal's ``trunc_normal_`` for
HeNormal's truncated normal), called with the spec's parameters. Each timing is the median of
``repeats`` runs; they take turns in rotating order (``time_interleaved``), so load from other
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
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import numpy as np

import trainspec
from codegen.build import SPECS_DIR
from codegen.language.common import Counterpart, example_value
from codegen.load import load_registry
from codegen.lower.initializer import Resolved, arguments_as_parameters, distribution_with, parameters_at, resolve
from codegen.progress import Progress
from codegen.referee.initializer_adapters import call_arguments, factor, imported, settle
from codegen.tools.bench_optimizers import Timing, time_interleaved

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


def _numpy_truncated(
    rng: np.random.Generator, mean: float, stddev: float, lower: float, upper: float
) -> Callable[[np.ndarray], None]:
    low, high = np.float32((lower - mean) / stddev), np.float32((upper - mean) / stddev)

    def fill(out: np.ndarray) -> None:
        flat = out.reshape(-1)
        rng.standard_normal(out=flat, dtype=np.float32)
        outside = np.flatnonzero((flat < low) | (flat > high))
        while outside.size:
            flat[outside] = rng.standard_normal(outside.size, dtype=np.float32)
            outside = outside[(flat[outside] < low) | (flat[outside] > high)]
        flat *= np.float32(stddev)
        flat += np.float32(mean)

    return fill


def _numpy_uniform(rng: np.random.Generator, minval: float, maxval: float) -> Callable[[np.ndarray], None]:
    def fill(out: np.ndarray) -> None:
        rng.random(out=out.reshape(-1), dtype=np.float32)
        out *= np.float32(maxval - minval)
        out += np.float32(minval)

    return fill


def _numpy_constant(rng: np.random.Generator, value: float) -> Callable[[np.ndarray], None]:
    return lambda out: out.fill(value)


def _numpy_identity(rng: np.random.Generator, gain: float) -> Callable[[np.ndarray], None]:
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


NUMPY_FILLS: dict[str, Callable[..., Callable[[np.ndarray], None]]] = {
    "normal": _numpy_normal,
    "truncated_normal": _numpy_truncated,
    "uniform": _numpy_uniform,
    "constant": _numpy_constant,
    "identity": _numpy_identity,
    "orthogonal": _numpy_orthogonal,
}
"""NumPy's fill for each family, called with a Generator and the family's parameters by name."""


def _torch_job(
    resolved: Resolved, counterpart: Counterpart, arguments: dict
) -> tuple[Callable[[np.ndarray], object], str] | None:
    """``counterpart`` called as declared with ``arguments``, in place on a tensor sharing the array's memory."""
    try:
        import torch
    except ImportError:
        return None
    init = imported(counterpart)
    keywords = call_arguments(resolved, counterpart, arguments)
    times = factor(resolved, counterpart, arguments)

    def fill(out: np.ndarray) -> None:
        tensor = torch.from_numpy(out)
        init(tensor, **keywords)
        if times != 1.0:
            tensor.mul_(times)

    return fill, counterpart.name.rpartition(".")[2]


def _defaults(resolved: Resolved) -> dict:
    arguments = {h.argument: example_value(h) for h in resolved.arguments}
    return arguments | {c.argument: c.default for c in resolved.choices}


def _same_in_torch(resolved: Resolved, arguments: dict) -> Counterpart | None:
    """The spec's torch counterpart that draws its distribution at these arguments, if it declares one."""
    if not any(c.library == "torch" for c in resolved.spec.counterparts):
        return None
    counterpart, _ = settle(resolved, "torch", arguments)
    return counterpart if counterpart.same else None


def _takes_its_parameters(resolved: Resolved) -> bool:
    """One case, whose family's parameters are all arguments as they are (RandomNormal, TruncNormal)."""
    if len(resolved.cases) != 1:
        return False
    (case,) = resolved.cases
    return set(arguments_as_parameters(resolved, case).values()) == {p.name for p, _ in case.distribution.parameters}


def _torch_for(
    resolved: Resolved, parametric: list[Resolved], parameters: dict[str, float]
) -> tuple[Callable[[np.ndarray], object], str] | None:
    """The torch job that draws ``resolved``'s distribution at its defaults: its own counterpart, else that of a
    registered initializer whose arguments are the family's parameters, set to ``parameters``."""
    counterpart = _same_in_torch(resolved, _defaults(resolved))
    if counterpart is not None:
        return _torch_job(resolved, counterpart, _defaults(resolved))
    family = distribution_with(resolved, _defaults(resolved)).family
    for other in parametric:
        (case,) = other.cases
        if case.distribution.family != family:
            continue
        arguments = {name: parameters[role] for name, role in arguments_as_parameters(other, case).items()}
        counterpart = _same_in_torch(other, arguments)
        if counterpart is not None:
            return _torch_job(other, counterpart, arguments)
    return None


def jobs(size: int, specs_dir: Path = SPECS_DIR, package: ModuleType = trainspec) -> list[tuple[tuple[int, int], Job]]:
    """Every initializer of the registry in ``specs_dir`` at its defaults, as ``package`` generates it, with its
    NumPy and torch counterparts, and its shape."""
    side = math.isqrt(size)
    square = (side, side)  # its fans read alike in either layout
    tall = (max(ORTHOGONAL_COLUMNS, min(size, ORTHOGONAL_MAX_VALUES) // ORTHOGONAL_COLUMNS), ORTHOGONAL_COLUMNS)
    rng = np.random.default_rng(0)
    specs = {spec.name: spec for spec in load_registry(specs_dir).initializers}
    registry = [resolve(spec, specs) for _, spec in sorted(specs.items())]
    parametric = [r for r in registry if _takes_its_parameters(r)]
    shaped = []
    for resolved in registry:
        cls = package.initializers.INITIALIZERS[resolved.spec.name]
        family = distribution_with(resolved, _defaults(resolved)).family
        # A bias's initializer takes vectors only: the same number of values in one dimension.
        shape = tall if family == "orthogonal" else square if resolved.ranks[1] != 1 else (side * side,)
        _, parameters = parameters_at(resolved, {}, {}, cls.compute_fans(shape))
        initializer = cls(**resolved.required_examples, **({"seed": 1} if resolved.random else {}))
        torch = _torch_for(resolved, parametric, parameters)
        numpy = NUMPY_FILLS[family](rng, **parameters)
        job = Job(resolved.spec.name, initializer.fill, numpy, *(torch if torch else (None, "")))
        shaped.append((shape, job))
    return shaped


@dataclass(frozen=True)
class Row:
    name: str
    values: int
    trainspec: Timing
    one_thread: Timing
    numpy: Timing
    torch: Timing | None
    torch_name: str


def measure(shape: tuple[int, int], job: Job, repeats: int, package: ModuleType = trainspec) -> Row:
    out = np.empty(shape, dtype=np.float32)
    job.trainspec(out)  # warm-up: compiles the kernel (or loads it from Numba's cache) and touches every page
    steps = {
        "trainspec": lambda: job.trainspec(out),
        "trainspec, one thread": lambda: _one_thread(job.trainspec, out, package.runtime.initializer),
        "numpy": lambda: job.numpy(out),
    }
    if job.torch is not None:
        steps["torch"] = lambda: job.torch(out)
    seconds = time_interleaved(steps, repeats, warmup=0)
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


def _one_thread(fill: Callable[[np.ndarray], object], out: np.ndarray, runtime: ModuleType) -> None:
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
            f"{row.numpy.low / row.trainspec.low:.2f}",
            f"{row.numpy.median / row.one_thread.median:.2f}",
            torch_ratio,
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def machine_lines(package: ModuleType = trainspec) -> list[str]:
    try:
        import torch

        torch_text = f"torch {torch.__version__} ({torch.get_num_threads()} threads)"
    except ImportError:
        torch_text = "torch not installed"
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return [
        f"- {platform.machine()}, {os.cpu_count()} logical cores; load average before the run {load:.2f}",
        f"- NumPy {np.__version__}, {torch_text}",
        f"- trainspec: blocks of {package.initializers.kernels.BLOCK_SIZE} values, each its own PCG64 stream, on up "
        f"to {package.runtime.initializer.THREADS} threads",
    ]


def run(
    size: int = DEFAULT_SIZE,
    repeats: int = 3,
    names: tuple[str, ...] = (),
    specs_dir: Path = SPECS_DIR,
    package: ModuleType = trainspec,
) -> str:
    """Measure every initializer of the registry in ``specs_dir`` (or those in ``names``), as ``package`` generates
    it, on ``size`` float32 values; print Markdown, return it."""
    try:
        import torch

        torch.set_num_threads(os.cpu_count() or 1)
    except ImportError:
        pass
    header = machine_lines(package)
    chosen = [(shape, job) for shape, job in jobs(size, specs_dir, package) if not names or job.name in names]
    rows = []
    with Progress() as progress:
        for index, (shape, job) in enumerate(chosen, 1):
            progress.step(f"bench initializers: {index}/{len(chosen)} {job.name}")
            rows.append(measure(shape, job, repeats, package))
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
