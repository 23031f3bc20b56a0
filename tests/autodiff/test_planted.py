"""Planted bugs: wrong derivative rules that ``verify_grad`` must catch (spec/numerics.md).

Each test swaps one rule (pytest's ``monkeypatch`` restores it afterwards) and shows that
``verify_grad`` raises ``GradientError``: a sign flip, a dropped term, a missing broadcast reduction
(static and run-time), a wrong forward-mode rule (caught only by the JVP/VJP inner-product test), and a
rule that is right in value but wrong in its own derivative (caught only at order 2).
"""

from __future__ import annotations

import numpy as np
import pytest

import refspec.autodiff.vjp as vjp_module
import refspec.tensor as T
from refspec.ast import Apply, Op, Variable
from refspec.autodiff.cotangent import ZERO, Grad, grad_dtype
from refspec.autodiff.jvp import JVP, Tangent
from refspec.autodiff.vjp import VJP
from refspec.gradient import GradientError, verify_grad
from refspec.tensor.var import TensorVariable

ORIGINAL_VJP = dict(VJP)
ORIGINAL_JVP = dict(JVP)
ORIGINAL_UNBROADCAST = vjp_module.unbroadcast


def _tv(v: Variable) -> TensorVariable:
    assert isinstance(v, TensorVariable)
    return v


def _rng() -> np.random.Generator:
    return np.random.default_rng(42)


X = np.array([[0.3, -1.2, 2.0], [0.7, 1.1, -0.4]])
Y = np.array([[1.5, 0.2, -0.9], [-2.0, 0.6, 1.3]])


def test_control_the_real_rules_pass() -> None:
    verify_grad(T.sin, [X], rng=_rng(), order=2)
    verify_grad(lambda a, b: a * b, [X, Y], rng=_rng(), order=2)
    verify_grad(lambda a, b: T.specify_shape(a, (1, 3)) + b, [X[:1], Y], rng=_rng(), order=2)
    verify_grad(lambda a, b: a + b, [X[:1], Y], rng=_rng(), order=2)
    verify_grad(T.sqr, [X], rng=_rng(), order=2)


def test_sign_flip_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    def wrong_sin(node: Apply, gs: list[TensorVariable]) -> list[Grad]:
        return [gs[0] * -T.cos(_tv(node.inputs[0]))]  # d sin = +cos

    monkeypatch.setitem(VJP, Op.SIN, wrong_sin)
    with pytest.raises(GradientError, match="order 1"):
        verify_grad(T.sin, [X], rng=_rng())
    for dtype in ("float32", "float64"):
        with pytest.raises(GradientError):
            verify_grad(lambda a: T.exp(T.sin(a)) * a, [X.astype(dtype)], rng=_rng())


def test_dropped_term_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    def mul_forgets_y(node: Apply, gs: list[TensorVariable]) -> list[Grad]:
        x, y = (_tv(v) for v in node.inputs)
        return [vjp_module.unbroadcast(gs[0] * y, x, node), ZERO]  # d(x*y)/dy = x was dropped

    monkeypatch.setitem(VJP, Op.MUL, mul_forgets_y)
    with pytest.raises(GradientError):
        verify_grad(lambda a, b: a * b, [X, Y], rng=_rng())
    # only the second input's term is gone: it is still caught when the first is the only float input
    with pytest.raises(GradientError):
        verify_grad(lambda a: a * a, [X], rng=_rng())


def test_missing_static_broadcast_reduction_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_static_sum(g: TensorVariable, x: Variable, node: Apply) -> TensorVariable:
        lead = g.ndim - x.ndim
        if lead:
            g = T.sum(g, axis=tuple(range(lead)))
        # (the sum over statically-1 axes of x is missing)
        return T.cast(g, grad_dtype(x))

    monkeypatch.setattr(vjp_module, "unbroadcast", no_static_sum)
    # x is statically (1, 3) and broadcast against (2, 3): its gradient comes back (2, 3)
    with pytest.raises(GradientError, match="shape"):
        verify_grad(lambda a, b: T.specify_shape(a, (1, 3)) + b, [X[:1], Y], rng=_rng())
    with pytest.raises(GradientError, match="shape"):
        verify_grad(lambda a, b: b * T.specify_shape(a, (2, 1)), [X[:, :1], Y], rng=_rng())


