"""``python -m refspec bench``: the command runs, prints one table and writes JSON with the fields the
README and CI rely on. Small workloads, --quick, no peers needed (--no-peers); no timed assertions."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from refspec.bench import peers
from refspec.bench.report import BACKENDS
from refspec.bench.workloads import WORKLOADS

ROOT = Path(__file__).resolve().parents[2]


def _bench(*args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    return subprocess.run([sys.executable, "-m", "refspec", "bench", *args], capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=120, check=False)


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], Path, Path]:
    out = tmp_path_factory.mktemp("bench")
    proc = _bench("--quick", "--no-peers", "--only", "call_overhead", "--only", "logreg_step",
                  "--json", str(out / "bench.json"), "--plot", str(out / "bench.png"))
    return proc, out / "bench.json", out / "bench.png"


def test_table_prints(quick_run: tuple[subprocess.CompletedProcess[str], Path, Path]) -> None:
    proc, _, _ = quick_run
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    header = next(line for line in lines if line.startswith("workload"))
    for column in ("refspec fast", "refspec ref", "numpy", "target (issue 5)"):
        assert column in header
    assert sum(line.startswith("call overhead") for line in lines) == 1
    assert sum(line.startswith("logistic regression step") for line in lines) == 1
    assert "fast <= 2 us" in proc.stdout and "fast <= 0.9x best peer" in proc.stdout
    assert "peers skipped (--no-peers)" in proc.stdout


def test_json_fields(quick_run: tuple[subprocess.CompletedProcess[str], Path, Path]) -> None:
    proc, json_path, _ = quick_run
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(json_path.read_text())
    assert doc["quick"] is True
    assert {"command", "machine", "peers", "notes", "rows"} <= doc.keys()
    assert [row["name"] for row in doc["rows"]] == ["call_overhead", "logreg_step"]
    for row in doc["rows"]:
        assert {"title", "cells", "targets", "copy_floor_s", "max_rel_diff_vs_numpy"} <= row.keys()
        assert set(row["cells"]) <= set(BACKENDS)
        for backend in ("refspec_fast", "refspec_reference", "numpy"):
            cell = row["cells"][backend]
            assert cell["median_s"] > 0 and cell["samples"] >= 3 and cell["loops"] >= 1
            assert cell["ratio_to_fast"] > 0
        assert row["cells"]["refspec_fast"]["ratio_to_fast"] == 1.0
        for target in row["targets"]:
            assert {"text", "met", "detail", "bound_s"} <= target.keys()
    overhead = doc["rows"][0]
    assert overhead["targets"][0]["bound_s"] == 2e-6
    assert all(d <= 1e-12 for d in overhead["max_rel_diff_vs_numpy"].values())  # x*2 is exact


def test_plot_written_or_explained(quick_run: tuple[subprocess.CompletedProcess[str], Path, Path]) -> None:
    proc, _, png = quick_run
    if png.exists():
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    else:
        assert "matplotlib is not installed" in proc.stdout


def test_unknown_workload_is_refused() -> None:
    proc = _bench("--no-peers", "--only", "no_such_workload")
    assert proc.returncode == 2
    assert "unknown workload 'no_such_workload'" in proc.stderr


def test_missing_peers_are_notes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(peers, "_installed", lambda module: False)
    runnable, notes = peers.available()
    assert runnable == []
    assert any(n.startswith("pytensor: not installed") for n in notes)
    assert any(n.startswith("jax: not installed") for n in notes)


def test_every_workload_has_a_target_and_peer_builders() -> None:
    names = [w.name for w in WORKLOADS]
    assert names == ["logreg_step", "mlp_step", "elementwise_chain", "rnn_forward", "rnn_grad", "call_overhead",
                     "cold_compile"]
    for w in WORKLOADS:
        assert w.targets
        for peer in peers.PEERS:
            assert peers.builder(peer, w.name) is not None
