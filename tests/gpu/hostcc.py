"""Compile generated CUDA text with the host's C++ compiler, to check its arithmetic without a GPU.

The generated kernels are plain C++ once a few CUDA names are given host meanings (``SHIM``):
``__device__`` and ``__global__`` are empty, CuPy's ``float16`` is a struct around GCC's
``_Float16`` (conversions round to nearest even, as CUDA's), thrust's ``complex`` is
``std::complex``, and the intrinsics the kernels use (``__umulhi``, ``__clz``,
``__double2float_rz``, ``__float_as_uint``, ``__uint_as_float``) are written out as CUDA documents
them. A grid is one thread running the whole grid-stride loop. So this checks the text's logic and
IEEE arithmetic (with fma contraction off, as the GPU kernels are compiled), with glibc's libm in
place of CUDA's: transcendental results agree only to a few ulps, on either device.

Compiled libraries are cached by source hash under the system temp directory.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from refspec.fast.gpu.cuda_source import KernelSpec

CXX = shutil.which("g++")
FLAGS = ["-std=c++17", "-O1", "-ffp-contract=off", "-fno-fast-math", "-shared", "-fPIC", "-w"]

SHIM = r"""
#include <cmath>
#include <complex>
#include <cstring>
#define __device__
#define __forceinline__ inline
#define __global__
using std::isinf;
template <typename T> using complex = std::complex<T>;
using std::conj;
struct float16 {
  _Float16 v;
  float16() = default;
  float16(float x) : v((_Float16)x) {}
  explicit float16(double) = delete;  // the generated text must convert double -> half itself
  operator float() const { return (float)v; }
};
// CUDA's __double2float_rz: double -> float rounded toward zero
inline float __double2float_rz(double x) {
  float f = (float)x;
  if (std::isfinite(x) && std::fabs((double)f) > std::fabs(x)) f = std::nextafterf(f, 0.0f);
  return f;
}
// CUDA's erfinv (glibc has none): Winitzki's first guess, refined by Newton steps on glibc's erf
// (erfc near 1, where 1 - |y| is exact and erf(x) - |y| would cancel)
inline double erfinv(double y) {
  if (std::isnan(y) || y < -1.0 || y > 1.0) return NAN;
  if (y == 1.0 || y == -1.0) return y * INFINITY;
  if (y == 0.0) return y;
  const double a = 0.147, pi = 3.14159265358979323846, ay = std::fabs(y);
  double w = -std::log((1.0 - ay) * (1.0 + ay)), t = 2.0 / (pi * a) - w / 2.0;
  double x = std::sqrt(std::sqrt(t * t + w / a) - t);
  for (int i = 0; i < 6; ++i) {
    double r = ay > 0.5 ? (1.0 - ay) - std::erfc(x) : std::erf(x) - ay;
    x -= r / (2.0 / std::sqrt(pi) * std::exp(-x * x));
  }
  return std::copysign(x, y);
}
inline float erfinvf(float y) { return (float)erfinv((double)y); }
inline unsigned int __float_as_uint(float f) { unsigned int u; std::memcpy(&u, &f, 4); return u; }
inline float __uint_as_float(unsigned int u) { float f; std::memcpy(&f, &u, 4); return f; }
inline unsigned int __umulhi(unsigned int a, unsigned int b) {
  return (unsigned int)(((unsigned long long)a * b) >> 32);
}
inline int __clz(unsigned int x) { return x ? __builtin_clz(x) : 32; }
struct rs_dim3 { unsigned int x; };
static const rs_dim3 blockIdx = {0}, threadIdx = {0}, blockDim = {1}, gridDim = {1};
"""

C_OF = {
    "bool": "bool", "int8": "signed char", "int16": "short", "int32": "int", "int64": "long long",
    "uint8": "unsigned char", "uint16": "unsigned short", "uint32": "unsigned int",
    "uint64": "unsigned long long", "float16": "float16", "float32": "float", "float64": "double",
    "complex64": "complex<float>", "complex128": "complex<double>",
}


def available() -> bool:
    return CXX is not None


def _params(text: str) -> list[tuple[str, str, bool]]:
    """(dtype, name, raw) of each parameter of an ElementwiseKernel parameter list."""
    out: list[tuple[str, str, bool]] = []
    for part in text.split(","):
        words = part.split()
        raw = words[0] == "raw"
        dtype, name = words[-2], words[-1]
        out.append((dtype, name, raw))
    return out


def host_function(spec: KernelSpec, index: int) -> str:
    """The kernel as a host loop ``rs_host_<index>(n, inputs..., output, err)`` in its own namespace
    (each kernel's preamble is compiled as generated)."""
    ins = [p for p in _params(spec.in_params) if not p[2]]
    ((out_dtype, out_name, _),) = _params(spec.out_params)
    args = ", ".join([f"const {C_OF[d]}* p_{n}" for d, n, _ in ins] + [f"{C_OF[out_dtype]}* p_{out_name}"])
    loads = "\n".join(f"    const {C_OF[d]} {n} = p_{n}[i];" for d, n, _ in ins)
    preamble = "\n".join(ln for ln in spec.preamble.splitlines() if not ln.startswith("#include <cupy/"))
    return (f"namespace k{index} {{\n{preamble}\n"
            # const, as CuPy declares an elementwise kernel's raw inputs (NVRTC rejects plain writes)
            f'extern "C" void rs_host_{index}(long n, {args}, const int* rs_err) {{\n'
            f"  for (long i = 0; i < n; ++i) {{\n{loads}\n    {C_OF[out_dtype]} {out_name};\n"
            f"    {{\n{spec.operation}\n    }}\n    p_{out_name}[i] = {out_name};\n  }}\n}}\n}}\n")


def build(source: str) -> ctypes.CDLL:
    """Compile ``SHIM + source`` into a shared library (cached) and load it."""
    assert CXX is not None, "no host C++ compiler"
    text = SHIM + source
    digest = hashlib.sha1((text + " ".join(FLAGS)).encode()).hexdigest()[:20]
    cache = Path(tempfile.gettempdir()) / "refspec-hostcc"
    cache.mkdir(exist_ok=True)
    lib = cache / f"{digest}.so"
    if not lib.exists():
        src = cache / f"{digest}.cpp"
        src.write_text(text, encoding="utf-8")
        tmp = cache / f"{digest}.{os.getpid()}.so"
        done = subprocess.run([CXX, *FLAGS, str(src), "-o", str(tmp)], capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"host compile failed:\n{done.stderr[:4000]}")
        os.replace(tmp, lib)
    return ctypes.CDLL(str(lib))


class HostKernels:
    """Several kernels compiled together; ``run(k, inputs)`` evaluates kernel k elementwise."""

    def __init__(self, specs: Sequence[KernelSpec]):
        self.specs = list(specs)
        self.lib = build("\n".join(host_function(s, i) for i, s in enumerate(self.specs)))

    def run(self, k: int, inputs: Sequence[object],
            err: npt.NDArray[np.int32] | None = None) -> tuple[npt.NDArray[np.generic], int]:
        """The kernel's output over the broadcast inputs, and the error flag it left (in ``err`` if
        given, a fresh one otherwise)."""
        spec = self.specs[k]
        ins = [p for p in _params(spec.in_params) if not p[2]]
        ((out_dtype, _, _),) = _params(spec.out_params)
        arrays = np.broadcast_arrays(*[np.asarray(x, dtype=d) for x, (d, _, _) in zip(inputs, ins)])
        flat = [np.ascontiguousarray(a).reshape(-1) for a in arrays]
        shape = arrays[0].shape if arrays else ()
        out = np.empty(int(np.prod(shape, dtype=np.int64)), dtype=out_dtype)
        if err is None:
            err = np.zeros(1, dtype=np.int32)
        fn = getattr(self.lib, f"rs_host_{k}")
        fn.restype = None
        ptrs = [ctypes.c_void_p(a.ctypes.data) for a in flat]
        fn(ctypes.c_long(out.size), *ptrs, ctypes.c_void_p(out.ctypes.data), ctypes.c_void_p(err.ctypes.data))
        return out.reshape(shape), int(err[0])


def philox_library(source: str) -> ctypes.CDLL:
    """The Philox kernels (``philox_source.PHILOX_SOURCE``) compiled for the host."""
    return build(source)
