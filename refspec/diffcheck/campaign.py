"""A seeded differential campaign: many generated programs, each run on the reference and on paths.

``run_campaign(examples, seed)`` draws ``examples`` programs (``graphs.programs``) under hypothesis
with a fixed seed (no example database, no deadline: the same seed and hypothesis version draw the
same programs), runs each on the reference and on every path (``paths.compare_program``, amplified
policy) and counts what happened: every program is run, so every mismatch is counted. Then the
first failing program is drawn again (the same seed draws the same programs; the ones before it are
passed over unrun) and raised inside a second ``@given`` body so that hypothesis shrinks it; the
smallest failing program seen is bisected to its first differing node and written as a repro. Two more checks run on each program (not while shrinking):
``rewrites`` (on by default) evaluates each rewriting path's rewritten graph on the reference against
the original graph (``rewritecheck``: an *unsound rewrite* names the rules that fired), and ``grad``
checks gradients of the first ``grad_limit`` programs with float outputs of float inputs
(``graphgrad``: reverse mode and the Rop/Lop inner-product test, with kink avoidance; skips are
counted by reason, never as failures; the first wrong gradient is written as a repro checking it
with ``verify_grad``, ``gradrepro``). With ``builder`` (a user's function returning a compiled
``Function`` or ``(inputs, outputs)``) the campaign is ``check()`` on that graph instead.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field

from hypothesis import HealthCheck, Phase, Verbosity, given, settings
from hypothesis import seed as hypothesis_seed

from refspec.ast import Op, Variable
from refspec.compile.function import Function
from refspec.compile.program import Program
from refspec.diffcheck.bisect import first_difference
from refspec.diffcheck.check import CheckReport, check
from refspec.diffcheck.gradrepro import gradient_repro
from refspec.diffcheck.graphgrad import GradVerdict, check_case_gradient, gradient_problem
from refspec.diffcheck.graphs import FEATURES, Case, programs
from refspec.diffcheck.repro import make_repro
from refspec.diffcheck.paths import Comparison, Mismatch, Outcome, compare_program, compile_path, program_of
from refspec.diffcheck.rewritecheck import check_rewrites, rewrites_anything

Built = Function | tuple[Sequence[Variable], Sequence[Variable] | Variable]
GRAD_LIMIT = 200  # programs whose gradients a campaign checks, at most (each costs a few compilations)
KEEP = 5  # failure descriptions kept per kind
SEARCH = 20  # draws past the first failing one that the shrinking pass may look at, at most
SHRINK_SECONDS = 20.0  # shrinking stops here; the smallest failing program seen so far is kept
JsonValue = int | float | str | bool | None | list["JsonValue"] | dict[str, "JsonValue"]


class _Found(Exception):
    """Raised in the ``@given`` body on a mismatch, so that hypothesis shrinks the program."""


class _Stop(BaseException):
    """Ends the campaign early (time limit); a BaseException, so hypothesis does not shrink it."""


@dataclass
class CampaignReport:
    """The counts of a campaign, its per-op x dtype pass matrix and the first mismatch's repro."""

    seed: int
    paths: tuple[str, ...]
    requested: int
    graphs: int = 0
    passed: int = 0
    mismatches: int = 0
    refinements: int = 0  # values that differ only as a declared refinement allows
    errors_agreed: int = 0  # programs where the reference and every path raised the same class
    seconds: float = 0.0
    stopped_early: bool = False  # the time limit ended the campaign
    matrix: dict[str, dict[str, list[int]]] = field(default_factory=dict)  # op -> dtype -> [passed, failed]
    n_nodes: list[int] = field(default_factory=list)
    features: dict[str, int] = field(default_factory=dict)
    first_mismatch: str | None = None
    first_node: str | None = None  # the first differing node of the shrunk program
    repro: str | None = None
    repro_nodes: int | None = None
    repro_max_elements: int | None = None
    repro_verified: bool = False
    shrunk_nodes: int | None = None  # the size of the program the repro was made from
    check: CheckReport | None = None  # for a user's graph (``builder``)
    rewrites_checked: int = 0  # programs with a rewritten graph, compared with theirs on the reference
    unsound_rewrites: int = 0
    unsound: list[str] = field(default_factory=list)  # the first few, with the rules that fired
    grad_checked: int = 0  # programs whose gradient was checked and passed or failed
    grad_failed: int = 0  # a wrong gradient
    grad_errors: int = 0  # grad raised on a well-typed graph
    grad_skipped: dict[str, int] = field(default_factory=dict)  # reason -> programs
    grad_failures: list[str] = field(default_factory=list)  # the first few: ops and the error
    grad_repro: str | None = None  # a pytest file checking the first wrong gradient with verify_grad
    grad_repro_nodes: int | None = None
    grad_repro_verified: bool = False

    @property
    def ok(self) -> bool:
        return (self.mismatches == 0 and self.unsound_rewrites == 0 and self.grad_failed == 0
                and self.grad_errors == 0 and (self.check is None or self.check.passed))

    @property
    def graphs_per_minute(self) -> float:
        return 60.0 * self.graphs / self.seconds if self.seconds > 0 else 0.0

    @property
    def median_nodes(self) -> float:
        return float(statistics.median(self.n_nodes)) if self.n_nodes else 0.0

    def feature_fractions(self) -> dict[str, float]:
        return {name: self.features.get(name, 0) / self.graphs if self.graphs else 0.0 for name in sorted(FEATURES)}

    def to_json(self) -> dict[str, JsonValue]:
        """A dict fit for ``json.dump``."""
        matrix: dict[str, JsonValue] = {
            op: {dtype: list[JsonValue](counts) for dtype, counts in sorted(per.items())}
            for op, per in sorted(self.matrix.items())}
        out: dict[str, JsonValue] = {
            "seed": self.seed, "paths": list(self.paths), "requested": self.requested, "graphs": self.graphs,
            "passed": self.passed, "mismatches": self.mismatches, "refinements": self.refinements,
            "errors_agreed": self.errors_agreed, "seconds": round(self.seconds, 3),
            "graphs_per_minute": round(self.graphs_per_minute, 1), "stopped_early": self.stopped_early,
            "median_nodes": self.median_nodes,
            "features": {k: round(v, 4) for k, v in self.feature_fractions().items()},
            "matrix": matrix, "first_mismatch": self.first_mismatch, "first_node": self.first_node,
            "repro": self.repro, "repro_nodes": self.repro_nodes, "repro_max_elements": self.repro_max_elements,
            "repro_verified": self.repro_verified, "shrunk_nodes": self.shrunk_nodes, "ok": self.ok,
            "rewrites_checked": self.rewrites_checked, "unsound_rewrites": self.unsound_rewrites,
            "unsound": list[JsonValue](self.unsound), "grad_checked": self.grad_checked,
            "grad_failed": self.grad_failed, "grad_errors": self.grad_errors,
            "grad_skipped": dict[str, JsonValue](sorted(self.grad_skipped.items())),
            "grad_failures": list[JsonValue](self.grad_failures), "grad_repro": self.grad_repro,
            "grad_repro_nodes": self.grad_repro_nodes, "grad_repro_verified": self.grad_repro_verified,
        }
        if self.check is not None:
            out["check"] = str(self.check)
        return out

    def __str__(self) -> str:
        head = "passed" if self.ok else "FAILED"
        lines = [f"diffcheck campaign {head}: seed {self.seed}, {', '.join(self.paths)} vs REFERENCE"]
        if self.check is not None:
            return "\n".join(lines + [str(self.check)])
        rows = [("graphs run", f"{self.graphs}" + (" (time limit)" if self.stopped_early else "")),
                ("passed", str(self.passed)), ("mismatches", str(self.mismatches)),
                ("refinements", str(self.refinements)), ("errors agreed", str(self.errors_agreed)),
                ("graphs per minute", f"{self.graphs_per_minute:.0f}"),
                ("median nodes", f"{self.median_nodes:g}"),
                ("rewrites checked / unsound", f"{self.rewrites_checked} / {self.unsound_rewrites}")]
        if self.grad_checked or self.grad_skipped or self.grad_errors:
            skipped = ", ".join(f"{k} {v}" for k, v in sorted(self.grad_skipped.items()))
            rows.append(("gradients checked / failed / errors",
                         f"{self.grad_checked} / {self.grad_failed} / {self.grad_errors}"))
            rows.append(("gradients skipped", f"{sum(self.grad_skipped.values())} ({skipped})"))
        rows += [(f"  {name}", f"{100 * frac:.1f}%") for name, frac in self.feature_fractions().items()]
        failing = sorted(op for op, per in self.matrix.items() if any(c[1] for c in per.values()))
        rows.append(("ops / failing ops", f"{len(self.matrix)} / {len(failing)}"))
        width = max(len(r[0]) for r in rows)
        lines += [f"  {name.ljust(width)}  {value}" for name, value in rows]
        if failing:
            lines.append("  failing: " + ", ".join(
                f"{op}[{','.join(d for d, c in sorted(self.matrix[op].items()) if c[1])}]" for op in failing))
        lines += self.unsound + [f"gradient: {g}" for g in self.grad_failures]
        if self.grad_repro is not None:
            lines.append(f"gradient repro ({self.grad_repro_nodes} nodes"
                         + ("" if self.grad_repro_verified else ", not verified") + "):")
            lines.append(self.grad_repro.rstrip("\n"))
        if self.first_mismatch is not None:
            lines.append(f"first mismatch: {self.first_mismatch}")
        if self.first_node is not None:
            lines.append(self.first_node)
        if self.repro is not None:
            lines.append(f"repro ({self.repro_nodes} nodes, <= {self.repro_max_elements} elements per input"
                         + ("" if self.repro_verified else ", not verified") + "):")
            lines.append(self.repro.rstrip("\n"))
        return "\n".join(lines)


