"""mode="GPU" without a usable GPU: a clear ``GpuUnavailableError`` (a RuntimeError) when the
function is built, saying whether CuPy is missing or CuPy finds no device."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from types import ModuleType, SimpleNamespace

import pytest

import refspec as theano
import refspec.tensor as T
from refspec.compile.mode import MODES, Mode
from refspec.fast.gpu import GpuUnavailableError, device, require_gpu


@pytest.fixture(autouse=True)
def fresh_probe() -> Iterator[None]:
    device.reset_probe()
    yield
    device.reset_probe()


def test_without_cupy_the_error_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.import_module

    def no_cupy(name: str, package: str | None = None) -> ModuleType:
        if name == "cupy":
            raise ImportError("No module named 'cupy'")
        return real(name, package)

    monkeypatch.setattr(importlib, "import_module", no_cupy)
    with pytest.raises(GpuUnavailableError, match=r"^CuPy is not installed: pip install 'refspec\[gpu\]'"):
        require_gpu()
    x = T.dvector("x")
    with pytest.raises(GpuUnavailableError, match="CuPy is not installed"):
        theano.function([x], x * 2, mode="GPU")
    assert issubclass(GpuUnavailableError, RuntimeError)


def test_with_cupy_but_no_device_the_error_gives_cupys_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_device() -> int:
        raise RuntimeError("cudaErrorNoDevice: no CUDA-capable device is detected")

    fake = SimpleNamespace(cuda=SimpleNamespace(runtime=SimpleNamespace(getDeviceCount=no_device)))
    real = importlib.import_module
    monkeypatch.setattr(importlib, "import_module",
                        lambda name, package=None: fake if name == "cupy" else real(name, package))
    with pytest.raises(GpuUnavailableError,
                       match=r"^CuPy found but no CUDA device: RuntimeError: cudaErrorNoDevice: no CUDA-capable"):
        x = T.dscalar("x")
        theano.function([x], x + 1, mode="GPU")
    assert device.gpu_problem() is not None and device.gpu_problem() == device.gpu_problem()  # probed once


def test_this_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    """Here, as it is: with no usable GPU the error is one of the two; with one, the mode works."""
    x = T.dvector("x")
    if device.gpu_problem() is None:
        f = theano.function([x], x * 2, mode=Mode(name="GPU"))
        assert f.mode == "GPU" and f([1.0, 2.0]).tolist() == [2.0, 4.0]
    else:
        with pytest.raises(GpuUnavailableError, match="^(CuPy is not installed|CuPy found but no CUDA device)"):
            theano.function([x], x * 2, mode="GPU")


def test_gpu_is_a_mode_name() -> None:
    assert MODES["GPU"] == "GPU"
    assert Mode(name="GPU").name == "GPU"
