"""Random streams (spec/random.md): the seed notes' examples (001, section 2.2.7, and Theano's tutorial
patterns it names), default updates, explicit updates, sharing and copying states, scan, the state
objects, MRG_RandomStreams, the raw builders and their type errors."""

from __future__ import annotations

import numpy as np
import pytest

import refspec as theano
import refspec.tensor as T
from refspec import function
from refspec.interp import random as R
from refspec.ast import Op
from refspec.ops import GraphShapeError, GraphTypeError, make_node
from refspec.params import RandomParams
from refspec.sandbox.rng_mrg import MRG_RandomStreams
from refspec.tensor import raw_random
from refspec.tensor.shared_randomstreams import PhiloxState, RandomStateSharedVariable, RandomStreams


def _same(a: object, b: object) -> bool:
    return bool(np.array_equal(np.asarray(a), np.asarray(b)))


# -- seed notes 001, 2.2.7 --------------------------------------------------------------------------

def test_brief_example() -> None:
    srng = RandomStreams(seed=234)
    rv_u = srng.uniform((2, 2))
    rv_n = srng.normal((2, 2))
    f = function([], rv_u)
    g = function([], rv_n, no_default_updates=True)  # not updating rv_n.rng
    nearly_zeros = function([], rv_u + rv_u - 2 * rv_u)
    a, b = f(), f()
    assert a.shape == (2, 2) and a.dtype == np.float64 and not _same(a, b)
    assert _same(g(), g())
    assert np.all(nearly_zeros() == 0.0)  # one draw per call: exactly zero
    assert np.all((a >= 0) & (a < 1))


def test_rv_used_twice_is_one_draw_in_every_dtype() -> None:
    srng = RandomStreams(1)
    for dtype in ("float16", "float32", "float64"):
        u = srng.uniform((50,), -3.0, 7.0, dtype=dtype)
        out = function([], u + u - 2 * u)()
        assert out.dtype == np.dtype(dtype) and np.all(out == 0)
    k = srng.random_integers((20,), 0, 100)
    assert np.all(function([], k - k)() == 0)


def _seeding_graph() -> tuple[RandomStreams, T.TensorVariable, T.TensorVariable]:
    srng = RandomStreams(seed=234)
    return srng, srng.uniform((2, 2)), srng.normal((2, 2))


def test_seeding_individually() -> None:
    """The tutorial's pattern: get_value(borrow=True), seed(89234), set_value(..., borrow=True)."""
    srng, rv_u, _ = _seeding_graph()
    f = function([], rv_u)
    f()
    rng_val = rv_u.rng.get_value(borrow=True)  # type: ignore[attr-defined]
    assert isinstance(rng_val, PhiloxState)
    rng_val.seed(89234)
    rv_u.rng.set_value(rng_val, borrow=True)  # type: ignore[attr-defined]
    first = f()
    # seed(n) gives variable 0 of a stream seeded with n
    assert _same(first, function([], RandomStreams(89234).uniform((2, 2)))())
    rng_val = rv_u.rng.get_value(borrow=True)  # type: ignore[attr-defined]
    rng_val.seed(89234)
    rv_u.rng.set_value(rng_val, borrow=True)  # type: ignore[attr-defined]
    assert _same(f(), first)


def test_borrowed_state_aliases_the_shared_variable() -> None:
    srng = RandomStreams(3)
    u = srng.uniform((3,))
    f = function([], u)
    f()
    u.rng.get_value(borrow=True).seed(5)  # type: ignore[attr-defined]
    rng = u.rng  # type: ignore[attr-defined]
    assert rng.get_value().counter == 0 and _same(rng.get_value(), R.seed_state(5, 0))
    copy = u.rng.get_value()  # type: ignore[attr-defined]
    copy.seed(6)  # a copy: the variable keeps its state
    assert _same(u.rng.get_value(), R.seed_state(5, 0))  # type: ignore[attr-defined]


