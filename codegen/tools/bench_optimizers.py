"""``trainspec bench``: every optimizer against NumPy, a streaming roofline, torch.optim and optax.

Rows come from the spec registry, so a new spec is benchmarked without touching
this file: one row per distinct variant reachable through the spec's own
options (Adam, Adam amsgrad, SGD momentum, ...), hyperparameters at their
defaults. Beside each generated kernel, in the same process and on the same data:

* NumPy: the variant's ordered SymPy assignments evaluated with whole arrays
  (one ``lambdify`` per assignment), so it computes the same update with
  NumPy's temporaries;
* a roofline: a Numba loop that reads and writes exactly the arrays the kernel
  reads and writes (from its kernel plan) and does no real math, run alone and
  split across threads by the runtime's own ``run_kernel``, so "% of roofline"
  compares like with like;
* the torch.optim counterpart the spec declares (the same formula, or the
  same job in PyTorch's convention), ``foreach=True`` and ``fused=True`` where
  torch supports it on the CPU, with the same hyperparameters through the
  declared argument mapping;
* the keras.optimizers counterpart the spec declares, on Keras's backend
  (torch unless ``KERAS_BACKEND`` says otherwise), with the same Keras base
  options;
* the optax counterpart the spec declares: its update and ``apply_updates``
  as one ``jax.jit``-compiled step on JAX's CPU backend, the arrays as JAX
  arrays (each step makes new ones, as optax does).

Each timing is the median of ``repeats`` steps after warm-up steps, which also
take the page faults of first touch and any compilation out of the figures.
The contenders of a row take turns step by step (round-robin), so a burst of
load from another process slows all of them alike and their ratios hold.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import platform
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import metadata
from types import ModuleType
from typing import Any

import numba
import numpy as np
import sympy

import trainspec
from codegen.build import SPECS_DIR
from codegen.language.common import Hyperparameter
from codegen.language.optimizer import OptimizerSpec, Option, g, t, w
from codegen.load import load_registry
from codegen.lower.optimizer import Variant, lower
from codegen.plan import plan_kernel
from codegen.progress import Progress
from codegen.referee import optimizer_adapters as counterparts
from codegen.referee.optimizer import typical_point
from trainspec.runtime import multi_tensor as runtime

WARMUP_STEPS = 2
# Each timed step starts from an idle machine: torch's OpenMP threads may keep spinning for a while after
# a step (libgomp's default spin-wait) and would take a core from whichever contender runs next.
IDLE_GAP = 0.005
# After optax's steps, before the next row's close calls: long enough for JAX's CPU threads to stop spinning.
JAX_IDLE = 0.5
SMALL_COUNT, SMALL_SIZE = 200, 1000
# Small steps take a millisecond or so, where one preemption by another process weighs a lot: more rounds.
SMALL_REPEATS_FACTOR = 3
DTYPE = np.dtype(np.float32)


# ----------------------------------------------------------------- what is measured


@dataclass(frozen=True)
class Case:
    """One row: a spec, the constructor arguments that select one variant, and that variant."""

    label: str
    spec: OptimizerSpec
    optimizer_class: type
    config: dict[str, Any]
    variant: Variant
    passes: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]
    """The arrays each pass over the elements reads and writes: one pass, or two for a variant with sums over the
    tensor (the first computing them, then the update)."""

    @property
    def arrays(self) -> tuple[str, ...]:
        """The kernel's array arguments, in its order."""
        return ("param", "grad", *(s.name for s in self.variant.parameter_state))

    def full_config(self) -> dict[str, Any]:
        """Every constructor argument's value, defaults included."""
        return self.optimizer_class(**self.config).get_config()

    def bytes_per_step(self, size: int) -> int:
        """Each array a pass reads, read once, and each it writes, written once, for every pass."""
        return sum(len(reads) + len(writes) for reads, writes in self.passes) * size * DTYPE.itemsize


