"""scan's values (spec/scan.md), each feature checked against a hand-written Python/numpy loop on
random data: taps, several sequences, outputs_info kinds, non-sequences and captured variables,
strict, n_steps, until, go_backwards, shared-variable updates, nested scans, map/reduce/foldl/foldr,
return_list, type errors, and scan inside a function with givens.

The sequence-tap reference below is written independently of refspec.interp.scan, the way Theano
builds its loop: each tap's sequence is *sliced* first (the window always includes tap 0), then
reversed for go_backwards, then cut to n_steps.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.budget import budget

import refspec as theano
import refspec.tensor as T
from refspec.ast import toposort
from refspec.errors import MissingInputError
from refspec.scan_module import OrderedUpdates, until

Array = np.ndarray[Any, Any]
SETTINGS = budget(40)


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def tap_slices(seq: Array, taps: Sequence[int], go_backwards: bool) -> list[Array]:
    """Theano 1.0's slicing: one slice of ``seq`` per tap, its entry t being what step t reads."""
    lo, hi = min(min(taps), 0), max(max(taps), 0)
    n = len(seq) - (hi - lo)
    out = [seq[k - lo:k - lo + n] for k in taps]
    return [s[::-1] for s in out] if go_backwards else out


# ---------------------------------------------------------------- sequences and taps


@pytest.mark.parametrize("taps", [[0], [-1], [1], [-2, 0, 1], [1, -2], [-3, -1], [1, 2], [2, 0, -1, -1]])
@pytest.mark.parametrize("go_backwards", [False, True])
def test_sequence_taps(taps: list[int], go_backwards: bool) -> None:
    xv = rng().standard_normal(8)
    x = T.dvector("x")
    weights = [float(3**i) for i in range(len(taps))]
    out, updates = theano.scan(lambda *a: sum(w * v for w, v in zip(weights, a)),
                               sequences=dict(input=x, taps=taps), go_backwards=go_backwards)
    assert isinstance(updates, OrderedUpdates) and not updates
    slices = tap_slices(xv, taps, go_backwards)
    want = sum(w * s for w, s in zip(weights, slices))
    np.testing.assert_allclose(out.eval({x: xv}), want, rtol=1e-12)


@given(taps=st.lists(st.integers(-3, 3), min_size=1, max_size=3), length=st.integers(0, 9),
       go_backwards=st.booleans(), n_steps=st.one_of(st.none(), st.integers(0, 9)))
@SETTINGS
def test_taps_property(taps: list[int], length: int, go_backwards: bool, n_steps: int | None) -> None:
    """Random taps, lengths, directions and n_steps against the slicing reference; too many steps is
    a ValueError (never a read past the end)."""
    xv = np.arange(length, dtype=np.float64) + 1.0
    x = T.dvector("x")
    weights = [float(10**i) for i in range(len(taps))]
    k = T.lscalar("k")
    out, _ = theano.scan(lambda *a: sum(w * v for w, v in zip(weights, a)), sequences=dict(input=x, taps=taps),
                         go_backwards=go_backwards, n_steps=None if n_steps is None else k)
    f = theano.function([x, k], out, on_unused_input="ignore")
    lo, hi = min(min(taps), 0), max(max(taps), 0)
    available = max(length - (hi - lo), 0)
    if length - (hi - lo) < 0 and n_steps is None:
        with pytest.raises(ValueError):  # the inferred number of steps is negative
            f(xv, 0)
        return
    steps = available if n_steps is None else n_steps
    if steps > available:
        with pytest.raises(ValueError, match="never reads past the end"):
            f(xv, steps)
        return
    slices = tap_slices(xv, taps, go_backwards)
    want = sum(w * s[:steps] for w, s in zip(weights, slices))
    np.testing.assert_array_equal(f(xv, steps), np.asarray(want, dtype=np.float64).reshape(steps))


def test_several_sequences_of_different_lengths() -> None:
    r = rng(1)
    av, bv, cv = r.standard_normal(7), r.standard_normal((5, 2)), r.standard_normal(9)
    a, c = T.dvectors("a", "c")
    b = T.dmatrix("b")
    out, _ = theano.scan(lambda a0, b0, cm1, c1: b0 * a0 + cm1 - c1,
                         sequences=[a, b, dict(input=c, taps=[-1, 1])])
    n = min(7, 5, 9 - 2)
    want = np.stack([bv[t] * av[t] + cv[t] - cv[t + 2] for t in range(n)])
    np.testing.assert_allclose(out.eval({a: av, b: bv, c: cv}), want, rtol=1e-12)


