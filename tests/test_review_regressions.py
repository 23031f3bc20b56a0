"""Regression tests for defects found in review (one test per defect; see the review report)."""

from __future__ import annotations

import numpy as np
import pytest

import refspec as theano
import refspec.tensor as T
from refspec.errors import GivensError
from refspec.ifelse import ifelse


def test_mgrid_accepts_symbolic_bounds() -> None:
    # `s.start or 0` called bool() on a symbolic bound (TypeError)
    n = T.lscalar("n")
    grid = T.mgrid[n:4]
    assert grid[0].eval({n: 1}).tolist() == [1, 2, 3]
    step = T.lscalar("step")
    assert T.ogrid[0:6:step][0].eval({step: 2}).tolist() == [0, 2, 4]


def test_mgrid_zero_step_is_not_turned_into_one() -> None:
    # `s.step or 1` silently replaced a step of 0 by 1
    with pytest.raises(ValueError):
        T.mgrid[0:3:0][0].eval()


def test_ifelse_python_scalar_branch_is_not_truncated() -> None:
    # a Python scalar branch was cast to the other branch's dtype: 1.5 -> 1, 1000 -> -24 in int8
    c = T.bscalar("c")
    k = T.lscalar("k")
    with pytest.raises(TypeError):
        ifelse(c, k, 1.5)
    b = T.bscalar("b")
    with pytest.raises(TypeError):
        ifelse(c, b, 1000)
    # values that fit still take the other branch's dtype
    out = ifelse(c, T.fscalar("f"), 0.5)
    assert isinstance(out, T.TensorVariable) and out.dtype == "float32"
    assert ifelse(c, k, 7).eval({c: 0, k: 1}) == 7


def test_grad_of_inc_subtensor_value_broadcast_at_run_time() -> None:
    # y of unknown static length broadcasts into the selection at run time: its gradient must be
    # summed back to y's shape (it came back shaped like the selection)
    x = T.dvector("x")
    y = T.dvector("y")
    g_inc = T.grad(T.inc_subtensor(x[0:3], y).sum(), y)
    out = theano.function([x, y], g_inc)(np.zeros(5), np.array([1.0]))
    np.testing.assert_array_equal(out, [3.0])
    f = T.set_subtensor(x[0:3], y)
    g_set = T.grad((f * f).sum(), y)
    out = theano.function([x, y], g_set)(np.ones(5), np.array([2.0]))
    np.testing.assert_array_equal(out, [12.0])
    # a y of the selection's full length is unchanged
    out = theano.function([x, y], g_inc)(np.zeros(5), np.array([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(out, [1.0, 1.0, 1.0])


def test_reductions_accept_numpy_integer_axes() -> None:
    # `isinstance(axis, int)` sent np.int64 to list(axis): TypeError
    m = T.dmatrix("m")
    value = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(m.sum(axis=np.int64(1)).eval({m: value}), value.sum(axis=1))
    np.testing.assert_array_equal(m.max(axis=np.int32(-1)).eval({m: value}), value.max(axis=-1))
    np.testing.assert_array_equal(m.argmax(axis=np.int64(0)).eval({m: value}), value.argmax(axis=0))
    np.testing.assert_array_equal(T.mean(m, axis=np.int64(0)).eval({m: value}), value.mean(axis=0))


def test_sum_and_prod_dtype_argument_is_the_result_dtype() -> None:
    # sum(x, dtype='int32') gave int64 (the accumulator of the cast value), unlike numpy and Theano
    b = T.bvector("b")
    assert b.sum(dtype="int32").dtype == "int32"
    assert b.prod(dtype="int16").dtype == "int16"
    assert T.sum(b, dtype="float32").dtype == "float32"
    value = np.array([100, 100, 100], dtype=np.int8)
    got = b.sum(dtype="int8").eval({b: value})
    assert got.dtype == np.int8 and got == np.sum(value, dtype=np.int8)
    assert b.sum().dtype == "int64"  # without dtype=, numpy's accumulator rule is unchanged


def test_givens_chained_through_an_intermediate_key_is_an_error() -> None:
    # the chaining check looked only at the replacement's root inputs, so a replacement that uses
    # a key which is an intermediate expression slipped through
    x = T.dvector("x")
    u = T.dvector("u")
    y = x * 2
    with pytest.raises(GivensError):
        theano.function([x], (u + y).sum(), givens=[(y, x * 3), (u, y + 1)])
    # using its own key is still allowed
    f = theano.function([x], y.sum(), givens=[(y, y + 1)])
    assert f([1.0, 2.0]) == 8.0


class _TwoArgError(Exception):
    def __init__(self, code: int, detail: str) -> None:
        super().__init__(f"{code}: {detail}")


def test_evaluator_keeps_an_error_whose_constructor_takes_other_arguments(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # the fallback's bare `raise` sat inside the inner except, so it re-raised the TypeError from
    # calling the exception's constructor with one message instead of the op's own error
    from refspec.ast import Op
    from refspec.interp.reference import REFERENCE
    from refspec.params import Params

    def failing(params: Params, x: np.ndarray) -> tuple[np.ndarray, ...]:
        raise _TwoArgError(7, "boom")

    monkeypatch.setitem(REFERENCE, Op.PRINT, failing)
    x = T.dvector("x")
    f = theano.function([x], theano.printing.Print("p")(x))
    with pytest.raises(_TwoArgError, match="7: boom") as info:
        f([1.0])
    assert any("print node" in note for note in getattr(info.value, "__notes__", []))


def test_verify_grad_takes_a_zero_tolerance_literally() -> None:
    from refspec.gradient import GradientError, verify_grad

    # a correct gradient, checked with rel_tol=0: the finite-difference error alone must fail it
    with pytest.raises(GradientError):
        verify_grad(lambda x: T.exp(x), [np.array([0.3, 1.1])], rel_tol=0.0, abs_tol=0.0,
                    rng=np.random.default_rng(0))


def test_float16_mean_does_not_overflow() -> None:
    x = T.TensorType("float16", (False,))("x")
    out = theano.function([x], T.mean(x))(np.full(70_000, 2.0, dtype=np.float16))
    assert out.dtype == np.float16 and out == 2.0


def test_in_update_without_value_is_a_clear_error() -> None:
    x = T.dscalar("x")
    with pytest.raises(TypeError, match="no value"):
        theano.function([theano.In(x, update=x + 1)], x)


def test_a_keyword_naming_two_inputs_is_an_error() -> None:
    a, b = T.dscalar("x"), T.dscalar("x")
    f = theano.function([a, b], a - b)
    assert f(3.0, 1.0) == 2.0
    with pytest.raises(TypeError, match="more than one input"):
        f(1.0, x=2.0)