def cases(specs: Sequence[OptimizerSpec] | None = None, package: ModuleType = trainspec) -> list[Case]:
    """Every spec at its defaults and, where that is another variant, with all its own options on; the classes are
    ``package``'s (a generated package)."""
    specs = load_registry(SPECS_DIR).optimizers if specs is None else specs
    found: list[Case] = []
    for spec in specs:
        optimizer_class = package.OPTIMIZERS[spec.name]
        variants = {v.name: v for v in lower(spec).variants}
        seen: set[str] = set()
        for config in ({}, _all_options_on(spec)):
            name = optimizer_class(**config).variant.name
            if name in seen:
                continue
            if name not in variants:
                raise RuntimeError(f"{package.__name__}.{spec.name} has no variant {name!r}; run `trainspec build`")
            seen.add(name)
            found.append(_case(spec, optimizer_class, config, variants[name]))
    return found


def _all_options_on(spec: OptimizerSpec) -> dict[str, Any]:
    """Constructor arguments that switch every option of the spec on (the costliest variant, as a rule)."""
    return {
        option.argument: True if option.kind == "flag" else _on_value(spec.hyperparameter(option.argument), option)
        for option in spec.options
    }


def _on_value(hyperparameter: Hyperparameter, option: Option) -> float:
    """The default unless it selects the option's off form, else the middle of its typical range (geometric where
    the range is log-uniform), or a quarter of the way in where the middle is the off value."""
    if hyperparameter.default is not None and hyperparameter.default != option.off_value:
        return hyperparameter.default
    return next(p for p in (typical_point(hyperparameter, f) for f in (0.5, 0.25)) if p != option.off_value)


def _case(spec: OptimizerSpec, optimizer_class: type, config: dict[str, Any], variant: Variant) -> Case:
    plan = plan_kernel(variant)
    # Options the spec declares name the row; a base option (Keras's weight_decay) is part of its defaults.
    own = {option.argument for option in spec.options}
    label = " ".join((spec.name, *(o for o in variant.enabled if o in own)))
    passes = [(plan.loads, plan.stores)]
    if plan.reduction is not None:
        passes.insert(0, (plan.reduction.loads, plan.reduction.stores))
    named = tuple((tuple(n for n, _ in loads), tuple(n for n, _ in stores)) for loads, stores in passes)
    return Case(label, spec, optimizer_class, config, variant, named)


# ----------------------------------------------------------------- timing


@dataclass(frozen=True)
class Timing:
    """Seconds per step: the median of the timed steps, and their fastest and slowest."""

    median: float
    low: float
    high: float


def time_interleaved(steps: dict[str, Callable[[], object]], repeats: int, warmup: int = WARMUP_STEPS) -> dict:
    """Time each step in turn, round after round, so a burst of load elsewhere hits all of them alike. The order
    turns by one each round: the step that follows another is measurably slowed by what that one left behind
    (measured: whichever contender ran right after torch's Adam was 8–15% slower), so every step takes
    every place equally often."""
    for _ in range(warmup):
        for step in steps.values():
            step()
    seconds: dict[str, list[float]] = {name: [] for name in steps}
    names = list(steps)
    for round_ in range(max(1, repeats)):
        turn = round_ % max(len(names), 1)
        for name in names[turn:] + names[:turn]:
            step = steps[name]
            time.sleep(IDLE_GAP)
            start = time.perf_counter()
            step()
            seconds[name].append(time.perf_counter() - start)
    return {name: Timing(statistics.median(s), min(s), max(s)) for name, s in seconds.items()}


# ----------------------------------------------------------------- the generated kernel


def _trainspec_step(case: Case, param: np.ndarray, grad: np.ndarray) -> tuple[Callable[[], None], dict, dict]:
    """A step of the generated optimizer, and the initial state it built (copies): its arrays, and its numbers
    (optimizer-wide, and the tensor's own)."""
    optimizer = case.optimizer_class(**case.config)
    optimizer.build([param])
    state = optimizer.get_state()
    return lambda: optimizer.apply([grad], [param]), state["slots"][0], scalar_state(state)


