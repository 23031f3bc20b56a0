"""Repros of graphs holding scans: the inner graph written out (nested scans too) rebuilds the same
program, bisection goes inside a scan that differs, and the planted "scan reads past the end" bug
gets a small verified repro."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.budget import budget

import refspec
import refspec.tensor as T
from refspec.ast import Array, Op, SharedVariable, Variable
from refspec.diffcheck import bisect, check, make_repro
from refspec.diffcheck.compare import compare_arrays
from refspec.diffcheck.graphs import Case, programs
from refspec.diffcheck.paths import REFERENCE, compile_path, program_of
from refspec.diffcheck.render import import_lines, render_graph
from refspec.diffcheck.repro import MAX_LINES, still_fails, write_repro
from refspec.scan_module import until

from . import plants

Graph = tuple[list[Variable], list[Variable], list[tuple[SharedVariable, Variable]]]


def _rebuilt(inputs: Sequence[Variable], outputs: Sequence[Variable],
             updates: Sequence[tuple[SharedVariable, Variable]]) -> Graph:
    """The graph the rendered lines build: run them with their imports."""
    g = render_graph(inputs, outputs, updates)
    namespace: dict[str, object] = {}
    exec("\n".join(["import numpy as np", *import_lines(g, {}), *g.lines]), namespace)  # noqa: S102
    pick: Callable[[str], Variable] = lambda name: eval(name, namespace)  # noqa: E731, S307
    return ([pick(n) for n in g.inputs], [pick(n) for n in g.outputs],
            [(pick(t), pick(e)) for t, e in g.updates])  # type: ignore[misc]


def _run(inputs: Sequence[Variable], outputs: Sequence[Variable], updates: Sequence[tuple[SharedVariable, Variable]],
         values: Sequence[Array]) -> list[Array] | type[Exception]:
    """Outputs, then the updated shared values, on the reference (or the class of what it raised)."""
    f = compile_path(program_of(list(inputs), list(outputs), list(updates)), REFERENCE)
    try:
        result = f(*values)
    except Exception as exc:  # noqa: BLE001 - the error class is what is compared
        return type(exc)
    outs = result if isinstance(result, list) else [result]
    return outs + [t.container.value for t, _ in updates]


def assert_rebuilds(inputs: Sequence[Variable], outputs: Sequence[Variable],
                    updates: Sequence[tuple[SharedVariable, Variable]], values: Sequence[Array],
                    reset: Callable[[], None] = lambda: None) -> None:
    """The rendered graph computes the original's values, bit for bit (shared values from the same start)."""
    reset()
    ins, outs, ups = _rebuilt(inputs, outputs, updates)  # the shared values as they are now
    want = _run(inputs, outputs, updates, values)
    got = _run(ins, outs, ups, values)
    reset()
    if isinstance(want, type) or isinstance(got, type):
        assert want is got
        return
    assert len(want) == len(got)
    for w, g in zip(want, got):
        found = compare_arrays(np.asarray(w), np.asarray(g))
        assert found is None, found


def _nested() -> tuple[list[Variable], list[Variable], list[Array]]:
    """An outer scan over x whose step runs an inner scan over a captured vector, with a non-sequence."""
    x, v, k = T.dvector("x"), T.dvector("v"), T.dscalar("k")

    def outer(a: T.TensorVariable, scale: T.TensorVariable) -> T.TensorVariable:
        inner, _ = refspec.scan(lambda b, acc: acc + b * a * scale, sequences=[v], outputs_info=[T.constant(0.0)])
        return inner[-1] + T.maximum(a, 0.5)

    out, _ = refspec.scan(outer, sequences=[x], non_sequences=[k])
    return [x, v, k], [out], [np.array([1.0, -2.0, 3.0]), np.array([0.5, 0.25]), np.array(2.0)]


def _taps_and_until() -> tuple[list[Variable], list[Variable], list[Array]]:
    """Sequence taps, an output fed back from two steps before, an until, go_backwards, a map output."""
    x, h = T.dvector("x"), T.dvector("h")

    def step(prev: T.TensorVariable, nxt: T.TensorVariable, h2: T.TensorVariable,
             h1: T.TensorVariable) -> tuple[list[T.TensorVariable], until]:
        new = h1 * 0.5 + h2 - prev * nxt
        return [new, T.exp(new)], until(new > 100.0)

    outs, _ = refspec.scan(step, sequences=[dict(input=x, taps=[-1, 1])],
                           outputs_info=[dict(initial=h, taps=[-2, -1]), None], go_backwards=True)
    return [x, h], list(outs), [np.array([1.0, 2.0, 3.0, 4.0, 5.0]), np.array([0.5, -1.0])]


def test_nested_scans_render_to_the_same_program() -> None:
    inputs, outputs, values = _nested()
    assert_rebuilds(inputs, outputs, [], values)
    g = render_graph(inputs, outputs)
    assert g.scans == 2 and sum("ScanParams(" in line for line in g.lines) == 2
    text = write_repro(inputs, outputs, values)
    assert not still_fails(text)  # it runs, and the paths agree on it


