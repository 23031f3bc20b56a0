"""Property tests: every op's reference implementation and inferred type, checked against numpy.

For each op a graph is built through the public tensor API on inputs of drawn dtypes and shapes
(static shape all-None, or exact), evaluated on the reference interpreter, and checked for
(1) its value: equal to an independent numpy computation written here (exact where it is the same
    numpy call, a NaN-aware tolerance for scipy functions and reassociated sums);
(2) its type: the value has the output variable's inferred dtype and fits its static shape;
(3) the inferred dtype: the documented rule (numpy's ufunc loop for arithmetic, Theano's float upgrade
    for float functions), including which dtype combinations are rejected when the graph is built.
Indexing ops are in test_indexing_properties.py.
"""

from __future__ import annotations

import contextlib
import functools
import io
import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from typing import Any, Literal

import numpy as np
import pytest
import scipy.special as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from tests.budget import budget

import refspec
import refspec.tensor as T
from refspec import ast
from refspec.ast import Op, toposort
from refspec.ifelse import ifelse
from refspec.tensor.var import TensorVariable

from .strategies import (
    ALL,
    COMPLEX,
    FLOATS,
    INTS,
    REAL,
    Array,
    arrays,
    assert_same,
    broadcastable_to,
    check_type,
    elements,
    run,
    shapes,
    symbolic,
    upgrade,
)
from .test_indexing_properties import INDEXING_OPS

SETTINGS = settings(budget(25), suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])

# ops defined on real numbers only: complex inputs are rejected when the graph is built (spec/types.md)
REAL_ONLY = frozenset({
    Op.FLOOR, Op.CEIL, Op.TRUNC, Op.ROUND_HALF_EVEN, Op.ROUND_HALF_AWAY, Op.INT_DIV, Op.MOD,
    Op.MAXIMUM, Op.MINIMUM, Op.ARCTAN2, Op.LT, Op.GT, Op.LE, Op.GE, Op.CLIP, Op.ERFINV, Op.GAMMALN,
    Op.SIGMOID, Op.SOFTPLUS, Op.MAX, Op.MIN, Op.ARGMAX, Op.ARGMIN, Op.SOFTMAX, Op.LOG_SOFTMAX,
})

Rule = Callable[..., str | None]  # (extra, *dtypes) -> output dtype, or None: the graph is rejected


def op_id(op: object) -> str:
    return op.value if isinstance(op, Op) else str(op)


def ops_in(outputs: Sequence[TensorVariable]) -> set[Op]:
    return {node.op for node in toposort(outputs)}


def empty(dtype: str) -> Array:
    return np.empty(0, dtype=dtype)


# -- dtype rules, written independently of refspec.dtypes ------------------------------------------

def numpy_rule(fn: Callable[..., Any], op: Op) -> Rule:
    """The dtype numpy computes for these input dtypes; None where numpy has no loop, or where the
    op is real-only and an input is complex."""

    def rule(extra: object, *dtypes: str) -> str | None:
        if op in REAL_ONLY and any(d in COMPLEX for d in dtypes):
            return None
        try:
            with np.errstate(all="ignore"):
                return str(np.asarray(fn(*[empty(d) for d in dtypes])).dtype.name)
        except TypeError:
            return None

    return rule


def float_rule(op: Op) -> Rule:
    """Float-valued functions: numpy promotion, then integers and bool upgrade (small ones to
    float32, the rest to float64); float16, float32, float64 and complex stay."""

    def rule(extra: object, *dtypes: str) -> str | None:
        if op in REAL_ONLY and any(d in COMPLEX for d in dtypes):
            return None
        return upgrade(np.result_type(*[np.dtype(d) for d in dtypes]).name)

    return rule


def same_dtype_rule(op: Op) -> Rule:
    def rule(extra: object, dtype: str) -> str | None:
        return None if op in REAL_ONLY and dtype in COMPLEX else dtype

    return rule


def sqr_rule(extra: object, dtype: str) -> str | None:
    return None if dtype == "bool" else str(np.square(empty(dtype)).dtype.name)  # sqr(bool) rejected


def cast_rule(target: object, dtype: str) -> str | None:
    assert isinstance(target, str)
    return None if dtype in COMPLEX and target not in COMPLEX else target  # complex -> real is ambiguous


# -- oracles ---------------------------------------------------------------------------------------

def upgraded(fn: Callable[..., Any], *, scipy: bool = False) -> Callable[..., Array]:
    """A float function on inputs upgraded to the float dtype; scipy ones compute float16 in float32."""

    def oracle(extra: object, *xs: Array) -> Array:
        dtype = upgrade(np.result_type(*xs).name)
        work = "float32" if scipy and dtype == "float16" else dtype
        return np.asarray(fn(*[x.astype(work) if isinstance(x, np.ndarray) else x for x in xs])).astype(dtype)

    return oracle


def plain(fn: Callable[..., Any]) -> Callable[..., Array]:
    return lambda extra, *xs: np.asarray(fn(*xs))


def decimal_round(rounding: str) -> Callable[..., Array]:
    """Round each element with Python's decimal module (exact for any float): independent of numpy."""

    def oracle(extra: object, x: Array) -> Array:
        if x.dtype.kind in "biu":
            return x.copy()
        out = np.empty_like(x)
        for i, v in np.ndenumerate(x):
            f = float(v)
            out[i] = f if not math.isfinite(f) else float(Decimal(f).to_integral_value(rounding))
        return out

    return oracle


def sigmoid_oracle(extra: object, x: Array) -> Array:
    dtype = upgrade(x.dtype.name)
    return np.asarray(1.0 / (1.0 + np.exp(-x.astype("float64")))).astype(dtype)


def softplus_oracle(extra: object, x: Array) -> Array:
    dtype = upgrade(x.dtype.name)
    x64 = x.astype("float64")
    return np.asarray(np.maximum(x64, 0) + np.log1p(np.exp(-np.abs(x64)))).astype(dtype)


def second_oracle(extra: object, model: Array, value: Array) -> Array:
    return np.broadcast_to(value, np.broadcast_shapes(model.shape, value.shape)).copy()


def switch_oracle(extra: object, cond: Array, a: Array, b: Array) -> Array:
    return np.where(cond != 0, a, b)


# -- the elementwise table -------------------------------------------------------------------------

Domain = tuple[float, float] | None