def scalar_state(state: dict[str, Any]) -> dict[str, float]:
    """The numbers of a one-tensor optimizer's ``get_state()`` by name: its optimizer-wide and per-tensor state."""
    return {**state["optimizer_state"], **state["tensor_state"][0]}


# ----------------------------------------------------------------- NumPy, from the spec


class NumpyUpdate:
    """The variant's ordered assignments evaluated on whole NumPy arrays.

    Values that are the same for every element (hyperparameters, the step, and
    anything computed from them alone) are computed in float64, as the
    kernel's prelude does, and cast to the arrays' dtype where they meet an
    array, so float32 arrays stay float32 (no float64 temporaries).
    """

    def __init__(self, variant: Variant):
        self.variant = variant
        self.steps = [(lhs, *self._compiled(rhs)) for lhs, rhs in variant.assignments]

    @staticmethod
    def _compiled(rhs: sympy.Expr) -> tuple[tuple[sympy.Symbol, ...], Callable]:
        inputs = tuple(sorted(rhs.free_symbols, key=str))
        # A sum over the tensor adds in float64, as the kernels do.
        return inputs, sympy.lambdify(inputs, rhs, modules=[{"tensor_sum": _float64_sum}, "numpy"])

    def initial_scalars(self, config: dict[str, Any], state: dict[str, float]) -> dict:
        """The per-run scalar inputs: hyperparameters by symbol, and the optimizer-wide and per-tensor state (of the
        one tensor it steps) by name."""
        values = {h.symbol: float(config.get(h.argument) or 0.0) for h in self.variant.hyperparameters}
        values.update({s.symbol: float(state[s.name]) for s in self._scalar_state})
        return values

    @property
    def _scalar_state(self) -> tuple:
        return (*self.variant.optimizer_state, *self.variant.tensor_state)

    def __call__(self, arrays: dict[str, np.ndarray], scalars: dict, step: int) -> dict:
        """One step on ``arrays`` in place; returns the scalars with the new optimizer-wide and per-tensor state."""
        param = arrays["param"]
        values: dict[sympy.Symbol, Any] = {w: param, g: arrays["grad"], t: step, **scalars}
        values.update({s.symbol: arrays[s.name] for s in self.variant.parameter_state})
        for lhs, inputs, function in self.steps:
            arguments = [values[symbol] for symbol in inputs]
            if any(isinstance(a, np.ndarray) for a in arguments):
                arguments = [a if isinstance(a, np.ndarray) else param.dtype.type(a) for a in arguments]
            # A branch is computed whole on both sides (numpy.select): the side not taken may be a NaN (RAdam's
            # rectification before its threshold), which is then discarded.
            with np.errstate(invalid="ignore", divide="ignore"):
                values[lhs] = function(*arguments)
        np.copyto(param, values[w])
        for state in self.variant.parameter_state:
            np.copyto(arrays[state.name], values[state.symbol])
        return {**scalars, **{s.symbol: float(values[s.symbol]) for s in self._scalar_state}}


def _numpy_step(case: Case, arrays: dict[str, np.ndarray], state: dict) -> Callable[[], None]:
    update = NumpyUpdate(case.variant)
    scalars = update.initial_scalars(case.full_config(), state)
    counter = itertools.count(1)

    def step() -> None:
        nonlocal scalars
        scalars = update(arrays, scalars, next(counter))

    return step


# ----------------------------------------------------------------- the roofline


_rooflines: dict[tuple, Callable] = {}


