"""Derived transformations: ``jacobian``, ``hessian`` and Hessian-vector products."""

from __future__ import annotations

from collections.abc import Sequence

import refspec.tensor as T
from refspec.ast import Variable
from refspec.autodiff.cotangent import tv
from refspec.autodiff.forward import Rop
from refspec.autodiff.reverse import grad
from refspec.tensor.var import TensorVariable


def jacobian(expression: Variable, wrt: Variable | Sequence[Variable],
             consider_constant: Sequence[Variable] | None = None,
             disconnected_inputs: str = "raise") -> TensorVariable | list[TensorVariable]:
    """d expression[i] / d wrt, stacked along a new first axis (a scan over i, as in Theano); for a
    scalar expression, the gradient."""
    from refspec.tensor.scan import scan  # scan builds on autodiff's tables lazily

    e = tv(expression)
    ws = [wrt] if isinstance(wrt, Variable) else list(wrt)
    if e.ndim == 0:
        rows = grad(e, ws, consider_constant=consider_constant, disconnected_inputs=disconnected_inputs)
        return rows[0] if isinstance(wrt, Variable) else rows
    if e.ndim != 1:
        raise TypeError(f"jacobian takes a scalar or vector expression, got {e.type}")

    def row(i: TensorVariable, e_: TensorVariable, *ws_: TensorVariable) -> list[TensorVariable]:
        return grad(e_[i], list(ws_), consider_constant=consider_constant,
                    disconnected_inputs=disconnected_inputs)

    results, _ = scan(row, sequences=T.arange(e.shape[0]), non_sequences=[e, *ws], return_list=True)
    assert isinstance(results, list)
    return results[0] if isinstance(wrt, Variable) else results


def hessian(cost: Variable, wrt: Variable | Sequence[Variable],
            consider_constant: Sequence[Variable] | None = None,
            disconnected_inputs: str = "raise") -> TensorVariable | list[TensorVariable]:
    """The Hessian of a scalar cost: the jacobian of its gradient (wrt vectors)."""
    ws = [wrt] if isinstance(wrt, Variable) else list(wrt)
    results: list[TensorVariable] = []
    for w in ws:
        g = tv(grad(cost, w, consider_constant=consider_constant,
                    disconnected_inputs=disconnected_inputs))
        h = jacobian(g, w, consider_constant=consider_constant, disconnected_inputs=disconnected_inputs)
        assert isinstance(h, TensorVariable)
        results.append(h)
    return results[0] if isinstance(wrt, Variable) else results


def hessian_vector_product(cost: Variable, wrt: Variable, v: Variable) -> TensorVariable:
    """H v for a scalar cost, by forward-over-reverse: Rop of the gradient along v."""
    g = tv(grad(cost, wrt))
    out = Rop(g, wrt, v)
    assert isinstance(out, TensorVariable)
    return out