def test_missing_runtime_broadcast_reduction_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_sum_to(g: TensorVariable, x: Variable, node: Apply) -> TensorVariable:
        lead = g.ndim - x.ndim
        if lead:
            g = T.sum(g, axis=tuple(range(lead)))
        static = [i for i in range(x.ndim) if x.type.shape[i] == 1 and g.type.shape[i] != 1]
        if static:
            g = T.sum(g, axis=static, keepdims=True)
        # (the run-time sum_to for lengths unknown statically, which may be 1, is missing)
        return T.cast(g, grad_dtype(x))

    monkeypatch.setattr(vjp_module, "unbroadcast", no_sum_to)
    # x's type is (?, ?) but its value has a length-1 first axis: numpy broadcast it at run time
    with pytest.raises(GradientError, match="shape"):
        verify_grad(lambda a, b: a + b, [X[:1], Y], rng=_rng())
    with pytest.raises(GradientError, match="shape"):
        verify_grad(lambda a, b: T.sin(a) * b, [X[:, :1], Y], rng=_rng())


def test_dropped_leading_reduction_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_leading_sum(g: TensorVariable, x: Variable, node: Apply) -> TensorVariable:
        return T.cast(g, grad_dtype(x))

    monkeypatch.setattr(vjp_module, "unbroadcast", no_leading_sum)
    with pytest.raises(GradientError, match="shape"):
        verify_grad(lambda a, b: a * b, [X[0], Y], rng=_rng())


def test_wrong_forward_rule_is_caught_by_the_inner_product_test(monkeypatch: pytest.MonkeyPatch) -> None:
    def wrong_sin_jvp(node: Apply, ts: list[Tangent]) -> list[Tangent]:
        t = ts[0]
        return [None if t is None else t * T.sin(_tv(node.inputs[0]))]  # d sin = cos, not sin

    monkeypatch.setitem(JVP, Op.SIN, wrong_sin_jvp)
    # reverse mode is untouched, so the directional tests alone pass ...
    verify_grad(T.sin, [X], rng=_rng(), order=2, inner_product=False)
    # ... and the inner-product test <J t, c> = <t, J^T c> catches the forward rule
    with pytest.raises(GradientError, match="inner-product"):
        verify_grad(T.sin, [X], rng=_rng())
    with pytest.raises(GradientError, match="inner-product"):
        verify_grad(lambda a, b: T.sin(a * b) + b, [X, Y], rng=_rng())


def test_rule_wrong_only_in_its_own_derivative_is_caught_at_order_2(monkeypatch: pytest.MonkeyPatch) -> None:
    scale = 2.0**40

    def sqr_through_round(node: Apply, gs: list[TensorVariable]) -> list[Grad]:
        x = _tv(node.inputs[0])
        # 2 * x to within 2**-40, but built from round(), whose derivative is zero
        return [gs[0] * (2 * T.round(x * scale) / scale)]

    monkeypatch.setitem(VJP, Op.SQR, sqr_through_round)
    verify_grad(T.sqr, [X], rng=_rng(), order=1)
    with pytest.raises(GradientError, match="order 2"):
        verify_grad(T.sqr, [X], rng=_rng(), order=2)


def test_tables_are_restored() -> None:
    assert VJP == ORIGINAL_VJP and JVP == ORIGINAL_JVP
    assert vjp_module.unbroadcast is ORIGINAL_UNBROADCAST
    verify_grad(T.sin, [X], rng=_rng(), order=2)
