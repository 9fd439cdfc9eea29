"""The generated Triton kernels (``trainspec.triton``), run by Triton's interpreter on CPU tensors, against the
Numba kernels.

``TRITON_INTERPRET=1`` makes every ``triton.jit`` kernel a Python function
over NumPy blocks, so CI runs the GPU path without a GPU. The interpreter does
each operation in the tensors' dtype with IEEE rounding, as the Numba loops
do, and the kernels call the correctly rounded division and square root, so
every variant must match the Numba kernels bit for bit (``torch.equal``). One
exception: the interpreter has no libdevice, so a kernel that raises to a
variable power (Ftrl's learning_rate_power) computes it as exp2(y·log2 x) in
float64; float32 results still round to the correctly rounded power, float64
ones are a few ulps off, and Ftrl's difference of two powers amplifies that:
measured up to 38 ulps of a tensor's largest entry (three seeds); allowed 256. A
second: a variant with sums over the tensor adds them in another order on the
GPU (``SUMMED_ULPS``).
On a real GPU the compiler may fuse a product and a sum into one FMA; these
same tests then need a tolerance of a few ulps per step (not yet run on one).
"""

from __future__ import annotations

import inspect
import os

import numpy as np
import pytest
from helpers import package, submodule_of
from optimizer_cases import SPECS, Case, all_cases, arguments

assert os.environ.get("TRITON_INTERPRET") == "1", "tests/conftest.py sets Triton's interpreter for the session"
torch = pytest.importorskip("torch")
pytest.importorskip("triton")
package()
torch_optimizers = submodule_of("torch")
torch_runtime = submodule_of("runtime.torch_optimizer")

# The lanes a block masks off load 0, and NumPy warns about their log2 and 0/0; their results are never stored.
pytestmark = [
    pytest.mark.filterwarnings("ignore:divide by zero encountered in log2:RuntimeWarning"),
    pytest.mark.filterwarnings("ignore:invalid value encountered in divide:RuntimeWarning"),
]

DTYPES = (np.dtype(np.float32), np.dtype(np.float64))

CASES = {case.id: case for case in all_cases(DTYPES)}
SHAPES = ((3, 4), (5,), (40,), (2, 1, 3))
SUMMED_ULPS = 4
"""A variant with sums over the tensor: the GPU pass adds a block's terms lane by lane and then as a tree, the CPU
one in order, so a tensor's values (LAMB's trust ratio) may differ in their last bit, and a step by them in the
last bit of its size: measured at most 0.6 ulp of a tensor's largest entry (five seeds, LAMB and LARS); allowed 4."""
STEPS = 3


@pytest.fixture
def small_chunks(monkeypatch) -> None:
    """Chunks of 16 elements in blocks of 8: every tensor over 16 elements spans several rows of the table, and
    the last block of a chunk is partly masked."""
    monkeypatch.setattr(torch_runtime, "GPU_CHUNK", 16)
    monkeypatch.setattr(torch_runtime, "BLOCK", 8)


def trained(optimizer_class, dtype: torch.dtype, backend: str | None, shapes=SHAPES, **settings) -> list:
    rng = np.random.default_rng(0)
    params = [torch.from_numpy(rng.standard_normal(shape)).to(dtype) for shape in shapes]
    optimizer = optimizer_class(params, **settings)
    optimizer.backend = backend
    for _ in range(STEPS):
        for p in params:
            p.grad = torch.from_numpy(rng.standard_normal(p.shape) * 0.1).to(dtype)
        optimizer.step()
    return params, optimizer


@pytest.mark.parametrize("case_id", sorted(CASES))
def test_every_variant_steps_as_the_numba_kernel_bit_for_bit(case_id: str, small_chunks) -> None:
    case: Case = CASES[case_id]
    settings = arguments(case, np.random.default_rng(7))
    dtype = torch.float32 if case.dtype == np.float32 else torch.float64
    optimizer_class = torch_optimizers.get(case.spec.name)
    expected, numba_optimizer = trained(optimizer_class, dtype, "numba", **settings)
    actual, triton_optimizer = trained(optimizer_class, dtype, "triton", **settings)
    kernel = submodule_of(f"triton.{case.spec.module_name}").KERNELS[case.variant]
    ulps = 256 if dtype == torch.float64 and "power(" in inspect.getsource(kernel.fn) else 0
    if submodule_of(f"optimizers.{case.spec.module_name}").VARIANTS[case.variant].reduction is not None:
        ulps = SUMMED_ULPS
    for index, (a, e) in enumerate(zip(actual, expected)):
        if ulps:
            assert (a - e).abs().max() <= ulps * torch.finfo(dtype).eps * e.abs().max(), f"params[{index}]"
            continue
        assert torch.equal(a, e), f"params[{index}]"
        for name, value in numba_optimizer.state[e].items():
            got = triton_optimizer.state[a][name]
            assert torch.equal(got, value) if isinstance(value, torch.Tensor) else got == value, name


KERAS_SPECS = [spec for spec in SPECS if spec.base_options == "keras"]


@pytest.mark.parametrize("clipping", [{"clipnorm": 0.05}, {"clipvalue": 0.02}, {"global_clipnorm": 0.1}])
@pytest.mark.parametrize("spec", KERAS_SPECS, ids=lambda spec: spec.name)
def test_clipping_on_the_gpu_path_clips_as_the_numpy_path(spec, clipping: dict, small_chunks) -> None:
    """The norms are summed in another order than NumPy's (torch's reductions), so the scales may differ in the
    last bit: float64, allowed 1e-14 relative to the parameters; a missing clip moves them by 1e-2."""
    optimizer_class = torch_optimizers.get(spec.name)
    expected, _ = trained(optimizer_class, torch.float64, "numba", **clipping)
    actual, _ = trained(optimizer_class, torch.float64, "triton", **clipping)
    for a, e in zip(actual, expected):
        assert torch.allclose(a, e, rtol=1e-14, atol=1e-14 * e.abs().max().item())


class Launches:
    """A kernel that counts its launches and passes them on."""

    def __init__(self, kernel) -> None:
        self.kernel, self.grids = kernel, []

    def __getitem__(self, grid):
        self.grids.append(grid)
        return self.kernel[grid]


def test_one_launch_steps_every_tensor_of_a_group_across_chunks(monkeypatch) -> None:
    """At the default sizes: a tensor of more than one chunk, and small ones, in one launch per step."""
    kernels = submodule_of("triton.adam").KERNELS
    counting = Launches(kernels["adam"])
    monkeypatch.setitem(kernels, "adam", counting)
    shapes = ((torch_runtime.GPU_CHUNK + 3,), (7,), (2, 2))
    expected, _ = trained(torch_optimizers.Adam, torch.float32, "numba", shapes=shapes)
    actual, _ = trained(torch_optimizers.Adam, torch.float32, "triton", shapes=shapes)
    assert all(torch.equal(a, e) for a, e in zip(actual, expected))
    assert counting.grids == [(4,)] * STEPS  # two chunks of the large tensor, one of each small one
