"""The GPU's random generator source (refspec/fast/gpu/philox_source.py), without a GPU: the CUDA text
compiled by the host's C++ compiler (``tests/gpu/hostcc.py``, one thread running the grid-stride
loops) against Random123's known-answer vectors and the reference's words, uniforms of each float
dtype and state updates (refspec/interp/random.py), bit for bit; and the float16 rule on every one
of the 2**24 float32 uniforms.

Not verified here: that NVRTC compiles the text and CUDA's ``__umulhi``/``__clz`` behave as their
documentation says (tests/gpu/test_on_gpu.py checks the same streams on a GPU).
"""

from __future__ import annotations

import ctypes

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.budget import budget

from refspec.fast.gpu.philox_source import KERNEL_NAMES, PHILOX_SOURCE, UNIFORM_KERNELS, blocks_for
from refspec.interp import random as R

from . import hostcc
from tests.random.test_philox import KAT  # Random123's kat_vectors, as the reference's tests use them

GLUE = r"""
extern "C" void rs_test_block(unsigned int* c, unsigned int k0, unsigned int k1) { rs_philox4x32_10(c, k0, k1); }
extern "C" void rs_test_float16_all(unsigned short* out) {
  for (unsigned int m = 0; m < (1u << 24); ++m) out[m] = rs_u32_float16_bits(m << 8);
}
"""

WORD = st.integers(0, 2**32 - 1)
SETTINGS = budget(30)


@pytest.fixture(scope="module")
def lib() -> ctypes.CDLL:
    if not hostcc.available():
        pytest.skip("no host C++ compiler (g++) to compile the generated CUDA text")
    return hostcc.build(PHILOX_SOURCE + GLUE)


def _ptr(a: npt.NDArray[np.generic]) -> ctypes.c_void_p:
    return ctypes.c_void_p(a.ctypes.data)


def run_kernel(lib: ctypes.CDLL, name: str, state: npt.NDArray[np.uint32], n: int, dtype: str) -> npt.NDArray[np.generic]:
    out = np.empty(n, dtype=dtype)
    s = np.ascontiguousarray(state, dtype=np.uint32)
    getattr(lib, name)(_ptr(s), ctypes.c_ulonglong(n), _ptr(out))
    return out


def test_kernel_names_are_in_the_source() -> None:
    for name in KERNEL_NAMES:
        assert f'extern "C" __global__ void {name}(' in PHILOX_SOURCE


@pytest.mark.parametrize("counter, key, expected", KAT)
def test_round_function_known_answers(lib: ctypes.CDLL, counter: tuple[int, ...], key: tuple[int, ...],
                                      expected: tuple[int, ...]) -> None:
    c = np.array(counter, dtype=np.uint32)
    lib.rs_test_block(_ptr(c), ctypes.c_uint(key[0]), ctypes.c_uint(key[1]))
    assert tuple(int(w) for w in c) == expected


@SETTINGS
@given(st.tuples(WORD, WORD), st.integers(0, 2**64 - 1), st.integers(0, 41))
def test_words_and_uniforms_equal_the_reference(lib: ctypes.CDLL, key: tuple[int, int], counter: int,
                                                n: int) -> None:
    state = R.make_state(key, counter)
    assert np.array_equal(run_kernel(lib, "rs_philox_words", state, n, "uint32"), R.words(state, n))
    for dtype, name in UNIFORM_KERNELS.items():
        got = run_kernel(lib, name, state, n, dtype)
        expected = R.unit_uniform(state, n, dtype)
        assert got.tobytes() == expected.tobytes(), (dtype, got, expected)


def test_a_long_draw_crosses_many_blocks(lib: ctypes.CDLL) -> None:
    state = R.seed_state(234, 5)
    n = 10_007
    for dtype, name in UNIFORM_KERNELS.items():
        assert run_kernel(lib, name, state, n, dtype).tobytes() == R.unit_uniform(state, n, dtype).tobytes()
    assert blocks_for("float64", n) == 5004 and blocks_for("float32", n) == 2502


@pytest.mark.parametrize("counter", [0, 7, 2**32 - 1, 2**64 - 1])
def test_next_state_counts_with_carry(lib: ctypes.CDLL, counter: int) -> None:
    state = R.make_state((5, 6), counter)
    out = np.empty(4, dtype=np.uint32)
    lib.rs_next_state(_ptr(state), _ptr(out))
    assert np.array_equal(out, R.next_state(state))


def test_float16_rule_on_every_float32_uniform(lib: ctypes.CDLL) -> None:
    """The integer formula for 'the float32 uniform rounded toward zero to half', exhaustively."""
    got = np.empty(1 << 24, dtype=np.uint16)
    lib.rs_test_float16_all(_ptr(got))
    m = np.arange(1 << 24, dtype=np.uint32)
    expected = R.float16_from_float32(R.float32_from_words(m << np.uint32(8)))
    assert np.array_equal(got, expected.view(np.uint16))
