"""Theano's ``tensor.nnet``: sigmoid, softplus, softmax, log_softmax, relu and crossentropies."""

from __future__ import annotations

from refspec.ast import Op
from refspec.dtypes import is_integer
from refspec.ops import apply1
from refspec.params import AxisParams
from refspec.tensor.basic import (
    Operand,
    as_tensor_variable,
    clip,
    log,
    maximum,
    mul,
    neg,
    sigmoid,
    softplus,
    sub,
)
from refspec.tensor.math import sum as sum_
from refspec.tensor.shape_ops import arange
from refspec.tensor.var import TensorVariable

__all__ = [
    "sigmoid", "softplus", "softmax", "log_softmax", "relu", "hard_sigmoid",
    "binary_crossentropy", "categorical_crossentropy",
]


def _along(op: Op, x: Operand, axis: int) -> TensorVariable:
    xv = as_tensor_variable(x)
    if not -max(xv.ndim, 1) <= axis < max(xv.ndim, 1):
        raise ValueError(f"axis {axis} is out of range for ndim {xv.ndim}")
    out = apply1(op, [xv], AxisParams(axis % xv.ndim if xv.ndim else 0))
    assert isinstance(out, TensorVariable)
    return out


def softmax(x: Operand, axis: int = -1) -> TensorVariable:
    """exp(x - max) / sum(exp(x - max)) along ``axis`` (the last by default)."""
    return _along(Op.SOFTMAX, x, axis)


def log_softmax(x: Operand, axis: int = -1) -> TensorVariable:
    return _along(Op.LOG_SOFTMAX, x, axis)


def relu(x: Operand, alpha: Operand = 0) -> TensorVariable:
    """max(x, alpha * x) for alpha in [0, 1]: the rectifier, leaky when alpha > 0."""
    xv = as_tensor_variable(x)
    if isinstance(alpha, (int, float)) and alpha == 0:
        return maximum(xv, 0)
    return maximum(xv, mul(alpha, xv))


def hard_sigmoid(x: Operand) -> TensorVariable:
    """clip(0.2 * x + 0.5, 0, 1)."""
    xv = as_tensor_variable(x)
    return clip(mul(xv, 0.2) + 0.5, 0, 1)


def binary_crossentropy(output: Operand, target: Operand) -> TensorVariable:
    """-(target * log(output) + (1 - target) * log(1 - output)), elementwise."""
    o = as_tensor_variable(output)
    t = as_tensor_variable(target)
    return neg(mul(t, log(o)) + mul(sub(1, t), log(sub(1, o))))


def categorical_crossentropy(coding_dist: Operand, true_dist: Operand) -> TensorVariable:
    """-sum(true_dist * log(coding_dist), axis=-1); an integer vector ``true_dist`` gives class
    indices, so the result is -log(coding_dist[i, true_dist[i]]). When ``coding_dist`` is
    ``softmax(x)`` along the last axis, ``log(coding_dist)`` is built as ``log_softmax(x)``: the same
    function, without log(0) where a probability underflows, and with a gradient that stays finite
    (spec/ops.md)."""
    p = as_tensor_variable(coding_dist)
    t = as_tensor_variable(true_dist)
    log_p = _log_of(p)
    if is_integer(t.dtype):
        if t.ndim != 1 or p.ndim != 2:
            raise TypeError("integer targets need a matrix of probabilities and a vector of classes")
        return neg(log_p[arange(t.shape[0]), t])
    return neg(sum_(mul(t, log_p), axis=-1))


def _log_of(p: TensorVariable) -> TensorVariable:
    node = p.owner
    if node is not None and node.op is Op.SOFTMAX and isinstance(node.params, AxisParams):
        if node.params.axis == p.ndim - 1:
            out = apply1(Op.LOG_SOFTMAX, [node.inputs[0]], node.params)
            assert isinstance(out, TensorVariable)
            return out
    return log(p)


# Theano's nnet also offered these names
ultra_fast_sigmoid = sigmoid
scalar_sigmoid = sigmoid
