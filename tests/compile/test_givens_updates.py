"""Updates (explicit, implicit In state, default updates) and givens of ``function``."""

from __future__ import annotations

import numpy as np
import pytest

import refspec as theano
import refspec.tensor as T
from refspec import In
from refspec.errors import GivensError


# -- updates: pre-call values, committed together --


def test_swap_two_shared_variables() -> None:
    a = theano.shared(1.0, name="a")
    b = theano.shared(2.0, name="b")
    swap = theano.function([], [], updates={a: b, b: a})
    swap()
    assert a.get_value() == 2.0 and b.get_value() == 1.0
    swap()
    assert a.get_value() == 1.0 and b.get_value() == 2.0


def test_swap_vectors_with_list_of_pairs() -> None:
    a = theano.shared(np.array([1.0, 2.0]), name="a")
    b = theano.shared(np.array([3.0, 4.0]), name="b")
    theano.function([], [], updates=[(a, b), (b, a)])()
    np.testing.assert_array_equal(a.get_value(), [3.0, 4.0])
    np.testing.assert_array_equal(b.get_value(), [1.0, 2.0])


def test_outputs_see_pre_call_values() -> None:
    a = theano.shared(1.0, name="a")
    b = theano.shared(10.0, name="b")
    # b's update reads a; a's update must not be visible to it, nor to the output
    f = theano.function([], [a, b], updates=[(a, a + 1), (b, b + a)])
    out_a, out_b = f()
    assert (out_a, out_b) == (1.0, 10.0)
    assert a.get_value() == 2.0 and b.get_value() == 11.0


def test_accumulator_returns_old_state() -> None:
    state = theano.shared(0, name="state")
    inc = T.iscalar("inc")
    acc = theano.function([inc], state, updates=[(state, state + inc)])
    assert acc(1) == 0
    assert acc(10) == 1
    assert state.get_value() == 11
    assert state.get_value().dtype == np.dtype(state.dtype)


@pytest.mark.parametrize("kind", ["dict", "list of pairs", "list of lists", "tuple of pairs"])
def test_update_container_forms(kind: str) -> None:
    a = theano.shared(0.0, name="a")
    b = theano.shared(5.0, name="b")
    x = T.dscalar("x")
    pairs = [(a, a + x), (b, b * x)]
    updates: object = {
        "dict": dict(pairs),
        "list of pairs": pairs,
        "list of lists": [list(p) for p in pairs],
        "tuple of pairs": tuple(pairs),
    }[kind]
    f = theano.function([x], [], updates=updates)
    f(2.0)
    assert a.get_value() == 2.0 and b.get_value() == 10.0
    f(3.0)
    assert a.get_value() == 5.0 and b.get_value() == 30.0


def test_update_with_python_value_is_cast_to_target_type() -> None:
    a = theano.shared(np.float32(7.0), name="a")
    theano.function([], [], updates={a: 0})()
    assert a.get_value() == 0.0 and a.get_value().dtype == np.float32


def test_shared_update_visible_to_other_function() -> None:
    w = theano.shared(np.zeros(2), name="w")
    bump = theano.function([], [], updates={w: w + 1})
    read = theano.function([], w * 2)
    bump()
    np.testing.assert_array_equal(read(), [2.0, 2.0])


# -- implicit state: In(update=) and ((var, update), default) --


def test_in_update_implicit_state() -> None:
    x = T.dscalar("x")
    s = T.dscalar("s")
    f = theano.function([x, In(s, value=1.0, update=s + x)], s * 2)
    assert f(3.0) == 2.0  # output uses the pre-call s
    assert f[s] == 4.0
    assert f(1.0) == 8.0
    assert f["s"] == 5.0


def test_in_update_state_can_be_overridden_by_argument() -> None:
    x = T.dscalar("x")
    s = T.dscalar("s")
    f = theano.function([x, In(s, value=0.0, update=s + x)], s)
    assert f(1.0, 100.0) == 100.0  # explicit argument used for this call
    assert f[s] == 101.0  # and the update is computed from it


def test_tuple_shortcut_implicit_state() -> None:
    x = T.dscalar("x")
    s = T.dscalar("s")
    g = theano.function([x, ((s, s + x), 10.0)], s)
    assert g(1.0) == 10.0
    assert g(2.0) == 11.0
    assert g[s] == 13.0


def test_implicit_state_is_per_function() -> None:
    x = T.dscalar("x")
    s = T.dscalar("s")
    f1 = theano.function([x, In(s, value=0.0, update=s + x)], s)
    f2 = theano.function([x, In(s, value=0.0, update=s + x)], s)
    f1(5.0)
    assert f1[s] == 5.0 and f2[s] == 0.0


