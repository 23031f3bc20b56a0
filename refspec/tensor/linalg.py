"""dot, outer, tensordot, batched_dot."""

from __future__ import annotations

from collections.abc import Sequence

from refspec.ast import Op
from refspec.ops import apply1
from refspec.params import TensorDotParams
from refspec.tensor.basic import Operand, mul, operands
from refspec.tensor.shape_ops import flatten
from refspec.tensor.var import TensorVariable


def _out(v: object) -> TensorVariable:
    assert isinstance(v, TensorVariable)
    return v


def dot(a: Operand, b: Operand) -> TensorVariable:
    """numpy's ``dot``: scalars multiply, vectors and matrices contract the last axis of ``a`` with
    the first (vector) or second-to-last axis of ``b``."""
    x, y = operands(a, b)
    if x.ndim == 0 or y.ndim == 0:
        return mul(x, y)
    if x.ndim <= 2 and y.ndim <= 2:
        return _out(apply1(Op.DOT, [x, y]))
    return tensordot(x, y, [[x.ndim - 1], [max(y.ndim - 2, 0)]])


def outer(x: Operand, y: Operand) -> TensorVariable:
    a, b = operands(x, y)
    return dot(flatten(a).dimshuffle(0, "x"), flatten(b).dimshuffle("x", 0))


def tensordot(a: Operand, b: Operand, axes: int | Sequence[Sequence[int]] | Sequence[int] = 2) -> TensorVariable:
    """Sum products over the given axes: ``axes=n`` pairs the last n of ``a`` with the first n of ``b``."""
    x, y = operands(a, b)
    if isinstance(axes, int):
        a_axes = tuple(range(x.ndim - axes, x.ndim))
        b_axes = tuple(range(axes))
    else:
        first, second = axes
        a_axes = tuple([first] if isinstance(first, int) else first)
        b_axes = tuple([second] if isinstance(second, int) else second)
    a_axes = tuple(i % x.ndim for i in a_axes) if x.ndim else a_axes
    b_axes = tuple(i % y.ndim for i in b_axes) if y.ndim else b_axes
    return _out(apply1(Op.TENSORDOT, [x, y], TensorDotParams(a_axes, b_axes)))


def batched_dot(a: Operand, b: Operand) -> TensorVariable:
    """``dot`` of ``a[i]`` with ``b[i]`` for each i along the first axis (2-d or 3-d operands)."""
    x, y = operands(a, b)
    return _out(apply1(Op.BATCHED_DOT, [x, y]))
