"""The seed notes' examples (../shared/seeds/*.txt), run with only their imports changed.

Each test names the seed it comes from. Where a seed shows a result, the test asserts that result.
Seed 001's logistic regression is also run with its gradient written by hand, to check the forward
graph and the first update against numpy independently of ``T.grad``.

Seeds: 000 (German Theano notes), 001 (Chinese Theano tutorial summary), 002 (Chinese: gradients),
003 (Japanese original of 000), 004 (Chinese cheat sheet).
"""

from __future__ import annotations

import numpy
import pytest

import refspec as theano
import refspec.ifelse as IFELSE
import refspec.tensor as T
from refspec import In, function, shared


def _is_0d(value: object) -> bool:
    return isinstance(value, numpy.ndarray) and value.shape == ()


# ---------------------------------------------------------------- seeds 000 / 003 (same notes)


def test_seed000_symbols_are_symbols() -> None:
    x = T.lscalar("x")
    m = T.dmatrix()
    y = x * 2
    z = T.exp(x)
    assert (x.dtype, x.ndim, m.dtype, m.ndim) == ("int64", 0, "float64", 2)
    assert y.owner is not None and z.owner is not None  # results of operations on symbols are symbols
    assert z.dtype == "float64"  # exp of an int64 upgrades to float64


def test_seed000_function_x_times_2() -> None:
    x = T.lscalar("x")
    f = theano.function([x], x * 2)
    out = f(3)
    assert _is_0d(out) and out.dtype == numpy.int64 and out == 6  # >>> f(3)  array(6)
    y = x * 2
    f = theano.function([x], y)
    assert f(3) == 6
    f = theano.function(inputs=[x], outputs=y)  # the notes: keyword forms inputs= / outputs=
    assert f(3) == 6


def test_seed000_givens() -> None:
    x = T.dscalar()
    y = T.dscalar()
    c = T.dscalar()
    ff = theano.function([c], x * 2 + y, givens=[(x, c * 10), (y, 5)])
    out = ff(2)
    assert _is_0d(out) and out == 45  # >>> ff(2)  array(45)


def test_seed000_grad_fgy() -> None:
    x, y = T.dscalars("x", "y")
    z = (x + 2 * y) ** 2
    gx = T.grad(z, x)
    gy = T.grad(z, y)
    fgy = theano.function([x, y], gy)
    assert fgy(1, 2) == 20.0  # >>> fgy(1,2)  array(20.0)
    assert theano.function([x, y], gx)(1, 2) == 10.0


def test_seed000_shared_b_times_x() -> None:
    x = T.dscalar("x")
    b = theano.shared(numpy.array([1, 2, 3, 4, 5]))
    f = theano.function([x], b * x)
    numpy.testing.assert_array_equal(f(2), [2.0, 4.0, 6.0, 8.0, 10.0])
    assert f(2).dtype == numpy.float64
    value = b.get_value()
    numpy.testing.assert_array_equal(value, [1, 2, 3, 4, 5])  # >>> b.get_value()  array([1,2,3,4,5])
    assert value.dtype == numpy.int64
    b.set_value([10, 11, 12])
    numpy.testing.assert_array_equal(f(2), [20.0, 22.0, 24.0])  # the function sees the new value


def test_seed000_counter_updates() -> None:
    c = theano.shared(0)
    f = theano.function([], c, updates={c: c + 1})
    results = [f(), f(), f()]
    assert all(_is_0d(r) for r in results)
    assert [int(r) for r in results] == [0, 1, 2]  # array(0), array(1), array(2)
    assert c.get_value() == 3


def test_seed000_gradient_descent_d2_with_grad() -> None:
    x = T.dvector("x")
    c = theano.shared(0.0)
    y = T.sum((x - c) ** 2)
    gc = T.grad(y, c)
    d2 = theano.function([x], y, updates={c: c - 0.05 * gc})
    for want_y, want_c in [(55.0, 1.5), (21.25, 2.25), (12.8125, 2.625)]:
        assert d2([1, 2, 3, 4, 5]) == want_y
        assert c.get_value() == want_c


# ---------------------------------------------------------------- seed 001


