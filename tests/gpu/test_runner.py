"""mode="GPU" end to end against the reference: every test runs on the fake CuPy (the generated CUDA
compiled for the host, always) and on a real GPU (skipped without one).

Compared: outputs (bit for bit where the GPU runs the same IEEE operations; within spec/gpu.md's
tolerance for libm functions, reductions and products), dtypes, shapes, shared values after calls,
error classes with no state change, random bits, update atomicity, ifelse laziness, scan, and what
``get_value`` returns.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest

import refspec as theano
import refspec.tensor as T
from refspec.ast import Op, Variable
from refspec.errors import UpdateError
from refspec.ifelse import ifelse
from refspec.interp import random as R
from refspec.ops import make_node
from refspec.params import AxisParams
from refspec.tensor.shared_randomstreams import RandomStreams

from .backends import Arr, backend, close, same_bits  # noqa: F401  (backend is a fixture)

RNG = np.random.default_rng(0)


def both(inputs: Sequence[Variable], outputs: Sequence[Variable], args: Sequence[object],
         updates: Any = None, calls: int = 1) -> tuple[list[Arr], list[Arr]]:
    """Reference outputs and GPU outputs (over ``calls`` calls each, state reset in between)."""
    shared = [t for t, _ in (updates or [])]
    before = [s.get_value() for s in shared]
    results = []
    for mode in ("REFERENCE", "GPU"):
        for s, v in zip(shared, before):
            s.set_value(v)
        f = theano.function(list(inputs), list(outputs), updates=updates, mode=mode)
        out: list[Arr] = []
        for _ in range(calls):
            out.extend(f(*args))
        out.extend(s.get_value() for s in shared)
        results.append(out)
    return results[0], results[1]


def test_elementwise_chain_is_bit_exact_where_ops_are_ieee(backend: str) -> None:
    x, y = T.dvectors("x", "y")
    i = T.lvector("i")
    outs = [(x * 3 - y) / (y + 0.5) + T.maximum(x, y) * T.sqr(x) - abs(y),
            (i * 7 - 3) // 4 + i % 5 - (i ** 2), T.switch(x > y, x, -y), T.clip(x, -0.5, 0.7),
            T.floor(x * 2.5) + T.round(x, mode="half_to_even") + T.ceil(-x)]
    xv = np.concatenate([RNG.normal(size=40), [np.nan, np.inf, -0.0, 0.0, 2.5, -2.5]])
    yv = np.concatenate([RNG.normal(size=40), [1.0, np.nan, 0.0, -0.0, np.inf, -1.5]])
    iv = np.arange(-23, 23, dtype=np.int64)
    ref, gpu = both([x, y, i], outs, [xv, yv, iv])
    for r, g in zip(ref, gpu):
        same_bits(r, g)


@pytest.mark.parametrize("dtype", ["float64", "float32", "float16"])
def test_the_benchmark_chain(backend: str, dtype: str) -> None:
    x = T.tensor(dtype, shape=(None,), name="x")
    out = (1 + T.tanh(x / 2)) / 2 * T.exp(-x * x) + T.log1p(abs(x))
    xv = np.concatenate([RNG.normal(size=1000), [0.0, -0.0, np.inf, -np.inf, np.nan]]).astype(dtype)
    ref, gpu = both([x], [out], [xv])
    close(ref[0], gpu[0])
    f = theano.function([x], out, mode="GPU")
    assert f._gpu is not None and len(f._gpu.plan.kernels()) == 1  # the whole chain is one kernel


def test_reductions(backend: str) -> None:
    m = T.dmatrix("m")
    b = T.bmatrix("b")
    outs = [T.sum(m), T.sum(m, axis=0), T.prod(m, axis=1, keepdims=True), T.max(m, axis=1), T.min(m),
            T.argmax(m, axis=0), T.argmin(m), T.all(m > 0, axis=1), T.any(m > 1), T.sum(b), T.sum(b, axis=1),
            T.prod(b, axis=0), T.max(b), T.mean(m, axis=1)]
    mv = RNG.normal(size=(5, 7))
    mv[2, 3] = np.nan
    bv = RNG.integers(-100, 100, size=(5, 7)).astype(np.int8)
    ref, gpu = both([m, b], outs, [mv, bv])
    for r, g in zip(ref, gpu):
        close(r, g)


def test_products(backend: str) -> None:
    a, c = T.fmatrix("a"), T.fmatrix("c")
    v = T.fvector("v")
    t3 = T.tensor("float32", shape=(None, None, None), name="t3")
    k = T.lmatrix("k")
    outs = [T.dot(a, c), T.dot(a, v), T.dot(v, c), T.tensordot(t3, a, axes=[[2], [0]]),
            T.batched_dot(t3, t3.dimshuffle(0, 2, 1)), T.dot(k, k.T)]
    av = RNG.normal(size=(4, 4)).astype(np.float32)
    cv = RNG.normal(size=(4, 4)).astype(np.float32)
    vv = RNG.normal(size=4).astype(np.float32)
    tv = RNG.normal(size=(3, 4, 4)).astype(np.float32)
    kv = RNG.integers(-1000, 1000, size=(3, 5))
    ref, gpu = both([a, c, v, t3, k], outs, [av, cv, vv, tv, kv])
    for r, g in zip(ref, gpu):
        close(r, g, scale=16.0)


def test_tensordot_without_axes_is_an_outer_product_of_any_rank(backend: str) -> None:
    # CuPy's own tensordot refuses a 0-d operand even with no axes (seen on an H200, CuPy 14.2)
    s, v, b = T.dscalar("s"), T.dvector("v"), T.TensorType("bool", shape=(None,))("b")
    outs = [T.tensordot(s, v, axes=0), T.tensordot(v, s, axes=0), T.tensordot(v, v, axes=0),
            T.tensordot(s, s, axes=0), T.tensordot(b, b, axes=0)]
    ref, gpu = both([s, v, b], outs, [np.array(-1.5), RNG.normal(size=3), np.array([True, False, True])])
    for r, g in zip(ref, gpu):
        same_bits(r, g)  # one product per element: exact


def test_shapes_and_indexing(backend: str) -> None:
    m = T.dmatrix("m")
    idx = T.lvector("idx")
    j = T.lscalar("j")
    outs = [m.reshape((m.shape[1], -1)), m.T, m[1:, ::-1], m[idx], m[:, j], m[m > 0],
            T.concatenate([m, m * 2], axis=1), T.zeros_like(m) + T.arange(m.shape[1]),
            T.set_subtensor(m[idx, 0], 5.0), T.inc_subtensor(m[idx], 1.0), T.inc_subtensor(m[1:3, j], -2.0),
            T.eye(3, 4, 1), T.alloc(1.5, 2, m.shape[0])]
    mv = RNG.normal(size=(4, 3))
    ref, gpu = both([m, idx, j], outs, [mv, np.array([0, 2, 2, -1]), np.array(1)])
    for r, g in zip(ref, gpu):
        same_bits(r, g)  # selections and single additions: exact


def test_errors_are_the_references_and_change_nothing(backend: str) -> None:
    i, d = T.lvectors("i", "d")
    s = theano.shared(np.arange(3), name="s")
    f = theano.function([i, d], i // d, updates=[(s, s + 1)], mode="GPU")
    assert np.array_equal(f(np.array([7, -7]), np.array([2, 2])), [3, -4])
    with pytest.raises(ZeroDivisionError):
        f(np.array([7, -7]), np.array([2, 0]))
    assert np.array_equal(s.get_value(), [1, 2, 3])  # one call committed, the failing one nothing
    m = T.dmatrix("m")
    g = theano.function([m, i], m[i], mode="GPU")
    with pytest.raises(IndexError):
        g(np.zeros((2, 2)), np.array([0, 5]))
    with pytest.raises(ValueError):
        theano.function([i], i ** T.constant(-1), mode="GPU")(np.array([2]))


def test_ifelse_is_lazy(backend: str) -> None:
    i, d = T.lvectors("i", "d")
    c = T.lscalar("c")
    out = ifelse(T.gt(c, 0), T.sum(i // d), T.sum(i))
    f = theano.function([c, i, d], out, mode="GPU")
    assert int(f(0, np.array([1, 2]), np.array([0, 0]))) == 3  # the division is not computed
    with pytest.raises(ZeroDivisionError):
        f(1, np.array([1, 2]), np.array([0, 0]))


def test_a_kernel_after_a_branch_that_chose_a_constant(backend: str) -> None:
    # every argument of the kernel is then a host scalar: CuPy cannot size the loop from scalars alone
    x = T.dvector("x")
    c = T.lscalar("c")
    out = T.arctan(ifelse(T.gt(c, 0), T.constant(2.0), T.sum(x)))
    ref, gpu = both([c, x], [out], [np.array(1), np.array([0.5, 0.25])])
    close(ref[0], gpu[0])
    ref, gpu = both([c, x], [out], [np.array(0), np.array([0.5, 0.25])])
    close(ref[0], gpu[0])


def test_softmax_of_a_0d_device_value(backend: str) -> None:
    # numpy reduces a 0-d array over axis 0; CuPy raises AxisError (seen on an H200, CuPy 14.2)
    v = T.dvector("v")
    total = T.exp(v).sum()
    outs = [make_node(op, [total], AxisParams(axis=0)).outputs[0] for op in (Op.SOFTMAX, Op.LOG_SOFTMAX)]
    ref, gpu = both([v], outs, [np.array([0.7, 0.1])])
    for r, g in zip(ref, gpu):
        close(r, g)


def test_updates_are_simultaneous_and_atomic(backend: str) -> None:
    a = theano.shared(np.array([1.0, 2.0]), name="a")
    b = theano.shared(np.array([10.0, 20.0]), name="b", shape=(2,))
    swap = theano.function([], [a + 0, b + 0], updates=[(a, b), (b, a)], mode="GPU")
    old_a, old_b = swap()
    assert np.array_equal(old_a, [1, 2]) and np.array_equal(old_b, [10, 20])
    assert np.array_equal(a.get_value(), [10, 20]) and np.array_equal(b.get_value(), [1, 2])
    v = T.dvector("v")
    bad = theano.function([v], [], updates=[(a, a + 1), (b, v)], mode="GPU")
    with pytest.raises(UpdateError):
        bad(np.zeros(3))  # b's update has the wrong shape: nothing changes
    assert np.array_equal(a.get_value(), [10, 20]) and np.array_equal(b.get_value(), [1, 2])


def test_get_value_and_modes_share_state(backend: str) -> None:
    w = theano.shared(np.arange(4.0), name="w")
    step = theano.function([], [], updates=[(w, w * 2)], mode="GPU")
    step()
    host = w.get_value()
    assert type(host) is np.ndarray and np.array_equal(host, [0, 2, 4, 6])
    device_array = w.get_value(borrow=True, return_internal_type=True)
    assert not isinstance(device_array, np.ndarray) or backend == "fake"
    assert type(device_array).__name__ in ("ndarray", "FakeArray") and device_array.shape == (4,)
    # a CPU-mode function sees the GPU's update, and the GPU sees the CPU's (written in place)
    cpu_step = theano.function([], [], updates=[(w, w + 1)], mode="FAST_RUN")
    cpu_step()
    step()
    assert np.array_equal(w.get_value(), [2, 6, 10, 14])
    w.set_value(np.ones(4))
    step()
    assert np.array_equal(w.get_value(), [2, 2, 2, 2])
    borrowed = w.get_value(borrow=True)
    borrowed[0] = 100.0  # writing into the borrowed host array: the GPU sees it
    step()
    assert np.array_equal(w.get_value(), [200, 4, 4, 4])


def test_scan_keeps_state_on_device(backend: str) -> None:
    xs = T.dmatrix("xs")
    W = theano.shared(RNG.normal(size=(3, 3)) * 0.5, name="W")
    h0 = T.dvector("h0")
    hs, _ = theano.scan(lambda x, h: T.tanh(T.dot(W, h) + x), sequences=xs, outputs_info=h0)
    total, _ = theano.scan(lambda x, acc: acc + x, sequences=xs, outputs_info=T.zeros((3,)))
    ref, gpu = both([xs, h0], [hs, hs[-1], total], [RNG.normal(size=(6, 3)), np.zeros(3)])
    for r, g in zip(ref, gpu):
        close(r, g)
    n = T.lscalar("n")
    powers, _ = theano.scan(lambda p: p * 2, outputs_info=T.constant(np.float64(1)), n_steps=n)
    ref, gpu = both([n], [powers], [5])
    same_bits(ref[0], gpu[0])


@pytest.mark.parametrize("dtype", ["float64", "float32", "float16"])
def test_uniform_bits_equal_the_reference(backend: str, dtype: str) -> None:
    srng = RandomStreams(seed=234)
    u = srng.uniform((3, 5), low=-2.0, high=3.0, dtype=dtype)
    state0 = u.rng.get_value()
    f_ref = theano.function([], u, mode="REFERENCE")
    expected = [f_ref() for _ in range(3)]
    after_ref = u.rng.get_value()
    u.rng.set_value(state0)
    f_gpu = theano.function([], u, mode="GPU")
    got = [f_gpu() for _ in range(3)]
    for e, g in zip(expected, got):
        same_bits(e, g)
    assert np.array_equal(u.rng.get_value(), after_ref)  # the state advanced once per call
    assert R.counter_of(np.asarray(u.rng.get_value())) == R.counter_of(np.asarray(state0)) + 3


def test_normal_draws_by_the_formula(backend: str) -> None:
    srng = RandomStreams(seed=7)
    z = srng.normal((101,), avg=1.0, std=2.0)
    state0 = z.rng.get_value()
    expected = theano.function([], z, mode="REFERENCE")()
    z.rng.set_value(state0)
    got = theano.function([], z, mode="GPU")()
    close(expected, got, scale=8.0)


def test_training_step_matches_the_reference(backend: str) -> None:
    rng = np.random.default_rng(1)
    x, y = T.fmatrix("x"), T.ivector("y")
    w1 = theano.shared((rng.normal(size=(20, 16)) * 0.1).astype(np.float32), name="w1")
    b1 = theano.shared(np.zeros(16, dtype=np.float32), name="b1")
    w2 = theano.shared((rng.normal(size=(16, 4)) * 0.1).astype(np.float32), name="w2")
    h = T.tanh(T.dot(x, w1) + b1)
    p = T.nnet.softmax(T.dot(h, w2))
    cost = T.mean(T.nnet.categorical_crossentropy(p, y))
    params = [w1, b1, w2]
    updates = [(v, v - np.float32(0.1) * g) for v, g in zip(params, T.grad(cost, params))]
    xv = rng.normal(size=(32, 20)).astype(np.float32)
    yv = rng.integers(0, 4, size=32).astype(np.int32)
    ref, gpu = both([x, y], [cost], [xv, yv], updates=updates, calls=3)
    for r, g in zip(ref, gpu):
        close(r, g, scale=4.0)


def test_report_lists_host_nodes(backend: str) -> None:
    x = T.dvector("x")
    f = theano.function([x], T.psi(x) + 1, mode="GPU")
    assert "psi: runs on the host" in f.report()
    close(theano.function([x], T.psi(x) + 1, mode="REFERENCE")(np.array([0.5, 3.0])), f(np.array([0.5, 3.0])))

