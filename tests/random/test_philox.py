"""The generator bit for bit (spec/random.md): Philox4x32-10 against Random123's known-answer vectors
and against a scalar Python transcription of the round function, the counter layout of a draw, the
state update, the seeding function and the bits-to-float rule of each dtype."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.budget import budget

import refspec as theano
from refspec.interp import random as R
from refspec.tensor import raw_random

SETTINGS = budget(40)
WORD = st.integers(0, 2**32 - 1)

# Random123 kat_vectors, philox4x32 with 10 rounds: (counter, key, output)
KAT = [
    ((0, 0, 0, 0), (0, 0), (0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8)),
    ((0xFFFFFFFF,) * 4, (0xFFFFFFFF,) * 2, (0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD)),
    ((0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344), (0xA4093822, 0x299F31D0),
     (0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1)),
]


def philox_scalar(counter: tuple[int, ...], key: tuple[int, ...], rounds: int = 10) -> tuple[int, ...]:
    """The round function as spec/random.md writes it, on Python ints."""
    c0, c1, c2, c3 = counter
    k0, k1 = key
    for r in range(rounds):
        if r:
            k0, k1 = (k0 + 0x9E3779B9) % 2**32, (k1 + 0xBB67AE85) % 2**32
        p0, p1 = 0xD2511F53 * c0, 0xCD9E8D57 * c2
        c0, c1, c2, c3 = (p1 >> 32) ^ c1 ^ k0, p1 % 2**32, (p0 >> 32) ^ c3 ^ k1, p0 % 2**32
    return c0, c1, c2, c3


@pytest.mark.parametrize("counter, key, expected", KAT)
def test_known_answer_vectors(counter: tuple[int, ...], key: tuple[int, ...],
                              expected: tuple[int, ...]) -> None:
    out = R.philox4x32(counter, key)
    assert out.dtype == np.uint32 and out.shape == (4,)
    assert tuple(int(w) for w in out) == expected
    assert philox_scalar(counter, key) == expected


@SETTINGS
@given(st.lists(st.tuples(WORD, WORD, WORD, WORD), min_size=1, max_size=8), st.tuples(WORD, WORD))
def test_vectorized_matches_scalar(counters: list[tuple[int, int, int, int]], key: tuple[int, int]) -> None:
    out = R.philox4x32(np.array(counters, dtype=np.uint32), key)
    assert [tuple(int(w) for w in row) for row in out] == [philox_scalar(c, key) for c in counters]


def test_round_count_matters() -> None:
    assert tuple(R.philox4x32((0, 0, 0, 0), (0, 0), rounds=7)) != KAT[0][2]


@SETTINGS
@given(st.tuples(WORD, WORD), st.integers(0, 2**64 - 1), st.integers(1, 40))
def test_draw_words_are_blocks_of_the_draw_counter(key: tuple[int, int], counter: int, n: int) -> None:
    """Block i of draw c is philox((i_lo, i_hi, c_lo, c_hi), key), words in order."""
    state = R.make_state(key, counter)
    words = R.words(state, n)
    expected: list[int] = []
    for i in range(-(-n // 4)):
        expected.extend(philox_scalar((i % 2**32, i >> 32, counter % 2**32, counter >> 32), key))
    assert [int(w) for w in words] == expected[:n]


def test_next_state_counts_draws_with_carry() -> None:
    s = R.make_state((5, 6), 2**32 - 1)
    assert list(R.next_state(s)) == [5, 6, 0, 1]
    assert R.counter_of(R.next_state(s)) == 2**32
    assert list(R.next_state(R.make_state((5, 6), 2**64 - 1))) == [5, 6, 0, 0]  # wraps mod 2**64
    assert list(R.next_state(np.array([1, 2, 3, 4], dtype=np.uint32))) == [1, 2, 4, 4]


def test_state_must_be_four_uint32_words() -> None:
    with pytest.raises(ValueError, match="uint32 vector of length 4"):
        R.words(np.zeros(4, dtype=np.int64), 4)
    with pytest.raises(ValueError, match="uint32 vector of length 4"):
        R.words(np.zeros(3, dtype=np.uint32), 4)


@pytest.mark.parametrize("seed, index", [(0, 0), (234, 0), (234, 1), (2**64 - 1, 7), (-1, 3),
                                         (2**70 + 5, 2**40)])
def test_seeding_function(seed: int, index: int) -> None:
    s = seed % 2**64
    words = philox_scalar((index % 2**32, index >> 32, 0xFFFFFFFF, 0xFFFFFFFF), (s % 2**32, s >> 32))
    assert [int(w) for w in R.seed_state(seed, index)] == [words[0], words[1], 0, 0]


def test_seed_must_be_an_integer() -> None:
    with pytest.raises(TypeError):
        R.seed_state(1.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        R.seed_state(True)


# -- bits to floats --------------------------------------------------------------------------------

@SETTINGS
@given(st.lists(WORD, min_size=2, max_size=40).filter(lambda w: len(w) % 2 == 0))
def test_float64_rule(words: list[int]) -> None:
    u = R.float64_from_words(np.array(words, dtype=np.uint32))
    for j, value in enumerate(u):
        a, b = words[2 * j], words[2 * j + 1]
        assert Fraction(float(value)) == Fraction((a >> 5) * 2**26 + (b >> 6), 2**53)
        assert 0 <= value < 1


@SETTINGS
@given(st.lists(WORD, min_size=1, max_size=40))
def test_float32_rule(words: list[int]) -> None:
    u = R.float32_from_words(np.array(words, dtype=np.uint32))
    assert u.dtype == np.float32
    for a, value in zip(words, u):
        assert Fraction(float(value)) == Fraction(a >> 8, 2**24)
        assert 0 <= value < 1


def test_float_extremes() -> None:
    top = np.array([0xFFFFFFFF, 0xFFFFFFFF], dtype=np.uint32)
    zero = np.zeros(2, dtype=np.uint32)
    assert R.float64_from_words(top)[0] == 1 - 2.0**-53
    assert R.float64_from_words(zero)[0] == 0.0
    assert R.float32_from_words(top)[0] == np.float32(1 - 2.0**-24)
    assert R.float16_from_float32(R.float32_from_words(top))[0] == np.float16(1 - 2.0**-11)
    # only the high 27 bits of a and the high 26 bits of b count
    low_bits = np.array([0x1F, 0x3F], dtype=np.uint32)
    assert R.float64_from_words(low_bits)[0] == 0.0


def test_float16_rounds_every_float32_uniform_down() -> None:
    """Exhaustively: each of the 2**24 float32 uniforms maps to the largest float16 <= it."""
    u = np.arange(2**24, dtype=np.float32) * np.float32(2.0**-24)
    h = R.float16_from_float32(u)
    assert h.dtype == np.float16
    assert np.all(h.astype(np.float32) <= u)
    assert np.all(np.nextafter(h, np.float16(np.inf)).astype(np.float32) > u)
    assert h.max() < 1


@pytest.mark.parametrize("dtype, rule", [
    ("float64", lambda w: R.float64_from_words(w)),
    ("float32", lambda w: R.float32_from_words(w)),
    ("float16", lambda w: R.float16_from_float32(R.float32_from_words(w))),
])
def test_uniform_draw_is_the_dtype_rule_on_the_draw_words(dtype: str, rule: object) -> None:
    state = R.seed_state(99, 3)
    n = 7
    needed = 2 * n if dtype == "float64" else n
    expected = rule(R.words(state, needed))  # type: ignore[operator]
    new, value = R.draw("uniform", dtype, True, state, np.array([n]), np.array(0.0), np.array(1.0))
    assert value.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(value, expected)
    assert list(new) == list(R.next_state(state))


def test_graph_draw_reads_the_state_and_returns_the_next() -> None:
    """A random node evaluated by a function: the reference's bits, counter + 1, nothing else."""
    s = R.make_state((0x1234, 0x5678), 41)
    state = theano.tensor.constant(s)
    new, value = raw_random.uniform(state, (2, 3), dtype="float32")
    got_new, got = theano.function([], [new, value])()
    np.testing.assert_array_equal(got, R.uniform32(s, 6).reshape(2, 3))
    assert R.counter_of(got_new) == 42 and tuple(got_new[:2]) == (0x1234, 0x5678)