def roofline_kernel(arrays: tuple[str, ...], reads: tuple[str, ...], writes: tuple[str, ...]) -> Callable:
    """A Numba loop over ``arrays`` that reads ``reads`` and writes ``writes``, element by element.

    What it stores is the mean of what it read: one multiply, so no load can be
    optimised away and the values stay bounded (never denormal, never inf)
    however many steps run. A pass that writes nothing (LARS's sums of w² and
    (g + λw)²) adds the means up in float64 instead and returns the total, as the
    kernel's pass does. Compiled with the generated kernels' options (a summing
    loop with ``reassoc``, as theirs).
    """
    key = (arrays, reads, writes)
    if key not in _rooflines:
        names = {array: f"a{index}" for index, array in enumerate(arrays)}
        loaded = " + ".join(f"{names[a]}[i]" for a in reads)
        stores = [f"        {names[a]}[i] = s" for a in writes] or ["        total += s"]
        lines = [
            f"def roofline({', '.join(names.values())}, scale):",
            "    total = 0.0",
            "    for i in range(a0.size):",
            f"        s = ({loaded}) * scale",
            *stores,
            "    return total",
        ]
        namespace: dict[str, Any] = {}
        exec(compile("\n".join(lines), f"<roofline {key}>", "exec"), namespace)
        flags = {} if writes else {"fastmath": {"reassoc"}}
        _rooflines[key] = numba.njit(nogil=True, error_model="numpy", **flags)(namespace["roofline"])
    return _rooflines[key]


def _roofline_steps(case: Case, arrays: tuple[np.ndarray, ...]) -> tuple[Callable[[], None], Callable[[], None]]:
    """The roofline run on one thread, and split across threads exactly as the runtime splits a kernel: one loop per
    pass of the kernel, with that pass's traffic."""
    loops = [
        (roofline_kernel(case.arrays, reads, writes), (DTYPE.type(1 / len(reads)),)) for reads, writes in case.passes
    ]

    def one_thread() -> None:
        for kernel, scale in loops:
            kernel(*arrays, *scale)

    def split() -> None:
        for kernel, scale in loops:
            runtime.run_kernel(kernel, arrays, scale)

    return one_thread, split


# ----------------------------------------------------------------- torch.optim


def _torch() -> Any:
    try:
        import torch
    except ImportError:
        return None
    return torch


def _torch_step(case: Case, params: list[np.ndarray], grads: list[np.ndarray], mode: str) -> Callable | None:
    """The step of the torch.optim counterpart the spec declares, over copies of ``params``; None where the spec
    declares none, or torch is missing or lacks this mode."""
    torch = _torch()
    counterpart = counterparts.declared(case.spec, "torch")
    if torch is None or counterpart is None:
        return None
    arguments = counterparts.call_arguments(counterpart, case.spec, case.full_config())
    tensors = [torch.nn.Parameter(torch.from_numpy(p.copy())) for p in params]
    for tensor, grad in zip(tensors, grads):
        tensor.grad = torch.from_numpy(grad.copy())
    try:
        optimizer = counterparts.imported(counterpart)(tensors, **arguments, **{mode: True})
        optimizer.step()  # raises here when a mode is unsupported for these tensors
    except (RuntimeError, TypeError, ValueError):
        return None
    return optimizer.step


def _torch_steps(case: Case, params: list[np.ndarray], grads: list[np.ndarray]) -> dict[str, Callable]:
    modes = {TORCH_FOREACH: "foreach", TORCH_FUSED: "fused"}
    steps = {name: _torch_step(case, params, grads, mode) for name, mode in modes.items()}
    return {name: step for name, step in steps.items() if step is not None}


# ----------------------------------------------------------------- keras.optimizers


def _keras_step(case: Case, params: list[np.ndarray], grads: list[np.ndarray]) -> Callable | None:
    """A step of the keras.optimizers counterpart the spec declares, with the Keras base options the spec's class
    is configured with, over variables holding copies of ``params``, on Keras's backend (torch unless
    ``KERAS_BACKEND`` says otherwise); None where the spec declares none, or Keras is missing."""
    counterpart = counterparts.declared(case.spec, "keras")
    if counterpart is None:
        return None
    try:
        optimizer_class = counterparts.imported(counterpart)
    except ImportError:
        return None
    import keras  # imported above, with its backend chosen

    config = case.full_config()
    keywords = counterparts.call_arguments(counterpart, case.spec, config)
    if case.spec.base_options == "keras":
        keywords |= {name: config[name] for name in counterparts.KERAS_BASE_OPTIONS if config.get(name) is not None}
    optimizer = optimizer_class(**keywords)
    variables = [keras.Variable(param.copy()) for param in params]
    gradients = [keras.ops.convert_to_tensor(grad) for grad in grads]

    def step() -> None:
        optimizer.apply_gradients(zip(gradients, variables))
        keras.ops.convert_to_numpy(variables[0][0])  # waits for a backend that computes asynchronously (JAX)

    step()  # builds the optimizer's variables
    return step


