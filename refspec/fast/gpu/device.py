"""Finding CuPy and a usable CUDA device, and saying exactly what is missing when there is none.

CuPy is an optional extra (``pip install 'refspec[gpu]'``); nothing outside ``refspec.fast.gpu``
imports it, and this module imports it only when asked.
"""

from __future__ import annotations

import importlib
from types import ModuleType

INSTALL_HINT = "pip install 'refspec[gpu]'"


class GpuUnavailableError(RuntimeError):
    """mode="GPU" cannot run here: CuPy is not installed, or it finds no usable CUDA device."""


_cached: ModuleType | GpuUnavailableError | None = None


def _probe() -> ModuleType | GpuUnavailableError:
    try:
        cupy = importlib.import_module("cupy")
    except ImportError as exc:
        return GpuUnavailableError(f"CuPy is not installed: {INSTALL_HINT} ({exc})")
    try:
        count = int(cupy.cuda.runtime.getDeviceCount())
        if count < 1:
            raise RuntimeError("the CUDA runtime reports 0 devices")
        cupy.cuda.Device(0).use()
        cupy.zeros(1).sum().item()  # a real allocation and kernel launch, not only a driver query
    except Exception as exc:  # noqa: BLE001 - any failure here means: no usable device, say why
        return GpuUnavailableError(f"CuPy found but no CUDA device: {type(exc).__name__}: {exc}")
    return cupy


def gpu_problem() -> str | None:
    """None when a GPU is usable, else what is missing (the probe runs once per process)."""
    global _cached
    if _cached is None:
        _cached = _probe()
    return str(_cached) if isinstance(_cached, GpuUnavailableError) else None


def require_gpu() -> ModuleType:
    """The ``cupy`` module, with a device checked to work; else ``GpuUnavailableError``."""
    global _cached
    if _cached is None:
        _cached = _probe()
    if isinstance(_cached, GpuUnavailableError):
        raise GpuUnavailableError(str(_cached))
    return _cached


def reset_probe() -> None:
    """Forget the probe's result (tests simulate machines with and without CuPy)."""
    global _cached
    _cached = None
