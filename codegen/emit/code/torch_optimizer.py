"""The model of one optimizer's PyTorch module: a ``torch.optim.Optimizer`` subclass with the spec's arguments.

The class carries no math of its own: it names the spec's NumPy class, whose
kernels and data the hand-written ``runtime.torch_optimizer`` runs on views of
the tensors. Its constructor has the spec's argument names and defaults.
"""

from __future__ import annotations

from dataclasses import dataclass

from codegen.emit.code.optimizer import (
    ArgumentModel,
    base_arguments,
    class_docstring,
    flag_arguments,
    hyperparameter_arguments,
)
from codegen.emit.common import Emitted, docstring
from codegen.language.optimizer import OptimizerSpec

TORCH_USAGE = (
    "A torch.optim.Optimizer: parameter groups may set any of these arguments (the learning rate as learning_rate "
    "or lr); the rate is read from param_groups[i]['lr'] at every step, so torch.optim.lr_scheduler drives it, and "
    "a trainspec schedule as learning_rate is evaluated at each parameter's step count. It steps float32 and "
    "float64 tensors in place: with the generated Numba kernels on the CPU, the generated Triton kernels on CUDA."
)


@dataclass(frozen=True)
class TorchOptimizerModule:
    """Everything the template lays out, as finished strings."""

    class_name: str
    module_name: str
    summary: str
    docstring: str
    arguments: tuple[ArgumentModel, ...]


def torch_optimizer_module(spec: OptimizerSpec, package: str) -> Emitted:
    """``<package>/torch/<module>.py``: the spec's optimizer for PyTorch."""
    model = TorchOptimizerModule(
        class_name=spec.name,
        module_name=spec.module_name,
        summary=docstring(f"{spec.name} for PyTorch: {spec.summary}", indent=""),
        docstring=docstring(f"{class_docstring(spec)}\n\n{TORCH_USAGE}"),
        arguments=(*hyperparameter_arguments(spec), *flag_arguments(spec), *base_arguments(spec)),
    )
    return Emitted(f"{package}/torch/{spec.module_name}.py", "code/torch_optimizer.py.jinja", model, spec.source)
