"""Tests of the fast CPU path (refspec/fast/cpu): differential runs against the reference, rewrites by
structure and by value, and the generated code.

The comparisons shared by these tests live here (spec/numerics.md, "Differential checks"):
``assert_same_bits`` where both paths run the same kernels, ``assert_refined`` where a declared
refinement (a ``STABILIZE`` rule) changed the graph.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from refspec.fast.cpu.passes import STABILIZE

Array = npt.NDArray[Any]

# the names the stabilizing rules log when they fire (a refined graph is compared with a tolerance)
STABILIZE_RULES = frozenset(callback.__name__ for _, callback in STABILIZE.rules)

# rtol = atol = ULPS * eps(dtype), atol scaled by max(1, max |reference|): spec/numerics.md
ULPS = 16


def tolerance(dtype: str) -> float:
    """The refinement tolerance of a float or complex dtype (complex: of its component dtype)."""
    kind = np.dtype(dtype)
    real = np.empty(0, dtype=kind).real.dtype
    return ULPS * float(np.finfo(real).eps)


def _check_meta(ref: Array, fast: Array) -> None:
    assert isinstance(ref, np.ndarray) and isinstance(fast, np.ndarray), (type(ref), type(fast))
    assert fast.dtype == ref.dtype, f"dtype: reference {ref.dtype}, fast {fast.dtype}"
    assert fast.shape == ref.shape, f"shape: reference {ref.shape}, fast {fast.shape}"


def assert_same_bits(ref: Array, fast: Array) -> None:
    """Equal dtype, shape and bits; NaN where the reference has NaN (any payload), and -0.0 where it
    has -0.0 (``np.array_equal`` alone would accept 0.0)."""
    _check_meta(ref, fast)
    if ref.dtype.kind in "fc":
        ref_nan, fast_nan = np.isnan(ref), np.isnan(fast)
        assert np.array_equal(ref_nan, fast_nan), f"NaN positions differ:\n{ref}\n{fast}"
        ref = np.where(ref_nan, 0, ref)
        fast = np.where(fast_nan, 0, fast)
    assert np.ascontiguousarray(ref).tobytes() == np.ascontiguousarray(fast).tobytes(), \
        f"values differ:\nreference {ref!r}\nfast      {fast!r}"


def assert_refined(ref: Array, fast: Array) -> None:
    """A refined value: within the dtype's tolerance where the reference is finite; finite or the
    same non-finite value where it is not; never non-finite where the reference is finite."""
    _check_meta(ref, fast)
    if ref.dtype.kind not in "fc":
        assert np.array_equal(ref, fast), f"values differ:\nreference {ref!r}\nfast      {fast!r}"
        return
    finite = np.isfinite(ref)
    fast_finite = np.isfinite(fast)
    # never the reverse: where the fast path is not finite, the reference has the same value
    bad = ~fast_finite & ~(np.isnan(ref) & np.isnan(fast)) & ~(ref == fast)
    assert not np.any(bad), f"not finite where the reference is different:\nreference {ref!r}\nfast      {fast!r}"
    if np.any(finite):
        r, f = ref[finite], fast[finite]
        tol = tolerance(ref.dtype.name)
        scale = max(1.0, float(np.max(np.abs(r.astype(np.complex128 if ref.dtype.kind == "c" else np.float64)))))
        err = np.abs(f.astype(np.complex128) - r.astype(np.complex128))
        assert np.all(err <= tol * scale), (
            f"beyond the refinement tolerance {tol} x {scale}:\nreference {ref!r}\nfast      {fast!r}")
