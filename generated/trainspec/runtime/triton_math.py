"""Arithmetic that generated Triton kernels call, correctly rounded in the dtype of the block.

Hand-written, part of the trainspec package; only the Triton kernels and the
torch runtime's GPU path import it (it imports Triton). In float32, Triton's ``/`` and ``tl.sqrt`` are fast
approximations; the CPU kernels round every operation correctly, so these
choose the IEEE operation for the dtype: the two backends then differ only
where the GPU compiler contracts a product and a sum into one fused
multiply-add.
"""

import os

import torch
import triton
import triton.language as tl
from triton.language.extra import libdevice

DTYPES = {torch.float32: tl.float32, torch.float64: tl.float64}
"""Triton's dtype of each torch dtype the kernels step."""


@triton.jit
def divide(numerator, denominator):
    if numerator.dtype == tl.float32:
        return tl.div_rn(numerator, denominator)
    return numerator / denominator


@triton.jit
def sqrt(x):
    if x.dtype == tl.float32:
        return tl.sqrt_rn(x)
    return tl.sqrt(x)


@triton.jit
def sign(x):
    """-1, 0 or 1 in the dtype of ``x``, as ``numpy.sign`` (0 for 0)."""
    return (x > 0).to(x.dtype) - (x < 0).to(x.dtype)


if os.environ.get("TRITON_INTERPRET") == "1":

    @triton.jit
    def power(base, exponent):
        """Triton's interpreter has no libdevice: exp2 of a product with log2, in float64 (float32 results then
        round as the correctly rounded power does; float64 ones are a few ulps from it)."""
        wide = tl.exp2(exponent.to(tl.float64) * tl.log2(base.to(tl.float64)))
        return wide.to(base.dtype)

else:

    @triton.jit
    def power(base, exponent):
        return libdevice.pow(base, exponent)
