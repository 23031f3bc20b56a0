"""Derived transformations: ``jacobian``, ``hessian`` and Hessian-vector products."""

from __future__ import annotations

from collections.abc import Sequence

import refspec.tensor as T
from refspec.ast import Variable
from refspec.autodiff.cotangent import tv
from refspec.autodiff.forward import Rop
from refspec.autodiff.reverse import grad
from refspec.tensor.var import TensorVariable


def _rows(expression: TensorVariable) -> int:
    n = expression.type.shape[0] if expression.ndim == 1 else None
    if n is None:
        raise NotImplementedError(
            f"jacobian of {expression} ({expression.type}) needs its length statically "
            "(use specify_shape) until scan provides the symbolic loop"
        )
    return n


def jacobian(expression: Variable, wrt: Variable | Sequence[Variable],
             consider_constant: Sequence[Variable] | None = None,
             disconnected_inputs: str = "raise") -> TensorVariable | list[TensorVariable]:
    """d expression[i] / d wrt, stacked along a new first axis (expression a scalar or vector)."""
    e = tv(expression)
    ws = [wrt] if isinstance(wrt, Variable) else list(wrt)
    if e.ndim == 0:
        rows = [grad(e, ws, consider_constant=consider_constant, disconnected_inputs=disconnected_inputs)]
    elif e.ndim == 1:
        rows = [grad(e[i], ws, consider_constant=consider_constant, disconnected_inputs=disconnected_inputs)
                for i in range(_rows(e))]
    else:
        raise TypeError(f"jacobian takes a scalar or vector expression, got {e.type}")
    results: list[TensorVariable] = []
    for k in range(len(ws)):
        parts = [tv(r[k]) for r in rows]  # type: ignore[index]
        results.append(parts[0] if e.ndim == 0 else T.stack(parts))
    return results[0] if isinstance(wrt, Variable) else results


def hessian(cost: Variable, wrt: Variable | Sequence[Variable],
            consider_constant: Sequence[Variable] | None = None,
            disconnected_inputs: str = "raise") -> TensorVariable | list[TensorVariable]:
    """The Hessian of a scalar cost: the jacobian of its gradient (wrt vectors)."""
    ws = [wrt] if isinstance(wrt, Variable) else list(wrt)
    results: list[TensorVariable] = []
    for w in ws:
        g = tv(grad(cost, w, consider_constant=consider_constant,  # type: ignore[arg-type]
                    disconnected_inputs=disconnected_inputs))
        h = jacobian(g, w, consider_constant=consider_constant, disconnected_inputs=disconnected_inputs)
        assert isinstance(h, TensorVariable)
        results.append(h)
    return results[0] if isinstance(wrt, Variable) else results


def hessian_vector_product(cost: Variable, wrt: Variable, v: Variable) -> TensorVariable:
    """H v for a scalar cost, by forward-over-reverse: Rop of the gradient along v."""
    g = tv(grad(cost, wrt))  # type: ignore[arg-type]
    out = Rop(g, wrt, v)
    assert isinstance(out, TensorVariable)
    return out
