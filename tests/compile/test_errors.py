"""Bad input gets a clear error (issue 2), and a failed call changes no state."""

from __future__ import annotations

import inspect
import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest

import refspec as theano
import refspec.tensor as T
from refspec import In
from refspec.errors import GivensError, MissingInputError, UnusedInputError, UpdateError
from refspec.ops import GraphShapeError, GraphTypeError
from refspec.tensor.var import TensorSharedVariable

THIS_FILE = os.path.basename(__file__)


def _line() -> int:
    """The caller's current line (use on the same line as the expression that builds a node)."""
    frame = inspect.currentframe()
    assert frame is not None and frame.f_back is not None
    return frame.f_back.f_lineno


def _where(line: int) -> str:
    return f"{THIS_FILE}:{line}"


# -- calls --


def test_wrong_argument_count() -> None:
    x, y = T.dscalars("x", "y")
    f = theano.function([x, y], x + y)
    with pytest.raises(TypeError, match="takes 2 arguments, got 3"):
        f(1, 2, 3)
    with pytest.raises(TypeError, match="missing the required input 'y'"):
        f(1)


def test_unknown_keyword_names_valid_inputs() -> None:
    x, y = T.dscalars("x", "y")
    f = theano.function([x, y], x + y)
    with pytest.raises(TypeError, match="unknown keyword argument 'z'") as info:
        f(1, z=2)
    assert "x, y" in str(info.value)


def test_wrong_ndim_names_the_input() -> None:
    m = T.dmatrix("m")
    f = theano.function([m], m.sum())
    with pytest.raises(TypeError, match="'m'.*ndim 2"):
        f(np.ones(3))
    with pytest.raises(TypeError, match="'m'"):
        f(5.0)


def test_non_castable_dtype_names_input_and_flag() -> None:
    k = T.ivector("k")
    f = theano.function([k], k * 2)
    with pytest.raises(TypeError) as info:
        f(np.array([1.0, 2.0]))
    message = str(info.value)
    assert "'k'" in message
    assert "allow_input_downcast" in message
    assert "float64" in message and "int32" in message


def test_non_castable_dtype_names_in_name() -> None:
    k = T.bvector("k")
    f = theano.function([In(k, name="counts")], k + 1)
    with pytest.raises(TypeError, match="'counts'.*allow_input_downcast"):
        f(np.array([1, 2], dtype=np.int64))


def test_non_numeric_data_raises() -> None:
    x = T.dvector("x")
    f = theano.function([x], x)
    with pytest.raises(TypeError, match="'x'"):
        f(["a", "b"])


def test_shape_mismatch_at_run_time_names_op_and_source_line() -> None:
    x, y = T.dvectors("x", "y")
    z, line = x + y, _line()
    f = theano.function([x, y], z * 2)
    with pytest.raises(ValueError) as info:
        f(np.ones(2), np.ones(3))
    message = str(info.value)
    assert "add" in message
    assert _where(line) in message
    assert "float64[2], float64[3]" in message


def test_shape_mismatch_in_dot_names_op_and_source_line() -> None:
    a, b = T.dmatrices("a", "b")
    prod, line = T.dot(a, b), _line()
    f = theano.function([a, b], prod.sum())
    with pytest.raises(ValueError) as info:
        f(np.ones((2, 3)), np.ones((4, 5)))
    message = str(info.value)
    assert "dot" in message and _where(line) in message


def test_zero_division_names_op_and_source_line() -> None:
    i, j = T.lscalars("i", "j")
    q, line = i // j, _line()
    f = theano.function([i, j], q)
    with pytest.raises(ZeroDivisionError) as info:
        f(1, 0)
    assert "int_div" in str(info.value) and _where(line) in str(info.value)


# -- updates --


def test_update_of_non_shared_variable() -> None:
    x = T.dscalar("x")
    with pytest.raises(UpdateError, match="shared"):
        theano.function([x], x, updates={x: x + 1})


def test_update_of_expression_is_rejected() -> None:
    w = theano.shared(1.0, name="w")
    with pytest.raises(UpdateError):
        theano.function([], [], updates=[(w * 2, w)])


def test_two_updates_of_one_variable() -> None:
    w = theano.shared(np.zeros(2), name="w")
    with pytest.raises(UpdateError, match="w is updated twice"):
        theano.function([], [], updates=[(w, w + 1), (w, w + 2)])


def test_update_dtype_mismatch() -> None:
    w = theano.shared(np.zeros(2), name="w")
    with pytest.raises(UpdateError, match="float32.*float64"):
        theano.function([], [], updates=[(w, T.cast(w, "float32"))])


def test_update_ndim_mismatch() -> None:
    w = theano.shared(np.zeros(2), name="w")
    with pytest.raises(UpdateError, match="w"):
        theano.function([], [], updates=[(w, w.sum())])


def test_update_static_shape_mismatch() -> None:
    w = theano.shared(np.zeros(2), name="w", shape=(2,))
    with pytest.raises(UpdateError, match="static shape"):
        theano.function([], [], updates=[(w, T.zeros((3,)))])


