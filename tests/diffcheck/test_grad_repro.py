"""Repro files for wrong gradients: a pytest file rebuilding the graph and checking refspec's grad
against finite differences (``verify_grad``), from a campaign's gradient check or directly."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import refspec
import refspec.tensor as T
from refspec.ast import Op
from refspec.diffcheck.campaign import run_campaign
from refspec.diffcheck.gradrepro import make_grad_repro, write_grad_repro
from refspec.diffcheck.graphgrad import GradProblem
from refspec.diffcheck.repro import MAX_LINES, SCAN_LINES, still_fails

from . import plants

ROOT = Path(__file__).resolve().parents[2]


def test_campaign_gradient_plant_yields_a_verified_repro(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The wrong sin rule: the campaign's first failing program is cut down to the sin node alone
    (1 node, 1 element, 17 lines), which fails under pytest with the plant and passes without it,
    standalone."""
    with monkeypatch.context() as planted:
        plants.wrong_sin_gradient(planted)
        report = run_campaign(40, seed=0, ops=[Op.SIN], grad=True, rewrites=False)
        assert report.grad_failed > 0 and report.grad_repro is not None, str(report)
        assert report.grad_repro_verified and report.grad_repro_nodes == 1
        text = report.grad_repro
        path = tmp_path / "test_gradient_repro.py"
        path.write_text(text)
        args = [str(path), "-q", "-p", "no:cacheprovider", "--rootdir", str(tmp_path), "--import-mode=importlib"]
        assert pytest.main(args) == pytest.ExitCode.TESTS_FAILED  # the bug, in this process
    assert "Op.SIN" in text and "verify_grad(cost, point" in text and text.count("\n") <= MAX_LINES
    assert "gradient repro (1 nodes)" in str(report) and report.to_json()["grad_repro_verified"] is True
    assert not still_fails(text)  # the plant is gone: the repro passes
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(path)],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr  # standalone: it runs in a fresh interpreter


def test_a_clean_gradient_campaign_writes_no_repro() -> None:
    report = run_campaign(20, seed=0, ops=[Op.SIN], grad=True, rewrites=False)
    assert report.grad_failed == 0 and report.grad_repro is None and report.grad_checked > 0


def test_the_first_node_whose_own_gradient_fails_is_the_repro(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two outputs over a vector and a column of static shape: the repro is the sin node alone."""
    x, y = T.dvector("x"), T.tensor("float64", shape=(2, 1), name="y")
    out = T.exp(T.sin(x * 2) + T.tanh(y)).sum(axis=0) * x
    problem = GradProblem([out, T.cos(x)], [x, y], [np.array([0.3, 0.7, 1.1]), np.array([[0.2], [-0.5]])])
    whole = write_grad_repro(problem)
    assert "T.specify_shape(x1, (2, 1))" in whole and "T.sum(" in whole  # static shape kept; outputs weighted
    assert not still_fails(whole)  # the right rules pass
    plants.wrong_sin_gradient(monkeypatch)
    assert still_fails(whole)
    repro = make_grad_repro(problem, "two outputs")
    assert repro is not None and repro.verified and repro.scope == "node"
    assert repro.nodes == 1 and "Op.SIN" in repro.text and repro.max_elements == 1
    assert "at sin node" in repro.text.splitlines()[0]


def test_a_wrong_gradient_inside_a_scan_gets_a_scan_repro(monkeypatch: pytest.MonkeyPatch) -> None:
    """sin in a scan's step: the scan node is the first node whose own gradient fails, and the repro
    writes it with its body (3 nodes: mul, sin inside, scan), within the scan allowance of lines."""
    x = T.dvector("x")
    out, _ = refspec.scan(lambda a, h: T.sin(a) * h, sequences=[x], outputs_info=[T.constant(1.5)])
    problem = GradProblem([out * 1.0], [x], [np.array([0.3, 0.7, 1.1])])
    assert not still_fails(write_grad_repro(problem))
    plants.wrong_sin_gradient(monkeypatch)
    repro = make_grad_repro(problem)
    assert repro is not None and repro.verified and repro.scope == "node", repro
    assert repro.scans == 1 and repro.nodes == 3 and "ScanParams(" in repro.text
    assert repro.lines <= MAX_LINES + SCAN_LINES, repro.text
    monkeypatch.undo()
    assert not still_fails(repro.text)
