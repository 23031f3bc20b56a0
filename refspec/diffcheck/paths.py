"""Running one program on several paths (modes) and comparing what a user would observe.

A *path* is a mode name (``"REFERENCE"``, ``"FAST_RUN"``, later ``"GPU"``). Each path compiles the
same ``Program`` and is called from the same state (every shared variable and every stored input
value is reset first). Observed: each output's value, dtype and shape, the state after the calls, the
printed text, and the class of an error. Audits on every path: a failing call changes no state, a
successful call changes only the state it updates, inputs are not modified, and no returned output
shares memory with an input, a stored value or another output (unless it was asked for with borrow).
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from refspec.ast import Apply, Array, Container, Variable
from refspec.compile.function import Function
from refspec.compile.program import Program
from refspec.diffcheck.compare import STABILIZE_RULES, Difference, compare_arrays
from refspec.diffcheck.rounding import first_node_beyond
# re-exported: the state helpers were first defined here, and the checks import them from here
from refspec.diffcheck.state import REFERENCE as REFERENCE
from refspec.diffcheck.state import compile_path as compile_path
from refspec.diffcheck.state import program_of as program_of
from refspec.diffcheck.state import restore as restore
from refspec.diffcheck.state import snapshot as snapshot
from refspec.diffcheck.state import state_of as state_of
from refspec.diffcheck.state import updated_cells as updated_cells
from refspec.fast.cpu.pipeline import FastRunner
from refspec.fast.gpu.exactness import bound as gpu_bound
from refspec.interp.evaluate import evaluate

if TYPE_CHECKING:
    from refspec.fast.gpu.runner import GpuRunner  # CuPy is optional: the GPU path is imported on use


@dataclass
class Outcome:
    """What one path did over ``calls`` calls."""

    values: list[Array] | None  # every call's outputs in order; None: a call raised
    error: type[BaseException] | None
    shared: list[Array]  # the state after the calls (see ``state_of``)
    printed: str
    refined: bool = False  # a declared refinement (STABILIZE rule) fired
    rewrites: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)  # one per entry of ``values``
    shared_labels: list[str] = field(default_factory=list)
    message: str = ""  # the error's text
    audit: list[str] = field(default_factory=list)  # broken invariants (see the module docstring)
    source: str | None = None  # the generated code, for paths that generate code
    # per label, the reference's value of the path's *rewritten* graph (``observe(rewritten=True)``)
    rewritten: dict[str, Array] = field(default_factory=dict)


@dataclass(frozen=True)
class Mismatch:
    """A path that disagrees with the reference (or breaks an audit)."""

    path: str
    what: str  # "output 0", "call 2 output 1", "shared w", "error", "printed output", "audit"
    message: str
    difference: Difference | None = None
    node: Apply | None = None  # the node a node-by-node check found at fault, where one did

    def __str__(self) -> str:
        return f"{self.path}: {self.what}: {self.message}"


@dataclass(frozen=True)
class Refinement:
    """A value that differs from the reference only as a declared refinement allows."""

    path: str
    what: str
    difference: Difference

    def __str__(self) -> str:
        return f"{self.path}: {self.what}: refined (max error {self.difference.max_abs:.3g}, " \
               f"{self.difference.max_ulp:.3g} ulp)"


@dataclass
class Comparison:
    """The reference's outcome, every other path's, and how they compare."""

    reference: Outcome
    outcomes: dict[str, Outcome]
    mismatches: list[Mismatch]
    refinements: list[Refinement]

    @property
    def passed(self) -> bool:
        return not self.mismatches

    def __str__(self) -> str:
        if self.passed:
            return f"paths agree ({len(self.refinements)} refined values)"
        return "\n".join(str(m) for m in self.mismatches)


def observe(f: Function, values: Sequence[object], calls: int = 1, rewritten: bool = False) -> Outcome:
    """Call ``f`` ``calls`` times with ``values``; what it returned, raised, printed, and left in
    the state, with the audits of the module docstring. With ``rewritten``, where a refinement
    fired, also the reference's values of the rewritten graph, from the same state."""
    program = f.program
    state = state_of(program)
    updated = updated_cells(program)
    fast = f._fast
    rewrites = list(runner.rewrites) if (runner := rewriting_runner(f)) is not None else []
    refined = any(r in STABILIZE_RULES for r in rewrites)
    on_rewritten: dict[str, Array] = {}
    cells = _root_of_cell(program)
    inputs_before = [np.array(v, copy=True) if isinstance(v, np.ndarray) else None for v in values]
    out: list[Array] = []
    labels: list[str] = []
    error: type[BaseException] | None = None
    message = ""
    audit: list[str] = []
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        for call in range(calls):
            before = snapshot(state)
            roots = evaluate_rewritten(f, values) if rewritten and refined else None
            try:
                result = f(*values)
            except Exception as exc:  # noqa: BLE001 - the class is what is compared
                error, message = type(exc), str(exc)
                audit += [f"{label} changed by a failing call" for (label, c), b in zip(state, before)
                          if compare_arrays(b, c.value) is not None]
                break
            got = result if isinstance(result, list) else [result]
            audit += [f"{label} changed by a call that does not update it" for (label, c), b in zip(state, before)
                      if id(c) not in updated and compare_arrays(b, c.value) is not None]
            audit += _aliasing(got, program.output_borrow, values, state)
            # outputs are kept, not copied: a later call must not overwrite them
            out += got
            labels += [f"output {i}" if calls == 1 else f"call {call + 1} output {i}" for i in range(len(got))]
            if roots is not None:
                on_rewritten.update(zip(labels[-len(got):], roots))
                on_rewritten.update((label, roots[k]) for (label, c) in state
                                    if (k := cells.get(id(c))) is not None)
    for k, (v, b) in enumerate(zip(values, inputs_before)):
        if b is not None and isinstance(v, np.ndarray) and compare_arrays(b, v) is not None:
            audit.append(f"input {k} modified by the call")
    return Outcome(None if error else out, error, snapshot(state), buf.getvalue(), refined, rewrites, labels,
                   [label for label, _ in state], message, audit, fast.program.source if fast is not None else None,
                   on_rewritten)


