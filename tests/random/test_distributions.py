"""Each distribution is right (spec/random.md): goodness-of-fit tests with fixed seeds at alpha = 1e-3
(Kolmogorov-Smirnov for continuous draws, chi-square for discrete ones, bins pooled to expected
counts >= 5), the structural properties (a permutation is a permutation, multinomial counts sum to n,
truncated normals stay within 2 std), the formulas themselves, and the reparameterization gradients.

The tests are deterministic (fixed seeds), so a p-value above alpha here stays above it."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pytest
import scipy.stats as stats

import refspec as theano
import refspec.tensor as T
from refspec import function
from refspec.diffcheck import verify_grad
from refspec.interp import random as R
from refspec.sandbox.rng_mrg import MRG_RandomStreams
from refspec.tensor import raw_random
from refspec.tensor.shared_randomstreams import RandomStreams

ALPHA = 1e-3
N = 20_000


def draw(make: Callable[[RandomStreams], T.TensorVariable], seed: int = 2024) -> np.ndarray:
    return function([], make(RandomStreams(seed)))()  # type: ignore[return-value]


def ks(sample: np.ndarray, cdf: Callable[..., object]) -> None:
    p = stats.kstest(sample.astype(np.float64).ravel(), cdf).pvalue
    assert p > ALPHA, f"KS p-value {p:.2g}"


def chi_square(sample: np.ndarray, support: Sequence[int], pmf: Sequence[float]) -> None:
    """Chi-square of the counts of ``support`` values against ``pmf`` (bins pooled so that every
    expected count is at least 5; values outside the support fail)."""
    values = np.asarray(sample).ravel()
    assert np.isin(values, support).all(), "a value outside the support"
    probs = np.asarray(pmf, dtype=np.float64)
    probs = probs / probs.sum()
    observed = np.array([np.count_nonzero(values == v) for v in support], dtype=np.float64)
    expected = probs * values.size
    obs_bins, exp_bins, o, e = [], [], 0.0, 0.0
    for ob, ex in zip(observed, expected):
        o, e = o + ob, e + ex
        if e >= 5:
            obs_bins.append(o)
            exp_bins.append(e)
            o = e = 0.0
    if e and exp_bins:
        obs_bins[-1] += o
        exp_bins[-1] += e
    p = stats.chisquare(obs_bins, exp_bins).pvalue
    assert p > ALPHA, f"chi-square p-value {p:.2g}"


# -- continuous ------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", ["float64", "float32", "float16"])
def test_uniform(dtype: str) -> None:
    x = draw(lambda s: s.uniform((N,), -2.0, 3.0, dtype=dtype))
    assert x.dtype == np.dtype(dtype)
    ks(x, stats.uniform(-2.0, 5.0).cdf)
    u = draw(lambda s: s.uniform((N,), dtype=dtype), seed=5)
    assert u.min() >= 0 and u.max() < 1


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_normal(dtype: str) -> None:
    x = draw(lambda s: s.normal((N,), 1.5, 2.0, dtype=dtype))
    assert x.dtype == np.dtype(dtype)
    ks(x, stats.norm(1.5, 2.0).cdf)


def test_normal_odd_count_and_pairs() -> None:
    """An odd count drops the last Box-Muller value; both members of a pair are used."""
    state = R.seed_state(3, 0)
    z5 = R.standard_normal(state, 5)
    z6 = R.standard_normal(state, 6)
    np.testing.assert_array_equal(z5, z6[:5])
    ks(R.standard_normal(state, N)[0::2], stats.norm.cdf)
    ks(R.standard_normal(state, N)[1::2], stats.norm.cdf)


def test_normal_parameters_broadcast() -> None:
    avg = np.array([-10.0, 0.0, 10.0])
    x = draw(lambda s: s.normal((N // 3, 3), avg, np.array([1.0, 2.0, 3.0])))
    for j in range(3):
        ks(x[:, j], stats.norm(avg[j], j + 1.0).cdf)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_truncated_normal(dtype: str) -> None:
    x = function([], MRG_RandomStreams(7).truncated_normal((N,), avg=1.0, std=3.0, dtype=dtype))()
    assert x.dtype == np.dtype(dtype)
    assert x.min() >= 1.0 - 2 * 3.0 and x.max() <= 1.0 + 2 * 3.0
    ks(x, stats.truncnorm(-2, 2, loc=1.0, scale=3.0).cdf)
    z = R.standard_truncated_normal(R.seed_state(1, 0), 5 * N)
    assert z.min() >= -2 and z.max() <= 2


# -- discrete --------------------------------------------------------------------------------------

@pytest.mark.parametrize("n, p", [(1, 0.5), (10, 0.3), (5, 0.9)])
def test_binomial(n: int, p: float) -> None:
    x = draw(lambda s: s.binomial((N,), n, p))
    assert x.dtype == np.int64
    support = list(range(n + 1))
    chi_square(x, support, stats.binom(n, p).pmf(support))


def test_binomial_edge_probabilities_and_vector_n() -> None:
    assert np.all(draw(lambda s: s.binomial((100,), 4, 0.0)) == 0)
    assert np.all(draw(lambda s: s.binomial((100,), 4, 1.0)) == 4)
    x = draw(lambda s: s.binomial((N // 2, 2), np.array([2, 6]), 0.5))
    chi_square(x[:, 0], range(3), stats.binom(2, 0.5).pmf(range(3)))
    chi_square(x[:, 1], range(7), stats.binom(6, 0.5).pmf(range(7)))


@pytest.mark.parametrize("low, high", [(0, 1), (-3, 5), (10, 10), (0, 99)])
def test_random_integers(low: int, high: int) -> None:
    x = draw(lambda s: s.random_integers((N,), low, high))
    support = list(range(low, high + 1))
    if len(support) == 1:
        assert np.all(x == low)
        return
    chi_square(x, support, [1.0] * len(support))


def test_integers_excludes_high() -> None:
    x = draw(lambda s: s.integers((N,), 3, 9))
    chi_square(x, range(3, 9), [1.0] * 6)
    y = draw(lambda s: s.integers((N,), 4))  # one bound: [0, 4)
    chi_square(y, range(4), [1.0] * 4)


def test_random_integers_huge_span_stays_in_range() -> None:
    lo, hi = -(2**52), 2**52 - 1
    x = draw(lambda s: s.random_integers((N,), lo, hi))
    assert x.min() >= lo and x.max() <= hi
    ks((x.astype(np.float64) - lo) / 2**53, stats.uniform.cdf)
    with pytest.raises(ValueError, match="2\\*\\*53"):
        draw(lambda s: s.random_integers((3,), -(2**62), 2**62))


@pytest.mark.parametrize("lam", [0.0, 0.7, 3.5, 40.0])
def test_poisson(lam: float) -> None:
    x = draw(lambda s: s.poisson((N,), lam))
    if lam == 0:
        assert np.all(x == 0)
        return
    top = int(lam + 10 * np.sqrt(lam) + 10)
    support = list(range(top))
    chi_square(x, support, stats.poisson(lam).pmf(support))


def test_poisson_largest_lam() -> None:
    x = draw(lambda s: s.poisson((2000,), R.POISSON_MAX_LAM))
    assert abs(x.mean() - 700) < 5 * np.sqrt(700 / 2000) and abs(x.var() / 700 - 1) < 0.2


def test_choice_with_replacement() -> None:
    chi_square(draw(lambda s: s.choice((N,), 5)), range(5), [1.0] * 5)
    p = [0.1, 0.0, 0.3, 0.6]
    x = draw(lambda s: s.choice((N,), 4, p=p))
    assert not np.any(x == 1)  # weight 0: never chosen
    chi_square(x, [0, 2, 3], [0.1, 0.3, 0.6])
    a = np.array([2.5, -1.0, 7.0])
    y = draw(lambda s: s.choice((N,), a, p=[2.0, 1.0, 1.0]))  # weights are normalized
    assert y.dtype == np.float64
    chi_square(np.searchsorted(np.sort(a), y), [0, 1, 2], [0.25, 0.5, 0.25])  # sorted: -1, 2.5, 7


def test_choice_without_replacement() -> None:
    srng = RandomStreams(3)
    f = function([], srng.choice((3, 2), 10, replace=False))
    firsts = []
    for _ in range(300):
        v = f()
        assert v.shape == (3, 2) and len(set(v.ravel().tolist())) == 6 and v.min() >= 0 and v.max() < 10
        firsts.append(int(v[0, 0]))
    chi_square(np.array(firsts), range(10), [1.0] * 10)
    full = function([], srng.choice((10,), 10, replace=False))()
    assert sorted(full.tolist()) == list(range(10))


def test_weighted_choice_without_replacement_is_sequential() -> None:
    """The first pick is proportional to p; the second, given the first, to the remaining weights."""
    p = np.array([0.5, 0.3, 0.2, 0.0])
    f = function([], RandomStreams(9).choice((2,), 4, replace=False, p=p))
    pairs = np.array([f() for _ in range(3000)])
    assert not np.any(pairs == 3) and np.all(pairs[:, 0] != pairs[:, 1])
    chi_square(pairs[:, 0], [0, 1, 2], p[:3])
    after0 = pairs[pairs[:, 0] == 0, 1]
    chi_square(after0, [1, 2], [0.3, 0.2])


def test_permutation() -> None:
    x = draw(lambda s: s.permutation((N // 8,), 8))
    assert x.shape == (N // 8, 8) and x.dtype == np.int64
    assert np.all(np.sort(x, axis=1) == np.arange(8))  # every row is a permutation
    chi_square(np.argmax(x == 0, axis=1), range(8), [1.0] * 8)  # where 0 lands: uniform
    chi_square(x[:, 0], range(8), [1.0] * 8)
    # all 6 permutations of 3 equally likely
    y = draw(lambda s: s.permutation((6000,), 3))
    codes = y[:, 0] * 9 + y[:, 1] * 3 + y[:, 2]
    perms = [0 * 9 + 1 * 3 + 2, 0 * 9 + 2 * 3 + 1, 1 * 9 + 0 * 3 + 2, 1 * 9 + 2 * 3 + 0, 2 * 9 + 0 * 3 + 1,
             2 * 9 + 1 * 3 + 0]
    chi_square(codes, perms, [1.0] * 6)


def test_multinomial() -> None:
    pvals = np.array([0.2, 0.5, 0.3])
    x = draw(lambda s: s.multinomial((N // 4,), 7, pvals))
    assert x.shape == (N // 4, 3) and np.all(x.sum(axis=1) == 7) and x.min() >= 0
    for j in range(3):  # each count is binomial(7, p_j)
        chi_square(x[:, j], range(8), stats.binom(7, pvals[j]).pmf(range(8)))
    rows = draw(lambda s: s.multinomial(n=np.array([[3], [9]]), pvals=np.array([[1.0, 1.0], [0.0, 2.0]])))
    assert rows.shape == (2, 2, 2)
    assert np.all(rows.sum(axis=-1) == np.array([[3, 3], [9, 9]])) and np.all(rows[:, 1, 0] == 0)


def test_formulas_match_the_spec() -> None:
    """The reference is the formulas written in spec/random.md, applied to the draw's uniforms."""
    state = R.seed_state(21, 4)
    size = np.array([7])
    u = R.uniform64(state, 7)
    ints = R.draw("random_integers", "int64", True, state, size, np.array(-2), np.array(4))[1]
    np.testing.assert_array_equal(ints, -2 + np.floor(u * 7).astype(np.int64))
    idx = R.draw("choice", "int64", True, state, size, np.array(5))[1]
    np.testing.assert_array_equal(idx, np.floor(u * 5).astype(np.int64))
    lam = 2.0
    pois = R.draw("poisson", "int64", True, state, size, np.array(lam))[1]
    cdf = np.cumsum(stats.poisson(lam).pmf(np.arange(40)))
    np.testing.assert_array_equal(pois, np.searchsorted(cdf, u, side="right"))
    ub = R.uniform64(state, 7 * 3).reshape(7, 3)
    binom = R.draw("binomial", "int64", True, state, size, np.array(3), np.array(0.4))[1]
    np.testing.assert_array_equal(binom, (ub < 0.4).sum(axis=1))
    perm = R.draw("permutation", "int64", True, state, np.array([7]), np.array(3))[1]
    np.testing.assert_array_equal(perm, np.argsort(ub, axis=1, kind="stable"))
    tn = R.draw("truncated_normal", "float64", True, state, size, np.array(0.0), np.array(1.0))[1]
    a, b = stats.norm.cdf(-2), stats.norm.cdf(2)
    np.testing.assert_allclose(tn, stats.norm.ppf(a + u * (b - a)), rtol=1e-12)


