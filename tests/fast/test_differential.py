"""Differential tests: the same graph run with ``mode="REFERENCE"`` and ``mode="FAST_RUN"``.

Every op (``refspec.ast.Op``, with a coverage assertion) is built on hypothesis-drawn dtypes, shapes
and values, with its operands drawn as inputs, constants (so constant folding runs), shared
variables, or wrapped in exact no-ops (``x * 1``, ``--x``) that canonicalization removes. Both paths
must agree on each output's value, dtype and shape, on every shared value after the call, and on
errors (the same exception class, with no shared variable changed). Values are compared bit for bit
unless a declared refinement (a ``STABILIZE`` rule) fired; then with the tolerance of
spec/numerics.md ("Differential checks"). Also: updates, givens, ifelse, scan, random draws, errors,
and the seed notes' programs.
"""

from __future__ import annotations

import functools
import itertools
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from tests.budget import budget
from tests.interp.strategies import ALL, REAL, arrays, elements, shapes

import refspec as theano
import refspec.tensor as T
from refspec import In, ast
from refspec.ast import Op, Variable
from refspec.ifelse import ifelse
from refspec.ops import OPS, REAL_ONLY, apply1, make_node
from refspec.params import NO_PARAMS, CastParams, Params
from refspec.scan_module import until
from refspec.diffcheck.paths import Outcome, assert_agree, run_path
from refspec.tensor.shared_randomstreams import RandomStreams

from . import STABILIZE_RULES, Array, assert_refined, assert_same_bits, run_both

SETTINGS = settings(budget(60), suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
MODES = ("REFERENCE", "FAST_RUN")


# -- drawing graphs ----------------------------------------------------------------------------------

FORMS = ("input", "input", "constant", "shared", "times_one", "neg_neg", "times_ones_like")


class Graph:
    """Collects the inputs and input values of a graph being drawn."""

    def __init__(self, data: st.DataObject, forms: Sequence[str] = FORMS):
        self.data = data
        self.forms = forms
        self.inputs: list[Variable] = []
        self.values: list[Array] = []
        self.updates: Any = None  # updates a builder returns (scan's shared variables and random states)

    def draw(self, strategy: st.SearchStrategy[Any], label: str | None = None) -> Any:
        return self.data.draw(strategy, label=label)

    def value(self, dtype: str, shape: Sequence[int], elems: st.SearchStrategy[Any] | None = None,
              wild: bool | None = None) -> Array:
        if elems is None:
            wild = self.draw(st.booleans(), label="wild") if wild is None else wild
            elems = elements(dtype, special=True) if wild else elements(dtype, -8, 8)
        return np.asarray(self.draw(arrays(dtype, shape, elems), label=f"{dtype}{list(shape)}"))

    def input(self, dtype: str, shape: Sequence[int], value: Array | None = None,
              exact: bool | None = None) -> Any:
        """A symbolic input (static shape exact or unknown) bound to ``value``."""
        if value is None:
            value = self.value(dtype, shape)
        if exact is None:
            exact = self.draw(st.booleans(), label="exact shape")
        x = T.tensor(dtype, shape=tuple(shape) if exact else (None,) * len(shape))
        self.inputs.append(x)
        self.values.append(value)
        return x

    def leaf(self, dtype: str, shape: Sequence[int], value: Array | None = None,
             elems: st.SearchStrategy[Any] | None = None, forms: Sequence[str] | None = None) -> Any:
        """An operand: an input, a constant, a shared variable, ``x * 1`` or ``--x``."""
        if value is None:
            value = self.value(dtype, shape, elems)
        options = [f for f in (forms or self.forms) if not (f == "neg_neg" and dtype == "bool")]
        form = self.draw(st.sampled_from(options), label="form")
        if form == "constant":
            return T.constant(value, dtype=dtype)
        if form == "shared":
            return theano.shared(value)
        x = self.input(dtype, shape, value)
        if form == "times_one":
            return x * T.constant(np.ones((), dtype=dtype))
        if form == "neg_neg":
            return -(-x)
        if form == "times_ones_like":
            return x * T.ones_like(x)
        return x

    def run(self, outputs: Sequence[Variable], updates: Any = None, givens: Any = None,
            calls: int = 1) -> tuple[Outcome, Outcome]:
        return run_both(self.inputs, outputs, self.values, updates, givens, calls)


# -- elementwise ops: every dtype combination the op accepts ----------------------------------------

def op_id(op: object) -> str:
    return op.value if isinstance(op, Op) else str(op)


def _params(op: Op, target: str) -> Params:
    return CastParams(target) if op is Op.CAST else NO_PARAMS


@functools.cache
def accepted(op: Op, target: str) -> list[tuple[str, ...]]:
    arity = OPS[op].arity
    assert arity is not None
    combos = []
    for dtypes in itertools.product(ALL, repeat=arity):
        try:
            make_node(op, [T.tensor(d, shape=(None,)) for d in dtypes], _params(op, target))
        except (TypeError, ValueError):
            continue
        combos.append(dtypes)
    return combos


def _operand_elements(op: Op, i: int, dtype: str, out_dtype: str, wild: bool) -> st.SearchStrategy[Any]:
    integer = np.dtype(out_dtype).kind in "biu"
    if op in (Op.INT_DIV, Op.MOD) and i == 1 and integer and not wild:
        return elements(dtype, -8, 8, nonzero=True)  # zero divisors: see test_errors
    if op is Op.POW and i == 1 and integer and not wild:
        return elements(dtype, 0, 5)
    return elements(dtype, special=True) if wild else elements(dtype, -8, 8)


@pytest.mark.parametrize("op", sorted(ast.ELEMENTWISE, key=op_id), ids=op_id)
@SETTINGS
@given(data=st.data())
def test_elementwise(op: Op, data: st.DataObject) -> None:
    g = Graph(data)
    target = g.draw(st.sampled_from(ALL), label="cast to") if op is Op.CAST else ""
    dtypes = g.draw(st.sampled_from(accepted(op, target)), label="dtypes")
    arity = len(dtypes)
    probe = make_node(op, [T.tensor(d, shape=(None,)) for d in dtypes], _params(op, target))
    out_dtype = probe.outputs[0].dtype
    bshapes = g.draw(hnp.mutually_broadcastable_shapes(num_shapes=arity, max_dims=3, max_side=3), label="shapes")
    wild = g.draw(st.booleans(), label="wild")
    operands = [
        g.leaf(d, s, elems=_operand_elements(op, i, d, out_dtype, wild))
        for i, (d, s) in enumerate(zip(dtypes, bshapes.input_shapes))
    ]
    out = apply1(op, operands, _params(op, target))
    g.run([out], calls=2)


# -- every other op ------------------------------------------------------------------------------------

Builder = Callable[..., list[Variable]]  # (graph) or (graph, op=)
BUILDERS: dict[Op, Builder] = {}


def builds(*ops: Op) -> Callable[[Builder], Builder]:
    def register(fn: Builder) -> Builder:
        for op in ops:
            BUILDERS[op] = functools.partial(fn, op=op) if len(ops) > 1 else fn
        return fn

    return register


REDUCERS: dict[Op, Callable[..., Any]] = {
    Op.SUM: T.sum, Op.PROD: T.prod, Op.MAX: T.max, Op.MIN: T.min, Op.ALL: T.all, Op.ANY: T.any,
    Op.ARGMAX: T.argmax, Op.ARGMIN: T.argmin,
}


@builds(*REDUCERS)
def build_reduce(g: Graph, op: Op) -> list[Variable]:
    dtype = g.draw(st.sampled_from(REAL if op in REAL_ONLY else ALL), label="dtype")
    shape = g.draw(shapes(max_dims=3, max_side=3), label="shape")
    ndim = len(shape)
    axis: Any = None
    if ndim and g.draw(st.booleans(), label="with axis"):
        axis = g.draw(st.integers(-ndim, ndim - 1), label="axis")
        if op not in (Op.ARGMAX, Op.ARGMIN) and g.draw(st.booleans(), label="axes"):
            axis = sorted(set(g.draw(st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim))))
    x = g.leaf(dtype, shape)
    return [REDUCERS[op](x, axis=axis, keepdims=g.draw(st.booleans(), label="keepdims"))]


