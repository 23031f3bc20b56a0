"""Every derivative rule, checked numerically (spec/autodiff.md, spec/numerics.md).

For each op with a rule in ``refspec.autodiff.vjp.VJP`` there is at least one case here: a strategy
drawing an input point away from the op's kinks and poles and a function building a graph that uses
the op. ``verify_grad`` checks it at orders 1 and 2, in reverse mode (directional central differences
of the float64 twin) and forward mode (the JVP/VJP inner-product test), in float64 and float32.
Ops whose gradient is exactly zero (integer-valued or piecewise constant outputs) are instead checked
to give gradients that are exactly zero. Coverage tests tie the cases to the rule tables, so a new op
without a case fails here. Last, randomly composed graphs of 3-6 differentiable ops are checked too.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from tests.budget import budget

import refspec as theano
import refspec.tensor as T
from refspec.ast import Op, toposort
from refspec.autodiff.jvp import JVP
from refspec.autodiff.vjp import NOT_DIFFERENTIABLE, VJP
from refspec.gradient import NullTypeGradError, verify_grad
from refspec.ops import apply1
from refspec.params import DTypeParams
from refspec.printing import Print
from refspec.tensor.var import TensorVariable

Array = np.ndarray[Any, Any]
Fun = Callable[..., TensorVariable]
Example = tuple[Fun, list[Array]]  # a graph builder and the point (one array per symbolic input)

SETTINGS = budget(20)
DTYPES = ("float64", "float32")


@dataclass(frozen=True)
class Case:
    name: str
    op: Op
    examples: st.SearchStrategy[Example]
    order: int = 2  # 1: the rule's own derivative is undefined (it uses psi), so order 2 must raise


# ----------------------------------------------------------------------------------- drawing


def _shape(draw: st.DrawFn, min_dims: int = 0, max_dims: int = 2, min_side: int = 1,
           max_side: int = 3) -> tuple[int, ...]:
    return draw(hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side))


def _floats(draw: st.DrawFn, shape: Sequence[int], lo: float, hi: float) -> Array:
    elements = st.floats(lo, hi, allow_nan=False, allow_infinity=False, allow_subnormal=False)
    return np.asarray(draw(hnp.arrays(np.float64, tuple(shape), elements=elements)), dtype=np.float64)


def _ints(draw: st.DrawFn, shape: Sequence[int], lo: int, hi: int) -> Array:
    return np.asarray(draw(hnp.arrays(np.int64, tuple(shape), elements=st.integers(lo, hi))), dtype=np.int64)


def _away_from_zero(x: Array, gap: float = 0.25) -> Array:
    return np.where(x >= 0, x + gap, x - gap)


def _distinct(x: Array) -> Array:
    """Values at least ~0.45 apart (no ties for max/min), keeping the drawn order."""
    flat = x.ravel()
    ranks = np.argsort(np.argsort(flat, kind="stable"), kind="stable")
    return (0.5 * ranks - 0.25 * flat.size + 0.01 * flat).reshape(x.shape)


def _pinned(fn: Fun, shapes: Sequence[Sequence[int]], static: bool) -> Fun:
    """``fn`` on inputs whose static shapes are the concrete ones (so length-1 axes are statically 1
    and broadcasting is summed away by the static rule) or left unknown (the run-time sum_to rule)."""
    if not static:
        return fn
    return lambda *xs: fn(*[T.specify_shape(x, tuple(s)) for x, s in zip(xs, shapes)])


# ----------------------------------------------------------------------------------- elementwise


def unary(op: Op, fn: Fun, lo: float, hi: float, fix: Callable[[Array], Array] | None = None,
          order: int = 2) -> Case:
    @st.composite
    def examples(draw: st.DrawFn) -> Example:
        x = _floats(draw, _shape(draw), lo, hi)
        return fn, [fix(x) if fix else x]

    return Case(op.name.lower(), op, examples(), order)


def _abs_fix(x: Array) -> Array:
    return _away_from_zero(x, 0.2)


UNARY_CASES = [
    unary(Op.NEG, lambda x: -x, -3, 3),
    unary(Op.ABS, abs, -3, 3, _abs_fix),
    unary(Op.EXP, T.exp, -2, 2),
    unary(Op.EXP2, T.exp2, -2, 2),
    unary(Op.EXPM1, T.expm1, -2, 2),
    unary(Op.LOG, T.log, 0.5, 3),
    unary(Op.LOG2, T.log2, 0.5, 3),
    unary(Op.LOG10, T.log10, 0.5, 3),
    unary(Op.LOG1P, T.log1p, -0.5, 3),
    unary(Op.SQRT, T.sqrt, 0.5, 3),
    unary(Op.SQR, T.sqr, -3, 3),
    unary(Op.SIN, T.sin, -3, 3),
    unary(Op.COS, T.cos, -3, 3),
    unary(Op.TAN, T.tan, -1.2, 1.2),
    unary(Op.ARCSIN, T.arcsin, -0.8, 0.8),
    unary(Op.ARCCOS, T.arccos, -0.8, 0.8),
    unary(Op.ARCTAN, T.arctan, -3, 3),
    unary(Op.SINH, T.sinh, -2, 2),
    unary(Op.COSH, T.cosh, -2, 2),
    unary(Op.TANH, T.tanh, -2, 2),
    unary(Op.ERF, T.erf, -2, 2),
    unary(Op.ERFC, T.erfc, -2, 2),
    unary(Op.ERFINV, T.erfinv, -0.8, 0.8),
    unary(Op.GAMMA, T.gamma, 0.5, 3, order=1),  # gamma' = gamma * psi, and psi has no derivative
    unary(Op.GAMMALN, T.gammaln, 0.5, 3, order=1),
    unary(Op.SIGMOID, T.sigmoid, -3, 3),
    unary(Op.SOFTPLUS, T.softplus, -3, 3),
]


def binary(op: Op, fn: Fun, lo: float, hi: float,
           fix: Callable[[Array, Array], tuple[Array, Array]] | None = None) -> Case:
    @st.composite
    def examples(draw: st.DrawFn) -> Example:
        shapes = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=2, max_side=3))
        x, y = (_floats(draw, s, lo, hi) for s in shapes.input_shapes)
        if fix:
            x, y = fix(x, y)
        return _pinned(fn, [x.shape, y.shape], draw(st.booleans())), [x, y]

    return Case(op.name.lower(), op, examples())


def _div_fix(x: Array, y: Array) -> tuple[Array, Array]:
    return x, _away_from_zero(y, 0.5)


def _mod_fix(x: Array, y: Array) -> tuple[Array, Array]:
    # x / y = integer + a fraction in [0.2, 0.8]: away from the jumps of x mod y
    y = _away_from_zero(y, 0.5)
    k = np.floor(x)
    frac = 0.2 + 0.6 * (x - k)
    return (k + frac) * y, y


def _pow_fix(x: Array, y: Array) -> tuple[Array, Array]:
    return 0.5 + np.abs(x), y  # a positive base: x**y is smooth in both


def _tie_free(fn: Fun) -> Fun:
    # maximum/minimum of x and (x + d) with |d| >= 0.3: no ties, whatever the broadcasting
    return lambda x, d: fn(x, x + d)


def _d_fix(x: Array, d: Array) -> tuple[Array, Array]:
    return x, _away_from_zero(d, 0.3)


def _arctan2_fix(y: Array, x: Array) -> tuple[Array, Array]:
    return y, 0.5 + np.abs(x)  # x > 0: away from the branch cut and the origin


BINARY_CASES = [
    binary(Op.ADD, lambda x, y: x + y, -3, 3),
    binary(Op.SUB, lambda x, y: x - y, -3, 3),
    binary(Op.MUL, lambda x, y: x * y, -3, 3),
    binary(Op.TRUE_DIV, lambda x, y: x / y, -3, 3, _div_fix),
    binary(Op.MOD, lambda x, y: x % y, -3, 3, _mod_fix),
    binary(Op.POW, lambda x, y: x**y, -2, 2, _pow_fix),
    binary(Op.MAXIMUM, _tie_free(T.maximum), -2, 2, _d_fix),
    binary(Op.MINIMUM, _tie_free(T.minimum), -2, 2, _d_fix),
    binary(Op.ARCTAN2, T.arctan2, -3, 3, _arctan2_fix),
    binary(Op.SECOND, T.second, -3, 3),
]


@st.composite
def _switch_examples(draw: st.DrawFn) -> Example:
    shapes = draw(hnp.mutually_broadcastable_shapes(num_shapes=3, min_dims=0, max_dims=2, max_side=3))
    c_shape, a_shape, b_shape = shapes.input_shapes
    cond = draw(hnp.arrays(np.bool_, c_shape))
    a, b = _floats(draw, a_shape, -3, 3), _floats(draw, b_shape, -3, 3)
    fn = _pinned(lambda c, x, y: T.switch(c, T.sin(x), y * y), shapes.input_shapes, draw(st.booleans()))
    return fn, [np.asarray(cond), a, b]


@st.composite
def _clip_examples(draw: st.DrawFn) -> Example:
    # on a grid: x = k/2 + 1/4 + small jitter, bounds integers, so x is never within 0.2 of a bound
    shapes = draw(hnp.mutually_broadcastable_shapes(num_shapes=3, min_dims=0, max_dims=2, max_side=3))
    x_shape, lo_shape, hi_shape = shapes.input_shapes
    x = 0.5 * _ints(draw, x_shape, -8, 8) + 0.25 + _floats(draw, x_shape, -0.05, 0.05)
    lo = _ints(draw, lo_shape, -3, 0).astype(np.float64)
    hi = np.max(lo) + _ints(draw, hi_shape, 1, 3).astype(np.float64)
    return _pinned(T.clip, shapes.input_shapes, draw(st.booleans())), [x, lo, hi]


TERNARY_CASES = [Case("switch", Op.SWITCH, _switch_examples()), Case("clip", Op.CLIP, _clip_examples())]


@st.composite
def _cast_examples(draw: st.DrawFn) -> Example:
    x = _floats(draw, _shape(draw), -3, 3)
    return (lambda v: T.cast(v, "float32" if v.dtype == "float64" else "float64") * v), [x]


# ----------------------------------------------------------------------------------- reductions


def _axis(draw: st.DrawFn, ndim: int) -> int | tuple[int, ...] | None:
    if ndim == 0:
        return None
    choice = draw(st.sampled_from(["none", "int", "tuple"]))
    if choice == "none":
        return None
    if choice == "int":
        return int(draw(st.integers(-ndim, ndim - 1)))
    return tuple(sorted(draw(st.sets(st.integers(0, ndim - 1), min_size=1, max_size=ndim))))


def reduction(op: Op, fn: Callable[..., TensorVariable], fix: Callable[[Array], Array]) -> Case:
    @st.composite
    def examples(draw: st.DrawFn) -> Example:
        x = fix(_floats(draw, _shape(draw, max_dims=3), -1.5, 1.5))
        axis, keepdims = _axis(draw, x.ndim), draw(st.booleans())
        return (lambda v: fn(v, axis=axis, keepdims=keepdims)), [x]

    return Case(op.name.lower(), op, examples())


def _prod_fix(x: Array) -> Array:
    return np.sign(x + 1e-9) * (0.5 + 0.5 * np.abs(x))  # |x| in [0.5, 1.25]: no zeros, no overflow


@st.composite
def _sum_to_examples(draw: st.DrawFn) -> Example:
    shape = _shape(draw, min_dims=1, max_dims=3)
    drop = draw(st.integers(0, len(shape)))
    target = tuple(1 if draw(st.booleans()) else n for n in shape[drop:])
    x = _floats(draw, shape, -3, 3)
    return (lambda v: T.sum_to(v, target)), [x]


@st.composite
def _softmax_examples(draw: st.DrawFn, log: bool) -> Example:
    x = _floats(draw, _shape(draw, min_dims=1, max_dims=3), -3, 3)
    axis = draw(st.integers(-x.ndim, x.ndim - 1))
    fn = T.log_softmax if log else T.softmax
    return (lambda v: fn(v, axis=axis)), [x]


@st.composite
def _prod_with_zeros_examples(draw: st.DrawFn) -> Example:
    # prod is a polynomial: smooth at zeros, where its rule avoids dividing by them (1, 2, 3 zeros)
    x = _prod_fix(_floats(draw, _shape(draw, min_dims=1, max_dims=2), -1.5, 1.5))
    flat = x.ravel()
    zeros = draw(st.sets(st.integers(0, flat.size - 1), min_size=1, max_size=min(3, flat.size)))
    flat[list(zeros)] = 0.0
    axis, keepdims = _axis(draw, x.ndim), draw(st.booleans())
    return (lambda v: T.prod(v, axis=axis, keepdims=keepdims)), [flat.reshape(x.shape)]


REDUCE_CASES = [
    reduction(Op.SUM, T.sum, lambda x: x),
    reduction(Op.PROD, T.prod, _prod_fix),
    Case("prod_at_zeros", Op.PROD, _prod_with_zeros_examples()),
    reduction(Op.MAX, T.max, _distinct),
    reduction(Op.MIN, T.min, _distinct),
    Case("sum_to", Op.SUM_TO, _sum_to_examples()),
    Case("softmax", Op.SOFTMAX, _softmax_examples(False)),
    Case("log_softmax", Op.LOG_SOFTMAX, _softmax_examples(True)),
]


# ----------------------------------------------------------------------------------- linear algebra


@st.composite
def _dot_examples(draw: st.DrawFn) -> Example:
    a_nd, b_nd = draw(st.sampled_from([(1, 1), (2, 1), (1, 2), (2, 2)]))
    m, n, p = (draw(st.integers(1, 3)) for _ in range(3))
    a_shape = (n,) if a_nd == 1 else (m, n)
    b_shape = (n,) if b_nd == 1 else (n, p)
    return T.dot, [_floats(draw, a_shape, -2, 2), _floats(draw, b_shape, -2, 2)]


@st.composite
def _tensordot_examples(draw: st.DrawFn) -> Example:
    a_nd, b_nd = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    k = draw(st.integers(0, min(a_nd, b_nd, 2)))
    a_axes = draw(st.permutations(range(a_nd)))[:k]
    b_axes = draw(st.permutations(range(b_nd)))[:k]
    a_shape = [draw(st.integers(1, 3)) for _ in range(a_nd)]
    b_shape = [draw(st.integers(1, 3)) for _ in range(b_nd)]
    for i, j in zip(a_axes, b_axes):
        b_shape[j] = a_shape[i]
    axes = [list(a_axes), list(b_axes)]
    return (lambda a, b: T.tensordot(a, b, axes)), [_floats(draw, a_shape, -2, 2), _floats(draw, b_shape, -2, 2)]


@st.composite
def _batched_dot_examples(draw: st.DrawFn) -> Example:
    a_nd, b_nd = draw(st.sampled_from([(3, 3), (3, 2), (2, 3), (2, 2)]))
    batch, n, m, p = (draw(st.integers(1, 3)) for _ in range(4))
    a_shape = (batch, n, m) if a_nd == 3 else (batch, m)
    b_shape = (batch, m, p) if b_nd == 3 else (batch, m)
    return T.batched_dot, [_floats(draw, a_shape, -2, 2), _floats(draw, b_shape, -2, 2)]


LINALG_CASES = [
    Case("dot", Op.DOT, _dot_examples()),
    Case("tensordot", Op.TENSORDOT, _tensordot_examples()),
    Case("batched_dot", Op.BATCHED_DOT, _batched_dot_examples()),
]


# ----------------------------------------------------------------------------------- shapes


@st.composite
def _reshape_examples(draw: st.DrawFn) -> Example:
    shape = _shape(draw, max_dims=3)
    size = int(np.prod(shape))
    targets = [(size,), (1, size), (size, 1), tuple(reversed(shape)), (-1,), (*shape, 1)]
    target = draw(st.sampled_from(targets))
    return (lambda v: T.reshape(v, target)), [_floats(draw, shape, -3, 3)]


@st.composite
def _dimshuffle_examples(draw: st.DrawFn) -> Example:
    shape = _shape(draw, max_dims=3)
    ones = [i for i, n in enumerate(shape) if n == 1]
    dropped = set(draw(st.sets(st.sampled_from(ones)))) if ones else set()
    kept = draw(st.permutations([i for i in range(len(shape)) if i not in dropped]))
    order: list[int | str] = list(kept)
    for _ in range(draw(st.integers(0, 2))):
        order.insert(draw(st.integers(0, len(order))), "x")
    if order == list(range(len(shape))):  # the identity pattern builds no node
        order.append("x")
    return (lambda v: T.specify_shape(v, shape).dimshuffle(*order)), [_floats(draw, shape, -3, 3)]


@st.composite
def _specify_shape_examples(draw: st.DrawFn) -> Example:
    shape = _shape(draw, max_dims=3)
    spec = tuple(n if draw(st.booleans()) else None for n in shape)
    return (lambda v: T.specify_shape(v, spec)), [_floats(draw, shape, -3, 3)]


@st.composite
def _join_examples(draw: st.DrawFn) -> Example:
    shape = list(_shape(draw, min_dims=1, max_dims=3))
    axis = draw(st.integers(0, len(shape) - 1))
    parts = []
    for _ in range(draw(st.integers(2, 3))):
        s = list(shape)
        s[axis] = draw(st.integers(0, 3))
        parts.append(_floats(draw, s, -3, 3))
    return (lambda *xs: T.concatenate(list(xs), axis=axis)), parts


@st.composite
def _alloc_examples(draw: st.DrawFn) -> Example:
    shape = _shape(draw, max_dims=2)
    lead = [draw(st.integers(1, 3)) for _ in range(draw(st.integers(0, 2)))]
    target = lead + [draw(st.integers(1, 3)) if n == 1 else n for n in shape]
    return (lambda v: T.alloc(v, *target)), [_floats(draw, shape, -3, 3)]


@st.composite
def _make_vector_examples(draw: st.DrawFn) -> Example:
    n = draw(st.integers(1, 4))

    def fn(*xs: TensorVariable) -> TensorVariable:
        out = apply1(Op.MAKE_VECTOR, list(xs), DTypeParams(xs[0].dtype))
        assert isinstance(out, TensorVariable)
        return out

    return fn, [_floats(draw, (), -3, 3) for _ in range(n)]


SHAPE_CASES = [
    Case("reshape", Op.RESHAPE, _reshape_examples()),
    Case("dimshuffle", Op.DIMSHUFFLE, _dimshuffle_examples()),
    Case("specify_shape", Op.SPECIFY_SHAPE, _specify_shape_examples()),
    Case("join", Op.JOIN, _join_examples()),
    Case("alloc", Op.ALLOC, _alloc_examples()),
    Case("make_vector", Op.MAKE_VECTOR, _make_vector_examples()),
]


# ----------------------------------------------------------------------------------- indexing


@st.composite
def _index(draw: st.DrawFn, shape: Sequence[int]) -> tuple[object, ...]:
    """A numpy index for ``shape``: per axis a slice, an int, or an int array (duplicates allowed);
    sometimes a boolean mask over the first axis."""
    if draw(st.integers(0, 4)) == 0:
        mask = np.asarray(draw(hnp.arrays(np.bool_, (shape[0],))))
        return (mask,)
    items: list[object] = []
    arrays = 0
    for n in shape[: draw(st.integers(1, len(shape)))]:
        kind = draw(st.sampled_from(["slice", "int", "array"] if arrays == 0 else ["slice", "int"]))
        if kind == "slice":
            bound = st.one_of(st.none(), st.integers(-n - 1, n + 1))
            items.append(slice(draw(bound), draw(bound), draw(st.sampled_from([None, 1, 2, -1, -2]))))
        elif kind == "int":
            items.append(draw(st.integers(-n, n - 1)))
        else:
            arrays += 1
            items.append(_ints(draw, (draw(st.integers(1, 4)),), -n, n - 1))
    return tuple(items)


@st.composite
def _subtensor_examples(draw: st.DrawFn) -> Example:
    shape = _shape(draw, min_dims=1, max_dims=3)
    index = draw(_index(shape))
    return (lambda v: v[index]), [_floats(draw, shape, -3, 3)]


@st.composite
def _inc_subtensor_examples(draw: st.DrawFn) -> Example:
    shape = _shape(draw, min_dims=1, max_dims=3)
    index = draw(_index(shape))
    selected = np.empty(shape)[index].shape
    drop = draw(st.integers(0, len(selected)))
    y_shape = tuple(1 if draw(st.booleans()) else n for n in selected[drop:])
    set_ = draw(st.booleans())

    def fn(x: TensorVariable, y: TensorVariable) -> TensorVariable:
        return (T.set_subtensor if set_ else T.inc_subtensor)(x[index], y)

    return fn, [_floats(draw, shape, -3, 3), _floats(draw, y_shape, -3, 3)]


INDEX_CASES = [
    Case("subtensor", Op.SUBTENSOR, _subtensor_examples()),
    Case("inc_subtensor", Op.INC_SUBTENSOR, _inc_subtensor_examples()),
]


# ----------------------------------------------------------------------------------- control, casts


@st.composite
def _ifelse_examples(draw: st.DrawFn) -> Example:
    shape = _shape(draw)
    cond = np.asarray(draw(st.booleans()))
    pair = draw(st.booleans())

    def fn(c: TensorVariable, a: TensorVariable, b: TensorVariable) -> TensorVariable:
        if pair:  # two outputs per branch
            first, second = T.ifelse(c, [T.sin(a), a * b], [b * b, T.cos(a)])
            return first + second
        out = T.ifelse(c, T.sin(a) * b, b * b)
        assert isinstance(out, TensorVariable)
        return out

    return fn, [cond, _floats(draw, shape, -3, 3), _floats(draw, shape, -3, 3)]


@st.composite
def _print_examples(draw: st.DrawFn) -> Example:
    return (lambda v: Print("checked", attrs=("shape",))(v) * v), [_floats(draw, _shape(draw), -3, 3)]


@st.composite
def _arange_examples(draw: st.DrawFn) -> Example:
    # float arange: values start + i * step; stop is placed half a step past the last value, so
    # small moves of start and step keep the length
    start = _floats(draw, (), -2, 2)
    step = _away_from_zero(_floats(draw, (), -1, 1), 0.3)
    count = draw(st.integers(1, 4))
    stop = float(start + (count - 0.5) * step)
    return (lambda a, s: T.arange(a, stop, s) * 1.5), [start, step]


@st.composite
def _random_examples(draw: st.DrawFn) -> Example:
    # a draw is a deterministic function of its parameters for a fixed state (verify_grad does not
    # advance states): uniform = low + (high - low) * u, normal = avg + std * z, choice = a[index]
    from refspec.tensor.shared_randomstreams import RandomStreams

    streams = RandomStreams(draw(st.integers(0, 2**16)))
    size = _shape(draw, min_dims=1)
    kind = draw(st.sampled_from(["uniform", "normal", "choice"]))
    if kind == "uniform":
        lo = _floats(draw, (), -2, 0)
        return (lambda a, b: streams.uniform(size, low=a, high=b) * a), [lo, lo + 0.5 + _floats(draw, (), 0, 2)]
    if kind == "normal":
        return (lambda a, b: streams.normal(size, avg=a, std=b) * b), [_floats(draw, (), -2, 2),
                                                                        _floats(draw, (), 0.5, 2)]
    return (lambda a: streams.choice(size, a=a) * a[0]), [_floats(draw, (draw(st.integers(1, 4)),), -2, 2)]


RANDOM = next((op for op in Op if op.value == "random"), None)  # random streams (issue 4)

OTHER_CASES = [
    *([Case("random", RANDOM, _random_examples())] if RANDOM is not None else []),
    Case("cast", Op.CAST, _cast_examples()),
    Case("ifelse", Op.IFELSE, _ifelse_examples()),
    Case("print", Op.PRINT, _print_examples()),
    Case("arange", Op.ARANGE, _arange_examples()),
]

CASES = UNARY_CASES + BINARY_CASES + TERNARY_CASES + REDUCE_CASES + LINALG_CASES + SHAPE_CASES + INDEX_CASES + OTHER_CASES


# ----------------------------------------------------------------------------------- the checks


def _as_dtype(points: Sequence[Array], dtype: str) -> list[Array]:
    return [p.astype(dtype) if p.dtype.kind == "f" else p for p in points]


def _ops_in(fun: Fun, points: Sequence[Array]) -> set[Op]:
    inputs = [T.TensorType(p.dtype.name, shape=(None,) * p.ndim)() for p in points]
    return {node.op for node in toposort([fun(*inputs)])}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_verify_grad(case: Case, dtype: str) -> None:
    @SETTINGS
    @given(case.examples)
    def check(example: Example) -> None:
        fun, points = example
        points = _as_dtype(points, dtype)
        assert case.op in _ops_in(fun, points)
        rng = np.random.default_rng(1234)
        if case.order >= 2:
            verify_grad(fun, points, rng=rng, order=2, n_tests=1)
        else:
            verify_grad(fun, points, rng=rng, order=1, n_tests=1)
            with pytest.raises(NullTypeGradError):
                verify_grad(fun, points, rng=rng, order=2, n_tests=1, inner_product=False)

    check()


# ----------------------------------------------------------------------------------- exactly zero


def _zero_case(op: Op, fn: Fun, dtypes: Sequence[str] = ("float64",), lo: float = -3, hi: float = 3,
               ndim: int = 1) -> tuple[Op, Fun, Sequence[str], float, float, int]:
    return op, fn, dtypes, lo, hi, ndim


def _f(v: TensorVariable) -> TensorVariable:
    return T.cast(v, "float64")


ZERO_CASES = [
    _zero_case(Op.FLOOR, T.floor),
    _zero_case(Op.CEIL, T.ceil),
    _zero_case(Op.TRUNC, T.trunc),
    _zero_case(Op.ROUND_HALF_EVEN, T.round),
    _zero_case(Op.ROUND_HALF_AWAY, lambda x: T.round(x, mode="half_away_from_zero")),
    _zero_case(Op.SIGN, T.sign),
    _zero_case(Op.INVERT, lambda x: _f(T.invert(x)), ("int64", "int8", "bool")),
    _zero_case(Op.ISNAN, lambda x: _f(T.isnan(x))),
    _zero_case(Op.ISINF, lambda x: _f(T.isinf(x))),
    _zero_case(Op.INT_DIV, lambda x: T.int_div(x, 0.7) + x // 2, ("float64", "int64")),
    _zero_case(Op.LT, lambda x: _f(T.lt(x, 0.5))),
    _zero_case(Op.GT, lambda x: _f(T.gt(x, 0.5))),
    _zero_case(Op.LE, lambda x: _f(T.le(x, 0.5))),
    _zero_case(Op.GE, lambda x: _f(T.ge(x, 0.5))),
    _zero_case(Op.EQ, lambda x: _f(T.eq(x, x))),
    _zero_case(Op.NEQ, lambda x: _f(T.neq(x, 0.5))),
    _zero_case(Op.AND, lambda x: _f(T.and_(x, 6)), ("int64", "bool")),
    _zero_case(Op.OR, lambda x: _f(T.or_(x, 6)), ("int64", "bool")),
    _zero_case(Op.XOR, lambda x: _f(T.xor(x, 6)), ("int64", "bool")),
    _zero_case(Op.ALL, lambda x: _f(T.all(x))),
    _zero_case(Op.ANY, lambda x: _f(T.any(x, axis=0, keepdims=True))),
    _zero_case(Op.ARGMAX, lambda x: _f(T.argmax(x))),
    _zero_case(Op.ARGMIN, lambda x: _f(T.argmin(x, axis=0))),
    _zero_case(Op.SHAPE, lambda x: _f(T.shape(x))),
    _zero_case(Op.ARANGE, lambda n: _f(T.arange(n)), ("int64",), 0, 5, 0),
    _zero_case(Op.EYE, lambda n: _f(T.eye(n, n + 1)), ("int64",), 0, 4, 0),
]
ZERO_OPS = {case[0] for case in ZERO_CASES}


@pytest.mark.parametrize("case", ZERO_CASES, ids=lambda c: c[0].name.lower())
def test_gradient_exactly_zero(case: tuple[Op, Fun, Sequence[str], float, float, int]) -> None:
    op, fn, dtypes, lo, hi, ndim = case

    @budget(4)
    @given(st.sampled_from(list(dtypes)), st.data())
    def check(dtype: str, data: st.DataObject) -> None:
        shape = data.draw(hnp.array_shapes(min_dims=ndim, max_dims=ndim, min_side=1, max_side=3))
        if dtype == "bool":
            point = np.asarray(data.draw(hnp.arrays(np.bool_, shape)))
        elif dtype.startswith("int"):
            point = np.asarray(data.draw(hnp.arrays(dtype, shape, elements=st.integers(int(lo), int(hi)))))
        else:
            point = _floats(data.draw, shape, lo, hi).astype(dtype)
        x = T.TensorType(dtype, shape=(None,) * ndim)("x")
        out = fn(x)
        assert op in {node.op for node in toposort([out])}
        g = T.grad(T.sum(out * np.float64(1.7)), x)
        value = theano.function([x], g)(point)
        # the gradient is a float tensor (float64 for integer inputs), exactly zero, shaped like x
        assert value.dtype == (np.float64 if dtype != "float32" else np.float32)
        assert value.shape == point.shape and not np.any(value)
        # and forward mode agrees: the tangent is exactly zero
        if dtype.startswith("float"):
            t = theano.function([x], T.Rop(T.sum(out * np.float64(1.7)), x, T.ones_like(x)))(point)
            assert t == 0

    check()


# ----------------------------------------------------------------------------------- coverage


def test_rule_tables_cover_every_op() -> None:
    assert set(VJP) | NOT_DIFFERENTIABLE == set(Op)
    assert set(JVP) | NOT_DIFFERENTIABLE == set(Op)
    assert not set(VJP) & NOT_DIFFERENTIABLE and not set(JVP) & NOT_DIFFERENTIABLE


# rules checked by their own issue's tests: scan's gradients are scans (the scan issue's tests)
CHECKED_ELSEWHERE = {op for op in Op if op.value == "scan"}


def test_every_rule_is_exercised() -> None:
    checked = {case.op for case in CASES}
    missing = set(VJP) - checked - ZERO_OPS - {Op.PSI} - CHECKED_ELSEWHERE
    assert not missing, f"ops with a VJP rule but no verify_grad case: {sorted(o.name for o in missing)}"
    assert not checked & ZERO_OPS - {Op.ARANGE}  # float arange is differentiable, integer arange is zero


def test_psi_and_complex_parts_have_no_gradient() -> None:
    x = T.dvector("x")
    with pytest.raises(NullTypeGradError, match="psi"):
        T.grad(T.sum(T.psi(x)), x)
    for part in (T.real, T.imag, T.conj):
        z = x * np.complex128(1j) + x
        out = part(z)
        cost = T.sum(out if out.dtype == "float64" else T.real(out))
        with pytest.raises(NullTypeGradError):
            T.grad(cost, x)


# ----------------------------------------------------------------------------------- generated graphs


def _bounded(a: TensorVariable) -> TensorVariable:
    return T.log1p(T.sqr(a))


UNARY_BLOCKS: list[Fun] = [
    T.sin, T.cos, T.tanh, T.sigmoid, T.softplus, T.arctan, T.erf, _bounded,
    lambda a: T.sqrt(1 + a * a), lambda a: T.exp(T.tanh(a)), lambda a: -a, lambda a: a * a,
]
BINARY_BLOCKS: list[Fun] = [
    lambda a, b: a + b,
    lambda a, b: a - b,
    lambda a, b: a * b,
    lambda a, b: a / (1 + b * b),
    lambda a, b: T.arctan2(a, 2 + T.cos(b)),
    lambda a, b: (1 + a * a) ** T.tanh(b),
]
FINAL_BLOCKS: list[Callable[[TensorVariable], TensorVariable]] = [
    lambda a: a,
    lambda a: T.sum(a, axis=-1) if a.ndim else a,
    lambda a: T.softmax(a) if a.ndim else a,
    lambda a: T.mean(a),
]


@st.composite
def _graphs(draw: st.DrawFn) -> Example:
    n_inputs = draw(st.integers(1, 3))
    shapes = draw(hnp.mutually_broadcastable_shapes(num_shapes=n_inputs, min_dims=0, max_dims=2, max_side=3))
    steps: list[tuple[bool, int, int, int]] = []
    for k in range(draw(st.integers(3, 6))):
        pool = n_inputs + k
        steps.append((draw(st.booleans()), draw(st.integers(0, 100)), draw(st.integers(0, pool - 1)),
                      draw(st.integers(0, pool - 1))))
    final = draw(st.integers(0, len(FINAL_BLOCKS) - 1))

    def fn(*xs: TensorVariable) -> TensorVariable:
        pool = list(xs)
        for is_binary, which, i, j in steps:
            if is_binary:
                pool.append(BINARY_BLOCKS[which % len(BINARY_BLOCKS)](pool[i], pool[j]))
            else:
                pool.append(UNARY_BLOCKS[which % len(UNARY_BLOCKS)](pool[i]))
        # every input reaches the output
        total = pool[-1]
        for x in xs:
            total = total + T.tanh(x)
        return FINAL_BLOCKS[final](total)

    return fn, [_floats(draw, s, -2, 2) for s in shapes.input_shapes]


@pytest.mark.parametrize("dtype", DTYPES)
def test_generated_graphs(dtype: str) -> None:
    @budget(40)
    @given(_graphs())
    def check(example: Example) -> None:
        fun, points = example
        verify_grad(fun, _as_dtype(points, dtype), rng=np.random.default_rng(7), order=2, n_tests=1)

    check()
