"""The ``torch.optim.Optimizer`` that every class of ``trainspec.torch`` extends.

A generated class names its spec's declaration (the NumPy class: argument
domains, switches, the kernel of each variant, initial state) and its
constructor arguments; this module runs the same Numba kernels on zero-copy
NumPy views of CPU tensors, and the spec's generated Triton kernels on CUDA
tensors (one launch per group and step, over a table of every tensor's
chunks). Parameter groups carry their own hyperparameters, the
learning rate is read from ``group["lr"]`` at every step (so
``torch.optim.lr_scheduler`` drives it), and ``state_dict()`` holds tensors and
plain numbers only, so that ``torch.load(..., weights_only=True)`` reads it.

Every step checks every group, parameter, gradient and state first: on any
error nothing has changed.
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Callable, Iterable
from typing import Any, ClassVar

import numpy as np
import torch

from .multi_tensor import row_values, step_tensors, table
from .optimizer import (
    COPY_OF_PARAMETER,
    KernelVariant,
    Optimizer,
    Settings,
    checked_settings,
    clipped,
    global_clip_scale,
    initial_slot,
    norm_clip_scale,
    per_tensor_table,
    select_variant,
    store_per_tensor,
)
from .schedule import Schedule, deserialize, serialize

TRAINABLE_DTYPES = (torch.float32, torch.float64)
"""The dtypes the generated kernels are compiled for."""
DEVICES = ("cpu", "cuda")
GPU_CHUNK = 1 << 16
"""Elements of a tensor that one program of a GPU kernel steps (a row of its table)."""
BLOCK = 1024
"""Elements a GPU program steps at once."""
NUMPY_DTYPES = {torch.float32: np.dtype(np.float32), torch.float64: np.dtype(np.float64)}
CLIPPING = ("clipnorm", "clipvalue", "global_clipnorm")
STEP = "step"
"""The key of a parameter's step count in its state: the steps taken, as in ``torch.optim``."""
TORCH_KEYS = ("initial_lr",)
"""Keys that torch's own tools add to a group (``lr_scheduler``'s starting rate)."""
Entry = tuple[torch.Tensor, torch.Tensor, "dict[str, Any] | None"]
"""A parameter of a step, its gradient, and its state (None before its first step)."""
SCHEDULE = "lr_schedule"
"""The key of a group's learning-rate schedule (its config), where ``learning_rate`` was a trainspec schedule."""


