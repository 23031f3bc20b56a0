"""Partial derivatives of the elementwise ops, shared by reverse (VJP) and forward (JVP) mode.

``PARTIALS[op]`` gives, for each input, a function of (inputs, output) returning d output / d input
elementwise (broadcastable against the output), or None where that partial is exactly zero. Kink and
tie conventions (spec/autodiff.md): |x|' = sign(x), so 0 at 0; maximum/minimum split ties evenly;
sqrt'(0) = inf (IEEE); d/dy x**y = 0 where x == 0. switch, clip and second have their own rules.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import refspec.tensor as T
from refspec.ast import Op
from refspec.tensor.var import TensorVariable

Partial = Callable[[Sequence[TensorVariable], TensorVariable], TensorVariable | None]


def _u(fn: Callable[[TensorVariable, TensorVariable], TensorVariable]) -> tuple[Partial]:
    """A unary op's single partial from f(x, out)."""
    return (lambda ins, out: fn(ins[0], out),)


def _balanced_eq(a: TensorVariable, b: TensorVariable, out: TensorVariable) -> TensorVariable:
    """1 where ``a`` alone is the result, 1/2 on a tie with ``b``, else 0."""
    hit = T.cast(T.eq(a, out), out.dtype)
    both = T.cast(T.eq(b, out), out.dtype)
    return hit / (1 + both)


_LN2, _LN10 = math.log(2.0), math.log(10.0)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


def _one(ins: Sequence[TensorVariable], out: TensorVariable) -> TensorVariable:
    return T.ones_like(out)


def _minus_one(ins: Sequence[TensorVariable], out: TensorVariable) -> TensorVariable:
    return -T.ones_like(out)


PARTIALS: dict[Op, tuple[Partial, ...]] = {
    Op.NEG: (_minus_one,),
    Op.ABS: _u(lambda x, o: T.sign(x)),
    Op.EXP: _u(lambda x, o: o),
    Op.EXP2: _u(lambda x, o: o * _LN2),
    Op.EXPM1: _u(lambda x, o: o + 1),
    Op.LOG: _u(lambda x, o: 1 / x),
    Op.LOG2: _u(lambda x, o: 1 / (x * _LN2)),
    Op.LOG10: _u(lambda x, o: 1 / (x * _LN10)),
    Op.LOG1P: _u(lambda x, o: 1 / (1 + x)),
    Op.SQRT: _u(lambda x, o: 0.5 / o),
    Op.SQR: _u(lambda x, o: 2 * x),
    Op.SIN: _u(lambda x, o: T.cos(x)),
    Op.COS: _u(lambda x, o: -T.sin(x)),
    Op.TAN: _u(lambda x, o: 1 + o * o),
    Op.ARCSIN: _u(lambda x, o: 1 / T.sqrt(1 - x * x)),
    Op.ARCCOS: _u(lambda x, o: -1 / T.sqrt(1 - x * x)),
    Op.ARCTAN: _u(lambda x, o: 1 / (1 + x * x)),
    Op.SINH: _u(lambda x, o: T.cosh(x)),
    Op.COSH: _u(lambda x, o: T.sinh(x)),
    Op.TANH: _u(lambda x, o: 1 - o * o),
    Op.ERF: _u(lambda x, o: _TWO_OVER_SQRT_PI * T.exp(-x * x)),
    Op.ERFC: _u(lambda x, o: -_TWO_OVER_SQRT_PI * T.exp(-x * x)),
    Op.ERFINV: _u(lambda x, o: (1 / _TWO_OVER_SQRT_PI) * T.exp(o * o)),
    Op.GAMMA: _u(lambda x, o: o * T.psi(x)),
    Op.GAMMALN: _u(lambda x, o: T.psi(x)),
    Op.SIGMOID: _u(lambda x, o: o * (1 - o)),
    Op.SOFTPLUS: _u(lambda x, o: T.sigmoid(x)),
    Op.ADD: (_one, _one),
    Op.SUB: (_one, _minus_one),
    Op.MUL: (lambda i, o: i[1], lambda i, o: i[0]),
    Op.TRUE_DIV: (lambda i, o: 1 / i[1], lambda i, o: -o / i[1]),
    Op.MOD: (_one, lambda i, o: -T.floor(i[0] / i[1])),
    Op.POW: (lambda i, o: i[1] * i[0] ** (i[1] - 1),
             lambda i, o: T.switch(T.eq(i[0], 0), T.zeros_like(o), o * T.log(i[0]))),
    Op.MAXIMUM: (lambda i, o: _balanced_eq(i[0], i[1], o), lambda i, o: _balanced_eq(i[1], i[0], o)),
    Op.MINIMUM: (lambda i, o: _balanced_eq(i[0], i[1], o), lambda i, o: _balanced_eq(i[1], i[0], o)),
    Op.ARCTAN2: (lambda i, o: i[1] / (i[1] * i[1] + i[0] * i[0]),
                 lambda i, o: -i[0] / (i[1] * i[1] + i[0] * i[0])),
}


def partial_inputs(ins: Sequence[TensorVariable], out: TensorVariable) -> list[TensorVariable]:
    """The inputs the partials are written over: a bool or integer input of a float- or complex-valued
    op is first cast to the output's dtype, as the op itself computes (a partial such as erf's
    ``exp(-x*x)`` must not square an int8 or negate a bool); a bool input of an integer- or
    bool-valued op becomes int8."""
    if out.dtype.startswith(("float", "complex")):
        return [T.cast(v, out.dtype) if not v.dtype.startswith(("float", "complex")) else v for v in ins]
    return [T.cast(v, "int8") if v.dtype == "bool" else v for v in ins]  # abs(bool): sign needs numbers

