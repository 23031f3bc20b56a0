"""``function``: calling conventions, outputs, copies and aliasing, shared values, modes, input
conversion, ``.eval``."""

from __future__ import annotations

import numpy as np
import pytest

import refspec as theano
import refspec.tensor as T
from refspec import In, Mode, Out

# -- calling conventions --


def test_positional_call() -> None:
    x, y = T.dscalars("x", "y")
    f = theano.function([x, y], x - y)
    assert f(5, 3) == 2.0


def test_keyword_call_by_variable_name() -> None:
    x, y = T.dscalars("x", "y")
    f = theano.function([x, y], x - y)
    assert f(y=3, x=5) == 2.0
    assert f(5, y=3) == 2.0


def test_keyword_call_by_in_name() -> None:
    x = T.dscalar("x")
    f = theano.function([In(x, name="alpha")], x * 2)
    assert f(alpha=3) == 6.0


def test_default_values() -> None:
    x, y, w = T.dscalars("x", "y", "w")
    f = theano.function([x, In(y, value=1.0), In(w, value=2.0, name="w_by_name")], (x + y) * w)
    assert f(33) == 68.0
    assert f(33, 2) == 70.0
    assert f(33, 0, 1) == 33.0
    assert f(33, w_by_name=1, y=0) == 33.0
    assert f(33, w_by_name=1) == 34.0


def test_default_with_variable_value_pair() -> None:
    x, s = T.dscalars("x", "s")
    f = theano.function([x, (s, 5.0)], x + s)
    assert f(1) == 6.0
    assert f(1, 2) == 3.0


def test_too_many_arguments() -> None:
    x = T.dscalar("x")
    f = theano.function([x], x * 2)
    with pytest.raises(TypeError, match="1 arguments, got 2"):
        f(1, 2)


def test_unknown_keyword() -> None:
    x = T.dscalar("x")
    f = theano.function([x], x * 2)
    with pytest.raises(TypeError, match="'q'"):
        f(q=1)


def test_argument_given_twice() -> None:
    x = T.dscalar("x")
    f = theano.function([x], x * 2)
    with pytest.raises(TypeError, match="twice"):
        f(1, x=2)


def test_missing_argument() -> None:
    x = T.dscalar("x")
    f = theano.function([x], x * 2)
    with pytest.raises(TypeError, match="missing.*'x'"):
        f()


def test_same_input_listed_twice() -> None:
    x = T.dscalar("x")
    with pytest.raises(TypeError, match="twice"):
        theano.function([x, x], x)


def test_shared_variable_as_input_is_rejected() -> None:
    w = theano.shared(1.0, name="w")
    with pytest.raises(TypeError, match="shared"):
        theano.function([w], w * 2)  # type: ignore[list-item]


# -- output structure --


def test_scalar_output_is_0d_ndarray() -> None:
    x = T.dscalar("x")
    out = theano.function([x], x * 2)(3)
    assert isinstance(out, np.ndarray)
    assert out.shape == () and out.dtype == np.float64 and out == 6.0


def test_integer_scalar_output_is_0d_ndarray() -> None:
    i = T.iscalar("i")
    out = theano.function([i], i + 1)(3)
    assert isinstance(out, np.ndarray) and out.shape == () and out.dtype == np.int32


def test_list_outputs_are_lists() -> None:
    a, b = T.dmatrices("a", "b")
    f = theano.function([a, b], [a - b, abs(a - b)])
    out = f([[1, 1], [1, 1]], [[0, 1], [2, 3]])
    assert isinstance(out, list) and len(out) == 2
    np.testing.assert_array_equal(out[0], [[1, 0], [-1, -2]])
    np.testing.assert_array_equal(out[1], [[1, 0], [1, 2]])


def test_single_element_list_output_is_a_list() -> None:
    x = T.dscalar("x")
    out = theano.function([x], [x * 2])(3)
    assert isinstance(out, list) and len(out) == 1 and out[0] == 6.0


def test_empty_outputs() -> None:
    w = theano.shared(0.0, name="w")
    f = theano.function([], [], updates={w: w + 1})
    assert f() == []
    assert w.get_value() == 1.0


def test_fgraph_outputs() -> None:
    x = T.dvector("x")
    y = x * 2
    f = theano.function([x], y)
    assert f.maker.fgraph.inputs == [x]
    assert len(f.maker.fgraph.outputs) == 1 and f.maker.fgraph.outputs[0] is y


# -- copies and aliasing --