def test_seed001_first_try() -> None:
    from refspec import tensor

    a = tensor.dscalar()
    b = tensor.dscalar()
    c = a + b
    f = theano.function([a, b], c)
    assert 4.0 == f(1.5, 2.5)


def test_seed001_star_import() -> None:
    namespace: dict[str, object] = {}
    exec("from refspec import *\nimport refspec.tensor as T\n", namespace)
    for name in ("function", "shared", "In", "Out", "tensor", "pp", "config"):
        assert name in namespace, name


def test_seed001_add_two_scalars() -> None:
    x = T.dscalar("x")
    y = T.dscalar("y")
    z = x + y
    f = function([x, y], z)
    out = f(2, 3)
    assert _is_0d(out) and out.dtype == numpy.float64 and out == 5.0  # array(5.0)
    assert numpy.allclose(f(16.3, 12.1), 28.4)
    assert x.type is T.dscalar  # "可用type查看变量类型"
    assert theano.pp(z) == "(x + y)"  # "可以使用pp函数打印出与z相关的计算"
    assert numpy.allclose(z.eval({x: 16.3, y: 12.1}), 28.4)  # "也可以使用eval方法, 传入一个字典"


def test_seed001_add_two_matrices() -> None:
    x = T.dmatrix("x")
    y = T.dmatrix("y")
    z = x + y
    f = function([x, y], z)
    out = f([[1, 2], [3, 4]], [[10, 20], [30, 40]])
    numpy.testing.assert_array_equal(out, [[11.0, 22.0], [33.0, 44.0]])
    assert out.dtype == numpy.float64
    # numpy arrays work as inputs directly
    numpy.testing.assert_array_equal(f(numpy.array([[1, 2], [3, 4]]), numpy.array([[10, 20], [30, 40]])),
                                     [[11.0, 22.0], [33.0, 44.0]])


def test_seed001_basic_tensor_functionality() -> None:
    x = T.fmatrix()  # (1) a float32 matrix
    assert (x.dtype, x.ndim, x.name) == ("float32", 2, None)
    named = T.fmatrix("named")  # (2) a variable may have a name
    assert named.name == "named"
    for ctor, dtype in [(T.iscalar, "int32"), (T.lvector, "int64"), (T.dmatrix, "float64"),
                        (T.ftensor3, "float32"), (T.zmatrix, "complex128"), (T.bvector, "int8")]:
        assert ctor().dtype == dtype  # (3)/(4) constructors by dtype and rank
    a, b = T.dmatrices("a", "b")  # (5) plural constructors
    assert (a.name, b.name, a.type, b.type) == ("a", "b", T.dmatrix, T.dmatrix)
    dtensor5 = T.TensorType("float64", (False,) * 5)  # (6) a custom tensor type
    assert dtensor5().ndim == 5 and dtensor5("t5").name == "t5"
    s = theano.shared(numpy.zeros((2, 3)))  # (7) converting Python objects: shared()
    assert s.type == T.dmatrix


LOGISTIC_VALUES = [[0.5, 0.73105858], [0.26894142, 0.11920292]]  # as printed (8 decimals)


def test_seed001_logistic_function() -> None:
    x = T.dmatrix("x")
    s = 1 / (1 + T.exp(-x))
    logistic = theano.function([x], s)
    numpy.testing.assert_allclose(logistic([[0, 1], [-1, -2]]), LOGISTIC_VALUES, rtol=0, atol=5e-9)
    s2 = (1 + T.tanh(x / 2)) / 2
    logistic2 = theano.function([x], s2)
    numpy.testing.assert_allclose(logistic2([[0, 1], [-1, -2]]), LOGISTIC_VALUES, rtol=0, atol=5e-9)
    numpy.testing.assert_allclose(logistic([[0, 1], [-1, -2]]), logistic2([[0, 1], [-1, -2]]))


def test_seed001_multiple_outputs() -> None:
    a, b = T.dmatrices("a", "b")
    diff = a - b
    abs_diff = abs(diff)
    diff_squared = diff**2
    f = theano.function([a, b], [diff, abs_diff, diff_squared])
    out = f([[1, 1], [1, 1]], [[0, 1], [2, 3]])
    assert isinstance(out, list) and len(out) == 3
    numpy.testing.assert_array_equal(out[0], [[1.0, 0.0], [-1.0, -2.0]])
    numpy.testing.assert_array_equal(out[1], [[1.0, 0.0], [1.0, 2.0]])
    numpy.testing.assert_array_equal(out[2], [[1.0, 0.0], [1.0, 4.0]])