@dataclass(frozen=True)
class Case:
    op: Op
    arity: int
    build: Callable[..., TensorVariable]  # (extra, *input variables) -> output, via the public API
    oracle: Callable[..., Array]  # (extra, *input arrays) -> expected value
    rule: Rule
    domain: tuple[Domain, ...] = ()  # per input, used unless the example draws "wild" values
    exact: bool = True  # same numpy call: exact equality; else a dtype-scaled tolerance
    extra: st.SearchStrategy[Any] = field(default_factory=st.none)
    ties: bool = False  # also draw x.5 values (rounding)
    nonzero: int | None = None  # this input is a divisor: nonzero when the division is integer
    int_exponent: bool = False  # integer powers: nonnegative small exponents


def _api(fn: Callable[..., TensorVariable]) -> Callable[..., TensorVariable]:
    return lambda extra, *xs: fn(*xs)


NUMPY_UNARY: dict[Op, tuple[Callable[..., TensorVariable], Callable[..., Any]]] = {
    Op.NEG: (T.neg, np.negative), Op.ABS: (T.abs, np.absolute), Op.SIGN: (T.sign, np.sign),
    Op.INVERT: (T.invert, np.invert), Op.ISNAN: (T.isnan, np.isnan), Op.ISINF: (T.isinf, np.isinf),
    Op.REAL: (T.real, np.real), Op.IMAG: (T.imag, np.imag), Op.CONJ: (T.conj, np.conjugate),
}
NUMPY_BINARY: dict[Op, tuple[Callable[..., TensorVariable], Callable[..., Any]]] = {
    Op.ADD: (T.add, np.add), Op.SUB: (T.sub, np.subtract), Op.MUL: (T.mul, np.multiply),
    Op.TRUE_DIV: (T.true_div, np.true_divide), Op.INT_DIV: (T.int_div, np.floor_divide),
    Op.MOD: (T.mod, np.remainder), Op.POW: (T.pow, np.power), Op.MAXIMUM: (T.maximum, np.maximum),
    Op.MINIMUM: (T.minimum, np.minimum), Op.LT: (T.lt, np.less), Op.GT: (T.gt, np.greater),
    Op.LE: (T.le, np.less_equal), Op.GE: (T.ge, np.greater_equal), Op.EQ: (T.eq, np.equal),
    Op.NEQ: (T.neq, np.not_equal), Op.AND: (T.and_, np.bitwise_and), Op.OR: (T.or_, np.bitwise_or),
    Op.XOR: (T.xor, np.bitwise_xor),
}
# float functions: (api, numpy/scipy function, value domain, is scipy)
FLOAT_UNARY: dict[Op, tuple[Callable[..., TensorVariable], Callable[..., Any], Domain, bool]] = {
    Op.EXP: (T.exp, np.exp, (-40, 40), False), Op.EXP2: (T.exp2, np.exp2, (-60, 60), False),
    Op.EXPM1: (T.expm1, np.expm1, (-40, 40), False), Op.LOG: (T.log, np.log, (0.125, 1e4), False),
    Op.LOG2: (T.log2, np.log2, (0.125, 1e4), False), Op.LOG10: (T.log10, np.log10, (0.125, 1e4), False),
    Op.LOG1P: (T.log1p, np.log1p, (-0.75, 1e4), False), Op.SQRT: (T.sqrt, np.sqrt, (0, 1e4), False),
    Op.SIN: (T.sin, np.sin, (-100, 100), False), Op.COS: (T.cos, np.cos, (-100, 100), False),
    Op.TAN: (T.tan, np.tan, (-100, 100), False), Op.ARCSIN: (T.arcsin, np.arcsin, (-1, 1), False),
    Op.ARCCOS: (T.arccos, np.arccos, (-1, 1), False), Op.ARCTAN: (T.arctan, np.arctan, (-1e3, 1e3), False),
    Op.SINH: (T.sinh, np.sinh, (-20, 20), False), Op.COSH: (T.cosh, np.cosh, (-20, 20), False),
    Op.TANH: (T.tanh, np.tanh, (-20, 20), False), Op.ERF: (T.erf, sp.erf, (-5, 5), True),
    Op.ERFC: (T.erfc, sp.erfc, (-5, 5), True), Op.ERFINV: (T.erfinv, sp.erfinv, (-1, 1), True),
    Op.GAMMA: (T.gamma, sp.gamma, (0.125, 30), True), Op.GAMMALN: (T.gammaln, sp.gammaln, (0.125, 1e3), True),
    Op.PSI: (T.psi, sp.psi, (0.125, 1e3), True),
}


def _cases() -> dict[Op, Case]:
    cases: dict[Op, Case] = {}
    for op, (api, fn) in NUMPY_UNARY.items():
        cases[op] = Case(op, 1, _api(api), plain(fn), numpy_rule(fn, op))
    for op, (api, fn, dom, scipy) in FLOAT_UNARY.items():
        cases[op] = Case(op, 1, _api(api), upgraded(fn, scipy=scipy), float_rule(op), (dom,), exact=not scipy)
    cases[Op.SIGMOID] = Case(Op.SIGMOID, 1, _api(T.sigmoid), sigmoid_oracle, float_rule(Op.SIGMOID),
                             ((-40, 40),), exact=False)
    cases[Op.SOFTPLUS] = Case(Op.SOFTPLUS, 1, _api(T.softplus), softplus_oracle, float_rule(Op.SOFTPLUS),
                              ((-40, 40),), exact=False)
    cases[Op.SQR] = Case(Op.SQR, 1, _api(T.sqr), plain(np.square), sqr_rule)
    for op, api in ((Op.FLOOR, T.floor), (Op.CEIL, T.ceil), (Op.TRUNC, T.trunc)):
        fn = {Op.FLOOR: np.floor, Op.CEIL: np.ceil, Op.TRUNC: np.trunc}[op]
        cases[op] = Case(op, 1, _api(api), plain(fn), same_dtype_rule(op), ties=True)
    cases[Op.ROUND_HALF_EVEN] = Case(
        Op.ROUND_HALF_EVEN, 1, _api(T.round), decimal_round(ROUND_HALF_EVEN),
        same_dtype_rule(Op.ROUND_HALF_EVEN), ties=True)
    cases[Op.ROUND_HALF_AWAY] = Case(
        Op.ROUND_HALF_AWAY, 1, lambda extra, x: T.round(x, "half_away_from_zero"),
        decimal_round(ROUND_HALF_UP), same_dtype_rule(Op.ROUND_HALF_AWAY), ties=True)
    cases[Op.CAST] = Case(Op.CAST, 1, lambda target, x: T.cast(x, target),
                          lambda target, x: x.astype(target), cast_rule, extra=st.sampled_from(ALL))
    for op, (api, fn) in NUMPY_BINARY.items():
        cases[op] = Case(op, 2, _api(api), plain(fn), numpy_rule(fn, op),
                         nonzero=1 if op in (Op.INT_DIV, Op.MOD) else None, int_exponent=op is Op.POW)
    cases[Op.ARCTAN2] = Case(Op.ARCTAN2, 2, _api(T.arctan2), upgraded(np.arctan2), float_rule(Op.ARCTAN2))
    cases[Op.SECOND] = Case(Op.SECOND, 2, _api(T.second), second_oracle, lambda extra, m, v: v)
    cases[Op.SWITCH] = Case(Op.SWITCH, 3, _api(T.switch), switch_oracle,
                            numpy_rule(lambda c, a, b: np.where(c != 0, a, b), Op.SWITCH))
    cases[Op.CLIP] = Case(Op.CLIP, 3, _api(T.clip), plain(np.clip), numpy_rule(np.clip, Op.CLIP))
    return cases