# ----------------------------------------------------------------- optax


def _optax_step(case: Case, params: list[np.ndarray], grads: list[np.ndarray]) -> Callable | None:
    """One jitted step of the optax counterpart the spec declares, over copies of ``params``; None where the spec
    declares none, or JAX and optax are missing."""
    counterpart = counterparts.declared(case.spec, "optax")
    if counterpart is None:
        return None
    try:
        import jax
        import optax
    except ImportError:
        return None
    transform = counterparts.imported(counterpart)(
        **counterparts.call_arguments(counterpart, case.spec, case.full_config())
    )

    @jax.jit
    def update(values: list, state: Any, gradients: list) -> tuple[list, Any]:
        updates, state = transform.update(gradients, state, values)
        return optax.apply_updates(values, updates), state

    cpu = jax.devices("cpu")[0]  # beside trainspec's CPU kernels, whatever accelerator JAX may find
    gradients = [jax.device_put(grad, cpu) for grad in grads]
    current = [jax.device_put(param, cpu) for param in params]
    carried = [current, transform.init(current)]

    def step() -> None:
        carried[0], carried[1] = update(carried[0], carried[1], gradients)
        jax.block_until_ready(carried[0])

    step()  # compiles
    return step


# ----------------------------------------------------------------- one row


TRAINSPEC, NUMPY, TORCH_FOREACH, TORCH_FUSED = "trainspec", "NumPy", "torch foreach", "torch fused"
KERAS, OPTAX = "keras", "optax"
ROOFLINE_ONE_THREAD, ROOFLINE_SPLIT = "roofline, one thread", "roofline, split"


@dataclass(frozen=True)
class Row:
    """One case's timings by contender (a contender torch lacks is missing)."""

    label: str
    bytes_per_step: int
    timings: dict[str, Timing]


def measure(case: Case, param: np.ndarray, grad: np.ndarray, repeats: int) -> Row:
    """Every implementation of ``case``, each on its own copies of ``param`` and ``grad``."""
    trainspec_step, initial, numbers = _trainspec_step(case, param.copy(), grad.copy())
    numpy_arrays = {"param": param.copy(), "grad": grad.copy(), **{n: a.copy() for n, a in initial.items()}}
    roofline_arrays = (param.copy(), grad.copy(), *(a.copy() for a in initial.values()))
    one_thread, split = _roofline_steps(case, roofline_arrays)
    torch_steps = _torch_steps(case, [param], [grad])
    close = {TRAINSPEC: trainspec_step, ROOFLINE_ONE_THREAD: one_thread, ROOFLINE_SPLIT: split}
    close.update({name: step for name, step in torch_steps.items() if name == TORCH_FUSED})
    timings = time_interleaved(close, repeats)
    # NumPy, foreach and optax are many times slower: fewer steps keep the run short, their ratios are not close
    # calls. optax runs after the close calls, never between them: taking turns with it, trainspec measured 15 to 25
    # points of its roofline lower (JAX's CPU threads stay busy for a while after a step).
    slow = {NUMPY: _numpy_step(case, numpy_arrays, numbers)}
    slow.update({name: step for name, step in torch_steps.items() if name != TORCH_FUSED})
    keras_step = _keras_step(case, [param], [grad])
    if keras_step is not None:
        slow[KERAS] = keras_step
    optax_step = _optax_step(case, [param], [grad])
    if optax_step is not None:
        slow[OPTAX] = optax_step
    timings.update(time_interleaved(slow, slow_repeats(repeats), warmup=1))
    if OPTAX in slow:
        time.sleep(JAX_IDLE)
    return Row(case.label, case.bytes_per_step(param.size), timings)