def test_sequence_of_matrices_and_step_shape() -> None:
    mv = rng(2).standard_normal((4, 2, 3))
    m = T.dtensor3("m")
    out, _ = theano.scan(lambda s: s.sum(axis=0), sequences=m)
    np.testing.assert_allclose(out.eval({m: mv}), mv.sum(axis=1), rtol=1e-12)


def test_sequence_must_have_time_axis() -> None:
    with pytest.raises(TypeError, match="leading time axis"):
        theano.scan(lambda a: a, sequences=T.dscalar("s"))


# ---------------------------------------------------------------- outputs_info


def test_state_from_variable() -> None:
    xv, h0v = rng(3).standard_normal((6, 2)), rng(4).standard_normal(2)
    x, h0 = T.dmatrix("x"), T.dvector("h0")
    out, _ = theano.scan(lambda a, h: T.tanh(a + 0.5 * h), sequences=x, outputs_info=h0)
    h, want = h0v, []
    for t in range(6):
        h = np.tanh(xv[t] + 0.5 * h)
        want.append(h)
    np.testing.assert_allclose(out.eval({x: xv, h0: h0v}), want, rtol=1e-12)


@pytest.mark.parametrize("initial", [np.float64(0.5), np.array(0.5), 0.5, np.array([0.5, -1.0])])
def test_state_from_python_and_numpy_values(initial: object) -> None:
    xv = rng(5).standard_normal(5)
    x = T.dvector("x")
    out, _ = theano.scan(lambda a, h: h * a + 1.0, sequences=x, outputs_info=initial)
    h, want = np.asarray(initial, dtype=np.float64), []
    for t in range(5):
        h = h * xv[t] + 1.0
        want.append(h)
    np.testing.assert_allclose(out.eval({x: xv}), np.stack(want), rtol=1e-12)


def test_output_not_fed_back_and_fed_back() -> None:
    xv = rng(6).standard_normal(5)
    x = T.dvector("x")
    outs, _ = theano.scan(lambda a, s: [a**2, s + a], sequences=x, outputs_info=[None, T.constant(0.0)])
    assert isinstance(outs, list)
    np.testing.assert_allclose(outs[0].eval({x: xv}), xv**2)
    np.testing.assert_allclose(outs[1].eval({x: xv}), np.cumsum(xv), rtol=1e-12)
    # outputs_info None for all: nothing fed back, fn gets the sequence only
    outs2, _ = theano.scan(lambda a: [a, -a], sequences=x)
    assert isinstance(outs2, list)
    np.testing.assert_array_equal(outs2[1].eval({x: xv}), -xv)
    outs3, _ = theano.scan(lambda a: a + 1, sequences=x, outputs_info=dict(initial=None))
    np.testing.assert_array_equal(outs3.eval({x: xv}), xv + 1)


def test_taps_minus_two_minus_one() -> None:
    init = rng(7).standard_normal((2, 3))
    x0 = T.dmatrix("x0")
    out, _ = theano.scan(lambda a, b: 0.5 * a - b, outputs_info=dict(initial=x0, taps=[-2, -1]), n_steps=6)
    hist = list(init)
    for _ in range(6):
        hist.append(0.5 * hist[-2] - hist[-1])
    np.testing.assert_allclose(out.eval({x0: init}), hist[2:], rtol=1e-12)


def test_taps_in_given_order() -> None:
    init = np.array([1.0, 2.0])
    x0 = T.dvector("x0")
    out, _ = theano.scan(lambda b, a: 10 * a + b, outputs_info=dict(initial=x0, taps=[-1, -2]), n_steps=3)
    hist = [1.0, 2.0]
    for _ in range(3):
        hist.append(10 * hist[-2] + hist[-1])
    np.testing.assert_array_equal(out.eval({x0: init}), hist[2:])


def test_tap_minus_three_only() -> None:
    init = rng(8).standard_normal(3)
    x0 = T.dvector("x0")
    out, _ = theano.scan(lambda a: a * 2.0 + 1.0, outputs_info=dict(initial=x0, taps=[-3]), n_steps=7)
    hist = list(init)
    for _ in range(7):
        hist.append(hist[-3] * 2.0 + 1.0)
    np.testing.assert_allclose(out.eval({x0: init}), hist[3:], rtol=1e-12)