ELEMENTWISE = _cases()
REDUCTIONS: dict[Op, tuple[Callable[..., TensorVariable], Callable[..., Any]]] = {
    Op.SUM: (T.sum, np.sum), Op.PROD: (T.prod, np.prod), Op.MAX: (T.max, np.max), Op.MIN: (T.min, np.min),
    Op.ALL: (T.all, np.all), Op.ANY: (T.any, np.any), Op.ARGMAX: (T.argmax, np.argmax),
    Op.ARGMIN: (T.argmin, np.argmin),
}
REDUCE_OTHER = frozenset({Op.SUM_TO})  # tested by test_sum_to
# ops with their own property test below (the test's name says which)
OTHER_OPS = frozenset({
    Op.SOFTMAX, Op.LOG_SOFTMAX, Op.DOT, Op.TENSORDOT, Op.BATCHED_DOT, Op.SHAPE, Op.RESHAPE,
    Op.DIMSHUFFLE, Op.SPECIFY_SHAPE, Op.JOIN, Op.ALLOC, Op.ARANGE, Op.EYE, Op.MAKE_VECTOR, Op.IFELSE,
    Op.PRINT, Op.SCAN,
})


def test_every_op_has_a_property_test() -> None:
    assert set(ELEMENTWISE) == ast.UNARY | ast.BINARY | ast.TERNARY
    assert set(REDUCTIONS) | REDUCE_OTHER == ast.REDUCE
    # random draws (ast.RANDOM) are tested in tests/random (bits, streams and distributions)
    covered = set(ELEMENTWISE) | set(REDUCTIONS) | REDUCE_OTHER | OTHER_OPS | INDEXING_OPS | ast.RANDOM
    assert covered == set(Op), f"ops without a property test: {sorted(o.name for o in set(Op) - covered)}"


@functools.cache
def accepted_dtypes(op: Op, extra: object) -> list[tuple[str, ...]]:
    case = ELEMENTWISE[op]
    return [c for c in itertools.product(ALL, repeat=case.arity) if case.rule(extra, *c) is not None]


def _extras(case: Case) -> list[object]:
    return list(ALL) if case.op is Op.CAST else [None]


# -- (3) exhaustively: the inferred dtype for every dtype combination ------------------------------

@pytest.mark.parametrize("op", sorted(ELEMENTWISE, key=op_id), ids=op_id)
def test_elementwise_dtype_rule(op: Op) -> None:
    case = ELEMENTWISE[op]
    for extra in _extras(case):
        for dtypes in itertools.product(ALL, repeat=case.arity):
            xs = [T.tensor(d, shape=(None,)) for d in dtypes]
            expected = case.rule(extra, *dtypes)
            if expected is None:
                with pytest.raises(TypeError):
                    case.build(extra, *xs)
            else:
                out = case.build(extra, *xs)
                assert out.dtype == expected, (op, dtypes, extra, out.dtype, expected)


# -- (1) and (2) on drawn dtypes, shapes and values -------------------------------------------------

def _case_elements(case: Case, i: int, dtype: str, out_dtype: str, wild: bool) -> st.SearchStrategy[Any]:
    integer_result = np.dtype(out_dtype).kind in "biu"
    if case.nonzero == i and integer_result:
        return elements(dtype, nonzero=True)  # integer // and % by zero raise (tested separately)
    if case.int_exponent and i == 1 and integer_result:
        return elements(dtype, 0, 6)  # integers to negative powers raise in numpy
    dom = case.domain[i] if i < len(case.domain) and not wild else None
    strat = elements(dtype, *(dom or (None, None)), special=wild)
    if case.ties and np.dtype(dtype).kind == "f":
        strat = st.one_of(strat, st.integers(-20, 20).map(lambda k: k + 0.5))
    return strat


@pytest.mark.parametrize("op", sorted(ELEMENTWISE, key=op_id), ids=op_id)
@SETTINGS
@given(data=st.data())
def test_elementwise(op: Op, data: st.DataObject) -> None:
    case = ELEMENTWISE[op]
    extra = data.draw(case.extra, label="extra")
    dtypes = data.draw(st.sampled_from(accepted_dtypes(op, extra)), label="dtypes")
    out_dtype = case.rule(extra, *dtypes)
    assert out_dtype is not None
    shapes_ = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=case.arity, max_dims=3, min_side=0,
                                                          max_side=4), label="shapes")
    exact = data.draw(st.lists(st.booleans(), min_size=case.arity, max_size=case.arity), label="exact")
    wild = data.draw(st.booleans(), label="wild")
    values = [
        data.draw(arrays(d, s, _case_elements(case, i, d, out_dtype, wild)), label=f"x{i}")
        for i, (d, s) in enumerate(zip(dtypes, shapes_.input_shapes))
    ]
    xs = [symbolic(d, s, e) for d, s, e in zip(dtypes, shapes_.input_shapes, exact)]
    out = case.build(extra, *xs)
    assert out.dtype == out_dtype
    if out is not xs[0]:  # cast to the same dtype builds no node
        assert op in ops_in([out])
    if all(exact):
        assert out.type.shape == shapes_.result_shape
    (value,) = run(xs, [out], values, via_function=data.draw(st.booleans(), label="via_function"))
    check_type(out, value)
    with np.errstate(all="ignore"):
        expected = case.oracle(extra, *values)
    assert expected.dtype.name == out_dtype, (expected.dtype, out_dtype)
    assert_same(value, expected, exact=case.exact)


