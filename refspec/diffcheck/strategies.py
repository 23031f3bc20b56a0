"""Hypothesis strategies for differential testing (the generation layer of ``refspec.diffcheck``).

Re-exports the pieces: ``values`` (dtypes, shapes, arrays that are values of a type, with special
values). Graph and program strategies are added below as they land.
"""

from __future__ import annotations

from refspec.diffcheck.values import (
    KINDS,
    arrays_for,
    broadcastable_shapes,
    dtypes,
    elements_for,
    lengths,
    ordinary_values,
    shape_for,
    shapes,
    special_values,
)

__all__ = [
    "KINDS", "arrays_for", "broadcastable_shapes", "dtypes", "elements_for", "lengths",
    "ordinary_values", "shape_for", "shapes", "special_values",
]