def slow_repeats(repeats: int) -> int:
    return max(1, (repeats + 1) // 2)


def measure_small(case: Case, params: list[np.ndarray], grads: list[np.ndarray], repeats: int) -> Row:
    """One step over many small tensors: per-call overhead, not memory, sets the time.

    torch runs twice: with its threads as set, and with one thread as trainspec
    uses for arrays this small (its thread pool's wake-ups then cost nothing).
    """
    own = [p.copy() for p in params]
    optimizer = case.optimizer_class(**case.config)
    steps = {TRAINSPEC: lambda: optimizer.apply(grads, own), **_torch_steps(case, params, grads)}
    timings = time_interleaved(steps, repeats)
    torch = _torch()
    if torch is not None:
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            single = time_interleaved(_torch_steps(case, params, grads), repeats)
        finally:
            torch.set_num_threads(threads)
        timings.update({f"{name}, one thread": timing for name, timing in single.items()})
    return Row(case.label, case.bytes_per_step(sum(p.size for p in params)), timings)


# ----------------------------------------------------------------- report


def machine_info() -> list[str]:
    torch = _torch()
    lines = [
        f"- CPU: {_cpu_model()}, {os.cpu_count()} logical cores",
        f"- Python {platform.python_version()}, NumPy {np.__version__}, Numba {numba.__version__}, "
        f"SymPy {sympy.__version__}, torch {torch.__version__ if torch else 'not installed'}",
        f"- trainspec runtime: arrays of {runtime.PARALLEL_MIN_SIZE} elements or more split across "
        f"{runtime.THREADS} threads",
    ]
    if torch is not None:
        lines.append(f"- torch threads: {torch.get_num_threads()}")
    with contextlib.suppress(metadata.PackageNotFoundError):
        backend = os.environ.get("KERAS_BACKEND", "torch")
        lines.append(f"- Keras {metadata.version('keras')}, the keras contender on its {backend} backend")
    try:  # the versions only: importing JAX starts its threads (see tests/test_bench.py)
        versions = f"JAX {metadata.version('jax')}, optax {metadata.version('optax')}"
    except metadata.PackageNotFoundError:
        return lines
    lines.append(f"- {versions}, the optax contender on JAX's CPU device")
    return lines


def _load_note(load: float | None) -> list[str]:
    """The load average before the run: above ~0.5, other processes took turns on these cores."""
    if load is None:
        return []
    warning = " (other processes were busy: expect noisy timings)" if load > 0.5 else ""
    return [f"- load average over the minute before the run: {load:.2f}{warning}"]


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _ms(timing: Timing | None, spread: bool = False) -> str:
    if timing is None:
        return "—"
    text = f"{timing.median * 1e3:.2f}"
    return f"{text} ({timing.low * 1e3:.2f}–{timing.high * 1e3:.2f})" if spread else text


def _us(timing: Timing | None) -> str:
    return "—" if timing is None else f"{timing.median * 1e6:.0f}"


def _ratio(numerator: Timing, denominator: Timing | None) -> str:
    return "—" if denominator is None else f"{numerator.median / denominator.median:.2f}"


def markdown_table(rows: Sequence[Row]) -> str:
    header = [
        "optimizer",
        "trainspec ms (min–max)",
        "GB/s",
        "% of roofline",
        "roofline ms (1 thread / split)",
        "NumPy ms",
        "torch foreach ms",
        "torch fused ms",
        "trainspec / torch fused",
        "keras ms",
        "trainspec / keras",
        "optax ms",
        "trainspec / optax",
    ]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        timing = row.timings.get
        trainspec = row.timings[TRAINSPEC]
        cells = [
            row.label,
            _ms(trainspec, spread=True),
            f"{row.bytes_per_step / 1e9 / trainspec.median:.1f}",
            f"{100 * row.timings[ROOFLINE_SPLIT].median / trainspec.median:.0f}%",
            f"{_ms(timing(ROOFLINE_ONE_THREAD))} / {_ms(timing(ROOFLINE_SPLIT))}",
            _ms(timing(NUMPY)),
            _ms(timing(TORCH_FOREACH)),
            _ms(timing(TORCH_FUSED)),
            _ratio(trainspec, timing(TORCH_FUSED)),
            _ms(timing(KERAS)),
            _ratio(trainspec, timing(KERAS)),
            _ms(timing(OPTAX)),
            _ratio(trainspec, timing(OPTAX)),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def markdown_small_table(rows: Sequence[Row], threads: int | None) -> str:
    columns = [TORCH_FOREACH, TORCH_FUSED, f"{TORCH_FOREACH}, one thread", f"{TORCH_FUSED}, one thread"]
    names = [name.replace(", one thread", " (1 thread)") if "one thread" in name else f"{name} ({threads} threads)"
             for name in columns]  # fmt: skip
    header = ["optimizer", "trainspec µs", *(f"{name} µs" for name in names), "trainspec / torch fused (1 thread)"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        timing = row.timings.get
        cells = [row.label, _us(timing(TRAINSPEC)), *(_us(timing(name)) for name in columns)]
        cells.append(_ratio(row.timings[TRAINSPEC], timing(f"{TORCH_FUSED}, one thread")))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def run(
    size: int,
    repeats: int,
    small_count: int = SMALL_COUNT,
    small_size: int = SMALL_SIZE,
    specs: Sequence[OptimizerSpec] | None = None,
    package: ModuleType = trainspec,
    names: Sequence[str] = (),
) -> str:
    """Measure every case (``cases``), or those ``names`` asks for (a spec's name: all its rows; a row's label),
    print the report (Markdown), and return it."""
    torch = _torch()
    threads = torch.get_num_threads() if torch else None
    if torch is not None:
        torch.set_num_threads(os.cpu_count() or 1)
    try:
        chosen = [case for case in cases(specs, package) if not names or {case.spec.name, case.label} & set(names)]
        report = _report(chosen, size, repeats, small_count, small_size)
    finally:
        if torch is not None:
            torch.set_num_threads(threads)
    return report


def _report(all_cases: list[Case], size: int, repeats: int, small_count: int, small_size: int) -> str:
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    rng = np.random.default_rng(0)
    rows = _measure_large(all_cases, rng, size, repeats)
    small_repeats = SMALL_REPEATS_FACTOR * repeats
    small = [rng.standard_normal(small_size, dtype=DTYPE) for _ in range(2 * small_count)]
    small_params, small_grads = small[:small_count], small[small_count:]
    defaults = [case for case in all_cases if not case.config]
    small_rows = [measure_small(case, small_params, small_grads, small_repeats) for case in defaults]
    torch = _torch()
    text = "\n".join(
        [
            *machine_info(),
            *_load_note(load),
            "",
            f"One step over {size:,} float32 parameters; median of {repeats} steps after {WARMUP_STEPS} warm-up "
            f"(NumPy, torch foreach, keras and optax: {slow_repeats(repeats)} steps after 1).",
            "GB/s: bytes the kernel must move (each array it reads, once; each it writes, once) per second.",
            "% of roofline: the roofline loop's time over trainspec's, both split across threads by the runtime.",
            "",
            markdown_table(rows),
            "",
            f"Per-call overhead: one step over {small_count} tensors of {small_size} float32, default options "
            f"(µs, median of {small_repeats} steps).",
            "",
            markdown_small_table(small_rows, torch.get_num_threads() if torch else None),
        ]
    )
    print(text)
    return text


def _measure_large(all_cases: list[Case], rng: np.random.Generator, size: int, repeats: int) -> list[Row]:
    param, grad = (rng.standard_normal(size, dtype=DTYPE) for _ in range(2))
    rows = []
    with Progress() as progress:
        for index, case in enumerate(all_cases, 1):
            progress.step(f"bench optimizers: {index}/{len(all_cases)} {case.label}")
            rows.append(measure(case, param, grad, repeats))
    return rows


def _float64_sum(values: np.ndarray) -> np.float64:
    return np.sum(values, dtype=np.float64)
