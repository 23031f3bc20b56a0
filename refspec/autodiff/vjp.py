"""VJP: for each op, the cotangent of every input given the cotangents of the outputs.

A rule receives the node and one cotangent tensor per output (shaped like that output) and returns one
``Grad`` per input, shaped like that input (broadcasting is summed back here). Kinks and ties follow
spec/autodiff.md: |x|' = sign(x) (0 at 0); maximum/minimum and max/min split ties evenly; clip passes
the gradient at its bounds; floor, round, comparisons and other integer-valued outputs give ZERO.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import refspec.tensor as T
from refspec.ast import Apply, Op, Variable
from refspec.autodiff.cotangent import ZERO, Grad, NullGrad, grad_dtype, tv
from refspec.autodiff.partials import PARTIALS, partial_inputs
from refspec.autodiff.scan_rules import scan_vjp
from refspec.dtypes import is_complex, is_float
from refspec.params import (
    AxisParams,
    DimShuffleParams,
    IfElseParams,
    IncIndexParams,
    IndexParams,
    RandomParams,
    ReduceParams,
    TensorDotParams,
)
from refspec.tensor.var import TensorVariable

Rule = Callable[[Apply, list[TensorVariable]], list[Grad]]


def _provably_full(node: Apply, x: Variable, axis: int) -> bool:
    """Whether input ``x`` has the output's length on ``axis`` whatever the run-time lengths are."""
    if x.type.shape[axis] not in (None, 1):
        return True
    offset = node.outputs[0].ndim - x.ndim
    for v in node.inputs:
        if v is x:
            continue
        j = axis + offset - (node.outputs[0].ndim - v.ndim)
        if j >= 0 and v.type.shape[j] != 1:
            return False
    return True


def unbroadcast(g: TensorVariable, x: Variable, node: Apply) -> TensorVariable:
    """Sum ``g`` (shaped like the node's output) down to ``x``'s shape, in ``x``'s gradient dtype."""
    lead = g.ndim - x.ndim
    if lead:
        g = T.sum(g, axis=tuple(range(lead)))
    static = [i for i in range(x.ndim) if x.type.shape[i] == 1 and g.type.shape[i] != 1]
    if static:
        g = T.sum(g, axis=static, keepdims=True)
    if any(x.type.shape[i] is None and not _provably_full(node, x, i) for i in range(x.ndim)):
        g = T.sum_to(g, T.shape(x))
    dtype = grad_dtype(x)
    return T.cast(g, dtype) if g.dtype != dtype else g


def _ins(node: Apply) -> list[TensorVariable]:
    return [tv(v) for v in node.inputs]


def _elementwise(op: Op) -> Rule:
    """g times each partial derivative, summed back to the input's shape."""
    partials = PARTIALS[op]

    def rule(node: Apply, gs: list[TensorVariable]) -> list[Grad]:
        ins, out = _ins(node), tv(node.outputs[0])
        over = partial_inputs(ins, out)
        parts: list[Grad] = []
        for v, partial in zip(ins, partials):
            d = partial(over, out)
            parts.append(ZERO if d is None else unbroadcast(gs[0] * d, v, node))
        return parts

    return rule


def _zero(node: Apply, gs: list[TensorVariable]) -> list[Grad]:
    """Integer-valued or piecewise-constant outputs: every input's gradient is exactly zero."""
    return [ZERO for _ in node.inputs]


def _clip(node: Apply, gs: list[TensorVariable]) -> list[Grad]:
    x, lo, hi = _ins(node)
    g = gs[0]
    inside = T.and_(T.ge(x, lo), T.le(x, hi))  # at a bound, the gradient goes to x
    below = T.and_(T.lt(x, lo), T.le(lo, hi))
    above = T.or_(T.gt(x, hi), T.gt(lo, hi))
    zero = T.zeros_like(g)
    return [unbroadcast(T.switch(inside & T.le(lo, hi), g, zero), x, node),
            unbroadcast(T.switch(below, g, zero), lo, node),
            unbroadcast(T.switch(above, g, zero), hi, node)]


def _switch(node: Apply, gs: list[TensorVariable]) -> list[Grad]:
    c, a, b = _ins(node)
    g = gs[0]
    zero = T.zeros_like(g)
    return [ZERO, unbroadcast(T.switch(c, g, zero), a, node), unbroadcast(T.switch(c, zero, g), b, node)]


def _second(node: Apply, gs: list[TensorVariable]) -> list[Grad]:
    return [ZERO, unbroadcast(gs[0], node.inputs[1], node)]


