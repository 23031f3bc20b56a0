"""``python -m refspec bench``: build every workload on every backend that runs here, time them side by
side, print one table, optionally write JSON and a PNG chart."""

from __future__ import annotations

import argparse
import gc
import os
import platform
import subprocess
import sys
import time
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from refspec.bench import peers
from refspec.bench.cold import measure_cold
from refspec.bench.report import HEADERS, PEER_BACKENDS, Cell, Report, Row, TargetResult, fmt_time, plot, table
from refspec.bench.timing import Budget, measure
from refspec.bench.workloads import WORKLOADS, Step, Target, Workload, workload

MODES = {"refspec_fast": "FAST_RUN", "refspec_reference": "REFERENCE"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    names = ", ".join(w.name for w in WORKLOADS)
    parser.add_argument("--quick", action="store_true",
                        help="fewer repetitions, the elementwise chain at 1M instead of 10M (CI smoke run)")
    parser.add_argument("--only", action="append", metavar="NAME",
                        help=f"run only this workload (repeatable, or comma-separated): {names}")
    parser.add_argument("--plot", metavar="PATH", help="write a PNG bar chart (needs matplotlib)")
    parser.add_argument("--json", metavar="PATH", help="write the results as JSON")
    parser.add_argument("--no-peers", action="store_true", help="skip PyTensor and JAX even when installed")
    parser.add_argument("--blas-threads", type=int, metavar="N",
                        help="run with N BLAS/OpenMP threads (sets OPENBLAS_NUM_THREADS, OMP_NUM_THREADS, "
                             "MKL_NUM_THREADS and re-runs the command); on a shared machine 1 gives stable numbers")


def _outputs(value: object) -> list[np.ndarray[Any, Any]]:
    if isinstance(value, (list, tuple)):
        return [np.asarray(v) for v in value]
    return [np.asarray(value)]


def _rel_diff(got: object, want: object) -> float:
    a, b = _outputs(got), _outputs(want)
    if len(a) != len(b) or any(x.shape != y.shape for x, y in zip(a, b)):
        return float("inf")
    worst = 0.0
    for x, y in zip(a, b):
        x64, y64 = x.astype(np.float64), y.astype(np.float64)
        scale = max(float(np.max(np.abs(y64), initial=0.0)), 1e-300)
        worst = max(worst, float(np.max(np.abs(x64 - y64), initial=0.0)) / scale)
    return worst


def _build(backend: str, wl: Workload, data: Any) -> Step | None:
    with warnings.catch_warnings():  # peers' advice (e.g. PyTensor on BLAS linking) is not the table's
        warnings.simplefilter("ignore")
        return _build_quietly(backend, wl, data)


def _build_quietly(backend: str, wl: Workload, data: Any) -> Step | None:
    if backend in MODES:
        return wl.refspec(data, MODES[backend])
    if backend == "numpy":
        return None if wl.numpy is None else wl.numpy(data)
    build = peers.builder(backend, wl.name)
    return None if build is None else build(data)


def _evaluate(target: Target, cells: dict[str, Cell], quick: bool) -> TargetResult:
    value = cells[target.backend].median_s if target.backend in cells else None
    if value is None:
        return TargetResult(target.text, None, f"no time for {HEADERS[target.backend]}")
    if target.full_size_only and quick:
        return TargetResult(target.text, None, "stated for the full size; --quick runs a smaller one")
    if target.peer_factor is not None:
        timed = {b: c.median_s for b in PEER_BACKENDS if (c := cells.get(b)) and c.median_s is not None}
        if not timed:
            return TargetResult(target.text, None, "no peer ran")
        best = min(timed, key=lambda b: timed[b])
        bound = target.peer_factor * timed[best]
        return TargetResult(target.text, value <= bound,
                            f"{value / timed[best]:.2f}x best peer {HEADERS[best]}", bound)
    assert target.seconds is not None
    return TargetResult(target.text, value <= target.seconds, fmt_time(value), target.seconds)


def _steady_row(wl: Workload, backends: Sequence[str], budget: Budget, quick: bool, log: bool) -> Row:
    data = wl.make_data(quick)
    cells: dict[str, Cell] = {}
    steps: dict[str, Step] = {}
    first: dict[str, object] = {}
    for backend in backends:
        try:
            step = _build(backend, wl, data)
            if step is None:
                cells[backend] = Cell(note="n/a")
                continue
            first[backend] = step()
            steps[backend] = step
        except Exception as exc:  # a peer that cannot run this workload is reported, not fatal
            cells[backend] = Cell(note=f"failed: {type(exc).__name__}")
            if log:
                print(f"  {HEADERS[backend]} failed on {wl.name}: {type(exc).__name__}: {exc}"[:300],
                      file=sys.stderr)
    floor = wl.floor(data) if wl.floor is not None else None
    timings = measure({**steps, **({"copy_floor": floor} if floor else {})}, budget)
    for backend, timing in timings.items():
        if backend != "copy_floor":
            cells[backend] = Cell(timing.median_s, timing.min_s, timing.samples, timing.loops)
    diffs = {} if wl.stateful or "numpy" not in first else {
        b: _rel_diff(out, first["numpy"]) for b, out in first.items() if b != "numpy"}
    row = Row(wl.name, wl.title_for(quick), cells, [], timings["copy_floor"].median_s if floor else None, diffs)
    del steps, first, data
    gc.collect()
    return row


def _cold_row(wl: Workload, backends: Sequence[str], quick: bool, log: bool) -> Row:
    cells: dict[str, Cell] = {}
    for backend in backends:
        if backend == "numpy":
            cells[backend] = Cell(note="n/a")
            continue
        try:
            t = measure_cold(backend, runs=2 if quick else 5)
            cells[backend] = Cell(t.median_s, t.min_s, t.samples, 1,
                                  extra={"import_s": t.import_s, "first_s": t.first_s})
        except Exception as exc:
            cells[backend] = Cell(note=f"failed: {type(exc).__name__}")
            if log:
                print(f"  {HEADERS[backend]} failed on {wl.name}: {exc}"[:300], file=sys.stderr)
    return Row(wl.name, wl.title, cells, [])


def _selected(only: Sequence[str] | None) -> list[Workload]:
    if not only:
        return list(WORKLOADS)
    return [workload(n.strip()) for item in only for n in item.split(",") if n.strip()]


THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def _machine() -> dict[str, Any]:
    return {"python": platform.python_version(), "numpy": np.__version__, "platform": platform.platform(),
            "processor": platform.processor() or platform.machine(), "cpus": os.cpu_count(),
            **{var: os.environ.get(var) for var in THREAD_VARS}}


def _threads_note() -> str:
    fixed = [f"{v}={os.environ[v]}" for v in THREAD_VARS if v in os.environ]
    if fixed:
        return "BLAS threads: " + ", ".join(fixed)
    return (f"BLAS threads: library default (all {os.cpu_count()} cores); on a loaded machine multithreaded "
            "BLAS calls can stall, --blas-threads 1 gives steadier numbers")


def _peers(with_peers: bool) -> tuple[list[str], list[str], dict[str, str]]:
    runnable, notes = peers.available() if with_peers else ([], ["peers skipped (--no-peers)"])
    described: dict[str, str] = {}
    for peer in list(runnable):
        try:
            described[peer] = peers.describe(peer)
        except Exception as exc:  # installed but broken: note it, run without it
            runnable.remove(peer)
            notes.append(f"{peer}: installed but failed to import ({type(exc).__name__}: {exc})"[:200])
    return runnable, notes, described


def run(only: Sequence[str] | None = None, quick: bool = False, with_peers: bool = True,
        command: str = "python -m refspec bench", log: bool = True) -> Report:
    selected = _selected(only)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        runnable, notes, described = _peers(with_peers)
    notes.append(_threads_note())
    backends = ["refspec_fast", "refspec_reference", "numpy", *runnable]
    budget = Budget.for_run(quick)
    rows: list[Row] = []
    for wl in selected:
        start = time.perf_counter()
        row = _cold_row(wl, backends, quick, log) if wl.cold else _steady_row(wl, backends, budget, quick, log)
        fast = row.cells.get("refspec_fast")
        for cell in row.cells.values():
            if cell.median_s is not None and fast is not None and fast.median_s:
                cell.ratio_to_fast = cell.median_s / fast.median_s
        row.targets = [_evaluate(t, row.cells, quick) for t in wl.targets]
        rows.append(row)
        if log:
            print(f"  {wl.name}: done in {time.perf_counter() - start:.1f} s", file=sys.stderr)
    if "pytensor" in runnable and "pytensor_numba" not in runnable:
        for row in rows:
            row.cells["pytensor_numba"] = Cell(note="= pytensor")
    return Report(command, quick, _machine(), described, notes, rows)


def _rerun_with_threads(n: int, argv: Sequence[str]) -> int | None:
    """Re-run ``python -m refspec <argv>`` with N BLAS threads, unless this process already has them
    (thread pools are sized when the libraries load, so it takes a fresh process)."""
    if all(os.environ.get(v) == str(n) for v in THREAD_VARS):
        return None
    env = dict(os.environ, **{v: str(n) for v in THREAD_VARS})
    return subprocess.call([sys.executable, "-m", "refspec", *argv], env=env)


def main(args: argparse.Namespace, argv: Sequence[str]) -> int:
    """Run the ``bench`` command; ``argv`` is the command line after ``python -m refspec``."""
    if args.blas_threads is not None:
        code = _rerun_with_threads(args.blas_threads, argv)
        if code is not None:
            return code
    command = "python -m refspec " + " ".join(argv)
    try:
        _selected(args.only)
    except KeyError as exc:
        print(exc.args[0], file=sys.stderr)
        return 2
    report = run(args.only, args.quick, not args.no_peers, command.strip())
    print(table(report))
    if args.json:
        from refspec.bench.report import write_json

        write_json(report, args.json)
        print(f"wrote {args.json}")
    if args.plot:
        print(plot(report, args.plot))
    return 0
