"""Bugs planted in the fast CPU path, each by monkeypatching inside one test (never globally).

Most plants replace the kernel that ``refspec.fast.cpu.codegen`` picks for some nodes, so the
generated code calls the wrong function while the reference stays right; the others patch codegen's
laziness, the fast loop's checks, fused kernels, the rewrite table or a gradient rule.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from typing import cast

import numpy as np
import pytest

import refspec.fast.cpu.codegen as codegen
import refspec.fast.cpu.loops as loops
import refspec.fast.cpu.pipeline as pipeline
import refspec.interp.scan as interp_scan
from refspec.ast import Apply, Array, Op, SharedVariable, Variable
from refspec.autodiff.vjp import VJP
from refspec.fast.cpu.fuse import Group
from refspec.fast.cpu.shapes import ShapeOf
from refspec.interp.scan import LoopState
from refspec.params import ReduceParams, ScanParams
from refspec.rewrite import Pat, PatternMatcher, var

Kernel = Callable[..., object]


def _plant(monkeypatch: pytest.MonkeyPatch, wrong: Callable[[Apply], Kernel | None]) -> None:
    right = codegen._direct_kernel

    def planted(node: Apply) -> Kernel | None:
        kernel = wrong(node)
        return kernel if kernel is not None else right(node)

    monkeypatch.setattr(codegen, "_direct_kernel", planted)


def nan_dropping_maximum(monkeypatch: pytest.MonkeyPatch) -> None:
    """maximum(x, nan) gives x (np.fmax) instead of nan."""
    _plant(monkeypatch, lambda node: np.fmax if node.op is Op.MAXIMUM else None)


def _quiet_floor_divide(x: Array, y: Array) -> Array:
    return np.asarray(np.where(y == 0, 0, np.floor_divide(x, np.where(y == 0, 1, y))))


def int_div_by_zero_gives_zero(monkeypatch: pytest.MonkeyPatch) -> None:
    """Integer x // 0 returns 0 instead of raising ZeroDivisionError."""
    _plant(monkeypatch, lambda node: _quiet_floor_divide if node.op is Op.INT_DIV else None)


def _in_place_add(x: Array, y: Array) -> Array:
    return np.asarray(np.add(x, y, out=x))


def non_atomic_update(monkeypatch: pytest.MonkeyPatch) -> None:
    """``shared + y`` computed in place, into the shared variable's storage: a call that fails later
    leaves the shared variable changed."""
    _plant(monkeypatch, lambda node: _in_place_add
           if node.op is Op.ADD and isinstance(node.inputs[0], SharedVariable) else None)


def float32_sum(monkeypatch: pytest.MonkeyPatch) -> None:
    """sum of a float64 tensor accumulated in float32."""

    def wrong(node: Apply) -> Kernel | None:
        params = node.params
        if node.op is not Op.SUM or node.outputs[0].dtype != "float64" or not isinstance(params, ReduceParams):
            return None
        return lambda x: np.asarray(np.sum(x.astype(np.float32), axis=params.axis, keepdims=params.keepdims)
                                    .astype(np.float64))

    _plant(monkeypatch, wrong)


def nan_dropping_max_reduce(monkeypatch: pytest.MonkeyPatch) -> None:
    """The reduction max skips NaN (np.nanmax) instead of returning it."""

    def wrong(node: Apply) -> Kernel | None:
        params = node.params
        if node.op is not Op.MAX or not isinstance(params, ReduceParams) or node.inputs[0].dtype[0] not in "fc":
            return None

        def nanmax(x: Array) -> Array:
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return np.asarray(np.nanmax(x, axis=params.axis, keepdims=params.keepdims))
        return nanmax

    _plant(monkeypatch, wrong)


def eager_ifelse(monkeypatch: pytest.MonkeyPatch) -> None:
    """ifelse computes both branches before choosing: the untaken one's errors and prints leak."""
    monkeypatch.setattr(codegen, "conditional_nodes", lambda order, roots: set())