def test_update_weak_upcast_is_still_a_type_error() -> None:
    # int32 shared + 0.5 is float64: the update does not have the shared variable's type
    n = theano.shared(np.int32(0), name="n")
    with pytest.raises(UpdateError, match="cast"):
        theano.function([], [], updates={n: n + 0.5})


def test_update_error_is_a_type_error() -> None:
    assert issubclass(UpdateError, TypeError)


def test_updates_must_be_pairs() -> None:
    w = theano.shared(0.0, name="w")
    with pytest.raises(TypeError, match="pairs"):
        theano.function([], [], updates=[(w, w + 1, w)])


# -- givens --


def test_givens_dtype_mismatch() -> None:
    x = T.dvector("x")
    v = T.fvector("v")
    with pytest.raises(GivensError, match="float32") as info:
        theano.function([v], x.sum(), givens={x: v})
    assert "x" in str(info.value)


def test_givens_ndim_mismatch() -> None:
    x = T.dvector("x")
    m = T.dmatrix("m")
    with pytest.raises(GivensError, match="ndim"):
        theano.function([m], x.sum(), givens={x: m})


def test_givens_static_shape_mismatch() -> None:
    r = T.drow("r")
    m = T.dmatrix("m")
    with pytest.raises(GivensError, match="specify_shape"):
        theano.function([m], r.sum(), givens={r: m})


def test_givens_value_not_castable() -> None:
    x = T.bscalar("x")
    with pytest.raises(TypeError, match="given value for x"):
        theano.function([], x * 1, givens={x: 1000})


def test_givens_key_must_be_a_variable() -> None:
    x = T.dscalar("x")
    with pytest.raises(GivensError, match="symbolic"):
        theano.function([], x * 1, givens={"x": 1.0})


# -- unused and missing inputs --


def test_unused_input_raises_by_default() -> None:
    x, a = T.dscalars("x", "a")
    with pytest.raises(UnusedInputError, match="a") as info:
        theano.function([x, a], x * 2)
    assert "on_unused_input" in str(info.value)
    assert theano.UnusedInputError is UnusedInputError


def test_unused_input_raise_explicitly() -> None:
    x, a = T.dscalars("x", "a")
    with pytest.raises(UnusedInputError):
        theano.function([x, a], x * 2, on_unused_input="raise")


def test_unused_input_warn() -> None:
    x, a = T.dscalars("x", "a")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        f = theano.function([x, a], x * 2, on_unused_input="warn")
    assert len(caught) == 1
    assert "not used" in str(caught[0].message)
    assert f(1, 2) == 2.0


def test_unused_input_ignore() -> None:
    x, a = T.dscalars("x", "a")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        f = theano.function([x, a], x * 2, on_unused_input="ignore")
    assert f(1, 2) == 2.0


def test_input_used_only_by_an_update_is_used() -> None:
    x = T.dscalar("x")
    w = theano.shared(0.0, name="w")
    theano.function([x], [], updates={w: w + x})(2.0)
    assert w.get_value() == 2.0


def test_bad_on_unused_input_value() -> None:
    x = T.dscalar("x")
    with pytest.raises(ValueError, match="on_unused_input"):
        theano.function([x], x * 2, on_unused_input="sometimes")


def test_missing_input_names_the_variable() -> None:
    x, a = T.dscalars("x", "a_missing")
    with pytest.raises(MissingInputError, match="a_missing"):
        theano.function([x], x + a)
    assert theano.MissingInputError is MissingInputError


def test_missing_input_in_an_update() -> None:
    w = theano.shared(0.0, name="w")
    b = T.dscalar("b_missing")
    with pytest.raises(MissingInputError, match="b_missing"):
        theano.function([], [], updates={w: w + b})


# -- ill-typed nodes at graph construction --


def test_float_bitwise_and_names_op_and_line() -> None:
    x, y = T.dvectors("x", "y")
    with pytest.raises(GraphTypeError) as info:
        line = _line(); x & y  # noqa: E702
    message = str(info.value)
    assert message.startswith("and(")
    assert _where(line) in message
    assert isinstance(info.value, TypeError)


def test_incompatible_static_shapes_name_op_and_line() -> None:
    a = T.TensorType("float64", shape=(3,))("a")
    b = T.TensorType("float64", shape=(2, 4))("b")
    with pytest.raises(GraphShapeError) as info:
        line = _line(); a + b  # noqa: E702
    message = str(info.value)
    assert message.startswith("add(") and _where(line) in message
    assert isinstance(info.value, ValueError)


def test_dot_with_incompatible_static_lengths_names_op_and_line() -> None:
    a = T.TensorType("float64", shape=(2, 3))("a")
    v = T.TensorType("float64", shape=(4,))("v")
    with pytest.raises(GraphShapeError, match="inner lengths 3 and 4") as info:
        line = _line(); T.dot(a, v)  # noqa: E702
    assert str(info.value).startswith("dot(") and _where(line) in str(info.value)


def test_weak_scalar_out_of_range_raises_at_construction() -> None:
    b = T.bscalar("b")
    with pytest.raises(TypeError, match="1000"):
        b + 1000


