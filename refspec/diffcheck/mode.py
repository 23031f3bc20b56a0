"""Mode ``"DIFFCHECK"`` (alias ``"DebugMode"``): every call runs a fast path and the reference.

``Function`` calls its runner with ``(roots, env)`` and commits the values it returns; this runner
computes the roots on the fast path and on the reference, from the same pre-call state, and compares
every output and update value (bit for bit, or within a declared refinement), the printed text and the
error class. On agreement it returns the reference's values, so the call then commits exactly like a
normal one. On a disagreement it puts back any state the fast path touched and raises
``DiffCheckError`` naming the first node that differs (``refspec.diffcheck.bisect``) and the line of
user code that built it, with a repro. The fast path must not write any state or input during a call
(the commit is the function's), so it is audited for that too.
"""

from __future__ import annotations

import contextlib
import io
import sys
from collections.abc import Mapping, Sequence

import numpy as np

from refspec.ast import Array, Container, Variable
from refspec.compile.function import Function, Runner
from refspec.compile.program import Program
from refspec.diffcheck.bisect import FirstDifference, first_difference
from refspec.diffcheck.compare import STABILIZE_RULES, compare_arrays
from refspec.diffcheck.paths import (
    REFERENCE,
    Mismatch,
    Outcome,
    compare_outcomes,
    rewriting_runner,
    snapshot,
    state_of,
    updated_cells,
)
from refspec.diffcheck.repro import Repro, make_repro
from refspec.interp.evaluate import describe, evaluate
from refspec.interp.function import run_reference


class DiffCheckError(AssertionError):
    """A fast path and the reference disagree: a refspec bug (please report it with the repro)."""

    def __init__(self, message: str, mismatch: Mismatch, first: FirstDifference | None, repro: Repro | None):
        super().__init__(message)
        self.mismatch = mismatch
        self.first = first
        self.repro = repro

    @property
    def node(self) -> object:
        """The first differing node (an ``Apply``), or None when no single node differs."""
        return None if self.first is None else self.first.node


def _labels(program: Program) -> list[str]:
    labels = [f"output {i}" for i in range(len(program.outputs))]
    labels += [f"update of {t.name or 'shared ' + str(k)}" for k, (t, _) in enumerate(program.updates)]
    labels += [f"update of input {s.name or s.variable.name or k}" for k, s in enumerate(program.inputs)
               if s.update is not None]
    return labels


def _put_back(state: Sequence[tuple[str, Container]], objects: Sequence[Array], saved: Sequence[Array]) -> None:
    """Each cell holds its array object from before the call again, with its contents from before."""
    for (_, c), obj, value in zip(state, objects, saved):
        c.value = obj
        if compare_arrays(value, obj) is not None:
            if obj.flags.writeable:
                np.copyto(obj, value)
            else:
                c.value = np.array(value, copy=True)


