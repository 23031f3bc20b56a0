"""The campaign's gradient and rewrite checks: clean on the real library, and each catches its plant
(a wrong gradient rule, an unsound canonicalization). Kink avoidance is tested on small graphs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import refspec.tensor as T
from refspec.ast import Op
from refspec.diffcheck.campaign import run_campaign
from refspec.diffcheck.cli import run as cli_run
from refspec.diffcheck.kinks import near_kink
from refspec.diffcheck.paths import compile_path, program_of
from refspec.diffcheck.rewritecheck import check_rewrites
from refspec.diffcheck.twin import float64_twin
from refspec.ifelse import ifelse

from . import plants


def _kink(out: T.TensorVariable, leaves: list[T.TensorVariable], point: list[float]) -> str | None:
    return near_kink([out], leaves, [np.array(p) for p in point], {}, np.random.default_rng(0))


def test_kinks_are_found_near_and_not_far() -> None:
    x, y = T.dscalar("x"), T.dscalar("y")
    assert _kink(abs(x), [x], [0.0]) == "kink"  # on the kink
    assert _kink(abs(x), [x], [1e-3]) == "kink"  # within a probe of it
    assert _kink(abs(x), [x], [0.5]) is None
    assert _kink(T.maximum(x, y), [x, y], [0.3, 0.3]) == "kink"  # a tie
    assert _kink(T.maximum(x, y), [x, y], [0.3, -0.3]) is None
    assert _kink(T.switch(x > 0, x, y), [x, y], [1e-3, 2.0]) == "kink"  # a comparison that flips
    assert _kink(T.floor(x) * y, [x, y], [2.0, 1.0]) == "kink"
    assert _kink(T.clip(y, x, x), [x, y], [0.0, 3.0]) == "kink"  # crossing bounds
    assert _kink(T.log(x), [x], [-1.0]) == "non-finite"
    assert _kink(T.log(x), [x], [1e-3]) == "pole"  # the domain ends within a probe
    assert _kink(y / x, [x, y], [-1e-3, 1.0]) == "pole"  # a pole within a probe, finite both sides
    assert _kink(y / x, [x, y], [0.5, 1.0]) is None


def test_gradient_campaign_has_no_false_alarms() -> None:
    report = run_campaign(120, seed=5, grad=True, rewrites=False)
    assert report.grad_failed == 0 and report.grad_errors == 0, "\n".join(report.grad_failures)
    assert report.grad_checked >= 15, report.grad_skipped  # about a quarter of programs are checkable
    assert report.ok, str(report)
    data = report.to_json()
    assert data["grad_checked"] == report.grad_checked and json.loads(json.dumps(data)) == data


def test_planted_wrong_gradient_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    plants.wrong_sin_gradient(monkeypatch)
    report = run_campaign(40, seed=0, ops=[Op.SIN], grad=True, rewrites=False)
    assert report.mismatches == 0  # the values are right: only the gradient check can see it
    assert report.grad_failed > 0 and not report.ok
    assert any("sin" in f and "directional derivative" in f for f in report.grad_failures), report.grad_failures
    assert "gradient: ops [" in str(report)


def test_rewrite_check_names_an_unsound_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    x = T.dvector("x")
    values = [np.array([-1.0, 2.0])]
    clean = compile_path(program_of([x], [T.exp(T.log(x))]), "FAST_RUN")
    assert check_rewrites(clean, values) is None
    plants.unsound_rewrite(monkeypatch)
    f = compile_path(program_of([x], [T.exp(T.log(x))]), "FAST_RUN")
    found = check_rewrites(f, values)
    assert found is not None and "_exp_of_log" in found.rules and found.what == "root 0"
    assert "_exp_of_log" in str(found) and "NaN positions differ" in str(found)


def test_declared_refinements_are_not_unsound() -> None:
    x = T.dvector("x")
    f = compile_path(program_of([x], [T.log(1 + T.exp(x))]), "FAST_RUN")
    assert f._fast is not None and f._fast.rewrites == ["_to_softplus"]
    assert check_rewrites(f, [np.array([1000.0, -3.0, 0.5])]) is None  # inf on the reference, 1000 refined


def test_rewrite_campaign_catches_the_plant_and_passes_clean(monkeypatch: pytest.MonkeyPatch) -> None:
    clean = run_campaign(60, seed=2, ops=[Op.EXP, Op.LOG])
    assert clean.ok and clean.unsound_rewrites == 0 and clean.rewrites_checked > 0, str(clean)
    plants.unsound_rewrite(monkeypatch)
    report = run_campaign(60, seed=2, ops=[Op.EXP, Op.LOG], shrink_seconds=5)
    assert report.unsound_rewrites > 0 and not report.ok
    assert "_exp_of_log" in report.unsound[0], report.unsound
    assert "unsound rewrite" in str(report)


def test_cli_grad_flag(tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    assert cli_run(["--examples", "30", "--seed", "4", "--grad", "--no-progress", "--json", str(out)]) == 0
    data = json.loads(out.read_text())
    assert data["grad_checked"] + sum(data["grad_skipped"].values()) == 30 and data["unsound_rewrites"] == 0



def test_twin_widens_float_functions_of_integers() -> None:
    """erf of an int16 is float32; its float64 twin must be float64 too, or an ifelse choosing
    between it and a widened float32 input is ill-typed (found by the gradient campaign)."""
    c, x, i = T.bscalar("c"), T.fscalar("x"), T.wscalar("i")
    out = ifelse(c, x, T.erf(i))
    (wide,), _ = float64_twin([out], [c, x, i])
    assert wide.dtype == "float64"
