"""CuPy lowerings of the non-elementwise ops (``plan.DEVICE_OPS``): each gives what the reference
kernel gives (``refspec.interp.reference``), on device arrays.

Values an op needs on the host (lengths, shapes, scalar indices) are read there; a case the device
code does not reproduce exactly (an empty max, a set_subtensor whose indices repeat, an inc_subtensor
of a dtype CUDA has no atomic add for) runs the reference kernel on host copies, counted in
``report()``. An input the reference rejects makes the device code raise; the runner then re-runs
the call on the reference, which raises its own error.

Reductions, products and accumulations over repeated indices add in another order than numpy
(tree reductions, cuBLAS, atomics): exact for integers, within the tolerance of spec/gpu.md for
floats. Everything else here moves or selects values and is exact.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from refspec.ast import Apply, Op
from refspec.dtypes import float_upgrade
from refspec.fast.gpu.context import DeviceArray, GpuContext
from refspec.fast.gpu.plan import DEVICE_OPS
from refspec.fast.gpu.philox_source import NEXT_STATE_KERNEL, UNIFORM_KERNELS, blocks_for
from refspec.interp.random import check_state
from refspec.interp.reference import REFERENCE
from refspec.params import (
    SYM,
    ArrayIndex,
    AxisParams,
    IncIndexParams,
    IndexEntry,
    IndexParams,
    MaskIndex,
    RandomParams,
    ReduceParams,
    ScalarIndex,
    SliceIndex,
    TensorDotParams,
)

Impl = Callable[..., tuple[DeviceArray, ...]]
THREADS = 256

# dtypes CUDA (through CuPy) has an atomic add for: inc_subtensor with integer-array indices
SCATTER_DTYPES = frozenset({"float16", "float32", "float64", "int32", "uint32", "int64", "uint64"})


def host_kernel(node: Apply, ctx: GpuContext, why: str) -> Impl:
    """The reference kernel on host copies of the inputs, its results copied to the device."""

    def run(*args: object) -> tuple[DeviceArray, ...]:
        ctx.counters.fallback(f"{node.op.value}: {why}")
        outs = REFERENCE[node.op](node.params, *[ctx.to_host(a) for a in args])
        return tuple(ctx.to_device(o) for o in outs)

    return run


def lower(node: Apply, ctx: GpuContext) -> Impl:
    return _LOWER[node.op](node, ctx)


# -- reductions ----------------------------------------------------------------------------------

def _reduce(node: Apply, ctx: GpuContext) -> Impl:
    cp = ctx.cp
    p = node.params
    assert isinstance(p, ReduceParams)
    out = node.outputs[0].dtype
    fn = {Op.SUM: cp.sum, Op.PROD: cp.prod, Op.MAX: cp.max, Op.MIN: cp.min, Op.ALL: cp.all,
          Op.ANY: cp.any}[node.op]
    typed = node.op in (Op.SUM, Op.PROD)  # numpy's accumulator dtype (int64 for small ints, ...)
    empty = host_kernel(node, ctx, "empty input")

    def run(x: object) -> tuple[DeviceArray, ...]:
        d = ctx.to_device(x)
        if d.size == 0 and node.op in (Op.MAX, Op.MIN):
            return empty(d)  # the reference raises, or reduces only non-empty axes: its own rules
        kwargs = {"dtype": out} if typed else {}
        return (cp.asarray(fn(d, axis=p.axis, keepdims=p.keepdims, **kwargs)).astype(out, copy=False),)

    return run


def _arg_reduce(node: Apply, ctx: GpuContext) -> Impl:
    cp = ctx.cp
    p = node.params
    assert isinstance(p, ReduceParams)
    fn = cp.argmax if node.op is Op.ARGMAX else cp.argmin
    empty = host_kernel(node, ctx, "empty input")

    def run(x: object) -> tuple[DeviceArray, ...]:
        d = ctx.to_device(x)
        if d.size == 0:
            return empty(d)
        if p.axis is None and p.keepdims:
            return (fn(d.reshape(-1)).reshape((1,) * d.ndim).astype(np.int64),)
        axis = None if p.axis is None else p.axis[0]
        return (cp.asarray(fn(d, axis=axis, keepdims=p.keepdims)).astype(np.int64),)

    return run


def _sum_to(node: Apply, ctx: GpuContext) -> Impl:
    cp = ctx.cp

    def run(g: object, shape: object) -> tuple[DeviceArray, ...]:
        d = ctx.to_device(g)
        target = tuple(int(s) for s in ctx.to_host(shape))
        lead = d.ndim - len(target)
        out = d.sum(axis=tuple(range(lead)), dtype=d.dtype) if lead else d
        axes = tuple(i for i, (s, n) in enumerate(zip(target, out.shape)) if s == 1 and n != 1)
        if axes:
            out = out.sum(axis=axes, keepdims=True, dtype=d.dtype)
        if out.shape != target:
            raise ValueError(f"sum_to: a value of shape {d.shape} does not broadcast to {target}")
        return (cp.asarray(out),)

    return run


def _softmax(node: Apply, ctx: GpuContext) -> Impl:
    cp = ctx.cp
    p = node.params
    assert isinstance(p, AxisParams)
    log = node.op is Op.LOG_SOFTMAX

    def run(x: object) -> tuple[DeviceArray, ...]:
        d = ctx.to_device(x)
        d = d.astype(float_upgrade(d.dtype.name), copy=False)
        axis = p.axis if d.ndim else None  # numpy reduces a 0-d array over axis 0 or -1; CuPy refuses
        shifted = d - cp.max(d, axis=axis, keepdims=True)
        if log:
            return (shifted - cp.log(cp.sum(cp.exp(shifted), axis=axis, keepdims=True)),)
        e = cp.exp(shifted)
        return (e / cp.sum(e, axis=axis, keepdims=True),)

    return run


# -- products ------------------------------------------------------------------------------------

def _dot(node: Apply, ctx: GpuContext) -> Impl:
    cp = ctx.cp
    out = node.outputs[0].dtype

    def run(a: object, b: object) -> tuple[DeviceArray, ...]:
        return (cp.asarray(cp.dot(ctx.to_device(a), ctx.to_device(b))).astype(out, copy=False),)

    return run


def _tensordot(node: Apply, ctx: GpuContext) -> Impl:
    cp = ctx.cp
    p = node.params
    assert isinstance(p, TensorDotParams)
    out = node.outputs[0].dtype

    def run(a: object, b: object) -> tuple[DeviceArray, ...]:
        da, db = ctx.to_device(a), ctx.to_device(b)
        if not p.a_axes:  # an outer product: CuPy's tensordot refuses 0-d operands even with no axes
            r = da.reshape(da.shape + (1,) * db.ndim) * db
        else:
            r = cp.tensordot(da, db, axes=(list(p.a_axes), list(p.b_axes)))
        return (cp.asarray(r).astype(out, copy=False),)

    return run


def _batched_dot(node: Apply, ctx: GpuContext) -> Impl:
    cp = ctx.cp
    out_dtype = node.outputs[0].dtype

    def run(a: object, b: object) -> tuple[DeviceArray, ...]:
        da, db = ctx.to_device(a), ctx.to_device(b)
        if da.shape[0] != db.shape[0]:
            raise ValueError(f"batched_dot: batch sizes {da.shape[0]} and {db.shape[0]} differ")
        a3 = da if da.ndim == 3 else da[:, None, :]
        b3 = db if db.ndim == 3 else db[:, :, None]
        out = cp.matmul(a3, b3)
        if db.ndim == 2:
            out = out[:, :, 0]
        if da.ndim == 2:
            out = out[:, 0]
        return (cp.ascontiguousarray(out).astype(out_dtype, copy=False),)

    return run


# -- shapes and construction ---------------------------------------------------------------------

def _reshape(node: Apply, ctx: GpuContext) -> Impl:
    def run(x: object, shape: object) -> tuple[DeviceArray, ...]:
        return (ctx.to_device(x).reshape(tuple(int(s) for s in ctx.to_host(shape))),)

    return run


def _on_device_reference(node: Apply, ctx: GpuContext) -> Impl:
    """The reference kernel itself, where it only calls array methods CuPy arrays have (dimshuffle:
    transpose and reshape; specify_shape: a shape check)."""
    ref = REFERENCE[node.op]

    def run(x: object) -> tuple[DeviceArray, ...]:
        return tuple(ref(node.params, ctx.to_device(x)))

    return run


def _join(node: Apply, ctx: GpuContext) -> Impl:
    cp = ctx.cp
    p = node.params
    assert isinstance(p, AxisParams)

    def run(*xs: object) -> tuple[DeviceArray, ...]:
        return (cp.concatenate([ctx.to_device(x) for x in xs], axis=p.axis),)

    return run


def _alloc(node: Apply, ctx: GpuContext) -> Impl:
    cp = ctx.cp
    dtype = node.outputs[0].dtype

    def run(value: object, *dims: object) -> tuple[DeviceArray, ...]:
        shape = tuple(int(ctx.to_host(d)) for d in dims)
        if any(d < 0 for d in shape):
            raise ValueError(f"alloc: negative length in shape {shape}")
        v = ctx.to_device(value).astype(dtype, copy=False)
        return (cp.broadcast_to(v, shape).copy(),)  # a new C-ordered array (also for 0-d)

    return run


def _host_then_upload(node: Apply, ctx: GpuContext) -> Impl:
    """arange, eye: computed on the host by the reference (exactly numpy's), then uploaded."""

    def run(*args: object) -> tuple[DeviceArray, ...]:
        outs = REFERENCE[node.op](node.params, *[ctx.to_host(a) for a in args])
        return tuple(ctx.to_device(o) for o in outs)

    return run


# -- indexing ------------------------------------------------------------------------------------

def device_index(ctx: GpuContext, entries: Sequence[IndexEntry], idx: Sequence[object],
                 shape: Sequence[int]) -> tuple[Any, ...]:
    """The index tuple for a device array of ``shape`` (``reference.numpy_index`` on the device):
    scalars and slice bounds on the host, integer arrays and masks' positions on the device, with
    numpy's bounds checks (CuPy would wrap an out-of-bounds index silently)."""
    cp = ctx.cp
    it = iter(idx)

    def part(p: int | None | str) -> int | None:
        return int(ctx.to_host(next(it))) if p == SYM else (None if p is None else int(p))

    out: list[object] = []
    axis = 0
    for e in entries:
        if isinstance(e, ScalarIndex):
            i = part(e.value)
            assert i is not None
            n = shape[axis]
            if not -n <= i < n:
                raise IndexError(f"index {i} is out of bounds for axis {axis} with size {n}")
            out.append(i)
        elif isinstance(e, SliceIndex):
            out.append(slice(part(e.start), part(e.stop), part(e.step)))
        elif isinstance(e, ArrayIndex):
            a = ctx.to_device(next(it))
            n = shape[axis]
            if a.size and bool(cp.any((a < -n) | (a >= n))):
                ctx.counters.syncs += 1
                raise IndexError(f"an index is out of bounds for axis {axis} with size {n}")
            out.append(a)
        else:
            assert isinstance(e, MaskIndex)
            mask = ctx.to_device(next(it))
            covered = tuple(shape[axis:axis + mask.ndim])
            if mask.shape != covered:
                raise IndexError(f"boolean index of shape {mask.shape} does not match the indexed "
                                 f"axes {axis}..{axis + mask.ndim - 1} of shape {covered}")
            out.extend(cp.nonzero(mask))
            axis += mask.ndim
            continue
        axis += 1
    return tuple(out)


def _advanced(entries: Sequence[IndexEntry]) -> bool:
    return any(isinstance(e, (ArrayIndex, MaskIndex)) for e in entries)


def _subtensor(node: Apply, ctx: GpuContext) -> Impl:
    p = node.params
    assert isinstance(p, IndexParams)

    def run(x: object, *idx: object) -> tuple[DeviceArray, ...]:
        d = ctx.to_device(x)
        return (d[device_index(ctx, p.entries, idx, d.shape)],)

    return run


def _inc_subtensor(node: Apply, ctx: GpuContext) -> Impl:
    """A copy of x with y set or added at the index. Setting with repeated positions (the last write
    wins on the reference) and adding into dtypes without an atomic add run on the host."""
    cp = ctx.cp
    p = node.params
    assert isinstance(p, IncIndexParams)
    advanced = _advanced(p.entries)
    dtype = node.outputs[0].dtype
    on_host_repeated = host_kernel(node, ctx, "set_subtensor with repeated indices")
    on_host_dtype = host_kernel(node, ctx, f"inc_subtensor of {dtype} with an index array")

    def run(x: object, y: object, *idx: object) -> tuple[DeviceArray, ...]:
        d = ctx.to_device(x)
        where = device_index(ctx, p.entries, idx, d.shape)
        target = d[where]
        value = cp.broadcast_to(ctx.to_device(y).astype(d.dtype, copy=False), target.shape)
        if p.set_instead_of_inc:
            if advanced and _repeats(ctx, d, where):
                return on_host_repeated(x, y, *idx)
            out = d.copy()
            out[where] = value
            return (out,)
        if not advanced:
            out = d.copy()
            out[where] += value  # basic indexing: a view, no repeated positions
            return (out,)
        if dtype not in SCATTER_DTYPES:
            return on_host_dtype(x, y, *idx)
        out = d.copy()
        if dtype == "int64":  # wrapping addition is the same on the unsigned bits
            out.view(np.uint64).scatter_add(where, value.astype(np.int64).view(np.uint64))
        else:
            out.scatter_add(where, value)
        return (out,)

    return run


def _repeats(ctx: GpuContext, d: DeviceArray, where: tuple[Any, ...]) -> bool:
    """Whether an index selects some position more than once."""
    cp = ctx.cp
    positions = cp.arange(d.size, dtype=np.int64).reshape(d.shape)[where].reshape(-1)
    ctx.counters.syncs += 1
    return int(cp.unique(positions).size) != int(positions.size)


def _print(node: Apply, ctx: GpuContext) -> Impl:
    """Prints on the host (the reference's text), passes the device value through."""

    def run(x: object) -> tuple[DeviceArray, ...]:
        REFERENCE[Op.PRINT](node.params, ctx.to_host(x))
        return (x,)

    return run


# -- random draws ----------------------------------------------------------------------------------

def uniform_bits(ctx: GpuContext, state: DeviceArray, n: int, dtype: str) -> DeviceArray:
    """The first ``n`` uniforms of the draw a (device) state makes, by the Philox kernel."""
    cp = ctx.cp
    out = cp.empty(n, dtype=dtype)
    if n:
        blocks = blocks_for(dtype, n)
        grid = min(-(-blocks // THREADS), 65535)
        ctx.philox(UNIFORM_KERNELS[dtype])((grid,), (THREADS,), (state, np.uint64(n), out))
    return out


def next_state(ctx: GpuContext, state: DeviceArray) -> DeviceArray:
    out = ctx.cp.empty(4, dtype=np.uint32)
    ctx.philox(NEXT_STATE_KERNEL)((1,), (1,), (state, out))
    return out


def _random(node: Apply, ctx: GpuContext) -> Impl:
    """uniform: the Philox uniforms, then low + (high - low) * u in the dtype (exactly the reference's
    operations); normal: Box-Muller on float64 uniforms by the reference's formula (CUDA's log, cos
    and sin: within the tolerance of spec/gpu.md)."""
    cp = ctx.cp
    p = node.params
    assert isinstance(p, RandomParams)
    dtype = p.dtype

    def fit(v: object, shape: tuple[int, ...], what: str) -> DeviceArray:
        d = ctx.to_device(v)
        try:
            return cp.broadcast_to(d, shape).astype(dtype)
        except ValueError:
            raise ValueError(f"{what} of shape {d.shape} does not broadcast to the draw's size {shape}") from None

    def run(state: object, size: object, *args: object) -> tuple[DeviceArray, ...]:
        s = ctx.to_device(state)
        if s.dtype != np.uint32 or s.shape != (4,):
            check_state(ctx.to_host(s))  # raises the reference's error
        shape = tuple(int(d) for d in ctx.to_host(size))
        if any(d < 0 for d in shape):
            raise ValueError(f"random size {shape} has a negative length")
        n = int(np.prod(shape, dtype=np.int64))
        if p.distribution == "uniform":
            u = uniform_bits(ctx, s, n, dtype).reshape(shape)
            lo, hi = fit(args[0], shape, "low"), fit(args[1], shape, "high")
            value = lo + (hi - lo) * u
        else:
            m = (n + 1) // 2
            u = uniform_bits(ctx, s, 2 * m, "float64")
            r = cp.sqrt(-2.0 * cp.log(1.0 - u[0::2]))
            t = 2.0 * np.pi * u[1::2]
            z = cp.empty(2 * m, dtype=np.float64)
            z[0::2] = r * cp.cos(t)
            z[1::2] = r * cp.sin(t)
            zd = z[:n].astype(dtype)
            avg, std = fit(args[0], shape, "avg"), fit(args[1], shape, "std")
            value = avg + std * zd.reshape(shape)
        return next_state(ctx, s), value

    return run


_LOWER: dict[Op, Callable[[Apply, GpuContext], Impl]] = {
    Op.SUM: _reduce, Op.PROD: _reduce, Op.MAX: _reduce, Op.MIN: _reduce, Op.ALL: _reduce, Op.ANY: _reduce,
    Op.ARGMAX: _arg_reduce, Op.ARGMIN: _arg_reduce, Op.SUM_TO: _sum_to,
    Op.SOFTMAX: _softmax, Op.LOG_SOFTMAX: _softmax,
    Op.DOT: _dot, Op.TENSORDOT: _tensordot, Op.BATCHED_DOT: _batched_dot,
    Op.RESHAPE: _reshape, Op.DIMSHUFFLE: _on_device_reference, Op.SPECIFY_SHAPE: _on_device_reference,
    Op.JOIN: _join, Op.ALLOC: _alloc, Op.ARANGE: _host_then_upload, Op.EYE: _host_then_upload,
    Op.SUBTENSOR: _subtensor, Op.INC_SUBTENSOR: _inc_subtensor, Op.PRINT: _print, Op.RANDOM: _random,
}

assert DEVICE_OPS <= set(_LOWER), f"DEVICE_OPS without a lowering: {DEVICE_OPS - set(_LOWER)}"