def test_seed001_default_values() -> None:
    # the seed shows only the code; the values are those of the Theano tutorial it summarises
    x, y = T.dscalars("x", "y")
    z = x + y
    f = function([x, In(y, value=1)], z)
    assert f(33) == 34.0
    assert f(33, 2) == 35.0

    x, y, w = T.dscalars("x", "y", "w")
    z = (x + y) * w
    f = function([x, In(y, value=1), In(w, value=2, name="w_by_name")], z)
    assert f(33) == 68.0
    assert f(33, 2) == 70.0
    assert f(33, 0, 1) == 33.0
    assert f(33, w_by_name=1) == 34.0
    assert f(33, w_by_name=1, y=0) == 33.0


def test_seed001_accumulator() -> None:
    state = shared(0)
    inc = T.iscalar("inc")
    accumulator = function([inc], state, updates=[(state, state + inc)])
    assert state.get_value() == 0
    out = accumulator(1)
    assert _is_0d(out) and out == 0  # returns the old state
    assert state.get_value() == 1
    assert accumulator(300) == 1
    assert state.get_value() == 301
    state.set_value(-1)  # .set_value() changes the state every function sees
    assert accumulator(3) == -1
    assert state.get_value() == 2

    decrementor = function([inc], state, updates=[(state, state - inc)])  # shared by both functions
    assert decrementor(2) == 2
    assert state.get_value() == 0


def test_seed001_accumulator_with_in_state() -> None:
    # the same accumulator with the state held by the function itself: In(value=, update=)
    inc = T.iscalar("inc")
    acc = T.iscalar("acc")
    accumulator = function([inc, In(acc, value=0, update=acc + inc, name="state")], acc)
    assert [int(accumulator(1)), int(accumulator(300))] == [0, 1]
    assert accumulator["state"] == 301
    assert accumulator(0, 5) == 5  # an explicit value is used for this call; the update still runs
    assert accumulator["state"] == 5


def test_seed001_givens_skip_shared() -> None:
    # "use givens to replace particular nodes in a graph for one function" (seed 001, point 3)
    state = shared(0)
    inc = T.iscalar("inc")
    fn_of_state = state * 2 + inc
    foo = T.scalar(dtype=state.dtype)
    skip_shared = function([inc, foo], fn_of_state, givens=[(state, foo)])
    assert skip_shared(1, 3) == 7
    assert state.get_value() == 0


def test_seed001_shared_broadcastable() -> None:
    s = theano.shared(numpy.ones((1, 3)), broadcastable=(True, False))
    assert s.broadcastable == (True, False)
    assert theano.shared(numpy.ones((1, 3))).broadcastable == (False, False)  # default: all False


def test_seed001_copying_functions() -> None:
    # seed 001 section 2.2.6 (copy()); the values are the Theano tutorial's
    state = theano.shared(0)
    inc = T.iscalar("inc")
    accumulator = theano.function([inc], state, updates=[(state, state + inc)])
    assert accumulator(10) == 0
    assert state.get_value() == 10
    new_state = theano.shared(0)
    new_accumulator = accumulator.copy(swap={state: new_state})
    assert new_accumulator(100) == 0
    assert new_state.get_value() == 100
    assert state.get_value() == 10
    null_accumulator = accumulator.copy(delete_updates=True)
    assert null_accumulator(9000) == 10
    assert state.get_value() == 10


def test_seed001_random_streams() -> None:
    from refspec.tensor.shared_randomstreams import RandomStreams

    srng = RandomStreams(seed=234)
    rv_u = srng.uniform((2, 2))
    rv_n = srng.normal((2, 2))
    f = function([], rv_u)
    g = function([], rv_n, no_default_updates=True)
    nearly_zeros = function([], rv_u + rv_u - 2 * rv_u)
    assert not numpy.array_equal(f(), f())
    numpy.testing.assert_array_equal(g(), g())
    numpy.testing.assert_allclose(nearly_zeros(), 0.0, atol=1e-12)


