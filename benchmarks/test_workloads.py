"""The issue-5 workloads under pytest-benchmark: ``pytest benchmarks --benchmark-only``.

Same workloads and builders as ``python -m refspec bench`` (refspec/bench/), one benchmark per workload
and backend: refspec FAST_RUN and REFERENCE, hand-written numpy, and PyTensor / JAX when installed
(skipped otherwise). ``python -m refspec bench`` prints the side-by-side table with ratios and targets;
this suite gives pytest-benchmark's statistics and history. Set ``REFSPEC_BENCH_QUICK=1`` for the small
sizes of ``--quick``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from pytest_benchmark.fixture import BenchmarkFixture

from refspec.bench import peers
from refspec.bench.cold import _SCRIPT
from refspec.bench.workloads import WORKLOADS, Step, Workload

QUICK = os.environ.get("REFSPEC_BENCH_QUICK") == "1"
STEADY = [w for w in WORKLOADS if not w.cold]
BACKENDS = ["refspec_fast", "refspec_reference", "numpy", *peers.PEERS]
ROOT = Path(__file__).resolve().parents[1]


def _runnable() -> list[str]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return peers.available()[0]


def _step(wl: Workload, backend: str) -> Step:
    data = wl.make_data(QUICK)
    if backend in ("refspec_fast", "refspec_reference"):
        return wl.refspec(data, "FAST_RUN" if backend == "refspec_fast" else "REFERENCE")
    if backend == "numpy":
        if wl.numpy is None:
            pytest.skip("no numpy version")
        return wl.numpy(data)
    if backend not in _runnable():
        pytest.skip(f"{backend} not installed (or the same as another column)")
    build = peers.builder(backend, wl.name)
    assert build is not None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return build(data)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("wl", STEADY, ids=[w.name for w in STEADY])
def test_workload(benchmark: BenchmarkFixture, wl: Workload, backend: str) -> None:
    step = _step(wl, backend)
    step()  # compile / warm up outside the timer
    benchmark.group = wl.name
    benchmark.extra_info["targets"] = [t.text for t in wl.targets]
    benchmark(step)


def test_copy_floor(benchmark: BenchmarkFixture) -> None:
    """The elementwise chain's floor: one copy of its input."""
    chain = next(w for w in WORKLOADS if w.floor is not None)
    assert chain.floor is not None
    benchmark.group = chain.name
    benchmark(chain.floor(chain.make_data(QUICK)))


@pytest.mark.parametrize("backend", ["refspec_fast", "refspec_reference", *peers.PEERS])
def test_cold_compile_process(benchmark: BenchmarkFixture, backend: str) -> None:
    """A whole fresh process (interpreter start, imports, build, compile, first call) for the logistic
    regression step; extra_info holds the compile part alone, which is what the table reports."""
    if backend not in ("refspec_fast", "refspec_reference") and backend not in _runnable():
        pytest.skip(f"{backend} not installed (or the same as another column)")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    compile_s: list[float] = []

    def fresh_process() -> None:
        proc = subprocess.run([sys.executable, "-c", _SCRIPT, backend], capture_output=True, text=True,
                              env=env, check=True)
        compile_s.append(json.loads(proc.stdout.strip().splitlines()[-1])["compile_s"])

    fresh_process()  # fills on-disk caches, as the table's discarded first run does
    benchmark.group = "cold_compile"
    benchmark.pedantic(fresh_process, rounds=3, iterations=1)
    benchmark.extra_info["compile_s"] = sorted(compile_s[1:])
