"""Forward mode: ``Rop``, propagating tangents through the graph in topological order."""

from __future__ import annotations

from collections.abc import Sequence

import refspec.tensor as T
from refspec.ast import Variable, toposort
from refspec.autodiff.complex_paths import through_complex
from refspec.autodiff.cotangent import paired_points, tv
from refspec.autodiff.jvp import JVP, NullGradError, Tangent
from refspec.autodiff.vjp import NOT_DIFFERENTIABLE
from refspec.dtypes import is_complex, is_float
from refspec.tensor.basic import cast
from refspec.tensor.var import TensorVariable


def propagate(outputs: Sequence[Variable], tangents: dict[int, Tangent]) -> None:
    """Extend ``tangents`` (by variable id) through every node that ``outputs`` depend on.

    A tangent that would pass through an op with no derivative rule or through a complex value is
    undefined: it stays undefined downstream until an integer-valued node (tangent zero) stops it,
    and it is a ``NullGradError`` if it reaches ``outputs`` (as a NullGrad reaching ``wrt`` is in
    reverse mode)."""
    undefined: dict[int, str] = {}
    for node in toposort(outputs):
        ts = [tangents.get(id(v)) for v in node.inputs]
        why = next((undefined[id(v)] for v in node.inputs if id(v) in undefined), None)
        if why is None and all(t is None for t in ts):
            continue
        if why is None and node.op in NOT_DIFFERENTIABLE:
            why = f"{node.op.value} has no derivative rule"
        if why is None:
            why = through_complex(node, [v for v, t in zip(node.inputs, ts) if t is not None], ())
        if why is None and not any(is_float(o.dtype) for o in node.outputs):
            why = through_complex(node, (), node.outputs)  # a tangent could only enter complex values
        if why is not None:  # integer outputs keep their zero tangent
            undefined.update((id(o), why) for o in node.outputs if is_float(o.dtype) or is_complex(o.dtype))
            continue
        for out, t in zip(node.outputs, JVP[node.op](node, ts)):
            if t is None:
                continue
            out_why = through_complex(node, (), [out])
            if out_why is not None:
                undefined[id(out)] = out_why
            else:
                tangents[id(out)] = t
    for out in outputs:
        if id(out) in undefined:
            raise NullGradError(f"forward mode: {undefined[id(out)]}")


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
