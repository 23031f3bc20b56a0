"""CUDA source of the random generator (spec/random.md), bit for bit the reference's
(``refspec.interp.random``): Philox4x32-10 on the state ``[k0, k1, c_lo, c_hi]``, block ``i`` of a
draw being ``philox4x32((i_lo, i_hi, c_lo, c_hi), (k0, k1))``, words in order, and the exact
bits-to-uniform rule of each float dtype.

Kernels (``extern "C"``, for ``cupy.RawModule``), each ``(const uint32* state, uint64 n, T* out)``
with one thread per Philox block (grid-stride):
``rs_philox_words`` the first n words; ``rs_uniform_float64`` / ``_float32`` / ``_float16`` the
first n uniforms; and ``rs_next_state(state, out)``, the state with its counter plus one.

The float16 rule (the float32 uniform rounded toward zero) is computed on the integer ``m = w >> 8``
directly, so no half-precision header or rounding mode is involved: with ``p`` the highest set bit
of m and ``s = max(p - 10, 0)``, the half's bits are ``(s << 10) + (m >> s)``. Pure text, no CuPy.
"""

from __future__ import annotations

PHILOX_SOURCE = r"""
// Philox4x32-10: one block of four words from a counter and a key (Salmon et al., Random123)
__device__ __forceinline__ void rs_philox4x32_10(unsigned int* c, unsigned int k0, unsigned int k1) {
  for (int r = 0; r < 10; ++r) {
    if (r) { k0 += 0x9E3779B9u; k1 += 0xBB67AE85u; }
    const unsigned int hi0 = __umulhi(0xD2511F53u, c[0]), lo0 = 0xD2511F53u * c[0];
    const unsigned int hi1 = __umulhi(0xCD9E8D57u, c[2]), lo1 = 0xCD9E8D57u * c[2];
    const unsigned int n0 = hi1 ^ c[1] ^ k0, n2 = hi0 ^ c[3] ^ k1;
    c[0] = n0; c[1] = lo1; c[2] = n2; c[3] = lo0;
  }
}

// block i of the draw the state makes: counter (i_lo, i_hi, c_lo, c_hi), key (k0, k1)
__device__ __forceinline__ void rs_block(const unsigned int* state, unsigned long long i, unsigned int* c) {
  c[0] = (unsigned int)i; c[1] = (unsigned int)(i >> 32); c[2] = state[2]; c[3] = state[3];
  rs_philox4x32_10(c, state[0], state[1]);
}

__device__ __forceinline__ unsigned long long rs_first() {
  return (unsigned long long)blockIdx.x * blockDim.x + threadIdx.x;
}

__device__ __forceinline__ unsigned long long rs_stride() {
  return (unsigned long long)blockDim.x * gridDim.x;
}

// float32 uniform: (w >> 8) * 2**-24, exact
__device__ __forceinline__ float rs_u32_float32(unsigned int w) { return (float)(w >> 8) * 5.9604644775390625e-08f; }

// float64 uniform from words a, b: ((a >> 5) * 2**26 + (b >> 6)) * 2**-53, exact
__device__ __forceinline__ double rs_u64_float64(unsigned int a, unsigned int b) {
  return (double)(((unsigned long long)(a >> 5) << 26) | (unsigned long long)(b >> 6)) * 1.1102230246251565404236316680908203125e-16;
}

// float16 uniform: the float32 uniform m * 2**-24 (m = w >> 8) rounded toward zero, as half bits
__device__ __forceinline__ unsigned short rs_u32_float16_bits(unsigned int w) {
  const unsigned int m = w >> 8;
  const int p = 31 - __clz(m);  // the highest set bit; -1 for m == 0 (__clz(0) is 32)
  const int s = p > 10 ? p - 10 : 0;
  return (unsigned short)(((unsigned int)s << 10) + (m >> s));
}

extern "C" __global__ void rs_philox_words(const unsigned int* state, unsigned long long n, unsigned int* out) {
  unsigned int c[4];
  for (unsigned long long i = rs_first(); 4 * i < n; i += rs_stride()) {
    rs_block(state, i, c);
    for (int j = 0; j < 4; ++j) if (4 * i + j < n) out[4 * i + j] = c[j];
  }
}

extern "C" __global__ void rs_uniform_float32(const unsigned int* state, unsigned long long n, float* out) {
  unsigned int c[4];
  for (unsigned long long i = rs_first(); 4 * i < n; i += rs_stride()) {
    rs_block(state, i, c);
    for (int j = 0; j < 4; ++j) if (4 * i + j < n) out[4 * i + j] = rs_u32_float32(c[j]);
  }
}

extern "C" __global__ void rs_uniform_float16(const unsigned int* state, unsigned long long n, unsigned short* out) {
  unsigned int c[4];
  for (unsigned long long i = rs_first(); 4 * i < n; i += rs_stride()) {
    rs_block(state, i, c);
    for (int j = 0; j < 4; ++j) if (4 * i + j < n) out[4 * i + j] = rs_u32_float16_bits(c[j]);
  }
}

// uniform j takes words 2j and 2j+1: block i gives uniforms 2i and 2i+1
extern "C" __global__ void rs_uniform_float64(const unsigned int* state, unsigned long long n, double* out) {
  unsigned int c[4];
  for (unsigned long long i = rs_first(); 2 * i < n; i += rs_stride()) {
    rs_block(state, i, c);
    out[2 * i] = rs_u64_float64(c[0], c[1]);
    if (2 * i + 1 < n) out[2 * i + 1] = rs_u64_float64(c[2], c[3]);
  }
}

// the next state: the same key, the counter plus one (mod 2**64)
extern "C" __global__ void rs_next_state(const unsigned int* state, unsigned int* out) {
  if (rs_first() == 0) {
    const unsigned long long c = (((unsigned long long)state[3] << 32) | state[2]) + 1ull;
    out[0] = state[0]; out[1] = state[1]; out[2] = (unsigned int)c; out[3] = (unsigned int)(c >> 32);
  }
}
"""

# the uniform kernel of each float dtype
UNIFORM_KERNELS: dict[str, str] = {
    "float64": "rs_uniform_float64",
    "float32": "rs_uniform_float32",
    "float16": "rs_uniform_float16",
}
WORDS_KERNEL = "rs_philox_words"
NEXT_STATE_KERNEL = "rs_next_state"
KERNEL_NAMES: tuple[str, ...] = (WORDS_KERNEL, *UNIFORM_KERNELS.values(), NEXT_STATE_KERNEL)


def blocks_for(dtype: str | None, n: int) -> int:
    """Philox blocks (threads of work) a draw of ``n`` values needs: words and float32/float16 take
    one word each (4 per block), float64 two (2 per block)."""
    per = 2 if dtype == "float64" else 4
    return -(-n // per)
