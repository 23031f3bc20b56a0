"""Inline emitters: structural ops written as one numpy expression in the generated code, instead of
a call through the reference kernel (which decodes its params on every call).

Each emitter returns the expression computing the node's output from its argument names, or None
when the node's params need the general kernel. The expression must give what the reference gives:
the same values, dtype and shape (views where the reference returns views, fresh arrays where the
fast path counts on fresh ones, see ``pipeline.FRESH_OPS``). Literals in the text are ints, dtype
names and slices built from ints, never user strings.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from refspec.ast import Apply, Constant, Op, Variable
from refspec.interp.reference import REFERENCE
from refspec.params import NO_PARAMS, CastParams, DimShuffleParams, IndexParams, ScalarIndex, SliceIndex

Emitter = Callable[[Apply, list[str], Callable[[Variable], str]], str | None]  # node, arg names, name_of

# names the emitted expressions use, bound in every generated module
HELPERS: dict[str, object] = {
    "_np_array": np.array,
    "_np_shape": np.shape,
    "_int64": np.int64,
    "_broadcast_to": np.broadcast_to,
    "_broadcast_shapes": np.broadcast_shapes,
    "_logaddexp": np.logaddexp,
    "_sum_to": lambda g, shape: REFERENCE[Op.SUM_TO](NO_PARAMS, g, shape)[0],
}


def _shape(node: Apply, args: list[str], name_of: Callable[[Variable], str]) -> str:
    return f"_np_array(_np_shape({args[0]}), dtype=_int64)"


def _cast(node: Apply, args: list[str], name_of: Callable[[Variable], str]) -> str | None:
    assert isinstance(node.params, CastParams)
    return f"{args[0]}.astype({node.params.dtype!r})"  # a dtype name from the closed dtype list


def _second(node: Apply, args: list[str], name_of: Callable[[Variable], str]) -> str:
    model, value = args
    return f"_broadcast_to({value}, _broadcast_shapes(_np_shape({model}), _np_shape({value}))).copy()"


def _part(p: int | None | str) -> str:
    return "" if p is None else str(int(p))


def _subtensor(node: Apply, args: list[str], name_of: Callable[[Variable], str]) -> str | None:
    """Basic indexing with constant ints and slices only."""
    assert isinstance(node.params, IndexParams)
    items: list[str] = []
    for e in node.params.entries:
        if isinstance(e, ScalarIndex) and isinstance(e.value, int):
            items.append(str(int(e.value)))
        elif isinstance(e, SliceIndex) and all(p is None or isinstance(p, int) for p in (e.start, e.stop, e.step)):
            items.append(f"{_part(e.start)}:{_part(e.stop)}" + (f":{_part(e.step)}" if e.step is not None else ""))
        else:
            return None
    return f"_asarray({args[0]}[{', '.join(items)},])"


def _dimshuffle(node: Apply, args: list[str], name_of: Callable[[Variable], str]) -> str:
    """Drop the (length-1) axes that go, permute the kept ones, insert the new length-1 axes."""
    assert isinstance(node.params, DimShuffleParams)
    order = node.params.new_order
    ndim = node.inputs[0].ndim
    kept = [int(d) for d in order if d != "x"]
    expr = args[0]
    if len(kept) < ndim:
        expr += "[" + ", ".join(":" if a in kept else "0" for a in range(ndim)) + ",]"
    remaining = sorted(kept)
    perm = [remaining.index(a) for a in kept]
    if perm != list(range(len(perm))):
        expr += f".transpose({tuple(perm)})"
    if "x" in order:
        expr += "[" + ", ".join("None" if d == "x" else ":" for d in order) + ",]"
    return expr


def _reshape(node: Apply, args: list[str], name_of: Callable[[Variable], str]) -> str:
    """A view when numpy can make one, a copy otherwise: what the reference's ``x.reshape`` does."""
    shape = node.inputs[1]
    if isinstance(shape, Constant):
        dims = tuple(int(d) for d in np.asarray(shape.data).reshape(-1))  # ints only in the text
        return f"{args[0]}.reshape({dims})"
    return f"{args[0]}.reshape({args[1]}.tolist())"


def _sum_to(node: Apply, args: list[str], name_of: Callable[[Variable], str]) -> str | None:
    """When the target is ``shape(x)`` and ``g`` already has ``x``'s shape (the usual case at run
    time), the reference returns ``g`` itself: test that inline and call the kernel only otherwise."""
    target = node.inputs[1].owner
    if target is None or target.op is not Op.SHAPE:
        return None
    x = name_of(target.inputs[0])
    return f"({args[0]} if _np_shape({args[0]}) == _np_shape({x}) else _sum_to({args[0]}, {args[1]}))"


def _softplus(node: Apply, args: list[str], name_of: Callable[[Variable], str]) -> str | None:
    """The reference is ``logaddexp(0, x)`` in x's float dtype: call it directly for float inputs."""
    if node.inputs[0].dtype != node.outputs[0].dtype:
        return None
    return f"_logaddexp(0, {args[0]})"


EMIT: dict[Op, Emitter] = {
    Op.SHAPE: _shape,
    Op.CAST: _cast,
    Op.SECOND: _second,
    Op.SUBTENSOR: _subtensor,
    Op.DIMSHUFFLE: _dimshuffle,
    Op.RESHAPE: _reshape,
    Op.SUM_TO: _sum_to,
    Op.SOFTPLUS: _softplus,
}