def test_longer_initial_uses_first_entries() -> None:
    """Theano's rule: with taps other than [-1], the first max|tap| entries of initial are the past."""
    x0 = T.dvector("x0")
    out, _ = theano.scan(lambda a, b: a + b, outputs_info=dict(initial=x0, taps=[-2, -1]), n_steps=3)
    np.testing.assert_array_equal(out.eval({x0: [1.0, 1.0, 50.0, 60.0]}), [2.0, 3.0, 5.0])
    with pytest.raises(ValueError, match="need 2 initial entries"):
        out.eval({x0: [1.0]})


def test_sequences_outputs_and_non_sequences_together() -> None:
    r = rng(9)
    xv, init, wv = r.standard_normal(6), r.standard_normal(2), r.standard_normal()
    x, x0, w = T.dvector("x"), T.dvector("x0"), T.dscalar("w")
    seen: list[object] = []

    def step(xm1: T.TensorVariable, x1: T.TensorVariable, hm2: T.TensorVariable, hm1: T.TensorVariable,
             s: T.TensorVariable, w_: T.TensorVariable) -> list[T.TensorVariable]:
        seen.append(w_)
        return [w_ * hm2 + xm1 * hm1 - x1, s + hm1]

    outs, _ = theano.scan(step, sequences=dict(input=x, taps=[-1, 1]),
                          outputs_info=[dict(initial=x0, taps=[-2, -1]), T.constant(0.0)], non_sequences=w)
    assert seen == [w]  # the non-sequence itself, not a copy
    assert isinstance(outs, list)
    f = theano.function([x, x0, w], outs)
    got = f(xv, init, wv)
    hist, s, want_h, want_s = list(init), 0.0, [], []
    for t in range(6 - 2):
        h = wv * hist[-2] + xv[t] * hist[-1] - xv[t + 2]
        s = s + hist[-1]
        hist.append(h)
        want_h.append(h)
        want_s.append(s)
    np.testing.assert_allclose(got[0], want_h, rtol=1e-12)
    np.testing.assert_allclose(got[1], want_s, rtol=1e-12)


def test_output_type_must_agree_with_initial() -> None:
    with pytest.raises(TypeError, match="make them agree"):
        theano.scan(lambda h: h * 0.5, outputs_info=T.constant(1), n_steps=3)
    with pytest.raises(TypeError, match="make them agree"):
        theano.scan(lambda h: T.stack([h, h]), outputs_info=T.dscalar(), n_steps=3)
    x0 = T.fvector("x0")
    with pytest.raises(TypeError, match="make them agree"):
        theano.scan(lambda h: h * np.float64(2.0), outputs_info=x0, n_steps=2)
    out, _ = theano.scan(lambda h: h * 2.0, outputs_info=x0, n_steps=2)  # weak Python float: stays float32
    assert out.dtype == "float32"


def test_outputs_info_errors() -> None:
    x = T.dvector("x")
    with pytest.raises(ValueError, match="outputs_info has 1 entries"):
        theano.scan(lambda a: [a, a], sequences=x, outputs_info=[None])
    with pytest.raises(ValueError, match="must be negative"):
        theano.scan(lambda a: a, outputs_info=dict(initial=x, taps=[0]), n_steps=2)
    with pytest.raises(TypeError, match="leading axis"):
        theano.scan(lambda a, b: a, outputs_info=dict(initial=T.dscalar(), taps=[-2, -1]), n_steps=2)


def test_step_shape_must_not_change() -> None:
    x0 = T.dvector("x0")
    out, _ = theano.scan(lambda h: T.concatenate([h, h]), outputs_info=x0, n_steps=2)
    with pytest.raises(ValueError, match="every step must keep the shape"):
        out.eval({x0: [1.0]})


# ---------------------------------------------------------------- non-sequences, captured, strict


def test_non_sequences_and_captured_variables() -> None:
    r = rng(10)
    xv, wv, bv = r.standard_normal((5, 3)), r.standard_normal((3, 2)), r.standard_normal(2)
    x, w = T.dmatrix("x"), T.dmatrix("w")
    b = T.dvector("b")
    out, _ = theano.scan(lambda a, w_: T.dot(a, w_) + b * 2, sequences=x, non_sequences=[w])  # b captured
    f = theano.function([x, w, b], out)
    np.testing.assert_allclose(f(xv, wv, bv), xv @ wv + bv * 2, rtol=1e-12)
    # numpy and Python values as non-sequences become constants
    out2, _ = theano.scan(lambda a, c, d: a * c + d, sequences=x, non_sequences=[np.float64(3.0), 1.0])
    np.testing.assert_allclose(out2.eval({x: xv}), xv * 3.0 + 1.0)


