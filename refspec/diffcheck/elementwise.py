"""Builders for elementwise nodes (unary, binary, ternary, cast): operands of accepted dtypes whose
concrete shapes broadcast, in each input's domain unless the draw is special."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from refspec.ast import DTYPES, ELEMENTWISE, Op
from refspec.diffcheck.builder import DTYPE_ORDER, Builder, Entry, Reject
from refspec.diffcheck.domains import accepts, domain, uniform_dtypes
from refspec.ops import OPS
from refspec.params import NO_PARAMS, CastParams, Params


def _params(b: Builder, op: Op) -> Params:
    if op is Op.CAST:
        return CastParams(b.dtype(DTYPES))
    return NO_PARAMS


def elementwise(b: Builder, op: Op) -> Entry:
    """One elementwise node. The first operand sets the node's dtype (usually a pool variable, so
    graphs grow deep); later operands share it or, sometimes, bring another dtype to promote."""
    arity = OPS[op].arity
    assert arity is not None
    params = _params(b, op)
    allowed = uniform_dtypes(op, params, arity)
    if not allowed:
        raise Reject(f"{op.value} accepts no dtype with {params}")

    wants_bool_cond = op is Op.SWITCH and b.flag(0.6)
    first = b.reuse(lambda e: e.dtype in allowed and (not wants_bool_cond or e.dtype == "bool"),
                    lambda d: domain(op, 0, d, params))
    if first is None:
        d0 = "bool" if wants_bool_cond and "bool" in allowed else b.dtype(allowed)
        first = b.fresh(d0, b.shape(), domain(op, 0, d0, params))
    dtypes = [first.dtype] * arity
    for i in range(1, arity):
        if b.flag(0.25) or (op is Op.SWITCH and i == 1 and first.dtype == "bool"):
            dtypes[i] = b.dtype(DTYPE_ORDER)
    if op is Op.SWITCH and arity == 3:
        dtypes[2] = dtypes[1] if not b.flag(0.25) else dtypes[2]
    if not accepts(op, params, tuple(dtypes)):
        dtypes = [first.dtype] * arity
        if not accepts(op, params, tuple(dtypes)):
            raise Reject(f"{op.value} refuses {dtypes}")
    operands = [first]
    shape = first.shape
    for i in range(1, arity):
        d = dtypes[i]
        if b.flag(0.12):  # this operand is the larger one: a new leading axis
            shape = (b.draw_length(),) + shape
            operands.append(b.fresh(d, shape, domain(op, i, d, params)))
        else:
            operands.append(b.operand(d, shape, domain(op, i, d, params), broadcast=True))
    return b.apply1(op, operands, params)


def builders() -> dict[Op, Callable[[Builder], Entry]]:
    return {op: partial(elementwise, op=op) for op in ELEMENTWISE}