def rewriting_runner(f: Function) -> FastRunner | GpuRunner | None:
    """The runner of a path that rewrites the graph (with its ``rewrites`` log and ``optimized``
    roots): FAST_RUN's or GPU's; None on the reference."""
    return f._fast if f._fast is not None else f._gpu


def evaluate_rewritten(f: Function, values: Sequence[object]) -> list[Array] | None:
    """The reference's values of ``f``'s rewritten roots (outputs, then updates) at ``values``,
    from the current state; None when there is no rewritten graph or it raises."""
    runner = rewriting_runner(f)
    if runner is None:
        return None
    try:
        with contextlib.redirect_stdout(io.StringIO()):  # its prints are not the call's
            # copies: the call that follows may write updates into the arrays these alias
            return [np.array(v, copy=True) for v in evaluate(runner.optimized, f._bind(values, {}))]
    except Exception:  # noqa: BLE001 - no value to compare with
        return None


def _root_of_cell(program: Program) -> dict[int, int]:
    """Container id -> the index of the root whose value a call commits to it."""
    n_out, n_up = len(program.outputs), len(program.updates)
    found = {id(t.container): n_out + j for j, (t, _) in enumerate(program.updates)}
    in_updates = [s for s in program.inputs if s.update is not None]
    found.update((id(s.container), n_out + n_up + k) for k, s in enumerate(in_updates) if s.container is not None)
    return found


def _aliasing(outs: Sequence[Array], borrow: Sequence[bool], values: Sequence[object],
              state: Sequence[tuple[str, Container]]) -> list[str]:
    """Outputs that share memory with an input, a stored value or another output (borrow aside)."""
    others: list[tuple[str, object]] = [(f"input {k}", v) for k, v in enumerate(values)]
    others += [(label, c.value) for label, c in state]
    found: list[str] = []
    for i, o in enumerate(outs):
        if i < len(borrow) and borrow[i]:
            continue
        mine = others + [(f"output {j}", outs[j]) for j in range(i) if not (j < len(borrow) and borrow[j])]
        for label, v in mine:
            if isinstance(v, np.ndarray) and isinstance(o, np.ndarray) and np.shares_memory(o, v):
                found.append(f"output {i} shares memory with {label}")
    return found


def run_path(mode: str, inputs: Sequence[object], outputs: Sequence[Variable], values: Sequence[object],
             updates: object = None, givens: object = None, calls: int = 1) -> Outcome:
    """Compile ``outputs`` with ``mode`` and call it ``calls`` times with ``values``."""
    return observe(compile_path(program_of(inputs, outputs, updates, givens), mode), values, calls)


def compare_outcomes(ref: Outcome, other: Outcome, path: str,
                     amplified: bool = False) -> tuple[list[Mismatch], list[Refinement]]:
    """How ``other`` (the outcome of ``path``) differs from the reference's outcome (``amplified``:
    see ``compare.compare_arrays``)."""
    mismatches = [Mismatch(path, "audit", a) for a in other.audit]
    refinements: list[Refinement] = []
    if other.error is not ref.error:
        mismatches.append(Mismatch(path, "error", f"reference {_raised(ref)}, {path} {_raised(other)}"))
    if other.printed != ref.printed:
        mismatches.append(Mismatch(path, "printed output",
                                   f"reference printed {ref.printed!r}, {path} printed {other.printed!r}"))
    pairs: list[tuple[str, Array, Array]] = []
    if ref.values is not None and other.values is not None:
        if len(ref.values) != len(other.values):
            mismatches.append(Mismatch(path, "outputs", f"reference returned {len(ref.values)} values, "
                                       f"{path} {len(other.values)}"))
        labels = ref.labels or [f"output {i}" for i in range(len(ref.values))]
        pairs += zip(labels, ref.values, other.values)
    labels = ref.shared_labels or [f"shared {i}" for i in range(len(ref.shared))]
    pairs += zip(labels, ref.shared, other.shared)
    for label, r, o in pairs:
        found = compare_arrays(r, o, other.refined, amplified)
        if found is None:
            continue
        if amplified and found.kind in ("tolerance", "non-finite") and label in other.rewritten:
            found = _rewritten(found, other.rewritten[label], o)
        if found.refinement:
            refinements.append(Refinement(path, label, found))
        else:
            mismatches.append(Mismatch(path, label, found.message, found))
    return mismatches, refinements