# -- atomicity: a call that raises changes no shared variable --


@dataclass
class State:
    a: TensorSharedVariable  # float64 vector
    n: TensorSharedVariable  # int64 scalar
    c: TensorSharedVariable  # float64, static shape (2,)

    def snapshot(self) -> list[np.ndarray]:
        return [self.a.get_value(), self.n.get_value(), self.c.get_value()]


Case = Callable[[State], tuple[theano.Function, tuple[object, ...], type[BaseException]]]


def _broadcast_mid_graph(st: State) -> tuple[theano.Function, tuple[object, ...], type[BaseException]]:
    y = T.dvector("y")
    f = theano.function([y], (st.a * 2 + y).sum(),
                        updates=[(st.a, st.a + 1), (st.n, st.n + 1), (st.c, st.c * 2)])
    return f, (np.ones(3),), ValueError


def _broadcast_in_update(st: State) -> tuple[theano.Function, tuple[object, ...], type[BaseException]]:
    y = T.dvector("y")
    f = theano.function([y], st.a.sum(),
                        updates=[(st.n, st.n + 1), (st.a, st.a + y), (st.c, st.c * 2)])
    return f, (np.ones(3),), ValueError


def _zero_division_in_update(st: State) -> tuple[theano.Function, tuple[object, ...], type[BaseException]]:
    d = T.lscalar("d")
    f = theano.function([d], st.a * 2, updates=[(st.a, st.a + 1), (st.n, st.n // d), (st.c, st.c + 1)])
    return f, (0,), ZeroDivisionError


def _zero_division_in_output(st: State) -> tuple[theano.Function, tuple[object, ...], type[BaseException]]:
    d = T.lscalar("d")
    f = theano.function([d], [st.a * 2, st.n % d],
                        updates=[(st.a, st.a + 1), (st.n, st.n + 1), (st.c, st.c + 1)])
    return f, (0,), ZeroDivisionError


def _update_misfits_static_shape(st: State) -> tuple[theano.Function, tuple[object, ...], type[BaseException]]:
    y = T.dvector("y")
    f = theano.function([y], [], updates=[(st.a, st.a + 1), (st.n, st.n + 1), (st.c, y)])
    return f, (np.ones(3),), UpdateError


def _specify_shape_fails(st: State) -> tuple[theano.Function, tuple[object, ...], type[BaseException]]:
    f = theano.function([], [], updates=[(st.a, T.specify_shape(st.a, (5,)) + 1), (st.n, st.n + 1)])
    return f, (), ValueError


def _bad_argument(st: State) -> tuple[theano.Function, tuple[object, ...], type[BaseException]]:
    y = T.ivector("y")
    f = theano.function([y], [], updates=[(st.a, st.a + 1), (st.n, st.n + y.sum())])
    return f, (np.ones(2),), TypeError


CASES: dict[str, Case] = {
    "broadcast mid-graph": _broadcast_mid_graph,
    "broadcast in an update": _broadcast_in_update,
    "zero division in an update": _zero_division_in_update,
    "zero division in an output": _zero_division_in_output,
    "update misfits static shape": _update_misfits_static_shape,
    "specify_shape fails": _specify_shape_fails,
    "argument not castable": _bad_argument,
}


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_failed_call_changes_no_shared_variable(case: str) -> None:
    st = State(
        a=theano.shared(np.array([1.0, 2.0]), name="a"),
        n=theano.shared(np.int64(5), name="n"),
        c=theano.shared(np.array([3.0, 4.0]), name="c", shape=(2,)),
    )
    f, args, error = CASES[case](st)
    before = st.snapshot()
    storage = [st.a.get_value(borrow=True), st.n.get_value(borrow=True), st.c.get_value(borrow=True)]
    with pytest.raises(error):
        f(*args)
    after = st.snapshot()
    for old, new in zip(before, after):
        assert old.dtype == new.dtype and old.shape == new.shape
        np.testing.assert_array_equal(old, new)
    # not even the stored arrays were written to in place
    for old, kept in zip(before, storage):
        np.testing.assert_array_equal(old, kept)


def test_failed_call_keeps_implicit_in_state() -> None:
    d = T.lscalar("d")
    s = T.lscalar("s")
    w = theano.shared(np.int64(10), name="w")
    f = theano.function([d, In(s, value=1, update=s + 1)], [], updates={w: w // d})
    f(2)
    assert f[s] == 2 and w.get_value() == 5
    with pytest.raises(ZeroDivisionError):
        f(0)
    assert f[s] == 2 and w.get_value() == 5
    f(5)
    assert f[s] == 3 and w.get_value() == 1


def test_function_still_works_after_a_failed_call() -> None:
    a = theano.shared(np.zeros(2), name="a")
    y = T.dvector("y")
    f = theano.function([y], (a + y).sum(), updates={a: a + y})
    with pytest.raises(ValueError):
        f(np.ones(3))
    assert f(np.ones(2)) == 2.0
    np.testing.assert_array_equal(a.get_value(), [1.0, 1.0])
