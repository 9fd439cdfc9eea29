"""``trainspec bench --only torch``: ``trainspec.torch``'s TorchAdam against ``torch.optim.Adam(fused=True)``.

Four parameter lists as models have them, float32, default hyperparameters:

(a) one tensor of 10^7 elements;
(b) ResNet-50's parameters: 161 tensors, 25.6 M elements (its exact shapes);
(c) a transformer's: 289 tensors, about 101 M elements (24 layers of width 560, an embedding);
(d) 1000 tensors of 1000 elements.

Contenders, in the same process, taking turns step by step (``time_interleaved``):
trainspec's TorchAdam as a ``torch.optim.Optimizer``; the same through the
NumPy API (``apply`` on views of the same kind of arrays); torch's fused and
foreach Adam. Each figure is the median of ``repeats`` steps after warm-up.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

import trainspec
import trainspec.torch
from codegen.progress import Progress
from codegen.tools.bench_optimizers import Timing, machine_info, time_interleaved

RESNET50_STAGES = ((64, 3), (128, 4), (256, 6), (512, 3))
"""(width, bottleneck blocks) of each stage; a block's output is 4 × its width."""
TRANSFORMER_LAYERS, TRANSFORMER_WIDTH, TRANSFORMER_VOCABULARY = 24, 560, 18_750


def resnet50_shapes() -> list[tuple[int, ...]]:
    """The shapes of ResNet-50's parameters, in the order torchvision lists them: 161 tensors."""
    shapes: list[tuple[int, ...]] = [(64, 3, 7, 7), (64,), (64,)]
    channels = 64
    for width, blocks in RESNET50_STAGES:
        for block in range(blocks):
            for out, into, kernel in ((width, channels, 1), (width, width, 3), (4 * width, width, 1)):
                shapes += [(out, into, kernel, kernel), (out,), (out,)]
            if block == 0:  # the projection of the shortcut
                shapes += [(4 * width, channels, 1, 1), (4 * width,), (4 * width,)]
            channels = 4 * width
    return [*shapes, (1000, 2048), (1000,)]


def transformer_shapes() -> list[tuple[int, ...]]:
    """An embedding and 24 layers of 12 tensors (attention, feed-forward, two norms): 289 tensors."""
    d = TRANSFORMER_WIDTH
    layer = [(3 * d, d), (3 * d,), (d, d), (d,), (d,), (d,), (4 * d, d), (4 * d,), (d, 4 * d), (d,), (d,), (d,)]
    return [(TRANSFORMER_VOCABULARY, d), *layer * TRANSFORMER_LAYERS]


WORKLOADS = {
    "(a) 1 × 10^7": [(10_000_000,)],
    "(b) ResNet-50": resnet50_shapes(),
    "(c) transformer": transformer_shapes(),
    "(d) 1000 × 1000": [(1000,)] * 1000,
}


@dataclass(frozen=True)
class Row:
    workload: str
    tensors: int
    elements: int
    timings: dict[str, Timing]


def _tensors(shapes: list[tuple[int, ...]], seed: int) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
    generator = torch.Generator().manual_seed(seed)
    params = [torch.randn(shape, generator=generator) for shape in shapes]
    grads = [torch.randn(shape, generator=generator) * 1e-2 for shape in shapes]
    return params, grads


def _torch_optimizer_step(make: Callable[[list[torch.Tensor]], torch.optim.Optimizer], shapes, seed) -> Callable:
    params, grads = _tensors(shapes, seed)
    for p, g in zip(params, grads):
        p.grad = g
    return make(params).step


def _numpy_api_step(shapes: list[tuple[int, ...]], seed: int) -> Callable:
    params, grads = _tensors(shapes, seed)
    params, grads = [p.numpy() for p in params], [g.numpy() for g in grads]
    optimizer = trainspec.optimizers.TorchAdam()
    return lambda: optimizer.apply(grads, params)


TRAINSPEC_TORCH, TRAINSPEC_NUMPY, TORCH_FUSED, TORCH_FOREACH = (
    "trainspec.torch",
    "trainspec NumPy API",
    "torch fused",
    "torch foreach",
)


def measure(workload: str, shapes: list[tuple[int, ...]], repeats: int) -> Row:
    steps = {
        TRAINSPEC_TORCH: _torch_optimizer_step(trainspec.torch.TorchAdam, shapes, 0),
        TRAINSPEC_NUMPY: _numpy_api_step(shapes, 1),
        TORCH_FUSED: _torch_optimizer_step(lambda ps: torch.optim.Adam(ps, fused=True), shapes, 2),
        TORCH_FOREACH: _torch_optimizer_step(lambda ps: torch.optim.Adam(ps, foreach=True), shapes, 3),
    }
    timings = time_interleaved(steps, repeats)
    return Row(workload, len(shapes), sum(int(np.prod(s)) for s in shapes), timings)


def markdown_table(rows: list[Row]) -> str:
    names = (TRAINSPEC_TORCH, TRAINSPEC_NUMPY, TORCH_FUSED, TORCH_FOREACH)
    lines = [
        "| workload | tensors | elements | " + " | ".join(f"{n} ms" for n in names) + " | trainspec.torch / fused "
        "| NumPy API / fused |",
        "|" + "---|" * (len(names) + 5),
    ]
    for row in rows:
        fused = row.timings[TORCH_FUSED].median
        cells = [f"{row.timings[n].median * 1e3:.2f}" for n in names]
        ratios = [f"{row.timings[n].median / fused:.2f}×" for n in (TRAINSPEC_TORCH, TRAINSPEC_NUMPY)]
        lines.append(f"| {row.workload} | {row.tensors} | {row.elements:,} | " + " | ".join(cells + ratios) + " |")
    return "\n".join(lines)


def workload_names() -> tuple[str, ...]:
    """What ``trainspec bench --only`` takes for a workload: its letter (``b``) or its name (``ResNet-50``)."""
    return tuple(name for workload in WORKLOADS for name in sorted(_names(workload)))


def _names(workload: str) -> set[str]:
    letter, _, name = workload.partition(" ")
    return {letter.strip("()"), name}


def run(repeats: int = 9, names: tuple[str, ...] = ()) -> str:
    """Print and return the table: TorchAdam against torch's fused Adam on (a)–(d), or on the workloads ``names``
    asks for (``workload_names``)."""
    chosen = {workload: shapes for workload, shapes in WORKLOADS.items() if not names or set(names) & _names(workload)}
    rows = []
    with Progress() as progress:
        for index, (workload, shapes) in enumerate(chosen.items(), 1):
            progress.step(f"bench torch: {index}/{len(chosen)} {workload}")
            rows.append(measure(workload, shapes, repeats))
    report = "\n".join(
        [
            "## trainspec.torch against torch.optim (float32, Adam, default hyperparameters)",
            "",
            *machine_info(),
            f"- median of {repeats} steps per contender, taking turns step by step",
            "",
            markdown_table(rows),
        ]
    )
    print(report)
    return report