def test_seed001_logistic_regression_hand_gradient() -> None:
    # the seed's logistic regression with T.grad(cost, [w, b]) replaced by the gradient written by
    # hand, so the forward graph and the update are checked against numpy on their own; 20 steps
    rng = numpy.random.RandomState(0)  # the seed uses the global numpy.random; seeded for determinism
    N = 400
    feats = 784
    D = (rng.randn(N, feats), rng.randint(size=N, low=0, high=2))
    training_steps = 20
    x = T.dmatrix("x")
    y = T.dvector("y")
    w = theano.shared(rng.randn(feats), name="w")
    b = theano.shared(0.0, name="b")
    w0, b0 = w.get_value(), b.get_value()
    p_1 = 1 / (1 + T.exp(-T.dot(x, w) - b))
    prediction = p_1 > 0.5
    xent = -y * T.log(p_1) - (1 - y) * T.log(1 - p_1)
    cost = xent.mean() + 0.01 * (w**2).sum()
    gw = T.dot(x.T, p_1 - y) / N + 0.02 * w  # d cost / d w
    gb = (p_1 - y).mean()  # d cost / d b
    train = theano.function(inputs=[x, y], outputs=[prediction, xent],
                            updates=((w, w - 0.1 * gw), (b, b - 0.1 * gb)))
    predict = theano.function(inputs=[x], outputs=prediction)
    cost_f = theano.function([x, y], cost)
    stable = theano.function([x, y], (y * T.softplus(-(T.dot(x, w) + b))
                                      + (1 - y) * T.softplus(T.dot(x, w) + b)).mean() + 0.01 * (w**2).sum())

    # the forward graph agrees with numpy
    z0 = D[0] @ w0 + b0
    p0 = 1 / (1 + numpy.exp(-z0))
    pred, err = train(D[0], D[1])
    numpy.testing.assert_array_equal(pred, p0 > 0.5)
    assert pred.dtype == numpy.bool_ and err.shape == (N,)
    # and so does the first update
    numpy.testing.assert_allclose(w.get_value(), w0 - 0.1 * (D[0].T @ (p0 - D[1]) / N + 0.02 * w0), rtol=1e-10)
    numpy.testing.assert_allclose(b.get_value(), b0 - 0.1 * numpy.mean(p0 - D[1]), rtol=1e-10)

    start = float(stable(D[0], D[1]))
    for _ in range(training_steps - 1):
        pred, err = train(D[0], D[1])
    assert float(stable(D[0], D[1])) < start  # training lowers the cost
    assert predict(D[0]).shape == (N,) and predict(D[0]).dtype == numpy.bool_
    assert numpy.mean(predict(D[0]) == D[1]) > 0.5
    assert cost_f(D[0], D[1]).shape == ()


def test_seed001_logistic_regression_with_grad() -> None:
    rng = numpy.random.RandomState(0)
    N, feats = 400, 784
    D = (rng.randn(N, feats), rng.randint(size=N, low=0, high=2))
    x = T.dmatrix("x")
    y = T.dvector("y")
    w = theano.shared(rng.randn(feats), name="w")
    b = theano.shared(0.0, name="b")
    p_1 = 1 / (1 + T.exp(-T.dot(x, w) - b))
    prediction = p_1 > 0.5
    xent = -y * T.log(p_1) - (1 - y) * T.log(1 - p_1)
    cost = xent.mean() + 0.01 * (w**2).sum()
    gw, gb = T.grad(cost, [w, b])
    train = theano.function(inputs=[x, y], outputs=[prediction, xent],
                            updates=((w, w - 0.1 * gw), (b, b - 0.1 * gb)))
    for _ in range(20):
        train(D[0], D[1])


# ---------------------------------------------------------------- seed 002 (all need T.grad)


def test_seed002_grad_of_square() -> None:
    from refspec import pp

    x = T.dscalar("x")
    y = x**2
    gy = T.grad(y, x)
    assert isinstance(pp(gy), str)
    f = theano.function([x], gy)
    assert f(4) == 8.0
    assert numpy.allclose(f(94.2), 188.4)
    assert isinstance(pp(f.maker.fgraph.outputs[0]), str)