# -- givens --


def test_seed_givens_example_45() -> None:
    x = T.dscalar()
    y = T.dscalar()
    c = T.dscalar()
    ff = theano.function([c], x * 2 + y, givens=[(x, c * 10), (y, 5)])
    out = ff(2)
    assert out == 45
    assert isinstance(out, np.ndarray) and out.shape == () and out.dtype == np.float64


def test_givens_as_dict() -> None:
    x, y, c = T.dscalars("x", "y", "c")
    ff = theano.function([c], x * 2 + y, givens={x: c * 10, y: c})
    assert ff(2) == 42


def test_given_replaces_shared_variable() -> None:
    w = theano.shared(np.ones(3), name="w")
    v = T.dvector("v")
    f = theano.function([v], (w * 2).sum(), givens={w: v})
    assert f([1.0, 2.0, 3.0]) == 12.0
    np.testing.assert_array_equal(w.get_value(), np.ones(3))  # w itself untouched


def test_given_replacing_shared_with_slice_of_data() -> None:
    data = theano.shared(np.arange(10.0), name="data")
    x = T.dvector("x")
    i = T.lscalar("i")
    f = theano.function([i], x.sum(), givens={x: data[i * 2:(i + 1) * 2]})
    assert f(0) == 1.0
    assert f(3) == 13.0


def test_given_value_is_cast_to_replaced_type() -> None:
    iv = T.ivector("iv")
    out = theano.function([], iv.sum(), givens={iv: [1, 2, 3]})()
    assert out == 6
    assert out.dtype == np.dtype(T.sum(iv).dtype)
    fs = T.fscalar("fs")
    got = theano.function([], fs * 1, givens={fs: 0.5})()
    assert got.dtype == np.float32 and got == 0.5


def test_given_value_that_does_not_fit_raises() -> None:
    iv = T.ivector("iv")
    with pytest.raises(TypeError, match="iv"):
        theano.function([], iv.sum(), givens={iv: [1.5, 2.0]})


def test_given_with_wrong_dtype_raises() -> None:
    w = theano.shared(np.ones(3), name="w")
    with pytest.raises(GivensError, match="w"):
        theano.function([], w.sum(), givens={w: T.fvector("f")})


def test_given_with_wrong_ndim_raises() -> None:
    w = theano.shared(np.ones(3), name="w")
    with pytest.raises(GivensError, match="w"):
        theano.function([], w.sum(), givens={w: T.dmatrix("m")})


def test_chained_givens_raise() -> None:
    a, b, c = T.dscalars("a", "b", "c")
    with pytest.raises(GivensError, match="chained"):
        theano.function([c], a + b, givens=[(a, b * 2), (b, c)])


def test_given_replacing_an_input_raises() -> None:
    a, b = T.dscalars("a", "b")
    with pytest.raises(GivensError, match="input"):
        theano.function([a], a + b, givens=[(a, b * 2)])


def test_givens_error_is_a_type_error() -> None:
    assert issubclass(GivensError, TypeError)


# -- default updates --


def test_default_update_applied() -> None:
    cnt = theano.shared(0, name="cnt")
    cnt.default_update = cnt + 1
    h = theano.function([], cnt * 1)
    assert h() == 0
    assert h() == 1
    assert cnt.get_value() == 2


def test_no_default_updates_true() -> None:
    cnt = theano.shared(0, name="cnt")
    cnt.default_update = cnt + 1
    h = theano.function([], cnt * 1, no_default_updates=True)
    h()
    h()
    assert cnt.get_value() == 0


def test_no_default_updates_list() -> None:
    cnt = theano.shared(0, name="cnt")
    cnt.default_update = cnt + 1
    other = theano.shared(0, name="other")
    other.default_update = other + 10
    h = theano.function([], cnt + other, no_default_updates=[cnt])
    h()
    assert cnt.get_value() == 0  # listed: not updated
    assert other.get_value() == 10  # not listed: updated


def test_explicit_update_wins_over_default_update() -> None:
    cnt = theano.shared(0, name="cnt")
    cnt.default_update = cnt + 1
    h = theano.function([], cnt * 1, updates={cnt: cnt + 100})
    h()
    assert cnt.get_value() == 100


def test_default_update_only_for_shared_variables_the_graph_reads() -> None:
    cnt = theano.shared(0, name="cnt")
    cnt.default_update = cnt + 1
    x = T.dscalar("x")
    theano.function([x], x * 2)(1.0)
    assert cnt.get_value() == 0