def _cast(node: Apply, gs: list[TensorVariable]) -> list[Grad]:
    x = tv(node.inputs[0])
    if not is_float(node.outputs[0].dtype):
        return [ZERO]
    return [T.cast(gs[0], grad_dtype(x))]


def _reduced_axes(params: ReduceParams, ndim: int) -> tuple[int, ...]:
    return tuple(range(ndim)) if params.axis is None else params.axis


def _expand(g: TensorVariable, params: ReduceParams, ndim: int) -> TensorVariable:
    """Put the reduced axes back (as length-1 axes) into a reduction's cotangent."""
    if params.keepdims:
        return g
    axes = _reduced_axes(params, ndim)
    kept = iter(range(g.ndim))
    return g.dimshuffle(*["x" if i in axes else next(kept) for i in range(ndim)])


def _sum(node: Apply, gs: list[TensorVariable]) -> list[Grad]:
    x = tv(node.inputs[0])
    assert isinstance(node.params, ReduceParams)
    if not is_float(node.outputs[0].dtype) and not is_complex(node.outputs[0].dtype):
        return [ZERO]
    g = _expand(gs[0], node.params, x.ndim)
    return [T.cast(T.fill(x, g), grad_dtype(x))]


def _prod(node: Apply, gs: list[TensorVariable]) -> list[Grad]:
    """d prod / d x_i is the product of the other elements, computed without dividing by zero, and
    written so that its own derivative (the Hessian of prod) is exact at zeros too: at a non-zero
    x_i it is prod(x) / x_i (the node's output, so differentiating it again uses this rule); at a
    zero it is the product of the non-zero elements Q if x_i is the only zero, Q times the other
    zero (a value 0 with derivative Q) if there are two, and 0 if there are more."""
    x, out = tv(node.inputs[0]), tv(node.outputs[0])
    assert isinstance(node.params, ReduceParams)
    if not is_float(out.dtype):
        return [ZERO]
    p = node.params
    is_zero = T.eq(x, 0)
    safe = T.switch(is_zero, T.ones_like(x), x)
    nonzero_prod = _expand(T.prod(safe, p.axis, p.keepdims), p, x.ndim)
    zeros = _expand(T.sum(T.cast(is_zero, "int64"), p.axis, p.keepdims), p, x.ndim)
    zero_sum = _expand(T.sum(T.switch(is_zero, x, T.zeros_like(x)), p.axis, p.keepdims), p, x.ndim)
    g = _expand(gs[0], p, x.ndim)
    at_zero = T.switch(T.eq(zeros, 1), nonzero_prod,
                       T.switch(T.eq(zeros, 2), nonzero_prod * (zero_sum - x), T.zeros_like(x)))
    others = T.switch(is_zero, at_zero, _expand(out, p, x.ndim) / safe)
    return [T.cast(g * others, grad_dtype(x))]


def _max_min(node: Apply, gs: list[TensorVariable]) -> list[Grad]:
    """The gradient goes to the elements equal to the result, split evenly among ties."""
    x, out = tv(node.inputs[0]), tv(node.outputs[0])
    assert isinstance(node.params, ReduceParams)
    if not is_float(out.dtype):
        return [ZERO]
    p = node.params
    mask = T.cast(T.eq(x, _expand(out, p, x.ndim)), x.dtype)
    count = T.sum(mask, p.axis, keepdims=True)
    return [mask / count * _expand(gs[0], p, x.ndim)]


def _sum_to(node: Apply, gs: list[TensorVariable]) -> list[Grad]:
    g_in = tv(node.inputs[0])
    return [T.cast(T.fill(g_in, gs[0]), grad_dtype(g_in)), None]


def _softmax(node: Apply, gs: list[TensorVariable]) -> list[Grad]:
    assert isinstance(node.params, AxisParams)
    out, g = tv(node.outputs[0]), gs[0]
    axis = node.params.axis if out.ndim else None  # a 0-d softmax is 1: no axis to sum over
    return [T.cast(out * (g - T.sum(g * out, axis, keepdims=True)), grad_dtype(node.inputs[0]))]


def _log_softmax(node: Apply, gs: list[TensorVariable]) -> list[Grad]:
    assert isinstance(node.params, AxisParams)
    out, g = tv(node.outputs[0]), gs[0]
    axis = node.params.axis if out.ndim else None
    return [T.cast(g - T.exp(out) * T.sum(g, axis, keepdims=True), grad_dtype(node.inputs[0]))]


