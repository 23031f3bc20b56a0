"""Per-op parameters: small frozen dataclasses, hashable, so two nodes with equal params are equal."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, Literal

if TYPE_CHECKING:
    from refspec.ast import Variable

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


@dataclass(frozen=True, slots=True)
class ScanParams(Params):
    """A scan's inner function as a closed graph (variables compare by identity, so two scan nodes
    have equal params only if they share the inner graph).

    Inner inputs, in order: one per (sequence, tap), one per (fed-back output, tap), then one per
    outer "other" input (non-sequences, captured variables, shared variables). Inner outputs: one per
    output, then the new value of each updated shared variable (``shared_outer_positions`` says which
    "other" input each one updates).
    """

    inner_inputs: tuple[Variable, ...]
    inner_outputs: tuple[Variable, ...]
    seq_taps: tuple[tuple[int, ...], ...]
    out_taps: tuple[tuple[int, ...], ...]  # () for an output that is not fed back
    shared_outer_positions: tuple[int, ...]
    until: Variable | None
    go_backwards: bool
    truncate_gradient: int
    name: str | None
    # outputs that hold only their last step: shape (1, ...) after >= 1 step, (0, ...) after none
    # (spec/scan.md; the fast path uses it where only [-1] of an output is read)
    last_only: tuple[int, ...] = ()

    def split_outer(self, inputs: Sequence[Variable]) -> tuple[Variable, list[Variable], list[Variable], list[Variable]]:
        """A scan node's outer inputs as (n_steps, sequences, initial values, others)."""
        n_seqs = len(self.seq_taps)
        n_fed = sum(1 for taps in self.out_taps if taps)
        rest = list(inputs[1:])
        return inputs[0], rest[:n_seqs], rest[n_seqs:n_seqs + n_fed], rest[n_seqs + n_fed:]


# the distributions of a ``random`` node and the names of their parameter inputs, in order (after the
# state and the size); choice's ``p`` is optional (spec/random.md)
RANDOM_DISTRIBUTIONS: Final[dict[str, tuple[str, ...]]] = {
    "uniform": ("low", "high"),
    "normal": ("avg", "std"),
    "truncated_normal": ("avg", "std"),
    "binomial": ("n", "p"),
    "random_integers": ("low", "high"),
    "poisson": ("lam",),
    "choice": ("a", "p"),
    "permutation": ("n",),
    "multinomial": ("n", "pvals"),
}


@dataclass(frozen=True, slots=True)
class RandomParams(Params):
    """A draw: its distribution, the value's dtype and ndim, and (choice only) ``replace``."""

    distribution: str
    dtype: str
    ndim: int
    replace: bool = True
