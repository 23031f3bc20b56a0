"""Gradients of loops that run no step (spec/scan.md, "Gradients"): every gradient is zero, shaped like
its input, and a shared variable the loop would update passes its final value's cotangent straight
through. Each case runs on the reference and on the fast path, which must give the same bits; the
fast path must keep its loop structure (no ifelse, accumulators carried rather than stacked)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest

import refspec as theano
import refspec.tensor as T
from refspec.ast import Op, Variable, toposort
from refspec.gradient import hessian_vector_product
from refspec.params import ScanParams
from refspec.tensor.var import TensorVariable

Array = np.ndarray[Any, Any]


def first(result: tuple[Any, Any]) -> TensorVariable:
    out = result[0]
    assert isinstance(out, TensorVariable)
    return out


def both_modes(inputs: list[Variable], outputs: Sequence[object], *args: Any, **kwargs: Any) -> list[Array]:
    """The outputs on the reference, after checking the fast path gives the very same arrays."""
    variables = [v for v in outputs if isinstance(v, Variable)]
    assert len(variables) == len(outputs)
    got = {mode: theano.function(inputs, variables, mode=mode, **kwargs)(*args)
           for mode in ("REFERENCE", "FAST_RUN")}
    for ref, fast in zip(got["REFERENCE"], got["FAST_RUN"]):
        assert ref.dtype == fast.dtype and ref.shape == fast.shape
        np.testing.assert_array_equal(ref, fast)
    return list(got["REFERENCE"])


def test_the_campaigns_loop_over_an_empty_sequence() -> None:
    x, h0 = T.dvector("x"), T.dscalar("h0")
    out = first(theano.scan(lambda xi, h: h * xi + 1.0, sequences=x, outputs_info=h0))
    grads = T.grad(out.sum(), [x, h0])
    gx, gh0 = both_modes([x, h0], grads, np.zeros(0), 2.0)
    assert gx.shape == (0,) and gx.dtype == np.float64
    assert gh0 == 0.0
    # two steps, by hand: h1 = 2 x0 + 1, h2 = h1 x1 + 1
    gx, gh0 = both_modes([x, h0], grads, np.array([1.0, 2.0]), 2.0)
    np.testing.assert_array_equal(gx, [2.0 + 2.0 * 2.0, 3.0])
    assert gh0 == 1.0 + 2.0
    # out[-1] of no step is an IndexError, as out[-1] of any empty array
    last = theano.function([x, h0], out[-1])
    with pytest.raises(IndexError):
        last(np.zeros(0), 2.0)


def test_symbolic_n_steps_of_zero() -> None:
    x, h0, w = T.dvector("x"), T.dscalar("h0"), T.dscalar("w")
    n = T.lscalar("n")
    out = first(theano.scan(lambda xi, h, w_: T.tanh(h * w_ + xi), sequences=x, outputs_info=h0,
                            non_sequences=w, n_steps=n))
    grads = T.grad(out.sum(), [x, h0, w])
    gx, gh0, gw = both_modes([x, h0, w, n], grads, np.array([0.5, -1.0, 2.0]), 0.3, 0.7, 0)
    np.testing.assert_array_equal(gx, [0.0, 0.0, 0.0])  # no step read an entry
    assert gh0 == 0.0 and gw == 0.0


def test_matrix_sequences_keep_their_entry_shape() -> None:
    """A zero-step loop stacks an empty array of its step shape; the backward loop's per-step
    contributions to a matrix sequence have no static step shape, yet the gradient is (0, 3)."""
    x, w = T.dmatrix("x"), T.dmatrix("w")
    h0 = T.dvector("h0")
    hs = first(theano.scan(lambda xi, h, w_: T.tanh(T.dot(h, w_) + xi), sequences=x, outputs_info=h0,
                           non_sequences=w))
    grads = T.grad((hs ** 2).sum(), [x, w, h0])
    gx, gw, gh0 = both_modes([x, w, h0], grads, np.zeros((0, 3)), np.eye(3), np.ones(3))
    assert gx.shape == (0, 3)
    np.testing.assert_array_equal(gw, np.zeros((3, 3)))
    np.testing.assert_array_equal(gh0, np.zeros(3))


@pytest.mark.parametrize("go_backwards", [False, True])
@pytest.mark.parametrize("truncate", [-1, 2])
def test_taps_direction_and_truncation(go_backwards: bool, truncate: int) -> None:
    s, a0, k = T.dvector("s"), T.dvector("a0"), T.dscalar("k")
    out = first(theano.scan(lambda sm1, sp1, am2, am1: T.sin(am1) * am2 + (sm1 - sp1) * k,
                            sequences=dict(input=s, taps=[-1, 1]),
                            outputs_info=dict(initial=a0, taps=[-2, -1]),
                            go_backwards=go_backwards, truncate_gradient=truncate))
    # length 2 with taps -1 and 1: no complete window, so no step
    gs, ga0, gk = both_modes([s, a0, k], T.grad(out.sum(), [s, a0, k]), np.array([0.1, 0.2]),
                             np.array([0.3, 0.7, 0.9]), 1.3)
    np.testing.assert_array_equal(gs, [0.0, 0.0])
    np.testing.assert_array_equal(ga0, [0.0, 0.0, 0.0])
    assert gk == 0.0


def test_shared_variable_passes_its_cotangent_through() -> None:
    """After no step the update commits the shared variable's own value: d final / d s = 1."""
    s = theano.shared(1.5, name="s")
    x = T.dvector("x")
    result = theano.scan(lambda a: (a * s, {s: s * 2}), sequences=x)
    hs, updates = first(result), result[1]
    grads = [*T.grad(hs.sum() + updates[s], [x, s]), T.Rop(updates[s], s, T.constant(1.0))]
    gx, gs, rop = both_modes([x], grads, np.zeros(0), no_default_updates=True)
    assert gx.shape == (0,) and gs == 1.0 and rop == 1.0
    gx, gs, rop = both_modes([x], grads, np.array([1.0, 2.0]), no_default_updates=True)
    np.testing.assert_array_equal(gx, [1.5, 3.0])
    assert gs == 1.0 + 2.0 * 2 + 4.0 and rop == 4.0  # x0 + 2 x1 from hs, 2**2 from the final value


