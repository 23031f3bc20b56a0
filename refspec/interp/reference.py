"""REFERENCE: the meaning of every op, as numpy one-liners plus the written-out special cases.

Each implementation takes the node's params and input values and returns its output values, exactly of
the dtypes and shapes ``refspec.ops`` inferred (the evaluator checks). Semantics are in spec/ops.md.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import scipy.special as sp

from refspec.ast import Array, Op
from refspec.dtypes import float_upgrade
from refspec.interp.random import draw
from refspec.params import (
    SYM,
    ArrayIndex,
    AxisParams,
    CastParams,
    DimShuffleParams,
    DTypeParams,
    IfElseParams,
    IncIndexParams,
    IndexEntry,
    IndexParams,
    MaskIndex,
    NdimParams,
    Params,
    PrintParams,
    RandomParams,
    ReduceParams,
    ScalarIndex,
    ScanParams,
    ShapeParams,
    SliceIndex,
    TensorDotParams,
)

Impl = Callable[..., tuple[Array, ...]]
NumpyFn = Callable[..., object]


def _arr(value: object) -> Array:
    return np.asarray(value)


def _plain(fn: NumpyFn) -> Impl:
    """An op that is exactly a numpy function of its inputs."""
    return lambda params, *xs: (_arr(fn(*xs)),)


def _float_fn(fn: NumpyFn) -> Impl:
    """Float-valued function: integer inputs are upgraded first (spec/types.md); scipy functions
    without a float16 loop compute in float32 and round back."""

    def run(params: Params, *xs: Array) -> tuple[Array, ...]:
        dtype = float_upgrade(np.result_type(*xs).name)
        out = _arr(fn(*[x.astype(dtype, copy=False) for x in xs]))
        return (out.astype(dtype, copy=False),)

    return run


def _check_int_divisor(x: Array, y: Array) -> None:
    # bool // bool divides in int8 (numpy's loop), so it is integer division too
    if np.result_type(x, y).kind in "biu" and not np.all(y):
        raise ZeroDivisionError("integer division or modulo by zero (spec/ops.md: int_div, mod)")


def _int_div(params: Params, x: Array, y: Array) -> tuple[Array, ...]:
    _check_int_divisor(x, y)
    return (_arr(np.floor_divide(x, y)),)


def _mod(params: Params, x: Array, y: Array) -> tuple[Array, ...]:
    _check_int_divisor(x, y)
    return (_arr(np.remainder(x, y)),)


def _round_half_even(params: Params, x: Array) -> tuple[Array, ...]:
    if x.dtype.kind in "biu":
        return (x.copy(),)  # np.round would turn bool into float16; integers are already round
    return (_arr(np.rint(x)),)  # half to even, as np.round


def _round_half_away(params: Params, x: Array) -> tuple[Array, ...]:
    if x.dtype.kind in "biu":
        return (x.copy(),)
    whole = np.trunc(x)
    # x - trunc(x) is exact, so the comparison with 0.5 is too (floor(x + 0.5) is not)
    bump = np.where(np.abs(x - whole) >= 0.5, np.sign(x), 0).astype(x.dtype)
    return (_arr(whole + bump),)


def _cast(params: Params, x: Array) -> tuple[Array, ...]:
    assert isinstance(params, CastParams)
    return (x.astype(params.dtype),)


def _second(params: Params, model: Array, value: Array) -> tuple[Array, ...]:
    shape = np.broadcast_shapes(model.shape, value.shape)
    return (np.broadcast_to(value, shape).copy(),)


def _switch(params: Params, cond: Array, a: Array, b: Array) -> tuple[Array, ...]:
    return (_arr(np.where(cond.astype(bool), a, b)),)


def _clip(params: Params, x: Array, lo: Array, hi: Array) -> tuple[Array, ...]:
    # in the dtype of all three together (as numpy.clip: uint16, int8, float16 -> float32, which
    # maximum then minimum pairwise would make float64); then maximum then minimum: NaN propagates,
    # and lo > hi gives hi (as numpy.clip)
    dtype = np.result_type(x, lo, hi)
    x, lo, hi = (v.astype(dtype, copy=False) for v in (x, lo, hi))
    return (_arr(np.minimum(np.maximum(x, lo), hi)),)


def _reduction(fn: NumpyFn) -> Impl:
    def run(params: Params, x: Array) -> tuple[Array, ...]:
        assert isinstance(params, ReduceParams)
        return (_arr(fn(x, axis=params.axis, keepdims=params.keepdims)),)

    return run


def _arg_reduction(fn: NumpyFn) -> Impl:
    def run(params: Params, x: Array) -> tuple[Array, ...]:
        assert isinstance(params, ReduceParams)
        axis = None if params.axis is None else params.axis[0]
        if params.axis is None and params.keepdims:
            return (_arr(fn(x.reshape(-1))).reshape((1,) * x.ndim).astype(np.int64),)
        return (_arr(fn(x, axis=axis, keepdims=params.keepdims)).astype(np.int64),)

    return run


def _sum_to(params: Params, g: Array, shape: Array) -> tuple[Array, ...]:
    """Sum ``g`` down to ``shape``: over its extra leading axes, then (keeping them) over the axes
    where ``shape`` is 1 and ``g`` is not; the reduction a broadcast needs in reverse."""
    target = tuple(int(s) for s in shape)
    lead = g.ndim - len(target)
    out = g.sum(axis=tuple(range(lead)), dtype=g.dtype) if lead else g
    axes = tuple(i for i, (s, n) in enumerate(zip(target, out.shape)) if s == 1 and n != 1)
    if axes:
        out = out.sum(axis=axes, keepdims=True, dtype=g.dtype)
    if out.shape != target:
        raise ValueError(f"sum_to: a value of shape {g.shape} does not broadcast to {target}")
    return (_arr(out),)


def _softmax(params: Params, x: Array) -> tuple[Array, ...]:
    assert isinstance(params, AxisParams)
    x = x.astype(float_upgrade(x.dtype.name), copy=False)
    e = np.exp(x - np.max(x, axis=params.axis, keepdims=True))
    return (_arr(e / np.sum(e, axis=params.axis, keepdims=True)),)


def _log_softmax(params: Params, x: Array) -> tuple[Array, ...]:
    assert isinstance(params, AxisParams)
    x = x.astype(float_upgrade(x.dtype.name), copy=False)
    shifted = x - np.max(x, axis=params.axis, keepdims=True)
    return (_arr(shifted - np.log(np.sum(np.exp(shifted), axis=params.axis, keepdims=True))),)


def _tensordot(params: Params, a: Array, b: Array) -> tuple[Array, ...]:
    assert isinstance(params, TensorDotParams)
    axes = (list(params.a_axes), list(params.b_axes))
    return (_arr(np.tensordot(a, b, axes=axes)),)  # type: ignore[type-var]  # stubs want numeric dtypes


def _batched_dot(params: Params, a: Array, b: Array) -> tuple[Array, ...]:
    if a.shape[0] != b.shape[0]:
        raise ValueError(f"batched_dot: batch sizes {a.shape[0]} and {b.shape[0]} differ")
    a3 = a if a.ndim == 3 else a[:, None, :]
    b3 = b if b.ndim == 3 else b[:, :, None]
    out = np.matmul(a3, b3)
    if b.ndim == 2:
        out = out[:, :, 0]
    if a.ndim == 2:
        out = out[:, 0]
    return (_arr(out),)


def _shape(params: Params, x: Array) -> tuple[Array, ...]:
    return (np.array(x.shape, dtype=np.int64),)


def _reshape(params: Params, x: Array, shape: Array) -> tuple[Array, ...]:
    assert isinstance(params, NdimParams)
    return (x.reshape(tuple(int(s) for s in shape)),)


def _dimshuffle(params: Params, x: Array) -> tuple[Array, ...]:
    assert isinstance(params, DimShuffleParams)
    kept = [int(d) for d in params.new_order if d != "x"]
    dropped = [a for a in range(x.ndim) if a not in kept]
    moved = x.transpose(kept + dropped)
    shape = tuple(1 if d == "x" else x.shape[int(d)] for d in params.new_order)
    return (moved.reshape(shape),)


def _specify_shape(params: Params, x: Array) -> tuple[Array, ...]:
    assert isinstance(params, ShapeParams)
    if len(params.shape) != x.ndim or any(s is not None and s != n for s, n in zip(params.shape, x.shape)):
        raise ValueError(f"specify_shape: expected shape {params.shape}, got {x.shape}")
    return (x,)


def _join(params: Params, *xs: Array) -> tuple[Array, ...]:
    assert isinstance(params, AxisParams)
    return (np.concatenate(xs, axis=params.axis),)


def _alloc(params: Params, value: Array, *dims: Array) -> tuple[Array, ...]:
    shape = tuple(int(d) for d in dims)
    if any(d < 0 for d in shape):
        raise ValueError(f"alloc: negative length in shape {shape}")
    return (np.broadcast_to(value, shape).copy(),)


def _arange(params: Params, start: Array, stop: Array, step: Array) -> tuple[Array, ...]:
    assert isinstance(params, DTypeParams)
    if step == 0:
        raise ValueError("arange: step is zero")
    return (np.arange(start.item(), stop.item(), step.item(), dtype=np.dtype(params.dtype)),)


def _eye(params: Params, n: Array, m: Array, k: Array) -> tuple[Array, ...]:
    assert isinstance(params, DTypeParams)
    return (np.eye(int(n), int(m), int(k), dtype=params.dtype),)


def _make_vector(params: Params, *xs: Array) -> tuple[Array, ...]:
    assert isinstance(params, DTypeParams)
    return (np.array([x.item() for x in xs], dtype=params.dtype),)


# numpy's index types are not expressible in its stubs for mixed basic/advanced indexing
NumpyIndex = tuple[Any, ...]


def numpy_index(entries: Sequence[IndexEntry], idx: Sequence[Array], shape: Sequence[int]) -> NumpyIndex:
    """The numpy index tuple for an index description and its symbolic parts' values, applied to a
    tensor of ``shape`` (a mask must match the axes it covers, as in numpy)."""
    it = iter(idx)

    def part(p: int | None | str) -> int | None:
        return int(next(it)) if p == SYM else (None if p is None else int(p))

    out: list[object] = []
    axis = 0
    for e in entries:
        if isinstance(e, ScalarIndex):
            out.append(part(e.value))
        elif isinstance(e, SliceIndex):
            out.append(slice(part(e.start), part(e.stop), part(e.step)))
        elif isinstance(e, ArrayIndex):
            out.append(next(it))
        else:
            assert isinstance(e, MaskIndex)
            mask = next(it)
            covered = tuple(shape[axis:axis + mask.ndim])
            if mask.shape != covered:
                raise IndexError(f"boolean index of shape {mask.shape} does not match the indexed "
                                 f"axes {axis}..{axis + mask.ndim - 1} of shape {covered}")
            out.extend(np.nonzero(mask))
            axis += mask.ndim
            continue
        axis += 1
    return tuple(out)


def _subtensor(params: Params, x: Array, *idx: Array) -> tuple[Array, ...]:
    assert isinstance(params, IndexParams)
    return (_arr(x[numpy_index(params.entries, idx, x.shape)]),)


def _inc_subtensor(params: Params, x: Array, y: Array, *idx: Array) -> tuple[Array, ...]:
    assert isinstance(params, IncIndexParams)
    where = numpy_index(params.entries, idx, x.shape)
    out = x.copy()
    y = y.astype(x.dtype, copy=False)
    if params.set_instead_of_inc:
        # duplicate positions: the last write wins (spec/ops.md: set_subtensor)
        np.broadcast_to(y, out[where].shape)
        out[where] = y
    else:
        # duplicate positions accumulate (ufunc.at is unbuffered)
        np.add.at(out, where, np.broadcast_to(y, out[where].shape))
    return (out,)


def _ifelse(params: Params, cond: Array, *branch: Array) -> tuple[Array, ...]:
    """Receives only the taken branch's values (the evaluator is lazy: see ``ifelse_inputs``)."""
    assert isinstance(params, IfElseParams) and len(branch) == params.n_outs
    return tuple(branch)


