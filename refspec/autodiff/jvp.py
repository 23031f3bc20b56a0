"""JVP: for each op, the tangent of its outputs given tangents of its inputs (None = zero tangent).

Elementwise ops use the shared partial derivatives; ops that are linear in their differentiable inputs
(reshape, indexing, join, ...) are applied to the tangents; bilinear ones (dot) use the product rule.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import refspec.tensor as T
from refspec.ast import Apply, Op, Variable
from refspec.autodiff.cotangent import tv
from refspec.autodiff.partials import PARTIALS, partial_inputs
from refspec.autodiff.scan_rules import scan_jvp
from refspec.autodiff.vjp import NOT_DIFFERENTIABLE, VJP, choice_indices, standard_draw
from refspec.dtypes import is_complex, is_float
from refspec.ops import make_node
from refspec.params import AxisParams, IfElseParams, RandomParams, ReduceParams
from refspec.tensor.var import TensorVariable

Tangent = TensorVariable | None
JVPRule = Callable[[Apply, list[Tangent]], list[Tangent]]


def _continuous(v: Variable) -> bool:
    return is_float(v.dtype) or is_complex(v.dtype)


def _elementwise(op: Op) -> JVPRule:
    partials = PARTIALS[op]

    def rule(node: Apply, ts: list[Tangent]) -> list[Tangent]:
        ins, out = [tv(v) for v in node.inputs], tv(node.outputs[0])
        over = partial_inputs(ins, out)
        total: TensorVariable | None = None
        for t, partial in zip(ts, partials):
            d = partial(over, out) if t is not None else None
            if t is not None and d is not None:
                term = t * d
                total = term if total is None else total + term
        if total is None:
            return [None]
        # broadcast to the output's shape and dtype
        return [T.cast(T.fill(out, total), out.dtype)]

    return rule


def _zero(node: Apply, ts: list[Tangent]) -> list[Tangent]:
    return [None for _ in node.outputs]


def _linear(positions: Sequence[int] | None) -> JVPRule:
    """An op linear in the inputs at ``positions`` (None: all): apply it to their tangents."""

    def rule(node: Apply, ts: list[Tangent]) -> list[Tangent]:
        active = range(len(node.inputs)) if positions is None else positions
        if all(ts[i] is None for i in active) or not all(_continuous(o) for o in node.outputs):
            return [None for _ in node.outputs]
        args: list[Variable] = list(node.inputs)
        for i in active:
            t = ts[i]
            args[i] = t if t is not None else T.zeros_like(tv(node.inputs[i]))
        return [tv(o) for o in make_node(node.op, args, node.params).outputs]

    return rule


def _ifelse(node: Apply, ts: list[Tangent]) -> list[Tangent]:
    """The same choice between the branches' tangents, for the continuous outputs that have one
    (an integer output beside them has none, and does not take theirs away)."""
    assert isinstance(node.params, IfElseParams)
    n = node.params.n_outs
    thens, elses = list(range(1, 1 + n)), list(range(1 + n, 1 + 2 * n))
    kept = [i for i in range(n) if _continuous(node.outputs[i])
            and (ts[thens[i]] is not None or ts[elses[i]] is not None)]
    out: list[Tangent] = [None] * n
    if not kept:
        return out

    def tangent(position: int) -> Variable:
        t = ts[position]
        return t if t is not None else T.zeros_like(tv(node.inputs[position]))

    args = [node.inputs[0], *[tangent(thens[i]) for i in kept], *[tangent(elses[i]) for i in kept]]
    chosen = make_node(Op.IFELSE, args, IfElseParams(len(kept))).outputs
    for i, v in zip(kept, chosen):
        out[i] = tv(v)
    return out


def _cast(node: Apply, ts: list[Tangent]) -> list[Tangent]:
    t = ts[0]
    if t is None or not _continuous(node.outputs[0]):
        return [None]
    return [T.cast(t, node.outputs[0].dtype)]


def _switch(node: Apply, ts: list[Tangent]) -> list[Tangent]:
    c, a, b = (tv(v) for v in node.inputs)
    out = tv(node.outputs[0])
    if ts[1] is None and ts[2] is None:
        return [None]
    ta = ts[1] if ts[1] is not None else T.zeros_like(a)
    tb = ts[2] if ts[2] is not None else T.zeros_like(b)
    return [T.cast(T.fill(out, T.switch(c, ta, tb)), out.dtype)]


def _clip(node: Apply, ts: list[Tangent]) -> list[Tangent]:
    x, lo, hi = (tv(v) for v in node.inputs)
    out = tv(node.outputs[0])
    zero = T.zeros_like(out)
    tx, tlo, thi = (t if t is not None else zero for t in ts)
    inside = T.and_(T.and_(T.ge(x, lo), T.le(x, hi)), T.le(lo, hi))
    below = T.and_(T.lt(x, lo), T.le(lo, hi))
    return [T.cast(T.fill(out, T.switch(inside, tx, T.switch(below, tlo, thi))), out.dtype)]


def _reduce_like(node: Apply, t: TensorVariable) -> TensorVariable:
    assert isinstance(node.params, ReduceParams)
    return T.sum(t, node.params.axis, keepdims=node.params.keepdims)


def _sum(node: Apply, ts: list[Tangent]) -> list[Tangent]:
    t = ts[0]
    if t is None or not _continuous(node.outputs[0]):
        return [None]
    return [T.cast(_reduce_like(node, t), node.outputs[0].dtype)]


def _weighted_reduce(node: Apply, ts: list[Tangent]) -> list[Tangent]:
    """prod, max, min: the tangent is sum(t * d out / d x) over the reduced axes; the weights are
    exactly what the VJP sends back for a cotangent of ones."""
    t, out = ts[0], tv(node.outputs[0])
    if t is None or not _continuous(out):
        return [None]
    weights = VJP[node.op](node, [T.ones_like(out)])[0]
    assert isinstance(weights, TensorVariable)
    return [T.cast(_reduce_like(node, t * weights), out.dtype)]


def _sum_to(node: Apply, ts: list[Tangent]) -> list[Tangent]:
    return _linear([0])(node, ts)


def _softmax(node: Apply, ts: list[Tangent]) -> list[Tangent]:
    t, out = ts[0], tv(node.outputs[0])
    if t is None:
        return [None]
    assert isinstance(node.params, AxisParams)
    axis = node.params.axis if out.ndim else None  # a 0-d softmax is 1: no axis to sum over
    return [T.cast(out * (t - T.sum(out * t, axis, keepdims=True)), out.dtype)]


def _log_softmax(node: Apply, ts: list[Tangent]) -> list[Tangent]:
    t, out = ts[0], tv(node.outputs[0])
    if t is None:
        return [None]
    assert isinstance(node.params, AxisParams)
    axis = node.params.axis if out.ndim else None
    return [T.cast(t - T.sum(T.exp(out) * t, axis, keepdims=True), out.dtype)]


def _bilinear(node: Apply, ts: list[Tangent]) -> list[Tangent]:
    """Product rule: f(ta, b) + f(a, tb) for dot, tensordot and batched_dot."""
    a, b = node.inputs
    out = tv(node.outputs[0])
    terms: list[TensorVariable] = []
    if ts[0] is not None:
        terms.append(tv(make_node(node.op, [ts[0], b], node.params).outputs[0]))
    if ts[1] is not None:
        terms.append(tv(make_node(node.op, [a, ts[1]], node.params).outputs[0]))
    if not terms:
        return [None]
    total = terms[0] if len(terms) == 1 else terms[0] + terms[1]
    return [T.cast(total, out.dtype)]


def _arange(node: Apply, ts: list[Tangent]) -> list[Tangent]:
    """A float arange is start + i * step (spec/autodiff.md); an integer one has a zero tangent."""
    out = tv(node.outputs[0])
    t_start, t_step = ts[0], ts[2]
    if not is_float(out.dtype) or (t_start is None and t_step is None):
        return [None]
    total = T.zeros_like(out)
    if t_start is not None:
        total = total + t_start
    if t_step is not None:
        total = total + t_step * T.arange(T.shape(out)[0], dtype=out.dtype)
    return [T.cast(total, out.dtype)]


def _random(node: Apply, ts: list[Tangent]) -> list[Tangent]:
    """The tangent of the VJP's reparameterization (spec/random.md): uniform t_low * (1 - u) +
    t_high * u, normal and truncated_normal t_avg + t_std * z, choice from a vector t_a[index];
    the state's tangent and every discrete draw's are zero."""
    assert isinstance(node.params, RandomParams)
    dist = node.params.distribution
    out = tv(node.outputs[1])
    params = [t if t is not None and is_float(v.dtype) else None for t, v in zip(ts[2:], node.inputs[2:])]
    if all(t is None for t in params) or not is_float(out.dtype):
        return [None, None]
    total: TensorVariable | None = None
    if dist == "uniform":
        u = standard_draw(node)
        terms = [t * w for t, w in zip(params, (1 - u, u)) if t is not None]
    elif dist in ("normal", "truncated_normal"):
        z = standard_draw(node)
        terms = [t * w for t, w in zip(params, (T.ones_like(z), z)) if t is not None]
    elif dist == "choice" and node.inputs[2].ndim == 1 and params[0] is not None:
        terms = [params[0][choice_indices(node)]]
    else:
        return [None, None]
    for term in terms:
        total = term if total is None else total + term
    if total is None:
        return [None, None]
    return [None, T.cast(T.fill(out, total), out.dtype)]


def _identity(node: Apply, ts: list[Tangent]) -> list[Tangent]:
    return [ts[0]]


def _null(node: Apply, ts: list[Tangent]) -> list[Tangent]:
    raise NullGradError(f"{node.op.value}: no derivative rule, so forward mode is undefined here")


class NullGradError(TypeError):
    """Forward mode met an op with no derivative rule."""


JVP: dict[Op, JVPRule] = {
    **{op: _elementwise(op) for op in PARTIALS},
    Op.PSI: _null,
    **{op: _zero for op in (Op.FLOOR, Op.CEIL, Op.TRUNC, Op.ROUND_HALF_EVEN, Op.ROUND_HALF_AWAY,
                            Op.SIGN, Op.INVERT, Op.ISNAN, Op.ISINF, Op.INT_DIV, Op.LT, Op.GT, Op.LE,
                            Op.GE, Op.EQ, Op.NEQ, Op.AND, Op.OR, Op.XOR, Op.ALL, Op.ANY, Op.ARGMAX,
                            Op.ARGMIN, Op.SHAPE, Op.EYE)},
    Op.ARANGE: _arange,
    Op.CAST: _cast,
    Op.SECOND: _linear([1]),
    Op.SWITCH: _switch,
    Op.CLIP: _clip,
    Op.SUM: _sum,
    Op.PROD: _weighted_reduce,
    Op.MAX: _weighted_reduce,
    Op.MIN: _weighted_reduce,
    Op.SUM_TO: _sum_to,
    Op.SOFTMAX: _softmax,
    Op.LOG_SOFTMAX: _log_softmax,
    Op.DOT: _bilinear,
    Op.TENSORDOT: _bilinear,
    Op.BATCHED_DOT: _bilinear,
    Op.RESHAPE: _linear([0]),
    Op.DIMSHUFFLE: _linear([0]),
    Op.SPECIFY_SHAPE: _linear([0]),
    Op.JOIN: _linear(None),
    Op.ALLOC: _linear([0]),
    Op.MAKE_VECTOR: _linear(None),
    Op.SUBTENSOR: _linear([0]),
    Op.INC_SUBTENSOR: _linear([0, 1]),
    Op.IFELSE: _ifelse,
    Op.PRINT: _identity,
    Op.SCAN: scan_jvp,
    Op.RANDOM: _random,
}

assert set(JVP) | NOT_DIFFERENTIABLE == set(Op), f"ops without a JVP rule: {set(Op) - set(JVP) - NOT_DIFFERENTIABLE}"
