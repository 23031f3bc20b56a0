"""Bisection to the first differing node, and the standalone repro files it leads to."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.budget import budget

import refspec as theano
import refspec.tensor as T
from refspec import params as P
from refspec.ast import TensorType
from refspec.diffcheck import bisect, make_repro
from refspec.diffcheck.paths import program_of
from refspec.diffcheck.render import RenderError, render_array, render_params
from refspec.diffcheck.repro import still_fails
from refspec.diffcheck.values import arrays_for

from . import plants

ROOT = Path(__file__).resolve().parents[2]
DTYPES = ("bool", "int16", "uint32", "int64", "float16", "float32", "float64", "complex64", "complex128")


@settings(budget(40))
@given(data=st.data())
def test_array_literals_give_back_the_same_bits(data: st.DataObject) -> None:
    dtype = data.draw(st.sampled_from(DTYPES), label="dtype")
    a = data.draw(arrays_for(TensorType(dtype, shape=(None,) * data.draw(st.integers(0, 3)))), label="a")
    back = eval(render_array(a), {"np": np})  # noqa: S307 - the text under test
    assert back.dtype == a.dtype and back.shape == a.shape
    same_nan = np.isnan(a) if a.dtype.kind in "fc" else np.zeros(a.shape, bool)
    assert np.array_equal(np.isnan(back) if a.dtype.kind in "fc" else same_nan, same_nan)
    assert np.where(same_nan, 0, back).tobytes() == np.where(same_nan, 0, a).tobytes()  # -0.0 kept


PARAMS = [
    P.NO_PARAMS,
    P.CastParams("float16"),
    P.ReduceParams((0, 2), True),
    P.ReduceParams(None, False),
    P.DimShuffleParams((1, "x", 0)),
    P.IndexParams((P.ScalarIndex(P.SYM), P.SliceIndex(None, 3, -1), P.ArrayIndex(), P.MaskIndex())),
    P.IncIndexParams((P.ScalarIndex(2),), True),
    P.PrintParams("it's \"quoted\"\n", ("shape",)),
    P.RandomParams("normal", "float32", 2),
    P.TensorDotParams((1,), (0,)),
]


@pytest.mark.parametrize("params", PARAMS, ids=repr)
def test_params_literals_evaluate_back(params: P.Params) -> None:
    names: set[str] = set()
    text = render_params(params, names)
    assert eval(text, {n: getattr(P, n) for n in names}) == params  # noqa: S307


def test_scan_params_name_their_inner_variables() -> None:
    """Params holding variables (a scan's inner graph) have no literal alone: the graph's writer
    names the variables (tests/diffcheck/test_scan_repro.py)."""
    v = T.dscalar("v")
    loop = P.ScanParams((v,), (v * 2,), (), (), (), None, False, -1, None)
    with pytest.raises(RenderError):
        render_params(loop, set())
    names = {id(v): "a0", id(loop.inner_outputs[0]): "n0[0]"}
    text = render_params(loop, set(), lambda var: names[id(var)])
    assert text.startswith("ScanParams(inner_inputs=(a0,), inner_outputs=(n0[0],), seq_taps=()")
    assert "last_only" not in text  # a field at its default is left out


def _graph() -> tuple[list[T.TensorVariable], T.TensorVariable, int]:
    x, y = T.dvector("x"), T.dvector("y")
    a = T.exp(x) * 2
    m = T.maximum(a, y); line = sys._getframe().f_lineno  # noqa: E702 - the line that builds the node
    return [x, y], T.sum(T.tanh(m) + a), line


VALUES = [np.array([0.5, 1.0, -1.0]), np.array([np.nan, 0.0, 3.0])]


def test_bisect_finds_nothing_when_paths_agree() -> None:
    inputs, out, _ = _graph()
    assert bisect(inputs, [out], VALUES) is None


def test_bisect_names_the_node_and_its_line(monkeypatch: pytest.MonkeyPatch) -> None:
    plants.nan_dropping_maximum(monkeypatch)
    inputs, out, line = _graph()
    first = bisect(inputs, [out], VALUES)
    assert first is not None
    assert first.op == "maximum" and first.params == P.NO_PARAMS
    assert first.source is not None and (first.source.filename, first.source.lineno) == (__file__, line)
    assert first.inputs is not None and len(first.inputs) == 2  # exp(x) * 2 and y, on the reference
    assert f"{Path(__file__).name}:{line}" in str(first)


def test_repro_runs_under_pytest_and_fails_only_with_the_bug(monkeypatch: pytest.MonkeyPatch,
                                                           tmp_path: Path) -> None:
    inputs, out, _ = _graph()
    program = program_of(inputs, [out])
    with monkeypatch.context() as planted:
        plants.nan_dropping_maximum(planted)
        first = bisect(inputs, [out], VALUES)
        repro = make_repro(program, VALUES, first)
        assert repro is not None and repro.verified and repro.scope == "node"
        assert repro.lines <= 30 and repro.nodes == 1 and repro.max_elements == 1
        path = tmp_path / "test_planted_repro.py"
        path.write_text(repro.text)
        args = [str(path), "-q", "-p", "no:cacheprovider", "--rootdir", str(tmp_path), "--import-mode=importlib"]
        assert pytest.main(args) == pytest.ExitCode.TESTS_FAILED  # the bug, in this process
    assert not still_fails(repro.text)  # the plant is gone: the repro passes
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(path)],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr  # standalone: it runs in a fresh interpreter


def test_repro_falls_back_to_the_subgraph(monkeypatch: pytest.MonkeyPatch) -> None:
    """The in-place add only misbehaves on a shared variable: the node alone (over explicit inputs)
    passes, so the repro keeps the shared variable."""
    plants.non_atomic_update(monkeypatch)
    x, y = T.lvector("x"), T.lvector("y")
    s = theano.shared(np.arange(3), name="s")
    values = [np.array([1, 1, 1]), np.array([1, 0, 1])]
    first = bisect([x, y], [(s + x) // y], values, updates=[(s, s + x)])
    assert first is not None and first.op == "add"
    repro = make_repro(program_of([x, y], [(s + x) // y], [(s, s + x)]), values, first)
    assert repro is not None and repro.verified and repro.scope == "subgraph"
    assert "SharedVariable(" in repro.text and repro.lines <= 30
    np.testing.assert_array_equal(s.get_value(), [0, 1, 2])  # bisecting and writing left it alone


def test_bisect_reaches_a_difference_that_needs_updated_state(monkeypatch: pytest.MonkeyPatch) -> None:
    """The exp bug shows only once s > 1.5, which the second call reaches through the update."""
    import refspec.fast.cpu.codegen as codegen

    right = codegen._direct_kernel

    def wrong_exp(x: np.ndarray) -> np.ndarray:  # type: ignore[type-arg]
        with np.errstate(all="ignore"):
            r = np.exp(x)
        return np.where(x > 1.5, r * 2, r)  # type: ignore[no-any-return]

    monkeypatch.setattr(codegen, "_direct_kernel",
                        lambda node: wrong_exp if node.op.value == "exp" else right(node))
    s = theano.shared(np.array([1.0]), name="s")
    out = T.exp(s) * 1.0
    first = bisect([], [out], [], updates=[(s, s + 1.0)], calls=2)
    assert first is not None and first.op == "exp"
    np.testing.assert_array_equal(s.get_value(), [1.0])  # the state is left as it was
