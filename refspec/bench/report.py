"""The results of a run and how they are shown: one text table (medians, ratios to refspec fast, the
issue's targets), a JSON document, and an optional PNG bar chart (matplotlib, when installed)."""

from __future__ import annotations

import importlib
import importlib.util
import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

BACKENDS = ("refspec_fast", "refspec_reference", "numpy", "pytensor", "pytensor_numba", "pytensor_c", "jax")
HEADERS = {"refspec_fast": "refspec fast", "refspec_reference": "refspec ref", "numpy": "numpy",
           "pytensor": "pytensor", "pytensor_numba": "pt numba", "pytensor_c": "pt c (CVM)", "jax": "jax jit"}
PEER_BACKENDS = ("numpy", "pytensor", "pytensor_numba", "pytensor_c", "jax")


@dataclass
class Cell:
    median_s: float | None = None
    min_s: float | None = None
    samples: int = 0
    loops: int = 0
    ratio_to_fast: float | None = None
    note: str | None = None  # why there is no time: not installed, failed, same as another column
    extra: dict[str, float] = field(default_factory=dict)  # cold compile: import_s, first_s


@dataclass
class TargetResult:
    text: str
    met: bool | None  # None: not applicable in this run (peer missing, --quick size)
    detail: str
    bound_s: float | None = None  # the bound in seconds, where the target gives one for this run


@dataclass
class Row:
    name: str
    title: str
    cells: dict[str, Cell]
    targets: list[TargetResult]
    copy_floor_s: float | None = None
    max_rel_diff_vs_numpy: dict[str, float] = field(default_factory=dict)


@dataclass
class Report:
    command: str
    quick: bool
    machine: dict[str, Any]
    peers: dict[str, str]
    notes: list[str]
    rows: list[Row]

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = _finite(asdict(self))
        return out


def _finite(value: Any) -> Any:
    """JSON has no inf/nan: they become null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def fmt_time(seconds: float | None) -> str:
    if seconds is None or not math.isfinite(seconds):
        return "-"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6), ("ns", 1e-9)):
        if seconds >= scale or unit == "ns":
            value = seconds / scale
            return f"{value:.3g} {unit}" if value < 1000 else f"{value:.0f} {unit}"
    raise AssertionError("unreachable")


def _cell_text(cell: Cell | None) -> str:
    if cell is None:
        return "-"
    if cell.median_s is None:
        return cell.note or "-"
    ratio = "" if cell.ratio_to_fast is None else f" {cell.ratio_to_fast:.2f}x"
    return fmt_time(cell.median_s) + ratio


def _target_text(targets: list[TargetResult]) -> str:
    marks = {True: "met", False: "MISSED", None: "n/a"}
    return "; ".join(f"{t.text}: {marks[t.met]}{f' ({t.detail})' if t.detail else ''}" for t in targets)


def table(report: Report) -> str:
    columns = [b for b in BACKENDS if any(b in row.cells for row in report.rows)]
    header = ["workload", *(HEADERS[b] for b in columns), "target (issue 5)"]
    body = [[row.title, *(_cell_text(row.cells.get(b)) for b in columns), _target_text(row.targets)]
            for row in report.rows]
    widths = [max(len(line[i]) for line in [header, *body]) for i in range(len(header))]
    sep = "-+-".join("-" * w for w in widths)

    def line(cells: list[str]) -> str:
        return " | ".join(c.ljust(w) if i in (0, len(cells) - 1) else c.rjust(w)
                          for i, (c, w) in enumerate(zip(cells, widths))).rstrip()

    out = [line(header), sep, *(line(b) for b in body)]
    out.append("cells: median time per call, then the ratio to refspec fast (>1.00x: slower than refspec "
               "fast); medians of interleaved samples in this one run")
    for row in report.rows:
        if row.copy_floor_s is not None:
            out.append(f"{row.title}: copy floor (x.copy()) {fmt_time(row.copy_floor_s)}")
        cold = [f"{HEADERS[b]} {fmt_time(c.extra['import_s'])}" for b, c in row.cells.items() if "import_s" in c.extra]
        if cold:
            out.append(f"{row.title}: fresh-process import times, not counted: " + ", ".join(cold))
        bad = {b: d for b, d in row.max_rel_diff_vs_numpy.items() if not d <= 1e-6}
        if bad:
            out.append(f"WARNING {row.title}: outputs differ from numpy's: "
                       + ", ".join(f"{HEADERS[b]} rel. diff {d:.2g}" for b, d in bad.items()))
    out.extend(f"{HEADERS[peer]}: {text}" for peer, text in report.peers.items())
    out.extend(f"note: {n}" for n in report.notes)
    return "\n".join(out)


def write_json(report: Report, path: str) -> None:
    Path(path).write_text(json.dumps(report.to_json(), indent=2, allow_nan=False, default=str) + "\n")


def plot(report: Report, path: str) -> str:
    """Write a PNG bar chart (one panel per workload, log-scale time); returns a line for the user."""
    if importlib.util.find_spec("matplotlib") is None:
        return f"--plot {path}: matplotlib is not installed (pip install matplotlib); no chart written"
    matplotlib = importlib.import_module("matplotlib")
    matplotlib.use("Agg")
    plt = importlib.import_module("matplotlib.pyplot")
    rows = [r for r in report.rows if any(c.median_s is not None for c in r.cells.values())]
    ncols = 2
    nrows = max(1, math.ceil(len(rows) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(12, 2.6 * nrows), squeeze=False)
    for ax, row in zip(axes.flat, rows):
        names = [b for b in BACKENDS if b in row.cells and row.cells[b].median_s is not None]
        times = [float(row.cells[b].median_s or 0.0) * 1e3 for b in names]
        colors = ["tab:red" if b == "refspec_fast" else "tab:orange" if b == "refspec_reference" else "tab:gray"
                  for b in names]
        ax.barh([HEADERS[b] for b in names], times, color=colors)
        ax.set_xscale("log")
        ax.invert_yaxis()
        ax.set_title(row.title, fontsize=9)
        ax.set_xlabel("ms per call (log scale)", fontsize=8)
        ax.tick_params(labelsize=8)
        for t in row.targets:
            if t.bound_s is not None:
                ax.axvline(t.bound_s * 1e3, color="tab:green", linestyle="--", linewidth=1)
    for ax in list(axes.flat)[len(rows):]:
        ax.axis("off")
    fig.suptitle("refspec benchmarks" + (" (--quick)" if report.quick else "") + "; dashed: target", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return f"wrote {path}"