# -- gradients ------------------------------------------------------------------------------------

STATE = R.seed_state(17, 0)


def test_uniform_and_normal_reparameterization_values() -> None:
    state = T.constant(STATE)
    lo, hi = T.dscalars("lo", "hi")
    _, v = raw_random.uniform(state, (6,), lo, hi)
    g_lo, g_hi = T.grad(T.sum(v * v), [lo, hi])
    f = function([lo, hi], [v, g_lo, g_hi])
    value, dlo, dhi = f(-1.0, 2.0)  # type: ignore[misc]
    u = R.uniform64(STATE, 6)
    np.testing.assert_allclose(value, -1.0 + 3.0 * u, rtol=1e-15)
    np.testing.assert_allclose(dlo, np.sum(2 * value * (1 - u)), rtol=1e-12)
    np.testing.assert_allclose(dhi, np.sum(2 * value * u), rtol=1e-12)
    avg, std = T.dvectors("avg", "std")
    _, z = raw_random.normal(state, (4,), avg, std)
    ga, gs = T.grad(T.sum(z), [avg, std])
    got_a, got_s = function([avg, std], [ga, gs])(np.zeros(4), np.ones(4))  # type: ignore[misc]
    np.testing.assert_array_equal(got_a, np.ones(4))
    np.testing.assert_array_equal(got_s, R.standard_normal(STATE, 4))


