"""Comparing values (refspec.diffcheck.compare) and running programs on paths (refspec.diffcheck.paths):
bit-exact equality, the refinement rule of spec/numerics.md, and the audits of every call."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.budget import budget

import refspec as theano
import refspec.fast.cpu.pipeline as pipeline
import refspec.tensor as T
from refspec.ast import Array, TensorType
from refspec.diffcheck import compare_arrays, run_paths
from refspec.diffcheck.compare import amplified_tolerance, error_size, tolerance
from refspec.diffcheck.values import arrays_for
from refspec.printing import Print

from . import plants

DTYPES = ("bool", "int8", "uint64", "float16", "float32", "float64", "complex64", "complex128")


@settings(budget(40))
@given(data=st.data())
def test_a_value_equals_its_copy(data: st.DataObject) -> None:
    dtype = data.draw(st.sampled_from(DTYPES), label="dtype")
    a = data.draw(arrays_for(TensorType(dtype, shape=(None, None))), label="a")
    assert compare_arrays(a, a.copy()) is None
    assert compare_arrays(a, a.copy(), refined=True) is None


@settings(budget(40))
@given(data=st.data())
def test_one_ulp_off_is_a_difference_of_one_ulp(data: st.DataObject) -> None:
    dtype = data.draw(st.sampled_from(("float16", "float32", "float64")), label="dtype")
    a = data.draw(arrays_for(TensorType(dtype, shape=(None,)), special=False), label="a")
    finite = np.flatnonzero(np.isfinite(a) & (np.abs(a) < np.finfo(dtype).max))
    if not finite.size:
        return
    b = a.copy()
    i = data.draw(st.sampled_from(list(finite)), label="index")
    b[i] = np.nextafter(a[i], np.inf, dtype=a.dtype)
    found = compare_arrays(a, b)
    assert found is not None and found.kind == "value" and not found.refinement
    assert found.max_ulp == pytest.approx(1.0, abs=0.01) or a[i] == 0  # at 0 the step is a subnormal
    refined = compare_arrays(a, b, refined=True)
    assert refined is not None and refined.refinement  # one ulp is within the refinement tolerance


def test_bit_exact_rules() -> None:
    f = np.array([1.0, np.nan, -0.0])
    payload = np.array([1.0, np.float64("nan") * -1, -0.0])  # another NaN: still equal
    assert compare_arrays(f, payload) is None
    signed = compare_arrays(f, np.array([1.0, np.nan, 0.0]))
    assert signed is not None and signed.kind == "value"  # -0.0 is not 0.0
    moved = compare_arrays(f, np.array([np.nan, 1.0, -0.0]))
    assert moved is not None and moved.kind == "nan" and moved.max_abs == np.inf
    dtype = compare_arrays(f, f.astype("float32"))
    assert dtype is not None and dtype.kind == "dtype"
    shape = compare_arrays(f, f[:2])
    assert shape is not None and shape.kind == "shape"
    ints = compare_arrays(np.array([1, 2]), np.array([1, 3]), refined=True)  # no tolerance for integers
    assert ints is not None and ints.kind == "value" and not ints.refinement and ints.max_abs == 1.0


def test_refinement_rule() -> None:
    r = np.array([1.0, -np.inf, np.nan, 100.0])
    within = r + np.array([0, 0, 0, 100.0 * tolerance("float64") / 2])
    found = compare_arrays(r, within, refined=True)
    assert found is not None and found.refinement
    assert compare_arrays(r, within) is not None  # not without a refinement
    finite = np.array([1.0, -745.0, 3.0, 100.0])  # finite where the reference overflowed: allowed
    refined = compare_arrays(r, finite, refined=True)
    assert refined is not None and refined.refinement
    beyond = compare_arrays(r, r + np.array([1e-9, 0, 0, 0]), refined=True)
    assert beyond is not None and beyond.kind == "tolerance" and not beyond.refinement
    reverse = compare_arrays(np.array([1.0]), np.array([np.inf]), refined=True)  # never the reverse
    assert reverse is not None and reverse.kind == "non-finite"


def test_amplified_refinements() -> None:
    """check and DIFFCHECK accept, in a refined graph, rounding that later operations amplified past
    the pattern tolerance, up to sqrt(eps); a wrong value stays a mismatch."""
    r = np.array([0.5, 2.0])
    amplified = r + 1e-12
    strict = compare_arrays(r, amplified, refined=True)
    assert strict is not None and strict.kind == "tolerance" and not strict.refinement
    loose = compare_arrays(r, amplified, refined=True, amplified=True)
    assert loose is not None and loose.kind == "amplified" and loose.refinement
    wrong = compare_arrays(r, r + 1e-6, refined=True, amplified=True)
    assert wrong is not None and not wrong.refinement
    assert compare_arrays(r, amplified, amplified=True) is not None  # only where a refinement fired
    assert amplified_tolerance("float32") == pytest.approx(np.sqrt(np.finfo(np.float32).eps))


def test_error_size_in_ulps() -> None:
    r = np.array([1.0, 2.0], dtype="float32")
    o = np.array([1.0, np.nextafter(np.float32(2.0), np.float32(3.0)) + 0], dtype="float32")
    o[1] = np.nextafter(o[1], np.float32(3.0))  # two ulps above 2
    max_abs, max_ulp = error_size(r, o)
    assert max_ulp == pytest.approx(2.0) and max_abs == pytest.approx(2 * float(np.spacing(np.float32(2.0))))


def test_paths_agree_and_printing_is_compared() -> None:
    x = T.dvector("x")
    s = theano.shared(np.arange(3.0), name="s")
    out = T.as_tensor_variable(Print("x is")(x)) * 2 + s
    result = run_paths([x], [out], [np.array([1.0, 2.0, 3.0])], updates=[(s, s + x)], calls=2)
    assert result.passed, str(result)
    assert result.reference.printed.count("x is") == 2
    assert result.reference.labels == ["call 1 output 0", "call 2 output 0"]
    np.testing.assert_array_equal(s.get_value(), [2.0, 5.0, 8.0])  # as the last path left it


def test_errors_are_compared_by_class() -> None:
    x, y = T.lvector("x"), T.lvector("y")
    result = run_paths([x, y], [x // y], [np.array([1, 2]), np.array([1, 0])])
    assert result.passed and result.reference.error is ZeroDivisionError


def test_a_planted_bug_is_a_mismatch(monkeypatch: pytest.MonkeyPatch) -> None:
    plants.nan_dropping_maximum(monkeypatch)
    x, y = T.dvector("x"), T.dvector("y")
    result = run_paths([x, y], [T.maximum(x, y) + 1], [np.array([np.nan, 1.0]), np.array([0.0, 2.0])])
    assert not result.passed
    (mismatch,) = result.mismatches
    assert mismatch.path == "FAST_RUN" and mismatch.what == "output 0"
    assert mismatch.difference is not None and mismatch.difference.kind == "nan"


def test_audit_state_changed_by_a_failing_call(monkeypatch: pytest.MonkeyPatch) -> None:
    plants.non_atomic_update(monkeypatch)
    x, y = T.lvector("x"), T.lvector("y")
    s = theano.shared(np.arange(3), name="s")
    result = run_paths([x, y], [(s + x) // y], [np.array([1, 1, 1]), np.array([1, 0, 1])], updates=[(s, s + x)])
    assert [m.what for m in result.mismatches] == ["audit", "shared s"]
    assert result.mismatches[0].message == "shared s changed by a failing call"


def test_audit_outputs_not_aliased(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pipeline, "_is_fresh", lambda v, roots: True)  # "no copy needed" for every output
    x = T.dvector("x")
    s = theano.shared(np.arange(2.0), name="s")
    result = run_paths([x], [x * 1, s * 1], [np.array([1.0, 2.0])])
    messages = [m.message for m in result.mismatches]
    assert "output 0 shares memory with input 0" in messages
    assert "output 1 shares memory with shared s" in messages


def test_audit_inputs_not_modified(monkeypatch: pytest.MonkeyPatch) -> None:
    def in_place_negative(x: Array) -> Array:
        return np.asarray(np.negative(x, out=x))

    import refspec.fast.cpu.codegen as codegen

    right = codegen._direct_kernel
    monkeypatch.setattr(codegen, "_direct_kernel", lambda node: in_place_negative if node.op.value == "neg" else right(node))
    x = T.dvector("x")
    value = np.array([1.0, 2.0])
    result = run_paths([x], [-x], [value])
    assert any(m.message == "input 0 modified by the call" for m in result.mismatches), str(result)


def test_refinements_beyond_the_tolerance_are_checked_against_the_rewritten_graph() -> None:
    """log(1 - sigmoid(x)) is rewritten to -softplus(x): where 1 - sigmoid(x) loses most of its
    digits the reference is far off and the path is right. With ``amplified`` such a value is a
    refinement when it is what the reference computes from the rewritten graph."""
    x = T.dvector("x")
    out = T.sum(T.log(1 - T.sigmoid(x)) * 3)
    values = [np.array([36.0, 30.0, 1.0, -2.0])]
    strict = run_paths([x], [out], values)
    assert not strict.passed and strict.mismatches[0].difference is not None
    assert strict.mismatches[0].difference.kind == "tolerance"
    lenient = run_paths([x], [out], values, amplified=True)
    assert lenient.passed and [r.difference.kind for r in lenient.refinements] == ["rewritten"]


def test_a_kernel_bug_in_a_refined_graph_is_still_a_mismatch(monkeypatch: pytest.MonkeyPatch) -> None:
    plants.float32_sum(monkeypatch)
    x = T.dvector("x")
    out = T.sum(T.log(1 - T.sigmoid(x)) * 3)
    result = run_paths([x], [out], [np.linspace(-3.0, 36.0, 7)], amplified=True)
    assert not result.passed and result.mismatches[0].what == "output 0"
