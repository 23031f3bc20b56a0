"""Comparing one value of two paths (spec/numerics.md, "Differential checks").

Where no declared refinement fired, a path must give the reference's value bit for bit: the same dtype
and shape, NaN in the same places (any payload), ``-0.0`` where the reference has ``-0.0``. Where a
refinement (a ``STABILIZE`` rule of the fast CPU path) fired, float and complex values may differ
within a per-dtype tolerance, and may be finite where the reference overflowed, never the reverse.

``compare_arrays`` returns a structured ``Difference`` (None for identical bits); the ``assert_*``
forms raise ``AssertionError`` with the same message, for tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from refspec.ast import Array
from refspec.fast.cpu.passes import STABILIZE

# the names the stabilizing rules log when they fire (a refined graph is compared with a tolerance)
STABILIZE_RULES = frozenset(callback.__name__ for _, callback in STABILIZE.rules)

# rtol = atol = ULPS * eps(dtype), atol scaled by max(1, max |reference|): spec/numerics.md
ULPS = 16

Kind = Literal["type", "dtype", "shape", "nan", "value", "non-finite", "tolerance", "amplified", "rewritten",
               "rounding"]


def tolerance(dtype: str) -> float:
    """The refinement tolerance of a float or complex dtype (complex: of its component dtype)."""
    return ULPS * float(np.finfo(_real_name(np.dtype(dtype))).eps)


def amplified_tolerance(dtype: str) -> float:
    """The looser bound ``check`` and mode DIFFCHECK accept in a refined graph: sqrt(eps) of the
    dtype (of its components for complex). A refined pattern's own result is within ``tolerance``;
    operations after it that cancel amplify the rounding difference (spec/numerics.md), never to this
    size, while a wrong rewrite or kernel is far off."""
    return float(np.sqrt(np.finfo(_real_name(np.dtype(dtype))).eps))


def _real_name(dtype: np.dtype[np.generic]) -> str:
    """The component dtype of a complex dtype; any other dtype itself."""
    return str(np.empty(0, dtype=dtype).real.dtype.name)


@dataclass(frozen=True)
class Difference:
    """How a path's value differs from the reference's.

    ``refinement`` is True when the difference is one a declared refinement allows (only possible
    when the comparison was told a refinement fired). ``max_abs`` and ``max_ulp`` measure the
    largest difference over the entries finite on both sides (NaN when not measurable; ``max_ulp``
    in units of the reference dtype's spacing at the reference value).
    """

    kind: Kind
    message: str
    max_abs: float = float("nan")
    max_ulp: float = float("nan")
    refinement: bool = False

    def __str__(self) -> str:
        return self.message


def _show(ref: Array, other: Array) -> str:
    return f"\n  reference {ref!r}\n  path      {other!r}"


def error_size(ref: Array, other: Array) -> tuple[float, float]:
    """(max |other - ref|, the same in ulps of the reference) over entries finite on both sides; for
    integer and bool values the plain difference in both. (0, 0) when nothing is comparable."""
    if ref.shape != other.shape or ref.size == 0:
        return 0.0, 0.0
    if ref.dtype.kind not in "fc":
        with np.errstate(over="ignore"):
            diff = np.abs(ref.astype(np.float64) - other.astype(np.float64))
        top = float(np.max(diff))
        return top, top
    both = np.isfinite(ref) & np.isfinite(other)
    if not np.any(both):
        return 0.0, 0.0
    r = ref[both].astype(np.complex128)
    err = np.abs(other[both].astype(np.complex128) - r)
    real = _real_name(ref.dtype)
    with np.errstate(all="ignore"):
        spacing = np.spacing(np.maximum(np.abs(r), np.finfo(real).tiny).astype(real)).astype(np.float64)
        ulps = err / spacing
    return float(np.max(err)), float(np.max(ulps))


def compare_arrays(ref: Array, other: Array, refined: bool = False, amplified: bool = False) -> Difference | None:
    """None when ``other`` is ``ref`` bit for bit (NaN payloads aside); else the first kind of
    difference found. With ``refined``, a value within the refinement rule gives a Difference whose
    ``refinement`` is True (reported apart from mismatches); with ``amplified`` too, so does a value
    beyond the rule's tolerance but within ``amplified_tolerance`` (kind ``"amplified"``)."""
    if not isinstance(ref, np.ndarray) or not isinstance(other, np.ndarray):
        return Difference("type", f"type: reference {type(ref).__name__}, path {type(other).__name__}")
    if other.dtype != ref.dtype:
        return Difference("dtype", f"dtype: reference {ref.dtype}, path {other.dtype}")
    if other.shape != ref.shape:
        return Difference("shape", f"shape: reference {ref.shape}, path {other.shape}")
    if same_bits(ref, other):
        return None
    max_abs, max_ulp = error_size(ref, other)
    if ref.dtype.kind not in "fc":
        return Difference("value", "values differ:" + _show(ref, other), max_abs, max_ulp)
    if not refined:
        if not np.array_equal(np.isnan(ref), np.isnan(other)):
            return Difference("nan", "NaN positions differ:" + _show(ref, other), float("inf"), float("inf"))
        return Difference("value", "values differ:" + _show(ref, other), max_abs, max_ulp)
    found = _refined(ref, other, max_abs, max_ulp, tolerance(ref.dtype.name))
    if found.kind == "tolerance" and amplified:
        loose = _refined(ref, other, max_abs, max_ulp, amplified_tolerance(ref.dtype.name))
        if loose.refinement:
            return Difference("amplified", "refined, with rounding amplified beyond the pattern tolerance:"
                              + _show(ref, other), max_abs, max_ulp, refinement=True)
    return found


def same_bits(ref: Array, other: Array) -> bool:
    """Equal bits, NaN payloads aside (dtype and shape are the caller's to check)."""
    if ref.dtype.kind in "fc":
        ref_nan, other_nan = np.isnan(ref), np.isnan(other)
        if not np.array_equal(ref_nan, other_nan):
            return False
        ref = np.where(ref_nan, 0, ref)
        other = np.where(other_nan, 0, other)
    return np.ascontiguousarray(ref).tobytes() == np.ascontiguousarray(other).tobytes()


def _refined(ref: Array, other: Array, max_abs: float, max_ulp: float, tol: float) -> Difference:
    """A float value under a refinement: within tolerance where the reference is finite; finite or
    the same non-finite value where it is not; never non-finite where the reference is finite."""
    with np.errstate(invalid="ignore"):
        bad = ~np.isfinite(other) & ~(np.isnan(ref) & np.isnan(other)) & ~(ref == other)
    if np.any(bad):
        return Difference("non-finite", "not finite where the reference is different:" + _show(ref, other),
                          float("inf"), float("inf"))
    finite = np.isfinite(ref)
    if np.any(finite):
        r, o = ref[finite], other[finite]
        scale = max(1.0, float(np.max(np.abs(r.astype(np.complex128)))))
        err = np.abs(o.astype(np.complex128) - r.astype(np.complex128))
        if not np.all(err <= tol * scale):
            return Difference("tolerance", f"beyond the refinement tolerance {tol:g} x {scale:g}:"
                              + _show(ref, other), max_abs, max_ulp)
    return Difference("value", "refined within tolerance:" + _show(ref, other), max_abs, max_ulp, refinement=True)


def assert_same_bits(ref: Array, other: Array) -> None:
    """Equal dtype, shape and bits; NaN where the reference has NaN (any payload), and -0.0 where it
    has -0.0 (``np.array_equal`` alone would accept 0.0)."""
    found = compare_arrays(ref, other)
    assert found is None, found.message


def assert_refined(ref: Array, other: Array) -> None:
    """A value a declared refinement allows (or the same bits)."""
    found = compare_arrays(ref, other, refined=True)
    assert found is None or found.refinement, found.message