def test_seeding_collectively() -> None:
    srng, rv_u, rv_n = _seeding_graph()
    f = function([], [rv_u, rv_n])
    f()
    srng.seed(902340)  # seeds rv_u and rv_n with different seeds each
    first = f()
    assert not _same(first[0], first[1])
    second = f()
    srng.seed(902340)
    assert all(_same(a, b) for a, b in zip(f(), first))
    assert all(_same(a, b) for a, b in zip(f(), second))
    # the same as a fresh stream with that seed and the same variables
    fresh, u2, n2 = RandomStreams(902340), None, None
    u2 = fresh.uniform((2, 2))
    n2 = fresh.normal((2, 2))
    assert all(_same(a, b) for a, b in zip(function([], [u2, n2])(), first))
    # seed() without an argument goes back to the stream's current seed
    srng.seed()
    assert all(_same(a, b) for a, b in zip(f(), first))


def test_same_seed_reproduces_bit_for_bit() -> None:
    def run(seed: int) -> list[np.ndarray]:
        s = RandomStreams(seed)
        rvs = [s.uniform((5,)), s.normal((3, 2), 1.0, 2.0), s.binomial((4,), 3, 0.4), s.permutation(n=6),
               s.uniform((4,), dtype="float32"), s.poisson((3,), 2.0)]
        f = function([], rvs)
        return [a for _ in range(3) for a in f()]  # type: ignore[union-attr]

    one, two, other = run(11), run(11), run(12)
    assert all(_same(a, b) and a.dtype == b.dtype for a, b in zip(one, two))
    assert not all(_same(a, b) for a, b in zip(one, other))


def test_seed_none_is_unpredictable_but_fixed() -> None:
    s = RandomStreams()
    u = s.uniform((4,))
    f = function([], u)
    first = f()
    s.seed()
    assert _same(f(), first)


def test_sharing_streams_between_functions() -> None:
    """Theano's tutorial: state_after_v0 = rv_u.rng.get_value().get_state() ... v3 == v1."""
    srng = RandomStreams(seed=234)
    rv_u = srng.uniform((2, 2))
    f = function([], rv_u)
    nearly_zeros = function([], rv_u + rv_u - 2 * rv_u)
    f()
    state_after_v0 = rv_u.rng.get_value().get_state()  # type: ignore[attr-defined]
    assert type(state_after_v0) is np.ndarray
    nearly_zeros()  # this affects rv_u's generator
    v1 = f()
    rng = rv_u.rng.get_value(borrow=True)  # type: ignore[attr-defined]
    rng.set_state(state_after_v0)
    rv_u.rng.set_value(rng, borrow=True)  # type: ignore[attr-defined]
    v2 = f()  # v2 != v1
    v3 = f()  # v3 == v1
    assert not _same(v1, v2) and _same(v1, v3)


def test_each_function_call_advances_the_stream_once() -> None:
    srng = RandomStreams(4)
    u = srng.uniform((3,))
    f = function([], [u, u * 2, u.sum()])
    h = function([], u + 1)
    rng = u.rng  # type: ignore[attr-defined]
    counters = [rng.get_value().counter]
    for call in (f, h, f):
        call()
        counters.append(rng.get_value().counter)
    assert counters == [0, 1, 2, 3]


@pytest.mark.parametrize("cls", [RandomStreams, MRG_RandomStreams])
def test_copying_random_state_between_graphs(cls: type) -> None:
    class Graph:
        def __init__(self, seed: int = 123):
            self.rng = cls(seed)
            self.y = self.rng.uniform(size=(1,))
            self.z = self.rng.normal(size=(2,))

    g1 = Graph(seed=123)
    f1 = theano.function([], [g1.y, g1.z])
    g2 = Graph(seed=987)
    f2 = theano.function([], [g2.y, g2.z])
    assert not _same(f1()[0], f2()[0])  # type: ignore[index]

    def copy_random_state(g1: Graph, g2: Graph) -> None:
        if isinstance(g1.rng, MRG_RandomStreams):
            g2.rng.rstate = g1.rng.rstate
        for (su1, su2) in zip(g1.rng.state_updates, g2.rng.state_updates):
            su2[0].set_value(su1[0].get_value())

    copy_random_state(g1, g2)
    for _ in range(2):
        a, b = f1(), f2()
        assert all(_same(x, y) for x, y in zip(a, b))  # type: ignore[arg-type]
    # the brief's form of the loop, with the pairs the other way round
    g3 = Graph(seed=5)
    f3 = theano.function([], [g3.y, g3.z])
    for (su3, su1) in zip(g3.rng.state_updates, g1.rng.state_updates):
        su3[0].set_value(su1[0].get_value())
    assert all(_same(x, y) for x, y in zip(f1(), f3()))  # type: ignore[arg-type]


