"""What a gradient can be while it is being built: a graph, a known zero, undefined, or disconnected.

- a ``TensorVariable``: the gradient graph;
- ``ZERO``: connected, and exactly zero (the output is integer-valued or piecewise constant); kept
  symbolic-free so zero gradients cost nothing until a caller asks for a tensor;
- ``NullGrad(reason)``: the gradient is undefined (e.g. psi has no derivative rule);
- ``None``: disconnected (the input does not influence the output, e.g. an index or a shape).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Union

from refspec.ast import Variable
from refspec.dtypes import is_complex, is_float
from refspec.tensor.basic import add, as_tensor_variable, cast, zeros_like
from refspec.tensor.var import TensorVariable


class _Zero:
    def __repr__(self) -> str:
        return "ZERO"


ZERO: Final = _Zero()


@dataclass(frozen=True)
class NullGrad:
    reason: str


Grad = Union[TensorVariable, _Zero, NullGrad, None]


def tv(v: Variable) -> TensorVariable:
    assert isinstance(v, TensorVariable), v
    return v


def accumulate(a: Grad, b: Grad) -> Grad:
    """Sum of two contributions: None is the identity, ZERO adds nothing, NullGrad absorbs."""
    if a is None:
        return b
    if b is None:
        return a
    if isinstance(a, NullGrad):
        return a
    if isinstance(b, NullGrad):
        return b
    if isinstance(a, _Zero):
        return b
    if isinstance(b, _Zero):
        return a
    return add(a, b)


def grad_dtype(wrt: Variable) -> str:
    """The dtype of a gradient with respect to ``wrt``: its own if continuous, else float64
    (Theano: the gradient with respect to an integer input is a float tensor)."""
    return wrt.dtype if is_float(wrt.dtype) or is_complex(wrt.dtype) else "float64"


def as_tensor_grad(g: Grad, wrt: Variable) -> TensorVariable:
    """A concrete tensor gradient for ``wrt`` (ZERO becomes zeros of ``wrt``'s shape)."""
    dtype = grad_dtype(wrt)
    if isinstance(g, TensorVariable):
        return cast(g, dtype) if g.dtype != dtype else g
    return zeros_like(as_tensor_variable(wrt), dtype=dtype)


def paired_points(
    what: str, targets: Variable | Sequence[Variable], points: Variable | Sequence[Variable]
) -> list[tuple[Variable, TensorVariable]]:
    """Lop's / Rop's eval points paired with the variables they stand beside, with a clear error
    when their numbers or ndims differ."""
    ts = [targets] if isinstance(targets, Variable) else list(targets)
    ps = [points] if isinstance(points, Variable) else list(points)
    if len(ts) != len(ps):
        raise ValueError(f"{what}: {len(ts)} variables but {len(ps)} eval_points")
    out: list[tuple[Variable, TensorVariable]] = []
    for t, p in zip(ts, ps):
        pv = as_tensor_variable(p)
        if pv.ndim != t.ndim:
            raise TypeError(f"{what}: eval point for {t} has ndim {pv.ndim}, expected {t.ndim}")
        out.append((t, pv))
    return out