class TorchOptimizer(torch.optim.Optimizer):
    """A spec's update as a ``torch.optim.Optimizer``: the kernels of ``declaration`` on every parameter group."""

    declaration: ClassVar[type[Optimizer]]
    """The spec's NumPy class, whose data (domains, switches, variants, initial state) this class runs."""
    backend: str | None = None
    """Which kernels step: None chooses by device (the Numba kernels on CPU, the Triton kernels on CUDA);
    ``"triton"`` runs the Triton kernels on any device (on CPU tensors under ``TRITON_INTERPRET=1``: the tests)."""

    def __init__(self, params: Iterable[Any], defaults: dict[str, Any]):
        self._schedules: dict[str, Schedule] = {}
        super().__init__(params, self._group_settings(defaults, "the defaults", {}))

    # ----------------------------------------------------------------- groups

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group; its hyperparameters (``learning_rate`` or ``lr`` for the rate) are checked first."""
        group = dict(param_group)
        params = group.pop("params")
        params = [params] if isinstance(params, torch.Tensor) else list(params)
        label = f"param_groups[{len(self.param_groups)}]"
        for index, p in enumerate(params):
            _check_parameter(f"{label}['params'][{index}]", p)
        seen: dict[int, int] = {}
        for index, p in enumerate(params):
            if id(p) in seen:
                raise ValueError(f"{label}['params'][{index}] is the same tensor as {label}['params'][{seen[id(p)]}]")
            seen[id(p)] = index
        given = {**self.defaults, **self._group_settings(group, label, self.defaults)}
        super().add_param_group({"params": params, **given})

    def _group_settings(self, given: dict[str, Any], label: str, defaults: dict[str, Any]) -> dict[str, Any]:
        """The group's hyperparameters by the keys ``param_groups`` holds them under, checked with ``defaults``
        filling in what the group does not set."""
        given = dict(given)
        if "learning_rate" in given:
            if "lr" in given:
                raise TypeError(f"{label} sets both learning_rate and lr; they are the same hyperparameter")
            given["lr"] = given.pop("learning_rate")
        if isinstance(given.get("lr"), Schedule):
            schedule = given.pop("lr")
            given[SCHEDULE] = serialize(schedule)
            given["lr"] = float(schedule(0))
        known = {"lr", SCHEDULE, *TORCH_KEYS, *_declared_arguments(self.declaration)} - {"learning_rate"}
        unknown = sorted(set(given) - known)
        if unknown:
            raise TypeError(
                f"{label}: {type(self).__name__} has no argument {unknown[0]!r}; it takes {', '.join(sorted(known))}"
            )
        self._settings({**defaults, **given}, label)
        return given

    def _settings(self, group: dict[str, Any], label: str) -> Settings:
        """The group's checked settings, read at every step (a scheduler may have changed them)."""
        declaration = self.declaration
        flags = {s.argument for s in declaration.switches if s.kind == "flag"}
        hyperparameters = {d.argument for d in declaration.domains}
        if declaration.keras_base_options:
            hyperparameters.discard("weight_decay")
        values = {"learning_rate" if key == "lr" else key: value for key, value in group.items()}
        try:
            return checked_settings(
                declaration,
                {key: values[key] for key in hyperparameters if key in values},
                {key: values[key] for key in flags if key in values},
                values.get("weight_decay") if declaration.keras_base_options else None,
                {key: values.get(key) for key in CLIPPING} if declaration.keras_base_options else None,
            )
        except (TypeError, ValueError) as error:
            raise type(error)(f"{label}: {error}") from None

    def _learning_rate(self, group: dict[str, Any], step: int) -> float:
        """The rate of a step that starts with ``step`` steps taken: the schedule's value there, or ``lr``."""
        config = group.get(SCHEDULE)
        if config is None:
            return group["lr"]
        key = repr(sorted(config.items()))
        if key not in self._schedules:
            self._schedules[key] = deserialize(config)
        return float(self._schedules[key](step))

    # ----------------------------------------------------------------- stepping

    @torch.no_grad()
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One step for every parameter with a gradient; the closure, if given, recomputes the loss first."""
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        plans = [self._plan(index, group) for index, group in enumerate(self.param_groups)]
        for group, (variant, entries, settings) in zip(self.param_groups, plans):
            if entries:
                self._update(group, variant, entries, settings)
        return loss

    def _plan(self, index: int, group: dict[str, Any]) -> tuple[KernelVariant, list[Entry], Settings]:
        """Everything one group's step needs, checked before any tensor changes: each parameter with a gradient,
        its gradient and its state (None before its first step)."""
        label = f"param_groups[{index}]"
        settings = self._settings(group, label)
        values = self._values(group, settings, 0)
        variant = select_variant(self.declaration, {**settings.flags, **values})
        entries = []
        for position, p in enumerate(group["params"]):
            g = p.grad
            if g is None:
                continue
            state = self.state.get(p) or None
            if not _fits(p, g, state, variant.state):  # then one of the checks below names what does not fit
                name = f"{label}['params'][{position}]"
                _check_parameter(name, p)
                _check_gradient(name, p)
                if state is not None:
                    self._check_state(name, p, state, variant)
            entries.append((p, g, state))
        return variant, entries, settings

    def _values(self, group: dict[str, Any], settings: Settings, step: int) -> dict[str, float]:
        """The hyperparameters by argument name for a step that starts with ``step`` steps taken."""
        values = dict(settings.hyperparameters)
        values["learning_rate"] = self._learning_rate(group, step)
        if self.declaration.keras_base_options:
            values["weight_decay"] = settings.weight_decay or 0.0
        return values

    def _check_state(self, name: str, p: torch.Tensor, state: dict[str, Any], variant: KernelVariant) -> None:
        for slot in variant.state:
            if slot not in state:
                raise ValueError(
                    f"{name} has no state {slot!r}: its state was made by another variant of {type(self).__name__} "
                    "(an option switched on after the first step)"
                )
            tensor = state[slot]
            if not isinstance(tensor, torch.Tensor) or tensor.shape != p.shape or tensor.dtype != p.dtype:
                shown = f"{tensor.dtype}{list(tensor.shape)}" if isinstance(tensor, torch.Tensor) else repr(tensor)
                raise ValueError(f"{name} is {p.dtype}{list(p.shape)} but its state {slot!r} is {shown}")
        for number in variant.tensor_state:
            value = state.get(number)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ValueError(f"{name} has {number} {value!r} in its state; it is one float for the tensor")
        step = state.get(STEP)
        if isinstance(step, bool) or not isinstance(step, int) or step < 0:
            raise ValueError(f"{name} has step {step!r} in its state; a step count is a non-negative integer")

    def _update(self, group: dict[str, Any], variant: KernelVariant, entries: list[Entry], settings: Settings) -> None:
        entries = [(p, g, state or self._initialize(group, p, settings, variant)) for p, g, state in entries]
        on_gpu = self._backend(entries[0][0].device) == "triton"
        grads = self._gradients(group, [g for _, g, _ in entries], on_gpu)
        # Parameters that take the same scalars step together: those with the same step count and dtype.
        batches: dict[tuple, list[tuple[torch.Tensor, torch.Tensor, dict]]] = {}
        for (p, _, state), g in zip(entries, grads):
            key = (state[STEP], tuple(state[name] for name in variant.optimizer_state), p.dtype)
            batches.setdefault(key, []).append((p, g, state))
        for (step, optimizer_state, dtype), batch in batches.items():
            values = self._values(group, settings, step)
            arguments = [values[arg] for arg in variant.hyperparameters]
            scalars, new_state = variant.scalars(*arguments, step + 1, *optimizer_state)
            addresses = [
                (p.data_ptr(), g.data_ptr(), *[state[name].data_ptr() for name in variant.state])
                for p, g, state in batch
            ]
            sizes = [p.numel() for p, _, _ in batch]
            states = [state for _, _, state in batch]
            per_tensor = per_tensor_table(states, variant.tensor_state)
            if on_gpu:
                self._launch(variant, addresses, sizes, scalars, dtype, batch[0][0].device, per_tensor)
            else:
                reduction = variant.reduction
                step_tensors(variant.rows, addresses, sizes, NUMPY_DTYPES[dtype], scalars, reduction, per_tensor)
            store_per_tensor(states, variant.tensor_state, per_tensor)
            stepped = dict(zip(variant.optimizer_state, map(float, new_state)), step=step + 1)
            for _, _, state in batch:
                state.update(stepped)

    def _gradients(self, group: dict[str, Any], grads: list[torch.Tensor], on_gpu: bool) -> list[torch.Tensor]:
        """The gradients to step with, contiguous and clipped as the group says; the CPU path clips with the NumPy
        runtime's own code, so that it steps exactly as the NumPy classes do."""
        clipping = [group.get(key) for key in CLIPPING]
        if on_gpu:
            return _clipped_tensors(grads, *clipping)
        if all(c is None for c in clipping):
            return [g.contiguous() for g in grads]
        return [torch.from_numpy(g) for g in clipped([_view(g) for g in grads], *clipping)]

    def _backend(self, device: torch.device) -> str:
        """``numba`` for CPU tensors, ``triton`` for CUDA tensors, unless ``backend`` says which."""
        if self.backend is not None:
            return self.backend
        return "triton" if device.type == "cuda" else "numba"

    def _launch(
        self,
        variant: KernelVariant,
        addresses: list[tuple[int, ...]],
        sizes: list[int],
        scalars: tuple,
        dtype: torch.dtype,
        device: torch.device,
        tensor_state: np.ndarray | None = None,
    ) -> None:
        """One launch of the variant's Triton kernel over the table of these tensors. A variant with sums over the
        tensor launches the pass computing them first; each tensor's sums are added up from its rows, in row order,
        and its values computed (and ``tensor_state`` updated), on the CPU as the NumPy path does (a small copy each
        way, which waits for the GPU)."""
        module, dtypes = self._triton()
        rows = table(addresses, sizes, GPU_CHUNK)
        grid, on_device = (len(rows),), torch.from_numpy(rows).to(device)
        typed = torch.tensor(scalars, dtype=dtype).to(device)
        options = {"BLOCK": BLOCK, "DTYPE": dtypes[dtype]}
        reduction = variant.reduction
        if reduction is None:
            module.KERNELS[variant.name][grid](on_device, typed, **options)
            return
        partials = torch.zeros((len(rows), reduction.sums), dtype=torch.float64, device=device)
        module.REDUCTIONS[variant.name][grid](on_device, typed, partials, **options)
        values = row_values(
            reduction, partials.cpu().numpy(), sizes, GPU_CHUNK, NUMPY_DTYPES[dtype], scalars, tensor_state
        )
        per_row = torch.from_numpy(values).to(device)
        module.KERNELS[variant.name][grid](on_device, typed, per_row, **options)

    def _triton(self) -> tuple[Any, dict[torch.dtype, Any]]:
        """The spec's Triton module (``<package>.triton.<module>``: its kernels by variant) and Triton's dtypes by
        torch's, imported on the first GPU step: Triton is needed for GPU tensors only."""
        package, _, module = self.declaration.__module__.rpartition(".optimizers.")
        kernels = importlib.import_module(f"{package}.triton.{module}")
        return kernels, importlib.import_module(f"{package}.runtime.triton_math").DTYPES

    def _initialize(
        self, group: dict[str, Any], p: torch.Tensor, settings: Settings, variant: KernelVariant
    ) -> dict[str, Any]:
        """The state of a parameter's first step: the variant's slots and its per-step scalars at their start."""
        initial = self.declaration.initial_state(self._values(group, settings, 0))
        state = self.state[p]
        state[STEP] = 0
        for name in variant.state:
            state[name] = _filled_like(p, initial[name])
        for name in (*variant.optimizer_state, *variant.tensor_state):
            state[name] = float(initial[name])
        return state


