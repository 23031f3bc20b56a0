"""Bisecting a disagreement: the first node of the user's graph whose value differs between paths.

Nodes are visited in the toposort of the program as the user wrote it (after givens, before any
rewrite). A first pass compiles every node's outputs as the roots of one program per path and compares
them all at once; when that shows nothing attributable (the call raised, or the difference needs the
node's consumers, e.g. a fused kernel), each node's outputs are compiled alone, in order, until one
differs. The answer names the node, its op and params, and the line of user code that built it.

A scan node cannot be split by compiling parts of the outer graph, so when it is the first node that
differs, bisection goes inside (``look_inside``): the node alone runs on the reference (recording the
inner inputs' values at every step) and on each path, the first output and step that differ are
found, and the step's inner graph is bisected at that step's inputs, as a program of its own (so a
nested scan is entered the same way). When no step differs (the loop raised on one side only), or the
step alone agrees on those inputs, the loop around the step is what differs, and the answer says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from refspec.ast import Apply, Array, Constant, Op, SourceLine, Variable, clone_replace, toposort
from refspec.compile.program import InputSpec, Program
from refspec.diffcheck.compare import compare_arrays
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
from refspec.diffcheck.state import roots_of
from refspec.interp.evaluate import describe
from refspec.interp.scan import reference_step, run_scan
from refspec.params import Params, ScanParams


@dataclass(frozen=True)
class ScanStep:
    """Inside a scan node that differs: the first output and step that differ on ``path``, and the
    step's inner graph bisected at that step's inputs (their values on the reference)."""

    path: str
    output: int | None  # None: no output to compare (one side raised) or only final shared values differ
    step: int | None
    inputs: list[Array] | None  # the inner inputs' values at ``step`` on the reference
    first: FirstDifference | None  # the first inner node that differs at ``step``
    note: str  # how the node alone differs, when no step does

    def __str__(self) -> str:
        if self.step is None:
            return f"inside the scan: no step differs ({self.note}): the loop around the step differs"
        head = f"inside the scan: output {self.output} first differs at step {self.step}"
        if self.first is None:
            return head + "; the step alone agrees on that step's inputs: the loop around it differs"
        return head + "; in that step, " + str(self.first).replace("\n", "\n  ")


@dataclass(frozen=True)
class FirstDifference:
    """The first node whose outputs differ, how they differ, and its inputs' reference values (for a
    scan node, ``inside`` says where inside it)."""

    node: Apply
    index: int  # position in the toposort of the user's graph (of the step's inner graph, inside a scan)
    mismatch: Mismatch
    inputs: list[Array] | None  # the node's input values on the reference (None: they raise)
    inside: ScanStep | None = None

    @property
    def op(self) -> str:
        return self.node.op.value

    @property
    def params(self) -> Params:
        return self.node.params

    @property
    def source(self) -> SourceLine | None:
        return self.node.source

    @property
    def innermost(self) -> FirstDifference:
        """The deepest first difference found inside scans (this one, outside any)."""
        inner = self.inside.first if self.inside is not None else None
        return self if inner is None else inner.innermost

    def __str__(self) -> str:
        text = f"first differing node: {describe(self.node)}\n  {self.mismatch}"
        return text if self.inside is None else text + f"\n  {self.inside}"


def isolate(node: Apply, values: Sequence[Array]) -> tuple[list[Variable], list[Array], list[Variable]]:
    """``node`` over fresh inputs holding ``values`` (its inputs' values; constants stay constants):
    the fresh inputs, their values, and the node's outputs rebuilt over them."""
    fresh: dict[Variable, Variable] = {}
    fresh_values: list[Array] = []
    for v, value in zip(node.inputs, values):
        if not isinstance(v, Constant) and v not in fresh:
            fresh[v] = v.type()
            fresh_values.append(np.asarray(value))
    return list(fresh.values()), fresh_values, clone_replace(list(node.outputs), fresh)


def sub_program(program: Program, outputs: Sequence[Variable]) -> Program:
    """``outputs`` as a program over the same inputs (stored values kept, no updates)."""
    specs = [InputSpec(s.variable, s.name, s.container, None, s.allow_downcast, s.borrow) for s in program.inputs]
    return Program(specs, list(outputs), [False] * len(outputs), "list", [])


def reference_values(program: Program, outputs: Sequence[Variable], values: Sequence[object]) -> list[Array] | None:
    """The values of ``outputs`` on the reference, from the current state (None if that raises)."""
    state = state_of(program)
    before = snapshot(state)
    try:
        result = compile_path(sub_program(program, outputs), REFERENCE)(*values)
    except Exception:  # noqa: BLE001 - the caller only needs to know there is no value
        return None
    finally:
        restore(state, before)
    return result if isinstance(result, list) else [result]


def first_difference(program: Program, values: Sequence[object], calls: int = 1,
                     paths: Sequence[str] = ("FAST_RUN",), amplified: bool = False) -> FirstDifference | None:
    """The first node of ``program``'s graph whose outputs differ between the reference and a path,
    computed from the current state (which is left as it was); None if no single node differs.
    ``amplified``: see ``compare.compare_arrays``."""
    order = toposort(roots_of(program))
    state = state_of(program)
    before = snapshot(state)
    try:
        if calls > 1 and _advance_to_failing_call(program, values, calls, paths, amplified):
            calls = 1  # the state now is the one before the first call that differs on its own
        found = _all_at_once(program, order, values, calls, paths, amplified)
        if found is None:
            found = _one_by_one(program, order, values, calls, paths, amplified)
        inputs = None if found is None else reference_values(program, order[found[0]].inputs, values)
    finally:
        restore(state, before)
    if found is None:
        return None
    index, mismatch = found
    node = order[index]
    inside = None
    if node.op is Op.SCAN and inputs is not None:
        inside = look_inside(node, inputs, paths, amplified)
    return FirstDifference(node, index, mismatch, inputs, inside)


def look_inside(node: Apply, values: Sequence[Array], paths: Sequence[str] = ("FAST_RUN",),
                amplified: bool = False) -> ScanStep | None:
    """Where inside the scan ``node`` (its inputs holding ``values``) the first path that disagrees
    parts from the reference (see the module docstring); None if the node alone agrees."""
    params = node.params
    assert isinstance(params, ScanParams)
    inputs, fresh_values, outputs = isolate(node, values)
    try:
        result = compare_program(program_of(inputs, outputs), fresh_values, 1, paths, amplified=amplified)
    except Exception:  # noqa: BLE001 - a path that cannot compile the node alone: nothing to look at
        return None
    failing = next((p for p in paths if any(m.path == p for m in result.mismatches)), None)
    if failing is None:
        return None
    ref, other = result.reference, result.outcomes[failing]
    if ref.values is None or other.values is None:
        note = f"the reference {_did(ref.error)}, {failing} {_did(other.error)}"
        return ScanStep(failing, None, None, None, None, note)
    where = _first_step(ref.values[:len(params.out_taps)], other.values[:len(params.out_taps)])
    if where is None:
        note = str(next(m for m in result.mismatches if m.path == failing))
        return ScanStep(failing, None, None, None, None, note)
    output, step = where
    recorded = _step_inputs(params, values, step)
    if recorded is None:
        return ScanStep(failing, output, step, None, None, "")
    roots = list(params.inner_outputs) + ([params.until] if params.until is not None else [])
    try:
        inner = first_difference(program_of(list(params.inner_inputs), roots), recorded, 1, (failing,), amplified)
    except Exception:  # noqa: BLE001 - the step as a program of its own: no finer answer
        inner = None
    return ScanStep(failing, output, step, recorded, inner, "")


def _did(error: type[BaseException] | None) -> str:
    return "returned values" if error is None else f"raised {error.__name__}"


def _first_step(ref: Sequence[Array], other: Sequence[Array]) -> tuple[int, int] | None:
    """The (output, step) of the earliest step at which an output differs (steps along axis 0; a
    path that ran fewer or more steps differs at the first step one of them lacks)."""
    best: tuple[int, int] | None = None
    for i, (r, o) in enumerate(zip(ref, other)):
        if r.ndim == 0 or o.ndim == 0 or compare_arrays(r, o) is None:
            continue
        n = min(r.shape[0], o.shape[0])
        step = next((t for t in range(n) if compare_arrays(np.asarray(r[t]), np.asarray(o[t])) is not None), n)
        if best is None or step < best[1]:
            best = (i, step)
    return best


def _step_inputs(params: ScanParams, values: Sequence[Array], step: int) -> list[Array] | None:
    """The inner inputs' values at ``step`` on the reference (None if the loop never gets there)."""
    seen: list[list[Array]] = []
    run = reference_step(params)

    def recording(inner: list[Array]) -> list[Array]:
        seen.append([np.array(v, copy=True) for v in inner])
        return run(inner)

    try:
        run_scan(params, values[0], *values[1:], step=recording)
    except Exception:  # noqa: BLE001 - the steps before the error are recorded all the same
        pass
    return seen[step] if step < len(seen) else None


def _advance_to_failing_call(program: Program, values: Sequence[object], calls: int, paths: Sequence[str],
                             amplified: bool) -> bool:
    """Move the state forward, one reference call at a time, to just before the first call that
    differs when run alone from that state (a difference that needs updated state); False, with the
    state unchanged, if no call differs alone (say, a buffer kept by one compiled function)."""
    state = state_of(program)
    start = at = snapshot(state)
    reference = compile_path(program, REFERENCE)
    for _ in range(calls):
        restore(state, at)
        if not compare_program(program, values, 1, paths, amplified=amplified).passed:
            restore(state, at)
            return True
        restore(state, at)
        try:
            reference(*values)
        except Exception:  # noqa: BLE001 - a raising call changes no state: nothing further to reach
            break
        at = snapshot(state)
    restore(state, start)
    return False


def _compare(program: Program, outputs: Sequence[Variable], values: Sequence[object], calls: int,
             paths: Sequence[str], amplified: bool) -> Comparison | None:
    try:
        return compare_program(sub_program(program, outputs), values, calls, paths, amplified=amplified)
    except Exception:  # noqa: BLE001 - a node some path cannot compile alone says nothing here
        return None


def _all_at_once(program: Program, order: Sequence[Apply], values: Sequence[object], calls: int,
                 paths: Sequence[str], amplified: bool) -> tuple[int, Mismatch] | None:
    owners = [k for k, node in enumerate(order) for _ in node.outputs]
    outputs = [o for node in order for o in node.outputs]
    result = _compare(program, outputs, values, calls, paths, amplified)
    if result is None or result.passed:
        return None
    at_fault = [(order.index(m.node), m) for m in result.mismatches if m.node is not None and m.node in order]
    if at_fault:  # a node-by-node check named the node outside its bound (GPU rounding)
        return min(at_fault, key=lambda hit: hit[0])
    positions = {label: owners[k % len(outputs)] for k, label in enumerate(result.reference.labels)}
    hits = [(positions[m.what], m) for m in result.mismatches if m.what in positions]
    return min(hits, key=lambda hit: hit[0]) if hits else None


def _one_by_one(program: Program, order: Sequence[Apply], values: Sequence[object], calls: int,
                paths: Sequence[str], amplified: bool) -> tuple[int, Mismatch] | None:
    state = state_of(program)
    before = snapshot(state)
    for k, node in enumerate(order):
        restore(state, before)
        result = _compare(program, node.outputs, values, calls, paths, amplified)
        if result is not None and not result.passed:
            return k, result.mismatches[0]
    return None


def bisect(inputs: Sequence[object], outputs: Sequence[Variable], values: Sequence[object],
           updates: object = None, givens: object = None, calls: int = 1,
           paths: Sequence[str] = ("FAST_RUN",)) -> FirstDifference | None:
    """``first_difference`` of the program ``function(inputs, outputs, updates=, givens=)`` builds."""
    return first_difference(program_of(inputs, outputs, updates, givens), values, calls, paths)
