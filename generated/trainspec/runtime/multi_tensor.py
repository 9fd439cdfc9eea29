"""Running a generated kernel over many tensors in one call, spread over the cores.

Hand-written, part of the trainspec package. Every generated element kernel
has a companion that steps the rows of a table: one row per chunk of a
tensor, holding where the chunk starts and stops and the address of each array
(parameter, gradient, state). One call steps every tensor of a group; with
enough elements in all, the rows are split between the threads by element
count, the calling thread taking the first share, so a step wakes at most one
thread per core whatever the number of tensors.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass

import numba
import numpy as np
from numba import types
from numba.extending import intrinsic

from .arguments import THREADS

PARALLEL_MIN_SIZE = 1 << 19
"""Below this many elements in all, one thread is faster: waking a second costs more than it saves.
Measured with the float32 Adam kernel on the 2-core dev VM, where waking a thread costs ~100 µs: split in two,
2^18 elements took 200 µs against 147 µs alone; 2^19, 307 against 354; 2^20, 420 against 715."""
CHUNK = 1 << 18
"""Elements of one table row: the unit the threads share a step in (1 MiB of float32)."""
START, STOP, ADDRESSES = 0, 1, 2
"""The columns of a table row: then one address per array."""

_LIKE: dict[np.dtype, np.ndarray] = {}
"""An empty array of each dtype: it tells a rows kernel the dtype at a table's addresses."""
_pool: ThreadPoolExecutor | None = None


def pool() -> ThreadPoolExecutor:
    """The runtime's worker threads (one fewer than ``THREADS``: the calling thread works too)."""
    global _pool
    if _pool is None:
        _pool = ThreadPoolExecutor(max(THREADS - 1, 1), thread_name_prefix="trainspec")
    return _pool


@intrinsic
def _pointer(typingctx, address, like):
    """The integer ``address`` as a pointer to elements of the dtype of the array ``like``."""
    signature = types.CPointer(like.dtype)(address, like)

    def codegen(context, builder, signature, arguments):
        return builder.inttoptr(arguments[0], context.get_value_type(signature.return_type))

    return signature, codegen


@numba.njit(cache=True, nogil=True)
def array_at(address, start, stop, like):
    """Elements ``start`` to ``stop`` of the flat array of ``like``'s dtype at ``address``."""
    return numba.carray(_pointer(address, like), stop)[start:]


@numba.njit(cache=True, nogil=True)
def _address(array):
    return array.ctypes.data


def address(array: np.ndarray) -> int:
    """The address of ``array``'s first element, through Numba: a quarter of the time NumPy's own accessors take
    (Numba passes a 0-d array as a number, so that one goes as an array of one element)."""
    return _address(array if array.ndim else array.reshape(1))