def compare_case(case: Case, paths: Sequence[str],
                 compiled: dict[str, Function] | None = None) -> tuple[Program, Comparison]:
    """Run ``case`` on the reference and each path from its initial state (a crash while compiling
    counts as a mismatch of the path that crashed); ``compiled`` receives each path's function."""
    case.reset()
    program = program_of(case.inputs, case.outputs, case.updates, case.givens)
    try:
        result = compare_program(program, case.arguments(), 1, paths, compiled=compiled, amplified=True)
    except Exception as exc:  # noqa: BLE001 - a crash is a finding, not the campaign's end
        empty = Outcome(None, type(exc), [], "")
        result = Comparison(empty, {}, [Mismatch(",".join(paths), "compile", f"{type(exc).__name__}: {exc}")], [])
    return program, result


def _record(report: CampaignReport, case: Case, result: Comparison) -> None:
    report.graphs += 1
    report.n_nodes.append(case.n_nodes)
    for name in case.features:
        report.features[name] = report.features.get(name, 0) + 1
    report.refinements += len(result.refinements)
    ok = result.passed
    report.passed += ok
    report.mismatches += not ok
    ref = result.reference
    if ok and ref.error is not None and all(o.error is ref.error for o in result.outcomes.values()):
        report.errors_agreed += 1
    for op, dtypes in case.dtypes.items():
        per = report.matrix.setdefault(op.value, {})
        for dtype in dtypes:
            per.setdefault(dtype, [0, 0])[0 if ok else 1] += 1


