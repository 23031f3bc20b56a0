"""Value-level hypothesis strategies: dtypes, shapes, and arrays that are values of a ``TensorType``.

Everything shrinks toward "small and ordinary": a drawn length shrinks to 1 (0 is drawn on purpose, but
rarely), an array's special values (NaN, ±inf, ±0, subnormals, the dtype's extremes) are switched on by
one flag per array that shrinks to off, and numbers shrink toward 0 within their range.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from refspec.ast import (
    BOOL_DTYPES,
    COMPLEX_DTYPES,
    DTYPES,
    FLOAT_DTYPES,
    INT_DTYPES,
    UINT_DTYPES,
    Array,
    TensorType,
)

# dtype kinds accepted by ``dtypes(kinds=...)``
KINDS: dict[str, tuple[str, ...]] = {
    "bool": BOOL_DTYPES,
    "int": INT_DTYPES,
    "uint": UINT_DTYPES,
    "float": FLOAT_DTYPES,
    "complex": COMPLEX_DTYPES,
}
# the magnitude of ordinary float draws when no domain is given: large enough to exercise rounding and
# cancellation, small enough that most chains stay finite (the extremes come with the special values)
DEFAULT_FLOAT_BOUND = 1e3
MAX_SIDE = 4


def dtypes(kinds: Iterable[str] = tuple(KINDS)) -> st.SearchStrategy[str]:
    """refspec dtype names of the given kinds (``bool``, ``int``, ``uint``, ``float``, ``complex``);
    shrinks toward the first listed (the order of ``refspec.ast.DTYPES`` within the kinds)."""
    wanted = {d for k in kinds for d in KINDS[k]}
    names = [d for d in DTYPES if d in wanted]
    if not names:
        raise ValueError(f"no dtypes of kinds {list(kinds)}")
    return st.sampled_from(names)


def lengths(max_side: int = MAX_SIDE) -> st.SearchStrategy[int]:
    """An axis length in 0..max_side that shrinks to 1; 0 (an empty axis) about one draw in 16."""
    return st.integers(0, 15).map(lambda k: 0 if k == 15 else 1 + k % max_side)


def shapes(
    min_dims: int = 0, max_dims: int = 3, max_side: int = MAX_SIDE
) -> st.SearchStrategy[tuple[int, ...]]:
    """Concrete shapes: few dims first (shrinks toward 0-d), each length as ``lengths``."""
    return st.integers(min_dims, max_dims).flatmap(
        lambda n: st.tuples(*[lengths(max_side) for _ in range(n)]))


def broadcastable_shapes(
    num_shapes: int, min_dims: int = 0, max_dims: int = 3, max_side: int = MAX_SIDE
) -> st.SearchStrategy[tuple[tuple[int, ...], ...]]:
    """``num_shapes`` shapes that broadcast together (numpy rules, some with length-1 or missing axes,
    empty axes included), via ``hypothesis.extra.numpy.mutually_broadcastable_shapes``."""
    return hnp.mutually_broadcastable_shapes(
        num_shapes=num_shapes, min_dims=min_dims, max_dims=max_dims, min_side=0, max_side=max_side,
    ).map(lambda b: tuple(b.input_shapes))


def shape_for(ttype: TensorType, max_side: int = MAX_SIDE) -> st.SearchStrategy[tuple[int, ...]]:
    """A concrete shape fitting ``ttype``'s static shape (None entries drawn as ``lengths``)."""
    return st.tuples(*[st.just(s) if s is not None else lengths(max_side) for s in ttype.shape])


@functools.lru_cache(maxsize=256)
def special_values(dtype: str, lo: float | None = None, hi: float | None = None) -> tuple[object, ...]:
    """Values of ``dtype`` that break naive implementations. Floats: NaN, ±inf, ±0, ±smallest
    subnormal, ±tiny, ±max; complex: those in either component; integers: min, max, 0, ±1 (within
    [lo, hi] when given); bool: both."""
    kind = np.dtype(dtype).kind
    if kind == "b":
        return (False, True)
    if kind in "iu":
        info = np.iinfo(dtype)
        low = int(info.min) if lo is None else max(int(info.min), math.ceil(lo))
        high = int(info.max) if hi is None else min(int(info.max), math.floor(hi))
        return tuple(sorted({v for v in (low, high, 0, 1, -1) if low <= v <= high}))
    real = "float32" if dtype == "complex64" else "float64" if dtype == "complex128" else dtype
    f = np.finfo(real)
    ftype = np.dtype(real).type
    base = [math.nan, math.inf, -math.inf, 0.0, -0.0]
    base += [float(ftype(s * v)) for v in (f.smallest_subnormal, f.tiny, f.max) for s in (1, -1)]
    if kind == "f":
        return tuple(base)
    return tuple(complex(r, i) for r, i in ((base[0], 0.0), (0.0, base[0]), (base[1], 0.0), (0.0, base[2]),
                                            (base[1], base[1]), (-0.0, -0.0), (base[5], base[6]),
                                            (base[9], 1.0)))


