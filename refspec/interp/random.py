"""The random generator, bit for bit (spec/random.md): Philox4x32-10 in numpy uint32/uint64 arithmetic,
the word stream of a draw, bits to uniform floats, and every distribution as a formula on uniforms.

A state is a uint32 vector ``(k0, k1, c_lo, c_hi)``: a Philox key and a 64-bit draw counter. Draw
number ``c`` of a state produces the words of blocks ``i = 0, 1, 2, ...``, block ``i`` being
``philox4x32((i_lo, i_hi, c_lo, c_hi), (k0, k1))``; the next state has the same key and counter
``c + 1``. This module imports numpy and scipy only: the tensor layer uses it for seeding.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt
import scipy.special as sp

from refspec.ast import Array

U32 = npt.NDArray[np.uint32]
F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

PHILOX_M0 = 0xD2511F53  # multiplier of words 0 and 1
PHILOX_M1 = 0xCD9E8D57  # multiplier of words 2 and 3
PHILOX_W0 = 0x9E3779B9  # Weyl key increment of k0 (golden ratio)
PHILOX_W1 = 0xBB67AE85  # Weyl key increment of k1 (sqrt(3) - 1)
PHILOX_ROUNDS = 10
STATE_WORDS = 4
SEED_TAG = 0xFFFFFFFF  # counter words 2 and 3 of the seeding function (draws never reach it)
_MASK32 = np.uint64(0xFFFFFFFF)
_MAX_SPAN = 2**53  # integer ranges up to this many values are drawn exactly


def philox4x32(counter: npt.ArrayLike, key: npt.ArrayLike, rounds: int = PHILOX_ROUNDS) -> U32:
    """Philox4x32 of counters ``(..., 4)`` under keys ``(..., 2)`` (broadcast), as Random123 defines it.

    One round maps (c0, c1, c2, c3) with key (k0, k1) to
    (hi(M1*c2) ^ c1 ^ k0, lo(M1*c2), hi(M0*c0) ^ c3 ^ k1, lo(M0*c0)); the key is bumped by
    (W0, W1) before every round but the first (all arithmetic mod 2**32).
    """
    ctr = np.asarray(counter, dtype=np.uint32)
    k = np.asarray(key, dtype=np.uint32)
    c0, c1, c2, c3 = (ctr[..., j].astype(np.uint64) for j in range(4))
    k0, k1 = k[..., 0].astype(np.uint64), k[..., 1].astype(np.uint64)
    m0, m1 = np.uint64(PHILOX_M0), np.uint64(PHILOX_M1)
    for r in range(rounds):
        if r:
            k0 = (k0 + np.uint64(PHILOX_W0)) & _MASK32
            k1 = (k1 + np.uint64(PHILOX_W1)) & _MASK32
        p0 = c0 * m0  # a 32 x 32 -> 64-bit product: exact in uint64
        p1 = c2 * m1
        hi0, hi1 = p0 >> np.uint64(32), p1 >> np.uint64(32)
        c0, c1, c2, c3 = hi1 ^ c1 ^ k0, p1 & _MASK32, hi0 ^ c3 ^ k1, p0 & _MASK32
    return np.stack([c0, c1, c2, c3], axis=-1).astype(np.uint32)


def check_state(state: Array) -> U32:
    if state.dtype != np.uint32 or state.shape != (STATE_WORDS,):
        raise ValueError(f"a random state is a uint32 vector of length {STATE_WORDS}, "
                         f"got {state.dtype}{list(state.shape)}")
    return state.astype(np.uint32, copy=False)


def counter_of(state: Array) -> int:
    s = check_state(state)
    return int(s[2]) | (int(s[3]) << 32)


def make_state(key: tuple[int, int], counter: int = 0) -> U32:
    c = counter % 2**64
    return np.array([key[0], key[1], c & 0xFFFFFFFF, c >> 32], dtype=np.uint32)


def next_state(state: Array) -> U32:
    """The state after one draw: the same key, the counter plus one (mod 2**64)."""
    s = check_state(state)
    return make_state((int(s[0]), int(s[1])), counter_of(s) + 1)


def seed_state(seed: int, index: int = 0) -> U32:
    """The state of variable ``index`` of a stream seeded with ``seed``: the key is words 0 and 1 of
    philox4x32((index_lo, index_hi, SEED_TAG, SEED_TAG), (seed_lo, seed_hi)), the counter is 0.
    ``seed`` is any integer, taken mod 2**64; ``index`` is in [0, 2**64)."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"a seed must be an integer, got {seed!r}")
    s = int(seed) % 2**64
    i = int(index)
    if not 0 <= i < 2**64:
        raise ValueError(f"stream index {i} out of range")
    words = philox4x32([i & 0xFFFFFFFF, i >> 32, SEED_TAG, SEED_TAG], [s & 0xFFFFFFFF, s >> 32])
    return make_state((int(words[0]), int(words[1])))