def _check_rewrites(report: CampaignReport, case: Case, program: Program, compiled: dict[str, Function],
                    paths: Sequence[str]) -> None:
    """The rewritten graph of each rewriting path (FAST_RUN's, compiled here if no path is
    FAST_RUN) against the original, on the reference, from the case's initial state."""
    names = [p for p in paths if p in compiled] or ["FAST_RUN"]
    checked = False
    for path in names:
        try:
            f = compiled[path] if path in compiled else compile_path(program, path)
        except Exception:  # noqa: BLE001 - a crash while compiling is the differential check's finding
            continue
        if not rewrites_anything(f):
            continue
        case.reset()
        found = check_rewrites(f, case.arguments(), path)
        checked = True
        if found is not None:
            report.unsound_rewrites += 1
            if len(report.unsound) < KEEP:
                report.unsound.append(str(found))
            break
    case.reset()
    report.rewrites_checked += checked


def _check_gradient(report: CampaignReport, case: Case, seed: int) -> None:
    verdict = check_case_gradient(case, seed)
    if verdict.status == "skipped":
        report.grad_skipped[verdict.reason] = report.grad_skipped.get(verdict.reason, 0) + 1
        return
    report.grad_checked += verdict.status != "error"
    report.grad_failed += verdict.status == "failed"
    report.grad_errors += verdict.status == "error"
    if verdict.status != "checked" and len(report.grad_failures) < KEEP:
        report.grad_failures.append(verdict.message)
    if verdict.status == "failed" and report.grad_failed == 1:  # the first wrong gradient only
        _explain_gradient(report, case, verdict.message)