def test_mrg_rstate_makes_later_variables_match() -> None:
    a, b = MRG_RandomStreams(1), MRG_RandomStreams(2)
    a.uniform((2,))
    b.rstate = a.rstate
    ua, ub = a.normal((3,)), b.normal((3,))
    assert _same(function([], ua)(), function([], ub)())


# -- updates ------------------------------------------------------------------------------------

def test_no_default_updates_list() -> None:
    srng = RandomStreams(8)
    u, v = srng.uniform((3,)), srng.uniform((3,))
    f = function([], [u, v], no_default_updates=[u.rng])  # type: ignore[attr-defined]
    (u1, v1), (u2, v2) = f(), f()  # type: ignore[misc]
    assert _same(u1, u2) and not _same(v1, v2)


def test_explicit_update_wins() -> None:
    srng = RandomStreams(9)
    u = srng.uniform((3,))
    rng = u.rng  # type: ignore[attr-defined]
    stay = function([], u, updates=[(rng, rng)])
    assert _same(stay(), stay())
    # an explicit update to another state: the stream jumps there
    target = theano.tensor.constant(R.seed_state(77, 0))
    jump = function([], u, updates=[(rng, target)])
    jump()
    assert _same(rng.get_value(), R.seed_state(77, 0))
    assert _same(function([], u, no_default_updates=True)(), function([], RandomStreams(77).uniform((3,)))())


def test_state_updates_and_update_attribute() -> None:
    srng = RandomStreams(10)
    u = srng.uniform((2,))
    n = srng.normal((2,))
    assert len(srng.state_updates) == 2 and srng.updates() == srng.state_updates
    rng, new = srng.state_updates[0]
    assert rng is u.rng and u.update == (rng, new) and rng.default_update is new  # type: ignore[attr-defined]
    assert isinstance(rng, RandomStateSharedVariable) and isinstance(rng, T.TensorSharedVariable)
    assert rng.type == T.TensorType("uint32", shape=(4,))
    assert new.owner is not None and new.owner is u.owner and new is u.owner.outputs[0]
    assert srng.state_updates[1][0] is n.rng  # type: ignore[attr-defined]
    assert str(u) == "RandomFunction{uniform}.1"
    # item access as Theano's RandomStreams
    srng[u] = R.seed_state(3, 0)
    assert _same(srng[u], R.seed_state(3, 0))


def test_gen_with_a_raw_builder() -> None:
    srng = RandomStreams(12)
    u = srng.gen(raw_random.uniform, (3,), 1.0, 2.0)
    assert u.rng.default_update is u.owner.outputs[0]  # type: ignore[attr-defined, union-attr]
    values = function([], u)()
    assert values.shape == (3,) and np.all((values >= 1) & (values < 2))
    assert len(srng.state_updates) == 1


# -- scan ---------------------------------------------------------------------------------------

def test_draws_inside_scan_advance_with_updates_and_repeat_without() -> None:
    srng = RandomStreams(13)

    def step(acc: T.TensorVariable) -> T.TensorVariable:
        return acc + srng.uniform((2,))

    out, updates = theano.scan(step, outputs_info=T.zeros((2,)), n_steps=4)
    rng = srng.state_updates[0][0]
    assert rng in updates
    advance = function([], out, updates=updates)
    frozen = function([], out)
    start = rng.get_value()
    a = advance()
    assert rng.get_value().counter == start.counter + 4
    steps = np.diff(np.concatenate([np.zeros((1, 2)), a]), axis=0)
    assert len({tuple(s) for s in steps.tolist()}) == 4  # each step draws anew
    # each step's draw is the next counter of the stream
    for k in range(4):
        expected = R.uniform64(R.make_state(start.key, start.counter + k), 2)
        np.testing.assert_allclose(steps[k], expected, rtol=1e-12)
    b = advance()
    assert not _same(a, b)
    c, d = frozen(), frozen()
    assert _same(c, d)
    assert rng.get_value().counter == start.counter + 8


# -- state objects ---------------------------------------------------------------------------------