def test_seed002_grad_of_logistic() -> None:
    x = T.dmatrix("x")
    s = T.sum(1 / (1 + T.exp(-x)))
    gs = T.grad(s, x)
    dlogistic = theano.function([x], gs)
    numpy.testing.assert_allclose(dlogistic([[0, 1], [-1, -2]]),
                                  [[0.25, 0.19661193], [0.19661193, 0.10499359]], rtol=0, atol=5e-9)


def test_seed002_jacobian_and_hessian_by_scan() -> None:
    x = T.dvector("x")
    y = x**2
    J, updates = theano.scan(
        lambda i, y, x: T.grad(y[i], x), sequences=T.arange(y.shape[0]), non_sequences=[y, x])
    f = theano.function([x], J, updates=updates)
    numpy.testing.assert_array_equal(f([4, 4]), [[8.0, 0.0], [0.0, 8.0]])
    cost = y.sum()
    gy = T.grad(cost, x)
    H, updates = theano.scan(
        lambda i, gy, x: T.grad(gy[i], x), sequences=T.arange(gy.shape[0]), non_sequences=[gy, x])
    f = theano.function([x], H, updates=updates)
    numpy.testing.assert_array_equal(f([4, 4]), [[2.0, 0.0], [0.0, 2.0]])


def test_seed002_rop_lop() -> None:
    W = T.dmatrix("W")
    V = T.dmatrix("V")
    x = T.dvector("x")  # the seed writes dmatrix; the tutorial (and the call below) use a vector
    y = T.dot(x, W)
    JV = T.Rop(y, W, V)
    f = theano.function([W, V, x], JV)
    numpy.testing.assert_array_equal(f([[1, 1], [1, 1]], [[2, 2], [2, 2]], [0, 1]), [2.0, 2.0])
    v = T.dvector("v")  # the seed writes dmatrix; the call f([2, 2], ...) passes a vector
    VJ = T.Lop(y, W, v)
    f = theano.function([v, x], VJ)
    numpy.testing.assert_array_equal(f([2, 2], [0, 1]), [[0.0, 0.0], [2.0, 2.0]])


def test_seed002_hessian_times_vector() -> None:
    x = T.dvector("x")
    v = T.dvector("v")
    y = T.sum(x**2)
    gy = T.grad(y, x)
    vH = T.grad(T.sum(gy * v), x)
    f = theano.function([x, v], vH)  # the seed writes [x, y]: a typo for [x, v]
    numpy.testing.assert_array_equal(f([4, 4], [2, 2]), [4.0, 4.0])
    Hv = T.Rop(gy, x, v)
    f = theano.function([x, v], Hv)
    numpy.testing.assert_array_equal(f([4, 4], [2, 2]), [4.0, 4.0])


# ---------------------------------------------------------------- seed 004 (cheat sheet)


def test_seed004_variable_constructors() -> None:
    kinds = {"scalar": (), "vector": (False,), "row": (True, False), "col": (False, True),
             "matrix": (False, False), "tensor3": (False,) * 3, "tensor4": (False,) * 4}
    dtypes = {"": "float64", "b": "int8", "w": "int16", "i": "int32", "l": "int64", "f": "float32",
              "d": "float64", "c": "complex64", "z": "complex128"}
    for kind, broadcastable in kinds.items():
        for letter, dtype in dtypes.items():
            v = getattr(T, letter + kind)("v1")
            assert (v.name, v.dtype, v.broadcastable) == ("v1", dtype, broadcastable), letter + kind


def test_seed004_custom_tensor_type() -> None:
    dtensor3_f32 = T.TensorType(broadcastable=(False, False, False), dtype="float32")
    v3 = dtensor3_f32("v3")
    assert (v3.name, v3.dtype, v3.ndim, v3.broadcastable) == ("v3", "float32", 3, (False, False, False))
    assert v3.type == T.ftensor3
    assert T.TensorType("float32", (False, False, False)) == dtensor3_f32


