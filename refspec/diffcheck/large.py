"""Values of large arrays for ``check``: hypothesis draws a seed, numpy draws the elements.

Hypothesis draws every element of an array from its own bounded byte buffer, which cannot hold more
than a few hundred elements; a user's graph (784 features, say) needs more. Past ``LARGE`` elements
an array is drawn from a seeded numpy generator instead: the same ranges as the element strategies
(``refspec.diffcheck.values``), with about one element in a hundred replaced by a special value when
``special`` is set. Such arrays do not shrink, and a repro keeps them small by other means (bisection
and element selection).
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from refspec.ast import Array
from refspec.diffcheck.values import DEFAULT_FLOAT_BOUND, special_values

LARGE = 128  # elements; above this, arrays are drawn by numpy
INT_BOUND = 100  # default magnitude of drawn integers (the extremes come with the special values)


def large_arrays(dtype: str, shape: tuple[int, ...], special: bool, lo: float | None = None,
                 hi: float | None = None) -> st.SearchStrategy[Array]:
    return st.integers(0, 2**32 - 1).map(lambda seed: _generate(np.random.default_rng(seed), dtype, shape,
                                                                 special, lo, hi))


def _generate(rng: np.random.Generator, dtype: str, shape: tuple[int, ...], special: bool, lo: float | None,
              hi: float | None) -> Array:
    kind = np.dtype(dtype).kind
    if kind == "b":
        value: Array = rng.random(shape) < 0.5
        return value
    if kind in "iu":
        info = np.iinfo(dtype)
        low = max(int(info.min), -INT_BOUND if lo is None else int(np.ceil(lo)))
        high = min(int(info.max), INT_BOUND if hi is None else int(np.floor(hi)))
        value = rng.integers(low, high, shape, endpoint=True).astype(dtype)
    else:
        bottom = -DEFAULT_FLOAT_BOUND if lo is None else lo
        top = DEFAULT_FLOAT_BOUND if hi is None else hi
        value = rng.uniform(bottom, top, shape)
        if kind == "c":
            value = value + 1j * rng.uniform(bottom, top, shape)
        value = value.astype(dtype)
    if special and value.size:
        extremes = special_values(dtype, lo, hi)
        where = rng.random(shape) < 0.01
        picks = rng.integers(0, len(extremes), int(np.count_nonzero(where)))
        value[where] = np.array([extremes[i] for i in picks], dtype=dtype)
    return value
