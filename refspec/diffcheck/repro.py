"""A standalone pytest file that reproduces a disagreement between paths.

The smallest candidate that still fails is kept, tried in order: the first differing node alone (its
inputs become explicit input arrays holding their reference values; constants stay constants, since
constant folding may matter), the subgraph ending at that node (over the user's own inputs, constants
and shared values), and the whole program with its updates. When the first differing node is a scan
and bisection found the inner node that differs at some step (``FirstDifference.inside``), that inner
node alone, over its inputs' values at that step, comes first (then the scan node alone, its body
written out as well). Each candidate is rendered (``refspec.diffcheck.render``) and *run* before it is
returned: ``Repro.verified`` says the text itself fails the way the program does.

Size: a repro of one plain node is about 15 lines, and the whole file stays within ``MAX_LINES`` for
a shrunk program of a few nodes. A scan's body is written out too (a line per inner input, node and
constant, and one for its ``ScanParams``), so a repro holding a scan may take ``SCAN_LINES`` more
lines per scan.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from refspec.ast import Array, SharedVariable, StaticShape, Variable, graph_inputs
from refspec.compile.program import Program
from refspec.diffcheck.bisect import FirstDifference, isolate
from refspec.diffcheck.compare import STABILIZE_RULES
from refspec.diffcheck.paths import REFERENCE, compile_path, program_of, rewriting_runner
from refspec.diffcheck.render import RenderError, import_lines, render_array, render_graph
from refspec.interp.evaluate import describe
from refspec.values import filter_value

Scope = Literal["node", "subgraph", "program"]
MAX_LINES = 30  # the size a repro of a small shrunk program stays within
SCAN_LINES = 10  # what a small scan body may add to that


@dataclass(frozen=True)
class Repro:
    """The text of a pytest file, what it covers, and whether running it reproduced the failure."""

    text: str
    scope: Scope
    nodes: int  # make_node lines, scan bodies included
    max_elements: int  # the largest input array's size
    verified: bool
    scans: int = 0  # scan nodes written out (their bodies count in ``nodes``)

    @property
    def lines(self) -> int:
        return self.text.count("\n")

    def __str__(self) -> str:
        return self.text


def write_repro(inputs: Sequence[Variable], outputs: Sequence[Variable], values: Sequence[Array],
                updates: Sequence[tuple[SharedVariable, Variable]] = (), calls: int = 1,
                paths: Sequence[str] = ("FAST_RUN",), title: str = "",
                shared_values: dict[int, Array] | None = None, amplified: bool = False) -> str:
    """A pytest file that builds the graph with ``make_node``, runs it on the reference and on each
    path (``refspec.diffcheck.run_paths``) and asserts that they agree (``amplified`` is passed on
    only where a refinement fires, the one place it matters)."""
    amplified = amplified and _refines(inputs, outputs, updates, paths)
    g = render_graph(inputs, outputs, updates, shared_values)
    body = g.lines + [
        f"values = [{', '.join(render_array(v) for v in values)}]",
        f"result = run_paths([{', '.join(g.inputs)}], [{', '.join(g.outputs)}], values"
        + (f", updates=[{', '.join(f'({t}, {e})' for t, e in g.updates)}]" if g.updates else "")
        + (f", calls={calls}" if calls != 1 else "") + f", paths={tuple(paths)!r}"
        + (", amplified=True)" if amplified else ")"),
        "assert result.passed, str(result)",
    ]
    header = [
        f"# diffcheck repro: {' '.join(title.split())}" if title else "# diffcheck repro",
        "import numpy as np",
        "",
        *import_lines(g, {"refspec.diffcheck": ["run_paths"]}),
    ]
    return "\n".join(header + ["", "", "def test_repro() -> None:"] + ["    " + ln for ln in body]) + "\n"


def _refines(inputs: Sequence[Variable], outputs: Sequence[Variable],
             updates: Sequence[tuple[SharedVariable, Variable]], paths: Sequence[str]) -> bool:
    program = program_of(inputs, outputs, list(updates))
    for path in paths:
        runner = rewriting_runner(compile_path(program, path))
        if runner is not None and any(r in STABILIZE_RULES for r in runner.rewrites):
            return True
    return False


def still_fails(text: str) -> bool:
    """Run a repro's ``test_repro`` here; True if it fails its assertion."""
    namespace: dict[str, object] = {"__name__": "refspec_diffcheck_repro"}
    exec(compile(text, "<diffcheck repro>", "exec"), namespace)
    test = namespace["test_repro"]
    assert callable(test)
    try:
        test()
    except AssertionError:
        return True
    return False


