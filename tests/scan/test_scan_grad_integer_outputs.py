"""Cotangents of integer outputs are float64 (spec/autodiff.md, "Integers"), inside the backward loop too.

The diffcheck campaign met an int8 recurrent loop whose gradient graph computed a mul in int8 where
its type said float64 (an InternalTypeError on the reference; silent int8 arithmetic, overflow
included, on the fast path). Minimised: a loop with an integer output that the cost does not use (its
cotangent is a filled-in zero, made in the output's own dtype) whose step multiplies an integer
input; or a cotangent given in an integer dtype (Lop with integer eval points)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest

import refspec as theano
import refspec.tensor as T
from refspec.ast import Variable
from refspec.tensor.var import TensorVariable

Array = np.ndarray[Any, Any]


def both_modes(inputs: list[Variable], outputs: Sequence[object], *args: Any) -> list[Array]:
    """The outputs on the reference, after checking the fast path gives the very same arrays."""
    variables = [v for v in outputs if isinstance(v, Variable)]
    assert len(variables) == len(outputs)
    got = {mode: theano.function(inputs, variables, mode=mode, on_unused_input="ignore")(*args)
           for mode in ("REFERENCE", "FAST_RUN")}
    for ref, fast in zip(got["REFERENCE"], got["FAST_RUN"]):
        assert ref.dtype == fast.dtype
        np.testing.assert_array_equal(ref, fast)
    return list(got["REFERENCE"])


def outputs(result: tuple[Any, Any]) -> list[TensorVariable]:
    outs = result[0]
    assert isinstance(outs, list)
    return outs


def test_minimised_unused_integer_output_of_an_int8_input() -> None:
    x = T.dvector("x")
    _, doubled = outputs(theano.scan(lambda a, k: [k * 3, a * 2.0], sequences=x,
                                     non_sequences=T.as_tensor_variable(np.int8(1))))
    (g,) = both_modes([x], [T.grad(doubled.sum(), x)], np.array([1.0, 2.0]))
    np.testing.assert_array_equal(g, [2.0, 2.0])


@pytest.mark.parametrize("dtype", ["int8", "int16", "uint8", "int64"])
def test_integer_recurrent_state_beside_float_outputs(dtype: str) -> None:
    x, w = T.dvector("x"), T.dscalar("w")
    h0 = T.as_tensor_variable(np.array(1, dtype=dtype))

    def step(a: TensorVariable, h: TensorVariable) -> list[TensorVariable]:
        return [h + T.cast(a > 0, dtype), h * 3, T.cast(h, "float64") * a * w]

    state, _, y = outputs(theano.scan(step, sequences=x, outputs_info=[h0, None, None]))
    cost = y.sum() + T.cast(state, "float64").sum()
    gx, gw = both_modes([x, w], T.grad(cost, [x, w]), np.array([0.5, -1.0, 2.0]), 1.5)
    # states 1, 2, 2: the state is piecewise constant in x (a comparison), so only y's factors count
    np.testing.assert_array_equal(gx, [1.5, 3.0, 3.0])
    assert gw == 0.5 - 2.0 + 4.0


def test_integer_eval_points_do_not_compute_in_integers() -> None:
    """d(k * 100)/dk = 100 per step: 2 steps * 100 * 100 = 20000, beyond int8 (it wrapped to 32)."""
    x, k, e = T.dvector("x"), T.bscalar("k"), T.bvector("e")
    scaled, _ = outputs(theano.scan(lambda a, k_: [k_ * 100, a * 2.0], sequences=x, non_sequences=k))
    eval_points = np.array([100, 100], dtype=np.int8)
    (lop,) = both_modes([x, k, e], [T.Lop(scaled, k, e)], np.array([1.0, 2.0]), 1, eval_points)
    assert lop.dtype == np.float64 and lop == 20000.0
    # the same rule outside loops: known_grads are cast to the gradient dtype
    c = T.bscalar("c")
    (direct,) = both_modes([k, c], [T.Lop(k * 100, k, c)], 1, 100)
    assert direct == 10000.0
