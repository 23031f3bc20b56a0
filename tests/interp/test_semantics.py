"""Semantic decisions of the reference interpreter: division, NaN, promotion, indexing with duplicate
indices, laziness, static shapes."""

from __future__ import annotations

import numpy as np
import pytest

import refspec as theano
import refspec.tensor as T
from refspec.errors import UpdateError
from refspec.ifelse import ifelse
from refspec.printing import Print

# -- division --


@pytest.mark.parametrize("dtype", ["int8", "int32", "int64", "uint8", "uint64"])
@pytest.mark.parametrize("op", ["floor_div", "mod"])
def test_integer_division_by_zero_raises(dtype: str, op: str) -> None:
    a = T.scalar("a", dtype=dtype)
    b = T.scalar("b", dtype=dtype)
    f = theano.function([a, b], a // b if op == "floor_div" else a % b)
    with pytest.raises(ZeroDivisionError):
        f(7, 0)
    assert f(7, 2) == (3 if op == "floor_div" else 1)


def test_integer_division_by_zero_in_one_element_raises() -> None:
    x, y = T.lvectors("x", "y")
    f = theano.function([x, y], x // y)
    with pytest.raises(ZeroDivisionError):
        f([4, 6, 8], [2, 0, 4])
    np.testing.assert_array_equal(f([4, 6, 8], [2, 3, 4]), [2, 2, 2])


def test_integer_true_division_by_zero_is_ieee() -> None:
    i, j = T.lscalars("i", "j")
    out = theano.function([i, j], i / j)(1, 0)
    assert out.dtype == np.float64 and np.isposinf(out)


def test_float_division_by_zero_gives_inf_and_nan() -> None:
    x, y = T.dvectors("x", "y")
    f = theano.function([x, y], [x / y, x // y, x % y])
    with np.errstate(all="raise"):  # no warning or error escapes the interpreter
        div, floordiv, mod = f([1.0, 0.0, -1.0], [0.0, 0.0, 0.0])
    np.testing.assert_array_equal(div, [np.inf, np.nan, -np.inf])
    assert np.isnan(floordiv[1]) and np.isposinf(floordiv[0]) and np.isneginf(floordiv[2])
    assert np.isnan(mod).all()


def test_floor_division_and_mod_follow_numpy_signs() -> None:
    a, b = T.lscalars("a", "b")
    f = theano.function([a, b], [a // b, a % b])
    for x, y in [(-7, 2), (7, -2), (-7, -2), (7, 2)]:
        q, r = f(x, y)
        assert q == x // y and r == x % y


def test_int_int_true_division_is_float64() -> None:
    for dtype in ("int8", "int16", "int32", "int64", "uint8"):
        a = T.scalar("a", dtype=dtype)
        b = T.scalar("b", dtype=dtype)
        assert (a / b).dtype == "float64"
    i, j = T.iscalars("i", "j")
    out = theano.function([i, j], i / j)(7, 2)
    assert out.dtype == np.float64 and out == 3.5


# -- NaN --


def test_nan_in_max_min_argmax() -> None:
    x = T.dvector("x")
    f = theano.function([x], [x.max(), x.min(), x.argmax(), x.argmin()])
    mx, mn, amax, amin = f([1.0, np.nan, 3.0, np.nan])
    assert np.isnan(mx) and np.isnan(mn)
    assert amax == 1 and amin == 1  # first NaN, like numpy


def test_nan_in_reductions_along_axis() -> None:
    m = T.dmatrix("m")
    out = theano.function([m], m.max(axis=1))([[1.0, np.nan], [2.0, 3.0]])
    assert np.isnan(out[0]) and out[1] == 3.0


def test_nan_in_maximum_minimum() -> None:
    x = T.dvector("x")
    f = theano.function([x], [T.maximum(x, 1.0), T.minimum(x, 1.0)])
    mx, mn = f([0.0, np.nan, 3.0])
    assert mx[0] == 1.0 and np.isnan(mx[1]) and mx[2] == 3.0
    assert mn[0] == 0.0 and np.isnan(mn[1]) and mn[2] == 1.0


# -- weak Python scalars (NEP 50) --


def test_weak_float_keeps_float32() -> None:
    v = T.fvector("v")
    y = v * 2.0
    assert y.dtype == "float32"
    assert theano.function([v], y)(np.ones(2, dtype=np.float32)).dtype == np.float32
    assert (2.0 * v).dtype == "float32"


def test_weak_float_with_int_vector_is_float64() -> None:
    v = T.ivector("v")
    y = v * 2.5
    assert y.dtype == "float64"
    np.testing.assert_array_equal(theano.function([v], y)([1, 2]), [2.5, 5.0])


def test_weak_int_keeps_int8() -> None:
    b = T.bscalar("b")
    assert (b + 1).dtype == "int8"
    assert (b + 100).dtype == "int8"


def test_weak_int_out_of_range_raises_at_construction() -> None:
    b = T.bscalar("b")
    with pytest.raises(TypeError):
        b + 1000
    with pytest.raises(TypeError):
        1000 + b


def test_strong_operands_promote_like_numpy() -> None:
    assert (T.fvector() + T.dvector()).dtype == "float64"
    assert (T.bvector() + T.ivector()).dtype == "int32"
    assert (T.ivector() + T.fvector()).dtype == "float64"


# -- indexing with duplicate indices --


def test_set_subtensor_last_write_wins() -> None:
    x = T.dvector("x")
    idx = T.lvector("idx")
    vals = T.dvector("vals")
    f = theano.function([x, idx, vals], T.set_subtensor(x[idx], vals))
    out = f([0.0, 0.0, 0.0], [1, 1, 2], [5.0, 7.0, 9.0])
    np.testing.assert_array_equal(out, [0.0, 7.0, 9.0])


def test_inc_subtensor_accumulates_duplicates() -> None:
    x = T.dvector("x")
    idx = T.lvector("idx")
    vals = T.dvector("vals")
    f = theano.function([x, idx, vals], T.inc_subtensor(x[idx], vals))
    out = f([1.0, 1.0, 1.0], [1, 1, 2, 1], [5.0, 7.0, 9.0, 1.0])
    np.testing.assert_array_equal(out, [1.0, 14.0, 10.0])


def test_inc_subtensor_does_not_modify_its_input() -> None:
    w = theano.shared(np.zeros(3), name="w")
    y = T.inc_subtensor(w[[0, 0]], 1.0)
    np.testing.assert_array_equal(theano.function([], y)(), [2.0, 0.0, 0.0])
    np.testing.assert_array_equal(w.get_value(), [0.0, 0.0, 0.0])


# -- laziness --


def test_ifelse_does_not_evaluate_untaken_branch_error() -> None:
    a, b = T.lscalars("a", "b")
    z = ifelse(T.gt(a, 0), a * 1, a // b)
    f = theano.function([a, b], z)
    assert f(1, 0) == 1  # a // 0 is never computed
    with pytest.raises(ZeroDivisionError):
        f(-4, 0)  # the taken branch divides by zero


def test_ifelse_does_not_evaluate_untaken_branch_print(capsys: pytest.CaptureFixture[str]) -> None:
    c = T.dscalar("c")
    p = ifelse(T.gt(c, 0), c, Print("untaken")(c * 2))
    f = theano.function([c], p)
    assert f(1.0) == 1.0
    assert "untaken" not in capsys.readouterr().out
    assert f(-1.0) == -2.0
    assert "untaken" in capsys.readouterr().out


def test_switch_evaluates_both_branches() -> None:
    a, b = T.lscalars("a", "b")
    f = theano.function([a, b], T.switch(T.gt(a, 0), a * 1, a // b))
    with pytest.raises(ZeroDivisionError):
        f(1, 0)
    assert f(1, 2) == 1 and f(-4, 2) == -2


def test_switch_prints_both_branches(capsys: pytest.CaptureFixture[str]) -> None:
    c = T.dscalar("c")
    f = theano.function([c], T.switch(T.gt(c, 0), Print("then")(c), Print("else")(c * 2)))
    assert f(1.0) == 1.0
    out = capsys.readouterr().out
    assert "then" in out and "else" in out


# -- static shapes --


def test_specify_shape_mismatch_raises_at_run_time() -> None:
    x = T.dvector("x")
    f = theano.function([x], T.specify_shape(x, (3,)) * 2)
    np.testing.assert_array_equal(f([1.0, 2.0, 3.0]), [2.0, 4.0, 6.0])
    with pytest.raises(ValueError, match="specify_shape"):
        f([1.0, 2.0])


def test_specify_shape_gives_static_type() -> None:
    x = T.dmatrix("x")
    y = T.specify_shape(x, (None, 4))
    assert y.type.shape == (None, 4)


def test_broadcastable_input_length_enforced_at_run_time() -> None:
    r = T.drow("r")
    m = T.dmatrix("m")
    f = theano.function([r, m], r + m)
    np.testing.assert_array_equal(f(np.ones((1, 2)), np.ones((3, 2))), 2 * np.ones((3, 2)))
    with pytest.raises(ValueError):
        f(np.ones((3, 2)), np.ones((3, 2)))


def test_shared_with_static_shape_is_enforced_by_update() -> None:
    c = theano.shared(np.zeros(2), name="c", shape=(2,))
    y = T.dvector("y")
    f = theano.function([y], [], updates={c: y})
    f([1.0, 2.0])
    np.testing.assert_array_equal(c.get_value(), [1.0, 2.0])
    with pytest.raises(UpdateError, match="does not fit"):
        f([1.0, 2.0, 3.0])
    np.testing.assert_array_equal(c.get_value(), [1.0, 2.0])


def test_dimshuffle_dropping_non_broadcastable_axis_raises_at_construction() -> None:
    m = T.dmatrix("m")
    with pytest.raises(ValueError, match="drops axis 1"):
        m.dimshuffle(0)


def test_dimshuffle_dropping_broadcastable_axis_is_ok() -> None:
    r = T.drow("r")
    y = r.dimshuffle(1)
    assert y.ndim == 1
    np.testing.assert_array_equal(theano.function([r], y)([[1.0, 2.0]]), [1.0, 2.0])