@pytest.mark.parametrize("dist", ["uniform", "normal", "truncated_normal"])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_verify_grad_continuous(dist: str, dtype: str) -> None:
    builder = getattr(raw_random, dist)

    def fun(a: T.TensorVariable, b: T.TensorVariable) -> T.TensorVariable:
        _, v = builder(T.constant(STATE), (3, 2), a, b, dtype=dtype)
        return T.tanh(v) * v

    a = np.array([0.1, -0.3], dtype=dtype)
    b = np.array([[1.3], [0.8], [2.0]], dtype=dtype)
    # the float64 twin keeps a float32 draw float32 (its bits depend on the dtype), so the numerical
    # derivative of a float32 draw carries float32 rounding: a looser tolerance
    verify_grad(fun, [a, b], rng=np.random.default_rng(0), rel_tol=1e-2 if dtype == "float32" else None)


def test_verify_grad_choice_from_a_vector() -> None:
    def fun(a: T.TensorVariable) -> T.TensorVariable:
        _, v = raw_random.choice(T.constant(STATE), (5,), a)
        return v * v

    verify_grad(fun, [np.array([0.5, -1.5, 2.0])], rng=np.random.default_rng(0))
    a = T.dvector("a")
    _, v = raw_random.choice(T.constant(STATE), (6,), a)
    counts = function([a], T.grad(T.sum(v), a))(np.zeros(3))
    idx = np.floor(R.uniform64(STATE, 6) * 3).astype(int)
    np.testing.assert_array_equal(counts, np.bincount(idx, minlength=3))


