"""Forward mode: ``Rop``, propagating tangents through the graph in topological order."""

from __future__ import annotations

from collections.abc import Sequence

import refspec.tensor as T
from refspec.ast import Variable, toposort
from refspec.autodiff.cotangent import paired_points, tv
from refspec.autodiff.jvp import JVP, NullGradError, Tangent
from refspec.autodiff.vjp import NOT_DIFFERENTIABLE
from refspec.tensor.basic import cast
from refspec.tensor.var import TensorVariable


def propagate(outputs: Sequence[Variable], tangents: dict[int, Tangent]) -> None:
    """Extend ``tangents`` (by variable id) through every node that ``outputs`` depend on."""
    for node in toposort(outputs):
        ts = [tangents.get(id(v)) for v in node.inputs]
        if all(t is None for t in ts):
            continue
        if node.op in NOT_DIFFERENTIABLE:
            raise NullGradError(f"forward mode: {node.op.value} has no derivative rule")
        for out, t in zip(node.outputs, JVP[node.op](node, ts)):
            if t is not None:
                tangents[id(out)] = t


def Rop(f: Variable | Sequence[Variable], wrt: Variable | Sequence[Variable],
        eval_points: Variable | Sequence[Variable]) -> TensorVariable | list[TensorVariable]:
    """Jacobian-vector product: the Jacobian of ``f`` with respect to ``wrt`` times ``eval_points``
    (shaped like ``wrt``); results are shaped like ``f``."""
    fs = [f] if isinstance(f, Variable) else list(f)
    tangents: dict[int, Tangent] = {}
    for w, pv in paired_points("Rop", wrt, eval_points):
        pv = cast(pv, w.dtype) if pv.dtype != w.dtype else pv
        # the eval point takes wrt's shape (an error at run time if it cannot), so the result
        # always depends on wrt, as Theano's Rop graphs do
        tangents[id(w)] = T.alloc(pv, *[T.shape(w)[i] for i in range(w.ndim)])
    propagate(fs, tangents)
    results: list[TensorVariable] = []
    for fi in fs:
        t = tangents.get(id(fi))
        results.append(t if t is not None else T.zeros_like(tv(fi)))
    return results[0] if isinstance(f, Variable) else results
