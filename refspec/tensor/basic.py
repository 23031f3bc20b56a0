"""Constants, operand conversion with weak Python scalars (NEP 50), and the elementwise functions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Union

import numpy as np

from refspec.ast import Array, Op, TensorType, Variable, check_dtype
from refspec.config import config
from refspec.dtypes import result_type
from refspec.ops import apply1
from refspec.params import CastParams
from refspec.tensor.var import TensorConstant, TensorVariable

Operand = Union[Variable, int, float, complex, np.generic, Array, Sequence[object]]


def _default_dtype(value: object) -> str:
    """dtype of a value with nothing to adapt to: Python floats (and lists of them) follow floatX."""
    if isinstance(value, (np.ndarray, np.generic)):
        return check_dtype(value.dtype)
    arr = np.asarray(value)
    return config.floatX if arr.dtype.kind == "f" else check_dtype(arr.dtype)


def constant(value: object, name: str | None = None, ndim: int | None = None, dtype: str | None = None) -> TensorVariable:
    """A constant tensor (Theano's ``T.constant``)."""
    if isinstance(value, Variable):
        raise TypeError(f"constant() takes a value, got the symbolic variable {value}")
    target = check_dtype(dtype) if dtype is not None else _default_dtype(value)
    data = np.asarray(value)
    try:
        cast = np.asarray(value, dtype=target)
    except OverflowError as exc:
        raise TypeError(f"constant {value!r} does not fit dtype {target}: {exc}") from exc
    if data.dtype.kind in "iub" and cast.dtype.kind in "iub" and not np.array_equal(cast, data):
        raise TypeError(f"constant {value!r} does not fit dtype {target}")
    if ndim is not None:
        if cast.ndim > ndim:
            raise ValueError(f"constant of ndim {cast.ndim} cannot have ndim {ndim}")
        cast = cast.reshape((1,) * (ndim - cast.ndim) + cast.shape)
    return TensorConstant(TensorType(target, shape=cast.shape), cast, name)


def _is_weak(value: object) -> bool:
    return isinstance(value, (bool, int, float, complex)) and not isinstance(value, np.generic)


def as_tensor_variable(x: Operand, name: str | None = None, ndim: int | None = None) -> TensorVariable:
    """A tensor variable for ``x``: variables pass through, values become constants."""
    if isinstance(x, TensorVariable):
        if ndim is not None and x.ndim != ndim:
            raise ValueError(f"{x} has ndim {x.ndim}, expected {ndim}")
        return x
    if isinstance(x, Variable):
        raise TypeError(f"{x} is not a tensor variable")
    if isinstance(x, (list, tuple)) and any(isinstance(v, Variable) for v in x):
        from refspec.tensor.shape_ops import stack

        return stack([as_tensor_variable(v) for v in x])
    return constant(x, name=name, ndim=ndim)


def operands(*args: Operand) -> list[TensorVariable]:
    """Convert operands together: Python scalars are weak (NEP 50) and take their dtype from the
    strongly typed operands, so ``fvector * 2.0`` stays float32 and ``int8 + 1000`` is an error."""
    strong = [a for a in args if not _is_weak(a)]
    strong_vars = [as_tensor_variable(a) for a in strong]
    if not strong_vars:
        return [as_tensor_variable(a) for a in args]
    base = result_type(*[v.dtype for v in strong_vars])
    out: list[TensorVariable] = []
    it = iter(strong_vars)
    for a in args:
        if isinstance(a, (int, float, complex)) and _is_weak(a):
            dtype = np.result_type(np.dtype(base), a).name
            out.append(constant(a, dtype=dtype))
        else:
            out.append(next(it))
    return out


def elemwise(op: Op, *args: Operand) -> TensorVariable:
    result = apply1(op, operands(*args))
    assert isinstance(result, TensorVariable)
    return result


def neg(x: Operand) -> TensorVariable:
    return elemwise(Op.NEG, x)


def abs(x: Operand) -> TensorVariable:  # noqa: A001 - Theano's name
    return elemwise(Op.ABS, x)


abs_ = abs


def exp(x: Operand) -> TensorVariable:
    return elemwise(Op.EXP, x)


def exp2(x: Operand) -> TensorVariable:
    return elemwise(Op.EXP2, x)


def expm1(x: Operand) -> TensorVariable:
    return elemwise(Op.EXPM1, x)


def log(x: Operand) -> TensorVariable:
    return elemwise(Op.LOG, x)


def log2(x: Operand) -> TensorVariable:
    return elemwise(Op.LOG2, x)


def log10(x: Operand) -> TensorVariable:
    return elemwise(Op.LOG10, x)


def log1p(x: Operand) -> TensorVariable:
    return elemwise(Op.LOG1P, x)


def sqrt(x: Operand) -> TensorVariable:
    return elemwise(Op.SQRT, x)


def sqr(x: Operand) -> TensorVariable:
    return elemwise(Op.SQR, x)


square = sqr


def sin(x: Operand) -> TensorVariable:
    return elemwise(Op.SIN, x)


def cos(x: Operand) -> TensorVariable:
    return elemwise(Op.COS, x)


def tan(x: Operand) -> TensorVariable:
    return elemwise(Op.TAN, x)


def arcsin(x: Operand) -> TensorVariable:
    return elemwise(Op.ARCSIN, x)


def arccos(x: Operand) -> TensorVariable:
    return elemwise(Op.ARCCOS, x)


def arctan(x: Operand) -> TensorVariable:
    return elemwise(Op.ARCTAN, x)


def sinh(x: Operand) -> TensorVariable:
    return elemwise(Op.SINH, x)


def cosh(x: Operand) -> TensorVariable:
    return elemwise(Op.COSH, x)


def tanh(x: Operand) -> TensorVariable:
    return elemwise(Op.TANH, x)


def erf(x: Operand) -> TensorVariable:
    return elemwise(Op.ERF, x)


def erfc(x: Operand) -> TensorVariable:
    return elemwise(Op.ERFC, x)


def erfinv(x: Operand) -> TensorVariable:
    return elemwise(Op.ERFINV, x)


def gamma(x: Operand) -> TensorVariable:
    return elemwise(Op.GAMMA, x)


def gammaln(x: Operand) -> TensorVariable:
    return elemwise(Op.GAMMALN, x)


def psi(x: Operand) -> TensorVariable:
    return elemwise(Op.PSI, x)


def sigmoid(x: Operand) -> TensorVariable:
    return elemwise(Op.SIGMOID, x)


def softplus(x: Operand) -> TensorVariable:
    return elemwise(Op.SOFTPLUS, x)


def floor(x: Operand) -> TensorVariable:
    return elemwise(Op.FLOOR, x)


def ceil(x: Operand) -> TensorVariable:
    return elemwise(Op.CEIL, x)


def trunc(x: Operand) -> TensorVariable:
    return elemwise(Op.TRUNC, x)


def round(x: Operand, mode: str = "half_to_even") -> TensorVariable:  # noqa: A001
    """Round to the nearest integer; ``mode`` is 'half_to_even' (numpy) or 'half_away_from_zero'."""
    ops = {"half_to_even": Op.ROUND_HALF_EVEN, "half_away_from_zero": Op.ROUND_HALF_AWAY}
    if mode not in ops:
        raise ValueError(f"round mode must be one of {sorted(ops)}, got {mode!r}")
    return elemwise(ops[mode], x)


def sign(x: Operand) -> TensorVariable:
    return elemwise(Op.SIGN, x)


def invert(x: Operand) -> TensorVariable:
    return elemwise(Op.INVERT, x)


bitwise_not = invert


def isnan(x: Operand) -> TensorVariable:
    return elemwise(Op.ISNAN, x)


def isinf(x: Operand) -> TensorVariable:
    return elemwise(Op.ISINF, x)


def real(x: Operand) -> TensorVariable:
    return elemwise(Op.REAL, x)


def imag(x: Operand) -> TensorVariable:
    return elemwise(Op.IMAG, x)


def conj(x: Operand) -> TensorVariable:
    return elemwise(Op.CONJ, x)


def add(x: Operand, y: Operand, *more: Operand) -> TensorVariable:
    out = elemwise(Op.ADD, x, y)
    for z in more:
        out = elemwise(Op.ADD, out, z)
    return out


def sub(x: Operand, y: Operand) -> TensorVariable:
    return elemwise(Op.SUB, x, y)


def mul(x: Operand, y: Operand, *more: Operand) -> TensorVariable:
    out = elemwise(Op.MUL, x, y)
    for z in more:
        out = elemwise(Op.MUL, out, z)
    return out


def true_div(x: Operand, y: Operand) -> TensorVariable:
    return elemwise(Op.TRUE_DIV, x, y)


def int_div(x: Operand, y: Operand) -> TensorVariable:
    return elemwise(Op.INT_DIV, x, y)


floor_div = int_div


def mod(x: Operand, y: Operand) -> TensorVariable:
    return elemwise(Op.MOD, x, y)


def pow(x: Operand, y: Operand) -> TensorVariable:  # noqa: A001
    return elemwise(Op.POW, x, y)


def maximum(x: Operand, y: Operand) -> TensorVariable:
    return elemwise(Op.MAXIMUM, x, y)


def minimum(x: Operand, y: Operand) -> TensorVariable:
    return elemwise(Op.MINIMUM, x, y)


def arctan2(y: Operand, x: Operand) -> TensorVariable:
    return elemwise(Op.ARCTAN2, y, x)


def lt(x: Operand, y: Operand) -> TensorVariable:
    return elemwise(Op.LT, x, y)


def gt(x: Operand, y: Operand) -> TensorVariable:
    return elemwise(Op.GT, x, y)


def le(x: Operand, y: Operand) -> TensorVariable:
    return elemwise(Op.LE, x, y)


def ge(x: Operand, y: Operand) -> TensorVariable:
    return elemwise(Op.GE, x, y)


def eq(x: Operand, y: Operand) -> TensorVariable:
    return elemwise(Op.EQ, x, y)


def neq(x: Operand, y: Operand) -> TensorVariable:
    return elemwise(Op.NEQ, x, y)


def and_(x: Operand, y: Operand) -> TensorVariable:
    """Bitwise and (logical and on bool), Theano's ``&``."""
    return elemwise(Op.AND, x, y)


def or_(x: Operand, y: Operand) -> TensorVariable:
    return elemwise(Op.OR, x, y)


def xor(x: Operand, y: Operand) -> TensorVariable:
    return elemwise(Op.XOR, x, y)


bitwise_and, bitwise_or, bitwise_xor = and_, or_, xor


def _truth(x: Operand) -> TensorVariable:
    return neq(x, 0)


def logical_and(x: Operand, y: Operand) -> TensorVariable:
    return and_(_truth(x), _truth(y))


def logical_or(x: Operand, y: Operand) -> TensorVariable:
    return or_(_truth(x), _truth(y))


def logical_xor(x: Operand, y: Operand) -> TensorVariable:
    return xor(_truth(x), _truth(y))


def logical_not(x: Operand) -> TensorVariable:
    return eq(x, 0)


def switch(cond: Operand, ift: Operand, iff: Operand) -> TensorVariable:
    """Elementwise choice: ``ift`` where ``cond`` is nonzero, else ``iff`` (both are evaluated)."""
    c = as_tensor_variable(cond)
    a, b = operands(ift, iff)
    return elemwise(Op.SWITCH, c, a, b)


where = switch


def clip(x: Operand, a_min: Operand, a_max: Operand) -> TensorVariable:
    return elemwise(Op.CLIP, x, a_min, a_max)


def cast(x: Operand, dtype: str) -> TensorVariable:
    xv = as_tensor_variable(x)
    target = config.floatX if dtype == "floatX" else check_dtype(dtype)
    if target == xv.dtype:
        return xv
    result = apply1(Op.CAST, [xv], CastParams(target))
    assert isinstance(result, TensorVariable)
    return result


def fill(model: Operand, value: Operand) -> TensorVariable:
    """``value`` broadcast to the shape of ``model`` (Theano's ``fill`` / ``second``)."""
    m = as_tensor_variable(model)
    v = operands(m, value)[1] if _is_weak(value) else as_tensor_variable(value)
    return elemwise(Op.SECOND, m, v)


second = fill


def zeros_like(x: Operand, dtype: str | None = None) -> TensorVariable:
    xv = as_tensor_variable(x)
    return fill(xv, constant(0, dtype=dtype or xv.dtype))


def ones_like(x: Operand, dtype: str | None = None) -> TensorVariable:
    xv = as_tensor_variable(x)
    return fill(xv, constant(1, dtype=dtype or xv.dtype))