def test_captured_shared_variable_is_read_at_each_call() -> None:
    s = theano.shared(2.0, name="s")
    x = T.dvector("x")
    out, updates = theano.scan(lambda a: a * s, sequences=x)
    assert not updates
    f = theano.function([x], out)
    np.testing.assert_array_equal(f([1.0, 2.0]), [2.0, 4.0])
    s.set_value(5.0)
    np.testing.assert_array_equal(f([1.0, 2.0]), [5.0, 10.0])


def test_grad_inside_fn_is_with_respect_to_outer_variables() -> None:
    xv = rng(11).standard_normal(4)
    x = T.dvector("x")
    y = T.sin(x) * T.sum(x)
    jac, _ = theano.scan(lambda i, y_, x_: T.grad(y_[i], x_), sequences=T.arange(y.shape[0]), non_sequences=[y, x])
    want = np.diag(np.cos(xv) * xv.sum()) + np.sin(xv)[:, None]
    np.testing.assert_allclose(jac.eval({x: xv}), want, rtol=1e-12)


def test_strict() -> None:
    x = T.dvector("x")
    w = theano.shared(3.0, name="w")
    with pytest.raises(MissingInputError, match="not in non_sequences"):
        theano.scan(lambda a: a * w, sequences=x, strict=True)
    out, _ = theano.scan(lambda a, w_: a * w_, sequences=x, non_sequences=[w], strict=True)
    np.testing.assert_array_equal(out.eval({x: [1.0, 2.0]}), [3.0, 6.0])
    # as in Theano, strict concerns shared variables: a symbolic outer variable is still captured
    c = T.dscalar("c")
    out2, _ = theano.scan(lambda a: a * c, sequences=x, strict=True)
    np.testing.assert_array_equal(out2.eval({x: [1.0, 2.0], c: 2.0}), [2.0, 4.0])
    # a shared variable fn updates need not be listed
    acc = theano.shared(0.0, name="acc")
    out3, upd = theano.scan(lambda a: (a, {acc: acc + a}), sequences=x, strict=True)
    assert list(upd) == [acc]


# ---------------------------------------------------------------- n_steps


def test_n_steps_symbolic_and_constant() -> None:
    k = T.iscalar("k")
    a = T.dvector("a")
    result, updates = theano.scan(lambda prior, a_: prior * a_, outputs_info=T.ones_like(a), non_sequences=a,
                                  n_steps=k)
    power = theano.function([a, k], result[-1], updates=updates)
    av = rng(12).standard_normal(4)
    for n in [1, 2, 5]:
        np.testing.assert_allclose(power(av, n), av**n, rtol=1e-12)
    const, _ = theano.scan(lambda prior: prior + 1, outputs_info=T.constant(0.0), n_steps=4)
    assert const.type.shape == (4,)
    np.testing.assert_array_equal(const.eval(), [1.0, 2.0, 3.0, 4.0])
    np_steps, _ = theano.scan(lambda prior: prior + 1, outputs_info=T.constant(0.0), n_steps=np.int32(3))
    np.testing.assert_array_equal(np_steps.eval(), [1.0, 2.0, 3.0])


def test_n_steps_shorter_than_sequence() -> None:
    xv = rng(13).standard_normal(6)
    x = T.dvector("x")
    k = T.lscalar("k")
    out, _ = theano.scan(lambda a, b: a - b, sequences=dict(input=x, taps=[0, 1]), n_steps=k)
    f = theano.function([x, k], out)
    np.testing.assert_allclose(f(xv, 3), xv[:3] - xv[1:4])
    np.testing.assert_allclose(f(xv, 5), xv[:5] - xv[1:6])
    with pytest.raises(ValueError, match=r"6 steps need 7 entries of sequence 0 \(taps \[0, 1\]\), but it has 6"):
        f(xv, 6)