def test_philox_state_object() -> None:
    s = PhiloxState(42)
    assert isinstance(s, np.ndarray) and s.dtype == np.uint32 and s.shape == (4,)
    assert _same(s, R.seed_state(42, 0)) and s.counter == 0
    assert repr(s).startswith("PhiloxState(key=(0x") and repr(s).endswith("counter=0)")
    saved = s.get_state()
    s.set_state([1, 2, 3, 4])
    assert s.key == (1, 2) and s.counter == 3 + (4 << 32)
    s.set_state(saved)
    assert _same(s, R.seed_state(42, 0))
    with pytest.raises(ValueError):
        s.set_state([1, 2, 3])
    with pytest.raises(ValueError):
        s.set_state([1, 2, 3, -1])


def test_set_value_takes_words_and_refuses_numpy_generators() -> None:
    u = RandomStreams(1).uniform(())
    rng = u.rng  # type: ignore[attr-defined]
    rng.set_value([1, 2, 3, 0])
    assert rng.get_value().key == (1, 2) and rng.get_value().counter == 3
    with pytest.raises(TypeError, match="PhiloxState"):
        rng.set_value(np.random.RandomState(0))
    with pytest.raises(ValueError):
        rng.set_value(np.zeros(5, dtype=np.uint32))


# -- MRG_RandomStreams --------------------------------------------------------------------------

def test_mrg_is_a_distinct_class_with_the_same_interface() -> None:
    m, r = MRG_RandomStreams(5), RandomStreams(5)
    assert not isinstance(m, RandomStreams) and not isinstance(r, MRG_RandomStreams)
    assert MRG_RandomStreams(0).default_instance_seed == 0
    assert MRG_RandomStreams().default_instance_seed == 12345
    mu, ru = m.uniform((4,)), r.uniform((4,))
    assert _same(function([], mu)(), function([], ru)())  # one generator
    assert mu.rstate is mu.rng  # type: ignore[attr-defined]
    b = m.binomial((1000,), 0.25, nstreams=4)  # MRG order: (size, p, n)
    assert abs(float(function([], b)().mean()) - 0.25) < 0.06
    t = m.normal((500,), 1.0, 2.0, truncate=True)
    tv = function([], t)()
    assert tv.min() >= -3.0 and tv.max() <= 5.0
    rows = m.multinomial(pvals=np.array([[0.2, 0.8], [1.0, 0.0]]), n=3)
    counts = function([], rows)()
    assert counts.shape == (2, 2) and list(counts.sum(axis=1)) == [3, 3] and list(counts[1]) == [3, 0]
    m.seed(3)
    assert _same(m.state_updates[0][0].get_value(), R.seed_state(3, 0))


# -- sizes, dtypes, type and value errors -------------------------------------------------------------

def test_size_forms_and_parameter_broadcasting() -> None:
    srng = RandomStreams(2)
    x = T.dmatrix("x")
    assert srng.uniform(x.shape).ndim == 2
    f = function([x], srng.uniform(x.shape, low=x, high=x + 1))
    xv = np.arange(6.0).reshape(2, 3)
    out = f(xv)
    assert out.shape == (2, 3) and np.all((out >= xv) & (out < xv + 1))
    n = srng.normal(avg=np.zeros(3), std=np.ones((2, 1)))  # size None: the parameters' shape
    assert n.type.shape == (2, 3) and function([], n)().shape == (2, 3)
    p = srng.uniform(ndim=2)
    assert p.type.shape == (1, 1)
    k = T.iscalar("k")
    v = srng.uniform((k, 2))
    assert v.type.shape == (None, 2) and function([k], v)(3).shape == (3, 2)
    assert srng.uniform(5).type.shape == (5,)
    scalar = function([], srng.normal())()
    assert scalar.shape == () and isinstance(scalar, np.ndarray)
    empty = function([], srng.binomial((0, 3), 4, 0.5))()
    assert empty.shape == (0, 3)