def test_default_output_is_a_copy_of_shared_storage() -> None:
    w = theano.shared(np.arange(3.0), name="w")
    f = theano.function([], w)
    out = f()
    assert not np.shares_memory(out, w.get_value(borrow=True))
    out[0] = 100.0
    np.testing.assert_array_equal(w.get_value(), [0.0, 1.0, 2.0])
    np.testing.assert_array_equal(f(), [0.0, 1.0, 2.0])


def test_default_output_of_in_state_is_a_copy() -> None:
    s = T.dvector("s")
    f = theano.function([In(s, value=np.zeros(2))], s)
    out = f()
    out[:] = 5.0
    np.testing.assert_array_equal(f[s], [0.0, 0.0])
    np.testing.assert_array_equal(f(), [0.0, 0.0])


def test_output_does_not_alias_input_argument() -> None:
    x = T.dvector("x")
    f = theano.function([x], x)
    data = np.ones(3)
    out = f(data)
    assert not np.shares_memory(out, data)
    out[0] = 7.0
    assert data[0] == 1.0


def test_output_of_updated_shared_variable_is_old_value_and_not_aliased() -> None:
    w = theano.shared(np.ones(2), name="w")
    f = theano.function([], w, updates={w: w * 3})
    out = f()
    np.testing.assert_array_equal(out, [1.0, 1.0])
    np.testing.assert_array_equal(w.get_value(), [3.0, 3.0])
    out[0] = -1.0
    np.testing.assert_array_equal(w.get_value(), [3.0, 3.0])


def test_later_call_result_unaffected_by_mutation() -> None:
    x = T.dvector("x")
    f = theano.function([x], x * 2)
    first = f([1.0, 2.0])
    first[:] = 0.0
    np.testing.assert_array_equal(f([1.0, 2.0]), [2.0, 4.0])


def test_out_borrow_may_alias_storage() -> None:
    w = theano.shared(np.arange(3.0), name="w")
    fb = theano.function([], Out(w, borrow=True))
    out = fb()
    np.testing.assert_array_equal(out, [0.0, 1.0, 2.0])
    # the reference interpreter hands out its own storage when borrowing is allowed
    assert np.shares_memory(out, w.get_value(borrow=True))


def test_out_borrow_in_a_list() -> None:
    x = T.dvector("x")
    f = theano.function([x], [Out(x * 2, borrow=True), x + 1])
    a, b = f([1.0, 2.0])
    np.testing.assert_array_equal(a, [2.0, 4.0])
    np.testing.assert_array_equal(b, [2.0, 3.0])


def test_get_value_borrow_aliases_and_default_copies() -> None:
    w = theano.shared(np.arange(3.0), name="w")
    borrowed = w.get_value(borrow=True)
    copied = w.get_value()
    assert np.shares_memory(borrowed, w.get_value(borrow=True))
    assert not np.shares_memory(copied, w.get_value(borrow=True))
    copied[0] = 50.0
    assert w.get_value()[0] == 0.0
    borrowed[0] = 50.0
    assert w.get_value()[0] == 50.0


def test_shared_copies_its_value_unless_borrowed() -> None:
    data = np.zeros(3)
    copied = theano.shared(data)
    borrowed = theano.shared(data, borrow=True)
    data[0] = 1.0
    assert copied.get_value()[0] == 0.0
    assert borrowed.get_value()[0] == 1.0


# -- set_value --


def test_set_value_accepts_lists() -> None:
    s = theano.shared(np.zeros(3, dtype="int64"), name="s")
    s.set_value([1, 2, 3])
    got = s.get_value()
    np.testing.assert_array_equal(got, [1, 2, 3])
    assert got.dtype == np.int64


def test_set_value_python_floats_into_float32() -> None:
    s = theano.shared(np.zeros(3, dtype="float32"), name="s")
    s.set_value([0.1, 0.2, 0.3])
    assert s.get_value().dtype == np.float32
    np.testing.assert_allclose(s.get_value(), [0.1, 0.2, 0.3], rtol=1e-6)


def test_set_value_float_into_int_raises() -> None:
    s = theano.shared(np.zeros(3, dtype="int64"), name="s")
    with pytest.raises(TypeError, match="allow_input_downcast"):
        s.set_value(np.ones(3))
    with pytest.raises(TypeError):
        s.set_value([1.5, 2.0, 3.0])
    np.testing.assert_array_equal(s.get_value(), [0, 0, 0])


def test_set_value_float64_into_float32_raises() -> None:
    s = theano.shared(np.zeros(3, dtype="float32"), name="s")
    with pytest.raises(TypeError, match="float64"):
        s.set_value(np.ones(3))


