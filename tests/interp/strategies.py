"""Small hypothesis helpers shared by the interpreter property tests.

Kept deliberately small: dtype lists, element strategies with an optional domain and optional
special values (NaN / inf), symbolic inputs of a drawn static shape, and one way to run a graph
(``refspec.interp.evaluate`` or ``refspec.function(..., mode="REFERENCE")``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import refspec
import refspec.tensor as T
from refspec.interp import evaluate
from refspec.tensor.var import TensorVariable

Array = npt.NDArray[Any]

BOOL = ("bool",)
SIGNED = ("int8", "int16", "int32", "int64")
UNSIGNED = ("uint8", "uint16", "uint32", "uint64")
INTS = SIGNED + UNSIGNED
FLOATS = ("float16", "float32", "float64")
COMPLEX = ("complex64", "complex128")
REAL = BOOL + INTS + FLOATS
ALL = REAL + COMPLEX

# Theano's upgrade_to_float, written out independently of refspec.dtypes (spec/types.md)
FLOAT_UPGRADE = {
    "bool": "float32", "int8": "float32", "uint8": "float32", "int16": "float32", "uint16": "float32",
    "int32": "float64", "uint32": "float64", "int64": "float64", "uint64": "float64",
}

SPECIALS = (math.nan, math.inf, -math.inf)


def upgrade(dtype: str) -> str:
    return FLOAT_UPGRADE.get(dtype, dtype)


def elements(
    dtype: str,
    lo: float | None = None,
    hi: float | None = None,
    *,
    special: bool = False,
    nonzero: bool = False,
) -> st.SearchStrategy[Any]:
    """Scalars of ``dtype``: within [lo, hi] where given (reals), plus NaN/inf when ``special``
    (floats and complex), never zero when ``nonzero``."""
    kind = np.dtype(dtype).kind
    strat: st.SearchStrategy[Any]
    if kind == "b":
        strat = st.just(True) if nonzero else st.booleans()
    elif kind in "iu":
        info = np.iinfo(dtype)
        low = info.min if lo is None else max(info.min, math.ceil(lo))
        high = info.max if hi is None else min(info.max, math.floor(hi))
        if nonzero:  # (a filter would make hypothesis give up on ranges that shrink towards 0)
            strat = st.one_of(st.integers(int(low), min(int(high), -1)) if low < 0 else st.nothing(),
                              st.integers(max(int(low), 1), int(high)) if high > 0 else st.nothing())
        else:
            strat = st.integers(int(low), int(high))
    elif kind == "f":
        strat = hnp.from_dtype(
            np.dtype(dtype), min_value=lo, max_value=hi, allow_nan=False, allow_infinity=False,
            allow_subnormal=False,
        )
    else:
        bound = 1e3 if hi is None else max(abs(hi), abs(lo if lo is not None else hi))
        strat = hnp.from_dtype(np.dtype(dtype), max_magnitude=bound, allow_nan=False, allow_infinity=False)
    if special and kind in "fc":
        strat = st.one_of(strat, st.sampled_from(SPECIALS))
    if nonzero:
        strat = strat.filter(lambda v: v != 0)
    return strat


def arrays(dtype: str, shape: Sequence[int], elems: st.SearchStrategy[Any]) -> st.SearchStrategy[Array]:
    return hnp.arrays(np.dtype(dtype), tuple(shape), elements=elems)


def shapes(
    min_dims: int = 0, max_dims: int = 3, min_side: int = 0, max_side: int = 4
) -> st.SearchStrategy[tuple[int, ...]]:
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side)


def broadcastable_to(shape: Sequence[int]) -> st.SearchStrategy[tuple[int, ...]]:
    """Shapes that broadcast *to* ``shape`` (leading axes dropped, some lengths replaced by 1)."""
    shape = tuple(shape)
    return st.integers(0, len(shape)).flatmap(
        lambda drop: st.tuples(*[st.sampled_from([n, 1]) for n in shape[drop:]]))


def symbolic(dtype: str, shape: Sequence[int], exact: bool, name: str | None = None) -> TensorVariable:
    """An input variable of ``dtype``: static shape all-None, or the exact shape when ``exact``."""
    static = tuple(shape) if exact else (None,) * len(shape)
    return T.tensor(dtype, shape=static, name=name)


def run(
    inputs: Sequence[TensorVariable],
    outputs: Sequence[TensorVariable],
    values: Sequence[Array],
    via_function: bool,
) -> list[Array]:
    """Values of ``outputs``: through ``refspec.function(mode="REFERENCE")`` or straight through the
    evaluator (which checks every node's value against its inferred type either way)."""
    if via_function:
        f = refspec.function(list(inputs), list(outputs), mode="REFERENCE", on_unused_input="ignore")
        result = f(*values)
        return list(result) if isinstance(result, list) else [result]
    return evaluate(list(outputs), dict(zip(inputs, values)))


def check_type(var: TensorVariable, value: Array) -> None:
    """(2): the value has the variable's inferred dtype and fits its static shape."""
    assert isinstance(value, np.ndarray), type(value)
    assert value.dtype.name == var.dtype, (value.dtype, var.type)
    assert value.ndim == var.ndim, (value.shape, var.type)
    for static, actual in zip(var.type.shape, value.shape):
        assert static is None or static == actual, (value.shape, var.type)


def assert_same(actual: Array, expected: Array, *, exact: bool = True, dtype: str | None = None) -> None:
    """Equal values of equal shape with NaN in the same places; ``exact=False`` compares with a
    tolerance suited to ``dtype`` (for scipy functions and reassociated sums)."""
    assert actual.shape == expected.shape, (actual.shape, expected.shape)
    if exact or np.dtype(actual.dtype).kind in "biu":
        np.testing.assert_array_equal(actual, expected)
        return
    name = dtype or actual.dtype.name
    rtol, atol = {
        "float16": (5e-3, 2e-3), "float32": (1e-5, 1e-6), "complex64": (1e-5, 1e-6),
    }.get(name, (1e-12, 1e-12))
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol, equal_nan=True)