def test_n_steps_longer_than_any_sequence_names_it() -> None:
    a, b = T.dvectors("a", "b")
    out, _ = theano.scan(lambda u, v: u + v, sequences=[a, b], n_steps=4)
    with pytest.raises(ValueError, match="4 steps need 4 entries of sequence 1"):
        out.eval({a: np.zeros(6), b: np.zeros(3)})
    np.testing.assert_array_equal(out.eval({a: np.ones(6), b: np.ones(4)}), np.full(4, 2.0))


def test_n_steps_errors() -> None:
    x = T.dvector("x")
    with pytest.raises(TypeError, match="integer scalar"):
        theano.scan(lambda a: a, sequences=x, n_steps=2.0)
    with pytest.raises(ValueError, match="give sequences or n_steps"):
        theano.scan(lambda h: h, outputs_info=x)
    k = T.lscalar("k")
    out, _ = theano.scan(lambda h: h * 2.0, outputs_info=T.constant(1.0), n_steps=k)
    with pytest.raises(ValueError, match="n_steps must be >= 0, got -2"):
        out.eval({k: -2})


def test_zero_steps() -> None:
    x, h0 = T.dvectors("x", "h0")
    k = T.lscalar("k")
    mapped, _ = theano.scan(lambda a: a * 2, sequences=x)
    assert mapped.eval({x: np.zeros(0)}).shape == (0,)
    state, _ = theano.scan(lambda h: h * 2, outputs_info=h0, n_steps=k)
    got = state.eval({h0: [1.0, 2.0, 3.0], k: 0})
    assert got.shape == (0, 3) and got.dtype == np.float64
    fib, _ = theano.scan(lambda a, b: a + b, outputs_info=dict(initial=h0, taps=[-2, -1]), n_steps=k)
    assert fib.eval({h0: [0.0, 1.0], k: 0}).shape == (0,)
    static, _ = theano.scan(lambda a: T.stack([a, a]), sequences=x)  # step shape (2,) known statically
    assert static.eval({x: np.zeros(0)}).shape == (0, 2)
    m = T.dmatrix("m")
    unknown, _ = theano.scan(lambda row: row * 2, sequences=m)  # step shape depends on data: not known
    with pytest.raises(ValueError, match="unknown"):
        unknown.eval({m: np.zeros((0, 3))})
    np.testing.assert_array_equal(unknown.eval({m: np.ones((1, 3))}), np.full((1, 3), 2.0))


# ---------------------------------------------------------------- until


def test_until_includes_the_stopping_step() -> None:
    xv = rng(14).standard_normal(12)
    x = T.dvector("x")
    threshold = T.dscalar("threshold")
    out, _ = theano.scan(lambda a, s: (s + a, until(s + a > threshold)), sequences=x,
                         outputs_info=T.constant(0.0))
    f = theano.function([x, threshold], out)
    for th in [-1.0, 0.0, 0.5, 1.0, 100.0]:
        s, want = 0.0, []
        for t in range(12):
            s = s + xv[t]
            want.append(s)
            if s > th:
                break
        np.testing.assert_allclose(f(xv, th), want, rtol=1e-12)
    assert out.type.shape == (None,)


def test_until_bounded_by_n_steps_and_return_forms() -> None:
    h0 = T.dscalar("h0")
    for wrap in [tuple, list]:
        out, _ = theano.scan(lambda h: wrap([h * 2, until(h * 2 > 50)]), outputs_info=h0, n_steps=4)
        np.testing.assert_array_equal(out.eval({h0: 1.0}), [2.0, 4.0, 8.0, 16.0])
        np.testing.assert_array_equal(out.eval({h0: 10.0}), [20.0, 40.0, 80.0])
        np.testing.assert_array_equal(out.eval({h0: 100.0}), [200.0])
    with pytest.raises(TypeError, match="scalar condition"):
        until(T.dvector())


def test_until_with_several_outputs_truncates_all() -> None:
    x = T.dvector("x")
    outs, _ = theano.scan(lambda a, s: ([a * 2, s + a], until(T.ge(a, 3))), sequences=x,
                          outputs_info=[None, T.constant(0.0)])
    assert isinstance(outs, list)
    np.testing.assert_array_equal(outs[0].eval({x: np.arange(6.0)}), [0.0, 2.0, 4.0, 6.0])
    np.testing.assert_array_equal(outs[1].eval({x: np.arange(6.0)}), [0.0, 1.0, 3.0, 6.0])


# ---------------------------------------------------------------- go_backwards