def test_taps_until_and_backwards_render_to_the_same_program() -> None:
    inputs, outputs, values = _taps_and_until()
    assert_rebuilds(inputs, outputs, [], values)
    assert not still_fails(write_repro(inputs, outputs, values))


def test_a_scan_updating_a_shared_variable_renders_with_its_update() -> None:
    w = refspec.shared(np.array([1.0, 2.0]), name="w")
    x = T.dvector("x")
    out, updates = refspec.scan(lambda a: [a * w.sum(), {w: w * a}], sequences=[x])
    pairs = list(updates.items())
    assert_rebuilds([x], [out], pairs, [np.array([0.5, 3.0])],
                    reset=lambda: w.set_value(np.array([1.0, 2.0])))
    np.testing.assert_array_equal(w.get_value(), [1.0, 2.0])


@settings(budget(40))
@given(case=programs([Op.SCAN], max_nodes=20))
def test_generated_scan_programs_render_to_the_same_program(case: Case) -> None:
    program = program_of(case.inputs, case.outputs, case.updates, case.givens)
    inputs = [s.variable for s in program.inputs]
    assert_rebuilds(inputs, program.outputs, program.updates, case.arguments(), case.reset)


def test_bisect_goes_inside_a_scan(monkeypatch: pytest.MonkeyPatch) -> None:
    """A NaN-dropping maximum inside the step: the scan node differs; inside, output 0 first differs
    at step 2 (the NaN), at the maximum node built in ``step``; the repro is that node alone."""
    plants.nan_dropping_maximum(monkeypatch)
    x, h0 = T.dvector("x"), T.dscalar("h0")

    def step(a: T.TensorVariable, h: T.TensorVariable) -> T.TensorVariable:
        return T.maximum(h, a) * 0.5 + 1.0

    line = step.__code__.co_firstlineno + 1  # the line that builds the maximum
    out, _ = refspec.scan(step, sequences=[x], outputs_info=[h0])
    y = T.sum(out) * 2
    values = [np.array([1.0, 2.0, np.nan, 4.0]), np.array(0.0)]
    first = bisect([x, h0], [y], values)
    assert first is not None and first.op == "scan" and first.inside is not None
    assert (first.inside.output, first.inside.step) == (0, 2)
    inner = first.inside.first
    assert inner is not None and inner.op == "maximum" and inner.source is not None
    assert (inner.source.function, inner.source.lineno) == ("step", line)
    text = str(first)
    assert "scan node" in text and "ScanParams" not in text  # named briefly, not by its params' repr
    assert "output 0 first differs at step 2" in text and "maximum node" in text
    repro = make_repro(program_of([x, h0], [y]), values, first)
    assert repro is not None and repro.verified and repro.scope == "node"
    assert repro.nodes == 1 and repro.scans == 0 and "Op.MAXIMUM" in repro.text
    assert "first differs at step 2" in repro.text.splitlines()[0]


def test_a_step_that_agrees_alone_blames_the_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fast loop pads short sequences with zeros: no step differs (the reference raises)."""
    plants.scan_past_the_end(monkeypatch)
    x, n = T.dvector("x"), T.lscalar("n")
    out, _ = refspec.scan(lambda a: a * 2, sequences=[x], n_steps=n)
    first = bisect([x, n], [out], [np.array([1.0, 2.0]), np.array(3)])
    assert first is not None and first.op == "scan" and first.inside is not None
    assert first.inside.step is None and first.inside.first is None
    assert "the reference raised ValueError, FAST_RUN returned values" in str(first)
    assert "the loop around the step differs" in str(first)


def test_scan_plant_yields_a_small_verified_repro(monkeypatch: pytest.MonkeyPatch) -> None:
    """The scan node alone, its one-node body written out: 2 make_node lines (mul, scan), one
    element, 20 lines; it fails with the plant and passes without it."""
    x, n = T.dvector("x"), T.lscalar("n")
    out, _ = refspec.scan(lambda a: a * 2, sequences=[x], n_steps=n)
    with monkeypatch.context() as planted:
        plants.scan_past_the_end(planted)
        report = check([out], [x, n], examples=10, grad=False, shapes={x: (2,)},
                       strategies={n: st.integers(0, 4).map(np.int64)})
        repro = report.repro
        assert not report.passed and repro is not None and repro.verified, str(report)
        assert still_fails(repro.text)
    assert repro.scope == "node" and repro.scans == 1 and repro.nodes == 2 and repro.max_elements == 1
    assert repro.lines <= MAX_LINES, repro.text
    assert "ScanParams(inner_inputs=(a0,)" in repro.text and "Op.SCAN" in repro.text
    assert not still_fails(repro.text)  # the plant is gone: the repro passes