def test_set_value_wrong_ndim_raises() -> None:
    s = theano.shared(np.zeros(3), name="s")
    with pytest.raises(TypeError, match="ndim"):
        s.set_value(np.ones((2, 2)))
    np.testing.assert_array_equal(s.get_value(), [0.0, 0.0, 0.0])


def test_set_value_may_change_length_unless_static() -> None:
    s = theano.shared(np.zeros(3), name="s")
    s.set_value(np.ones(5))
    assert s.get_value().shape == (5,)
    fixed = theano.shared(np.zeros(3), name="fixed", shape=(3,))
    with pytest.raises(ValueError):
        fixed.set_value(np.ones(5))


def test_set_value_borrow() -> None:
    s = theano.shared(np.zeros(3), name="s")
    arr = np.ones(3)
    s.set_value(arr, borrow=True)
    assert np.shares_memory(s.get_value(borrow=True), arr)
    arr2 = np.full(3, 2.0)
    s.set_value(arr2)
    assert not np.shares_memory(s.get_value(borrow=True), arr2)
    arr2[0] = 9.0
    assert s.get_value()[0] == 2.0


def test_set_value_seen_by_compiled_function() -> None:
    w = theano.shared(np.zeros(2), name="w")
    f = theano.function([], w + 1)
    w.set_value([4.0, 5.0])
    np.testing.assert_array_equal(f(), [5.0, 6.0])


# -- Function.copy --


def test_copy_swap() -> None:
    acc = theano.shared(0.0, name="acc")
    inc = T.dscalar("inc")
    fa = theano.function([inc], acc, updates={acc: acc + inc})
    acc2 = theano.shared(100.0, name="acc2")
    fc = fa.copy(swap={acc: acc2})
    assert fc(1.0) == 100.0
    assert acc.get_value() == 0.0 and acc2.get_value() == 101.0
    assert fa(2.0) == 0.0
    assert acc.get_value() == 2.0 and acc2.get_value() == 101.0


def test_copy_swap_type_mismatch_raises() -> None:
    acc = theano.shared(0.0, name="acc")
    fa = theano.function([], acc * 2)
    with pytest.raises(TypeError, match="swap"):
        fa.copy(swap={acc: theano.shared(np.zeros(2))})


def test_copy_delete_updates() -> None:
    acc = theano.shared(0.0, name="acc")
    inc = T.dscalar("inc")
    fa = theano.function([inc], acc, updates={acc: acc + inc})
    fd = fa.copy(delete_updates=True)
    assert fd(1.0) == 0.0
    assert acc.get_value() == 0.0
    fa(1.0)
    assert acc.get_value() == 1.0


def test_copy_share_memory() -> None:
    inc, s = T.dscalars("inc", "s")
    h = theano.function([inc, In(s, value=0.0, update=s + inc)], s)
    shared_copy = h.copy(share_memory=True)
    private_copy = h.copy(share_memory=False)
    h(5.0)
    assert shared_copy[s] == 5.0
    assert private_copy[s] == 0.0
    shared_copy(1.0)
    assert h[s] == 6.0
    private_copy(2.0)
    assert private_copy[s] == 2.0 and h[s] == 6.0


def test_copy_shares_shared_variables() -> None:
    acc = theano.shared(0.0, name="acc")
    inc = T.dscalar("inc")
    fa = theano.function([inc], acc, updates={acc: acc + inc})
    fa.copy()(3.0)
    assert acc.get_value() == 3.0


# -- f[var], f['name'], f.value, f.container --


def test_item_access_by_variable_and_name() -> None:
    x, s = T.dscalars("x", "s")
    f = theano.function([x, In(s, value=1.0)], x + s)
    assert f[s] == 1.0 and f["s"] == 1.0
    f[s] = 2.0
    assert f(1.0) == 3.0
    f["s"] = 4.0
    assert f(1.0) == 5.0
    assert f[x] is None  # no default


def test_value_and_container_views() -> None:
    x, s = T.dscalars("x", "s")
    f = theano.function([x, In(s, value=1.0)], x + s)
    assert f.value[s] == 1.0
    f.value["s"] = 7.0
    assert f(0.0) == 7.0
    assert f.container[s].value == 7.0
    f.container[s].value = 8.0
    assert f[s] == 8.0 and f(0.0) == 8.0


def test_item_set_checks_type() -> None:
    i, s = T.iscalars("i", "s")
    f = theano.function([i, In(s, value=1)], i + s)
    with pytest.raises(TypeError):
        f[s] = 2.5
    assert f[s] == 1


