"""Builders for ``subtensor`` and ``inc_subtensor``: index descriptions drawn from the indexed
variable's concrete shape (scalars, slices, integer arrays and boolean masks; each part a constant of
the node or a symbolic input), in range unless the draw is special."""

from __future__ import annotations

from collections.abc import Callable

from refspec.ast import DTYPES, Op
from refspec.diffcheck.builder import DTYPE_ORDER, Builder, Entry, Reject
from refspec.diffcheck.domains import Domain
from refspec.diffcheck.structural import source
from refspec.dtypes import can_cast_safely
from refspec.interp.reference import numpy_index
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

STEPS = (1, 2, -1, -2, 3)


def _int_dtype(b: Builder, lo: int) -> str:
    if not b.flag(0.2):
        return "int64"
    return b.pick_from(["int32", "int8", "uint8"] if lo >= 0 else ["int32", "int8"])


def _part(b: Builder, value: int, idx: list[Entry]) -> int | Sym:
    """A slice bound or scalar index: a constant of the node, or (sometimes) a symbolic input."""
    if b.flag(0.25):
        idx.append(b.int_scalar(value, _int_dtype(b, value), symbolic=True))
        return SYM
    return value


def index_entries(b: Builder, x: Entry) -> tuple[tuple[IndexEntry, ...], list[Entry]]:
    """An index description for ``x`` and its symbolic inputs, in order."""
    entries: list[IndexEntry] = []
    idx: list[Entry] = []
    advanced = False
    wild = b.flag(b.store.special * 0.2)  # an index out of range, on purpose: IndexError
    for axis in range(1 + b.index(x.ndim) if x.ndim else 0):
        d = x.shape[axis]
        kind = b.index(4)  # 0 slice (where shrinking goes), 1 scalar, 2 integer array, 3 mask
        if (kind == 1 and d == 0 and not wild) or (kind >= 2 and advanced):
            kind = 0
        lo, hi = (-d, d - 1) if not wild else (-d - 2, d + 1)
        if kind == 0:
            start = None if b.flag(0.5) else _part(b, b.integer(-d - 1, d + 1), idx)
            stop = None if b.flag(0.5) else _part(b, b.integer(-d - 1, d + 1), idx)
            step = None if b.flag(0.5) else _part(b, b.pick_from(STEPS), idx)
            entries.append(SliceIndex(start, stop, step))
        elif kind == 1:
            entries.append(ScalarIndex(_part(b, b.integer(lo, hi), idx)))
        elif kind == 2:
            shape = (0,) if d == 0 and not wild else (b.draw_length(),) if b.flag(0.8) else b.shape(2, 2)
            idx.append(b.fresh(_int_dtype(b, lo), shape, Domain(lo, hi), special=False))
            entries.append(ArrayIndex())
            advanced = True
        else:
            idx.append(b.fresh("bool", (d,), special=False))
            entries.append(MaskIndex())
            advanced = True
    return tuple(entries), idx


def subtensor(b: Builder) -> Entry:
    x = source(b, DTYPES, min_dims=1)
    entries, idx = index_entries(b, x)
    return b.apply1(Op.SUBTENSOR, [x, *idx], IndexParams(entries))


def inc_subtensor(b: Builder) -> Entry:
    x = source(b, DTYPES, min_dims=1)
    entries, idx = index_entries(b, x)
    try:
        target = tuple(x.value[numpy_index(entries, [i.value for i in idx], x.shape)].shape)
    except IndexError as exc:
        raise Reject(str(exc)) from exc
    dtype = x.dtype
    if b.flag(0.25):
        dtype = b.dtype([d for d in DTYPE_ORDER if can_cast_safely(d, x.dtype)])
    y = b.operand(dtype, target, broadcast=True)
    return b.apply1(Op.INC_SUBTENSOR, [x, y, *idx], IncIndexParams(entries, b.flag(0.5)))


def builders() -> dict[Op, Callable[[Builder], Entry]]:
    return {Op.SUBTENSOR: subtensor, Op.INC_SUBTENSOR: inc_subtensor}
