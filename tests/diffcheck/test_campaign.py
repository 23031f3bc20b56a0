"""Seeded campaigns: a clean run on the real fast path, the CLI, and planted bugs found with small
repros (by a campaign focused on the bug's ops, or by ``check()`` on a small user graph where the
generator seldom builds the triggering program: scans past a sequence's end, state across calls)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from hypothesis import strategies as st

import refspec
import refspec.tensor as T
from refspec.ast import Op, toposort
from refspec.diffcheck import check
from refspec.diffcheck.campaign import run_campaign
from refspec.diffcheck.cli import run as cli_run
from refspec.ifelse import ifelse

from . import plants

ROOT = Path(__file__).resolve().parents[2]
Plant = Callable[[pytest.MonkeyPatch], None]


def test_clean_campaign_on_the_fast_path() -> None:
    report = run_campaign(150, seed=0)
    assert report.ok and report.mismatches == 0, str(report)
    assert report.graphs == report.passed == 150
    assert report.matrix and all(sum(c) > 0 for per in report.matrix.values() for c in per.values())
    assert report.repro is None
    data = report.to_json()
    assert json.loads(json.dumps(data)) == data


def test_the_same_seed_runs_the_same_programs() -> None:
    a, b = run_campaign(30, seed=3), run_campaign(30, seed=3)
    assert a.n_nodes == b.n_nodes and a.matrix == b.matrix


def test_cli_in_process_writes_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "report.json"
    assert cli_run(["--examples", "40", "--seed", "1", "--ops", "exp,log", "--json", str(out)]) == 0
    data = json.loads(out.read_text())
    assert data["graphs"] == 40 and data["mismatches"] == 0 and data["ok"]
    assert {"exp", "log"} & set(data["matrix"])
    assert "diffcheck campaign passed" in capsys.readouterr().out


def test_cli_exits_non_zero_with_a_repro(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    plants.int_div_by_zero_gives_zero(monkeypatch)
    assert cli_run(["--examples", "200", "--ops", "int_div"]) == 1
    printed = capsys.readouterr().out
    assert "FAILED" in printed and "def test_repro() -> None:" in printed and "Op.INT_DIV" in printed


TARGET = '''
import numpy as np
import refspec
import refspec.tensor as T

{plant}

def build():
    x, y = T.lvector("x"), T.lvector("y")
    return refspec.function([x, y], [x // y, T.maximum(x, y)])
'''
PLANT = '''
import refspec.fast.cpu.codegen as codegen
from refspec.ast import Op
right = codegen._direct_kernel
def quiet(x, y):
    return np.where(y == 0, 0, np.floor_divide(x, np.where(y == 0, 1, y)))
codegen._direct_kernel = lambda node: quiet if node.op is Op.INT_DIV else right(node)
'''


@pytest.mark.parametrize("planted", [False, True])
def test_cli_subprocess_on_a_user_graph(tmp_path: Path, planted: bool) -> None:
    target = tmp_path / "graph.py"
    target.write_text(TARGET.format(plant=PLANT if planted else ""))
    out = tmp_path / "report.json"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-m", "refspec", "diffcheck", "--examples", "20", "--json", str(out),
                           f"{target}:build"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == (1 if planted else 0), done.stdout + done.stderr
    data = json.loads(out.read_text())
    assert data["ok"] is not planted
    if planted:
        assert "def test_repro() -> None:" in done.stdout and "INT_DIV" in done.stdout


@dataclass(frozen=True)
class Found:
    found: bool
    nodes: int
    max_elements: int
    note: str


def by_campaign(ops: list[Op], examples: int, shrink_seconds: float = 10.0) -> Callable[[], Found]:
    def run() -> Found:
        report = run_campaign(examples, seed=0, ops=ops, shrink_seconds=shrink_seconds, max_mismatches=1)
        return Found(not report.ok and report.repro_verified, report.repro_nodes or 0,
                     report.repro_max_elements or 0, str(report))
    return run


def _scan_past_the_end() -> Found:
    x, n = T.dvector("x"), T.lscalar("n")
    out, _ = refspec.scan(lambda a: a * 2, sequences=[x], n_steps=n)
    report = check([out], [x, n], examples=10, grad=False, shapes={x: (2,)},
                   strategies={n: st.integers(0, 4).map(np.int64)})
    r = report.repro  # the scan node alone, its body written out (tests/diffcheck/test_scan_repro.py)
    return Found(report.first_mismatch is not None and report.first_mismatch.what == "error"
                 and r is not None and r.verified, r.nodes if r else 0, r.max_elements if r else 0, str(report))


def _eager_ifelse() -> Found:
    c, x, y = T.lscalar("c"), T.lvector("x"), T.lvector("y")
    report = check([ifelse(c, x, x // y)], [c, x, y], examples=20, grad=False, shapes={x: (2,), y: (2,)},
                   strategies={c: st.just(np.int64(1))})
    r = report.repro
    return Found(not report.passed and r is not None and r.verified, r.nodes if r else 0, r.max_elements if r else 0,
                 str(report))


def _fused_broadcast() -> Found:
    x, y = T.tensor("float64", shape=(None, 1), name="x"), T.dmatrix("y")
    report = check([T.exp(x + y) * y], [x, y], examples=10, grad=False,
                   strategies={x: st.just(np.array([[1.0], [2.0], [3.0]])), y: st.just(np.ones((3, 2)))})
    r = report.repro
    return Found(not report.passed and r is not None and r.verified, r.nodes if r else 0, r.max_elements if r else 0,
                 str(report))


def _wrong_gradient() -> Found:
    x = T.dvector("x")
    cost = T.sin(x) * x
    report = check([cost], [x], examples=5, shapes={x: (3,)})
    # the gradient check names the output and the directional derivative: the graph is the repro
    return Found(report.gradient_failures > 0 and not report.passed, len(toposort([cost])), 3, str(report))


def _stale_buffer() -> Found:
    s = refspec.shared(np.array([0.5, 1.0]), name="s")
    f = refspec.function([], [T.exp(s)], updates=[(s, s + 1)])
    report = check(f, examples=3, grad=False, calls=2)
    r = report.repro
    return Found(not report.passed and r is not None and r.verified, r.nodes if r else 0, r.max_elements if r else 0,
                 str(report))


PLANTS: dict[str, tuple[Plant, Callable[[], Found]]] = {
    "nan_dropping_max_reduce": (plants.nan_dropping_max_reduce, by_campaign([Op.MAX], 400)),
    "nan_dropping_maximum": (plants.nan_dropping_maximum, by_campaign([Op.MAXIMUM], 1000)),
    "int_div_by_zero": (plants.int_div_by_zero_gives_zero, by_campaign([Op.INT_DIV], 200)),
    "non_atomic_update": (plants.non_atomic_update, by_campaign([Op.ADD], 200)),
    "eager_ifelse": (plants.eager_ifelse, _eager_ifelse),
    "scan_past_the_end": (plants.scan_past_the_end, _scan_past_the_end),
    "wrong_fused_broadcast": (plants.wrong_fused_broadcast, _fused_broadcast),
    "float32_sum": (plants.float32_sum, by_campaign([Op.SUM], 200)),
    "unsound_rewrite": (plants.unsound_rewrite, by_campaign([Op.EXP, Op.LOG], 400)),
    "wrong_gradient": (plants.wrong_sin_gradient, _wrong_gradient),
    "stale_buffer": (plants.stale_buffer, _stale_buffer),
}


CHEAP = {"eager_ifelse", "scan_past_the_end", "wrong_fused_broadcast", "wrong_gradient", "stale_buffer"}


@pytest.mark.parametrize("name", sorted(PLANTS))
def test_planted_bug_is_found_with_a_small_repro(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    plant, find = PLANTS[name]
    start = time.perf_counter()
    with monkeypatch.context() as m:
        plant(m)
        found = find()
    seconds = time.perf_counter() - start
    print(f"{name}: found {found.found}, {seconds:.1f} s, {found.nodes} nodes, {found.max_elements} elements")
    assert found.found, found.note
    assert 1 <= found.nodes <= 5 and found.max_elements <= 4, found.note
    if name in CHEAP:
        assert not find().found, "found without the plant"  # (clean campaigns: the test above)