def test_go_backwards_state_and_taps() -> None:
    r = rng(15)
    xv, yv, h0v = r.standard_normal(7), r.standard_normal(5), r.standard_normal()
    x, y = T.dvectors("x", "y")
    h0 = T.dscalar("h0")
    out, _ = theano.scan(lambda xm1, x0, y0, h: h * xm1 + x0 - y0, sequences=[dict(input=x, taps=[-1, 0]), y],
                         outputs_info=h0, go_backwards=True)
    xm1, x0 = tap_slices(xv, [-1, 0], True)
    (y0,) = tap_slices(yv, [0], True)
    h, want = h0v, []
    for t in range(min(len(x0), len(y0))):
        h = h * xm1[t] + x0[t] - y0[t]
        want.append(h)
    np.testing.assert_allclose(out.eval({x: xv, y: yv, h0: h0v}), want, rtol=1e-12)
    # in time order: step t of the backwards walk reads x at positions c-1 and c, c = 6, 5, ...
    np.testing.assert_array_equal(x0[:3], xv[[6, 5, 4]])
    np.testing.assert_array_equal(xm1[:3], xv[[5, 4, 3]])


def test_go_backwards_with_n_steps_reads_the_last_windows() -> None:
    x = T.dvector("x")
    out, _ = theano.scan(lambda a: a, sequences=x, n_steps=2, go_backwards=True)
    np.testing.assert_array_equal(out.eval({x: [1.0, 2.0, 3.0, 4.0]}), [4.0, 3.0])


# ---------------------------------------------------------------- shared variables


def test_shared_updates_kept_and_dropped() -> None:
    xv = rng(16).standard_normal(5)
    x = T.dvector("x")
    total = theano.shared(1.5, name="total")
    count = theano.shared(np.int64(0), name="count")
    out, updates = theano.scan(lambda a: (a * total, {total: total + a, count: count + 1}), sequences=x)
    assert isinstance(updates, OrderedUpdates) and list(updates) == [total, count]
    want, s = [], 1.5
    for t in range(5):
        want.append(xv[t] * s)
        s += xv[t]
    keep = theano.function([x], out, updates=updates)
    np.testing.assert_allclose(keep(xv), want, rtol=1e-12)
    assert total.get_value() == pytest.approx(s) and count.get_value() == 5
    total.set_value(1.5)
    count.set_value(0)
    drop = theano.function([x], out)
    for _ in range(2):  # the shared variables never change, each call starts from the stored value
        np.testing.assert_allclose(drop(xv), want, rtol=1e-12)
        assert total.get_value() == 1.5 and count.get_value() == 0
    # updates merged into the caller's own updates
    other = theano.shared(0.0, name="other")
    both = theano.function([x], out, updates=list(updates.items()) + [(other, other + 1)])
    both(xv)
    assert count.get_value() == 5 and other.get_value() == 1.0


def test_shared_update_only_and_updates_first() -> None:
    x = T.dvector("x")
    acc = theano.shared(0.0, name="acc")
    nothing, updates = theano.scan(lambda a: {acc: acc + a * a}, sequences=x)
    assert nothing == []
    theano.function([x], [], updates=updates)(np.array([1.0, 2.0, 3.0]))
    assert acc.get_value() == 14.0
    acc.set_value(0.0)
    out, updates = theano.scan(lambda a: ({acc: acc + a}, a * 2), sequences=x)  # any order
    f = theano.function([x], out, updates=updates)
    np.testing.assert_array_equal(f([1.0, 2.0]), [2.0, 4.0])
    assert acc.get_value() == 3.0


def test_shared_update_with_until() -> None:
    x = T.dvector("x")
    n = theano.shared(np.int64(0), name="n")
    out, updates = theano.scan(lambda a: (a, {n: n + 1}, until(a > 1)), sequences=x)
    f = theano.function([x], out, updates=updates)
    np.testing.assert_array_equal(f(np.arange(6.0)), [0.0, 1.0, 2.0])
    assert n.get_value() == 3


def test_default_update_inside_loop() -> None:
    """A shared variable with a default update (a random state) read in fn advances step by step; its
    final value is in scan's updates; dropped updates repeat the same values."""
    x = T.dvector("x")
    state = theano.shared(np.int64(7), name="state")
    state.default_update = state * 3 % 101
    out, updates = theano.scan(lambda a: a + state, sequences=x)
    assert list(updates) == [state]
    values, s = [], 7
    for _ in range(4):
        values.append(float(s))
        s = s * 3 % 101
    with_updates = theano.function([x], out, updates=updates)
    np.testing.assert_array_equal(with_updates(np.zeros(4)), values)
    assert state.get_value() == s
    state.set_value(7)
    without = theano.function([x], out)
    np.testing.assert_array_equal(without(np.zeros(4)), values)
    np.testing.assert_array_equal(without(np.zeros(4)), values)
    assert state.get_value() == 7


