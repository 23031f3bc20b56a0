"""Mode DIFFCHECK (aliases DebugMode, DEBUG_MODE): every call runs FAST_RUN and the reference, returns
the reference's results and commits like a normal call, and raises DiffCheckError naming the first
differing node and the line that built it."""

from __future__ import annotations

import sys

import numpy as np
import pytest

import refspec as theano
import refspec.tensor as T
from refspec import In
from refspec.ast import Op
from refspec.diffcheck import DiffCheckError
from refspec.diffcheck.repro import still_fails
from refspec.printing import Print

from . import plants


@pytest.mark.parametrize("name", ["DIFFCHECK", "DebugMode", "DEBUG_MODE"])
def test_aliases(name: str) -> None:
    x = T.dvector("x")
    f = theano.function([x], x * 2, mode=name)
    assert f.mode == "DIFFCHECK"
    np.testing.assert_array_equal(f(np.array([1.0, 2.0])), [2.0, 4.0])


def test_agreeing_calls_behave_like_normal_calls(capsys: pytest.CaptureFixture[str]) -> None:
    observed = {}
    for mode in ("REFERENCE", "DIFFCHECK"):
        s = theano.shared(np.int64(0), name="s")
        inc = T.lscalar("inc")
        acc = T.lscalar("acc")
        f = theano.function([inc, In(acc, value=np.int64(10), update=acc + inc)],
                            [Print("state")(s), acc], updates=[(s, s + inc)], mode=mode)
        outs = [f(1), f(300), f(-4)]
        observed[mode] = (outs, s.get_value(), f["acc"], capsys.readouterr().out)
    assert observed["DIFFCHECK"][3].count("state") == 3  # printed once per call, not once per path
    assert repr(observed["DIFFCHECK"]) == repr(observed["REFERENCE"])


def test_errors_are_the_reference_errors_and_change_nothing() -> None:
    x, y = T.lvector("x"), T.lvector("y")
    s = theano.shared(np.arange(2), name="s")
    f = theano.function([x, y], x // y, updates=[(s, s + 1)], mode="DIFFCHECK")
    with pytest.raises(ZeroDivisionError, match="int_div"):
        f(np.array([1, 2]), np.array([1, 0]))
    np.testing.assert_array_equal(s.get_value(), [0, 1])


def test_refinements_are_not_errors() -> None:
    """log(sigmoid(x)) is rewritten to a stable form (finite where the reference gives -inf): a
    declared refinement, so the call returns the reference's value."""
    x = T.dvector("x")
    f = theano.function([x], T.log(T.sigmoid(x)), mode="DIFFCHECK")
    np.testing.assert_array_equal(f(np.array([-800.0, 0.0])), [-np.inf, np.log(0.5)])


def _raises(f: theano.Function, *args: object) -> DiffCheckError:
    with pytest.raises(DiffCheckError) as info:
        f(*args)
    return info.value


def test_names_a_nan_dropping_maximum_and_its_line(monkeypatch: pytest.MonkeyPatch) -> None:
    plants.nan_dropping_maximum(monkeypatch)
    x, y = T.dvector("x"), T.dvector("y")
    m = T.maximum(T.exp(x), y); line = sys._getframe().f_lineno  # noqa: E702 - the line that builds it
    f = theano.function([x, y], T.sum(m * 2), mode="DIFFCHECK")
    error = _raises(f, np.array([1.0, np.nan]), np.array([np.nan, 0.0]))
    assert error.first is not None and error.first.node.op is Op.MAXIMUM
    assert f"{__file__}:{line}" in str(error)
    assert error.repro is not None and error.repro.verified and error.repro.lines <= 30
    assert still_fails(error.repro.text)


def test_names_an_integer_division_that_does_not_raise(monkeypatch: pytest.MonkeyPatch) -> None:
    plants.int_div_by_zero_gives_zero(monkeypatch)
    x, y = T.lvector("x"), T.lvector("y")
    s = theano.shared(np.arange(2), name="s")
    f = theano.function([x, y], (x * 3) // y, updates=[(s, s + 1)], mode="DIFFCHECK")
    np.testing.assert_array_equal(f(np.array([4, 5]), np.array([2, 2])), [6, 7])  # agreeing calls pass
    error = _raises(f, np.array([4, 5]), np.array([2, 0]))
    assert error.mismatch.what == "error" and "ZeroDivisionError" in error.mismatch.message
    assert error.first is not None and error.first.node.op is Op.INT_DIV
    np.testing.assert_array_equal(s.get_value(), [1, 2])  # only the agreeing call committed


def test_a_non_atomic_update_is_caught_and_undone(monkeypatch: pytest.MonkeyPatch) -> None:
    plants.non_atomic_update(monkeypatch)
    x, y = T.lvector("x"), T.lvector("y")
    s = theano.shared(np.arange(3), name="s")
    f = theano.function([x, y], (s + x) // y, updates=[(s, s + x)], mode="DIFFCHECK")
    error = _raises(f, np.array([1, 1, 1]), np.array([1, 0, 1]))
    assert "shared s written during a call that failed" in error.mismatch.message
    assert error.first is not None and error.first.node.op is Op.ADD
    np.testing.assert_array_equal(s.get_value(), [0, 1, 2])  # the fast path's write was undone


def test_finds_float32_accumulation(monkeypatch: pytest.MonkeyPatch) -> None:
    plants.float32_sum(monkeypatch)
    x = T.dmatrix("x")
    f = theano.function([x], T.sum(T.exp(x), axis=1) + 1, mode="DIFFCHECK")
    error = _raises(f, np.linspace(0.1, 3.3, 12).reshape(3, 4))
    assert error.first is not None and error.first.node.op is Op.SUM
    assert error.repro is not None and error.repro.scope == "node"


def test_refined_graphs_are_compared_with_the_rewritten_graph(monkeypatch: pytest.MonkeyPatch) -> None:
    x = T.dvector("x")
    values = np.array([36.0, 30.0, 1.0, -2.0])
    f = theano.function([x], T.sum(T.log(1 - T.sigmoid(x)) * 3), mode="DIFFCHECK")
    expected = theano.function([x], T.sum(T.log(1 - T.sigmoid(x)) * 3), mode="REFERENCE")(values)
    np.testing.assert_array_equal(f(values), expected)  # far from FAST_RUN's value, and no error
    plants.float32_sum(monkeypatch)
    g = theano.function([x], T.sum(T.log(1 - T.sigmoid(x)) * 3), mode="DIFFCHECK")
    error = _raises(g, values)
    assert error.first is not None and error.first.node.op is Op.SUM