def bound_values(program: Program, values: Sequence[object]) -> list[Array]:
    """Every input's value as an array of its type: the given ones, then stored defaults."""
    out: list[Array] = []
    for k, spec in enumerate(program.inputs):
        if k < len(values):
            out.append(filter_value(spec.variable.type, values[k], f"input {k}", allow_downcast=spec.allow_downcast))
        elif spec.container is not None:
            out.append(spec.container.value)
        else:
            raise TypeError(f"no value for input {k} ({spec.variable})")
    return out


@dataclass(frozen=True)
class _Candidate:
    scope: Scope
    inputs: list[Variable]
    values: list[Array]
    outputs: list[Variable]
    updates: list[tuple[SharedVariable, Variable]]


def _candidates(program: Program, values: list[Array], first: FirstDifference | None) -> list[_Candidate]:
    """The graphs a repro may rebuild, smallest first."""
    found: list[_Candidate] = []
    specs = [s.variable for s in program.inputs]
    if first is not None:
        node = first.node
        inner = first.innermost
        if inner is not first and inner.inputs is not None:  # the inner node of a scan's step
            fresh, fresh_values, cut = isolate(inner.node, inner.inputs)
            found.append(_Candidate("node", fresh, fresh_values, cut, []))
        if first.inputs is not None:
            fresh, fresh_values, cut = isolate(node, first.inputs)
            found.append(_Candidate("node", fresh, fresh_values, cut, []))
        used = {id(v) for v in graph_inputs(node.outputs)}
        keep = [k for k, v in enumerate(specs) if id(v) in used]
        found.append(_Candidate("subgraph", [specs[k] for k in keep], [values[k] for k in keep],
                                list(node.outputs), []))
    found.append(_Candidate("program", specs, values, list(program.outputs), list(program.updates)))
    return found


def make_repro(program: Program, values: Sequence[object], first: FirstDifference | None, calls: int = 1,
               paths: Sequence[str] = ("FAST_RUN",), amplified: bool = False) -> Repro | None:
    """The smallest verified repro of a disagreement of ``program`` on ``values`` (from the current
    state); an unverified whole-program one if no candidate fails; None if none can be written."""
    bound = bound_values(program, values)
    title = f"{', '.join(p for p in paths if p != REFERENCE)} vs {REFERENCE}"
    if first is not None:
        title += f" at {describe(first.node)}"
        inside = first.inside
        if inside is not None and inside.step is not None:
            inner = first.innermost
            title += f"; its output {inside.output} first differs at step {inside.step}" + (
                f", at {describe(inner.node)}" if inner is not first else "")
    fallback: Repro | None = None
    for c in _candidates(program, bound, first):
        def render(vals: list[Array], c: _Candidate = c) -> str:
            return write_repro(c.inputs, c.outputs, vals, c.updates, calls, paths, title, amplified=amplified)

        try:
            text = render(c.values)
        except RenderError:
            continue
        nodes = text.count("make_node(Op.")
        vals = c.values
        verified = fails(text)
        if verified:
            vals, text = shrink_elements(render, vals, [v.type.shape for v in c.inputs], text)
        repro = Repro(text, c.scope, nodes, max((int(v.size) for v in vals), default=0), verified,
                      text.count("make_node(Op.SCAN"))
        if verified:
            return repro
        fallback = repro
    return fallback


def fails(text: str) -> bool:
    """``still_fails``, with a repro that cannot run counted as not failing."""
    try:
        return still_fails(text)
    except Exception:  # noqa: BLE001 - a repro that cannot run is no repro
        return False


def shrink_elements(render: Callable[[list[Array]], str], values: list[Array], static: list[StaticShape],
                    text: str) -> tuple[list[Array], str]:
    """Fewer elements, as long as the repro still fails: axis by axis (aligned from the right, as
    broadcasting aligns them), keep one index of every input of that axis's full length, or else
    drop one index at a time (a column broadcast needs two rows to show)."""
    best = values
    for pos in range(1, max((v.ndim for v in values), default=0) + 1):
        length = max((v.shape[-pos] for v in best if v.ndim >= pos), default=1)
        axis_inputs = [k for k, v in enumerate(best) if v.ndim >= pos and v.shape[-pos] == length]
        if length <= 1 or any(static[k][-pos] is not None for k in axis_inputs):
            continue
        kept = False
        for i in range(length):
            trial = [np.take(v, [i], axis=v.ndim - pos) if k in axis_inputs else v for k, v in enumerate(best)]
            candidate = render(trial)
            if fails(candidate):
                best, text, kept = trial, candidate, True
                break
        while not kept and length > 2:
            for i in range(length):
                trial = [np.delete(v, i, axis=v.ndim - pos) if k in axis_inputs else v for k, v in enumerate(best)]
                candidate = render(trial)
                if fails(candidate):
                    best, text, length = trial, candidate, length - 1
                    break
            else:
                break
    return best, text
