"""The model of one optimizer's Triton module: each variant's element update as a multi-tensor GPU kernel.

One launch steps every tensor of a parameter group: the runtime passes a
table with one row per chunk of a tensor (where the chunk starts and stops,
and the address of each array), and each program of the grid steps one chunk,
a block of elements at a time. The per-step scalars are the same function of
the hyperparameters as on the CPU (the spec's NumPy module computes them); the
kernel reads them from a small tensor of the parameters' dtype.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from codegen.emit.code.optimizer import KernelFunction, kernel_function, reduce_function
from codegen.emit.common import Emitted, docstring
from codegen.language.optimizer import OptimizerSpec
from codegen.plan import KernelPlan
from codegen.printers.triton import RUNTIME_FUNCTIONS, TritonPrinter


@dataclass(frozen=True)
class TritonModule:
    summary: str
    shared: tuple[tuple[str, str], ...]
    """(module, the kernels imported from it): kernels the module of a spec this one imports already has."""
    kernels: tuple[KernelFunction, ...]
    variants: tuple[tuple[str, str], ...]
    """(variant, the name of its kernel)."""
    reductions: tuple[tuple[str, str], ...]
    """(variant, the name of the pass computing its sums over the tensor), for the variants that have one."""
    runtime_functions: str


@dataclass(frozen=True)
class TritonKernels:
    """The distinct kernels of a spec's variants by content, each named after the first variant using it, and the
    key of each variant's kernel."""

    by_key: dict[tuple, KernelFunction]
    by_variant: dict[str, tuple]
    reductions: dict[str, tuple]
    """The key of the pass computing the sums over the tensor, for each variant that has one."""

    def without(self, keys: set[tuple]) -> TritonKernels:
        """These kernels less those with ``keys`` (what a module imports rather than writes)."""
        return dataclasses.replace(self, by_key={key: k for key, k in self.by_key.items() if key not in keys})


def triton_kernels(plans: tuple[KernelPlan, ...]) -> TritonKernels:
    """Every variant's update printed for Triton, and the pass before it of a variant with sums over the tensor,
    each distinct text once."""
    by_key: dict[tuple, KernelFunction] = {}
    by_variant, reductions = {}, {}
    for plan in plans:
        kernel = kernel_function(plan, TritonPrinter)
        by_key.setdefault(_text_key(kernel), kernel)
        by_variant[plan.variant.name] = _text_key(kernel)
        if plan.reduction is not None:
            reduce = reduce_function(plan, TritonPrinter)
            by_key.setdefault(_text_key(reduce), reduce)
            reductions[plan.variant.name] = _text_key(reduce)
    return TritonKernels(by_key, by_variant, reductions)


def _text_key(kernel: KernelFunction) -> tuple:
    """What a Triton kernel's text depends on: it binds only the arrays and scalars it reads, each by its position
    (two variants' passes that read the same are one kernel, whatever else their scalars hold)."""
    read = kernel.names_read

    def positions(names: tuple[str, ...]) -> tuple:
        return tuple((index, name) for index, name in enumerate(names) if name in read)

    bound = (len(kernel.arrays), positions(kernel.arrays), positions(kernel.step_scalars))
    values = (len(kernel.values), positions(kernel.values))
    return ("triton", *bound, kernel.loads, kernel.body, kernel.stores, kernel.flags, kernel.sums, values)


def triton_optimizer_module(
    spec: OptimizerSpec, own: TritonKernels, providers: tuple[tuple[str, TritonKernels], ...], package: str
) -> Emitted:
    """``<package>/triton/<module>.py``: the spec's kernels; a kernel that one of ``providers`` (the modules of
    specs this one imports, nearest first) already has is imported from it, as the NumPy modules import theirs."""
    inherited: dict[tuple, tuple[str, str]] = {}  # key → (module, name), the nearest provider winning
    for module, theirs in reversed(providers):
        for key, kernel in theirs.by_key.items():
            inherited[key] = (module, kernel.name)
    local = tuple(kernel for key, kernel in own.by_key.items() if key not in inherited)
    shared: dict[str, list[str]] = {}
    for key in own.by_key:
        if key in inherited:
            module, name = inherited[key]
            shared.setdefault(module, []).append(name)
    names = {key: inherited[key][1] if key in inherited else kernel.name for key, kernel in own.by_key.items()}
    used = sorted(name for name in RUNTIME_FUNCTIONS if any(f"{name}(" in line.value for k in local for line in k.body))
    model = TritonModule(
        summary=docstring(f"{spec.name} on the GPU: {spec.summary}", indent=""),
        shared=tuple((module, ", ".join(kernel_names)) for module, kernel_names in sorted(shared.items())),
        kernels=local,
        variants=tuple((variant, names[key]) for variant, key in own.by_variant.items()),
        reductions=tuple((variant, names[key]) for variant, key in own.reductions.items()),
        runtime_functions=", ".join(used),
    )
    return Emitted(f"{package}/triton/{spec.module_name}.py", "code/triton_optimizer.py.jinja", model, spec.source)


def triton_package(package: str) -> Emitted:
    """``<package>/triton/__init__.py``."""
    source = "the specs in specs/optimizers/"
    return Emitted(f"{package}/triton/__init__.py", "code/triton_package.py.jinja", None, source)
