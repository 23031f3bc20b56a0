"""benchmarks/gpu_check.py's checks, dry-run on the fake CuPy at small sizes (the script itself needs
a GPU): each check runs, reports ``ok`` where the GPU path agrees, and the table logic holds."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from .backends import backend  # noqa: F401  (a fixture)

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "gpu_check.py"


def load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gpu_check", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["gpu_check"] = module
    spec.loader.exec_module(module)
    return module


def test_checks_run_and_agree(backend: str) -> None:
    if backend != "fake":
        pytest.skip("on a GPU, run the script itself")
    check = load()
    from refspec.fast.gpu import device

    cp = device.require_gpu()
    rows = check.check_random_bits() + check.check_chain(cp, n=20_000) + check.check_mlp(cp, batch=16)
    rows += check.check_seeds()
    assert rows and all(result in (check.PASS, check.INFO) for _, result, _ in rows), rows
    assert any("MLP" in name for name, _, _ in rows)


def test_without_a_gpu_the_script_says_so_and_exits_2(monkeypatch: pytest.MonkeyPatch) -> None:
    check = load()
    monkeypatch.setattr(check.device, "gpu_problem", lambda: "CuPy is not installed: pip install 'refspec[gpu]'")
    assert check.main(["--skip-campaign"]) == 2