def _filled_like(p: torch.Tensor, value: float | str) -> torch.Tensor:
    """A contiguous tensor of ``p``'s shape and dtype filled with ``value``, or a copy of ``p`` (``initial_slot``).
    On the CPU NumPy allocates it: NumPy asks the kernel for huge pages for large arrays and torch does not, and
    the fewer TLB misses make a step of a memory-bound kernel measurably faster (7.5 against 8.0 ms for Adam over
    10^7 float32 on the 2-core dev VM)."""
    if p.device.type == "cpu":
        return torch.from_numpy(initial_slot(p.detach().numpy(), value))
    if value == COPY_OF_PARAMETER:
        return p.detach().clone(memory_format=torch.contiguous_format)
    return torch.full_like(p, value, memory_format=torch.contiguous_format)


def _declared_arguments(declaration: type[Optimizer]) -> set[str]:
    arguments = {d.argument for d in declaration.domains} | {s.argument for s in declaration.switches}
    return arguments | (set(CLIPPING) if declaration.keras_base_options else set())


def _clipped_tensors(
    grads: list[torch.Tensor], clipnorm: float | None, clipvalue: float | None, global_clipnorm: float | None
) -> list[torch.Tensor]:
    """``grads``, contiguous and clipped as ``runtime.optimizer.clipped`` clips NumPy arrays, with torch operations
    on the tensors' device; the caller's gradients are never modified."""
    grads = [g.contiguous() for g in grads]
    if clipvalue is not None:
        return [g.clamp(-clipvalue, clipvalue) for g in grads]
    if clipnorm is not None:
        scales = [norm_clip_scale(torch.linalg.vector_norm(g).item(), clipnorm) for g in grads]
    elif global_clipnorm is not None:
        norm = math.sqrt(sum(torch.vdot(g.reshape(-1), g.reshape(-1)).item() for g in grads))
        scales = [global_clip_scale(norm, global_clipnorm)] * len(grads)
    else:
        return grads
    return [g * torch.tensor(scale, dtype=g.dtype, device=g.device) for g, scale in zip(grads, scales)]