def _dot(node: Apply, gs: list[TensorVariable]) -> list[Grad]:
    a, b = _ins(node)
    g = gs[0]
    if a.ndim == 1 and b.ndim == 1:
        ga, gb = g * b, g * a
    elif a.ndim == 2 and b.ndim == 1:
        ga, gb = T.outer(g, b), T.dot(a.T, g)
    elif a.ndim == 1 and b.ndim == 2:
        ga, gb = T.dot(b, g), T.outer(a, g)
    else:
        ga, gb = T.dot(g, b.T), T.dot(a.T, g)
    return [T.cast(ga, grad_dtype(a)), T.cast(gb, grad_dtype(b))]


def _tensordot(node: Apply, gs: list[TensorVariable]) -> list[Grad]:
    a, b = _ins(node)
    assert isinstance(node.params, TensorDotParams)
    p, g = node.params, gs[0]
    a_free = [i for i in range(a.ndim) if i not in p.a_axes]
    b_free = [j for j in range(b.ndim) if j not in p.b_axes]
    # g's axes are a_free then b_free; contract away the other operand's free axes
    g_b = list(range(len(a_free), g.ndim))
    ga = T.tensordot(g, b, [g_b, b_free])  # axes: a_free, then b's summed axes in b order
    summed_b = sorted(p.b_axes)
    a_order = a_free + [p.a_axes[p.b_axes.index(j)] for j in summed_b]
    ga = ga.dimshuffle(*[a_order.index(i) for i in range(a.ndim)])
    g_a = list(range(len(a_free)))
    gb = T.tensordot(a, g, [a_free, g_a])  # axes: a's summed axes in a order, then b_free
    summed_a = sorted(p.a_axes)
    b_order = [p.b_axes[p.a_axes.index(i)] for i in summed_a] + b_free
    gb = gb.dimshuffle(*[b_order.index(j) for j in range(b.ndim)])
    return [T.cast(ga, grad_dtype(a)), T.cast(gb, grad_dtype(b))]


def _batched_dot(node: Apply, gs: list[TensorVariable]) -> list[Grad]:
    a, b = _ins(node)
    g = gs[0]
    a3 = a if a.ndim == 3 else a.dimshuffle(0, "x", 1)
    b3 = b if b.ndim == 3 else b.dimshuffle(0, 1, "x")
    g3 = g
    if b.ndim == 2:
        g3 = g3.dimshuffle(*range(g3.ndim), "x")
    if a.ndim == 2:
        g3 = g3.dimshuffle(0, "x", *range(1, g3.ndim))
    ga = T.batched_dot(g3, b3.dimshuffle(0, 2, 1))
    gb = T.batched_dot(a3.dimshuffle(0, 2, 1), g3)
    if a.ndim == 2:
        ga = ga.dimshuffle(0, 2)
    if b.ndim == 2:
        gb = gb.dimshuffle(0, 1)
    return [T.cast(ga, grad_dtype(a)), T.cast(gb, grad_dtype(b))]


def _reshape(node: Apply, gs: list[TensorVariable]) -> list[Grad]:
    x = tv(node.inputs[0])
    return [T.reshape(gs[0], T.shape(x), ndim=x.ndim), None]


def _dimshuffle(node: Apply, gs: list[TensorVariable]) -> list[Grad]:
    x = tv(node.inputs[0])
    assert isinstance(node.params, DimShuffleParams)
    order = node.params.new_order
    kept = [d for d in order if d != "x"]
    # remove the inserted axes (by summing: a cotangent, e.g. a Lop eval point, need not know
    # statically that they have length 1), then put dropped axes back and undo the permutation
    inserted = [i for i, d in enumerate(order) if d == "x"]
    g = T.sum(gs[0], axis=inserted) if inserted else gs[0]
    back: list[int | str] = [kept.index(a) if a in kept else "x" for a in range(x.ndim)]
    return [g.dimshuffle(*back)]  # type: ignore[arg-type]


def _identity(node: Apply, gs: list[TensorVariable]) -> list[Grad]:
    return [gs[0]]


def _join(node: Apply, gs: list[TensorVariable]) -> list[Grad]:
    assert isinstance(node.params, AxisParams)
    axis, g = node.params.axis, gs[0]
    parts: list[Grad] = []
    start: TensorVariable = T.constant(0, dtype="int64")
    for v in _ins(node):
        stop = start + T.shape(v)[axis]
        index = [slice(None)] * axis + [slice(start, stop)]
        parts.append(T.cast(g[tuple(index)], grad_dtype(v)))
        start = stop
    return parts


def _alloc(node: Apply, gs: list[TensorVariable]) -> list[Grad]:
    value = tv(node.inputs[0])
    g = T.sum_to(gs[0], T.shape(value))
    return [T.cast(g, grad_dtype(value))] + [None] * (len(node.inputs) - 1)