def row_counts(sizes: list[int] | np.ndarray, chunk: int | None = None) -> np.ndarray:
    """The rows of a table each tensor of ``sizes`` elements takes: one per chunk, at least one."""
    return np.maximum(1, -(-np.asarray(sizes, dtype=np.int64) // (chunk or CHUNK)))


def table(addresses: list[tuple[int, ...]], sizes: list[int], chunk: int | None = None) -> np.ndarray:
    """The rows for tensors of ``sizes`` elements whose arrays are at ``addresses`` (one tuple per tensor): each
    tensor cut into chunks of at most ``chunk`` (by default ``CHUNK``) elements, one row per chunk."""
    chunk = chunk or CHUNK
    sizes = np.asarray(sizes, dtype=np.int64)
    counts = row_counts(sizes, chunk)
    first_rows = np.cumsum(counts) - counts
    rows = np.empty((int(counts.sum()), ADDRESSES + len(addresses[0])), dtype=np.int64)
    rows[:, START] = (np.arange(len(rows)) - np.repeat(first_rows, counts)) * chunk
    rows[:, STOP] = np.minimum(rows[:, START] + chunk, np.repeat(sizes, counts))
    rows[:, ADDRESSES:] = np.repeat(np.asarray(addresses, dtype=np.int64), counts, axis=0)
    return rows


def run_rows(rows_kernel: Callable[..., None], rows: np.ndarray, like: np.ndarray, scalars: tuple) -> None:
    """Step every row of ``rows``: in the calling thread, or shared with the pool by element count."""
    sizes = rows[:, STOP] - rows[:, START]
    total = int(sizes.sum())
    if total < PARALLEL_MIN_SIZE or THREADS == 1 or len(rows) == 1:
        rows_kernel(rows, 0, len(rows), like, *scalars)
        return
    # Row i ends at cumulative[i] elements; each thread takes the rows up to its share of the total.
    cumulative = np.cumsum(sizes)
    shares = np.searchsorted(cumulative, total * np.arange(1, THREADS) / THREADS) + 1
    bounds = [0, *(int(b) for b in np.minimum(shares, len(rows))), len(rows)]
    futures = [pool().submit(rows_kernel, rows, lo, hi, like, *scalars) for lo, hi in itertools.pairwise(bounds[1:])]
    try:
        rows_kernel(rows, bounds[0], bounds[1], like, *scalars)
    finally:
        wait(futures)  # never return while a worker may still write the arrays
    for future in futures:
        future.result()


@dataclass(frozen=True)
class Reduction:
    """The pass that computes a variant's sums over each tensor before its update (LAMB's norms).

    ``rows`` steps rows of a table as the update's companion does and leaves each row's partial sums in a
    ``partials`` table; ``finish`` computes each tensor's values, in float64, from its ``sums`` (one row per
    tensor) into ``values``, which the update then reads, one row per table row.
    """

    rows: Callable[..., None]
    finish: Callable[..., None]
    sums: int
    values: int


def step_tensors(
    rows_kernel: Callable[..., None],
    addresses: list[tuple[int, ...]],
    sizes: list[int],
    dtype: np.dtype,
    scalars: tuple,
    reduction: Reduction | None = None,
    tensor_state: np.ndarray | None = None,
) -> None:
    """One step of every tensor of one dtype at ``addresses`` (param, grad, state... per tensor), with the per-step
    ``scalars`` rounded to that dtype: one call, shared between the threads. With a ``reduction``, its pass runs
    first, each tensor's sums added up from its rows in row order (the same order whatever the threads); its finish
    updates ``tensor_state`` (float64, a row per tensor) in place, where the variant keeps state per tensor."""
    like = _LIKE.setdefault(dtype, np.empty(0, dtype))
    rows = table(addresses, sizes)
    step_scalars = typed(scalars, like.dtype)
    if reduction is None:
        run_rows(rows_kernel, rows, like, step_scalars)
        return
    partials = np.zeros((len(rows), reduction.sums))
    run_rows(reduction.rows, rows, like, (partials, *step_scalars))
    values = row_values(reduction, partials, sizes, CHUNK, like.dtype, scalars, tensor_state)
    run_rows(rows_kernel, rows, like, (values, *step_scalars))


def row_values(
    reduction: Reduction,
    partials: np.ndarray,
    sizes: list[int],
    chunk: int,
    dtype: np.dtype,
    scalars: tuple,
    tensor_state: np.ndarray | None = None,
) -> np.ndarray:
    """The values each row of a table of tensors of ``sizes`` (cut into rows of ``chunk`` elements) updates with:
    each tensor's sums added up from its rows' ``partials`` in row order, then the reduction's finish, in float64
    (which updates ``tensor_state`` in place, where the variant keeps state per tensor), in ``dtype``."""
    counts = row_counts(sizes, chunk)
    sums = np.add.reduceat(partials, np.cumsum(counts) - counts, axis=0)
    values = np.empty((len(sizes), reduction.values), dtype)
    reduction.finish(sums, values, *(() if tensor_state is None else (tensor_state,)), *scalars)
    return np.repeat(values, counts, axis=0)


def typed(scalars: tuple, dtype: np.dtype) -> tuple:
    """The per-step scalars as a kernel on ``dtype`` arrays reads them: numbers rounded to that dtype, so that
    float32 stays float32; conditions (a per-step branch) as they are."""
    return tuple(s if isinstance(s, (bool, np.bool_)) else dtype.type(s) for s in scalars)


def run_kernel(kernel: Callable[..., None], arrays: tuple[np.ndarray, ...], scalars: tuple) -> None:
    """Call a single-tensor kernel, split across threads when the arrays are large (kernels release the GIL)."""
    size = arrays[0].size
    if size < PARALLEL_MIN_SIZE or THREADS == 1:
        kernel(*arrays, *scalars)
        return
    bounds = np.linspace(0, size, THREADS + 1).astype(int)
    chunks = [tuple(a[lo:hi] for a in arrays) for lo, hi in itertools.pairwise(bounds)]
    # The calling thread takes the first chunk itself: one thread fewer to wake, and it would only wait.
    futures = [pool().submit(kernel, *chunk, *scalars) for chunk in chunks[1:]]
    try:
        kernel(*chunks[0], *scalars)
    finally:
        wait(futures)
    for future in futures:
        future.result()
