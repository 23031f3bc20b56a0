"""Bisecting a disagreement: the first node of the user's graph whose value differs between paths.

Nodes are visited in the toposort of the program as the user wrote it (after givens, before any
rewrite). A first pass compiles every node's outputs as the roots of one program per path and compares
them all at once; when that shows nothing attributable (the call raised, or the difference needs the
node's consumers, e.g. a fused kernel), each node's outputs are compiled alone, in order, until one
differs. The answer names the node, its op and params, and the line of user code that built it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from refspec.ast import Apply, Array, SourceLine, Variable, toposort
from refspec.compile.program import InputSpec, Program
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
from refspec.interp.evaluate import describe
from refspec.params import Params


@dataclass(frozen=True)
class FirstDifference:
    """The first node whose outputs differ, how they differ, and its inputs' reference values."""

    node: Apply
    index: int  # position in the toposort of the user's graph
    mismatch: Mismatch
    inputs: list[Array] | None  # the node's input values on the reference (None: they raise)

    @property
    def op(self) -> str:
        return self.node.op.value

    @property
    def params(self) -> Params:
        return self.node.params

    @property
    def source(self) -> SourceLine | None:
        return self.node.source

    def __str__(self) -> str:
        return f"first differing node: {describe(self.node)}\n  {self.mismatch}"


def roots_of(program: Program) -> list[Variable]:
    """What a call computes: outputs, update values of shared variables, updates of stored inputs."""
    return program.outputs + [e for _, e in program.updates] + [
        s.update for s in program.inputs if s.update is not None]


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
    return FirstDifference(order[index], index, mismatch, inputs)


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