def _rewritten(found: Difference, rewritten: Array, other: Array) -> Difference:
    """A refined value beyond the tolerance, or finite where the reference's is NaN, is still a
    refinement if it is what the reference computes from the rewritten graph: the gap is the
    rewrite's accuracy gain (1 - sigmoid(x) rounding to 0 where log(1 - sigmoid(x)) became
    -softplus(x), and then inf * 0 giving NaN), not a kernel's error."""
    if compare_arrays(rewritten, other) is None:  # the same kernels: the same bits
        return Difference("rewritten", "beyond the refinement tolerance, as the reference computes the rewritten "
                          "graph: " + found.message, found.max_abs, found.max_ulp, refinement=True)
    return found


def _raised(o: Outcome) -> str:
    if o.error is None:
        return "returned values"
    return f"raised {o.error.__name__}: {o.message.splitlines()[0] if o.message else ''}"


def compare_program(program: Program, values: Sequence[object], calls: int = 1,
                    paths: Sequence[str] = ("FAST_RUN",), reference: str = REFERENCE,
                    compiled: dict[str, Function] | None = None, amplified: bool = False) -> Comparison:
    """Run ``program`` on the reference and on each path, each from the state before the first
    run; the state is left as the last path left it. ``compiled`` caches each path's function
    (for running many examples of one program); ``amplified``: see ``compare.compare_arrays``."""
    state = state_of(program)
    before = snapshot(state)
    cache = {} if compiled is None else compiled
    outcomes: dict[str, Outcome] = {}
    for mode in [reference, *[p for p in paths if p != reference]]:
        restore(state, before)
        if mode not in cache:
            cache[mode] = compile_path(program, mode)
        outcomes[mode] = observe(cache[mode], values, calls, rewritten=amplified)
    ref = outcomes.pop(reference)
    mismatches = [Mismatch(reference, "audit", a) for a in ref.audit]
    refinements: list[Refinement] = []
    for mode, outcome in outcomes.items():
        m, r = compare_outcomes(ref, outcome, mode, amplified)
        if m and cache[mode]._gpu is not None and all(_value_only(x) for x in m):
            m, r = _gpu_rounding(program, values, calls, mode, before, m, r)
        mismatches += m
        refinements += r
    return Comparison(ref, outcomes, mismatches, refinements)


# the differences that rounding in the ops the GPU computes inexactly can cause downstream
_VALUE_KINDS = frozenset({"value", "nan", "non-finite", "tolerance", "amplified"})


def _value_only(m: Mismatch) -> bool:
    """A difference in values (or in the text a Print made of them) that rounding can explain."""
    return m.what == "printed output" or (m.difference is not None and m.difference.kind in _VALUE_KINDS)


def _gpu_rounding(program: Program, values: Sequence[object], calls: int, path: str, before: Sequence[Array],
                  mismatches: list[Mismatch], refinements: list[Refinement]
                  ) -> tuple[list[Mismatch], list[Refinement]]:
    """The GPU's differing values are rounding (refinements) when every node alone is within its
    declared bound (``rounding.first_node_beyond`` from the state before the calls); else the
    mismatches stand, with the first node beyond its bound added."""
    state = state_of(program)
    after = snapshot(state)
    restore(state, before)
    found = first_node_beyond(program, values, path, gpu_bound, calls)
    restore(state, after)
    if found is not None:
        return mismatches + [Mismatch(path, "node alone", found.message, node=found.node)], refinements
    note = "rounding of ops the GPU computes inexactly, carried downstream; every node alone is within its bound"
    return [], refinements + [Refinement(path, m.what, Difference(
        "rounding", f"{note}: {m.message}", m.difference.max_abs if m.difference else float("nan"),
        m.difference.max_ulp if m.difference else float("nan"), refinement=True)) for m in mismatches]


def run_paths(inputs: Sequence[object], outputs: Sequence[Variable], values: Sequence[object],
              updates: object = None, givens: object = None, calls: int = 1,
              paths: Sequence[str] = ("FAST_RUN",), reference: str = REFERENCE,
              amplified: bool = False) -> Comparison:
    """``compare_program`` on the program ``function(inputs, outputs, updates=, givens=)`` builds."""
    return compare_program(program_of(inputs, outputs, updates, givens), values, calls, paths, reference,
                           amplified=amplified)


def assert_agree(ref: Outcome, other: Outcome, path: str = "FAST_RUN") -> None:
    """Raise AssertionError naming the first way ``other`` disagrees with the reference."""
    mismatches, _ = compare_outcomes(ref, other, path)
    mismatches = [Mismatch(REFERENCE, "audit", a) for a in ref.audit] + mismatches
    assert not mismatches, "\n".join(str(m) for m in mismatches)