def _make_vector(node: Apply, gs: list[TensorVariable]) -> list[Grad]:
    if not is_float(node.outputs[0].dtype):
        return [ZERO for _ in node.inputs]
    return [T.cast(gs[0][i], grad_dtype(v)) for i, v in enumerate(node.inputs)]


def _subtensor(node: Apply, gs: list[TensorVariable]) -> list[Grad]:
    x = tv(node.inputs[0])
    assert isinstance(node.params, IndexParams)
    zeros = T.zeros_like(x, dtype=grad_dtype(x))
    selection = _reindex(zeros, node.params, node.inputs[1:])
    return [T.inc_subtensor(selection, gs[0])] + [None] * (len(node.inputs) - 1)


def _reindex(x: TensorVariable, params: IndexParams | IncIndexParams, idx: Sequence[Variable]) -> TensorVariable:
    from refspec.ops import apply1

    return tv(apply1(Op.SUBTENSOR, [x, *idx], IndexParams(params.entries)))


def _inc_subtensor(node: Apply, gs: list[TensorVariable]) -> list[Grad]:
    x, y = tv(node.inputs[0]), tv(node.inputs[1])
    assert isinstance(node.params, IncIndexParams)
    idx, g = node.inputs[2:], gs[0]
    g_sel = _reindex(g, node.params, idx)
    if not node.params.set_instead_of_inc:
        gy = g_sel
        gx: TensorVariable = g
    else:
        gx = T.set_subtensor(_reindex(g, node.params, idx), 0)
        # with duplicate positions only the last write reaches the output: mark the winners
        ids = T.reshape(T.arange(T.prod(T.shape(g_sel))), T.shape(g_sel), ndim=g_sel.ndim)
        owner = T.set_subtensor(_reindex(T.zeros_like(x, dtype="int64") - 1, node.params, idx), ids)
        won = T.eq(_reindex(owner, node.params, idx), ids)
        gy = T.switch(won, g_sel, T.zeros_like(g_sel))
    # y may broadcast into the selection at run time wherever its length is not static
    same = gy.ndim == y.ndim and y.type.shape == gy.type.shape and None not in y.type.shape
    gy_shaped = gy if same else T.sum_to(gy, T.shape(y))
    return [T.cast(gx, grad_dtype(x)), T.cast(gy_shaped, grad_dtype(y))] + [None] * len(idx)


def _ifelse(node: Apply, gs: list[TensorVariable]) -> list[Grad]:
    """Each branch gets the cotangent only if it was taken (lazy, so no NaN from the other)."""
    assert isinstance(node.params, IfElseParams)
    n = node.params.n_outs
    cond = node.inputs[0]
    thens, elses = _ins(node)[1:1 + n], _ins(node)[1 + n:]
    out: list[Grad] = [None]
    for branch, taken in ((thens, True), (elses, False)):
        for v, g in zip(branch, gs):
            zero = T.zeros_like(v, dtype=grad_dtype(v))
            gv = T.cast(g, grad_dtype(v))
            chosen = T.ifelse(cond, gv, zero) if taken else T.ifelse(cond, zero, gv)
            assert isinstance(chosen, TensorVariable)
            out.append(chosen)
    return out


def _arange(node: Apply, gs: list[TensorVariable]) -> list[Grad]:
    """A float arange is start + i * step: d/dstart = sum(g), d/dstep = sum(g * i); stop only sets
    the length (piecewise constant, so ZERO). An integer arange is integer-valued: ZERO throughout."""
    out = tv(node.outputs[0])
    if not is_float(out.dtype):
        return _zero(node, gs)
    start, _, step = _ins(node)
    i = T.arange(T.shape(out)[0], dtype=out.dtype)
    return [T.cast(T.sum(gs[0]), grad_dtype(start)), ZERO, T.cast(T.sum(gs[0] * i), grad_dtype(step))]


def standard_draw(node: Apply) -> TensorVariable:
    """The unit draw behind a uniform, normal or truncated_normal node: the same node with parameters
    (0, 1). It reads the same state, so it has the same bits: u, or z, exactly (spec/random.md)."""
    from refspec.ops import make_node

    assert isinstance(node.params, RandomParams)
    state, size = node.inputs[:2]
    zero, one = (T.constant(v, dtype=node.params.dtype) for v in (0, 1))
    return tv(make_node(Op.RANDOM, [state, size, zero, one], node.params).outputs[1])