@builds(Op.SUM_TO)
def build_sum_to(g: Graph) -> list[Variable]:
    dtype = g.draw(st.sampled_from(ALL), label="dtype")
    target = g.draw(shapes(max_dims=2, max_side=3), label="target")
    lead = g.draw(shapes(max_dims=1, max_side=2), label="leading")
    gshape = lead + tuple(g.draw(st.integers(1, 3)) if t == 1 else t for t in target)
    x = g.leaf(dtype, gshape)
    if g.draw(st.booleans(), label="symbolic target"):
        model = g.leaf(dtype, target)
        return [T.sum_to(x, T.shape(model))]
    return [T.sum_to(x, target)]


@builds(Op.SOFTMAX, Op.LOG_SOFTMAX)
def build_softmax(g: Graph, op: Op) -> list[Variable]:
    dtype = g.draw(st.sampled_from(REAL), label="dtype")
    shape = g.draw(shapes(max_dims=3, min_side=1, max_side=3), label="shape")
    axis = g.draw(st.integers(-max(len(shape), 1), max(len(shape), 1) - 1), label="axis")
    x = g.leaf(dtype, shape)
    api = T.nnet.softmax if op is Op.SOFTMAX else T.nnet.log_softmax
    return [api(x, axis=axis)]


@builds(Op.DOT)
def build_dot(g: Graph) -> list[Variable]:
    da, db = g.draw(st.sampled_from(ALL), label="a"), g.draw(st.sampled_from(ALL), label="b")
    na, nb, n = g.draw(st.integers(1, 2)), g.draw(st.integers(1, 2)), g.draw(st.integers(0, 3))
    sa = tuple(g.draw(st.integers(0, 3)) for _ in range(na - 1)) + (n,)
    sb = (n,) + tuple(g.draw(st.integers(0, 3)) for _ in range(nb - 1))
    return [T.dot(g.leaf(da, sa), g.leaf(db, sb))]


@builds(Op.TENSORDOT)
def build_tensordot(g: Graph) -> list[Variable]:
    dtype = g.draw(st.sampled_from(ALL), label="dtype")
    sa = g.draw(shapes(max_dims=3, max_side=3), label="a shape")
    k = g.draw(st.integers(0, len(sa)), label="k")
    sb = sa[len(sa) - k:] + g.draw(shapes(max_dims=2, max_side=3), label="b rest")
    return [T.tensordot(g.leaf(dtype, sa), g.leaf(dtype, sb), k)]