def ifelse_inputs(params: IfElseParams, cond: Array) -> range:
    """Positions of the inputs an ifelse needs once its condition is known: the taken branch only."""
    n = params.n_outs
    return range(1, 1 + n) if bool(cond) else range(1 + n, 1 + 2 * n)


def _scan(params: Params, n_steps: Array, *args: Array) -> tuple[Array, ...]:
    from refspec.interp.scan import run_scan  # the loop evaluates inner graphs: it needs the evaluator

    assert isinstance(params, ScanParams)
    return run_scan(params, n_steps, *args)


def _print(params: Params, x: Array) -> tuple[Array, ...]:
    assert isinstance(params, PrintParams)
    for attr in params.attrs:
        value = x if attr == "__str__" else getattr(x, attr)
        print(f"{params.message} {attr} = {value}")
    return (x,)


def _random(params: Params, state: Array, size: Array, *args: Array) -> tuple[Array, ...]:
    """(next state, value): refspec/interp/random.py is the generator, spec/random.md its text."""
    assert isinstance(params, RandomParams)
    return draw(params.distribution, params.dtype, params.replace, state, size, *args)


PLAIN_NUMPY: dict[Op, NumpyFn] = {
    Op.NEG: np.negative, Op.ABS: np.absolute, Op.SQR: np.square, Op.SIGN: np.sign,
    Op.FLOOR: np.floor, Op.CEIL: np.ceil, Op.TRUNC: np.trunc,
    Op.INVERT: np.invert, Op.ISNAN: np.isnan, Op.ISINF: np.isinf, Op.CONJ: np.conjugate,
    Op.REAL: lambda x: np.real(x).copy(), Op.IMAG: lambda x: np.array(np.imag(x)),
    Op.ADD: np.add, Op.SUB: np.subtract, Op.MUL: np.multiply, Op.TRUE_DIV: np.true_divide,
    Op.POW: np.power, Op.MAXIMUM: np.maximum, Op.MINIMUM: np.minimum,
    Op.LT: np.less, Op.GT: np.greater, Op.LE: np.less_equal, Op.GE: np.greater_equal,
    Op.EQ: np.equal, Op.NEQ: np.not_equal, Op.AND: np.bitwise_and, Op.OR: np.bitwise_or,
    Op.XOR: np.bitwise_xor, Op.DOT: np.dot,
}