def test_seed004_plural_constructors() -> None:
    for plural, dtype, ndim in [(T.scalars, "float64", 0), (T.vectors, "float64", 1), (T.rows, "float64", 2),
                                (T.cols, "float64", 2), (T.matrices, "float64", 2), (T.dscalars, "float64", 0),
                                (T.imatrices, "int32", 2), (T.fvectors, "float32", 1)]:
        v21, v22 = plural(2)
        assert v21 is not v22 and (v21.dtype, v21.ndim, v22.dtype, v22.ndim) == (dtype, ndim, dtype, ndim)
        n21, n22 = plural("v21", "v22")
        assert (n21.name, n22.name) == ("v21", "v22")


def test_seed004_as_tensor_variable() -> None:
    c = T.as_tensor_variable(numpy.arange(6.0).reshape(2, 3), name=None, ndim=None)
    assert (c.dtype, c.ndim) == ("float64", 2)
    numpy.testing.assert_array_equal(c.eval(), numpy.arange(6.0).reshape(2, 3))
    named = T.as_tensor_variable([1, 2, 3], name="c1", ndim=1)
    assert (named.name, named.dtype, named.ndim) == ("c1", "int64", 1)
    x = T.dvector("x")
    assert T.as_tensor_variable(x) is x  # a variable is returned as it is


def test_seed004_arange_reshape_eval_and_mask() -> None:
    m = T.arange(9).reshape((3, 3))
    numpy.testing.assert_array_equal(m.eval(), numpy.arange(9).reshape(3, 3))
    numpy.testing.assert_array_equal(m[m > 3].eval(), [4, 5, 6, 7, 8])


def test_seed004_shared_and_updates() -> None:
    s1 = theano.shared(1.0)
    s2 = theano.shared(numpy.array([1, 2]))
    f = theano.function([], [], updates=[(s1, s1 * 2), (s2, s2 + s2)])
    assert f() == []
    assert s1.get_value() == 2.0
    numpy.testing.assert_array_equal(s2.get_value(), [2, 4])
    s1.set_value(10.0)
    f()
    assert s1.get_value() == 20.0


def test_seed004_elementwise_functions() -> None:
    x = T.dmatrix("x")
    data = numpy.array([[1.0, 2.0], [3.0, 4.5]])
    cases = {
        x + 2: data + 2, x - 2: data - 2, x * 2: data * 2, x / 2: data / 2, x**2: data**2,
        x // 2: data // 2, x % 2: data % 2,
        T.exp(x): numpy.exp(data), T.log(x): numpy.log(data), T.log2(x): numpy.log2(data),
        T.log10(x): numpy.log10(data), T.sqrt(x): numpy.sqrt(data), T.sqr(x): data**2,
        T.abs_(-x): data, T.zeros_like(x): numpy.zeros_like(data), T.ones_like(x): numpy.ones_like(data),
        T.identity_like(x): numpy.eye(2), T.fill(x, 7): numpy.full_like(data, 7), x.fill(3): numpy.full_like(data, 3),
    }
    f = theano.function([x], list(cases))
    for got, want in zip(f(data), cases.values()):
        numpy.testing.assert_allclose(got, want, rtol=1e-12)
    special = theano.function([x], [T.erf(x), T.erfc(x), T.gamma(x), T.gammaln(x)])(data)
    scipy_special = pytest.importorskip("scipy.special")
    for got, fn in zip(special, [scipy_special.erf, scipy_special.erfc, scipy_special.gamma, scipy_special.gammaln]):
        numpy.testing.assert_allclose(got, fn(data), rtol=1e-12)
    # the lower-rank operand is broadcast (padded with 'x' on the left)
    v = T.dvector("v")
    numpy.testing.assert_array_equal((x + v).eval({x: data, v: numpy.array([10.0, 20.0])}),
                                     data + numpy.array([10.0, 20.0]))