def test_item_access_unknown_key() -> None:
    x = T.dscalar("x")
    f = theano.function([x], x * 2)
    with pytest.raises(KeyError):
        f["nope"]


# -- modes --


@pytest.mark.parametrize("mode", [None, "FAST_RUN", "FAST_COMPILE", "REFERENCE", "DebugMode"])
def test_mode_strings(mode: str | None) -> None:
    x = T.dvector("x")
    f = theano.function([x], x * 2, mode=mode)
    np.testing.assert_array_equal(f([1.0, 2.0]), [2.0, 4.0])


def test_mode_objects() -> None:
    x = T.dvector("x")
    for mode in (Mode(linker="py"), Mode(linker="c", optimizer="fast_run"), theano.compile.Mode()):
        f = theano.function([x], x * 2, mode=mode)
        np.testing.assert_array_equal(f([1.0, 2.0]), [2.0, 4.0])


def test_fast_compile_is_reference() -> None:
    x = T.dvector("x")
    assert theano.function([x], x, mode="FAST_COMPILE").mode == "REFERENCE"


def test_unknown_mode_raises() -> None:
    x = T.dvector("x")
    with pytest.raises(ValueError, match="unknown mode 'NO_SUCH_MODE'"):
        theano.function([x], x, mode="NO_SUCH_MODE")
    with pytest.raises(ValueError, match="unknown mode"):
        Mode(name="NO_SUCH_MODE")


# -- input conversion --


def test_float64_data_into_fvector_needs_allow_input_downcast() -> None:
    v = T.fvector("v")
    f = theano.function([v], v * 2)
    with pytest.raises(TypeError, match="allow_input_downcast") as info:
        f(np.ones(3))
    assert "'v'" in str(info.value)


def test_allow_input_downcast_flag() -> None:
    v = T.fvector("v")
    f = theano.function([v], v * 2, allow_input_downcast=True)
    out = f(np.array([1.0, 2.5]))
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, [2.0, 5.0])


def test_in_allow_downcast_per_input() -> None:
    v = T.fvector("v")
    f = theano.function([In(v, allow_downcast=True)], v * 2)
    assert f(np.ones(2)).dtype == np.float32


def test_python_float_into_fscalar_is_ok() -> None:
    fs = T.fscalar("fs")
    out = theano.function([fs], fs)(0.1)
    assert out.dtype == np.float32
    assert out == np.float32(0.1)


def test_python_float_into_iscalar_raises() -> None:
    i = T.iscalar("i")
    f = theano.function([i], i * 2)
    with pytest.raises(TypeError, match="allow_input_downcast"):
        f(2.5)
    assert f(3) == 6


def test_python_int_into_dscalar_is_ok() -> None:
    d = T.dscalar("d")
    assert theano.function([d], d)(3).dtype == np.float64


def test_safe_numpy_upcast_is_ok() -> None:
    v = T.dvector("v")
    out = theano.function([v], v)(np.array([1, 2], dtype=np.int32))
    assert out.dtype == np.float64


def test_row_enforces_static_length_at_call_time() -> None:
    r = T.drow("r")
    f = theano.function([r], r * 2)
    np.testing.assert_array_equal(f(np.ones((1, 3))), 2 * np.ones((1, 3)))
    with pytest.raises(ValueError, match="'r'"):
        f(np.ones((2, 3)))


def test_col_enforces_static_length_at_call_time() -> None:
    c = T.dcol("c")
    f = theano.function([c], c + 1)
    with pytest.raises(ValueError):
        f(np.ones((3, 2)))


def test_wrong_ndim_argument_raises() -> None:
    v = T.dvector("v")
    f = theano.function([v], v)
    with pytest.raises(TypeError, match="ndim"):
        f(np.ones((2, 2)))


# -- eval --


def test_eval_without_inputs() -> None:
    out = (T.constant(2.0) * 3).eval()
    assert isinstance(out, np.ndarray) and out == 6.0


def test_eval_with_inputs() -> None:
    x = T.dvector("x")
    y = T.dscalar("y")
    np.testing.assert_array_equal((x * 2).eval({x: [1.0, 2.0]}), [2.0, 4.0])
    np.testing.assert_array_equal((x * y).eval({x: [1.0, 2.0], y: 3.0}), [3.0, 6.0])


def test_eval_reads_shared_and_applies_no_explicit_updates() -> None:
    w = theano.shared(np.array([1.0, 2.0]), name="w")
    np.testing.assert_array_equal((w * 2).eval(), [2.0, 4.0])
    np.testing.assert_array_equal(w.get_value(), [1.0, 2.0])
