"""``grad``, ``Lop``, ``Rop``, ``jacobian``, ``hessian``: the API and every convention of
spec/autodiff.md, with exact expected values."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import refspec as theano
import refspec.tensor as T
from refspec.autodiff.cotangent import NullGrad
from refspec.gradient import (
    DisconnectedInputError,
    DisconnectedType,
    NullTypeGradError,
    hessian,
    hessian_vector_product,
    jacobian,
)
from refspec.tensor.var import TensorVariable


def _eq(actual: object, expected: object) -> None:
    np.testing.assert_array_equal(np.asarray(actual), np.asarray(expected))


def _close(actual: object, expected: object) -> None:
    np.testing.assert_allclose(np.asarray(actual, dtype=np.float64), np.asarray(expected, dtype=np.float64),
                               rtol=1e-12, atol=1e-14)


# ----------------------------------------------------------------------------------- the API


def test_variable_in_variable_out_list_in_list_out() -> None:
    x, y = T.dscalars("x", "y")
    cost = x * y + y
    gx = T.grad(cost, x)
    assert isinstance(gx, TensorVariable)
    grads = T.grad(cost, [x, y])
    assert isinstance(grads, list) and len(grads) == 2
    f = theano.function([x, y], [gx, *grads])
    _eq(f(2.0, 3.0), [3.0, 3.0, 3.0])
    assert T.grad(cost, (y,)) is not None and isinstance(T.grad(cost, (y,)), list)
    assert theano.grad is T.grad and theano.gradient.grad is T.grad


def test_cost_must_be_a_real_scalar_variable() -> None:
    x = T.dvector("x")
    with pytest.raises(TypeError, match="scalar"):
        T.grad(x**2, x)
    with pytest.raises(TypeError, match="scalar"):
        T.grad(3.0, x)  # type: ignore[call-overload]
    z = T.zvector("z")
    with pytest.raises(TypeError, match="real"):
        T.grad(T.sum(z), z)
    with pytest.raises(TypeError, match="wrt"):
        T.grad(T.sum(x), "x")  # type: ignore[call-overload]
    with pytest.raises(TypeError, match="cost or known_grads"):
        T.grad(None, x)


def test_bad_options_are_errors() -> None:
    x = T.dscalar("x")
    with pytest.raises(ValueError, match="disconnected_inputs"):
        T.grad(x, x, disconnected_inputs="maybe")
    with pytest.raises(ValueError, match="return_disconnected"):
        T.grad(x, x, return_disconnected="zeros")
    with pytest.raises(ValueError, match="null_gradients"):
        T.grad(x, x, null_gradients="warn")


def test_disconnected_inputs_raise_warn_ignore() -> None:
    x, y = T.dvectors("x", "y")
    cost = T.sum(x**2)
    with pytest.raises(DisconnectedInputError, match="does not depend on y"):
        T.grad(cost, [x, y])
    with pytest.warns(UserWarning, match="does not depend on y"):
        gx, gy = T.grad(cost, [x, y], disconnected_inputs="warn")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gx, gy = T.grad(cost, [x, y], disconnected_inputs="ignore")
    gx_val, gy_val = theano.function([x, y], [gx, gy])([1.0, 2.0], [5.0, 6.0, 7.0])
    _eq(gx_val, [2.0, 4.0])
    _eq(gy_val, [0.0, 0.0, 0.0])  # 'zero' (the default): zeros shaped like y


def test_return_disconnected_modes() -> None:
    x, y = T.dscalars("x", "y")
    cost = x * 2
    assert T.grad(cost, y, disconnected_inputs="ignore", return_disconnected="None") is None
    assert T.grad(cost, y, disconnected_inputs="ignore", return_disconnected="none") is None
    assert isinstance(T.grad(cost, y, disconnected_inputs="ignore", return_disconnected="Disconnected"),
                      DisconnectedType)
    zero = T.grad(cost, y, disconnected_inputs="ignore", return_disconnected="zero")
    assert isinstance(zero, TensorVariable) and zero.dtype == "float64"
    _eq(zero.eval({y: np.array(4.0)}), 0.0)
    # the default is still to raise, whatever return_disconnected says
    with pytest.raises(DisconnectedInputError):
        T.grad(cost, y, return_disconnected="None")
    # a connected input is unaffected
    gx, gy = T.grad(cost, [x, y], disconnected_inputs="ignore", return_disconnected="None")
    assert gy is None and isinstance(gx, TensorVariable)


def test_gradient_through_an_integer_index_is_disconnected_not_zero() -> None:
    x = T.dvector("x")
    i = T.lscalar("i")
    with pytest.raises(DisconnectedInputError):
        T.grad(x[i], i)


def test_consider_constant() -> None:
    a = T.dscalar("a")
    b = a**2
    cost = b * a
    f = theano.function([a], [T.grad(cost, a), T.grad(cost, a, consider_constant=[b])])
    _eq(f(3.0), [27.0, 9.0])  # 3 a**2, and b = a**2 held constant
    # holding the cost's only path constant disconnects it
    with pytest.raises(DisconnectedInputError):
        T.grad(b, a, consider_constant=[b])


def test_known_grads() -> None:
    a = T.dscalar("a")
    h = a * 3
    # grad(None, ...) backpropagates only the given gradients
    g = T.grad(None, a, known_grads={h: T.constant(2.0)})
    _eq(g.eval(), 6.0)
    # with a cost, the given gradient is added to the cost's own
    g2 = T.grad(h * h, a, known_grads={h: T.constant(2.0)})
    _eq(theano.function([a], g2)(3.0), (2 * 9.0 + 2.0) * 3)
    # numbers are accepted; the ndim must match
    v = T.dvector("v")
    hv = v * v
    _eq(theano.function([v], T.grad(None, v, known_grads={hv: np.array([1.0, 10.0])}))([1.0, 2.0]), [2.0, 40.0])
    with pytest.raises(TypeError, match="ndim"):
        T.grad(None, v, known_grads={hv: T.constant(1.0)})


def test_gradient_with_respect_to_intermediate_and_shared_variables() -> None:
    x = T.dvector("x")
    h = x * 2
    _eq(theano.function([x], T.grad(T.sum(h**2), h))([1.0, 2.0]), [4.0, 8.0])
    c = T.sum(x)
    _eq(theano.function([x], T.grad(c, c))([1.0]), 1.0)
    w = theano.shared(np.array([1.0, 2.0]), name="w")
    _eq(T.grad(T.sum(w**2), w).eval(), [2.0, 4.0])


def test_gradient_names() -> None:
    a = T.dscalar("a")
    cost = a * 2
    cost.name = "cost"
    assert T.grad(cost, a).name == "(dcost/da)"
    assert T.grad(cost, a, add_names=False).name is None


def test_gradient_dtype_follows_wrt() -> None:
    fv = T.fvector("fv")
    g = T.grad(T.sum(T.cast(fv, "float64") ** 2), fv)
    assert g.dtype == "float32"
    _eq(theano.function([fv], g)(np.array([1.5], dtype=np.float32)), np.array([3.0], dtype=np.float32))
    d = T.dvector("d")
    assert T.grad(T.sum(T.cast(d, "float32")), d).dtype == "float64"


# ----------------------------------------------------------------------------------- integers


def test_integer_inputs_get_float_gradients() -> None:
    i = T.iscalar("i")
    g = T.grad(i * 2.5, i)
    assert g.dtype == "float64"
    _eq(theano.function([i], g)(3), 2.5)
    b = T.bvector("b")
    gb = T.grad(T.sum(b * b * 1.5), b)  # int8 * int8 stays int8, then * 1.5 is float
    assert gb.dtype == "float64"
    _eq(theano.function([b], gb)(np.array([1, 2], dtype=np.int8)), [3.0, 6.0])


def test_integer_valued_outputs_have_exactly_zero_gradients() -> None:
    x = T.dvector("x")
    y = T.dvector("y")
    pieces = [
        T.floor(x), T.ceil(x), T.round(x), T.trunc(x), T.sign(x), x // 0.7,
        T.cast(T.lt(x, y), "float64"), T.cast(T.argmax(x), "float64"), T.cast(T.shape(x)[0], "float64"),
        T.cast(T.cast(x, "int64"), "float64"),
    ]
    for piece in pieces:
        g = T.grad(T.sum(piece * 3.0), x)
        _eq(theano.function([x, y], g, on_unused_input="ignore")([0.5, 1.5, -2.5], [1.0, 1.0, 1.0]), [0.0] * 3)
    # an integer cost: the gradient is zero (a float tensor)
    i = T.lvector("i")
    gi = T.grad(T.sum(i * 2), i)
    assert gi.dtype == "float64"
    _eq(theano.function([i], gi)([1, 2]), [0.0, 0.0])


# ----------------------------------------------------------------------------------- kinks and ties


def _grad_fn(cost: TensorVariable, *inputs: TensorVariable) -> theano.compile.function.Function:  # type: ignore[name-defined]
    grads = T.grad(cost, list(inputs))
    return theano.function(list(inputs), grads)


def test_maximum_minimum_split_ties_evenly() -> None:
    x = T.dscalar("x")
    _eq(theano.function([x], T.grad(T.maximum(x, x), x))(2.0), 1.0)
    _eq(theano.function([x], T.grad(T.minimum(x, x), x))(2.0), 1.0)
    a, b = T.dvectors("a", "b")
    _eq(_grad_fn(T.sum(T.maximum(a, b)), a, b)([1.0, 2.0], [1.0, 3.0]), [[0.5, 0.0], [0.5, 1.0]])
    _eq(_grad_fn(T.sum(T.minimum(a, b)), a, b)([1.0, 2.0], [1.0, 3.0]), [[0.5, 1.0], [0.5, 0.0]])
    # relu = maximum(x, 0): at 0 the gradient is 1/2
    _eq(theano.function([a], T.grad(T.sum(T.maximum(a, 0.0)), a))([-1.0, 0.0, 2.0]), [0.0, 0.5, 1.0])


def test_max_min_reductions_split_ties_evenly() -> None:
    m = T.dmatrix("m")
    _close(theano.function([m], T.grad(T.sum(T.max(m, axis=1)), m))([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]]),
           [[0.0, 0.5, 0.5], [1 / 3, 1 / 3, 1 / 3]])
    _eq(theano.function([m], T.grad(T.sum(T.min(m, axis=0, keepdims=True)), m))([[1.0, 3.0, 3.0], [1.0, 2.0, 4.0]]),
        [[0.5, 0.0, 1.0], [0.5, 1.0, 0.0]])
    _eq(theano.function([m], T.grad(T.max(m), m))([[1.0, 5.0], [5.0, 0.0]]), [[0.0, 0.5], [0.5, 0.0]])


def test_abs_sqrt_pow_at_zero() -> None:
    x = T.dvector("x")
    _eq(theano.function([x], T.grad(T.sum(abs(x)), x))([-2.0, 0.0, 3.0]), [-1.0, 0.0, 1.0])
    _eq(theano.function([x], T.grad(T.sum(T.sqrt(x)), x))([0.0, 4.0]), [np.inf, 0.25])
    _eq(theano.function([x], T.grad(T.sum(x**2.0), x))([0.0, 1.0]), [0.0, 2.0])
    _eq(theano.function([x], T.grad(T.sum(x**0.5), x))([0.0, 4.0]), [np.inf, 0.25])
    y = T.dvector("y")
    # d/dy x**y = x**y log x, taken as 0 where x == 0 (instead of 0 * -inf = nan)
    _close(theano.function([x, y], T.grad(T.sum(x**y), y))([0.0, 2.0], [2.0, 3.0]), [0.0, 8 * np.log(2.0)])


def test_clip_passes_the_gradient_to_x_at_its_bounds() -> None:
    x, lo, hi = T.dvector("x"), T.dscalar("lo"), T.dscalar("hi")
    f = _grad_fn(T.sum(T.clip(x, lo, hi)), x, lo, hi)
    gx, glo, ghi = f([0.0, 1.0, 1.5, 2.0, 3.0], 1.0, 2.0)
    _eq(gx, [0.0, 1.0, 1.0, 1.0, 0.0])
    _eq([glo, ghi], [1.0, 1.0])
    # lo > hi: numpy's clip gives hi everywhere, so hi gets every gradient
    gx, glo, ghi = f([0.0, 1.5, 3.0], 2.0, 1.0)
    _eq(gx, [0.0, 0.0, 0.0])
    _eq([glo, ghi], [0.0, 3.0])


def test_switch_masks_the_cotangent_but_ifelse_is_lazy() -> None:
    x = T.dscalar("x")
    switched = T.switch(x > 0, T.sqrt(x), 0.0)
    branched = T.ifelse(x > 0, T.sqrt(x), T.constant(0.0))
    assert isinstance(branched, TensorVariable)
    f = theano.function([x], [T.grad(switched, x), T.grad(branched, x)])
    g_switch, g_ifelse = f(-1.0)
    assert np.isnan(g_switch)  # 0 * d sqrt(x)/dx at -1 = 0 * nan: the untaken side is evaluated
    _eq(g_ifelse, 0.0)  # the untaken branch (and its gradient) is never evaluated
    _eq(f(4.0), [0.25, 0.25])
    # a finite untaken side is masked to exactly zero
    _eq(theano.function([x], T.grad(T.switch(x > 0, x**2, -x), x))(-1.0), -1.0)
    # nested ifelse: only the taken path is differentiated
    y = T.dscalar("y")
    inner = T.ifelse(y > 0, T.log(y) * x, x)
    outer = T.ifelse(x > 0, T.sqrt(x) * inner, -x)
    g = theano.function([x, y], T.grad(outer, [x, y]))
    _eq(g(-4.0, -1.0), [-1.0, 0.0])
    _close(g(4.0, np.e), [0.25 * 4.0 + 2.0, 2.0 * 4.0 / np.e])
    # forward mode agrees
    _eq(theano.function([x], T.Rop(branched, x, T.constant(1.0)))(-1.0), 0.0)


# ----------------------------------------------------------------------------------- broadcasting


def test_broadcast_gradients_sum_back_to_the_input_shape() -> None:
    m = T.dmatrix("m")
    r = T.drow("r")  # statically (1, ?)
    c = T.dcol("c")  # statically (?, 1)
    v = T.dvector("v")
    s = T.dscalar("s")
    data = np.arange(6.0).reshape(3, 2)
    cost = T.sum((r + m) * (c * m) + v * m + s * m)
    grads = theano.function([m, r, c, v, s], T.grad(cost, [r, c, v, s]))
    gr, gc, gv, gs = grads(data, [[1.0, 2.0]], [[1.0], [2.0], [3.0]], [5.0, 7.0], 3.0)
    cm = np.array([[1.0], [2.0], [3.0]]) * data
    _eq(gr, np.sum(cm, axis=0, keepdims=True))
    _eq(gc, np.sum((np.array([[1.0, 2.0]]) + data) * data, axis=1, keepdims=True))
    _eq(gv, np.sum(data, axis=0))
    _eq(gs, np.sum(data))
    assert gr.shape == (1, 2) and gc.shape == (3, 1) and gv.shape == (2,) and gs.shape == ()


def test_runtime_length_one_dims_are_summed_back() -> None:
    # x has no static length: numpy broadcasts a length-1 value at run time, and sum_to undoes it
    x = T.dvector("x")
    m = T.dmatrix("m")
    g = T.grad(T.sum(x * m), x)
    f = theano.function([x, m], g)
    _eq(f([2.0], [[1.0, 2.0], [3.0, 4.0]]), [10.0])
    _eq(f([2.0, 1.0], [[1.0, 2.0], [3.0, 4.0]]), [4.0, 6.0])
    assert "sum_to" in theano.pp(g)
    a = T.dmatrix("a")
    ga = T.grad(T.sum(a * m), a)
    _eq(theano.function([a, m], ga)([[1.0]], [[1.0, 2.0], [3.0, 4.0]]), [[10.0]])
    _eq(theano.function([a, m], ga)([[1.0], [1.0]], [[1.0, 2.0], [3.0, 4.0]]), [[3.0], [7.0]])


def test_statically_known_lengths_need_no_sum_to() -> None:
    x = T.TensorType("float64", shape=(2,))("x")
    m = T.TensorType("float64", shape=(3, 2))("m")
    g = T.grad(T.sum(x * m), x)
    assert "sum_to" not in theano.pp(g) and g.type.shape == (2,)


# ----------------------------------------------------------------------------------- indexing


def test_indexing_gradients() -> None:
    x = T.dvector("x")
    i = T.lvector("i")
    k = T.lscalar("k")
    weights = T.constant(np.array([1.0, 10.0, 100.0]))
    cases = [
        (T.sum(x[1:3]), [0.0, 1.0, 1.0, 0.0]),
        (T.sum(x[::-1][:3] * weights), [0.0, 100.0, 10.0, 1.0]),
        (T.sum(x[i] * weights), [11.0, 0.0, 0.0, 100.0]),  # duplicates accumulate
        (x[k] * 2, [0.0, 0.0, 0.0, 2.0]),
        (x[-1] * 3, [0.0, 0.0, 0.0, 3.0]),
        (T.sum(x[x > 2.5]), [0.0, 0.0, 1.0, 1.0]),
    ]
    for cost, want in cases:
        f = theano.function([x, i, k], T.grad(cost, x), on_unused_input="ignore")
        _eq(f([1.0, 2.0, 3.0, 4.0], [0, 0, 3], 3), want)
    m = T.dmatrix("m")
    g = T.grad(T.sum(m[[0, 0], [1, 1]]) + T.sum(m[:, 0]), m)
    _eq(theano.function([m], g)(np.zeros((2, 2))), [[1.0, 2.0], [1.0, 0.0]])


def test_set_subtensor_duplicates_only_the_last_write_gets_the_gradient() -> None:
    x, v = T.dvectors("x", "v")
    weights = T.arange(4.0) + 1
    s = T.set_subtensor(x[[0, 0, 2]], v)
    gx, gv = theano.function([x, v], T.grad(T.sum(s * weights), [x, v]))([1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0])
    _eq(gx, [0.0, 2.0, 0.0, 4.0])  # overwritten positions get nothing
    _eq(gv, [0.0, 1.0, 3.0])  # v[0] was overwritten by v[1]
    # a broadcast value written twice: the winning writes' gradients are summed back
    s2 = T.set_subtensor(x[[1, 1, 3]], v[0])
    _eq(theano.function([x, v], T.grad(T.sum(s2 * weights), v))([1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0]),
        [2.0 + 4.0, 0.0, 0.0])


def test_inc_subtensor_duplicates_accumulate() -> None:
    x, v = T.dvectors("x", "v")
    weights = T.arange(4.0) + 1
    s = T.inc_subtensor(x[[0, 0, 2]], v)
    gx, gv = theano.function([x, v], T.grad(T.sum(s * weights), [x, v]))([1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0])
    _eq(gx, [1.0, 2.0, 3.0, 4.0])
    _eq(gv, [1.0, 1.0, 3.0])
    m = T.dmatrix("m")
    s3 = T.inc_subtensor(m[:, 1:], v[:1])
    _eq(theano.function([m, v], T.grad(T.sum(s3), v))(np.zeros((3, 3)), [1.0, 2.0]), [6.0, 0.0])


# ----------------------------------------------------------------------------------- shapes, linear algebra


def test_reshape_dimshuffle_transpose_flatten() -> None:
    m = T.dmatrix("m")
    data = np.arange(6.0).reshape(2, 3)
    w = np.arange(6.0) + 1
    cases = [
        (T.sum(T.reshape(m, (3, 2)) * w.reshape(3, 2)), w.reshape(2, 3)),
        (T.sum(m.dimshuffle(1, "x", 0) * w.reshape(3, 1, 2)), w.reshape(3, 2).T),
        (T.sum(m.T * w.reshape(3, 2)), w.reshape(3, 2).T),
        (T.sum(T.flatten(m) * w), w.reshape(2, 3)),
    ]
    for cost, want in cases:
        _eq(theano.function([m], T.grad(cost, m))(data), want)
    r = T.drow("r")
    _eq(theano.function([r], T.grad(T.sum(r.dimshuffle(1) * [1.0, 2.0]), r))([[3.0, 4.0]]), [[1.0, 2.0]])


def test_dot_tensordot_batched_dot() -> None:
    rng = np.random.default_rng(0)
    a_val, b_val, v_val = rng.standard_normal((2, 3)), rng.standard_normal((3, 4)), rng.standard_normal(3)
    a, b, v = T.dmatrix("a"), T.dmatrix("b"), T.dvector("v")
    ones = np.ones((2, 4))
    ga, gb = theano.function([a, b], T.grad(T.sum(T.dot(a, b)), [a, b]))(a_val, b_val)
    _close(ga, ones @ b_val.T)
    _close(gb, a_val.T @ ones)
    ga, gv = theano.function([a, v], T.grad(T.sum(T.dot(a, v) * [1.0, 2.0]), [a, v]))(a_val, v_val)
    _close(ga, np.outer([1.0, 2.0], v_val))
    _close(gv, a_val.T @ [1.0, 2.0])
    t3 = T.dtensor3("t3")
    t_val = rng.standard_normal((3, 2, 5))
    gt, ga = theano.function([t3, a], T.grad(T.sum(T.tensordot(t3, a, [[1, 0], [0, 1]])), [t3, a]))(t_val, a_val)
    _close(gt, np.broadcast_to(a_val.T[:, :, None], (3, 2, 5)))
    _close(ga, np.sum(t_val, axis=2).T)
    x3, y3 = T.dtensor3("x3"), T.dtensor3("y3")
    x_val, y_val = rng.standard_normal((4, 2, 3)), rng.standard_normal((4, 3, 5))
    gx, gy = theano.function([x3, y3], T.grad(T.sum(T.batched_dot(x3, y3)), [x3, y3]))(x_val, y_val)
    _close(gx, np.einsum("bkj->bk", y_val)[:, None, :] * np.ones((4, 2, 3)))
    _close(gy, np.einsum("bij->bj", x_val)[:, :, None] * np.ones((4, 3, 5)))


def test_reductions_with_keepdims() -> None:
    m = T.dmatrix("m")
    data = np.array([[1.0, 2.0, 4.0], [3.0, 5.0, 6.0]])
    w = np.array([[1.0], [10.0]])
    _eq(theano.function([m], T.grad(T.sum(T.sum(m, axis=1, keepdims=True) * w), m))(data),
        np.broadcast_to(w, (2, 3)))
    _close(theano.function([m], T.grad(T.sum(T.mean(m, axis=0, keepdims=True) * [1.0, 2.0, 3.0]), m))(data),
           np.broadcast_to([0.5, 1.0, 1.5], (2, 3)))
    _close(theano.function([m], T.grad(T.sum(T.prod(m, axis=1, keepdims=True)), m))(data),
           [[8.0, 4.0, 2.0], [30.0, 18.0, 15.0]])
    # prod at zeros: the product of the other elements, exactly
    v = T.dvector("v")
    _eq(theano.function([v], T.grad(T.prod(v), v))([2.0, 0.0, 3.0]), [0.0, 6.0, 0.0])
    _eq(theano.function([v], T.grad(T.prod(v), v))([2.0, 0.0, 0.0]), [0.0, 0.0, 0.0])
    # and so is its Hessian
    hv = hessian(T.prod(T.specify_shape(v, (3,))), v)
    _eq(theano.function([v], hv)([2.0, 0.0, 3.0]), [[0.0, 3.0, 0.0], [3.0, 0.0, 2.0], [0.0, 2.0, 0.0]])
    _eq(theano.function([v], hv)([2.0, 0.0, 0.0]), [[0.0, 0.0, 0.0], [0.0, 0.0, 2.0], [0.0, 2.0, 0.0]])


def test_softmax_and_crossentropy() -> None:
    z = T.dmatrix("z")
    t = T.lvector("t")
    logits = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
    targets = np.array([2, 0])
    p = np.exp(logits) / np.sum(np.exp(logits), axis=1, keepdims=True)
    onehot = np.eye(3)[targets]
    ce = T.mean(T.nnet.categorical_crossentropy(T.nnet.softmax(z), t))
    _close(theano.function([z, t], T.grad(ce, z))(logits, targets), (p - onehot) / 2)
    # one-hot float targets, and log_softmax: the same gradient
    o = T.dmatrix("o")
    ce2 = T.sum(T.nnet.categorical_crossentropy(T.nnet.softmax(z), o))
    _close(theano.function([z, o], T.grad(ce2, z))(logits, onehot), p - onehot)
    ce3 = -T.sum(T.log_softmax(z) * o)
    _close(theano.function([z, o], T.grad(ce3, z))(logits, onehot), p - onehot)
    # the integer targets get no gradient (an index is disconnected)
    with pytest.raises(DisconnectedInputError):
        T.grad(ce, t)
    # binary crossentropy of a sigmoid
    x, y = T.dvectors("x", "y")
    bce = T.sum(T.nnet.binary_crossentropy(T.sigmoid(x), y))
    s = 1 / (1 + np.exp(-np.array([0.5, -1.0])))
    _close(theano.function([x, y], T.grad(bce, x))([0.5, -1.0], [1.0, 0.0]), s - [1.0, 0.0])


# ----------------------------------------------------------------------------------- undefined


def test_psi_has_no_derivative() -> None:
    x = T.dscalar("x")
    with pytest.raises(NullTypeGradError, match="psi"):
        T.grad(T.psi(x), x)
    with pytest.raises(NullTypeGradError):  # second derivative of gammaln
        T.grad(T.grad(T.gammaln(x), x), x)
    null = T.grad(T.psi(x), x, null_gradients="return")
    assert isinstance(null, NullGrad) and "psi" in null.reason
    # a psi that the cost does not depend on is no problem
    _eq(theano.function([x], T.grad(x * 2 + 0 * T.gammaln(x), x))(2.0), 2.0 + 0 * np.euler_gamma)


def test_complex_parts_are_not_differentiable() -> None:
    x = T.dvector("x")
    for part in (T.real, T.imag):
        with pytest.raises(NullTypeGradError):
            T.grad(T.sum(part(x * np.complex128(1j))), x)
    with pytest.raises(TypeError):
        T.Rop(T.real(x * np.complex128(1j)), x, x)


# ----------------------------------------------------------------------------------- Lop, Rop, jacobian, hessian


def test_lop_and_rop_on_lists() -> None:
    x, y = T.dvectors("x", "y")
    vals = {x: np.array([1.0, 2.0]), y: np.array([3.0, 4.0])}
    lop = T.Lop([x**2, T.sum(x * y)], [x, y], [T.ones_like(x), T.constant(2.0)])
    assert isinstance(lop, list)
    _eq(lop[0].eval(vals), [2 + 6.0, 4 + 8.0])
    _eq(lop[1].eval(vals), [2.0, 4.0])
    rop = T.Rop([x**2, T.sum(x * y)], [x, y], [T.ones_like(x), T.ones_like(y) * 2])
    assert isinstance(rop, list)
    _eq(rop[0].eval(vals), [2.0, 4.0])
    _eq(rop[1].eval(vals), 3 + 4 + 2 * (1 + 2))
    with pytest.raises(ValueError):
        T.Rop([x], [x, y], [x])
    with pytest.raises(TypeError, match="ndim"):
        T.Rop(x**2, x, T.dscalar())


def test_rop_broadcasts_eval_points_to_wrt() -> None:
    x, e = T.dvectors("x", "e")
    r = T.Rop(x**2, x, e)
    _eq(theano.function([x, e], r)([1.0, 2.0, 3.0], [2.0]), [4.0, 8.0, 12.0])
    _eq(theano.function([x, e], r)([1.0, 2.0, 3.0], [1.0, 0.0, 2.0]), [2.0, 0.0, 12.0])
    with pytest.raises(Exception):
        theano.function([x, e], r)([1.0, 2.0, 3.0], [1.0, 2.0])


def test_rop_of_integer_valued_outputs_is_zero() -> None:
    x, e = T.dvectors("x", "e")
    r = T.Rop(T.floor(x) * 2, x, e)
    _eq(theano.function([x, e], r, on_unused_input="ignore")([1.5, 2.5], [1.0, 1.0]), [0.0, 0.0])


def test_jacobian_and_hessian_on_lists() -> None:
    x, y = T.dvectors("x", "y")
    vals = {x: np.array([1.0, 2.0]), y: np.array([3.0, 4.0])}
    jx, jy = jacobian(x * y, [x, y])
    _eq(jx.eval(vals), np.diag([3.0, 4.0]))
    _eq(jy.eval(vals), np.diag([1.0, 2.0]))
    _eq(jacobian(T.sum(x**2), x).eval(vals), [2.0, 4.0])  # a scalar expression: the gradient
    hx, hy = hessian(T.sum(x**2 * y), [x, y])
    _eq(hx.eval(vals), np.diag([6.0, 8.0]))
    _eq(hy.eval(vals), np.zeros((2, 2)))
    with pytest.raises(TypeError):
        jacobian(T.outer(x, y), x)


def test_hessian_vector_product() -> None:
    x, v = T.dvectors("x", "v")
    hv = hessian_vector_product(T.sum(x**3), x, v)
    _eq(theano.function([x, v], hv)([1.0, 2.0], [1.0, 1.0]), [6.0, 12.0])
    # the same by reverse-over-reverse
    gv = T.grad(T.sum(T.grad(T.sum(x**3), x) * v), x)
    _eq(theano.function([x, v], gv)([1.0, 2.0], [1.0, 1.0]), [6.0, 12.0])


def test_softmax_crossentropy_is_finite_where_a_probability_underflows() -> None:
    # softmax(z) of the second row underflows to exactly 0 at class 2; categorical_crossentropy
    # builds log_softmax, so the cost and its gradient stay finite on both paths
    z = T.dmatrix("z")
    t = T.lvector("t")
    cost = T.mean(T.nnet.categorical_crossentropy(T.nnet.softmax(z), t))
    for mode in ("REFERENCE", "FAST_RUN"):
        value, g = theano.function([z, t], [cost, T.grad(cost, z)], mode=mode)(
            [[0.0, 0.0, 0.0], [1000.0, 0.0, -1000.0]], [2, 2])
        np.testing.assert_allclose(value, (np.log(3.0) + 2000.0) / 2)
        np.testing.assert_allclose(g, [[1 / 6, 1 / 6, -1 / 3], [0.5, 0.0, -0.5]], atol=1e-12)


# -- found by the diffcheck gradient campaign --------------------------------------------------------

def test_partials_of_bool_and_small_integer_inputs_are_computed_in_the_output_dtype() -> None:
    x = T.dvector("x")
    i8 = T.bvector("i8")
    at = np.array([-1.0, 2.0])
    g_erf = theano.function([x], theano.grad(T.sum(T.erf(T.isnan(x)) * x), x))(at)
    np.testing.assert_allclose(g_erf, [0.0, 0.0])  # erf(False) = 0
    g_abs = theano.function([x], theano.grad(T.sum(abs(T.lt(x, 0)) * x), x))(at)
    np.testing.assert_array_equal(g_abs, [1.0, 0.0])
    g_atan2 = theano.function([x], theano.grad(T.sum(T.arctan2(T.lt(x, 0), x)), x))(at)
    np.testing.assert_allclose(g_atan2, [-0.5, 0.0])
    # erf'(12) = 2/sqrt(pi) exp(-144), 0 in float32: squaring the int8 12 would wrap to -112, giving inf
    f = theano.function([i8, x], theano.grad(T.sum(T.erf(i8) * x), i8))
    np.testing.assert_allclose(f(np.array([12, 0], dtype=np.int8), np.ones(2)), [0.0, 2 / np.sqrt(np.pi)],
                               rtol=1e-6)


def test_softmax_of_a_scalar_has_a_zero_gradient() -> None:
    s = T.dscalar("s")
    for build in (T.nnet.softmax, T.nnet.log_softmax):
        np.testing.assert_array_equal(theano.function([s], theano.grad(T.sum(build(s)), s))(2.0), 0.0)
        np.testing.assert_array_equal(theano.function([s], theano.gradient.Rop(build(s), s, T.ones_like(s)))(2.0), 0.0)


def test_rop_through_an_ifelse_with_an_integer_output_beside() -> None:
    from refspec.ifelse import ifelse

    c, u = T.lscalar("c"), T.bvector("u")
    x, y, t = T.dvectors("x", "y", "t")
    _, chosen = ifelse(c, [u, x], [u, y])
    f = theano.function([c, u, x, y, t], theano.gradient.Rop(chosen, x, t), on_unused_input="ignore")
    args = (np.array([1], dtype=np.int8), np.ones(2), np.ones(2), np.array([3.0, 4.0]))
    np.testing.assert_array_equal(f(1, *args), [3.0, 4.0])
    np.testing.assert_array_equal(f(0, *args), [0.0, 0.0])