def _inward(lo: float, hi: float, dtype: str) -> tuple[float, float]:
    """[lo, hi] rounded inward to values ``dtype`` represents exactly (hypothesis requires it)."""
    t = np.dtype(dtype).type
    a, z = t(lo), t(hi)
    if float(a) < lo:
        a = np.nextafter(a, t(np.inf))
    if float(z) > hi:
        z = np.nextafter(z, t(-np.inf))
    return float(a), float(z)


@functools.lru_cache(maxsize=4096)
def ordinary_values(dtype: str, lo: float | None = None, hi: float | None = None) -> st.SearchStrategy[object]:
    """Finite values of ``dtype`` in [lo, hi] (floats default to ±DEFAULT_FLOAT_BOUND, integers to
    the whole range); shrink toward 0 or the bound nearest it."""
    kind = np.dtype(dtype).kind
    if kind == "b":
        return st.booleans()
    if kind in "iu":
        info = np.iinfo(dtype)
        low = int(info.min) if lo is None else max(int(info.min), math.ceil(lo))
        high = int(info.max) if hi is None else min(int(info.max), math.floor(hi))
        if low > high:
            raise ValueError(f"empty range [{lo}, {hi}] for {dtype}")
        return st.integers(low, high)
    bound = DEFAULT_FLOAT_BOUND
    low_f = -bound if lo is None else float(lo)
    high_f = bound if hi is None else float(hi)
    real = dtype if kind == "f" else "float32" if dtype == "complex64" else "float64"
    low_f, high_f = _inward(low_f, high_f, real)
    if kind == "f":
        return hnp.from_dtype(np.dtype(dtype), min_value=low_f, max_value=high_f, allow_nan=False,
                              allow_infinity=False, allow_subnormal=False)
    part = hnp.from_dtype(np.dtype(real), min_value=low_f, max_value=high_f, allow_nan=False,
                          allow_infinity=False, allow_subnormal=False)
    return st.builds(complex, part, part)


@functools.lru_cache(maxsize=4096)
def elements_for(
    dtype: str, special: bool = True, lo: float | None = None, hi: float | None = None
) -> st.SearchStrategy[object]:
    """Scalars of ``dtype``: ordinary values, and (when ``special``) the special values about half the
    time. ``arrays_for`` decides per array whether specials appear at all."""
    ordinary = ordinary_values(dtype, lo, hi)
    if not special:
        return ordinary
    return st.one_of(ordinary, st.sampled_from(special_values(dtype, lo, hi)))


def arrays_for(
    ttype: TensorType,
    shape: tuple[int, ...] | None = None,
    special: bool = True,
    lo: float | None = None,
    hi: float | None = None,
) -> st.SearchStrategy[Array]:
    """numpy arrays that are values of ``ttype``: its dtype, a shape fitting its static shape (None
    entries drawn in 0..4, length 1 first, 0 sometimes) unless ``shape`` is given, elements in [lo, hi]
    (see ``ordinary_values``). With ``special``, about a third of the arrays also hold special values
    (``special_values``); the flag shrinks to off."""
    if shape is not None and not ttype.accepts_shape(shape):
        raise ValueError(f"shape {shape} does not fit {ttype}")
    dtype = np.dtype(ttype.dtype)
    shape_st: st.SearchStrategy[tuple[int, ...]] = st.just(shape) if shape is not None else shape_for(ttype)
    plain = ordinary_values(ttype.dtype, lo, hi)
    if not special:
        # fill=st.nothing(): draw every element (the default fills most of an array with one value)
        return shape_st.flatmap(lambda s: hnp.arrays(dtype, s, elements=plain, fill=st.nothing()))
    wild = elements_for(ttype.dtype, True, lo, hi)

    @st.composite
    def draw(data: st.DrawFn) -> Array:
        s = data(shape_st)
        with_specials = data(st.integers(0, 2)) == 2  # 0 (no specials) is where it shrinks
        value: Array = data(hnp.arrays(dtype, s, elements=wild if with_specials else plain,
                                       fill=st.nothing()))
        return value

    return draw()

