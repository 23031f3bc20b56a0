"""Where each op is defined: value domains per input, and which dtypes its typing rule accepts.

Domains keep most generated values meaningful (``log`` of positives, integer division by nonzero
divisors, ``exp`` without overflow); the graph strategies leave them on purpose some of the time so
special values reach every op too. Dtype acceptance is asked of the op table itself (a trial
``make_node`` on scalar placeholders, cached), so the generator never disagrees with typing rules.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from refspec.ast import DTYPES, Op, TensorType
from refspec.ops import make_node
from refspec.params import NO_PARAMS, CastParams, Params


@dataclass(frozen=True, slots=True)
class Domain:
    """Finite values in [lo, hi] (real part for complex), nonzero when ``nonzero``."""

    lo: float | None = None
    hi: float | None = None
    nonzero: bool = False


# ordinary values of fresh inputs: small enough that chains of ops mostly stay finite and exact
FLOAT_DEFAULT = Domain(-10.0, 10.0)
INT_DEFAULT = Domain(-20.0, 20.0)



def default_domain(dtype: str) -> Domain:
    return INT_DEFAULT if np.dtype(dtype).kind in "iub" else FLOAT_DEFAULT


_UNARY: dict[Op, Domain] = {
    Op.EXP: Domain(-10, 10), Op.EXP2: Domain(-10, 10), Op.EXPM1: Domain(-10, 10),
    Op.SINH: Domain(-10, 10), Op.COSH: Domain(-10, 10),
    Op.LOG: Domain(1e-3, 100), Op.LOG2: Domain(1e-3, 100), Op.LOG10: Domain(1e-3, 100),
    Op.LOG1P: Domain(-0.99, 100), Op.SQRT: Domain(0, 100),
    Op.ARCSIN: Domain(-1, 1), Op.ARCCOS: Domain(-1, 1), Op.ERFINV: Domain(-0.99, 0.99),
    Op.GAMMA: Domain(0.1, 8), Op.GAMMALN: Domain(0.1, 100), Op.PSI: Domain(0.1, 100),
    Op.TAN: Domain(-1.5, 1.5), Op.SQR: Domain(-100, 100),
}
_DIVISORS = frozenset({Op.TRUE_DIV, Op.INT_DIV, Op.MOD})


def domain(op: Op, position: int, dtype: str, params: Params = NO_PARAMS) -> Domain:
    """The ordinary domain of input ``position`` of ``op`` when it has ``dtype``."""
    kind = np.dtype(dtype).kind
    base = INT_DEFAULT if kind in "iub" else FLOAT_DEFAULT
    if op in _UNARY and position == 0:
        found = _UNARY[op]
        if kind not in "iu":
            return found
        # integers upgrade to floats first: the same bounds, rounded inward
        lo, hi = float(np.ceil(found.lo or 0.0)), float(np.floor(found.hi or 0.0))
        return Domain(lo, hi) if lo <= hi else base
    if op in _DIVISORS and position == 1:
        return Domain(base.lo, base.hi, nonzero=True)
    if op is Op.POW:
        if kind in "iu":  # integers to negative powers are an error; keep powers small
            return Domain(-4, 4) if position == 0 else Domain(0, 3)
        return Domain(0.1, 4) if position == 0 else Domain(-3, 3)
    if op is Op.CAST and isinstance(params, CastParams):
        target = np.dtype(params.dtype).kind
        if target == "u":
            return Domain(0, 100)
        if target in "ib":
            return Domain(-100, 100)
    return base


def clip_domain(dom: Domain, dtype: str) -> Domain:
    """The domain within what ``dtype`` can hold (integers: its range, unsigned: from 0)."""
    kind = np.dtype(dtype).kind
    if kind == "b":
        return Domain(0, 1, dom.nonzero)
    if kind in "iu":
        info = np.iinfo(dtype)
        lo = max(float(info.min), dom.lo if dom.lo is not None else float(info.min))
        hi = min(float(info.max), dom.hi if dom.hi is not None else float(info.max))
        if lo > hi:  # e.g. a negative-only domain for an unsigned dtype: the dtype's own range
            lo, hi = float(info.min), float(info.max)
        return Domain(lo, hi, dom.nonzero)
    return dom


def in_domain(value: np.ndarray[tuple[int, ...], np.dtype[np.generic]], dom: Domain) -> bool:
    """Whether every element of ``value`` is finite, within ``dom`` and (if asked) nonzero."""
    if value.size == 0:
        return True
    kind = value.dtype.kind
    if kind == "b":
        return not dom.nonzero or bool(np.all(value))
    x = value.real if kind == "c" else value
    with np.errstate(all="ignore"):
        if kind in "fc" and not bool(np.all(np.isfinite(value))):
            return False
        if dom.lo is not None and not bool(np.all(np.greater_equal(x, dom.lo))):
            return False
        if dom.hi is not None and not bool(np.all(np.less_equal(x, dom.hi))):
            return False
        return not dom.nonzero or bool(np.all(value != 0))


@functools.cache
def accepts(op: Op, params: Params, dtypes: tuple[str, ...]) -> bool:
    """Whether ``op`` with ``params`` types on scalar inputs of ``dtypes`` (elementwise ops)."""
    try:
        make_node(op, [TensorType(d, shape=())() for d in dtypes], params)
    except (TypeError, ValueError, IndexError):
        return False
    return True


@functools.cache
def uniform_dtypes(op: Op, params: Params, arity: int) -> tuple[str, ...]:
    """The dtypes ``d`` for which ``op`` accepts ``arity`` inputs all of dtype ``d``."""
    return tuple(d for d in DTYPES if accepts(op, params, (d,) * arity))