def test_discrete_draws_have_zero_gradients() -> None:
    p, lam = T.dscalars("p", "lam")
    srng = RandomStreams(1)
    cost = T.sum(srng.binomial((5,), 3, p, dtype="float64")) + T.sum(srng.poisson((5,), lam, dtype="float64"))
    gp, glam = T.grad(cost, [p, lam])
    assert function([p, lam], [gp, glam])(0.5, 2.0) == [0.0, 0.0]


def test_rop_of_uniform() -> None:
    lo = T.dvector("lo")
    _, v = raw_random.uniform(T.constant(STATE), (3,), lo, 5.0)
    t = T.dvector("t")
    jvp = T.Rop(v, lo, t)
    out = function([lo, t], jvp)(np.zeros(3), np.array([1.0, 2.0, 3.0]))
    np.testing.assert_allclose(out, np.array([1.0, 2.0, 3.0]) * (1 - R.uniform64(STATE, 3)), rtol=1e-12)


def test_gradient_does_not_advance_the_stream() -> None:
    """The gradient graph redraws u from the same state: one call still advances the stream once."""
    srng = RandomStreams(4)
    lo = T.dscalar("lo")
    u = srng.uniform((3,), lo, 1.0)
    f = function([lo], [u, theano.grad(T.sum(u), lo)])
    value, g = f(0.0)  # type: ignore[misc]
    np.testing.assert_allclose(g, np.sum(1 - value), rtol=1e-12)
    assert u.rng.get_value().counter == 1  # type: ignore[attr-defined]