def _explain_gradient(report: CampaignReport, case: Case, message: str) -> None:
    """Write the first wrong gradient's repro (a note instead if none can be written)."""
    case.reset()
    try:
        problem = gradient_problem(case)
        repro, note = (None, "no gradient repro: skipped") if isinstance(problem, GradVerdict) else \
            gradient_repro(problem, message)
    finally:
        case.reset()
    if repro is None:
        report.grad_failures.append(note)
        return
    report.grad_repro, report.grad_repro_nodes, report.grad_repro_verified = repro.text, repro.nodes, repro.verified


def _size(case: Case) -> tuple[int, int]:
    return case.n_nodes, max((int(v.size) for v in case.values + case.shared_values), default=0)


def _explain(report: CampaignReport, case: Case, paths: Sequence[str]) -> None:
    """Bisect the smallest failing program and write its repro."""
    program, result = compare_case(case, paths)
    report.shrunk_nodes = case.n_nodes
    if result.mismatches:  # the first, and any node a node-by-node check found at fault
        shown = result.mismatches[:1] + [m for m in result.mismatches[1:] if m.what == "node alone"]
        report.first_mismatch = "\n".join(str(m) for m in shown)
    case.reset()
    try:
        first = first_difference(program, case.arguments(), 1, paths, amplified=True)
        case.reset()
        repro = make_repro(program, case.arguments(), first, 1, paths, amplified=True)
    except Exception as exc:  # noqa: BLE001 - the mismatch stands without its explanation
        report.first_node = f"no bisection: {type(exc).__name__}: {exc}"
        return
    finally:
        case.reset()
    if first is not None:
        report.first_node = str(first)
    if repro is not None:
        report.repro, report.repro_nodes, report.repro_verified = repro.text, repro.nodes, repro.verified
        report.repro_max_elements = repro.max_elements


def run_campaign(examples: int, seed: int = 0, ops: Collection[Op] | None = None,
                 paths: Sequence[str] = ("FAST_RUN",), progress: bool = False,
                 builder: Callable[[], Built] | None = None, time_limit: float | None = None,
                 max_nodes: int = 40, shrink_seconds: float = SHRINK_SECONDS, grad: bool = False,
                 rewrites: bool = True, grad_limit: int = GRAD_LIMIT,
                 max_mismatches: int | None = None) -> CampaignReport:
    """Draw ``examples`` programs for ``seed`` (focused on ``ops`` if given), run each on the
    reference and on ``paths``, shrink the first mismatch and report (see the module docstring).
    ``time_limit`` (seconds) ends the campaign early, ``shrink_seconds`` the shrinking of a failing
    program; ``builder`` checks a user's graph instead. ``rewrites`` compares each rewritten graph
    with the original on the reference; ``grad`` checks gradients (at most ``grad_limit`` programs
    counted as checked, skips aside). ``max_mismatches`` ends the drawing after that many mismatches
    (to find a bug fast rather than count it)."""
    report = CampaignReport(seed, tuple(paths), examples)
    start = time.perf_counter()
    if builder is not None:
        report.check = _check_built(builder(), examples, seed, paths)
        report.graphs, report.passed = 1, int(report.check.passed)
        report.mismatches = int(not report.check.passed)
        report.seconds = time.perf_counter() - start
        if report.check.repro is not None:
            r = report.check.repro
            report.repro, report.repro_nodes, report.repro_verified = r.text, r.nodes, r.verified
            report.repro_max_elements = r.max_elements
        return report
    bar = _bar(examples) if progress else None
    first: list[tuple[int, Case]] = []  # the first failing program and its place in the draws

    def draw(case: Case) -> None:  # every program is run and counted, failing or not
        if report.graphs >= examples or (time_limit is not None and time.perf_counter() - start > time_limit):
            report.stopped_early = report.graphs < examples
            raise _Stop
        compiled: dict[str, Function] = {}
        program, result = compare_case(case, paths, compiled)
        _record(report, case, result)
        if rewrites:
            _check_rewrites(report, case, program, compiled, paths)
        if grad and report.grad_checked + report.grad_errors < grad_limit:
            _check_gradient(report, case, seed * 1_000_003 + report.graphs)
        if bar is not None:
            bar.update(1)
        if not result.passed and not first:
            first.append((report.graphs - 1, case))
        if max_mismatches is not None and report.mismatches >= max_mismatches:
            report.stopped_early = report.graphs < examples
            raise _Stop

    try:
        _hypothesis_run(draw, seed, examples, ops, max_nodes, shrink=False)
    finally:
        if bar is not None:
            bar.close()
    report.seconds = time.perf_counter() - start
    if first:
        _explain(report, _shrink(first[0], seed, examples, ops, max_nodes, paths, shrink_seconds), paths)
    return report