def test_dtypes() -> None:
    srng = RandomStreams(2)
    assert srng.uniform(()).dtype == "float64"
    assert srng.uniform((), low=np.float32(0), high=np.float32(1)).dtype == "float64"  # floatX upcast
    assert srng.uniform((), dtype="float32").dtype == "float32"
    f32 = T.fscalar("f")
    assert srng.normal((), f32, 1.0, dtype="float32").dtype == "float32"
    old = theano.config.floatX
    try:
        theano.config.floatX = "float32"
        assert srng.uniform(()).dtype == "float32" and srng.normal((), 0.0, 1.0).dtype == "float32"
    finally:
        theano.config.floatX = old
    assert srng.binomial(()).dtype == "int64" and srng.binomial((), dtype="int8").dtype == "int8"
    assert srng.binomial((), dtype="float32").dtype == "float32"
    assert srng.choice((), a=np.array([1.5, 2.5])).dtype == "float64"
    assert srng.choice((), a=np.array([1.5, 2.5]), dtype="float32").dtype == "float32"
    assert srng.permutation(n=3).type.shape == (3,)
    assert srng.multinomial((2,), 3, [0.5, 0.5]).type.shape == (2, 2)


def test_build_time_errors() -> None:
    srng = RandomStreams(2)
    with pytest.raises(TypeError):
        srng.uniform((2,), dtype="int32")
    with pytest.raises(TypeError):
        srng.random_integers((2,), 0.5, 3)
    with pytest.raises(TypeError):
        srng.uniform((2,), low=T.zvector())
    with pytest.raises(GraphShapeError):
        srng.uniform((2, 3), low=np.zeros(4))
    with pytest.raises(ValueError):
        srng.uniform((2, 3), ndim=3)
    with pytest.raises(TypeError, match="uint32"):
        raw_random.uniform(T.constant(np.zeros(4, dtype=np.int64)), (2,))
    bad_state = T.constant(np.zeros(5, dtype=np.uint32))
    with pytest.raises(GraphTypeError, match="uint32 vector of length 4"):
        make_node(Op.RANDOM, [bad_state, T.constant(np.array([2])), T.constant(0.0), T.constant(1.0)],
                  RandomParams("uniform", "float64", 1))
    with pytest.raises(GraphTypeError, match="unknown distribution"):
        make_node(Op.RANDOM, [T.constant(R.seed_state(0)), T.constant(np.array([2]))],
                  RandomParams("gamma", "float64", 1))
    with pytest.raises(TypeError):
        srng.choice((2,), a=np.zeros((2, 2)))
    with pytest.raises(TypeError):
        srng.permutation(n=2.5)


@pytest.mark.parametrize("build", [
    lambda s: s.binomial((3,), 2, 1.5),
    lambda s: s.binomial((3,), -1, 0.5),
    lambda s: s.random_integers((3,), 5, 2),
    lambda s: s.integers((3,), 4, 4),
    lambda s: s.poisson((3,), -1.0),
    lambda s: s.poisson((3,), 1000.0),
    lambda s: s.choice((4,), 3, replace=False),
    lambda s: s.choice((2,), 3, replace=False, p=[1.0, 0.0, 0.0]),
    lambda s: s.choice((2,), 3, p=[0.5, 0.5]),
    lambda s: s.choice((2,), 3, p=[0.5, -0.5, 1.0]),
    lambda s: s.multinomial((2,), 3, [0.0, 0.0]),
    lambda s: s.uniform((2, T.constant(np.int64(3)) - 4)),
    lambda s: s.binomial((3,), 300, 0.5, dtype="int8"),
    lambda s: s.choice((50,), 1000, dtype="int8"),
])
def test_run_time_errors_leave_the_state(build: object) -> None:
    srng = RandomStreams(2)
    rv = build(srng)  # type: ignore[operator]
    f = function([], rv)
    before = rv.rng.get_value()
    with pytest.raises(ValueError):
        f()
    assert _same(rv.rng.get_value(), before)  # a call that raises changes no shared variable


def test_same_state_same_bits_in_one_graph() -> None:
    state = T.constant(R.seed_state(1, 0))
    _, a = raw_random.normal(state, (5,))
    _, b = raw_random.normal(state, (5,))
    new, c = raw_random.normal(state, (5,), 3.0, 2.0)
    va, vb, vc = function([], [a, b, c])()  # type: ignore[misc]
    assert _same(va, vb) and np.allclose(vc, 3.0 + 2.0 * va)
    _, d = raw_random.normal(new, (5,))
    assert not _same(function([], d)(), va)


def test_module_paths() -> None:
    assert T.shared_randomstreams.RandomStreams is RandomStreams
    import refspec.sandbox
    import refspec.sandbox.rng_mrg

    assert refspec.sandbox.rng_mrg.MRG_RandomStreams is MRG_RandomStreams
    assert MRG_RandomStreams is not RandomStreams
