"""Gradients through scan (spec/scan.md, "Gradients"): verify_grad (directional central differences in
reverse mode, and the Rop/Lop inner-product test for forward mode) through an RNN, taps, until,
go_backwards, nested scans and captured variables; truncate_gradient against a hand-derived truncated
gradient; loops that update shared variables (random states included)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import refspec as theano
import refspec.tensor as T
from refspec.gradient import NullTypeGradError, verify_grad
from refspec.scan_module import until
from refspec.tensor.var import TensorVariable

Array = np.ndarray[Any, Any]


def rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def first(result: tuple[Any, Any]) -> TensorVariable:
    out = result[0]
    assert isinstance(out, TensorVariable)
    return out


# ---------------------------------------------------------------- verify_grad through loops


def test_rnn() -> None:
    r = rng(0)

    def rnn(x: TensorVariable, w: TensorVariable, u: TensorVariable, h0: TensorVariable) -> TensorVariable:
        return first(theano.scan(lambda x_t, h, w_, u_: T.tanh(T.dot(x_t, w_) + T.dot(h, u_)), sequences=x,
                                 outputs_info=h0, non_sequences=[w, u]))

    point = [r.standard_normal((5, 3)), 0.5 * r.standard_normal((3, 2)), 0.5 * r.standard_normal((2, 2)),
             r.standard_normal(2)]
    verify_grad(rnn, point, rng=r)


def test_one_step_variable_returned_as_two_outputs() -> None:
    # the step returns one variable s for both recurrent outputs: each output's cotangent counts
    x = T.dvector("x")

    def step(a: TensorVariable, b: TensorVariable) -> tuple[TensorVariable, TensorVariable]:
        s = a + b
        return s, s

    outs, _ = theano.scan(step, outputs_info=[x, x], n_steps=2)
    g = theano.function([x], theano.grad(T.sum(outs[0]), x))(np.ones(2))
    np.testing.assert_array_equal(g, [6.0, 6.0])  # sum of 2x, 4x over both entries' paths
    verify_grad(lambda v: theano.scan(step, outputs_info=[v, v], n_steps=3)[0][1], [rng(1).standard_normal(2)],
                rng=rng(2))


def test_rnn_float32() -> None:
    """float32 loops differentiate in float32 and agree with the float64 gradient. (verify_grad's float64
    twin does not widen a scan's inner graph, so this compares with the float64 loop directly.)"""
    r = rng(1)
    xv, wv, hv = r.standard_normal((4, 2)), r.standard_normal(2), r.standard_normal(2)
    grads = {}
    for dtype in ["float32", "float64"]:
        x = T.matrix("x", dtype=dtype)
        w, h0 = T.vector("w", dtype=dtype), T.vector("h0", dtype=dtype)
        hs = first(theano.scan(lambda x_t, h, w_: T.tanh(x_t * w_ + h * w_), sequences=x, outputs_info=h0,
                               non_sequences=w))
        g = T.grad(hs.sum(), [x, w, h0])
        assert all(gi.dtype == dtype for gi in g)
        grads[dtype] = theano.function([x, w, h0], g)(xv.astype(dtype), wv.astype(dtype), hv.astype(dtype))
    for g32, g64 in zip(grads["float32"], grads["float64"]):
        np.testing.assert_allclose(g32, g64, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("seq_taps", [[0], [-2, 0, 1], [1], [-3, -1]])
@pytest.mark.parametrize("go_backwards", [False, True])
def test_sequence_taps_and_output_taps(seq_taps: list[int], go_backwards: bool) -> None:
    r = rng(2)

    def f(x: TensorVariable, h0: TensorVariable) -> TensorVariable:
        def step(*args: TensorVariable) -> TensorVariable:
            xs, (hm2, hm1) = args[:-2], args[-2:]
            mix = sum((i + 1.0) * a for i, a in enumerate(xs))
            return T.sin(mix * hm1) + 0.5 * hm2

        return first(theano.scan(step, sequences=dict(input=x, taps=seq_taps),
                                 outputs_info=dict(initial=h0, taps=[-2, -1]), go_backwards=go_backwards))

    verify_grad(f, [r.standard_normal(8), r.standard_normal(2)], rng=r)


def test_initial_longer_than_taps_gets_zero_past_the_window() -> None:
    h0 = T.dvector("h0")
    out = first(theano.scan(lambda a, b: a * b, outputs_info=dict(initial=h0, taps=[-2, -1]), n_steps=3))
    g = T.grad(out.sum(), h0).eval({h0: np.array([1.0, 2.0, 100.0])})
    # past (a, b) = (1, 2), then ab, ab^2, a^2 b^3: d/da = b + b^2 + 2ab^3 = 22, d/db = a + 2ab + 3a^2 b^2 = 17;
    # the third entry of the initial value is never read
    np.testing.assert_array_equal(g, [22.0, 17.0, 0.0])
    r = rng(3)
    verify_grad(lambda h: first(theano.scan(lambda a, b: a * T.cos(b), outputs_info=dict(initial=h, taps=[-2, -1]),
                                            n_steps=4)), [r.standard_normal(3)], rng=r)


def test_tap_minus_three() -> None:
    r = rng(4)
    verify_grad(lambda x, h: first(theano.scan(lambda a, hm3: hm3 * T.sin(a) + a, sequences=x,
                                               outputs_info=dict(initial=h, taps=[-3]))),
                [r.standard_normal(7), r.standard_normal(3)], rng=r)


def test_until() -> None:
    """Only the steps that ran count; the stop condition is far from the perturbed values."""
    r = rng(5)
    x = r.standard_normal(8)
    x[4] = 50.0  # the loop stops at step 4

    def f(xs: TensorVariable, h0: TensorVariable) -> TensorVariable:
        return first(theano.scan(lambda a, h: (h * T.sin(a) + a, until(a > 10)), sequences=xs, outputs_info=h0))

    xs = T.dvector("xs")
    h0 = T.dscalar("h0")
    assert f(xs, h0).eval({xs: x, h0: 0.3}).shape == (5,)
    verify_grad(f, [x, np.array(0.3)], rng=r)
    gx = T.grad(f(xs, h0).sum(), xs).eval({xs: x, h0: 0.3})
    np.testing.assert_array_equal(gx[5:], 0.0)  # entries after the stop get nothing


def test_go_backwards() -> None:
    r = rng(6)
    verify_grad(lambda x, h0: first(theano.scan(lambda a, h: h * a + a**2, sequences=x, outputs_info=h0,
                                                go_backwards=True)),
                [r.standard_normal(6), r.standard_normal(())], rng=r)


def test_nested() -> None:
    r = rng(7)

    def f(m: TensorVariable, c: TensorVariable) -> TensorVariable:
        def row(rw: TensorVariable, h: TensorVariable) -> TensorVariable:
            inner = first(theano.scan(lambda v, acc: acc * c + T.sin(v) * h, sequences=rw,
                                      outputs_info=T.constant(0.0)))
            return inner[-1] + 0.5 * h

        return first(theano.scan(row, sequences=m, outputs_info=T.constant(1.0)))

    verify_grad(f, [r.standard_normal((3, 4)), r.standard_normal(())], rng=r)


def test_captured_variables() -> None:
    r = rng(8)

    def f(x: TensorVariable, c: TensorVariable, w: TensorVariable) -> TensorVariable:
        return first(theano.scan(lambda a, h: T.tanh(h * w + a * c), sequences=x, outputs_info=T.zeros_like(c)))

    verify_grad(f, [r.standard_normal((5, 2)), r.standard_normal(2), r.standard_normal(2)], rng=r)


def test_several_outputs_one_not_fed_back() -> None:
    r = rng(9)

    def f(x: TensorVariable, w: TensorVariable) -> TensorVariable:
        outs = theano.scan(lambda a, h, w_: [w_ * h + a, T.sin(h) * a], sequences=x,
                           outputs_info=[T.constant(0.2), None], non_sequences=w)[0]
        assert isinstance(outs, list)
        return outs[0] * outs[1]

    verify_grad(f, [r.standard_normal(5), r.standard_normal(())], rng=r)


def test_integer_inputs_flow_like_continuous_ones() -> None:
    """spec/autodiff.md, "Integers": the gradient with respect to an integer input treats it as a real
    number; through a loop it is the gradient of the unrolled loop, whatever the integer's role."""
    xv = rng(10).standard_normal(4)
    iv = np.arange(4, dtype=np.int32)
    x = T.dvector("x")
    i = T.ivector("i")
    k = T.iscalar("k")
    point = {x: xv, i: iv, k: 3}
    seq = first(theano.scan(lambda j, a: a * j, sequences=[i, x]))
    non_seq = first(theano.scan(lambda a, k_: a * k_, sequences=x, non_sequences=k))
    captured = first(theano.scan(lambda a: a * k, sequences=x))
    state = first(theano.scan(lambda a, s: s + 1, sequences=x, outputs_info=k))  # int32 steps k+1, k+2, ...
    np.testing.assert_array_equal(T.grad(seq.sum(), i).eval(point), xv)
    np.testing.assert_array_equal(T.grad(seq.sum(), x).eval(point), iv.astype(np.float64))
    assert T.grad(non_seq.sum(), k).eval(point) == pytest.approx(xv.sum())
    assert T.grad(captured.sum(), k).eval(point) == pytest.approx(xv.sum())
    assert T.grad((state * 1.5).sum(), k).eval(point) == 4 * 1.5
    assert T.grad(T.sum(x * i), i).eval(point).tolist() == xv.tolist()  # the same rule outside loops


def test_gradient_of_jacobian_scan() -> None:
    """Second order: the seed notes' Jacobian is a scan over grads; its own gradient goes through it."""
    r = rng(11)

    def jac(x: TensorVariable) -> TensorVariable:
        y = T.sin(x) * T.sum(x)
        return first(theano.scan(lambda i, y_, x_: T.grad(y_[i], x_), sequences=T.arange(y.shape[0]),
                                 non_sequences=[y, x]))

    verify_grad(jac, [r.standard_normal(3)], rng=r)


def test_order_two_through_rnn() -> None:
    r = rng(12)
    verify_grad(lambda x, w: first(theano.scan(lambda a, h, w_: T.tanh(h * w_ + a), sequences=x,
                                               outputs_info=T.constant(0.1), non_sequences=w)),
                [r.standard_normal(4), r.standard_normal(())], rng=r, order=2)


# ---------------------------------------------------------------- Rop and Lop


def test_rop_lop_against_finite_differences() -> None:
    r = rng(13)
    wv, vv, h0v = 0.5 * r.standard_normal((2, 2)), r.standard_normal((2, 2)), r.standard_normal(2)
    w, v = T.dmatrices("w", "v")
    h0 = T.dvector("h0")
    hs = first(theano.scan(lambda h, w_: T.tanh(T.dot(w_, h)), outputs_info=h0, non_sequences=w, n_steps=3))
    c = T.dmatrix("c")
    f = theano.function([w, v, h0, c], [T.Rop(hs, w, v), T.Lop(hs, w, c)])
    f_hs = theano.function([w, h0], hs)
    cv = r.standard_normal((3, 2))
    rop, lop = f(wv, vv, h0v, cv)
    eps = 1e-6
    numeric = (f_hs(wv + eps * vv, h0v) - f_hs(wv - eps * vv, h0v)) / (2 * eps)
    np.testing.assert_allclose(rop, numeric, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(np.sum(lop * vv), np.sum(cv * rop), rtol=1e-10)


def test_rop_through_until_and_taps() -> None:
    r = rng(14)
    xv = r.standard_normal(7)
    xv[5] = 40.0
    x, t = T.dvectors("x", "t")
    hs = first(theano.scan(lambda a, b, h: (h * a + T.sin(b), until(b > 10)), sequences=dict(input=x, taps=[-1, 0]),
                           outputs_info=T.constant(0.5)))
    f = theano.function([x, t], T.Rop(hs, x, t))
    f_hs = theano.function([x], hs)
    tv = r.standard_normal(7)
    eps = 1e-6
    numeric = (f_hs(xv + eps * tv) - f_hs(xv - eps * tv)) / (2 * eps)
    got = f(xv, tv)
    assert got.shape == (5,)
    np.testing.assert_allclose(got, numeric, rtol=1e-6, atol=1e-8)


# ---------------------------------------------------------------- truncate_gradient


def truncated_reference(xv: Array, h0: float, w: float, k: int) -> tuple[Array, float, float]:
    """d sum(h) for h_t = w * h_{t-1} + x_t, backpropagated through the last k steps only (k <= 0: all)."""
    n = len(xv)
    hs, h = [], h0
    for a in xv:
        h = w * h + a
        hs.append(h)
    prev = [h0, *hs[:-1]]
    visited = range(n) if k <= 0 else range(max(n - k, 0), n)
    ct = np.zeros(n)  # cotangent of h_t, from its own term and from later visited steps
    carry = 0.0
    for t in reversed(range(n)):
        ct[t] = 1.0 + carry
        carry = w * ct[t]
    gx = np.array([ct[t] if t in visited else 0.0 for t in range(n)])
    gw = sum(ct[t] * prev[t] for t in visited)
    gh0 = w * ct[0] if 0 in visited else 0.0
    return gx, float(gw), float(gh0)


@pytest.mark.parametrize("k", [-1, 1, 2, 4, 5, 9])
def test_truncate_gradient_matches_hand_derivation(k: int) -> None:
    r = rng(15)
    xv, h0v, wv = r.standard_normal(5), float(r.standard_normal()), 0.8
    x = T.dvector("x")
    h0, w = T.dscalars("h0", "w")
    hs = first(theano.scan(lambda a, h, w_: w_ * h + a, sequences=x, outputs_info=h0, non_sequences=w,
                           truncate_gradient=k))
    gx, gh0, gw = theano.function([x, h0, w], T.grad(hs.sum(), [x, h0, w]))(xv, h0v, wv)
    want_x, want_w, want_h0 = truncated_reference(xv, h0v, wv, k)
    np.testing.assert_allclose(gx, want_x, rtol=1e-12)
    assert gw == pytest.approx(want_w, rel=1e-12)
    assert gh0 == pytest.approx(want_h0, rel=1e-12, abs=0.0)


def test_truncate_gradient_with_taps_and_go_backwards() -> None:
    x = T.dvector("x")
    w = T.dscalar("w")
    hs = first(theano.scan(lambda a, h, w_: w_ * h + a, sequences=x, outputs_info=T.constant(0.0), non_sequences=w,
                           truncate_gradient=2, go_backwards=True))
    # steps read x[4], x[3], ..., x[0]; the last two steps read x[1] and x[0]
    np.testing.assert_allclose(T.grad(hs.sum(), x).eval({x: np.arange(5.0), w: 0.5}), [1.0, 1.5, 0.0, 0.0, 0.0])
    h0 = T.dvector("h0")
    fib = first(theano.scan(lambda a, b: a + b, outputs_info=dict(initial=h0, taps=[-2, -1]), n_steps=4,
                            truncate_gradient=2))
    np.testing.assert_array_equal(T.grad(fib.sum(), h0).eval({h0: [1.0, 1.0]}), [0.0, 0.0])
    fib_all = first(theano.scan(lambda a, b: a + b, outputs_info=dict(initial=h0, taps=[-2, -1]), n_steps=4,
                                truncate_gradient=4))
    # sum of h2..h5 with h2 = h0 + h1, ...: coefficients of (h0, h1) are (1+1+2+3, 1+2+3+5)
    np.testing.assert_array_equal(T.grad(fib_all.sum(), h0).eval({h0: [1.0, 1.0]}), [7.0, 11.0])


def test_truncate_gradient_of_a_map() -> None:
    """Even without recurrence, entries outside the last k steps get gradient 0 (Theano's rule)."""
    x = T.dvector("x")
    out = first(theano.map(lambda a: a**2, x, truncate_gradient=2))
    np.testing.assert_array_equal(T.grad(out.sum(), x).eval({x: [1.0, 2.0, 3.0]}), [0.0, 4.0, 6.0])


# ---------------------------------------------------------------- loops that update shared variables


def test_gradient_through_a_float_shared_update() -> None:
    # s doubles every step: hs[t] = x[t] * 2**t * s0
    s = theano.shared(1.5, name="s")
    x = T.dvector("x")
    hs, updates = theano.scan(lambda a: (a * s, {s: s * 2}), sequences=x)
    gx, gs = T.grad(hs.sum(), [x, s])
    f = theano.function([x], [gx, gs], no_default_updates=True)
    got_x, got_s = f([1.0, 2.0, 3.0])
    np.testing.assert_allclose(got_x, [1.5, 3.0, 6.0])
    np.testing.assert_allclose(got_s, 1.0 + 2.0 * 2 + 3.0 * 4)
    # the final value of s depends on s0 too: d s_T / d s0 = 2**T
    assert T.grad(updates[s], s).eval({x: [1.0, 2.0, 3.0]}) == 8.0


def test_gradient_through_an_integer_default_update() -> None:
    counter = theano.shared(np.int64(0), name="counter")
    counter.default_update = counter + 1
    x = T.dvector("x")
    hs, _ = theano.scan(lambda a: a * T.cast(counter, "float64"), sequences=x)  # a * t
    np.testing.assert_allclose(T.grad(hs.sum(), x).eval({x: [5.0, 5.0, 5.0]}), [0.0, 1.0, 2.0])


def test_gradient_through_random_draws_in_a_loop() -> None:
    from refspec.tensor.shared_randomstreams import RandomStreams

    srng = RandomStreams(seed=7)
    x = T.dmatrix("x")
    keep = srng.binomial((3,), p=0.5, dtype="float64")

    def step(row: T.TensorVariable) -> tuple[T.TensorVariable, T.TensorVariable]:
        mask = srng.binomial((3,), p=0.5, dtype="float64")
        return row * mask, mask

    (dropped, masks), updates = theano.scan(step, sequences=x)
    g = T.grad(dropped.sum(), x)
    f = theano.function([x], [g, masks], updates=updates)
    got, drawn = f(np.ones((4, 3)))
    np.testing.assert_array_equal(got, drawn)  # the gradient sees each step's own draw
    assert keep is not None


def test_verify_grad_through_a_shared_update() -> None:
    def fun(x: T.TensorVariable) -> T.TensorVariable:
        s = theano.shared(0.5, name="s")
        hs, _ = theano.scan(lambda a: (T.sin(a * s), {s: s + 0.25}), sequences=x)
        return hs

    verify_grad(fun, [np.array([0.3, -1.2, 0.7, 2.0])], rng=np.random.default_rng(3))


def test_n_steps_is_not_differentiable() -> None:
    k = T.dscalar("k")
    x = T.dvector("x")
    hs = first(theano.scan(lambda a: a * k, sequences=x, n_steps=T.cast(k, "int64")))
    g = T.grad(hs.sum(), k, disconnected_inputs="ignore")  # only through the body
    assert g.eval({x: [1.0, 2.0, 3.0], k: 2.0}) == 3.0


def test_verify_grad_through_a_float32_loop() -> None:
    """The float64 twin verify_grad differences widens the loop's step graph too."""

    def rnn(xs: T.TensorVariable, w: T.TensorVariable, h0: T.TensorVariable) -> T.TensorVariable:
        return first(theano.scan(lambda x, h, w: T.tanh(x * w + h), sequences=xs, outputs_info=h0,
                                 non_sequences=[w]))

    rng = np.random.default_rng(5)
    points = [rng.standard_normal((4, 3)).astype("float32"), rng.standard_normal(3).astype("float32"),
              rng.standard_normal(3).astype("float32")]
    verify_grad(rnn, points, rng=rng)
