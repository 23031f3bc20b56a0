"""Dtype rules (spec/types.md): NumPy 2 promotion for strong types, and Theano's float upgrade.

numpy is used here only on dtypes, never on values: the type of a node is decided without data.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from refspec.ast import COMPLEX_DTYPES, DTYPES, FLOAT_DTYPES, INTEGER_DTYPES

# Theano's upgrade_to_float: small integers fit float32 exactly, larger ones need float64
_FLOAT_UPGRADE = {
    "bool": "float32", "int8": "float32", "uint8": "float32", "int16": "float32", "uint16": "float32",
    "int32": "float64", "uint32": "float64", "int64": "float64", "uint64": "float64",
}


def float_upgrade(dtype: str) -> str:
    """The dtype a float-valued function computes in: floats and complex stay, integers upgrade."""
    return _FLOAT_UPGRADE.get(dtype, dtype)


def result_type(*dtypes: str) -> str:
    """NumPy 2 promotion of strongly typed operands (Python scalars are resolved before this)."""
    return np.result_type(*[np.dtype(d) for d in dtypes]).name


def ufunc_result(ufunc: Callable[..., object], *dtypes: str) -> str:
    """The output dtype numpy's ufunc loop selection gives for these input dtypes."""
    resolve = getattr(ufunc, "resolve_dtypes")
    try:
        resolved = resolve(tuple(np.dtype(d) for d in dtypes) + (None,))
    except (TypeError, np.exceptions.DTypePromotionError) as exc:
        raise TypeError(f"no {getattr(ufunc, '__name__', ufunc)} for dtypes {dtypes}: {exc}") from exc
    name: str = resolved[-1].name
    return name


def sum_dtype(dtype: str) -> str:
    """Accumulator dtype of sum and prod, as numpy: small signed ints and bool to int64, uint to uint64."""
    if dtype == "bool" or dtype in ("int8", "int16", "int32"):
        return "int64"
    if dtype in ("uint8", "uint16", "uint32"):
        return "uint64"
    return dtype


def real_dtype(dtype: str) -> str:
    """The dtype of the real part: complex64 -> float32, complex128 -> float64, others unchanged."""
    return {"complex64": "float32", "complex128": "float64"}.get(dtype, dtype)


def is_integer(dtype: str) -> bool:
    return dtype in INTEGER_DTYPES


def is_float(dtype: str) -> bool:
    return dtype in FLOAT_DTYPES


def is_complex(dtype: str) -> bool:
    return dtype in COMPLEX_DTYPES


def can_cast_safely(src: str, dst: str) -> bool:
    return bool(np.can_cast(np.dtype(src), np.dtype(dst), casting="safe"))


assert set(_FLOAT_UPGRADE) | set(FLOAT_DTYPES) | set(COMPLEX_DTYPES) == set(DTYPES)