@pytest.mark.parametrize("op", [Op.INT_DIV, Op.MOD], ids=op_id)
@SETTINGS
@given(data=st.data())
def test_integer_division_by_zero_raises(op: Op, data: st.DataObject) -> None:
    fn = T.int_div if op is Op.INT_DIV else T.mod
    a = data.draw(st.sampled_from(("bool",) + INTS), label="a")
    b = data.draw(st.sampled_from([d for d in ("bool",) + INTS if np.result_type(a, d).kind in "biu"]),
                  label="b")  # (int64 with uint64 divides in float64)
    shape = data.draw(shapes(min_dims=1, min_side=1), label="shape")
    x = data.draw(arrays(a, shape, elements(a)), label="x")
    y = data.draw(arrays(b, shape, elements(b, -3, 3)), label="y")
    zero_at = data.draw(st.tuples(*[st.integers(0, n - 1) for n in shape]), label="zero_at")
    y[zero_at] = 0
    xv, yv = symbolic(a, shape, False), symbolic(b, shape, False)
    with pytest.raises(ZeroDivisionError):
        run([xv, yv], [fn(xv, yv)], [x, y], via_function=data.draw(st.booleans()))


def test_float_division_by_zero_is_ieee() -> None:
    x, y = T.dvector(), T.dvector()
    got = run([x, y], [x // y, x % y, x / y], [np.array([1.0, -1.0, 0.0]), np.zeros(3)], False)
    with np.errstate(all="ignore"):
        for value, fn in zip(got, (np.floor_divide, np.remainder, np.true_divide)):
            assert_same(value, fn(np.array([1.0, -1.0, 0.0]), np.zeros(3)))


@pytest.mark.parametrize("op", sorted(set(NUMPY_BINARY) | {Op.ARCTAN2}, key=op_id),
                         ids=op_id)
@SETTINGS
@given(data=st.data())
def test_binary_with_weak_python_scalar(op: Op, data: st.DataObject) -> None:
    """NEP 50: a Python scalar takes the dtype of the typed operand (or raises if it does not fit)."""
    case = ELEMENTWISE[op]
    dtype = data.draw(st.sampled_from(REAL), label="dtype")
    scalar: int | float = data.draw(st.one_of(st.integers(-300, 300), st.sampled_from([0.5, -2.25, 3.0])),
                                    label="scalar")
    if case.nonzero is not None and scalar == 0:
        scalar = 1
    if op is Op.POW and isinstance(scalar, int):
        scalar = abs(scalar) % 5
    x = T.tensor(dtype, shape=(None,))
    try:
        with np.errstate(all="ignore"):
            expected_dtype: str | None = np.asarray(case.oracle(None, empty(dtype), scalar)).dtype.name
    except (TypeError, OverflowError):
        expected_dtype = None  # numpy rejects the pair (e.g. uint8 and -1, int8 and 300, bool - bool)
    if isinstance(scalar, int) and dtype in INTS and not np.iinfo(dtype).min <= scalar <= np.iinfo(dtype).max:
        # refspec's rule: the weak scalar takes the typed operand's dtype and must fit it. (numpy 2 is
        # laxer for comparisons and true_divide, whose loops accept any Python int.)
        expected_dtype = None
    if expected_dtype is None:
        with pytest.raises((TypeError, OverflowError)):
            case.build(None, x, scalar)
        return
    out = case.build(None, x, scalar)
    assert out.dtype == expected_dtype, (dtype, scalar, out.dtype, expected_dtype)
    value = data.draw(arrays(dtype, (3,), elements(dtype, -50, 50, nonzero=case.nonzero is not None)))
    (got,) = run([x], [out], [value], via_function=False)
    with np.errstate(all="ignore"):
        assert_same(got, np.asarray(case.oracle(None, value, scalar)))


# -- reductions ------------------------------------------------------------------------------------

def _axis(ndim: int, single: bool) -> st.SearchStrategy[Any]:
    if ndim == 0:
        return st.none()
    one = st.integers(-ndim, ndim - 1)
    if single:
        return st.one_of(st.none(), one)
    many = st.lists(st.integers(0, ndim - 1), unique=True, max_size=ndim).flatmap(
        lambda axes: st.tuples(*[st.sampled_from([a, a - ndim]) for a in axes]))
    return st.one_of(st.none(), one, many)


@pytest.mark.parametrize("op", sorted(REDUCTIONS, key=op_id), ids=op_id)
@SETTINGS
@given(data=st.data())
def test_reduction(op: Op, data: st.DataObject) -> None:
    api, fn = REDUCTIONS[op]
    dtype = data.draw(st.sampled_from(ALL), label="dtype")
    shape = data.draw(shapes(max_dims=3), label="shape")
    axis = data.draw(_axis(len(shape), single=op in (Op.ARGMAX, Op.ARGMIN)), label="axis")
    keepdims = data.draw(st.booleans(), label="keepdims")
    exact = data.draw(st.booleans(), label="exact")
    x = symbolic(dtype, shape, exact)
    if op in REAL_ONLY and dtype in COMPLEX:
        with pytest.raises(TypeError):
            api(x, axis=axis, keepdims=keepdims)
        return
    out = api(x, axis=axis, keepdims=keepdims)
    assert op in ops_in([out])
    # (3) the dtype numpy's reduction gives (sum/prod: small ints accumulate in int64/uint64)
    expected_dtype = fn(np.ones((1,) * len(shape), dtype), axis=axis, keepdims=keepdims).dtype.name
    assert out.dtype == expected_dtype
    wild = data.draw(st.booleans(), label="wild")
    value = data.draw(arrays(dtype, shape, elements(dtype, -8, 8, special=wild)), label="x")
    try:
        with np.errstate(all="ignore"):
            expected = np.asarray(fn(value, axis=axis, keepdims=keepdims))
    except ValueError:  # max/min/argmax of an empty axis
        with pytest.raises(ValueError):
            run([x], [out], [value], via_function=False)
        return
    (got,) = run([x], [out], [value], via_function=data.draw(st.booleans()))
    check_type(out, got)
    if exact:
        assert out.type.shape == expected.shape
    assert_same(got, expected)


@SETTINGS
@given(data=st.data())
def test_sum_to(data: st.DataObject) -> None:
    """sum_to(g, shape) undoes broadcasting ``shape`` to g's shape: it keeps g's dtype."""
    dtype = data.draw(st.sampled_from(ALL), label="dtype")
    target = data.draw(shapes(max_dims=3), label="target")
    lead = data.draw(shapes(max_dims=2), label="leading axes")
    gshape = lead + tuple(data.draw(st.integers(0, 3)) if t == 1 else t for t in target)
    g = symbolic(dtype, gshape, data.draw(st.booleans(), label="exact"))
    model = symbolic(dtype, target, False)
    as_shape_of = data.draw(st.booleans(), label="symbolic target")
    out = T.sum_to(g, T.shape(model) if as_shape_of else target)
    assert Op.SUM_TO in ops_in([out]) and out.dtype == dtype
    if not as_shape_of:
        assert out.type.shape == target
    value = data.draw(arrays(dtype, gshape, elements(dtype, -8, 8)), label="g")
    inputs, values = ([g, model], [value, np.zeros(target, dtype)]) if as_shape_of else ([g], [value])
    (got,) = run(inputs, [out], values, via_function=data.draw(st.booleans()))
    check_type(out, got)
    axes = tuple(range(len(lead))) + tuple(
        len(lead) + i for i, t in enumerate(target) if t == 1 and gshape[len(lead) + i] != 1)
    with np.errstate(all="ignore"):
        expected = np.sum(value, axis=axes, dtype=dtype, keepdims=True).reshape(target)
    assert_same(got, expected, exact=False)


DERIVED: dict[str, tuple[Callable[..., TensorVariable], Callable[..., Any]]] = {
    "mean": (T.mean, np.mean), "var": (T.var, np.var), "std": (T.std, np.std),
}


@pytest.mark.parametrize("name", sorted(DERIVED))
@SETTINGS
@given(data=st.data())
def test_derived_reduction(name: str, data: st.DataObject) -> None:
    """mean/var/std are built from sum and true_div; integers give float64 as in numpy."""
    api, fn = DERIVED[name]
    dtype = data.draw(st.sampled_from(REAL), label="dtype")
    shape = data.draw(shapes(min_dims=1, min_side=1), label="shape")
    axis = data.draw(_axis(len(shape), single=False), label="axis")
    keepdims = data.draw(st.booleans(), label="keepdims")
    x = symbolic(dtype, shape, False)
    out = api(x, axis=axis, keepdims=keepdims)
    value = data.draw(arrays(dtype, shape, elements(dtype, -8, 8)), label="x")
    expected = np.asarray(fn(value, axis=axis, keepdims=keepdims))
    assert out.dtype == expected.dtype.name
    (got,) = run([x], [out], [value], via_function=False)
    check_type(out, got)
    assert_same(got, expected, exact=False)


# -- softmax, log_softmax --------------------------------------------------------------------------

@pytest.mark.parametrize("op", [Op.SOFTMAX, Op.LOG_SOFTMAX], ids=op_id)
@SETTINGS
@given(data=st.data())
def test_softmax(op: Op, data: st.DataObject) -> None:
    api, oracle = (T.nnet.softmax, sp.softmax) if op is Op.SOFTMAX else (T.nnet.log_softmax, sp.log_softmax)
    dtype = data.draw(st.sampled_from(ALL), label="dtype")
    shape = data.draw(shapes(max_dims=3, min_side=1), label="shape")
    ndim = len(shape)
    axis = data.draw(st.integers(-max(ndim, 1), max(ndim, 1) - 1), label="axis")
    x = symbolic(dtype, shape, data.draw(st.booleans(), label="exact"))
    if dtype in COMPLEX:
        with pytest.raises(TypeError):
            api(x, axis=axis)
        return
    out = api(x, axis=axis)
    assert op in ops_in([out])
    assert out.dtype == upgrade(dtype)
    # +inf makes log_softmax's max-shift give NaN where the limit is 0 / -inf: not drawn for it
    specials = [math.nan, -math.inf] + ([math.inf] if op is Op.SOFTMAX else [])
    elems = elements(dtype, -30, 30)
    if data.draw(st.booleans(), label="wild") and dtype in FLOATS:
        elems = st.one_of(elems, st.sampled_from(specials))
    value = data.draw(arrays(dtype, shape, elems), label="x")
    (got,) = run([x], [out], [value], via_function=data.draw(st.booleans()))
    check_type(out, got)
    with np.errstate(all="ignore"):
        expected = oracle(value.astype("float64"), axis=None if ndim == 0 else axis)
    assert_same(got, expected.astype(out.dtype), exact=False, dtype=out.dtype)


# -- dot, tensordot, batched_dot -------------------------------------------------------------------

def _matmul_elements(dtype: str, wild: bool) -> st.SearchStrategy[Any]:
    return elements(dtype, -4, 4, special=wild)


@SETTINGS
@given(data=st.data())
def test_dot(data: st.DataObject) -> None:
    da, db = data.draw(st.sampled_from(ALL)), data.draw(st.sampled_from(ALL))
    na, nb = data.draw(st.integers(0, 3)), data.draw(st.integers(0, 3))
    n = data.draw(st.integers(0, 3))
    sa = data.draw(shapes(na, na)) if na else ()
    sb = data.draw(shapes(nb, nb)) if nb else ()
    if na and nb:  # numpy's dot: last axis of a with the first (1-d) or second-to-last axis of b
        sa = sa[:-1] + (n,)
        sb = (n,) if nb == 1 else sb[:-2] + (n,) + sb[-1:]
    ea, eb = data.draw(st.booleans()), data.draw(st.booleans())
    a, b = symbolic(da, sa, ea), symbolic(db, sb, eb)
    out = T.dot(a, b)
    assert out.dtype == np.result_type(np.dtype(da), np.dtype(db)).name
    wild = data.draw(st.booleans(), label="wild")
    av = data.draw(arrays(da, sa, _matmul_elements(da, wild)), label="a")
    bv = data.draw(arrays(db, sb, _matmul_elements(db, wild)), label="b")
    (got,) = run([a, b], [out], [av, bv], via_function=data.draw(st.booleans()))
    check_type(out, got)
    with np.errstate(all="ignore"):
        # a scalar operand multiplies (numpy's dot gives 0, not NaN, for nan * 0 there)
        expected = np.asarray(np.multiply(av, bv) if na == 0 or nb == 0 else np.dot(av, bv))
    assert expected.dtype.name == out.dtype
    if ea and eb:
        assert out.type.shape == expected.shape
    # ndim <= 2 is numpy's dot itself; higher ndim goes through tensordot (another summation order)
    assert_same(got, expected, exact=na <= 2 and nb <= 2)


@SETTINGS
@given(data=st.data())
def test_tensordot(data: st.DataObject) -> None:
    da, db = data.draw(st.sampled_from(ALL)), data.draw(st.sampled_from(ALL))
    sa = data.draw(shapes(max_dims=3))
    k = data.draw(st.integers(0, len(sa)))
    a_axes = data.draw(st.permutations(range(len(sa)))) [:k]
    nb = data.draw(st.integers(k, 3))
    b_axes = data.draw(st.permutations(range(nb)))[:k]
    sb_list = list(data.draw(shapes(nb, nb))) if nb else []
    for i, j in zip(a_axes, b_axes):
        sb_list[j] = sa[i]
    sb = tuple(sb_list)
    a, b = symbolic(da, sa, data.draw(st.booleans())), symbolic(db, sb, data.draw(st.booleans()))
    trailing_leading = a_axes == list(range(len(sa) - k, len(sa))) and b_axes == list(range(k))
    as_int = data.draw(st.booleans()) and trailing_leading
    axes: Any = k if as_int else [[i - len(sa) if data.draw(st.booleans()) else i for i in a_axes], b_axes]
    out = T.tensordot(a, b, axes)
    assert Op.TENSORDOT in ops_in([out])
    assert out.dtype == np.result_type(np.dtype(da), np.dtype(db)).name
    wild = data.draw(st.booleans(), label="wild")
    av = data.draw(arrays(da, sa, _matmul_elements(da, wild)), label="a")
    bv = data.draw(arrays(db, sb, _matmul_elements(db, wild)), label="b")
    (got,) = run([a, b], [out], [av, bv], via_function=False)
    check_type(out, got)
    with np.errstate(all="ignore"):
        expected = np.asarray(np.tensordot(av, bv, axes=(a_axes, b_axes)))
    assert expected.dtype.name == out.dtype
    assert_same(got, expected)


@SETTINGS
@given(data=st.data())
def test_batched_dot(data: st.DataObject) -> None:
    da, db = data.draw(st.sampled_from(ALL)), data.draw(st.sampled_from(ALL))
    batch, m, n, k = (data.draw(st.integers(0, 3)) for _ in range(4))
    sa = (batch, m, n) if data.draw(st.booleans()) else (batch, n)
    sb = (batch, n, k) if data.draw(st.booleans()) else (batch, n)
    ea, eb = data.draw(st.booleans()), data.draw(st.booleans())
    a, b = symbolic(da, sa, ea), symbolic(db, sb, eb)
    out = T.batched_dot(a, b)
    assert Op.BATCHED_DOT in ops_in([out])
    assert out.dtype == np.result_type(np.dtype(da), np.dtype(db)).name
    wild = data.draw(st.booleans(), label="wild")
    av = data.draw(arrays(da, sa, _matmul_elements(da, wild)), label="a")
    bv = data.draw(arrays(db, sb, _matmul_elements(db, wild)), label="b")
    (got,) = run([a, b], [out], [av, bv], via_function=data.draw(st.booleans()))
    check_type(out, got)
    with np.errstate(all="ignore"):
        rows = [np.asarray(np.dot(av[i], bv[i])) for i in range(batch)]
    item_shape = sa[1:-1] + sb[2:]
    expected = np.stack(rows) if rows else np.zeros((0,) + item_shape, dtype=out.dtype)
    assert expected.dtype.name == out.dtype
    if ea or eb:
        assert out.type.shape[0] == batch
    assert_same(got, expected, exact=False, dtype=out.dtype)


# -- shapes and construction -----------------------------------------------------------------------

@SETTINGS
@given(data=st.data())
def test_shape(data: st.DataObject) -> None:
    dtype = data.draw(st.sampled_from(ALL))
    shape = data.draw(shapes(max_dims=4))
    x = symbolic(dtype, shape, data.draw(st.booleans()))
    outs = [T.shape(x), x.shape]
    assert all(o.dtype == "int64" and o.type.shape == (len(shape),) for o in outs)
    got = run([x], outs, [np.zeros(shape, dtype)], via_function=data.draw(st.booleans()))
    for o, g in zip(outs, got):
        check_type(o, g)
        assert_same(g, np.array(shape, dtype="int64"))
    dims = [x.shape[i] for i in range(len(shape))]
    for d, g, n in zip(dims, run([x], dims, [np.zeros(shape, dtype)], False), shape):
        assert d.dtype == "int64" and d.ndim == 0 and g == n


def _factor(n: int, parts: int) -> st.SearchStrategy[tuple[int, ...]]:
    """Shapes with ``parts`` entries whose product is n (n > 0)."""
    divisors = [d for d in range(1, n + 1) if n % d == 0]
    if parts == 1:
        return st.just((n,))
    return st.sampled_from(divisors).flatmap(
        lambda d: _factor(n // d, parts - 1).map(lambda rest: (d,) + rest))


@SETTINGS
@given(data=st.data())
def test_reshape_and_make_vector(data: st.DataObject) -> None:
    dtype = data.draw(st.sampled_from(ALL))
    shape = data.draw(shapes(max_dims=3, min_side=1))
    size = int(np.prod(shape))
    parts = data.draw(st.integers(1, 3))
    target = data.draw(_factor(size, parts))
    minus = data.draw(st.none() | st.integers(0, parts - 1))
    spelled = [(-1 if i == minus else t) for i, t in enumerate(target)]
    exact = data.draw(st.booleans())
    x = symbolic(dtype, shape, exact)
    symbolic_dims = data.draw(st.booleans(), label="symbolic dims")
    value = data.draw(arrays(dtype, shape, elements(dtype, -8, 8)))
    if symbolic_dims:  # a shape of int scalars: built as a make_vector
        dim_dtype = data.draw(st.sampled_from(("int8", "int32", "int64", "uint8")))
        ds = [T.tensor(dim_dtype, shape=()) for _ in spelled]
        if dim_dtype.startswith("u"):
            spelled = list(target)
        out = T.reshape(x, ds)
        vec = out.owner.inputs[1] if out.owner is not None else None
        assert isinstance(vec, TensorVariable) and vec.owner is not None and vec.owner.op is Op.MAKE_VECTOR
        assert vec.dtype == "int64" and vec.type.shape == (parts,)
        dvals = [np.array(s, dtype=dim_dtype) for s in spelled]
        got, got_vec = run([x, *ds], [out, vec], [value, *dvals], via_function=data.draw(st.booleans()))
        check_type(vec, got_vec)
        assert_same(got_vec, np.array(spelled, dtype="int64"))
    else:
        out = T.reshape(x, spelled)
        (got,) = run([x], [out], [value], via_function=data.draw(st.booleans()))
        if exact or minus is None:
            assert out.type.shape == target
    assert Op.RESHAPE in ops_in([out]) and out.dtype == dtype
    check_type(out, got)
    assert_same(got, np.reshape(value, spelled))


@SETTINGS
@given(data=st.data())
def test_dimshuffle(data: st.DataObject) -> None:
    dtype = data.draw(st.sampled_from(ALL))
    shape = data.draw(shapes(max_dims=4, max_side=3))
    ones = [i for i, n in enumerate(shape) if n == 1]
    dropped = data.draw(st.lists(st.sampled_from(ones), unique=True)) if ones else []
    kept = data.draw(st.permutations([i for i in range(len(shape)) if i not in dropped]))
    order: list[int | Literal["x"]] = list(kept)
    for _ in range(data.draw(st.integers(0, 2))):
        order.insert(data.draw(st.integers(0, len(order))), "x")
    # dropping an axis needs it to be statically of length 1
    exact = bool(dropped) or data.draw(st.booleans())
    x = symbolic(dtype, shape, exact)
    out = x.dimshuffle(*order)
    if order != list(range(len(shape))):
        assert Op.DIMSHUFFLE in ops_in([out])
    value = data.draw(arrays(dtype, shape, elements(dtype, -8, 8)))
    (got,) = run([x], [out], [value], via_function=data.draw(st.booleans()))
    check_type(out, got)
    expected = np.transpose(np.squeeze(value, axis=tuple(dropped)), [sorted(kept).index(k) for k in kept])
    expected = np.expand_dims(expected, [i for i, d in enumerate(order) if d == "x"])
    assert_same(got, expected)
    if exact:
        assert out.type.shape == expected.shape
    if kept:
        with pytest.raises(ValueError):  # an axis that is not statically 1 cannot be dropped
            symbolic(dtype, shape, False).dimshuffle(*[d for d in order if d != kept[0]])


@SETTINGS
@given(data=st.data())
def test_specify_shape(data: st.DataObject) -> None:
    dtype = data.draw(st.sampled_from(ALL))
    shape = data.draw(shapes(max_dims=3))
    spec = tuple(n if data.draw(st.booleans()) else None for n in shape)
    x = symbolic(dtype, shape, False)
    out = T.specify_shape(x, spec)
    assert Op.SPECIFY_SHAPE in ops_in([out]) and out.type.shape == spec and out.dtype == dtype
    value = data.draw(arrays(dtype, shape, elements(dtype)))
    (got,) = run([x], [out], [value], via_function=data.draw(st.booleans()))
    check_type(out, got)
    assert_same(got, value)
    wrong = [i for i, s in enumerate(spec) if s is not None]
    if wrong:
        bad_shape = list(shape)
        bad_shape[wrong[0]] += 1
        with pytest.raises(ValueError):
            run([x], [out], [np.zeros(bad_shape, dtype)], via_function=False)


@SETTINGS
@given(data=st.data())
def test_join(data: st.DataObject) -> None:
    base = data.draw(shapes(min_dims=1, max_dims=3))
    ndim = len(base)
    axis = data.draw(st.integers(-ndim, ndim - 1))
    count = data.draw(st.integers(2, 4))
    dtypes = [data.draw(st.sampled_from(ALL)) for _ in range(count)]
    ins_shapes = []
    for _ in range(count):
        s = list(base)
        s[axis] = data.draw(st.integers(0, 3))
        ins_shapes.append(tuple(s))
    exact = [data.draw(st.booleans()) for _ in range(count)]
    xs = [symbolic(d, s, e) for d, s, e in zip(dtypes, ins_shapes, exact)]
    out = T.join(axis, *xs) if data.draw(st.booleans()) else T.concatenate(xs, axis=axis)
    assert Op.JOIN in ops_in([out])
    values = [data.draw(arrays(d, s, elements(d, -8, 8))) for d, s in zip(dtypes, ins_shapes)]
    expected = np.concatenate(values, axis=axis)
    assert out.dtype == expected.dtype.name == np.result_type(*[np.dtype(d) for d in dtypes]).name
    (got,) = run(xs, [out], values, via_function=data.draw(st.booleans()))
    check_type(out, got)
    if all(exact):
        assert out.type.shape == expected.shape
    assert_same(got, expected)


@SETTINGS
@given(data=st.data())
def test_alloc(data: st.DataObject) -> None:
    dtype = data.draw(st.sampled_from(ALL))
    shape = data.draw(shapes(max_dims=3))
    vshape = data.draw(broadcastable_to(shape))
    v = symbolic(dtype, vshape, data.draw(st.booleans()))
    dims: list[Any] = []
    dim_inputs: list[TensorVariable] = []
    dim_values: list[Array] = []
    for n in shape:
        if data.draw(st.booleans()):
            dims.append(n)
        else:
            d = T.tensor(data.draw(st.sampled_from(("int32", "int64", "uint8"))), shape=())
            dims.append(d)
            dim_inputs.append(d)
            dim_values.append(np.array(n, dtype=d.dtype))
    out = T.alloc(v, *dims)
    assert Op.ALLOC in ops_in([out]) and out.dtype == dtype
    assert out.type.shape == tuple(n if isinstance(d, int) else None for d, n in zip(dims, shape))
    value = data.draw(arrays(dtype, vshape, elements(dtype)))
    (got,) = run([v, *dim_inputs], [out], [value, *dim_values], via_function=data.draw(st.booleans()))
    check_type(out, got)
    assert_same(got, np.broadcast_to(value, shape))
    zeros = T.zeros(shape, dtype=dtype)
    assert_same(run([], [zeros], [], False)[0], np.zeros(shape, dtype))


@SETTINGS
@given(data=st.data())
def test_arange(data: st.DataObject) -> None:
    floats = data.draw(st.booleans(), label="floats")
    kinds = FLOATS[1:] if floats else ("int8", "int16", "int32", "int64", "uint8")
    parts: list[Any]
    if floats:
        parts = [data.draw(st.sampled_from([-3.5, -1.0, 0.0, 0.25, 2.0, 7.75])) for _ in range(2)]
        parts.append(data.draw(st.sampled_from([-1.5, -0.5, 0.25, 1.0, 2.5])))
    else:
        parts = [data.draw(st.integers(-10, 10)) for _ in range(2)]
        parts.append(data.draw(st.sampled_from([-3, -1, 1, 2, 5])))
    args: list[Any] = []
    inputs: list[TensorVariable] = []
    values: list[Array] = []
    for p in parts:
        if data.draw(st.booleans()):
            args.append(p)  # a weak Python scalar
            continue
        dtype = data.draw(st.sampled_from([k for k in kinds if np.can_cast(np.min_scalar_type(p), k)]))
        v = T.tensor(dtype, shape=())
        args.append(v)
        inputs.append(v)
        values.append(np.array(p, dtype=dtype))
    given_dtype = data.draw(st.none() | st.sampled_from(("int64", "float32", "float64")))
    try:
        out = T.arange(args[0], args[1], args[2], dtype=given_dtype)
    except TypeError:  # weak scalar that does not fit a typed operand (uint8 and -1)
        assert any(isinstance(a, int) and a < 0 for a in args) or floats
        return
    assert Op.ARANGE in ops_in([out])
    # documented rule: dtype= if given, else numpy promotion with weak scalars (bool -> int64)
    promoted = np.result_type(*[empty(a.dtype) if isinstance(a, TensorVariable) else a for a in args]).name
    expected_dtype = given_dtype or ("int64" if promoted == "bool" else promoted)
    assert out.dtype == expected_dtype
    (got,) = run(inputs, [out], values, via_function=data.draw(st.booleans()))
    check_type(out, got)
    expected = np.arange(*[np.asarray(v).item() if isinstance(v, np.ndarray) else v for v in
                           [values[inputs.index(a)] if isinstance(a, TensorVariable) else a for a in args]],
                         dtype=expected_dtype)
    assert_same(got, expected)
    if not inputs and not floats:
        assert out.type.shape == expected.shape


def test_arange_zero_step_raises() -> None:
    step = T.lscalar()
    with pytest.raises(ValueError):
        run([step], [T.arange(0, 5, step)], [np.array(0)], False)


@SETTINGS
@given(data=st.data())
def test_eye(data: st.DataObject) -> None:
    n, m, k = data.draw(st.integers(0, 4)), data.draw(st.integers(0, 4)), data.draw(st.integers(-5, 5))
    dtype = data.draw(st.none() | st.sampled_from(ALL))
    symbolic_args = data.draw(st.booleans())
    if symbolic_args:
        sn, sm, sk = T.lscalar(), T.iscalar(), T.lscalar()
        out = T.eye(sn, sm, sk, dtype=dtype)
        inputs, values = [sn, sm, sk], [np.array(n), np.array(m, "int32"), np.array(k)]
    else:
        out = T.eye(n, m, k, dtype=dtype)
        inputs, values = [], []
        assert out.type.shape == (n, m)
    assert Op.EYE in ops_in([out]) and out.dtype == (dtype or refspec.config.floatX)
    (got,) = run(inputs, [out], values, via_function=data.draw(st.booleans()))
    check_type(out, got)
    assert_same(got, np.eye(n, m, k, dtype=out.dtype))


# -- ifelse and print ------------------------------------------------------------------------------

@SETTINGS
@given(data=st.data())
def test_ifelse_is_lazy(data: st.DataObject) -> None:
    dtype = data.draw(st.sampled_from(REAL))
    cond_dtype = data.draw(st.sampled_from(("bool", "int8", "int64", "float64")))
    shape = data.draw(shapes(max_dims=2))
    c = T.tensor(cond_dtype, shape=())
    a, b = symbolic(dtype, shape, data.draw(st.booleans())), symbolic(dtype, shape, False)
    zero = T.lscalar()
    # the untaken branch would raise (integer division by zero): it must not be evaluated
    boom = T.second(b, T.cast(T.int_div(1, zero), dtype))
    cond_value = data.draw(st.booleans())
    then, other = (a, boom) if cond_value else (boom, a)
    out = ifelse(c, then, other)
    assert isinstance(out, TensorVariable) and Op.IFELSE in ops_in([out])
    assert out.dtype == dtype
    av = data.draw(arrays(dtype, shape, elements(dtype)))
    bv = data.draw(arrays(dtype, shape, elements(dtype)))
    (got,) = run([c, a, b, zero], [out], [np.array(cond_value, cond_dtype), av, bv, np.array(0)],
                 via_function=data.draw(st.booleans()))
    check_type(out, got)
    assert_same(got, av)


@SETTINGS
@given(data=st.data())
def test_print_is_identity(data: st.DataObject) -> None:
    dtype = data.draw(st.sampled_from(ALL))
    shape = data.draw(shapes(max_dims=2))
    x = symbolic(dtype, shape, data.draw(st.booleans()))
    out = refspec.printing.Print("msg", attrs=("shape",))(x)
    assert isinstance(out, TensorVariable) and out.type == x.type and Op.PRINT in ops_in([out])
    value = data.draw(arrays(dtype, shape, elements(dtype)))
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        (got,) = run([x], [out], [value], via_function=data.draw(st.booleans()))
    check_type(out, got)
    assert_same(got, value)
    assert buf.getvalue() == f"msg shape = {shape}\n"


# -- scan (tests/scan/ has the full property tests of taps and steps) -------------------------------

@SETTINGS
@given(data=st.data())
def test_scan_running_sum(data: st.DataObject) -> None:
    """A scan carrying acc + x_t: its steps are numpy's sequential cumulative sum from the initial
    value, in the sequence's dtype, forwards or backwards."""
    dtype = data.draw(st.sampled_from(INTS + FLOATS + COMPLEX), label="dtype")
    shape = data.draw(shapes(min_dims=1, max_dims=3), label="shape")
    backwards = data.draw(st.booleans(), label="go_backwards")
    x = symbolic(dtype, shape, data.draw(st.booleans(), label="exact"))
    init = symbolic(dtype, shape[1:], False)
    out, updates = refspec.scan(lambda x_t, acc: acc + x_t, sequences=x, outputs_info=init,
                                go_backwards=backwards)
    assert isinstance(out, TensorVariable) and not updates and Op.SCAN in ops_in([out])
    assert out.dtype == dtype and out.ndim == len(shape)
    wild = data.draw(st.booleans(), label="wild")
    xv = data.draw(arrays(dtype, shape, elements(dtype, -50, 50, special=wild)), label="x")
    iv = data.draw(arrays(dtype, shape[1:], elements(dtype, -50, 50, special=wild)), label="init")
    (got,) = run([x, init], [out], [xv, iv], via_function=data.draw(st.booleans()))
    check_type(out, got)
    steps = xv[::-1] if backwards else xv
    with np.errstate(all="ignore"):
        expected = np.cumsum(np.concatenate([iv[None], steps]), axis=0, dtype=dtype)[1:]
    assert_same(got, expected)