def test_seed004_tensor_operations() -> None:
    a, b = T.dvectors("a", "b")
    m = T.dmatrix("m")
    av, bv = numpy.array([1.0, 2.0]), numpy.array([3.0, 4.0])
    mv = numpy.array([[1.0, 2.0], [3.0, 4.0]])
    assert T.dot(a, b).eval({a: av, b: bv}) == 11.0
    numpy.testing.assert_array_equal(T.dot(m, a).eval({m: mv, a: av}), mv @ av)
    numpy.testing.assert_array_equal(T.dot(m, m).eval({m: mv}), mv @ mv)
    numpy.testing.assert_array_equal(T.outer(a, b).eval({a: av, b: bv}), numpy.outer(av, bv))
    numpy.testing.assert_array_equal(T.stack([a, b]).eval({a: av, b: bv}), numpy.stack([av, bv]))


def test_seed004_reductions_over_axes_0_2() -> None:
    x = T.dtensor3("x")
    data = numpy.random.RandomState(1).standard_normal((2, 3, 4))
    for name in ("max", "min", "ptp", "sum", "prod", "mean", "var", "std"):
        want = getattr(numpy, name)(data, axis=(0, 2))
        numpy.testing.assert_allclose(getattr(x, name)(axis=(0, 2)).eval({x: data}), want, rtol=1e-12)
        numpy.testing.assert_allclose(getattr(T, name)(x, axis=(0, 2)).eval({x: data}), want, rtol=1e-12)
        numpy.testing.assert_allclose(getattr(x, name)().eval({x: data}), getattr(numpy, name)(data), rtol=1e-12)
    for name in ("argmax", "argmin"):
        numpy.testing.assert_array_equal(getattr(x, name)(axis=1).eval({x: data}), getattr(numpy, name)(data, axis=1))
        assert getattr(x, name)().eval({x: data}) == getattr(numpy, name)(data)


def test_seed004_argmax_argmin_over_axes_0_2() -> None:
    # as in Theano, the reduced axes are moved last and flattened; the index is into that block
    x = T.dtensor3("x")
    data = numpy.random.RandomState(1).standard_normal((2, 3, 4))
    block = data.transpose(1, 0, 2).reshape(3, 8)
    numpy.testing.assert_array_equal(x.argmax(axis=(0, 2)).eval({x: data}), numpy.argmax(block, axis=1))
    numpy.testing.assert_array_equal(T.argmin(x, axis=(0, 2)).eval({x: data}), numpy.argmin(block, axis=1))
    kept = x.argmax(axis=(0, 2), keepdims=True).eval({x: data})
    numpy.testing.assert_array_equal(kept, numpy.argmax(block, axis=1).reshape(1, 3, 1))
    assert x.argmax(axis=(0, 1, 2)).eval({x: data}) == numpy.argmax(data)


def test_seed004_dimshuffle() -> None:
    x = T.dtensor3("x")
    y = x.dimshuffle((2, 0, "x", 1))
    assert y.broadcastable == (False, False, True, False)
    data = numpy.zeros((2, 3, 4))
    assert y.eval({x: data}).shape == (4, 2, 1, 3)
    assert x.dimshuffle(2, 0, "x", 1).eval({x: data}).shape == (4, 2, 1, 3)


def test_seed004_derivatives() -> None:
    import refspec.gradient

    x = T.dvector("x")
    y = T.dscalar("y")
    f1 = (x**2).sum() * y
    gx, gy = T.grad(f1, [x, y])
    numpy.testing.assert_array_equal(gx.eval({x: [1.0, 2.0], y: 3.0}), [6.0, 12.0])
    H = refspec.gradient.hessian((x**2).sum(), x)
    numpy.testing.assert_array_equal(H.eval({x: [1.0, 2.0]}), 2 * numpy.eye(2))
    J = refspec.gradient.jacobian(x**2, x)
    numpy.testing.assert_array_equal(J.eval({x: [1.0, 2.0]}), numpy.diag([2.0, 4.0]))


def test_seed004_switch_and_ifelse() -> None:
    a, b = T.dscalars("a", "b")
    cond = T.lt(a, b)
    assert T.switch(cond, a, b).eval({a: 1.0, b: 2.0}) == 1.0
    assert T.switch(cond, a, b).eval({a: 3.0, b: 2.0}) == 2.0
    assert IFELSE.ifelse(cond, a, b).eval({a: 1.0, b: 2.0}) == 1.0
    assert IFELSE.ifelse(cond, a, b).eval({a: 3.0, b: 2.0}) == 2.0
    v = T.dvector("v")
    numpy.testing.assert_array_equal(T.switch(v > 0, v, 0).eval({v: numpy.array([-1.0, 2.0])}), [0.0, 2.0])


