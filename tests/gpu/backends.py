"""The two CuPy backends the GPU path's tests run on: ``fake`` (tests/gpu/fakecupy.py, the generated
CUDA compiled for the host: always, where a C++ compiler exists) and ``cupy`` (a real GPU: skipped
without CuPy and a CUDA device), and the comparisons both use."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from refspec.fast.gpu import device

from . import hostcc

Arr = npt.NDArray[Any]


def _real_gpu() -> str | None:
    device.reset_probe()
    problem = device.gpu_problem()
    device.reset_probe()
    return problem


@pytest.fixture(params=["fake", "cupy"])
def backend(request: pytest.FixtureRequest) -> Iterator[str]:
    """Installs the backend as what ``require_gpu()`` returns, for one test."""
    if request.param == "fake":
        if not hostcc.available():
            pytest.skip("no host C++ compiler (g++) for the fake CuPy")
        from . import fakecupy

        device.reset_probe()
        device._cached = fakecupy.make_module()  # type: ignore[assignment]
    else:
        pytest.importorskip("cupy")
        problem = _real_gpu()
        if problem is not None:
            pytest.skip(problem)
    try:
        yield str(request.param)
    finally:
        device.reset_probe()


def same_bits(ref: Arr, got: Arr) -> None:
    """Equal dtype, shape and bits (NaN anywhere NaN is; -0.0 told from 0.0)."""
    assert isinstance(got, np.ndarray), type(got)
    assert got.dtype == ref.dtype and got.shape == ref.shape, f"{got.dtype}{got.shape} vs {ref.dtype}{ref.shape}"
    if ref.dtype.kind == "c":
        same_bits(np.ascontiguousarray(ref.real), np.ascontiguousarray(got.real))
        same_bits(np.ascontiguousarray(ref.imag), np.ascontiguousarray(got.imag))
    elif ref.dtype.kind == "f":
        assert np.array_equal(np.isnan(ref), np.isnan(got)), f"NaN positions differ:\n{ref}\n{got}"
        ok = np.isnan(ref) | ((ref == got) & (np.signbit(ref) == np.signbit(got)))
        assert np.all(ok), f"values differ:\nreference {ref!r}\ngpu       {got!r}"
    else:
        assert np.array_equal(ref, got), f"values differ:\nreference {ref!r}\ngpu       {got!r}"


RTOL = {"float16": 4e-3, "float32": 2e-6, "float64": 1e-13, "complex64": 2e-6, "complex128": 1e-13}


def close(ref: Arr, got: Arr, scale: float | None = None) -> None:
    """Same dtype and shape; integers equal; floats within the dtype's tolerance (relative to
    ``scale``, by default max(1, max |ref|)), NaN and infinities in the same places."""
    assert isinstance(got, np.ndarray), type(got)
    assert got.dtype == ref.dtype and got.shape == ref.shape, f"{got.dtype}{got.shape} vs {ref.dtype}{ref.shape}"
    if ref.dtype.kind not in "fc":
        assert np.array_equal(ref, got), f"values differ:\nreference {ref!r}\ngpu       {got!r}"
        return
    assert np.array_equal(np.isnan(ref), np.isnan(got)), f"NaN positions differ:\n{ref}\n{got}"
    finite = np.isfinite(ref)
    assert np.array_equal(ref[~finite & ~np.isnan(ref)], got[~finite & ~np.isnan(ref)])
    if np.any(finite):
        r = ref[finite].astype(np.complex128)
        g = got[finite].astype(np.complex128)
        s = scale if scale is not None else max(1.0, float(np.max(np.abs(r))))
        err = float(np.max(np.abs(r - g)))
        assert err <= RTOL[ref.dtype.name] * s, f"max error {err} beyond {RTOL[ref.dtype.name]} x {s}:\n{ref}\n{got}"
