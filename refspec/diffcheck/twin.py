"""A float64 twin of a graph: the same computation with every float16/float32 value widened.

Numerical differentiation of a float32 graph in float32 drowns in rounding; gradient checks difference
the float64 twin instead (spec/numerics.md). Types are re-inferred node by node, narrowing casts
become float64 casts, and shared variables become float64 constants of their current values. A random
draw keeps its dtype (its bits depend on it); only the values computed from it are widened.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from refspec.ast import Constant, SharedVariable, TensorType, Variable, toposort
from refspec.dtypes import is_float
from refspec.ops import make_node
from refspec.params import CastParams, DTypeParams, Params, ScanParams
from refspec.tensor.basic import cast, constant


def _wide(dtype: str) -> str:
    return "float64" if is_float(dtype) else "complex128" if dtype == "complex64" else dtype


def _wide_params(params: Params) -> Params:
    if isinstance(params, (CastParams, DTypeParams)):
        return replace(params, dtype=_wide(params.dtype))
    return params


def _wide_loop(p: ScanParams) -> ScanParams:
    """The loop with its step's inner graph widened the same way (its placeholders included)."""
    roots = list(p.inner_outputs) + ([p.until] if p.until is not None else [])
    wide_roots, wide_inner = float64_twin(roots, list(p.inner_inputs))
    return replace(p, inner_inputs=tuple(wide_inner), inner_outputs=tuple(wide_roots[:len(p.inner_outputs)]),
                   until=wide_roots[-1] if p.until is not None else None)


def float64_twin(outputs: Sequence[Variable], inputs: Sequence[Variable]) -> tuple[list[Variable], list[Variable]]:
    """(twin outputs, twin inputs): ``inputs`` are replaced by fresh float64 variables."""
    memo: dict[int, Variable] = {}
    new_inputs: list[Variable] = []
    for v in inputs:
        twin = TensorType(_wide(v.dtype), shape=v.type.shape)(v.name)
        memo[id(v)] = twin
        new_inputs.append(twin)

    def leaf(v: Variable) -> Variable:
        if id(v) in memo:
            return memo[id(v)]
        if isinstance(v, SharedVariable):
            value: np.ndarray | None = v.container.value
        elif isinstance(v, Constant):
            value = v.data
        else:
            value = None
        if value is None or _wide(v.dtype) == v.dtype:
            return v
        wide = constant(value.astype(_wide(v.dtype)))
        memo[id(v)] = wide
        return wide

    for node in toposort(outputs):
        args = [leaf(v) for v in node.inputs]
        if node.op.value == "random":
            # a draw's bits depend on its dtype: the twin keeps the original draw, its float
            # parameters cast back to their dtypes (its output is widened where it is used)
            args = [cast(a, v.dtype) if a.dtype != v.dtype else a for a, v in zip(args, node.inputs)]
            clone = make_node(node.op, args, node.params)
        elif isinstance(node.params, ScanParams):
            clone = make_node(node.op, args, _wide_loop(node.params))
        else:
            clone = make_node(node.op, args, _wide_params(node.params))
        for old, new in zip(node.outputs, clone.outputs):
            # a value still narrow (erf of an int16 is float32; a draw keeps its dtype): widened
            # here, so that every consumer sees float64 (an ifelse needs its branches' dtypes equal)
            memo[id(old)] = cast(new, _wide(new.dtype)) if _wide(new.dtype) != new.dtype else new
    return [leaf(v) for v in outputs], new_inputs
