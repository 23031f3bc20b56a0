"""The generated code (refspec/fast/cpu/codegen.py): golden source text for a fixed set of small
graphs, determinism, no user strings in the text, and what ``Function.report()`` says.

The golden files are ``tests/fast/golden/<name>.py.txt``. After an intended change to code generation
or to the rewrites, regenerate them and review the diff:

    REFSPEC_UPDATE_GOLDEN=1 pytest tests/fast/test_codegen.py
"""

from __future__ import annotations

import contextlib
import io
import pathlib
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from tests import golden

import refspec as theano
import refspec.tensor as T
from refspec import In
from refspec.compile.function import Function
from refspec.ifelse import ifelse
from refspec.tensor.shared_randomstreams import RandomStreams

GOLDEN = pathlib.Path(__file__).parent / "golden"
UPDATE = golden.UPDATE


def source_of(f: Function) -> str:
    assert f._fast is not None and f._fast.program is not None, "not generated code"
    return f._fast.program.source


def check_golden(name: str, text: str) -> None:
    golden.check_golden(GOLDEN / f"{name}.py.txt", text, f"generated source for {name!r}")


# -- the golden graphs: each builds a fresh graph and compiles it in FAST_RUN -------------------------

def g_scalar_times_two() -> Function:
    x = T.dscalar("x")
    return theano.function([x], x * 2, mode="FAST_RUN")


def g_elementwise_chain() -> Function:
    x, y = T.dvectors("x", "y")
    return theano.function([x, y], (1 + T.tanh(x / 2)) / 2 * T.exp(-x * x) + T.log1p(abs(y)), mode="FAST_RUN")


def g_accumulator() -> Function:
    state = theano.shared(np.int64(0), name="state")
    inc = T.lscalar("inc")
    return theano.function([inc], state, updates=[(state, state + inc)], mode="FAST_RUN")


def g_logistic_regression_step() -> Function:
    x, y = T.dmatrix("x"), T.dvector("y")
    w = theano.shared(np.zeros(3), name="w")
    b = theano.shared(np.float64(0.0), name="b")
    p_1 = 1 / (1 + T.exp(-T.dot(x, w) - b))
    xent = -y * T.log(p_1) - (1 - y) * T.log(1 - p_1)
    cost = xent.mean() + 0.01 * (w ** 2).sum()
    gw, gb = T.grad(cost, [w, b])
    return theano.function([x, y], [p_1 > 0.5, xent], updates=[(w, w - 0.1 * gw), (b, b - 0.1 * gb)],
                           mode="FAST_RUN")


def g_folding_and_shapes() -> Function:
    x = T.tensor("float64", shape=(2, 3), name="x")
    m = T.dmatrix("m")
    scale = T.constant(2.0) * T.constant(3.0)
    return theano.function([x, m], [T.sum(x.reshape((3, -1)), axis=1) * scale, T.shape(x), m.shape[0] * 1],
                           mode="FAST_RUN")


def g_reference_kernels() -> Function:
    m = T.dmatrix("m")
    i = T.lvector("i")
    return theano.function([m, i], [T.nnet.softmax(m), m[i, 1:], T.set_subtensor(m[0], 0.0), T.argmax(m, axis=0)],
                           mode="FAST_RUN")


def g_scan_and_random() -> Function:
    seq = T.dmatrix("seq")
    outs, updates = theano.scan(lambda s, acc: acc + s, sequences=seq, outputs_info=T.zeros((2,)))
    srng = RandomStreams(seed=7)
    return theano.function([seq], [outs[-1], srng.normal((2,))], updates=updates, mode="FAST_RUN")


GRAPHS: dict[str, Callable[[], Function]] = {
    "scalar_times_two": g_scalar_times_two,
    "elementwise_chain": g_elementwise_chain,
    "accumulator": g_accumulator,
    "logistic_regression_step": g_logistic_regression_step,
    "folding_and_shapes": g_folding_and_shapes,
    "reference_kernels": g_reference_kernels,
    "scan_and_random": g_scan_and_random,
}


@pytest.mark.parametrize("name", sorted(GRAPHS))
def test_golden_source(name: str) -> None:
    check_golden(name, source_of(GRAPHS[name]()))


@pytest.mark.parametrize("name", sorted(GRAPHS))
def test_same_graph_same_text(name: str) -> None:
    """Determinism: rebuilding the graph from scratch and compiling again gives the same text (names
    are numbered in graph order, never taken from ids or the user)."""
    first = source_of(GRAPHS[name]())
    assert all(source_of(GRAPHS[name]()) == first for _ in range(3))


def test_golden_files_are_all_used() -> None:
    if UPDATE:
        return
    on_disk = {p.name.removesuffix(".py.txt") for p in GOLDEN.glob("*.py.txt")}
    assert on_disk == set(GRAPHS) | {"scan_loop"}, f"stale or missing golden files: {on_disk ^ set(GRAPHS)}"


