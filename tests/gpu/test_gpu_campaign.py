"""A seeded diffcheck campaign GPU vs reference, on the fake CuPy (and a real GPU where present):
with every libm-class kernel an ulp off, generated programs still pass (the differences are the
rounding spec/gpu.md declares, found within bounds node by node), while an exact kernel an ulp off
is a mismatch naming its node."""

from __future__ import annotations

import pytest

from refspec.ast import Op
from refspec.diffcheck.campaign import run_campaign

from .backends import backend  # noqa: F401  (a fixture)
from .gpu_plants import an_ulp_up, an_ulp_up_everywhere


def test_libm_an_ulp_off_everywhere_passes_as_rounding(backend: str, monkeypatch: pytest.MonkeyPatch) -> None:
    an_ulp_up_everywhere(monkeypatch)
    report = run_campaign(40, seed=5, paths=("GPU",), rewrites=False)
    assert report.passed == report.graphs == 40, str(report)
    assert report.refinements > 0  # the planted rounding was met, and judged to be rounding


def test_an_exact_kernel_an_ulp_off_is_found_and_named(backend: str, monkeypatch: pytest.MonkeyPatch) -> None:
    an_ulp_up(monkeypatch, Op.MUL)
    report = run_campaign(40, seed=5, ops=[Op.MUL], paths=("GPU",), rewrites=False)
    assert report.mismatches > 1 and report.first_mismatch is not None, str(report)  # every one counted
    assert "node alone: mul node" in report.first_mismatch
