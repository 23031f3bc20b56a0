"""Cold compile time: the logistic regression step built, compiled and called once in a fresh process.

Each run is a fresh ``python -c`` process that prints one JSON line: ``import_s`` (importing the library),
``compile_s`` (graph construction + compilation + the first call, the data made beforehand). On-disk
caches a library keeps between processes (PyTensor's compiledir, numba's cache) stay as a user's
second run of a script would find them.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

WORKLOAD = "cold_compile"


@dataclass(frozen=True)
class ColdTiming:
    median_s: float
    min_s: float
    samples: int
    import_s: float  # median time to import the backend's library, not part of median_s
    first_s: float  # the discarded first run (fills on-disk caches where a library keeps them)


def _import(backend: str) -> None:
    if backend.startswith("pytensor"):
        import pytensor  # noqa: F401
    elif backend == "jax":
        import jax  # noqa: F401
    import refspec  # noqa: F401


_SCRIPT = ("import sys, time; start = time.perf_counter(); from refspec.bench.cold import run_once; "
           "run_once(sys.argv[1], start)")


def run_once(backend: str, start: float) -> None:
    """In this (fresh) process, timed from ``start`` (before refspec was imported): import, make the
    data, then time build + compile + first call; prints the JSON line."""
    _import(backend)
    from refspec.bench import peers
    from refspec.bench.workloads import logreg_data, logreg_refspec

    import_s = time.perf_counter() - start
    data = logreg_data()
    start = time.perf_counter()
    if backend.startswith("refspec_"):
        step = logreg_refspec(data, "FAST_RUN" if backend == "refspec_fast" else "REFERENCE")
    else:
        build = peers.builder(backend, WORKLOAD)
        assert build is not None
        step = build(data)
    step()
    print(json.dumps({"import_s": import_s, "compile_s": time.perf_counter() - start}))


def measure_cold(backend: str, runs: int, timeout_s: float = 300.0) -> ColdTiming:
    """Median over ``runs`` fresh processes (one extra, discarded, run first fills on-disk caches)."""
    root = str(Path(__file__).resolve().parents[2])
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")])))
    results: list[dict[str, float]] = []
    for _ in range(runs + 1):
        proc = subprocess.run([sys.executable, "-c", _SCRIPT, backend], capture_output=True,
                              text=True, env=env, timeout=timeout_s, check=False)
        if proc.returncode != 0:
            raise RuntimeError(f"cold compile for {backend} failed: {proc.stderr.strip()[-400:]}")
        results.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    compile_s = [r["compile_s"] for r in results[1:]]
    return ColdTiming(statistics.median(compile_s), min(compile_s), len(compile_s),
                      statistics.median(r["import_s"] for r in results[1:]), results[0]["compile_s"])