def test_second_order_and_forward_over_reverse() -> None:
    x, h0, w, v = T.dvector("x"), T.dscalar("h0"), T.dscalar("w"), T.dscalar("v")
    c = first(theano.scan(lambda xi, h, w_: T.tanh(h * w_ + xi), sequences=x, outputs_info=h0,
                          non_sequences=w)).sum()
    outs = [*T.grad(T.grad(c, w), [w, h0]), hessian_vector_product(c, w, v), T.Rop(c, w, v)]
    assert all(value == 0.0 for value in both_modes([x, h0, w, v], outs, np.zeros(0), 0.3, 0.7, 1.0))
    # and the same graph still differentiates a loop that runs
    hww, hwh0, hvp, rop = both_modes([x, h0, w, v], outs, np.array([0.5, -1.0]), 0.3, 0.7, 1.0)
    assert hvp == pytest.approx(hww, rel=1e-12) and hww != 0.0 and hwh0 != 0.0 and rop != 0.0


def test_the_fast_path_keeps_its_loops() -> None:
    """No ifelse (it would turn off fusion for the whole program): the backward loop carries the
    gradient of w (an outer output shaped like w, not stacked per step)."""
    x, w = T.dmatrix("x"), T.dmatrix("w")
    h0 = T.dvector("h0")
    hs = first(theano.scan(lambda xi, h, w_: T.tanh(T.dot(h, w_) + xi), sequences=x, outputs_info=h0,
                           non_sequences=w))
    f = theano.function([x, w, h0], T.grad(hs.sum(), w), mode="FAST_RUN")
    nodes = toposort(f.maker.fgraph.outputs)
    assert not [n for n in nodes if n.op is Op.IFELSE]
    backward = [n for n in nodes if n.op is Op.SCAN and isinstance(n.params, ScanParams)
                and n.params.shared_outer_positions]
    assert len(backward) == 1
    params = backward[0].params
    assert isinstance(params, ScanParams)
    carried_ndims = [o.ndim for o in backward[0].outputs[len(params.out_taps):]]
    assert w.ndim in carried_ndims
    np.testing.assert_array_equal(f(np.zeros((0, 3)), np.eye(3), np.ones(3)), np.zeros((3, 3)))
