"""``refspec.diffcheck.check``: a differential and gradient check of a user's own graph.

It draws input values matching the input types (hypothesis, seeded: the same seed draws the same
examples), runs the program on the reference and on each path from the same state, and compares them
(``refspec.diffcheck.paths``). Unknown lengths are drawn once per axis position (counted from the
right, as broadcasting aligns them) and shared by every input, so that graphs combining inputs mostly
see compatible shapes; ``shapes=`` and ``strategies=`` override the draws per input (or per shared
variable, whose current value is used otherwise). Then, for a few points without special values, the
gradient of the sum of each float output with respect to every float input and float shared variable
is checked with ``verify_grad`` and compared between paths. The first disagreement is bisected to the
node that differs, with a repro. The user's shared values are left as they were.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from hypothesis import HealthCheck, Phase, Verbosity, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st

from refspec.ast import Array, Container, Variable
from refspec.compile.function import Function
from refspec.compile.program import Program
from refspec.diffcheck.bisect import FirstDifference, first_difference
from refspec.diffcheck.compare import compare_arrays
from refspec.diffcheck.gradrepro import gradient_repro
from refspec.diffcheck.gradients import GradientCheck, GradientOutcome
from refspec.diffcheck.draws import Inputs, Shapes, Strategies
from refspec.diffcheck.paths import (
    REFERENCE,
    Comparison,
    Mismatch,
    compare_program,
    compile_path,
    program_of,
    restore,
    snapshot,
    state_of,
)
from refspec.diffcheck.repro import Repro, make_repro



@dataclass
class WorstError:
    """The largest difference seen in one value: absolute, and in ulps of the reference."""

    max_abs: float = 0.0
    max_ulp: float = 0.0


@dataclass
class CheckReport:
    """What ``check`` found. ``mismatches`` counts examples with at least one disagreement (or a
    broken audit); ``refinements`` counts values that differ only as a declared refinement allows."""

    passed: bool
    examples: int
    paths: tuple[str, ...]
    mismatches: int = 0
    refinements: int = 0
    raised: int = 0  # examples where the reference raised (a hint that the draws miss the domain)
    gradient_checks: int = 0
    gradient_failures: int = 0
    gradient_skipped: int = 0  # points where a finite-difference check says nothing (kinks, inf, nan)
    worst: dict[str, WorstError] = field(default_factory=dict)
    first_mismatch: Mismatch | None = None
    first_difference: FirstDifference | None = None
    repro: Repro | None = None
    gradient_repro: Repro | None = None  # the first wrong gradient, checked with verify_grad
    notes: list[str] = field(default_factory=list)  # gradient failures and audits, in order

    def __str__(self) -> str:
        head = "passed" if self.passed else "FAILED"
        lines = [
            f"diffcheck {head}: {self.examples} examples, {', '.join(self.paths)} vs {REFERENCE}: "
            f"{self.mismatches} mismatches, {self.refinements} refinements, {self.gradient_failures} "
            f"gradient failures ({self.gradient_checks} gradient checks, {self.gradient_skipped} skipped)"
        ]
        if self.raised:
            lines.append(f"the reference raised in {self.raised} examples (give shapes= or strategies= to "
                         "draw inputs it accepts)")
        if self.worst:
            lines.append("worst error: " + ", ".join(
                f"{label} {w.max_abs:.3g} ({w.max_ulp:.3g} ulp)" for label, w in self.worst.items()))
        if self.first_mismatch is not None:
            lines.append(f"first mismatch: {self.first_mismatch}")
        if self.first_difference is not None:
            lines.append(str(self.first_difference))
        lines += self.notes[:5]
        if self.repro is not None:
            verified = "" if self.repro.verified else ", not verified"
            lines.append(f"repro ({self.repro.scope}, {self.repro.lines} lines{verified}):")
            lines.append(self.repro.text.rstrip("\n"))
        if self.gradient_repro is not None:
            verified = "" if self.gradient_repro.verified else ", not verified"
            lines.append(f"gradient repro ({self.gradient_repro.lines} lines{verified}):")
            lines.append(self.gradient_repro.text.rstrip("\n"))
        return "\n".join(lines)


@dataclass
class _Failure:
    """The first failing example: which program, its values and shared values, how many calls."""

    program: Program
    values: list[Array]
    shared: list[Array]
    mismatch: Mismatch
    calls: int


def _settings(examples: int) -> settings:
    return settings(max_examples=max(examples, 1), database=None, deadline=None, derandomize=False,
                    phases=(Phase.generate,), suppress_health_check=list(HealthCheck),
                    verbosity=Verbosity.quiet)


def check(
    f_or_outputs: Function | Variable | Sequence[Variable],
    inputs: Sequence[Variable] | None = None,
    *,
    examples: int = 50,
    seed: int = 0,
    strategies: Strategies | None = None,
    shapes: Shapes | None = None,
    grad: bool = True,
    paths: Sequence[str] = ("FAST_RUN",),
    updates: object = None,
    givens: object = None,
    calls: int = 1,
    grad_examples: int = 5,
) -> CheckReport:
    """Check a compiled function (or ``outputs`` of ``inputs``, with optional ``updates`` and
    ``givens``) on ``examples`` drawn inputs: each path against the reference, then gradients.
    ``calls`` calls per example (for state carried between calls). The draws run a hypothesis
    ``@given`` of their own: inside another ``@given`` test, suppress its
    ``HealthCheck.nested_given``."""
    if isinstance(f_or_outputs, Function):
        if inputs is not None or updates is not None or givens is not None:
            raise TypeError("check(f) takes a compiled function alone: its program has the inputs")
        program = f_or_outputs.program
    else:
        if inputs is None:
            raise TypeError("check(outputs, inputs): the inputs are needed to compile the outputs")
        program = program_of(inputs, f_or_outputs, updates, givens)
    state = state_of(program)
    originals = [c.value for _, c in state]
    before = snapshot(state)
    try:
        return _check(program, before, examples, seed, strategies, shapes, grad, tuple(paths), calls, grad_examples)
    finally:
        for (_, c), original, saved in zip(state, originals, before):
            if compare_arrays(saved, original) is not None and original.flags.writeable:
                np.copyto(original, saved)  # a path wrote into the user's array: put it back
            c.value = original


def _check(program: Program, before: list[Array], examples: int, seed: int, strategies: Strategies | None,
           shapes: Shapes | None, grad: bool, paths: tuple[str, ...], calls: int, grad_examples: int) -> CheckReport:
    report = CheckReport(True, 0, paths)
    state = state_of(program)
    failure: list[_Failure] = []
    compiled = _compile(program, paths, report)
    if compiled is None:
        report.passed = False
        return report
    drawer = Inputs(program, strategies, shapes)
    gradients = GradientCheck(program, paths) if grad else None

    def record(result: Comparison, prog: Program, values: list[Array], shared: list[Array], prefix: str,
               n_calls: int) -> bool:
        report.refinements += len(result.refinements)
        if result.mismatches and report.first_mismatch is None:
            m = result.mismatches[0]
            report.first_mismatch = Mismatch(m.path, prefix + m.what, m.message, m.difference)
            failure.append(_Failure(prog, values, shared, report.first_mismatch, n_calls))
        return not result.passed

    @_settings(examples)
    @hypothesis_seed(seed)
    @given(st.data())
    def run(data: st.DataObject) -> None:
        k = report.examples
        report.examples += 1
        values, shared = drawer.draw(data, special=True)
        restore(state, before)
        for c, v in shared:
            c.value = v
        start = snapshot(state)
        result = compare_program(program, values, calls, paths, compiled=compiled, amplified=True)
        report.raised += result.reference.error is not None
        _worst(report, result)
        mismatched = record(result, program, values, start, "", calls)
        if gradients is not None:
            # drawn at every example, used at the first few: what hypothesis draws must not depend
            # on anything but the data (it replays examples)
            points, _ = drawer.draw(data, special=False, lo=-4.0, hi=4.0, jitter=np.random.default_rng(seed + k))
            if k < grad_examples:
                restore(state, start)
                outcome = gradients.run(points, seed + k)
                _record_gradients(report, outcome)
                if outcome.comparison is not None and outcome.program is not None:
                    mismatched |= record(outcome.comparison, outcome.program, points, start, "gradient: ", 1)
        report.mismatches += mismatched

    run()
    report.passed = report.mismatches == 0 and report.gradient_failures == 0
    if failure:
        _explain(report, failure[0], state, paths)
    return report


def _compile(program: Program, paths: tuple[str, ...], report: CheckReport) -> dict[str, Function] | None:
    """Each path's function (None when a path cannot compile what the reference can), and the
    audit that compiling twice generates the same code."""
    compiled: dict[str, Function] = {REFERENCE: compile_path(program, REFERENCE)}
    for path in paths:
        try:
            compiled[path] = compile_path(program, path)
            again = compile_path(program, path)
        except Exception as exc:  # noqa: BLE001 - reported, not raised: the report is the answer
            report.first_mismatch = Mismatch(path, "compile", f"{type(exc).__name__}: {exc}")
            report.mismatches += 1
            return None
        first, second = compiled[path]._fast, again._fast
        if first is not None and second is not None and first.program.source != second.program.source:
            report.notes.append(f"{path}: audit: the same graph compiled to different code twice")
            report.mismatches += 1
    return compiled


def _worst(report: CheckReport, result: Comparison) -> None:
    ref = result.reference
    for outcome in result.outcomes.values():
        pairs = list(zip(ref.labels, ref.values or [], outcome.values or [])) if outcome.values else []
        pairs += zip(ref.shared_labels, ref.shared, outcome.shared)
        for label, r, o in pairs:
            found = compare_arrays(r, o, outcome.refined, amplified=True)
            if found is None:
                max_abs = max_ulp = 0.0
            elif found.kind in ("type", "dtype", "shape"):
                continue
            else:
                max_abs, max_ulp = found.max_abs, found.max_ulp
            w = report.worst.setdefault(label, WorstError())
            w.max_abs, w.max_ulp = max(w.max_abs, max_abs), max(w.max_ulp, max_ulp)


def _record_gradients(report: CheckReport, outcome: GradientOutcome) -> None:
    report.gradient_checks += outcome.checked
    report.gradient_skipped += outcome.skipped
    report.gradient_failures += len(outcome.failures)
    report.notes += [f"gradient: {f}" for f in outcome.failures]
    if report.gradient_repro is None and outcome.failures and outcome.problems:
        report.gradient_repro, note = gradient_repro(outcome.problems[0], outcome.failures[0])
        if report.gradient_repro is None:
            report.notes.append(note)


def _explain(report: CheckReport, failure: _Failure, state: list[tuple[str, Container]],
             paths: tuple[str, ...]) -> None:
    """Bisect the first failing example and write its repro, from the state it started from."""
    restore(state, failure.shared)
    report.first_difference = first_difference(failure.program, failure.values, failure.calls, paths,
                                               amplified=True)
    restore(state, failure.shared)
    report.repro = make_repro(failure.program, failure.values, report.first_difference, failure.calls, paths,
                              amplified=True)
    if report.repro is None:
        report.notes.append("no repro: the graph holds a value or parameter with no literal form")