def choice_indices(node: Apply) -> TensorVariable:
    """The positions a choice from a vector picks: the same draw from range(len(a)) (same bits)."""
    from dataclasses import replace

    from refspec.ops import make_node

    assert isinstance(node.params, RandomParams)
    state, size, a, *p = node.inputs
    k = T.shape(a)[0]
    return tv(make_node(Op.RANDOM, [state, size, k, *p], replace(node.params, dtype="int64")).outputs[1])


def _param_grad(g: TensorVariable, x: Variable) -> Grad:
    """A parameter's share of ``g`` (shaped like the draw): summed back to its shape; ZERO for an
    integer parameter."""
    if not is_float(x.dtype):
        return ZERO
    return T.cast(T.sum_to(g, T.shape(x)), grad_dtype(x))


def _random(node: Apply, gs: list[TensorVariable]) -> list[Grad]:
    """Reparameterization (spec/random.md): uniform = low + (high - low) * u gives d/dlow = 1 - u and
    d/dhigh = u; normal and truncated_normal = avg + std * z give 1 and z; choice from a vector a
    sends g to the chosen positions of a. Every other parameter, and every parameter of a discrete
    draw, gets ZERO (the value is piecewise constant in it); the state gets ZERO, the size None."""
    assert isinstance(node.params, RandomParams)
    dist = node.params.distribution
    args = node.inputs[2:]
    g = gs[1]
    head: list[Grad] = [ZERO, None]
    if dist == "uniform":
        u = standard_draw(node)
        return head + [_param_grad(g * (1 - u), args[0]), _param_grad(g * u, args[1])]
    if dist in ("normal", "truncated_normal"):
        z = standard_draw(node)
        return head + [_param_grad(g, args[0]), _param_grad(g * z, args[1])]
    if dist == "choice" and args[0].ndim == 1:
        a = tv(args[0])
        if not is_float(a.dtype):
            return head + [ZERO for _ in args]
        idx = choice_indices(node)
        ga = T.inc_subtensor(T.zeros_like(a)[T.flatten(idx)], T.flatten(T.cast(g, a.dtype)))
        return head + [ga] + [ZERO for _ in args[1:]]
    return head + [ZERO for _ in args]


def _null(reason: str) -> Rule:
    def rule(node: Apply, gs: list[TensorVariable]) -> list[Grad]:
        return [NullGrad(f"{node.op.value}: {reason}") for _ in node.inputs]

    return rule


VJP: dict[Op, Rule] = {
    **{op: _elementwise(op) for op in PARTIALS},
    Op.PSI: _null("the derivative of psi (trigamma) is not an op"),
    **{op: _zero for op in (Op.FLOOR, Op.CEIL, Op.TRUNC, Op.ROUND_HALF_EVEN, Op.ROUND_HALF_AWAY,
                            Op.SIGN, Op.INVERT, Op.ISNAN, Op.ISINF, Op.INT_DIV, Op.LT, Op.GT, Op.LE,
                            Op.GE, Op.EQ, Op.NEQ, Op.AND, Op.OR, Op.XOR, Op.ALL, Op.ANY, Op.ARGMAX,
                            Op.ARGMIN, Op.SHAPE, Op.EYE)},
    Op.ARANGE: _arange,
    Op.CAST: _cast,
    Op.SECOND: _second,
    Op.SWITCH: _switch,
    Op.CLIP: _clip,
    Op.SUM: _sum,
    Op.PROD: _prod,
    Op.MAX: _max_min,
    Op.MIN: _max_min,
    Op.SUM_TO: _sum_to,
    Op.SOFTMAX: _softmax,
    Op.LOG_SOFTMAX: _log_softmax,
    Op.DOT: _dot,
    Op.TENSORDOT: _tensordot,
    Op.BATCHED_DOT: _batched_dot,
    Op.RESHAPE: _reshape,
    Op.DIMSHUFFLE: _dimshuffle,
    Op.SPECIFY_SHAPE: _identity,
    Op.JOIN: _join,
    Op.ALLOC: _alloc,
    Op.MAKE_VECTOR: _make_vector,
    Op.SUBTENSOR: _subtensor,
    Op.INC_SUBTENSOR: _inc_subtensor,
    Op.IFELSE: _ifelse,
    Op.PRINT: _identity,
    Op.SCAN: scan_vjp,
    Op.RANDOM: _random,
}

# complex-valued autodiff is not defined yet (spec/autodiff.md)
NOT_DIFFERENTIABLE = frozenset({Op.REAL, Op.IMAG, Op.CONJ})

assert set(VJP) | NOT_DIFFERENTIABLE == set(Op), f"ops without a VJP rule: {set(Op) - set(VJP) - NOT_DIFFERENTIABLE}"
assert not set(VJP) & NOT_DIFFERENTIABLE