def test_update_errors() -> None:
    x = T.dvector("x")
    s32 = theano.shared(np.float32(0), name="s32")
    with pytest.raises(TypeError, match="the update of s32"):
        theano.scan(lambda a: (a, {s32: s32 + a}), sequences=x)
    with pytest.raises(TypeError, match="not a shared variable"):
        theano.scan(lambda a: (a, {x: a}), sequences=x)


# ---------------------------------------------------------------- nested scans


def test_nested_scan() -> None:
    r = rng(17)
    mv, cv = r.standard_normal((4, 5)), r.standard_normal()
    m = T.dmatrix("m")
    c = T.dscalar("c")

    def row(rw: T.TensorVariable, k: T.TensorVariable) -> T.TensorVariable:
        inner, _ = theano.scan(lambda v, acc: acc * c + v * k, sequences=rw, outputs_info=T.constant(0.0))
        return inner  # type: ignore[return-value]

    out, _ = theano.scan(row, sequences=[m, T.arange(4, dtype="float64")])
    want = np.zeros((4, 5))
    for i in range(4):
        acc = 0.0
        for j in range(5):
            acc = acc * cv + mv[i, j] * i
            want[i, j] = acc
    np.testing.assert_allclose(out.eval({m: mv, c: cv}), want, rtol=1e-12)


def test_nested_scan_inner_state_from_outer_state() -> None:
    h0 = T.dscalar("h0")

    def outer(h: T.TensorVariable) -> T.TensorVariable:
        inner, _ = theano.scan(lambda g: g + 1.0, outputs_info=h, n_steps=3)
        return inner[-1] * 2  # type: ignore[index]

    out, _ = theano.scan(outer, outputs_info=h0, n_steps=3)
    h, want = 1.0, []
    for _ in range(3):
        h = (h + 3.0) * 2
        want.append(h)
    np.testing.assert_array_equal(out.eval({h0: 1.0}), want)


# ---------------------------------------------------------------- map, reduce, foldl, foldr, return_list


def test_map_reduce_foldl_foldr() -> None:
    r = rng(18)
    xv, yv = r.standard_normal(6), r.standard_normal(6)
    x, y = T.dvectors("x", "y")
    mapped, upd = theano.map(lambda a, b: a * b + 1, [x, y])
    assert not upd
    np.testing.assert_allclose(mapped.eval({x: xv, y: yv}), xv * yv + 1)
    back, _ = theano.map(lambda a: a, x, go_backwards=True)
    np.testing.assert_array_equal(back.eval({x: xv}), xv[::-1])
    k = T.dscalar("k")
    scaled, _ = theano.map(lambda a, k_: a * k_, x, non_sequences=k)
    np.testing.assert_allclose(scaled.eval({x: xv, k: 3.0}), xv * 3.0)

    def horner(a: T.TensorVariable, acc: T.TensorVariable) -> T.TensorVariable:
        return acc * 0.5 + a

    def loop(seq: Array) -> float:
        acc = 0.0
        for a in seq:
            acc = acc * 0.5 + a
        return acc

    red, _ = theano.reduce(horner, x, T.constant(0.0))
    fl, _ = theano.foldl(horner, x, T.constant(0.0))
    fr, _ = theano.foldr(horner, x, T.constant(0.0))
    assert red.ndim == 0
    assert red.eval({x: xv}) == pytest.approx(loop(xv), rel=1e-12)
    assert fl.eval({x: xv}) == pytest.approx(loop(xv), rel=1e-12)
    assert fr.eval({x: xv}) == pytest.approx(loop(xv[::-1]), rel=1e-12)
    both, _ = theano.reduce(lambda a, s, p: [s + a, p * a], x, [T.constant(0.0), T.constant(1.0)])
    assert isinstance(both, list)
    assert both[0].eval({x: xv}) == pytest.approx(xv.sum()) and both[1].eval({x: xv}) == pytest.approx(xv.prod())


