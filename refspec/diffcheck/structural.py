"""Builders for reductions, softmax, linear algebra and shape ops: params (axes, orders, shapes)
drawn from the operands' concrete shapes, so every node fits its inputs."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Literal

from hypothesis import strategies as st

from refspec.ast import DTYPES, Op
from refspec.diffcheck.builder import DTYPE_ORDER, Builder, Entry
from refspec.diffcheck.domains import uniform_dtypes
from refspec.dtypes import result_type
from refspec.params import (
    AxisParams,
    DimShuffleParams,
    DTypeParams,
    NdimParams,
    ReduceParams,
    ShapeParams,
    TensorDotParams,
)

Pred = Callable[[Entry], bool]


def source(b: Builder, dtypes: tuple[str, ...] | list[str], pred: Pred = lambda e: True,
           min_dims: int = 0, max_dims: int = 3) -> Entry:
    """An operand of one of ``dtypes`` with ``min_dims..max_dims`` axes: from the pool, or fresh."""
    def ok(e: Entry) -> bool:
        return e.dtype in dtypes and min_dims <= e.ndim <= max_dims and pred(e)

    found = b.reuse(ok)
    if found is not None:
        return found
    return b.fresh(b.dtype(dtypes), b.shape(min_dims, max_dims))


def reduction(b: Builder, op: Op) -> Entry:
    x = source(b, uniform_dtypes(op, ReduceParams(None, False), 1))
    axis: tuple[int, ...] | None = None
    if x.ndim and b.flag(0.6):
        if op in (Op.ARGMAX, Op.ARGMIN):
            axis = (b.index(x.ndim),)
        else:
            axis = tuple(a for a in range(x.ndim) if b.flag(0.5))
    return b.apply1(op, [x], ReduceParams(axis, b.flag(0.3)))


def sum_to(b: Builder) -> Entry:
    g = source(b, DTYPES)
    target = b.broadcastable_to(g.shape)
    # the target shape: a constant (simplest), or the shape of a variable that has it
    like = b.reuse(lambda e: e.shape == target) if b.flag(0.5) else None
    shape = b.apply1(Op.SHAPE, [like]) if like is not None else b.int_vector(target)
    return b.apply1(Op.SUM_TO, [g, shape])


def softmax(b: Builder, op: Op) -> Entry:
    x = source(b, uniform_dtypes(op, AxisParams(0), 1), max_dims=3)
    return b.apply1(op, [x], AxisParams(b.index(max(x.ndim, 1))))


def _partner(b: Builder, dtype: str, shape: tuple[int, ...]) -> Entry:
    d = dtype if not b.flag(0.25) else b.dtype(DTYPE_ORDER)
    return b.operand(d, shape)


def dot(b: Builder) -> Entry:
    a = source(b, DTYPES, min_dims=1, max_dims=2)
    k = a.shape[-1]
    shape = (k,) if b.flag(0.4) else (k, b.draw_length())
    return b.apply1(Op.DOT, [a, _partner(b, a.dtype, shape)])


def tensordot(b: Builder) -> Entry:
    a = source(b, DTYPES, max_dims=3)
    n = b.index(min(a.ndim, 2) + 1)
    a_axes = tuple(b.draw(st.permutations(range(a.ndim)))[:n])
    extra = b.index(3)
    b_ndim = n + extra
    b_axes = tuple(b.draw(st.permutations(range(b_ndim)))[:n])
    shape = [b.draw_length() for _ in range(b_ndim)]
    for i, j in zip(a_axes, b_axes):
        shape[j] = a.shape[i]
    other = _partner(b, a.dtype, tuple(shape))
    return b.apply1(Op.TENSORDOT, [a, other], TensorDotParams(a_axes, b_axes))


def batched_dot(b: Builder) -> Entry:
    a = source(b, DTYPES, min_dims=2, max_dims=3)
    shape = (a.shape[0], a.shape[-1]) + ((b.draw_length(),) if b.flag(0.5) else ())
    return b.apply1(Op.BATCHED_DOT, [a, _partner(b, a.dtype, shape)])


def shape_of(b: Builder) -> Entry:
    return b.apply1(Op.SHAPE, [source(b, DTYPES)])


def _factor(b: Builder, size: int, ndim: int) -> list[int]:
    """Lengths of ``ndim`` axes whose product is ``size``."""
    if ndim == 0:
        return []
    dims = [1] * ndim
    if size == 0:
        dims = [b.draw_length() for _ in range(ndim)]
        dims[b.index(ndim)] = 0
        return dims
    n, p = size, 2
    while n > 1:
        while n % p == 0:
            dims[b.index(ndim)] *= p
            n //= p
        p += 1
    return dims


def reshape(b: Builder) -> Entry:
    x = source(b, DTYPES)
    size = x.value.size
    ndim = b.integer(0, 3)
    if ndim == 0 and size != 1:
        ndim = 1
    dims = _factor(b, size, ndim)
    if size and ndim and b.flag(0.3):
        dims[b.index(ndim)] = -1
    if ndim and b.flag(0.3):  # a symbolic shape: make_vector of scalars, some of them inputs
        shape = b.apply1(Op.MAKE_VECTOR, [b.int_scalar(d) for d in dims], DTypeParams("int64"))
    else:
        shape = b.int_vector(dims)
    return b.apply1(Op.RESHAPE, [x, shape], NdimParams(ndim))


def dimshuffle(b: Builder) -> Entry:
    x = source(b, DTYPES)
    order: list[int | Literal["x"]] = [a for a in b.draw(st.permutations(range(x.ndim)))
                                       if not (x.var.type.shape[a] == 1 and b.flag(0.5))]
    for _ in range(b.index(3)):
        order.insert(b.index(len(order) + 1), "x")
    return b.apply1(Op.DIMSHUFFLE, [x], DimShuffleParams(tuple(order)))


def specify_shape(b: Builder) -> Entry:
    x = source(b, DTYPES)
    return b.apply1(Op.SPECIFY_SHAPE, [x], ShapeParams(tuple(n if b.flag(0.6) else None for n in x.shape)))


def join(b: Builder) -> Entry:
    x = source(b, DTYPES, min_dims=1)
    axis = b.index(x.ndim)
    parts = [x]
    for _ in range(1 + b.index(2)):
        d = x.dtype if not b.flag(0.2) else b.dtype(DTYPE_ORDER)

        def fits(e: Entry, d: str = d) -> bool:
            return e.dtype == d and e.ndim == x.ndim and all(
                m == n for i, (m, n) in enumerate(zip(e.shape, x.shape)) if i != axis)

        found = b.reuse(fits)
        shape = x.shape[:axis] + (b.draw_length(),) + x.shape[axis + 1:]
        parts.append(found if found is not None else b.fresh(d, shape))
    return b.apply1(Op.JOIN, parts, AxisParams(axis))


def alloc(b: Builder) -> Entry:
    v = source(b, DTYPES)
    target = tuple(b.draw_length() for _ in range(b.index(3)))
    target += tuple(b.draw_length() if n == 1 and b.flag(0.5) else n for n in v.shape)
    return b.apply1(Op.ALLOC, [v, *[b.int_scalar(n) for n in target]])


def arange(b: Builder) -> Entry:
    dtype = b.dtype([d for d in DTYPE_ORDER if d != "bool"])
    unsigned = dtype.startswith("uint")
    start = b.integer(0 if unsigned else -3, 3)
    step = b.pick_from([1, 2, 3] if unsigned else [1, 2, -1, 3, -2])
    stop = start + step * b.integer(-1, 5)
    if unsigned and stop < 0:
        stop = 0
    ints = "int64" if not b.flag(0.2) else b.pick_from(["int32", "int8", "uint8"] if not unsigned else ["uint8"])
    if ints.startswith("u") and min(start, stop, step) < 0:
        ints = "int64"
    args = [b.int_scalar(v, ints) for v in (start, stop, step)]
    return b.apply1(Op.ARANGE, args, DTypeParams(dtype))


def eye(b: Builder) -> Entry:
    args = [b.int_scalar(b.integer(0, 4)), b.int_scalar(b.integer(0, 4)), b.int_scalar(b.integer(-3, 3))]
    return b.apply1(Op.EYE, args, DTypeParams(b.dtype(DTYPE_ORDER)))


def make_vector(b: Builder) -> Entry:
    scalars = [source(b, DTYPES, max_dims=0) for _ in range(1 + b.index(4))]
    return b.apply1(Op.MAKE_VECTOR, scalars, DTypeParams(result_type(*[s.dtype for s in scalars])))


def builders() -> dict[Op, Callable[[Builder], Entry]]:
    table: dict[Op, Callable[[Builder], Entry]] = {
        op: partial(reduction, op=op) for op in (Op.SUM, Op.PROD, Op.MAX, Op.MIN, Op.ALL, Op.ANY,
                                                 Op.ARGMAX, Op.ARGMIN)}
    table.update({Op.SOFTMAX: partial(softmax, op=Op.SOFTMAX),
                  Op.LOG_SOFTMAX: partial(softmax, op=Op.LOG_SOFTMAX)})
    table.update({
        Op.SUM_TO: sum_to, Op.DOT: dot, Op.TENSORDOT: tensordot, Op.BATCHED_DOT: batched_dot,
        Op.SHAPE: shape_of, Op.RESHAPE: reshape, Op.DIMSHUFFLE: dimshuffle,
        Op.SPECIFY_SHAPE: specify_shape, Op.JOIN: join, Op.ALLOC: alloc, Op.ARANGE: arange,
        Op.EYE: eye, Op.MAKE_VECTOR: make_vector,
    })
    return table