class DiffCheckRunner:
    """A ``Function`` runner (``(roots, env) -> values``) that checks ``path`` against the reference."""

    def __init__(self, program: Program, path: str = "FAST_RUN"):
        self.program = program
        self.path = path
        self.function = Function(program, path, None, None)
        runner = rewriting_runner(self.function)
        self.refined = runner is not None and any(r in STABILIZE_RULES for r in runner.rewrites)
        self.labels = _labels(program)
        self.updated = updated_cells(program)

    def __call__(self, roots: Sequence[Variable], env: Mapping[Variable, Array]) -> list[Array]:
        state = state_of(self.program)
        before = snapshot(state)
        objects = [c.value for _, c in state]
        inputs_before = {v: np.array(a, copy=True) for v, a in env.items()}
        # the fast path's values are copied: they may be its buffers, or shared arrays put back below
        other, _ = self._run(self._path, roots, env, copy=True)
        # writing the storage of an updated variable in place is allowed, but only by a call that
        # then succeeds (the commit would overwrite it anyway); anything else breaks atomicity
        other.audit += [f"{label} written during a call that " + ("failed" if other.error else "does not update it")
                        for (label, c), b in zip(state, before)
                        if (other.error is not None or id(c) not in self.updated)
                        and compare_arrays(b, c.value) is not None]
        _put_back(state, objects, before)  # the reference runs from the same state, in the same arrays
        for v, b in inputs_before.items():
            if compare_arrays(b, env[v]) is not None:
                other.audit.append(f"input {v} modified by the call")
                if env[v].flags.writeable:
                    np.copyto(env[v], b)
        ref, raised = self._run(self._reference, roots, env, copy=False)
        mismatches, _ = compare_outcomes(ref, other, self.path, amplified=True)
        if mismatches and all(m.difference is not None and m.difference.kind == "tolerance" for m in mismatches):
            # refined values beyond the tolerance: compare with the reference on the rewritten graph
            roots_rewritten = self._rewritten(env)
            if roots_rewritten is not None:
                other.rewritten = dict(zip(self.labels, roots_rewritten))
                mismatches, _ = compare_outcomes(ref, other, self.path, amplified=True)
        if mismatches:
            raise self._error(mismatches[0], env)
        sys.stdout.write(ref.printed)
        if raised is not None:
            raise raised
        assert ref.values is not None
        return ref.values

    def _rewritten(self, env: Mapping[Variable, Array]) -> list[Array] | None:
        runner = rewriting_runner(self.function)
        if runner is None:
            return None
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                return evaluate(runner.optimized, env)
        except Exception:  # noqa: BLE001 - nothing to compare with: the mismatch stands
            return None

    # both sides end with the update shape check a call makes before it commits anything (the fast
    # path may make it inside the call, before it writes updates in place; then this repeats it)
    def _reference(self, roots: Sequence[Variable], env: Mapping[Variable, Array]) -> list[Array]:
        values = run_reference(roots, env)
        self.function._check_update_shapes(values)
        return values

    def _path(self, roots: Sequence[Variable], env: Mapping[Variable, Array]) -> list[Array]:
        values = self.function._runner(roots, env)
        self.function._check_update_shapes(values)
        return values

    def _run(self, runner: Runner, roots: Sequence[Variable], env: Mapping[Variable, Array],
             copy: bool) -> tuple[Outcome, Exception | None]:
        buf = io.StringIO()
        values: list[Array] | None = None
        raised: Exception | None = None
        with contextlib.redirect_stdout(buf):
            try:
                values = [np.array(v, copy=True) if copy else v for v in runner(roots, env)]
            except Exception as exc:  # noqa: BLE001 - compared by class, re-raised if both agree
                raised = exc
        error = None if raised is None else type(raised)
        outcome = Outcome(values, error, [], buf.getvalue(), refined=self.refined, labels=self.labels,
                          message="" if raised is None else str(raised))
        return outcome, raised

    def _error(self, mismatch: Mismatch, env: Mapping[Variable, Array]) -> DiffCheckError:
        values = [env[s.variable] for s in self.program.inputs]
        first: FirstDifference | None = None
        repro: Repro | None = None
        unexplained = ""
        try:  # the disagreement is the error to report, whatever happens while explaining it
            first = first_difference(self.program, values, paths=(self.path,), amplified=True)
            repro = make_repro(self.program, values, first, paths=(self.path,), amplified=True)
        except Exception as exc:  # noqa: BLE001 - said in the message, not raised
            unexplained = f"\n  (no bisection: {type(exc).__name__}: {exc})"
        where = unexplained
        if first is not None:
            where = f"\n  at {describe(first.node)}"
            if first.mismatch.message != mismatch.message:
                where += f"\n  {first.mismatch.what} of that node: {first.mismatch.message}"
        text = f"DIFFCHECK: {self.path} and {REFERENCE} disagree on {mismatch.what}: {mismatch.message}{where}"
        if repro is not None:
            text += f"\nrepro ({repro.scope}, {repro.lines} lines{'' if repro.verified else ', not verified'}):\n"
            text += repro.text
        return DiffCheckError(text, mismatch, first, repro)