def test_return_list_and_name() -> None:
    x = T.dvector("x")
    single, _ = theano.scan(lambda a: a, sequences=x)
    assert isinstance(single, T.TensorVariable)
    as_list, _ = theano.scan(lambda a: a, sequences=x, return_list=True)
    assert isinstance(as_list, list) and len(as_list) == 1
    named, _ = theano.scan(lambda a: a, sequences=x, name="loop", mode="FAST_RUN", profile=False, allow_gc=None)
    assert named.name == "loop"  # type: ignore[union-attr]
    np.testing.assert_array_equal(as_list[0].eval({x: [1.0, 2.0]}), [1.0, 2.0])


def test_module_paths() -> None:
    import refspec.scan_module as sm

    assert theano.scan is sm.scan and theano.map is sm.map and theano.reduce is sm.reduce
    assert theano.foldl is sm.foldl and theano.foldr is sm.foldr
    assert sm.until is until


# ---------------------------------------------------------------- inside a function: givens, dtypes


def test_scan_in_function_with_givens() -> None:
    k = T.iscalar("k")
    a = T.dvector("a")
    z = T.dvector("z")
    result, updates = theano.scan(lambda prior, a_: prior * a_, outputs_info=T.ones_like(a), non_sequences=a,
                                  n_steps=k)
    f = theano.function([z, k], result[-1], updates=updates, givens={a: z * 2})
    zv = rng(19).standard_normal(3)
    np.testing.assert_allclose(f(zv, 3), (zv * 2) ** 3, rtol=1e-12)
    # givens replacing a shared variable the loop captures
    s = theano.shared(1.0, name="s")
    out, _ = theano.scan(lambda v: v + s, sequences=a)
    g = theano.function([a], out, givens={s: T.constant(10.0)})
    np.testing.assert_array_equal(g([1.0, 2.0]), [11.0, 12.0])


def test_integer_and_float32_loops() -> None:
    iv = T.ivector("iv")
    out, _ = theano.scan(lambda a, s: s + a, sequences=iv, outputs_info=T.constant(0, dtype="int32"))
    got = out.eval({iv: np.array([1, 2, 3], dtype=np.int32)})
    assert got.dtype == np.int32
    np.testing.assert_array_equal(got, [1, 3, 6])
    fv = T.fvector("fv")
    out32, _ = theano.scan(lambda a, s: s * np.float32(0.5) + a, sequences=fv, outputs_info=np.float32(0))
    xv = rng(20).standard_normal(4).astype(np.float32)
    s, want = np.float32(0), []
    for a in xv:
        s = s * np.float32(0.5) + a
        want.append(s)
    got32 = out32.eval({fv: xv})
    assert got32.dtype == np.float32
    np.testing.assert_array_equal(got32, np.array(want, dtype=np.float32))


def test_last_only_outputs_hold_the_final_step() -> None:
    """spec/scan.md: a last-only output holds just its final step; out[-1] is unchanged."""
    from dataclasses import replace

    from refspec.ast import Op
    from refspec.interp.evaluate import evaluate
    from refspec.ops import make_node

    x = T.dvector("x")
    acc, _ = theano.scan(lambda a, s: s + a, sequences=x, outputs_info=T.constant(0.0))
    node = acc.owner
    assert node is not None
    last = make_node(Op.SCAN, list(node.inputs), replace(node.params, last_only=(0,))).outputs[0]
    full, kept = evaluate([acc, last], {x: np.array([1.0, 2.0, 3.0])})
    np.testing.assert_array_equal(full, [1.0, 3.0, 6.0])
    np.testing.assert_array_equal(kept, [6.0])
    (empty,) = evaluate([last], {x: np.zeros(0)})
    assert empty.shape == (0,)


def test_fast_path_marks_outputs_read_only_at_the_end() -> None:
    x = T.dvector("x")
    acc, _ = theano.scan(lambda a, s: s + a, sequences=x, outputs_info=T.constant(0.0))
    f = theano.function([x], acc[-1], mode="FAST_RUN")
    assert f([1.0, 2.0, 3.0]) == 6.0
    scans = [n for n in toposort(f.maker.fgraph.outputs) if n.op.value == "scan"]
    assert [n.params.last_only for n in scans] == [(0,)]
    g = theano.function([x], [acc[-1], acc], mode="FAST_RUN")  # the whole output is read: kept
    scans = [n for n in toposort(g.maker.fgraph.outputs) if n.op.value == "scan"]
    assert [n.params.last_only for n in scans] == [()]
