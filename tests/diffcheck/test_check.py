"""``refspec.diffcheck.check`` on users' graphs: correct ones pass, planted bugs are found, named and
reproduced, gradients are checked without false alarms at kinks, and the user's state is kept."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pytest
from hypothesis import strategies as st

import refspec as theano
import importlib
import refspec.tensor as T
from refspec.ast import Array, Op
from refspec.autodiff.vjp import VJP
from refspec.diffcheck import CheckReport, check
from refspec.diffcheck.repro import still_fails
from refspec.tensor.var import TensorSharedVariable

from . import plants

check_module = importlib.import_module("refspec.diffcheck.check")  # the package's check() hides it

Plant = Callable[[pytest.MonkeyPatch], None]


def _logistic_step() -> tuple[theano.Function, TensorSharedVariable]:
    x, y = T.dmatrix("x"), T.dvector("y")
    w = theano.shared(np.array([0.1, -0.2, 0.3]), name="w")
    p = 1 / (1 + T.exp(-T.dot(x, w)))
    cost = T.mean(-y * T.log(p) - (1 - y) * T.log(1 - p))
    gw = T.grad(cost, w)
    return theano.function([x, y], [cost, p], updates=[(w, w - 0.1 * gw)]), w


def test_a_correct_function_passes_and_keeps_the_state() -> None:
    f, w = _logistic_step()
    value = w.get_value(borrow=True)
    # labels drawn with special values: with y = inf, (1 - y) * log(1 - p) is NaN on the reference and
    # inf once the declared refinement has made log(1 - p) finite, which the reference's evaluation of
    # the rewritten graph shows to be the refinement's doing (spec/diffcheck.md)
    report = check(f, examples=15, shapes={"x": (4, 3)})
    assert report.passed, str(report)
    assert report.examples >= 15 and report.mismatches == 0 and report.repro is None
    assert report.gradient_checks > 0 and report.gradient_failures == 0
    assert set(report.worst) >= {"output 0", "output 1", "shared w"}
    assert w.get_value(borrow=True) is value
    np.testing.assert_array_equal(value, [0.1, -0.2, 0.3])
    assert str(report).startswith("diffcheck passed: ")


def test_the_same_seed_draws_the_same_examples() -> None:
    x, y = T.dvector("x"), T.dvector("y")
    out = T.tanh(x) * y + T.maximum(x, y)
    first, second = (check([out], [x, y], examples=10, seed=3) for _ in range(2))
    assert (first.examples, first.worst, first.gradient_skipped) == (second.examples, second.worst,
                                                                    second.gradient_skipped)


def test_shape_hints_and_strategies_override_the_draws(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[list[Array]] = []
    compare = check_module.compare_program

    def recording(program: object, values: Sequence[Array], *args: object, **kwargs: object) -> object:
        seen.append(list(values))
        return compare(program, values, *args, **kwargs)

    monkeypatch.setattr(check_module, "compare_program", recording)
    x, k = T.dmatrix("x"), T.lscalar("k")
    check([x * k], [x, k], examples=5, grad=False, shapes={x: (2, 5)}, strategies={"k": st.just(np.array(7))})
    assert seen and all(v[0].shape == (2, 5) and v[1] == 7 for v in seen)


def test_unknown_lengths_are_shared_between_inputs() -> None:
    x, y = T.dvector("x"), T.dvector("y")
    report = check([x + y], [x, y], examples=10, grad=False)
    assert report.passed
    # x + y raises on different lengths; drawn together, the lengths agree and values are compared
    assert "output 0" in report.worst


def test_kinks_and_ties_are_skipped_not_failed() -> None:
    """At integers floor jumps (a difference quotient there is huge), and x and y tie: the points are
    checked next to the kink instead, never failed."""
    x, y = T.dvector("x"), T.dvector("y")
    out = T.abs(x) + T.maximum(x, y) + T.floor(y) * x
    at_kinks = {x: st.just(np.array([0.0, 1.0, -2.0])), y: st.just(np.array([0.0, 1.0, 3.0]))}
    report = check([out], [x, y], examples=3, grad_examples=3, strategies=at_kinks)
    assert report.passed, str(report)
    assert report.gradient_skipped > 0 and report.gradient_failures == 0
    drawn = check([out], [x, y], examples=10, grad_examples=10)  # drawn points avoid the kinks
    assert drawn.passed and drawn.gradient_checks >= 8, str(drawn)


def test_updates_and_givens_of_outputs_and_inputs() -> None:
    x, c = T.dvector("x"), T.dscalar("c")
    s = theano.shared(np.zeros(3), name="s")
    report = check([s * x], [x, c], updates=[(s, s + x * c)], givens=None, examples=10, calls=2,
                   shapes={"x": (3,)})
    assert report.passed, str(report)
    np.testing.assert_array_equal(s.get_value(), np.zeros(3))


def _find(report: CheckReport, op: Op) -> None:
    assert not report.passed and report.mismatches > 0, str(report)
    assert report.first_difference is not None and report.first_difference.node.op is op, str(report)
    repro = report.repro
    assert repro is not None and repro.verified and repro.lines <= 30, str(report)
    assert still_fails(repro.text)  # the text itself reproduces it (the plant is still in place)
    assert repro.max_elements <= 4


def test_finds_a_nan_dropping_maximum(monkeypatch: pytest.MonkeyPatch) -> None:
    plants.nan_dropping_maximum(monkeypatch)
    x, y = T.dvector("x"), T.dvector("y")
    _find(check([T.exp(T.maximum(x, y)) * 2], [x, y], examples=30, grad=False), Op.MAXIMUM)


def test_finds_an_integer_division_that_does_not_raise(monkeypatch: pytest.MonkeyPatch) -> None:
    plants.int_div_by_zero_gives_zero(monkeypatch)
    x, y = T.lvector("x"), T.lvector("y")
    f = theano.function([x, y], (x + 1) // y)
    _find(check(f, examples=30, strategies={y: st.sampled_from([np.array([2, 0]), np.array([0, 5])])}),
          Op.INT_DIV)


def test_finds_float32_accumulation(monkeypatch: pytest.MonkeyPatch) -> None:
    plants.float32_sum(monkeypatch)
    x = T.dmatrix("x")
    _find(check([T.sum(x * 3, axis=0)], [x], examples=30, grad=False), Op.SUM)


def test_finds_a_non_atomic_update(monkeypatch: pytest.MonkeyPatch) -> None:
    plants.non_atomic_update(monkeypatch)
    x, y = T.lvector("x"), T.lvector("y")
    s = theano.shared(np.arange(3), name="s")
    f = theano.function([x, y], (s + x) // y, updates=[(s, s + x)])
    report = check(f, examples=10, shapes={x: (3,)}, strategies={y: st.just(np.array([1, 0, 1]))})
    assert report.first_mismatch is not None and "changed by a failing call" in report.first_mismatch.message
    assert report.first_difference is not None and report.first_difference.node.op is Op.ADD
    assert report.repro is not None and report.repro.verified and report.repro.scope == "subgraph"
    np.testing.assert_array_equal(s.get_value(), [0, 1, 2])


def test_finds_a_wrong_gradient_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    def wrong_sin(node: object, gs: list[T.TensorVariable]) -> list[object]:
        x = node.inputs[0]  # type: ignore[attr-defined]
        return [gs[0] * T.cos(x) * 1.5]

    monkeypatch.setitem(VJP, Op.SIN, wrong_sin)
    x = T.dvector("x")
    report = check([T.sin(x) * x], [x], examples=5, shapes={x: (3,)})
    assert report.gradient_failures > 0 and not report.passed
    assert any("output 0" in n and "directional derivative" in n for n in report.notes), str(report)


def test_audits_that_compiling_twice_gives_the_same_code(monkeypatch: pytest.MonkeyPatch) -> None:
    import refspec.fast.cpu.pipeline as pipeline

    generate = pipeline.generate  # type: ignore[attr-defined]
    count = [0]

    def numbered(*args: object, **kwargs: object) -> object:
        program = generate(*args, **kwargs)  # type: ignore[arg-type]
        count[0] += 1
        program.source += f"# build {count[0]}\n"  # code that depends on how often it was built
        return program

    monkeypatch.setattr(pipeline, "generate", numbered)
    x = T.dvector("x")
    report = check([x * 2], [x], examples=3, grad=False)
    assert not report.passed and any("compiled to different code" in n for n in report.notes), str(report)