FLOAT_NUMPY: dict[Op, NumpyFn] = {
    Op.EXP: np.exp, Op.EXP2: np.exp2, Op.EXPM1: np.expm1, Op.LOG: np.log, Op.LOG2: np.log2,
    Op.LOG10: np.log10, Op.LOG1P: np.log1p, Op.SQRT: np.sqrt, Op.SIN: np.sin, Op.COS: np.cos,
    Op.TAN: np.tan, Op.ARCSIN: np.arcsin, Op.ARCCOS: np.arccos, Op.ARCTAN: np.arctan,
    Op.SINH: np.sinh, Op.COSH: np.cosh, Op.TANH: np.tanh, Op.ERF: sp.erf, Op.ERFC: sp.erfc,
    Op.ERFINV: sp.erfinv, Op.GAMMA: sp.gamma, Op.GAMMALN: sp.gammaln, Op.PSI: sp.psi,
    Op.SIGMOID: sp.expit, Op.SOFTPLUS: lambda x: np.logaddexp(0, x), Op.ARCTAN2: np.arctan2,
}

REFERENCE: dict[Op, Impl] = {
    **{op: _plain(fn) for op, fn in PLAIN_NUMPY.items()},
    **{op: _float_fn(fn) for op, fn in FLOAT_NUMPY.items()},
    Op.ROUND_HALF_EVEN: _round_half_even,
    Op.ROUND_HALF_AWAY: _round_half_away,
    Op.CAST: _cast,
    Op.INT_DIV: _int_div,
    Op.MOD: _mod,
    Op.SECOND: _second,
    Op.SWITCH: _switch,
    Op.CLIP: _clip,
    Op.SUM: _reduction(np.sum),
    Op.PROD: _reduction(np.prod),
    Op.MAX: _reduction(np.max),
    Op.MIN: _reduction(np.min),
    Op.ALL: _reduction(np.all),
    Op.ANY: _reduction(np.any),
    Op.ARGMAX: _arg_reduction(np.argmax),
    Op.ARGMIN: _arg_reduction(np.argmin),
    Op.SUM_TO: _sum_to,
    Op.SOFTMAX: _softmax,
    Op.LOG_SOFTMAX: _log_softmax,
    Op.TENSORDOT: _tensordot,
    Op.BATCHED_DOT: _batched_dot,
    Op.SHAPE: _shape,
    Op.RESHAPE: _reshape,
    Op.DIMSHUFFLE: _dimshuffle,
    Op.SPECIFY_SHAPE: _specify_shape,
    Op.JOIN: _join,
    Op.ALLOC: _alloc,
    Op.ARANGE: _arange,
    Op.EYE: _eye,
    Op.MAKE_VECTOR: _make_vector,
    Op.SUBTENSOR: _subtensor,
    Op.INC_SUBTENSOR: _inc_subtensor,
    Op.IFELSE: _ifelse,
    Op.SCAN: _scan,
    Op.PRINT: _print,
    Op.RANDOM: _random,
}

assert set(REFERENCE) == set(Op), f"ops without a reference: {set(Op) - set(REFERENCE)}"