def _view(tensor: torch.Tensor) -> np.ndarray:
    """A flat NumPy array sharing ``tensor``'s memory (a copy only for a non-contiguous gradient, read alone)."""
    return tensor.detach().contiguous().numpy().reshape(-1)


def _fits(p: torch.Tensor, g: torch.Tensor, state: dict[str, Any] | None, slots: tuple[str, ...]) -> bool:
    """Whether a parameter, its gradient and its state pass every check of ``_check_parameter``,
    ``_check_gradient`` and ``TorchOptimizer._check_state``: the same conditions, read with the fewest tensor
    attributes, since they run for every tensor at every step."""
    dtype, shape = p.dtype, p.shape
    if (
        dtype not in TRAINABLE_DTYPES
        or g.dtype != dtype
        or g.layout != torch.strided
        or not (p.is_cpu or p.is_cuda)
        or g.get_device() != p.get_device()
        or g.shape != shape
        or not p.is_contiguous()
    ):
        return False
    if state is None:
        return True
    for slot in slots:
        tensor = state.get(slot)
        if not isinstance(tensor, torch.Tensor) or tensor.dtype != dtype or tensor.shape != shape:
            return False
    step = state.get(STEP)
    return type(step) is int and step >= 0


def _check_parameter(name: str, p: Any) -> None:
    if not isinstance(p, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(p).__name__}")
    if p.dtype not in TRAINABLE_DTYPES:
        raise TypeError(f"{name} has dtype {p.dtype}; trainspec's kernels train float32 and float64 tensors")
    if p.device.type not in DEVICES:
        raise ValueError(f"{name} is on {p.device}; trainspec's generated kernels run on CPU and CUDA tensors")
    if not p.is_contiguous():
        raise ValueError(f"{name} is not contiguous; the kernels update parameters in place through flat views")


def _check_gradient(name: str, p: torch.Tensor) -> None:
    g = p.grad
    if g.layout != torch.strided:  # sparse COO, CSR, ...
        raise TypeError(f"{name} has a sparse gradient; trainspec's optimizers take dense gradients only")
    if g.dtype != p.dtype:
        raise TypeError(f"{name} is {p.dtype} but its gradient is {g.dtype}")
    if g.shape != p.shape:
        raise ValueError(f"{name} has shape {list(p.shape)} but its gradient has shape {list(g.shape)}")
    if g.device != p.device:
        raise ValueError(f"{name} is on {p.device} but its gradient is on {g.device}")
