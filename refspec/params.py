"""Per-op parameters: small frozen dataclasses, hashable, so two nodes with equal params are equal."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

Sym = Literal["sym"]
SYM: Final[Sym] = "sym"  # marks an index component supplied as a symbolic input, in order


@dataclass(frozen=True, slots=True)
class Params:
    """Base of every op's parameters; ``NO_PARAMS`` for ops that take none."""


NO_PARAMS: Final = Params()


@dataclass(frozen=True, slots=True)
class CastParams(Params):
    dtype: str


@dataclass(frozen=True, slots=True)
class ReduceParams(Params):
    axis: tuple[int, ...] | None  # normalized: sorted, non-negative; None = every axis
    keepdims: bool


@dataclass(frozen=True, slots=True)
class AxisParams(Params):
    axis: int  # normalized, non-negative


@dataclass(frozen=True, slots=True)
class TensorDotParams(Params):
    a_axes: tuple[int, ...]
    b_axes: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class DimShuffleParams(Params):
    new_order: tuple[int | Literal["x"], ...]


@dataclass(frozen=True, slots=True)
class ShapeParams(Params):
    shape: tuple[int | None, ...]


@dataclass(frozen=True, slots=True)
class NdimParams(Params):
    ndim: int


@dataclass(frozen=True, slots=True)
class DTypeParams(Params):
    dtype: str


@dataclass(frozen=True, slots=True)
class ScalarIndex:
    value: int | Sym


@dataclass(frozen=True, slots=True)
class SliceIndex:
    start: int | None | Sym
    stop: int | None | Sym
    step: int | None | Sym


@dataclass(frozen=True, slots=True)
class ArrayIndex:
    """An integer array index (symbolic input)."""


@dataclass(frozen=True, slots=True)
class MaskIndex:
    """A boolean mask index (symbolic input); it selects like ``mask.nonzero()``."""


IndexEntry = ScalarIndex | SliceIndex | ArrayIndex | MaskIndex


@dataclass(frozen=True, slots=True)
class IndexParams(Params):
    entries: tuple[IndexEntry, ...]


@dataclass(frozen=True, slots=True)
class IncIndexParams(Params):
    entries: tuple[IndexEntry, ...]
    set_instead_of_inc: bool


@dataclass(frozen=True, slots=True)
class IfElseParams(Params):
    n_outs: int


@dataclass(frozen=True, slots=True)
class PrintParams(Params):
    message: str
    attrs: tuple[str, ...]


def symbolic_count(entries: tuple[IndexEntry, ...]) -> int:
    """How many symbolic inputs an index description consumes."""
    count = 0
    for e in entries:
        if isinstance(e, ScalarIndex):
            count += e.value == SYM
        elif isinstance(e, SliceIndex):
            count += sum(part == SYM for part in (e.start, e.stop, e.step))
        else:
            count += 1
    return count
