"""Graph utilities of refspec/ast.py that rewrites and gradients build on."""

from __future__ import annotations

import numpy as np

import refspec.tensor as T
from refspec.ast import clone_replace
from refspec.interp import evaluate


def test_clone_replace_is_simultaneous_even_when_a_replaced_variable_depends_on_another() -> None:
    # replacing x and y = tanh(x) at once: y must become the given value, not tanh(new x)
    x, y_new, x_new = T.dvector("x"), T.dvector("y_new"), T.dvector("x_new")
    y = T.tanh(x)
    out = y * 2 + x
    (cloned,) = clone_replace([out], {x: x_new, y: y_new})
    got = evaluate([cloned], {x_new: np.array([1.0]), y_new: np.array([10.0])})[0]
    np.testing.assert_array_equal(got, [21.0])


def test_clone_replace_keeps_untouched_nodes() -> None:
    x, z = T.dvectors("x", "z")
    kept = T.exp(z)
    out = kept + x
    (cloned,) = clone_replace([out], {x: T.dvector("w")})
    assert cloned is not out and cloned.owner is not None and cloned.owner.inputs[0] is kept