def test_seed004_function_with_named_default() -> None:
    x, y = T.dscalars("x", "y")
    z3 = T.dmatrix("z3")
    f1 = x + T.exp(y) + z3.sum()
    f2 = x * y
    f = theano.function(inputs=[x, theano.In(y, value=2, name="y_by_name"), z3], outputs=[f1, f2],
                        on_unused_input="ignore")
    out = f(3, y_by_name=4, z3=[[1.0]])
    assert isinstance(out, list)
    numpy.testing.assert_allclose(out[0], 3 + numpy.exp(4) + 1)
    assert out[1] == 12.0
    g = theano.function(inputs=[x, theano.In(y, value=2, name="y_by_name")], outputs=[x + T.exp(y), x * y])
    r1, r2 = g(3, y_by_name=4)
    numpy.testing.assert_allclose(r1, 3 + numpy.exp(4))
    assert r2 == 12.0
    r1, r2 = g(3)  # the default y = 2
    assert r2 == 6.0


def test_seed004_two_matrix_function_and_eval() -> None:
    a, b = T.dmatrices("a", "b")
    g = theano.function([a, b], [a + b, T.dot(a, b)])
    s, p = g([[1, 2], [3, 4]], [[5, 6], [7, 8]])
    numpy.testing.assert_array_equal(s, [[6.0, 8.0], [10.0, 12.0]])
    numpy.testing.assert_array_equal(p, [[19.0, 22.0], [43.0, 50.0]])
    x, y = T.dscalars("x", "y")
    expr = x + T.exp(y)
    value = expr.eval({x: 3, y: 4})  # equivalent to compiling a function
    assert _is_0d(value)
    numpy.testing.assert_allclose(value, 3 + numpy.exp(4))
    assert value == theano.function([x, y], expr)(3, 4)


def test_seed004_givens_list_or_dict() -> None:
    x, y, c = T.dscalars("x", "y", "c")
    expr = x * 2 + y
    f_list = theano.function([c], expr, givens=[(x, c * 10), (y, c + 1)])
    f_dict = theano.function([c], expr, givens={x: c * 10, y: c + 1})
    assert f_list(2) == f_dict(2) == 43.0
    # outside the function the original variables are unchanged
    assert expr.eval({x: 1.0, y: 1.0}) == 3.0


@pytest.mark.parametrize("mode", ["FAST_COMPILE", "FAST_RUN", "DebugMode"])
def test_seed004_modes(mode: str) -> None:
    x, y = T.dscalars("x", "y")
    f = theano.function([x, y], x + T.exp(y), mode=mode)
    numpy.testing.assert_allclose(f(3, 4), 3 + numpy.exp(4))


def test_seed004_scan() -> None:
    k = T.iscalar("k")
    A = T.dvector("A")
    result, updates = theano.scan(
        fn=lambda prior, A: prior * A, outputs_info=T.ones_like(A), non_sequences=A, n_steps=k)
    power = theano.function(inputs=[A, k], outputs=result[-1], updates=updates)
    numpy.testing.assert_array_equal(power(numpy.arange(4.0), 2), numpy.arange(4.0) ** 2)


def test_seed004_random_streams() -> None:
    from refspec.tensor.shared_randomstreams import RandomStreams

    srng = RandomStreams(seed=42)
    r = srng.uniform((2, 3))
    f = theano.function([], r, no_default_updates=False)
    g = theano.function([], r, no_default_updates=True)
    assert f().shape == (2, 3)
    numpy.testing.assert_array_equal(g(), g())


def test_seed004_io(capsys: pytest.CaptureFixture[str]) -> None:
    x, y = T.dscalars("x", "y")
    expr = x + T.exp(y)
    print(theano.pp(expr))
    assert capsys.readouterr().out == "(x + exp(y))\n"
    assert theano.printing.debugprint(expr) is None
    out = capsys.readouterr().out
    assert "exp" in out and "x" in out and "y" in out and len(out.splitlines()) == 4
