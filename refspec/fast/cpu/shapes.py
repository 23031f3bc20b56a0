"""Symbolic shapes: for each variable, a tuple of dimension expressions that are provably equal
whenever they compare equal. A dimension is an int (a static length) or a token naming where the
length comes from (an input's axis, or a node's output axis). Used to remove shape work the types
alone cannot (``sum_to(g, shape(x))`` when ``g`` provably has ``x``'s shape).
"""

from __future__ import annotations

from collections.abc import Sequence

from refspec.ast import ELEMENTWISE, REDUCE, Constant, Op, Variable
from refspec.params import DimShuffleParams, IndexParams, ReduceParams, ScalarIndex, ShapeParams

Dim = int | tuple[str, int, int]  # a length, or (kind, id of the variable, axis)


class ShapeOf:
    """Memoized symbolic shapes of variables."""

    def __init__(self) -> None:
        self._memo: dict[int, tuple[Dim, ...]] = {}
        self._keep: list[Variable] = []  # keeps ids valid while the memo lives

    def __call__(self, v: Variable) -> tuple[Dim, ...]:
        found = self._memo.get(id(v))
        if found is None:
            found = self._infer(v)
            self._memo[id(v)] = found
            self._keep.append(v)
        return found

    def _fresh(self, v: Variable) -> tuple[Dim, ...]:
        kind = "input" if v.owner is None else "node"
        return tuple(s if s is not None else (kind, id(v), axis) for axis, s in enumerate(v.type.shape))

    def _infer(self, v: Variable) -> tuple[Dim, ...]:
        node = v.owner
        static = v.type.shape
        if node is None or len(node.outputs) != 1:
            return self._fresh(v)
        op = node.op
        if op in ELEMENTWISE:
            dims = _broadcast([self(i) for i in node.inputs], v)
        elif op is Op.SUM_TO:
            dims = self.vector_entries(node.inputs[1]) or self._fresh(v)
        elif op in REDUCE and isinstance(node.params, ReduceParams):
            x = self(node.inputs[0])
            axes = range(len(x)) if node.params.axis is None else node.params.axis
            if node.params.keepdims:
                dims = tuple(1 if i in axes else d for i, d in enumerate(x))
            else:
                dims = tuple(d for i, d in enumerate(x) if i not in axes)
        elif op is Op.DIMSHUFFLE and isinstance(node.params, DimShuffleParams):
            x = self(node.inputs[0])
            dims = tuple(1 if d == "x" else x[int(d)] for d in node.params.new_order)
        elif op is Op.DOT:
            a, b = self(node.inputs[0]), self(node.inputs[1])
            dims = a[:-1] + b[1:]
        elif op is Op.SPECIFY_SHAPE and isinstance(node.params, ShapeParams):
            x = self(node.inputs[0])
            dims = tuple(s if s is not None else d for s, d in zip(node.params.shape, x))
        elif op is Op.ALLOC:
            dims = tuple(self.scalar(d) or ("node", id(v), axis) for axis, d in enumerate(node.inputs[1:]))
        elif op in (Op.PRINT, Op.INC_SUBTENSOR):
            dims = self(node.inputs[0])
        else:
            return self._fresh(v)
        # a static length the type knows beats a symbolic one
        return tuple(s if s is not None else d for s, d in zip(static, dims)) if len(dims) == len(static) else self._fresh(v)

    def scalar(self, v: Variable) -> Dim | None:
        """The length an integer scalar stands for, if it is a constant or ``shape(x)[i]``."""
        if isinstance(v, Constant) and v.ndim == 0:
            return int(v.data)
        node = v.owner
        if node is not None and node.op is Op.CAST:
            return self.scalar(node.inputs[0])
        if node is not None and node.op is Op.SUBTENSOR and isinstance(node.params, IndexParams):
            src = node.inputs[0].owner
            entries = node.params.entries
            if src is not None and src.op is Op.SHAPE and len(entries) == 1 and isinstance(entries[0], ScalarIndex):
                value = entries[0].value
                if isinstance(value, int):
                    dims = self(src.inputs[0])
                    return dims[value] if -len(dims) <= value < len(dims) else None
        return None

    def vector_entries(self, v: Variable) -> tuple[Dim, ...] | None:
        """The lengths an int vector stands for, if it is ``shape(x)``, a constant, or a make_vector."""
        node = v.owner
        if node is not None and node.op is Op.SHAPE:
            return self(node.inputs[0])
        if isinstance(v, Constant) and v.ndim == 1:
            return tuple(int(d) for d in v.data)
        if node is not None and node.op is Op.MAKE_VECTOR:
            entries = [self.scalar(i) for i in node.inputs]
            if all(e is not None for e in entries):
                return tuple(e for e in entries if e is not None)
        return None


def _broadcast(shapes: Sequence[tuple[Dim, ...]], out: Variable) -> tuple[Dim, ...]:
    ndim = max((len(s) for s in shapes), default=0)
    dims_out: list[Dim] = []
    for axis in range(ndim):
        dims = {s[axis - ndim + len(s)] for s in shapes if axis - ndim + len(s) >= 0}
        dims.discard(1)
        if not dims:
            dims_out.append(1)
        elif len(dims) == 1:
            dims_out.append(dims.pop())
        else:
            dims_out.append(("node", id(out), axis))  # unknown: equal only to itself
    return tuple(dims_out)