def words(state: Array, n: int) -> U32:
    """The first ``n`` words of the draw a state makes (block i gives words 4i .. 4i+3)."""
    s = check_state(state)
    blocks = -(-n // 4)
    i = np.arange(blocks, dtype=np.uint64)
    counters = np.empty((blocks, 4), dtype=np.uint32)
    counters[:, 0] = (i & _MASK32).astype(np.uint32)
    counters[:, 1] = (i >> np.uint64(32)).astype(np.uint32)
    counters[:, 2] = s[2]
    counters[:, 3] = s[3]
    return philox4x32(counters, s[:2]).reshape(-1)[:n]


def float64_from_words(w: U32) -> F64:
    """Float64 uniforms from pairs of words a = w[2j], b = w[2j+1]:
    ((a >> 5) * 2**26 + (b >> 6)) * 2**-53, 53 random bits, exact, in [0, 1 - 2**-53]."""
    w64 = w.astype(np.uint64)
    bits = ((w64[0::2] >> np.uint64(5)) << np.uint64(26)) | (w64[1::2] >> np.uint64(6))
    return bits.astype(np.float64) * 2.0**-53


def float32_from_words(w: U32) -> npt.NDArray[np.float32]:
    """Float32 uniforms, one per word: (w >> 8) * 2**-24, 24 random bits, exact, in [0, 1 - 2**-24]."""
    return (w >> np.uint32(8)).astype(np.float32) * np.float32(2.0**-24)


def float16_from_float32(u: npt.NDArray[np.float32]) -> npt.NDArray[np.float16]:
    """Float16 uniforms: float32 uniforms rounded down (toward zero) to float16, so they stay below 1.
    Every float16 in [0, 1) is a multiple of 2**-24, so each is drawn with probability equal to the
    gap to the next float16 (the distribution is exactly uniform on the float16 grid)."""
    h = u.astype(np.float16)  # round to nearest
    above = h.astype(np.float32) > u
    h[above] = np.nextafter(h[above], np.float16(0))
    return h


def uniform64(state: Array, n: int) -> F64:
    """The first ``n`` float64 uniforms of a draw: words 2j and 2j+1 make uniform j."""
    return float64_from_words(words(state, 2 * n))


def uniform32(state: Array, n: int) -> npt.NDArray[np.float32]:
    """The first ``n`` float32 uniforms of a draw: word j makes uniform j."""
    return float32_from_words(words(state, n))


def uniform16(state: Array, n: int) -> npt.NDArray[np.float16]:
    """The first ``n`` float16 uniforms of a draw: the float32 uniforms, rounded down."""
    return float16_from_float32(uniform32(state, n))


def unit_uniform(state: Array, n: int, dtype: str) -> Array:
    """``n`` uniforms in [0, 1) of a float dtype (the bits-to-float rule of that dtype)."""
    if dtype == "float64":
        return uniform64(state, n)
    if dtype == "float32":
        return uniform32(state, n)
    if dtype == "float16":
        return uniform16(state, n)
    raise TypeError(f"uniform draws are float16, float32 or float64, not {dtype}")


# -- distributions: (state, shape, dtype, *parameter values) -> value ---------------------------------

def _count(shape: Sequence[int]) -> int:
    return int(np.prod(shape, dtype=np.int64))


def _fit(x: Array, shape: tuple[int, ...], what: str) -> Array:
    try:
        return np.broadcast_to(x, shape)
    except ValueError:
        raise ValueError(f"{what} of shape {x.shape} does not broadcast to the draw's size {shape}") from None


def _affine(lo: Array, scale: Array, unit: Array, shape: tuple[int, ...], dtype: str,
            names: tuple[str, str]) -> Array:
    """lo + scale * unit, in ``dtype`` arithmetic (the parameters are cast to ``dtype`` first)."""
    a = _fit(lo, shape, names[0]).astype(dtype)
    b = _fit(scale, shape, names[1]).astype(dtype)
    return np.asarray(a + b * unit.reshape(shape))


def uniform(state: Array, shape: tuple[int, ...], dtype: str, low: Array, high: Array) -> Array:
    u = unit_uniform(state, _count(shape), dtype).reshape(shape)
    lo = _fit(low, shape, "low").astype(dtype)
    hi = _fit(high, shape, "high").astype(dtype)
    return np.asarray(lo + (hi - lo) * u)


def standard_normal(state: Array, n: int) -> F64:
    """Box-Muller on pairs: for j < ceil(n/2), u1 = U[2j], u2 = U[2j+1] (float64 uniforms),
    r = sqrt(-2 log(1 - u1)), t = 2 pi u2; z[2j] = r cos t, z[2j+1] = r sin t; the last z of an odd
    count is dropped."""
    m = (n + 1) // 2
    u = uniform64(state, 2 * m)
    r = np.sqrt(-2.0 * np.log(1.0 - u[0::2]))
    t = 2.0 * np.pi * u[1::2]
    z = np.empty(2 * m, dtype=np.float64)
    z[0::2] = r * np.cos(t)
    z[1::2] = r * np.sin(t)
    return z[:n]


def normal(state: Array, shape: tuple[int, ...], dtype: str, avg: Array, std: Array) -> Array:
    z = standard_normal(state, _count(shape)).astype(dtype)
    return _affine(avg, std, z, shape, dtype, ("avg", "std"))


TRUNCATION = 2.0  # truncated_normal keeps [-2, 2] standard deviations


def standard_truncated_normal(state: Array, n: int) -> F64:
    """Inverse CDF: z = clip(ndtri(a + U (b - a)), -2, 2) with a = ndtr(-2), b = ndtr(2)."""
    a, b = float(sp.ndtr(-TRUNCATION)), float(sp.ndtr(TRUNCATION))
    u = uniform64(state, n)
    z: F64 = np.clip(sp.ndtri(a + u * (b - a)), -TRUNCATION, TRUNCATION)
    return z


def truncated_normal(state: Array, shape: tuple[int, ...], dtype: str, avg: Array, std: Array) -> Array:
    z = standard_truncated_normal(state, _count(shape)).astype(dtype)
    return _affine(avg, std, z, shape, dtype, ("avg", "std"))


def _int64_values(x: Array, what: str) -> I64:
    if x.dtype == np.uint64 and x.size and int(x.max()) > np.iinfo(np.int64).max:
        raise ValueError(f"{what} exceeds the int64 range")
    return x.astype(np.int64)


def _check_fits(lo: int, hi: int, dtype: str, what: str) -> None:
    info = np.iinfo(dtype) if np.dtype(dtype).kind in "iu" else None
    if info is not None and (lo < info.min or hi > info.max):
        raise ValueError(f"{what} values in [{lo}, {hi}] do not fit {dtype}")


def binomial(state: Array, shape: tuple[int, ...], dtype: str, n: Array, p: Array) -> Array:
    """Count of u < p among n uniforms per element: element e uses U[e*N + t] for t < n_e, where
    N = max(n) over the draw (O(N) uniforms per element: meant for small n)."""
    nn = _int64_values(_fit(n, shape, "n"), "n").reshape(-1)
    pp = _fit(p, shape, "p").astype(np.float64).reshape(-1)
    if np.any(nn < 0):
        raise ValueError("binomial: n must be >= 0")
    if not np.all((pp >= 0) & (pp <= 1)):
        raise ValueError("binomial: p must be in [0, 1]")
    width = int(nn.max()) if nn.size else 0
    u = uniform64(state, nn.size * width).reshape(nn.size, width)
    hits = (u < pp[:, None]) & (np.arange(width) < nn[:, None])
    counts = hits.sum(axis=1)
    if counts.size:
        _check_fits(0, int(counts.max()), dtype, "binomial")
    return np.asarray(counts.reshape(shape).astype(dtype))


def random_integers(state: Array, shape: tuple[int, ...], dtype: str, low: Array, high: Array) -> Array:
    """low + floor(U * (high - low + 1)), U float64 uniforms, the span computed in float64 (exact for
    spans up to 2**53)."""
    lo = _int64_values(_fit(low, shape, "low"), "low").reshape(-1)
    hi = _int64_values(_fit(high, shape, "high"), "high").reshape(-1)
    if np.any(lo > hi):
        raise ValueError("random_integers: low must be <= high (an empty range)")
    diff = hi.view(np.uint64) - lo.view(np.uint64)  # exact: 0 <= high - low < 2**64
    if lo.size:
        _check_fits(int(lo.min()), int(hi.max()), dtype, "random_integers")
        if int(diff.max()) >= _MAX_SPAN:
            raise ValueError("random_integers: high - low + 1 must be at most 2**53")
    span = diff.astype(np.float64) + 1.0
    u = uniform64(state, lo.size)
    k = np.floor(u * span).astype(np.int64)
    return np.asarray((lo + k).reshape(shape).astype(dtype))


POISSON_MAX_LAM = 700.0  # exp(-lam) must not underflow


def poisson(state: Array, shape: tuple[int, ...], dtype: str, lam: Array) -> Array:
    """Sequential inverse CDF with one float64 uniform per element: k = 0, p = exp(-lam), F = p;
    while U >= F (and not: p == 0 and k > lam): k += 1, p = p * lam / k, F = F + p."""
    lv = _fit(lam, shape, "lam").astype(np.float64).reshape(-1)
    if not np.all((lv >= 0) & (lv <= POISSON_MAX_LAM)):
        raise ValueError(f"poisson: lam must be in [0, {POISSON_MAX_LAM:g}]")
    u = uniform64(state, lv.size)
    k = np.zeros(lv.size, dtype=np.int64)
    p = np.exp(-lv)
    f = p.copy()
    active = (u >= f) & ~((p == 0) & (k > lv))
    while np.any(active):
        idx = np.nonzero(active)[0]
        k[idx] += 1
        p[idx] = p[idx] * lv[idx] / k[idx]
        f[idx] = f[idx] + p[idx]
        active[idx] = (u[idx] >= f[idx]) & ~((p[idx] == 0) & (k[idx] > lv[idx]))
    if k.size:
        _check_fits(0, int(k.max()), dtype, "poisson")
    return np.asarray(k.reshape(shape).astype(dtype))


def _weights(p: Array, k: int, what: str) -> F64:
    w = p.astype(np.float64)
    if w.shape[-1] != k:
        raise ValueError(f"{what}: {w.shape[-1]} probabilities for {k} outcomes")
    if not np.all(np.isfinite(w) & (w >= 0)):
        raise ValueError(f"{what}: probabilities must be finite and >= 0")
    return w


def _inverse_cdf(cdf: F64, u: F64) -> I64:
    """For each row: the number of cumulative weights <= u * total (searchsorted, side='right');
    ``cdf`` is (rows, k), ``u`` is (rows, m)."""
    x = u * cdf[:, -1:]
    out = np.zeros(u.shape, dtype=np.int64)
    for j in range(cdf.shape[1]):
        out += cdf[:, j:j + 1] <= x
    return out


def choice(state: Array, shape: tuple[int, ...], dtype: str, replace: bool, a: Array, *p: Array) -> Array:
    """Indices into range(k) (k = a if a is a scalar, else len(a)), then a[index] for a vector a.

    With replacement, element e uses U[e]: floor(U * k), or with weights the inverse CDF of the
    cumulative weights. Without replacement, k uniforms: the first prod(size) entries of the stable
    argsort of U (no weights), or of E_j = -log1p(-U_j) / p_j (E_j = inf where p_j = 0)."""
    k = int(a) if a.ndim == 0 else a.shape[0]
    count = _count(shape)
    if k < 0:
        raise ValueError("choice: a must be >= 0")
    if count and k == 0:
        raise ValueError("choice: cannot choose from an empty set")
    weights = _weights(p[0], k, "choice") if p else None
    if weights is not None and count and not np.sum(weights) > 0:
        raise ValueError("choice: the probabilities sum to 0")
    if replace:
        u = uniform64(state, count)
        if weights is None:
            idx = np.floor(u * k).astype(np.int64)
        else:
            idx = _inverse_cdf(np.cumsum(weights)[None, :], u[None, :])[0]
    else:
        available = k if weights is None else int(np.count_nonzero(weights))
        if count > available:
            raise ValueError(f"choice: cannot take {count} values without replacement from {available}")
        u = uniform64(state, k)
        if weights is None:
            keys = u
        else:
            with np.errstate(divide="ignore", invalid="ignore"):
                keys = np.where(weights > 0, -np.log1p(-u) / np.where(weights > 0, weights, 1.0), np.inf)
        idx = np.argsort(keys, kind="stable")[:count]
    idx = idx.reshape(shape)
    if a.ndim == 0 and idx.size:
        _check_fits(0, int(idx.max()), dtype, "choice")
    values = idx if a.ndim == 0 else a[idx]
    return np.asarray(values.astype(dtype))


def permutation(state: Array, shape: tuple[int, ...], dtype: str, n: Array) -> Array:
    """Per element e of the size, the stable argsort of U[e*n .. e*n + n-1]: shape size + (n,)."""
    k = int(n)
    if k < 0:
        raise ValueError("permutation: n must be >= 0")
    count = _count(shape)
    u = uniform64(state, count * k).reshape(count, k)
    perm = np.argsort(u, axis=1, kind="stable")
    if k:
        _check_fits(0, k - 1, dtype, "permutation")
    return np.asarray(perm.reshape(shape + (k,)).astype(dtype))


def multinomial(state: Array, shape: tuple[int, ...], dtype: str, n: Array, pvals: Array) -> Array:
    """Counts of n trials over k outcomes: element e uses U[e*N + t] for t < n_e (N = max(n)), each
    trial's outcome being the inverse CDF of the cumulative weights pvals[e] (normalized by their
    sum). Shape size + (k,)."""
    k = pvals.shape[-1]
    nn = _int64_values(_fit(n, shape, "n"), "n").reshape(-1)
    w = _weights(pvals, k, "multinomial")
    rows = _fit(w, shape + (k,), "pvals").reshape(-1, k).astype(np.float64)
    if np.any(nn < 0):
        raise ValueError("multinomial: n must be >= 0")
    cdf: F64 = np.cumsum(rows, axis=1)
    positive = cdf[:, -1] > 0 if k else np.zeros(nn.shape, dtype=bool)
    if np.any((nn > 0) & ~positive):
        raise ValueError("multinomial: the probabilities of a row with n > 0 sum to 0")
    width = int(nn.max()) if nn.size else 0
    u = uniform64(state, nn.size * width).reshape(nn.size, width)
    counts = np.zeros((nn.size, k), dtype=np.int64)
    if k and width:
        outcome = _inverse_cdf(cdf, u)
        valid = np.arange(width) < nn[:, None]
        for j in range(k):
            counts[:, j] = np.sum((outcome == j) & valid, axis=1)
    if counts.size:
        _check_fits(0, int(counts.max()), dtype, "multinomial")
    return np.asarray(counts.reshape(shape + (k,)).astype(dtype))


def draw(distribution: str, dtype: str, replace: bool, state: Array, size: Array,
         *args: Array) -> tuple[Array, Array]:
    """(new state, value) of one draw: the meaning of a ``random`` node (spec/random.md)."""
    s = check_state(state)
    shape = tuple(int(d) for d in size)
    if any(d < 0 for d in shape):
        raise ValueError(f"random size {shape} has a negative length")
    if distribution == "choice":
        value = choice(s, shape, dtype, replace, *args)
    else:
        fn = _DRAWS[distribution]
        value = fn(s, shape, dtype, *args)
    return next_state(s), value


Draw = Callable[..., Array]

_DRAWS: dict[str, Draw] = {
    "uniform": uniform,
    "normal": normal,
    "truncated_normal": truncated_normal,
    "binomial": binomial,
    "random_integers": random_integers,
    "poisson": poisson,
    "permutation": permutation,
    "multinomial": multinomial,
}