def scan_past_the_end(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fast loop skips the sequence-length check and reads zeros past a sequence's end."""
    right = loops.prepare_loop

    def lenient(params: ScanParams, n_steps: Array, args: Sequence[Array]) -> LoopState:
        padded = list(args)
        for i, taps in enumerate(params.seq_taps):
            lo, hi = interp_scan.tap_window(taps)
            seq = padded[i]
            need = max(int(n_steps), 0) + hi - lo
            if seq.ndim and seq.shape[0] < need:
                pad = np.zeros((need - seq.shape[0],) + seq.shape[1:], seq.dtype)
                padded[i] = np.concatenate([pad, seq] if params.go_backwards else [seq, pad])
        return right(params, n_steps, padded)

    monkeypatch.setattr(loops, "prepare_loop", lenient)


def wrong_fused_broadcast(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fusion takes operands of the chain's rank but another shape (a shape check comparing ranks
    only), and the fused kernel stretches a length-1 axis by repeating the flat data (np.resize)
    rather than broadcasting: right for leading axes, wrong for a column."""
    right_groups, right_kernel = codegen.find_groups, codegen.make_kernel

    def groups(roots: Sequence[Variable], shape_of: ShapeOf,
               ufunc_of: Callable[[Apply], np.ufunc | None]) -> list[Group]:
        return right_groups(roots, cast(ShapeOf, lambda v: (-1,) * v.ndim), ufunc_of)

    def kernel(group: Group, ufunc_of: Callable[[Apply], np.ufunc | None]) -> Kernel:
        fused = right_kernel(group, ufunc_of)

        def wrong(*args: Array) -> object:
            shape = np.broadcast_shapes(*(np.shape(a) for a in args))
            args = tuple(np.resize(a, shape) if np.ndim(a) == len(shape) and np.shape(a) != shape
                         and np.size(a) and math.prod(shape) else a for a in args)
            return fused(*args)
        return wrong

    monkeypatch.setattr(codegen, "find_groups", groups)
    monkeypatch.setattr(codegen, "make_kernel", kernel)


def _exp_of_log(b: dict[str, Variable]) -> Variable | None:
    x, out = b["x"], b["_"]
    return x if x.type == out.type else None


def unsound_rewrite(monkeypatch: pytest.MonkeyPatch) -> None:
    """A canonicalize rule exp(log(x)) -> x: wrong for x < 0 (NaN on the reference)."""
    right = pipeline.canonicalize

    def planted(shape_of: ShapeOf) -> PatternMatcher:
        return right(shape_of) + PatternMatcher([(Pat(Op.EXP, (Pat(Op.LOG, (var("x"),)),)), _exp_of_log)])

    monkeypatch.setattr(pipeline, "canonicalize", planted)


def wrong_sin_gradient(monkeypatch: pytest.MonkeyPatch) -> None:
    """The gradient of sin is sin (it should be cos)."""
    import refspec.tensor as T

    def wrong_sin(node: Apply, gs: list[Variable]) -> list[Variable]:
        return [gs[0] * T.sin(node.inputs[0])]

    monkeypatch.setitem(VJP, Op.SIN, wrong_sin)


def stale_buffer(monkeypatch: pytest.MonkeyPatch) -> None:
    """An exp kernel keeps one output buffer and returns it on every call: the result a caller
    kept from an earlier call is overwritten by the next."""

    def make() -> Kernel:
        buffers: dict[tuple[tuple[int, ...], str], Array] = {}

        def cached_exp(x: Array) -> Array:
            buf = buffers.setdefault((x.shape, x.dtype.str), np.empty_like(x))
            with np.errstate(all="ignore"):
                np.exp(x, out=buf)
            return buf
        return cached_exp

    _plant(monkeypatch, lambda node: make() if node.op is Op.EXP and node.inputs[0].dtype in (
        "float32", "float64") else None)