def _hypothesis_run(test: Callable[[Case], None], seed: int, examples: int, ops: Collection[Op] | None,
                    max_nodes: int, shrink: bool) -> None:
    """``test`` on the programs ``seed`` draws (the same sequence on every run), shrinking the first
    program it raises ``_Found`` for when ``shrink``; returns when ``test`` raises ``_Stop``, the
    draws run out, or shrinking ends."""

    @hypothesis_seed(seed)
    @settings(database=None, deadline=None, max_examples=max(examples, 1), derandomize=False,
              phases=(Phase.generate, Phase.shrink) if shrink else (Phase.generate,),
              suppress_health_check=list(HealthCheck), verbosity=Verbosity.quiet, report_multiple_bugs=False)
    @given(programs(ops, max_nodes=max_nodes))
    def body(case: Case) -> None:
        test(case)

    try:
        body()
    except _Stop:
        pass
    except _Found:
        pass


def _shrink(found: tuple[int, Case], seed: int, examples: int, ops: Collection[Op] | None, max_nodes: int,
            paths: Sequence[str], seconds: float) -> Case:
    """The smallest failing program hypothesis finds from the first failing one, drawn again: the
    same seed draws the same programs, so the first ``index`` draws are passed over unrun. Shrinking
    stops after ``seconds``; if the draws no longer meet a failing program (another hypothesis
    state), the first one is returned as it was."""
    index, case = found
    failing: list[Case] = []
    draws = 0
    deadline = float("inf")  # set when shrinking starts

    def again(candidate: Case) -> None:
        nonlocal draws, deadline
        if failing:  # shrinking: only whether this smaller program still fails matters
            if time.perf_counter() > deadline:
                raise _Stop
        else:
            draws += 1
            if draws <= index:
                return
            if draws > index + SEARCH:
                raise _Stop
        _, result = compare_case(candidate, paths)
        if not result.passed:
            if not failing:
                deadline = time.perf_counter() + seconds
            failing.append(candidate)
            raise _Found

    try:
        _hypothesis_run(again, seed, examples, ops, max_nodes, shrink=True)
    except Exception:  # noqa: BLE001 - hypothesis' Flaky when a replay passes: keep what was found
        pass
    return min(failing, key=_size) if failing else case


def _check_built(built: Built, examples: int, seed: int, paths: Sequence[str]) -> CheckReport:
    if isinstance(built, Function):
        return check(built, examples=examples, seed=seed, paths=paths)
    inputs, outputs = built
    return check(outputs, list(inputs), examples=examples, seed=seed, paths=paths)


class _Bar:
    """The part of a tqdm bar the campaign uses."""

    def __init__(self, total: int) -> None:
        from tqdm import tqdm

        self._bar = tqdm(total=total, unit="graph", desc="diffcheck")

    def update(self, n: int) -> None:
        self._bar.update(n)

    def close(self) -> None:
        self._bar.close()


def _bar(total: int) -> _Bar:
    return _Bar(total)