def test_generated_programs_run_the_reference_semantics() -> None:
    """The golden graphs, called: the same values as the reference (tests/fast/test_differential.py
    covers this broadly; here it keeps the golden programs honest)."""
    rng = np.random.default_rng(0)
    args: dict[str, list[Any]] = {
        "scalar_times_two": [1.5],
        "elementwise_chain": [rng.normal(size=5), rng.normal(size=5)],
        "accumulator": [3],
        "logistic_regression_step": [rng.normal(size=(4, 3)), np.array([0.0, 1.0, 1.0, 0.0])],
        "folding_and_shapes": [rng.normal(size=(2, 3)), rng.normal(size=(4, 2))],
        "reference_kernels": [rng.normal(size=(3, 4)), np.array([2, 0, 2])],
        "scan_and_random": [rng.normal(size=(5, 2))],
    }
    for name, build in GRAPHS.items():
        fast = build()
        ref = Function(build().program, "REFERENCE", None, None)  # its own shared variables
        got, want = fast(*args[name]), ref(*args[name])
        got_list = got if isinstance(got, list) else [got]
        want_list = want if isinstance(want, list) else [want]
        for g, w in zip(got_list, want_list):
            assert g.dtype == w.dtype and g.shape == w.shape
            np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-15, err_msg=name)


# -- no user strings in the generated text -----------------------------------------------------------

EVIL = "x); import os; os.system('echo pwned')#"


def test_user_names_never_reach_the_text() -> None:
    x = T.dvector(EVIL)
    y = T.dvector("y_user_name_7531")
    s = theano.shared(np.arange(3.0), name=EVIL + "shared")
    acc = T.dvector("acc_name_8642")
    out = (x * 2 + y) * s
    out.name = EVIL + "output"
    printed = theano.printing.Print(EVIL + "message")(out)
    f = theano.function([x, y, In(acc, value=np.zeros(3), update=acc + x, name=EVIL + "in")],
                        [printed, acc + 12345.678], updates=[(s, s + 1)], mode="FAST_RUN")
    source = source_of(f)
    for fragment in ("os.system", "import", "pwned", "y_user_name", "acc_name", "12345", EVIL[:2]):
        assert fragment not in source, fragment
    assert all(line.startswith(("def program(", "    ")) for line in source.splitlines())
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        value, acc_out = f(np.ones(3), np.ones(3))
    np.testing.assert_array_equal(value, [0.0, 3.0, 6.0])
    np.testing.assert_array_equal(acc_out, [12345.678] * 3)
    assert EVIL + "message" in buf.getvalue()  # the message is printed as data, not run as code
    np.testing.assert_array_equal(s.get_value(), [1.0, 2.0, 3.0])


def test_compiled_code_is_cached_by_its_text() -> None:
    from refspec.fast.cpu import codegen

    first = source_of(g_scalar_times_two())
    code = codegen._CODE_CACHE[first]
    assert codegen._CODE_CACHE[source_of(g_scalar_times_two())] is code


# -- Function.report() --------------------------------------------------------------------------------

def test_report_names_the_rewrites_and_the_reference_parts() -> None:
    z = T.dvector("z")
    f = theano.function([z], -T.log(1 - 1 / (1 + T.exp(-z))) * 1, mode="FAST_RUN")
    report = f.report()
    assert "rewritten graph:" in report and "softplus" in report
    assert "rewrites applied:" in report
    for rule in ("_sigmoid_of_neg", "_keep_real_x"):
        assert rule in report
    assert "generated program:" in report

    ref_parts = g_reference_kernels().report()
    for line in ("softmax: reference kernel", "subtensor: reference kernel", "inc_subtensor: reference kernel"):
        assert line in ref_parts

    # every node that runs a reference kernel (or loop) is listed by name, never silently
    for build in GRAPHS.values():
        g = build()
        assert g._fast is not None and g._fast.program is not None
        report = g.report()
        for node, how in g._fast.program.kernels:
            if "reference" in how:
                assert f"{node.op.value}: {how}" in report, (node.op, how)

    c = T.bscalar("c")
    lazy = theano.function([c, z], ifelse(c, z * 2, z), mode="FAST_RUN")
    assert "lazy branches" in lazy.report()
    assert lazy._fast is not None and "if bool(" in lazy._fast.program.source  # generated, not interpreted

    plain = theano.function([z], z * 2, mode="REFERENCE")
    assert "reference interpreter" in plain.report()


def test_golden_loop_source() -> None:
    """The loop generated around a scan step: sequence taps at constant offsets, a two-tap history,
    an until condition, a random state carried in a local."""
    from refspec.ast import Op, toposort
    from refspec.fast.cpu.loops import loop_source
    from refspec.params import ScanParams
    from refspec.scan_module import until

    seq = T.dvector("seq")
    srng = RandomStreams(seed=3)

    def step(s_prev: Any, s_next: Any, f2: Any, f1: Any) -> Any:
        new = f1 + f2 + s_prev * s_next + srng.uniform(())
        return new, until(new > 100)

    outs, updates = theano.scan(step, sequences=dict(input=seq, taps=[-1, 1]),
                                outputs_info=dict(initial=T.zeros((2,)), taps=[-2, -1]))
    f = theano.function([seq], outs, updates=updates, mode="FAST_RUN")
    assert f._fast is not None
    loops = [n.params for n in toposort(f._fast.optimized) if n.op is Op.SCAN]
    assert len(loops) == 1 and isinstance(loops[0], ScanParams)
    check_golden("scan_loop", loop_source(loops[0]))


@pytest.mark.parametrize("mode", ["REFERENCE", "FAST_RUN"])
def test_a_failing_call_prints_once(mode: str) -> None:
    """The fast path re-runs the reference to raise its error; that re-run prints nothing."""
    x, y = T.lscalar("x"), T.lscalar("y")
    f = theano.function([x, y], theano.printing.Print("px")(x) // y, mode=mode)
    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(ZeroDivisionError):
        f(3, 0)
    assert out.getvalue().count("px") == 1, out.getvalue()
