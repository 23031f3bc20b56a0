"""Indexing (numpy's basic and advanced rules), ``set_subtensor`` and ``inc_subtensor``."""

from __future__ import annotations

from typing import Literal

import numpy as np

from refspec.ast import Op, Variable
from refspec.dtypes import is_integer
from refspec.ops import apply1
from refspec.params import (
    SYM,
    ArrayIndex,
    IncIndexParams,
    IndexEntry,
    IndexParams,
    MaskIndex,
    ScalarIndex,
    SliceIndex,
    Sym,
)
from refspec.tensor.basic import Operand, as_tensor_variable, constant, operands
from refspec.tensor.shape_ops import dimshuffle
from refspec.tensor.var import TensorVariable


def _out(v: Variable) -> TensorVariable:
    assert isinstance(v, TensorVariable)
    return v


def _slice_part(part: object, symbols: list[Variable]) -> int | None | Sym:
    if part is None:
        return None
    if isinstance(part, (int, np.integer)) and not isinstance(part, bool):
        return int(part)
    v = as_tensor_variable(part)  # type: ignore[arg-type]
    if v.ndim != 0 or not is_integer(v.dtype):
        raise TypeError(f"slice bounds must be integers, got {v.type}")
    symbols.append(v)
    return SYM


def _entry(item: object, symbols: list[Variable]) -> IndexEntry:
    if isinstance(item, slice):
        return SliceIndex(*(_slice_part(p, symbols) for p in (item.start, item.stop, item.step)))
    if isinstance(item, (int, np.integer)) and not isinstance(item, (bool, np.bool_)):
        return ScalarIndex(int(item))
    if isinstance(item, (list, tuple)) and np.size(item) == 0:
        item = np.zeros(np.shape(item), dtype="int64")  # numpy: an empty list indexes as integers
    v = item if isinstance(item, TensorVariable) else constant(item)
    if v.dtype == "bool" and v.ndim > 0:
        symbols.append(v)
        return MaskIndex()
    if not is_integer(v.dtype):
        raise TypeError(f"index must be integer or boolean, got {v.type} ({item!r:.40})")
    symbols.append(v)
    return ScalarIndex(SYM) if v.ndim == 0 else ArrayIndex()


def _axes_consumed(item: object) -> int:
    """Axes of the indexed tensor one index item uses: a boolean mask uses its ndim, others one."""
    if isinstance(item, Variable):
        return item.ndim if item.dtype == "bool" else 1
    if isinstance(item, (list, tuple, np.ndarray)):
        arr = np.asarray(item)
        return arr.ndim if arr.dtype == np.bool_ else 1
    return 1


def parse_index(x: TensorVariable, index: object) -> tuple[tuple[IndexEntry, ...], list[Variable], list[int]]:
    """Index entries, their symbolic inputs, and where ``None`` (newaxis) inserts axes in the result."""
    items = list(index) if isinstance(index, tuple) else [index]
    if sum(i is Ellipsis for i in items) > 1:
        raise IndexError("an index can only have a single ellipsis")
    consumed = sum(_axes_consumed(i) for i in items if i is not None and i is not Ellipsis)
    # identity tests: ``in`` / ``index`` would compare numpy array indices elementwise with Ellipsis
    at = next((k for k, i in enumerate(items) if i is Ellipsis), None)
    if at is not None:
        items[at:at + 1] = [slice(None)] * max(x.ndim - consumed, 0)
    entries: list[IndexEntry] = []
    symbols: list[Variable] = []
    newaxes: list[int] = []
    out_axis = 0
    for item in items:
        if item is None:
            newaxes.append(out_axis)
            out_axis += 1
            continue
        e = _entry(item, symbols)
        entries.append(e)
        out_axis += isinstance(e, SliceIndex)
    return tuple(entries), symbols, newaxes


def getitem(x: TensorVariable, index: object) -> TensorVariable:
    entries, symbols, newaxes = parse_index(x, index)
    if newaxes and any(isinstance(e, (ArrayIndex, MaskIndex)) for e in entries):
        raise IndexError("newaxis (None) mixed with array indices is not supported; use dimshuffle")
    result = x
    if entries:
        result = _out(apply1(Op.SUBTENSOR, [x, *symbols], IndexParams(entries)))
    if newaxes:
        order: list[int | Literal["x"]] = list(range(result.ndim))
        for pos in newaxes:
            order.insert(pos, "x")
        result = dimshuffle(result, order)
    return result


def _indexed(x: Operand) -> tuple[TensorVariable, IndexParams, list[Variable]]:
    xv = as_tensor_variable(x)
    node = xv.owner
    if node is None or node.op is not Op.SUBTENSOR:
        raise TypeError(
            f"set_subtensor/inc_subtensor take an indexed tensor such as x[1:3], got {xv} "
            f"(built by {node.op.value if node else 'no op'})"
        )
    base = node.inputs[0]
    assert isinstance(base, TensorVariable) and isinstance(node.params, IndexParams)
    return base, node.params, list(node.inputs[1:])


def inc_subtensor(x: Operand, y: Operand, set_instead_of_inc: bool = False, **_theano: object) -> TensorVariable:
    """A copy of the tensor under ``x`` with ``y`` added at ``x``'s position; duplicated indices
    accumulate (spec/ops.md)."""
    base, params, symbols = _indexed(x)
    value = operands(base, y)[1]
    node_params = IncIndexParams(params.entries, set_instead_of_inc)
    return _out(apply1(Op.INC_SUBTENSOR, [base, value, *symbols], node_params))


def set_subtensor(x: Operand, y: Operand, **_theano: object) -> TensorVariable:
    """A copy of the tensor under ``x`` with ``y`` written at ``x``'s position; with duplicated
    indices the last write wins (spec/ops.md)."""
    return inc_subtensor(x, y, set_instead_of_inc=True)
