"""In-place updates of shared variables on the fast path (refspec/fast/cpu/inplace.py).

Each test runs the same program on both paths: the values must be the reference's bit for bit, and
on FAST_RUN the storage is reused exactly when nothing can observe the old value.
"""

from __future__ import annotations

import numpy as np
import pytest

import refspec as theano
import refspec.tensor as T
from refspec import Out
from refspec.errors import UpdateError

from . import Array

MODES = ("REFERENCE", "FAST_RUN")


def _storage(v: theano.SharedVariable) -> Array:
    stored = v.get_value(borrow=True)
    assert isinstance(stored, np.ndarray)
    return stored


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("n", [5, 200_000])  # plain ufunc calls, and the blocked fused kernel
def test_sgd_update_writes_into_the_shared_array_with_the_reference_bits(mode: str, n: int) -> None:
    rng = np.random.default_rng(0)
    w0 = rng.standard_normal(n)
    xv = rng.standard_normal(n)
    w = theano.shared(w0.copy(), name="w")
    x = T.dvector("x")
    f = theano.function([x], (w * x).sum(), updates={w: w - 0.1 * (x * w + 1.0)}, mode=mode)
    before = _storage(w)
    old = f(xv)
    assert old == np.sum(w0 * xv)
    np.testing.assert_array_equal(w.get_value(), w0 - 0.1 * (xv * w0 + 1.0))
    assert np.shares_memory(before, _storage(w)) is (mode == "FAST_RUN")


def test_the_generated_program_writes_after_checking_every_update() -> None:
    w = theano.shared(np.ones(3), name="w")
    f = theano.function([], [], updates={w: w * 2.0}, mode="FAST_RUN")
    source = f._fast.program.source if f._fast is not None else ""
    assert "_check_updates" in source and "out=" in source
    assert source.index("_check_updates") < source.index("out=")


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("view", ["itself", "transpose", "row", "borrowed"])
def test_an_output_that_may_be_a_view_of_the_variable_keeps_the_old_value(mode: str, view: str) -> None:
    w0 = np.arange(6.0).reshape(2, 3)
    w = theano.shared(w0.copy(), name="w")
    out = {"itself": w, "transpose": w.T, "row": w[0], "borrowed": Out(w, borrow=True)}[view]
    f = theano.function([], out, updates={w: w * 2.0}, mode=mode)
    got = f()
    expected = {"itself": w0, "transpose": w0.T, "row": w0[0], "borrowed": w0}[view]
    np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(w.get_value(), w0 * 2.0)


@pytest.mark.parametrize("mode", MODES)
def test_a_failing_update_check_leaves_the_in_place_candidate_untouched(mode: str) -> None:
    w = theano.shared(np.ones(3), name="w")
    v = theano.shared(np.zeros((1, 2)), name="v", broadcastable=(True, False))
    k = T.dmatrix("k")
    f = theano.function([k], [], updates={w: w + 1.0, v: v + k}, mode=mode)
    before = w.get_value()
    with pytest.raises(UpdateError):
        f(np.zeros((2, 2)))  # v's update has 2 rows: it does not fit v's broadcastable type
    np.testing.assert_array_equal(w.get_value(), before)
    np.testing.assert_array_equal(v.get_value(), np.zeros((1, 2)))


@pytest.mark.parametrize("mode", MODES)
def test_an_argument_sharing_memory_with_the_variable_is_not_written(mode: str) -> None:
    w = theano.shared(np.ones(4), name="w")
    x = T.dvector("x")
    f = theano.function([x], [], updates={w: w + x}, mode=mode)
    arg = _storage(w)  # the caller passes the shared variable's own array as the argument
    f(arg)
    np.testing.assert_array_equal(arg, np.ones(4))
    np.testing.assert_array_equal(w.get_value(), np.full(4, 2.0))


@pytest.mark.parametrize("mode", MODES)
def test_read_only_or_resized_storage_gets_a_new_array(mode: str) -> None:
    frozen = np.ones(3)
    frozen.flags.writeable = False
    w = theano.shared(frozen, name="w", borrow=True)
    f = theano.function([], [], updates={w: w + 1.0}, mode=mode)
    f()
    np.testing.assert_array_equal(w.get_value(), np.full(3, 2.0))
    np.testing.assert_array_equal(frozen, np.ones(3))
    u = theano.shared(np.ones(1), name="u")  # length 1 at run time, broadcast against x
    x = T.dvector("x")
    g = theano.function([x], [], updates={u: u + x}, mode=mode)
    g(np.arange(3.0))
    np.testing.assert_array_equal(u.get_value(), [1.0, 2.0, 3.0])


@pytest.mark.parametrize("mode", MODES)
def test_updates_reading_each_other_see_the_values_before_the_call(mode: str) -> None:
    a = theano.shared(np.array([1.0, 2.0]), name="a")
    b = theano.shared(np.array([10.0, 20.0]), name="b")
    f = theano.function([], [], updates=[(a, a + b), (b, b * a)], mode=mode)
    f()
    np.testing.assert_array_equal(a.get_value(), [11.0, 22.0])
    np.testing.assert_array_equal(b.get_value(), [10.0, 40.0])


def test_complex_updates_are_not_written_in_place_and_keep_the_reference_bits() -> None:
    # found by a diffcheck campaign (seed 11): numpy's complex square of a 0-d array written over
    # its input is an ulp off the out-of-place result, which is what the reference computes
    start = np.array(complex(1.5925275133991441, 1.5))
    for update in (lambda s: T.sqr(s), lambda s: s * complex(0.3, -2.1)):
        results = []
        for mode in ("FAST_RUN", "REFERENCE"):
            s = theano.shared(start.copy(), name="s")
            f = theano.function([], [], updates={s: update(s)}, mode=mode)
            assert f._fast is None or "out=" not in f._fast.program.source
            f()
            results.append(s.get_value())
        assert results[0].tobytes() == results[1].tobytes(), results


def test_integer_updates_are_not_written_in_place() -> None:
    # an integer kernel may raise (say, division by zero) after other writes happened
    n = theano.shared(np.arange(3), name="n")
    f = theano.function([], [], updates={n: n + 1}, mode="FAST_RUN")
    assert f._fast is not None and "out=" not in f._fast.program.source
    f()
    np.testing.assert_array_equal(n.get_value(), [1, 2, 3])


@pytest.mark.parametrize("mode", MODES)
def test_two_shared_variables_over_one_array_are_not_written_in_place(mode: str) -> None:
    storage = np.zeros(3)
    a = theano.shared(storage, name="a", borrow=True)
    b = theano.shared(storage, name="b", borrow=True)  # the same array, as borrow=True allows
    f = theano.function([], [b * 1.0, b], updates={a: a + 1.0}, mode=mode)
    scaled, same = f()
    np.testing.assert_array_equal(scaled, np.zeros(3))  # the values before the call
    np.testing.assert_array_equal(same, np.zeros(3))
    np.testing.assert_array_equal(a.get_value(), np.ones(3))
    g = theano.function([], [], updates=[(a, a + 1.0), (b, b * 2.0)], mode=mode)
    a.set_value(np.ones(3))
    b.set_value(a.get_value(borrow=True), borrow=True)
    g()
    np.testing.assert_array_equal(a.get_value(), np.full(3, 2.0))
    np.testing.assert_array_equal(b.get_value(), np.full(3, 2.0))
