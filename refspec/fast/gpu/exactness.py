"""Which ops the GPU path computes other than bit for bit like the reference (spec/gpu.md), and how
far off each may be: the declaration diffcheck compares GPU values against.

- ``ROUNDED``: float functions through CUDA's libm (and the kernels built on them): within a few ulps
  of the reference's result, per element.
- ``ACCUMULATED``: sums in another order (cuBLAS products, tree reductions, atomic adds) and draws
  built on libm: within the rounding of a sum, i.e. relative to the same op over the magnitudes of
  its operands, not to its result (a sum that cancels to 0 may be off by eps * sum|x|).

Every other op is exact on the GPU (``sqrt`` too: IEEE rounds it correctly on both sides, as
spec/gpu.md says). Integer and bool results are always exact.
"""

from __future__ import annotations

from typing import Literal

from refspec.ast import Apply, Op

Bound = Literal["exact", "rounded", "accumulated"]

ROUNDED = frozenset({
    Op.EXP, Op.EXP2, Op.EXPM1, Op.LOG, Op.LOG2, Op.LOG10, Op.LOG1P, Op.SIN, Op.COS, Op.TAN,
    Op.ARCSIN, Op.ARCCOS, Op.ARCTAN, Op.SINH, Op.COSH, Op.TANH, Op.ARCTAN2, Op.ERF, Op.ERFC, Op.ERFINV,
    Op.GAMMA, Op.GAMMALN, Op.SIGMOID, Op.SOFTPLUS, Op.POW,
})

ACCUMULATED = frozenset({
    Op.SUM, Op.PROD, Op.SUM_TO, Op.SOFTMAX, Op.LOG_SOFTMAX, Op.DOT, Op.TENSORDOT, Op.BATCHED_DOT,
    Op.INC_SUBTENSOR, Op.RANDOM,
})

# complex: |z| is a libm hypot, and numpy's SIMD complex loops use fused multiply-add where the CPU
# has it (seen: one product in four off by an ulp), so the reference's own bits depend on the host
COMPLEX_ROUNDED = frozenset({Op.ABS, Op.MUL, Op.SQR, Op.TRUE_DIV})

# a loop's body holds ops of every kind, run many times: its results get the accumulated bound
COMPOSITE = frozenset({Op.SCAN})


def bound(node: Apply) -> Bound:
    """How far the GPU's value of ``node`` may be from the reference's."""
    if node.op in ACCUMULATED or node.op in COMPOSITE:
        return "accumulated"
    if node.op in ROUNDED or (node.op in COMPLEX_ROUNDED and any(
            v.type.dtype.startswith("complex") for v in node.inputs)):
        return "rounded"
    return "exact"
