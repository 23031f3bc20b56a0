"""Planted GPU kernels: a patched CUDA rule (``cuda_ops.RULES``) makes the GPU path compute an op
differently, to show diffcheck tells declared rounding from a bug (tests/gpu/test_rounding.py,
test_gpu_campaign.py)."""

from __future__ import annotations

import pytest

from refspec.ast import Op
from refspec.fast.gpu import cuda_ops
from refspec.fast.gpu.cuda_ops import Call, Emitted, loop_dtypes
from refspec.fast.gpu.exactness import ROUNDED


def plant(monkeypatch: pytest.MonkeyPatch, op: Op, wrap: str) -> None:
    """Make the GPU kernel of ``op`` compute ``wrap`` (``{}`` is the correct float64 expression)."""
    correct = cuda_ops.RULES[op]

    def planted(call: Call) -> Emitted | None:
        e = correct(call)
        return None if e is None else Emitted(wrap.format(e.value), e.helpers, e.checks)

    monkeypatch.setitem(cuda_ops.RULES, op, planted)


def an_ulp_up_everywhere(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every op the GPU computes with its libm (``exactness.ROUNDED``) one ulp above the correct
    result where that is finite and not 0: a GPU whose libm differs from numpy's in every value."""
    for op in ROUNDED & set(cuda_ops.RULES):
        an_ulp_up(monkeypatch, op)


def an_ulp_up(monkeypatch: pytest.MonkeyPatch, op: Op) -> None:
    """``op``'s float32 and float64 kernels one ulp above the correct result (finite, not 0)."""
    monkeypatch.setitem(cuda_ops.RULES, op, _ulp_up(cuda_ops.RULES[op]))


def _ulp_up(correct: cuda_ops.Rule) -> cuda_ops.Rule:
    def rule(call: Call) -> Emitted | None:
        e = correct(call)
        _, work = loop_dtypes(call)
        if e is None or work not in ("float32", "float64"):
            return e
        up = "nextafter({v}, 1e308)" if work == "float64" else "nextafterf({v}, 3e38f)"
        v = f"({e.value})"
        # x - x == 0: finite (CUDA and the host shim both lack a common isfinite for every type)
        return Emitted(f"({v} - {v} == 0 && {v} != 0 ? {up.format(v=v)} : {v})", e.helpers, e.checks)

    return rule
