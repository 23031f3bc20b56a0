"""Shapes and construction: shape, reshape, dimshuffle, join/stack, alloc, arange, eye, mgrid/ogrid."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np

from refspec.ast import Op, Variable
from refspec.config import config
from refspec.dtypes import is_integer, result_type
from refspec.ops import apply1
from refspec.params import AxisParams, DimShuffleParams, DTypeParams, NdimParams, ShapeParams
from refspec.tensor.basic import Operand, as_tensor_variable, cast, constant, operands
from refspec.tensor.var import TensorVariable


def _out(var: Variable) -> TensorVariable:
    assert isinstance(var, TensorVariable)
    return var


def shape(x: Operand) -> TensorVariable:
    """The shape of ``x`` as an int64 vector (symbolic; index it: ``x.shape[0]``)."""
    return _out(apply1(Op.SHAPE, [as_tensor_variable(x)]))


def _int_scalar(v: Operand, what: str) -> TensorVariable:
    s = as_tensor_variable(v)
    if s.ndim != 0 or not is_integer(s.dtype):
        raise TypeError(f"{what} must be an integer scalar, got {s.type}")
    return cast(s, "int64")


def shape_vector(dims: Operand | Sequence[Operand], what: str = "shape") -> TensorVariable:
    """An int64 vector from a tuple of ints / integer scalars, or from an integer vector."""
    if isinstance(dims, (list, tuple)):
        if all(isinstance(d, int) for d in dims):
            return constant(list(dims), dtype="int64") if dims else constant([], dtype="int64")
        entries = [_int_scalar(d, what) for d in dims]
        return _out(apply1(Op.MAKE_VECTOR, entries, DTypeParams("int64")))
    v = as_tensor_variable(dims)
    if v.ndim == 0:
        return shape_vector([v], what)
    if v.ndim != 1 or not is_integer(v.dtype):
        raise TypeError(f"{what} must be an integer vector, got {v.type}")
    return cast(v, "int64")


def reshape(x: Operand, newshape: Operand | Sequence[Operand], ndim: int | None = None) -> TensorVariable:
    xv = as_tensor_variable(x)
    vec = shape_vector(newshape, "reshape shape")
    length = vec.type.shape[0]
    if length is None:
        if ndim is None:
            raise ValueError("reshape to a symbolic shape of unknown length needs ndim=")
        vec = _out(apply1(Op.SPECIFY_SHAPE, [vec], ShapeParams((ndim,))))
        length = ndim
    if ndim is not None and ndim != length:
        raise ValueError(f"reshape: ndim={ndim} but the new shape has {length} entries")
    return _out(apply1(Op.RESHAPE, [xv, vec], NdimParams(length)))


def flatten(x: Operand, ndim: int = 1) -> TensorVariable:
    """Keep the first ``ndim - 1`` axes and merge the rest (Theano's ``flatten(outdim)``)."""
    xv = as_tensor_variable(x)
    if not 1 <= ndim <= max(xv.ndim, 1):
        raise ValueError(f"flatten to ndim {ndim} is not possible for ndim {xv.ndim}")
    dims: list[Operand] = [xv.shape[i] for i in range(ndim - 1)]
    return reshape(xv, dims + [-1])


def dimshuffle(x: Operand, order: Sequence[int | Literal["x"]]) -> TensorVariable:
    """Permute axes, insert broadcastable axes ('x') and drop length-1 axes (Theano's dimshuffle)."""
    xv = as_tensor_variable(x)
    normalized: tuple[int | Literal["x"], ...] = tuple("x" if d == "x" else int(d) for d in order)
    if normalized == tuple(range(xv.ndim)):
        return xv
    return _out(apply1(Op.DIMSHUFFLE, [xv], DimShuffleParams(normalized)))


def transpose(x: Operand, axes: Sequence[int] | None = None) -> TensorVariable:
    xv = as_tensor_variable(x)
    order = list(reversed(range(xv.ndim))) if axes is None else list(axes)
    return dimshuffle(xv, order)


def shape_padleft(x: Operand, n_ones: int = 1) -> TensorVariable:
    xv = as_tensor_variable(x)
    order: list[int | Literal["x"]] = ["x"] * n_ones
    return dimshuffle(xv, order + list(range(xv.ndim)))


def shape_padright(x: Operand, n_ones: int = 1) -> TensorVariable:
    xv = as_tensor_variable(x)
    order: list[int | Literal["x"]] = list(range(xv.ndim))
    return dimshuffle(xv, order + ["x"] * n_ones)


def shape_padaxis(x: Operand, axis: int) -> TensorVariable:
    xv = as_tensor_variable(x)
    if not -xv.ndim - 1 <= axis <= xv.ndim:
        raise ValueError(f"axis {axis} is out of range for inserting into ndim {xv.ndim}")
    axis = axis % (xv.ndim + 1)
    order: list[int | Literal["x"]] = list(range(xv.ndim))
    order.insert(axis, "x")
    return dimshuffle(xv, order)


def specify_shape(x: Operand, shape: Sequence[int | None]) -> TensorVariable:
    """Assert at run time that ``x`` has this shape (None: any length); the type learns it statically."""
    xv = as_tensor_variable(x)
    dims = tuple(None if s is None else int(s) for s in shape)
    if len(dims) != xv.ndim:
        raise ValueError(f"specify_shape: {len(dims)} lengths for a tensor of ndim {xv.ndim}")
    return _out(apply1(Op.SPECIFY_SHAPE, [xv], ShapeParams(dims)))


def join(axis: int, *tensors: Operand) -> TensorVariable:
    """Concatenate along ``axis`` (Theano's argument order); dtypes promote as numpy."""
    xs = operands(*tensors)
    if not xs:
        raise ValueError("join needs at least one tensor")
    ndim = xs[0].ndim
    if not -ndim <= axis < max(ndim, 1):
        raise ValueError(f"join axis {axis} is out of range for ndim {ndim}")
    if len(xs) == 1:
        return xs[0]
    return _out(apply1(Op.JOIN, xs, AxisParams(axis % ndim if ndim else 0)))


def concatenate(tensors: Sequence[Operand], axis: int = 0) -> TensorVariable:
    return join(axis, *tensors)


def stack(*tensors: Operand | Sequence[Operand], axis: int = 0) -> TensorVariable:
    """``stack([a, b], axis=k)``, and Theano's old form ``stack(a, b, c)`` (axis 0)."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        items = list(tensors[0])
    else:
        items = list(tensors)
    if not items:
        raise ValueError("stack needs at least one tensor")
    xs = operands(*items)
    return join(axis, *[shape_padaxis(x, axis) for x in xs])


def stacklists(nested: object) -> TensorVariable:
    """Stack a nested list of scalars or tensors into one tensor (``stacklists([[a, b], [c, d]])``)."""
    if isinstance(nested, (list, tuple)):
        return stack([stacklists(item) for item in nested])
    if not isinstance(nested, (Variable, int, float, complex, np.generic, np.ndarray)):
        raise TypeError(f"stacklists takes nested lists of tensors or numbers, got {nested!r}")
    return as_tensor_variable(nested)


def alloc(value: Operand, *shape: Operand) -> TensorVariable:
    """``value`` broadcast to ``shape`` (a fresh tensor)."""
    v = as_tensor_variable(value)
    dims = [_int_scalar(d, "alloc shape") for d in shape]
    return _out(apply1(Op.ALLOC, [v, *dims]))


def _shape_args(shape: Operand | Sequence[Operand]) -> list[Operand]:
    if isinstance(shape, (list, tuple)):
        return list(shape)
    if isinstance(shape, int):
        return [shape]
    v = as_tensor_variable(shape)
    return [v] if v.ndim == 0 else [v[i] for i in range(_known_length(v))]


def _known_length(v: TensorVariable) -> int:
    n = v.type.shape[0]
    if n is None:
        raise ValueError(f"shape vector {v} must have a known length")
    return n


def zeros(shape: Operand | Sequence[Operand], dtype: str | None = None) -> TensorVariable:
    return alloc(constant(0, dtype=dtype or config.floatX), *_shape_args(shape))


def ones(shape: Operand | Sequence[Operand], dtype: str | None = None) -> TensorVariable:
    return alloc(constant(1, dtype=dtype or config.floatX), *_shape_args(shape))


def eye(n: Operand, m: Operand | None = None, k: Operand = 0, dtype: str | None = None) -> TensorVariable:
    args = [_int_scalar(n, "eye n"), _int_scalar(n if m is None else m, "eye m"), _int_scalar(k, "eye k")]
    return _out(apply1(Op.EYE, args, DTypeParams(dtype or config.floatX)))


def identity_like(x: Operand) -> TensorVariable:
    xv = as_tensor_variable(x)
    if xv.ndim != 2:
        raise TypeError(f"identity_like needs a matrix, got {xv.type}")
    return eye(xv.shape[0], xv.shape[1], 0, dtype=xv.dtype)


def arange(start: Operand, stop: Operand | None = None, step: Operand = 1, dtype: str | None = None) -> TensorVariable:
    """Evenly spaced values in [start, stop); integer arguments give int64, floats floatX."""
    if stop is None:
        start, stop = 0, start
    args = operands(start, stop, step)
    if dtype is None:
        dtype = result_type(*[a.dtype for a in args])
        if dtype == "bool":
            dtype = "int64"
    if any(a.ndim != 0 for a in args):
        raise TypeError("arange takes scalar start, stop and step")
    return _out(apply1(Op.ARANGE, args, DTypeParams(dtype)))


class _Grid:
    """``mgrid[0:5, 0:3]`` / ``ogrid[...]``: a list of tensors, one per slice (integer bounds)."""

    def __init__(self, sparse: bool):
        self.sparse = sparse

    def __getitem__(self, key: slice | tuple[slice, ...]) -> list[TensorVariable]:
        slices = key if isinstance(key, tuple) else (key,)
        ranges = [arange(0 if s.start is None else s.start, s.stop, 1 if s.step is None else s.step)
                  for s in slices]  # `is None`: bounds may be symbolic (no bool())
        ndim = len(ranges)
        out: list[TensorVariable] = []
        for i, r in enumerate(ranges):
            order: list[int | Literal["x"]] = ["x"] * ndim
            order[i] = 0
            axis_view = dimshuffle(r, order)
            if self.sparse:
                out.append(axis_view)
            else:
                out.append(alloc(axis_view, *[q.shape[0] for q in ranges]))
        return out


mgrid = _Grid(sparse=False)
ogrid = _Grid(sparse=True)
