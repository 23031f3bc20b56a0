"""Reductions: sum prod max min all any argmax argmin, and mean var std ptp built from them."""

from __future__ import annotations

import builtins
from collections.abc import Sequence

import numpy as np

from refspec.ast import Op
from refspec.dtypes import is_complex, is_float
from refspec.ops import apply1
from refspec.params import ReduceParams
from refspec.tensor.basic import Operand, as_tensor_variable, cast, mul, sqr, sqrt, sub, true_div
from refspec.tensor.basic import abs as abs_
from refspec.tensor.var import TensorVariable

Axis = int | Sequence[int] | None


def normalize_axes(ndim: int, axis: Axis) -> tuple[int, ...] | None:
    """Sorted non-negative axes (None = all); negative axes count from the end, as numpy."""
    if axis is None:
        return None
    axes = [axis] if isinstance(axis, (int, np.integer)) else list(axis)
    out: set[int] = set()
    for a in axes:
        if not -ndim <= int(a) < builtins.max(ndim, 1):  # the module's max is the reduction
            raise ValueError(f"axis {a} is out of range for a tensor of ndim {ndim}")
        out.add(int(a) % ndim if ndim else 0)
    if len(out) != len(axes):
        raise ValueError(f"repeated axis in {axis}")
    return tuple(sorted(out))


def _reduce(op: Op, x: Operand, axis: Axis, keepdims: bool) -> TensorVariable:
    xv = as_tensor_variable(x)
    result = apply1(op, [xv], ReduceParams(normalize_axes(xv.ndim, axis), keepdims))
    assert isinstance(result, TensorVariable)
    return result


def sum(x: Operand, axis: Axis = None, keepdims: bool = False, dtype: str | None = None) -> TensorVariable:  # noqa: A001
    xv = as_tensor_variable(x)
    total = _reduce(Op.SUM, cast(xv, dtype) if dtype else xv, axis, keepdims)
    return cast(total, dtype) if dtype else total  # dtype= is the result's dtype, as numpy


def prod(x: Operand, axis: Axis = None, keepdims: bool = False, dtype: str | None = None) -> TensorVariable:
    xv = as_tensor_variable(x)
    total = _reduce(Op.PROD, cast(xv, dtype) if dtype else xv, axis, keepdims)
    return cast(total, dtype) if dtype else total


def max(x: Operand, axis: Axis = None, keepdims: bool = False) -> TensorVariable:  # noqa: A001
    return _reduce(Op.MAX, x, axis, keepdims)


def min(x: Operand, axis: Axis = None, keepdims: bool = False) -> TensorVariable:  # noqa: A001
    return _reduce(Op.MIN, x, axis, keepdims)


def all(x: Operand, axis: Axis = None, keepdims: bool = False) -> TensorVariable:  # noqa: A001
    return _reduce(Op.ALL, x, axis, keepdims)


def any(x: Operand, axis: Axis = None, keepdims: bool = False) -> TensorVariable:  # noqa: A001
    return _reduce(Op.ANY, x, axis, keepdims)


def _arg_reduce(op: Op, x: Operand, axis: Axis, keepdims: bool) -> TensorVariable:
    """argmax/argmin over one axis or all; over several axes, as Theano: the reduced axes are moved
    last (in the order given) and flattened, and the index is into that flattened block."""
    xv = as_tensor_variable(x)
    if axis is None or isinstance(axis, (int, np.integer)):
        return _reduce(op, xv, axis, keepdims)
    if len(axis) <= 1:
        return _reduce(op, xv, axis[0] if len(axis) else axis, keepdims)
    normalize_axes(xv.ndim, axis)  # range and repeat checks
    axes = [int(a) % xv.ndim for a in axis]
    kept = [a for a in range(xv.ndim) if a not in axes]
    from refspec.tensor.shape_ops import dimshuffle, reshape

    block: TensorVariable = as_tensor_variable(1)
    for a in axes:
        block = mul(block, xv.shape[a])
    flat = reshape(dimshuffle(xv, kept + axes), [xv.shape[a] for a in kept] + [block])
    result = _reduce(op, flat, len(kept), False)
    if keepdims:
        order = iter(range(len(kept)))
        result = dimshuffle(result, ["x" if a in axes else next(order) for a in range(xv.ndim)])
    return result


def argmax(x: Operand, axis: Axis = None, keepdims: bool = False) -> TensorVariable:
    return _arg_reduce(Op.ARGMAX, x, axis, keepdims)


def argmin(x: Operand, axis: Axis = None, keepdims: bool = False) -> TensorVariable:
    return _arg_reduce(Op.ARGMIN, x, axis, keepdims)


def sum_to(x: Operand, shape: Operand) -> TensorVariable:
    """``x`` summed down to ``shape`` (which ``x`` is a broadcast of): the reverse of broadcasting."""
    from refspec.tensor.shape_ops import shape_vector

    result = apply1(Op.SUM_TO, [as_tensor_variable(x), shape_vector(shape)])
    assert isinstance(result, TensorVariable)
    return result


def ptp(x: Operand, axis: Axis = None, keepdims: bool = False) -> TensorVariable:
    return sub(max(x, axis, keepdims), min(x, axis, keepdims))


def _count(x: TensorVariable, axis: Axis) -> TensorVariable:
    """Number of elements reduced over, as an int64 scalar."""
    axes = normalize_axes(x.ndim, axis)
    count: TensorVariable = as_tensor_variable(1)
    for a in range(x.ndim) if axes is None else axes:
        count = mul(count, x.shape[a])
    return count


def _mean_dtype(dtype: str) -> str:
    return dtype if is_float(dtype) or is_complex(dtype) else "float64"


def mean(x: Operand, axis: Axis = None, keepdims: bool = False) -> TensorVariable:
    """Arithmetic mean; integer inputs give float64 (numpy), floats keep their dtype; float16 sums
    in float32 and rounds the result back (as numpy does), so it does not overflow at 65504."""
    xv = as_tensor_variable(x)
    dtype = _mean_dtype(xv.dtype)
    work = "float32" if dtype == "float16" else dtype
    total = sum(cast(xv, work), axis, keepdims)
    return cast(true_div(total, cast(_count(xv, axis), work)), dtype)


def var(x: Operand, axis: Axis = None, keepdims: bool = False, ddof: int = 0) -> TensorVariable:
    """Variance: mean squared (absolute) deviation from the mean, divided by ``n - ddof``."""
    xv = as_tensor_variable(x)
    xf = cast(xv, _mean_dtype(xv.dtype))
    dev = sub(xf, mean(xf, axis, keepdims=True))
    sq = sqr(abs_(dev)) if is_complex(xf.dtype) else sqr(dev)
    total = sum(sq, axis, keepdims)
    n = sub(_count(xv, axis), ddof)
    return true_div(total, cast(n, total.dtype))


def std(x: Operand, axis: Axis = None, keepdims: bool = False, ddof: int = 0) -> TensorVariable:
    return sqrt(var(x, axis, keepdims, ddof))