@builds(Op.BATCHED_DOT)
def build_batched_dot(g: Graph) -> list[Variable]:
    dtype = g.draw(st.sampled_from(ALL), label="dtype")
    batch, m, n, k = (g.draw(st.integers(0, 3)) for _ in range(4))
    sa = (batch, m, n) if g.draw(st.booleans()) else (batch, n)
    sb = (batch, n, k) if g.draw(st.booleans()) else (batch, n)
    return [T.batched_dot(g.leaf(dtype, sa), g.leaf(dtype, sb))]


@builds(Op.SHAPE)
def build_shape(g: Graph) -> list[Variable]:
    shape = g.draw(shapes(max_dims=3), label="shape")
    x = g.leaf(g.draw(st.sampled_from(ALL)), shape)
    dims = [x.shape[i] for i in range(len(shape))]
    return [T.shape(x), *dims, T.prod(T.shape(x)) * 2]


def _factor(n: int, parts: int) -> st.SearchStrategy[tuple[int, ...]]:
    divisors = [d for d in range(1, n + 1) if n % d == 0]
    if parts == 1:
        return st.just((n,))
    return st.sampled_from(divisors).flatmap(lambda d: _factor(n // d, parts - 1).map(lambda r: (d,) + r))


@builds(Op.RESHAPE)
def build_reshape(g: Graph) -> list[Variable]:
    shape = g.draw(shapes(max_dims=3, min_side=1, max_side=3), label="shape")
    size = int(np.prod(shape))
    target = list(g.draw(_factor(size, g.draw(st.integers(1, 3))), label="target"))
    if g.draw(st.booleans(), label="with -1"):
        target[g.draw(st.integers(0, len(target) - 1))] = -1
    x = g.leaf(g.draw(st.sampled_from(ALL)), shape)
    if g.draw(st.booleans(), label="symbolic dims"):
        return [T.reshape(x, [g.leaf("int64", (), np.array(t)) for t in target])]
    if shape and g.draw(st.booleans(), label="wrong size"):  # a run-time error on both paths
        x = g.input(x.dtype, shape, exact=False)
        target = [t + 1 if t > 0 else t for t in target]
    return [T.reshape(x, target)]


@builds(Op.DIMSHUFFLE)
def build_dimshuffle(g: Graph) -> list[Variable]:
    shape = g.draw(shapes(max_dims=3, max_side=2), label="shape")
    x = g.leaf(g.draw(st.sampled_from(ALL)), shape, forms=("constant", "shared", "times_one"))
    x = T.specify_shape(x, shape)  # static lengths, so length-1 axes may be dropped

    def shuffle(v: Any) -> Any:
        ones = [i for i in range(v.ndim) if v.type.shape[i] == 1]
        dropped = g.draw(st.lists(st.sampled_from(ones), unique=True), label="dropped") if ones else []
        order: list[Any] = list(g.draw(st.permutations([i for i in range(v.ndim) if i not in dropped])))
        for _ in range(g.draw(st.integers(0, 2), label="new axes")):
            order.insert(g.draw(st.integers(0, len(order))), "x")
        if order == list(range(v.ndim)):
            order.append("x")  # the identity builds no node
        return v.dimshuffle(*order)

    once = shuffle(x)
    return [once, shuffle(once)]  # twice: the composition rule


@builds(Op.SPECIFY_SHAPE)
def build_specify_shape(g: Graph) -> list[Variable]:
    shape = g.draw(shapes(max_dims=3), label="shape")
    spec = tuple(n if g.draw(st.booleans()) else None for n in shape)
    if any(s is not None for s in spec) and g.draw(st.booleans(), label="mismatch"):
        i = next(i for i, s in enumerate(spec) if s is not None)
        spec = spec[:i] + (shape[i] + 1,) + spec[i + 1:]  # a run-time error on both paths
    x = g.input(g.draw(st.sampled_from(ALL)), shape, exact=False)
    if g.draw(st.booleans(), label="times one"):
        x = x * T.constant(np.ones((), dtype=x.dtype))
    return [T.specify_shape(x, spec) * 1]


@builds(Op.JOIN)
def build_join(g: Graph) -> list[Variable]:
    base = g.draw(shapes(min_dims=1, max_dims=3, max_side=3), label="base")
    axis = g.draw(st.integers(-len(base), len(base) - 1), label="axis")
    parts = []
    for _ in range(g.draw(st.integers(2, 3), label="count")):
        s = list(base)
        s[axis] = g.draw(st.integers(0, 3))
        parts.append(g.leaf(g.draw(st.sampled_from(ALL)), s))
    return [T.concatenate(parts, axis=axis)]


@builds(Op.ALLOC)
def build_alloc(g: Graph) -> list[Variable]:
    dtype = g.draw(st.sampled_from(ALL), label="dtype")
    shape = g.draw(shapes(max_dims=3, max_side=3), label="shape")
    vshape = g.draw(st.integers(0, len(shape)).map(lambda k: shape[k:]), label="value shape")
    v = g.leaf(dtype, vshape)
    dims = [n if g.draw(st.booleans()) else g.leaf("int64", (), np.array(n)) for n in shape]
    return [T.alloc(v, *dims), T.zeros(shape, dtype=dtype) + v]


@builds(Op.ARANGE)
def build_arange(g: Graph) -> list[Variable]:
    start, stop = g.draw(st.integers(-6, 6)), g.draw(st.integers(-6, 6))
    step = g.draw(st.sampled_from([-3, -1, 1, 2]))
    dtype = g.draw(st.sampled_from(("int8", "int32", "int64")))
    parts = [g.leaf(dtype, (), np.array(p, dtype=dtype), forms=("input", "constant")) for p in (start, stop, step)]
    return [T.arange(*parts)]


@builds(Op.EYE)
def build_eye(g: Graph) -> list[Variable]:
    n, m, k = (g.leaf("int64", (), np.array(g.draw(st.integers(lo, 4))), forms=("input", "constant"))
               for lo in (0, 0, -4))
    return [T.eye(n, m, k, dtype=g.draw(st.sampled_from(ALL), label="dtype"))]


@builds(Op.MAKE_VECTOR)
def build_make_vector(g: Graph) -> list[Variable]:
    x = g.leaf(g.draw(st.sampled_from(ALL)), g.draw(shapes(min_dims=2, max_dims=2, min_side=1, max_side=3)))
    return [T.reshape(x, [x.shape[1], x.shape[0]]), T.stack([x.shape[0], x.shape[1] * 2])]


def _index(g: Graph, shape: Sequence[int]) -> tuple[Any, ...]:
    """An index into ``shape``: slices (constant or symbolic bounds), integers, or an int vector."""
    index: list[Any] = []
    for axis, n in enumerate(shape[:2]):
        kind = g.draw(st.sampled_from(("slice", "int", "sym int", "vector", "all")), label=f"index {axis}")
        if kind == "slice":
            index.append(slice(g.draw(st.integers(-4, 4) | st.none()), g.draw(st.integers(-4, 4) | st.none()),
                               g.draw(st.sampled_from([None, 1, 2, -1]))))
        elif kind in ("int", "sym int") and n > 0:
            i = g.draw(st.integers(-n, n - 1))
            index.append(i if kind == "int" else g.leaf("int64", (), np.array(i), forms=("input", "constant")))
        elif kind == "vector" and n > 0:
            idx = g.draw(hnp.arrays(np.int64, g.draw(st.integers(0, 4)), elements=st.integers(-n, n - 1)))
            index.append(g.leaf("int64", idx.shape, idx, forms=("input", "constant")))
            break  # one advanced index
        else:
            index.append(slice(None))
    return tuple(index)


@builds(Op.SUBTENSOR)
def build_subtensor(g: Graph) -> list[Variable]:
    shape = g.draw(shapes(min_dims=1, max_dims=3, max_side=4), label="shape")
    x = g.leaf(g.draw(st.sampled_from(ALL)), shape)
    return [x[_index(g, shape)]]


@builds(Op.INC_SUBTENSOR)
def build_inc_subtensor(g: Graph) -> list[Variable]:
    dtype = g.draw(st.sampled_from(ALL), label="dtype")
    shape = g.draw(shapes(min_dims=1, max_dims=3, max_side=4), label="shape")
    x = g.leaf(dtype, shape)
    part = x[_index(g, shape)]
    target_shape = _static_or_probe(part, g)
    y = g.leaf(dtype, target_shape[g.draw(st.integers(0, len(target_shape))):])  # broadcasts
    api = T.set_subtensor if g.draw(st.booleans(), label="set") else T.inc_subtensor
    return [api(part, y)]


def _static_or_probe(v: Any, g: Graph) -> tuple[int, ...]:
    """The run-time shape of ``v`` (evaluated on the reference with the drawn input values)."""
    f = theano.function(g.inputs, v, mode="REFERENCE", on_unused_input="ignore")
    return tuple(f(*g.values).shape)


@builds(Op.IFELSE)
def build_ifelse(g: Graph) -> list[Variable]:
    a = g.leaf("int64", (3,))
    zero = g.leaf("int64", (3,), np.zeros(3, dtype=np.int64), forms=("input", "constant"))
    cond = g.leaf("bool", (), forms=("input", "constant"))
    risky = a // zero  # raises only if evaluated: the untaken branch is never evaluated
    then, other = (risky, a * 2) if g.draw(st.booleans(), label="risky first") else (a * 2, risky)
    return [ifelse(cond, then, other), ifelse(cond, a * 1, -(-a))]


SCAN_KINDS = ("cumsum", "taps", "shared", "random", "ifelse", "until", "backwards", "nested")


@builds(Op.SCAN)
def build_scan(g: Graph) -> list[Variable]:
    """A loop of a drawn kind; each kind exercises one feature of the step (generated on the fast
    path, or run by the reference evaluator when it has an ifelse)."""
    kind = g.draw(st.sampled_from(SCAN_KINDS), label="kind")
    dtype = g.draw(st.sampled_from(("int32", "float32", "float64")), label="dtype")
    n = g.draw(st.integers(0, 4), label="steps")
    seq = g.leaf(dtype, (n, 2), forms=("input", "shared", "constant"))
    init = g.leaf(dtype, (2,))
    updates: Any = None
    if kind == "cumsum":
        outs, updates = theano.scan(lambda s, acc: acc * 1 + s, sequences=seq, outputs_info=init)
    elif kind == "taps":
        start = g.leaf(dtype, (2, 2))
        outs, updates = theano.scan(lambda s, a, b: a + b - s, sequences=seq,
                                    outputs_info=dict(initial=start, taps=[-2, -1]))
    elif kind == "shared":
        counter = theano.shared(np.zeros(2, dtype=dtype), name="counter")
        outs, updates = theano.scan(lambda s: (s * 2, {counter: counter + s}), sequences=seq)
    elif kind == "random":
        srng = RandomStreams(seed=g.draw(st.integers(0, 99), label="seed"))
        outs, updates = theano.scan(lambda s: T.cast(s, "float64") + srng.uniform((2,)), sequences=seq)
    elif kind == "ifelse":
        d = g.leaf("int32", (), forms=("input", "constant"))
        printed = theano.printing.Print("untaken")

        def step(s: Any, acc: Any) -> Any:  # the division by d and the print only when d != 0
            divided = printed(s) // T.cast(d, dtype) if dtype == "int32" else printed(s) / d
            taken = acc + T.cast(divided, dtype)
            return ifelse(T.eq(d, 0), acc + s, taken)

        outs, updates = theano.scan(step, sequences=seq, outputs_info=init)
    elif kind == "until":
        outs, updates = theano.scan(lambda s, acc: (acc + s, until(T.sum(acc + s) > 3)), sequences=seq,
                                    outputs_info=init)
    elif kind == "backwards":
        outs, updates = theano.scan(lambda s, acc: acc - s, sequences=seq, outputs_info=init, go_backwards=True)
    else:
        def outer(s: Any, acc: Any) -> Any:
            inner, _ = theano.scan(lambda a, b: a + b * 1, sequences=s, outputs_info=T.zeros((), dtype=dtype))
            return acc + inner[-1]

        outs, updates = theano.scan(outer, sequences=seq, outputs_info=T.zeros((), dtype=dtype))
    g.updates = updates or None
    return [outs, T.sum(outs)]


@builds(Op.PRINT)
def build_print(g: Graph) -> list[Variable]:
    x = g.leaf(g.draw(st.sampled_from(REAL)), g.draw(shapes(max_dims=2, max_side=3)))
    p = theano.printing.Print("value")
    # two equal Print nodes both print; a printed constant is not folded away
    return [p(x) * 1, p(x), theano.printing.Print("constant")(T.constant(np.arange(3)))]


@builds(Op.RANDOM)
def build_random(g: Graph) -> list[Variable]:
    srng = RandomStreams(seed=g.draw(st.integers(0, 2**16), label="seed"))
    size = g.draw(shapes(max_dims=2, max_side=3), label="size")
    kind = g.draw(st.sampled_from(("uniform", "normal", "binomial", "integers", "twice")), label="kind")
    if kind == "uniform":
        rv = srng.uniform(size, low=g.leaf("float64", (), np.array(-1.0), forms=("input", "constant")), high=2.0)
    elif kind == "normal":
        rv = srng.normal(size, avg=1.0, std=2.0, dtype=g.draw(st.sampled_from(("float32", "float64"))))
    elif kind == "binomial":
        rv = srng.binomial(size, n=3, p=0.25)
    elif kind == "integers":
        rv = srng.integers(size, 0, 10)
    else:
        u = srng.uniform(size)
        rv = u + u - 2 * u  # one draw per call: exactly 0
    return [rv, rv * 1]


def test_every_op_is_covered() -> None:
    covered = set(ast.ELEMENTWISE) | set(BUILDERS)
    assert covered == set(Op), f"ops without a differential test: {sorted(o.name for o in set(Op) - covered)}"


@pytest.mark.parametrize("op", sorted(BUILDERS, key=op_id), ids=op_id)
@SETTINGS
@given(data=st.data())
def test_op(op: Op, data: st.DataObject) -> None:
    g = Graph(data)
    outputs = BUILDERS[op](g)
    assert op in {node.op for node in ast.toposort(outputs)}
    g.run(outputs, updates=g.updates, calls=2)  # states advance between calls; outputs must survive them


# -- composed graphs: random expression trees, large fused chains ------------------------------------

UNARY_API: list[Callable[[Any], Any]] = [
    T.exp, T.log, T.log1p, T.expm1, T.tanh, T.sigmoid, T.softplus, T.neg, T.abs, T.sqr, T.sqrt, T.sin,
    lambda e: e * 1, lambda e: -(-e), lambda e: 1 - e, lambda e: 1 + e, lambda e: e - 0,
    lambda e: T.sum(e, keepdims=True) + e,
    lambda e: e.dimshuffle("x", *range(e.ndim)).dimshuffle(*range(1, e.ndim + 1)),
]
BINARY_API: list[Callable[[Any, Any], Any]] = [
    T.add, T.sub, T.mul, T.true_div, T.maximum, T.minimum, lambda a, b: T.switch(a > b, a, b * 2),
    lambda a, b: T.fill(a, b), lambda a, b: T.sum_to(a * b, T.shape(a)),
]


def _tree(g: Graph, leaves: list[Any], depth: int) -> Any:
    kind = g.draw(st.sampled_from(("leaf", "unary", "binary", "binary")) if depth else st.just("leaf"))
    if kind == "leaf":
        return g.draw(st.sampled_from(leaves), label="leaf")
    if kind == "unary":
        return g.draw(st.sampled_from(UNARY_API), label="unary")(_tree(g, leaves, depth - 1))
    fn = g.draw(st.sampled_from(BINARY_API), label="binary")
    return fn(_tree(g, leaves, depth - 1), _tree(g, leaves, depth - 1))


@settings(budget(120), suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_expression_trees(data: st.DataObject) -> None:
    """Random compositions (shared subtrees, exact no-ops, shape bookkeeping) agree bit for bit; a
    tree the stabilizer refined is compared on dtypes, shapes and errors only (its values are the
    rewrite's, checked rule by rule in test_rewrites.py: downstream cancellation can amplify the
    reference's own rounding far beyond any fixed tolerance)."""
    g = Graph(data, forms=("input", "input", "shared", "constant"))
    dtype = g.draw(st.sampled_from(("float32", "float64")), label="dtype")
    n = g.draw(st.integers(0, 4), label="n")
    leaves = [g.leaf(dtype, (n,)) for _ in range(g.draw(st.integers(1, 3), label="leaves"))]
    leaves.append(g.leaf(dtype, ()))
    outputs = [_tree(g, leaves, 4) for _ in range(g.draw(st.integers(1, 3), label="outputs"))]
    ref, fast = (run_path(mode, g.inputs, outputs, g.values, calls=2) for mode in MODES)
    if not fast.refined:
        assert_agree(ref, fast)
        return
    assert fast.error is ref.error
    for r, f in zip(ref.values or [], fast.values or []):
        assert (r.dtype, r.shape) == (f.dtype, f.shape)


CHAIN_UNARY: list[Callable[[Any], Any]] = [T.exp, T.tanh, T.neg, T.abs, T.log1p, T.sqrt, T.sin, T.sigmoid,
                                            lambda e: e * e, lambda e: e / 2, lambda e: 1 + e]


@settings(budget(12), suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_large_fused_chains(data: st.DataObject) -> None:
    """Elementwise chains on arrays large enough for the blocked (and threaded) fused kernels: the
    same bits as the reference, NaN/inf included, and no floating-point warning (the reference
    gives IEEE values silently; warnings here are errors)."""
    size = data.draw(st.sampled_from([70_000, 70_000, 300_001, 1_100_000]), label="size")
    dtype = data.draw(st.sampled_from(("float32", "float64", "int32")), label="dtype")
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="seed"))
    values = (rng.normal(size=size) * 50).astype(dtype)
    if dtype != "int32":
        values[rng.integers(0, size, 20)] = rng.choice([np.nan, np.inf, -np.inf, -0.0], 20)
    x = T.tensor(dtype, shape=(None,), name="x")
    y = T.tensor(dtype, shape=(None,), name="y")
    c = T.tensor(dtype, shape=(), name="c")
    e: Any = x
    for _ in range(data.draw(st.integers(2, 7), label="length")):
        if data.draw(st.booleans(), label="binary"):
            other = data.draw(st.sampled_from([y, c, x]), label="other")
            e = data.draw(st.sampled_from([T.add, T.mul, T.sub, T.maximum]), label="op")(e, other)
        else:
            e = data.draw(st.sampled_from(CHAIN_UNARY), label="unary")(e)
    args = [values, values[::-1].copy(), np.array(3, dtype=dtype)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        run_both([x, y, c], [e, e * 1], args)


def test_outputs_are_not_overwritten_by_later_calls() -> None:
    """Each call's outputs are the caller's: a later call (which may reuse buffers) and mutating a
    returned array change neither earlier outputs nor shared or stored values."""
    observed: dict[str, list[Array]] = {}
    for mode in MODES:
        s = theano.shared(np.arange(4.0), name="s")
        x = T.dvector("x")
        acc = T.dvector("acc")
        f = theano.function([x, In(acc, value=np.zeros(4), update=acc + x, name="acc")],
                            [s, x, x * 1, s * 1, s + x, T.exp(x) + s, acc], updates=[(s, s * 2 + x)], mode=mode)
        first = f(np.full(4, 1.0))
        snapshot = [np.array(o, copy=True) for o in first]
        second = f(np.full(4, 2.0))
        for o in second:
            o[...] = -99.0  # the caller's own arrays
        third = f(np.full(4, 3.0))
        for a, b in zip(first, snapshot):
            assert_same_bits(b, a)  # untouched by the later calls
        stored = f["acc"]
        assert stored is not None
        observed[mode] = [*first, *third, s.get_value(), stored]
    for ref_value, fast_value in zip(observed["REFERENCE"], observed["FAST_RUN"]):
        assert_same_bits(ref_value, fast_value)


# -- updates, givens, errors ---------------------------------------------------------------------------

@SETTINGS
@given(data=st.data())
def test_updates_of_shared_variables(data: st.DataObject) -> None:
    """Updates computed from pre-call values, committed together (a swap), over several calls."""
    g = Graph(data)
    dtype = g.draw(st.sampled_from(("int64", "float32", "float64")), label="dtype")
    shape = g.draw(shapes(max_dims=2, max_side=3), label="shape")
    a = theano.shared(g.value(dtype, shape, wild=False), name="a")
    b = theano.shared(g.value(dtype, shape, wild=False), name="b")
    x = g.input(dtype, shape, g.value(dtype, shape, wild=False))
    updates = [(a, b * 1), (b, a + x)] if g.draw(st.booleans(), label="swap") else [(a, a - x), (b, -(-b))]
    g.run([a + b, x * 1], updates=updates, calls=3)


@SETTINGS
@given(data=st.data())
def test_givens(data: st.DataObject) -> None:
    g = Graph(data)
    dtype = g.draw(st.sampled_from(("int32", "float64")), label="dtype")
    x, y = T.tensor(dtype, shape=(None,)), T.tensor(dtype, shape=(None,))
    s = theano.shared(g.value(dtype, (3,), wild=False), name="s")
    c = g.input(dtype, (3,), g.value(dtype, (3,), wild=False))
    givens = [(x, c * 10), (y, T.constant(np.arange(3, dtype=dtype)))]
    if g.draw(st.booleans(), label="replace shared"):
        givens.append((s, c + 1))
    g.run([x * 2 + y, s * x], givens=givens)


ERROR_CASES = ["int_div_by_zero", "mod_by_zero", "shape_mismatch", "shape_of_a_mismatch", "specify_shape",
               "negative_power", "index_out_of_range", "update_does_not_fit"]


@pytest.mark.parametrize("case", ERROR_CASES)
def test_errors(case: str) -> None:
    """The same exception class on both paths, and no shared variable changed by a failing call."""
    s = theano.shared(np.arange(3, dtype=np.int64), name="s")
    t = theano.shared(np.arange(3, dtype=np.int64), name="t", shape=(3,))
    x, y = T.lvector("x"), T.lvector("y")
    x3 = T.tensor("int64", shape=(3,), name="x3")
    updates = [(s, s + 1), (t, t * 2)]
    values = [np.array([1, 2, 3]), np.array([1, 0, 2])]
    if case == "int_div_by_zero":
        out = x // y
    elif case == "mod_by_zero":
        out = (x % T.constant(np.array([1, 0, 1]))) * 1
    elif case == "shape_mismatch":
        out = x + y
        values[1] = np.array([1, 2])
    elif case == "shape_of_a_mismatch":  # x3's static length must not hide the mismatch
        out = T.shape(x3 + y) * 1
        values[1] = np.array([1, 2])
    elif case == "specify_shape":
        out = T.specify_shape(x, (4,)) * 1
    elif case == "negative_power":
        out = x ** (y - 5)
    elif case == "index_out_of_range":
        out = x[y + 5]
    else:
        out = x * 1
        updates = [(s, s + 1), (t, t[: y[0] + 1])]  # t keeps length 3: a length-2 value does not fit
    ref, fast = run_both([x3 if case == "shape_of_a_mismatch" else x, y], [out], values, updates=updates)
    assert ref.error is not None and ref.error is fast.error
    np.testing.assert_array_equal(s.get_value(), [0, 1, 2])
    np.testing.assert_array_equal(t.get_value(), [0, 1, 2])


def test_errors_from_folded_constants_stay_run_time_errors() -> None:
    """int_div of constants by zero is not folded: the call raises, lazily under ifelse."""
    s = theano.shared(np.int64(7), name="s")
    bad = T.constant(np.array([1, 2])) // T.constant(np.array([1, 0]))
    cond = T.bscalar("cond")
    for mode in MODES:
        f = theano.function([], bad, mode=mode, updates=[(s, s + 1)])
        with pytest.raises(ZeroDivisionError):
            f()
        assert s.get_value() == 7
        lazy = theano.function([cond], ifelse(cond, bad, T.constant(np.array([5, 5]))), mode=mode)
        np.testing.assert_array_equal(lazy(0), [5, 5])
        with pytest.raises(ZeroDivisionError):
            lazy(1)


# -- the seed notes' programs ------------------------------------------------------------------------

class Trace:
    """Compiles a seed program's functions in one mode and records what a user would observe."""

    def __init__(self, mode: str):
        self.mode = mode
        self.observed: list[Array] = []
        self.refined = False

    def function(self, *args: Any, **kwargs: Any) -> Callable[..., Any]:
        f = theano.function(*args, mode=self.mode, **kwargs)  # type: ignore[misc]
        if f._fast is not None:
            self.refined |= any(r in STABILIZE_RULES for r in f._fast.rewrites)

        def call(*a: Any, **k: Any) -> Any:
            out = f(*a, **k)
            self.observed.extend(out if isinstance(out, list) else [out])
            return out

        return call

    def see(self, *values: Any) -> None:
        self.observed.extend(np.asarray(v) for v in values)


def seed_givens(t: Trace) -> None:
    x, y, c = T.dscalar(), T.dscalar(), T.dscalar()
    ff = t.function([c], x * 2 + y, givens=[(x, c * 10), (y, 5)])
    assert ff(2) == 45


def seed_shared_b_times_x(t: Trace) -> None:
    x = T.dscalar("x")
    b = theano.shared(np.array([1, 2, 3, 4, 5]))
    f = t.function([x], b * x)
    f(2)
    b.set_value([10, 11, 12])
    f(2)
    t.see(b.get_value())


def seed_accumulator(t: Trace) -> None:
    state = theano.shared(0)
    inc = T.iscalar("inc")
    accumulator = t.function([inc], state, updates=[(state, state + inc)])
    accumulator(1)
    accumulator(300)
    state.set_value(-1)
    accumulator(3)
    decrementor = t.function([inc], state, updates=[(state, state - inc)])
    decrementor(2)
    t.see(state.get_value())


def seed_counter_and_d2(t: Trace) -> None:
    c = theano.shared(0)
    f = t.function([], c, updates={c: c + 1})
    f(), f(), f()
    x = T.dvector("x")
    c2 = theano.shared(0.0)
    y = T.sum((x - c2) ** 2)
    d2 = t.function([x], y, updates={c2: c2 - 0.05 * T.grad(y, c2)})
    for _ in range(3):
        d2([1, 2, 3, 4, 5])
    t.see(c.get_value(), c2.get_value())


def seed_logistic_function(t: Trace) -> None:
    x = T.dmatrix("x")
    values = [[0, 1], [-1, -2]]
    t.function([x], 1 / (1 + T.exp(-x)))(values)
    t.function([x], (1 + T.tanh(x / 2)) / 2)(values)
    gs = T.grad(T.sum(1 / (1 + T.exp(-x))), x)
    t.function([x], gs)(values)


def seed_logistic_regression(t: Trace) -> None:
    rng = np.random.RandomState(0)
    n, feats = 400, 784
    data = (rng.randn(n, feats), rng.randint(size=n, low=0, high=2).astype(np.float64))
    x, y = T.dmatrix("x"), T.dvector("y")
    w = theano.shared(rng.randn(feats) * 0.01, name="w")  # small init: finite on the reference too
    b = theano.shared(0.0, name="b")
    p_1 = 1 / (1 + T.exp(-T.dot(x, w) - b))
    prediction = p_1 > 0.5
    xent = -y * T.log(p_1) - (1 - y) * T.log(1 - p_1)
    cost = xent.mean() + 0.01 * (w ** 2).sum()
    gw, gb = T.grad(cost, [w, b])
    train = t.function([x, y], [prediction, xent], updates=((w, w - 0.1 * gw), (b, b - 0.1 * gb)))
    for _ in range(20):
        train(*data)
    t.function([x], prediction)(data[0])
    t.see(w.get_value(), b.get_value())


def seed_random_streams(t: Trace) -> None:
    srng = RandomStreams(seed=234)
    rv_u, rv_n = srng.uniform((2, 2)), srng.normal((2, 2))
    f = t.function([], rv_u)
    g = t.function([], rv_n, no_default_updates=True)
    nearly_zeros = t.function([], rv_u + rv_u - 2 * rv_u)
    f(), f(), g(), g(), nearly_zeros()


SEEDS = [seed_givens, seed_shared_b_times_x, seed_accumulator, seed_counter_and_d2, seed_logistic_function,
         seed_logistic_regression, seed_random_streams]


@pytest.mark.parametrize("program", SEEDS, ids=lambda p: p.__name__)
def test_seed_program(program: Callable[[Trace], None]) -> None:
    ref, fast = Trace("REFERENCE"), Trace("FAST_RUN")
    program(ref)
    program(fast)
    assert len(ref.observed) == len(fast.observed)
    compare = assert_refined if fast.refined else assert_same_bits
    for r, f in zip(ref.observed, fast.observed):
        compare(np.asarray(r), np.asarray(f))


def test_seed_logistic_programs_are_refined() -> None:
    """The seeds' 1 / (1 + exp(-x)) and cross-entropy are rewritten into stable forms: the check
    above compared them with the refinement tolerance, not bit for bit."""
    for program in (seed_logistic_function, seed_logistic_regression):
        t = Trace("FAST_RUN")
        program(t)
        assert t.refined, program.__name__
    t = Trace("FAST_RUN")
    seed_accumulator(t)
    assert not t.refined


# -- regressions: each a bug the differential tests found in the fast path ------------------------

def test_regression_cases() -> None:
    z64 = T.tensor("complex64", shape=(), name="z")
    h = T.tensor("float16", shape=(None,), name="h")
    u8 = T.tensor("uint8", shape=(None,), name="u8")
    c = T.zvector("c")
    x = T.dvector("x")
    big = T.dvector("big")
    seq, d = T.lvector("seq"), T.lscalar("d")
    loop, _ = theano.scan(lambda s, acc: ifelse(T.eq(d, 0), acc + s, acc + s // d), sequences=seq,
                          outputs_info=T.constant(np.int64(0)))
    cases: list[tuple[list[Any], Any, list[Array]]] = [
        # a ufunc's 0-d result is a numpy scalar, and numpy squares complex scalars differently
        ([z64], T.sqr(z64 * T.constant(np.ones((), dtype="complex64"))), [np.array(1.3641798 + 1j, "complex64")]),
        # scipy's erf has no float16 loop: calling it directly returned float64
        ([h], T.erf(h) + T.erfc(h), [np.array([0.5, -1.0], dtype="float16")]),
        # 1 - sigmoid(z) -> sigmoid(-z) is wrong where -z wraps (uint8: -1 is 255)
        ([u8], 1 - T.sigmoid(u8), [np.array([0, 1, 255], dtype="uint8")]),
        # complex * 1 is not the identity (inf+0j -> inf+nanj)
        ([c], c * 1 + c * T.ones_like(c), [np.array([complex(np.inf, 0), complex(0, -0.0)])]),
        # x - (-0.0) is not x for x = -0.0
        ([x], x - T.constant(-0.0), [np.array([-0.0, 1.0])]),
        # ifelse in a loop's step stays lazy (the division by d = 0 is never evaluated)
        ([seq, d], loop, [np.array([1, 2, 3]), np.array(0)]),
        # fused blocked kernels in worker threads: overflow gives inf silently, as on the reference
        ([big], T.exp(big * 1000.0) * 2.0 + 1.0, [np.linspace(-1.0, 1.0, 1_100_000)]),
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for inputs, out, values in cases:
            ref, fast = run_both(inputs, [out], values)
            assert ref.error is None, out
