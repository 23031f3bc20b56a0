"""Converting user data (numpy arrays, Python scalars and lists) into a value of a tensor type.

One rule for function inputs, ``set_value`` and givens values (spec/function.md, "Input conversion"):
- numpy data converts when numpy's *safe* casting allows it;
- Python data converts when its kind fits (bool -> any, int -> int/float/complex, float ->
  float/complex, complex -> complex) and the values survive exactly; Python floats may round to a
  narrower float dtype (``f(0.1)`` for an ``fscalar``);
- anything else needs ``allow_downcast=True``; the ndim must match, and every static length too.
"""

from __future__ import annotations

import numpy as np

from refspec.ast import Array, TensorType

_KIND_ORDER = "biufc"  # bool < int/uint < float < complex
_PY_KINDS = {"b": "biufc", "i": "iufc", "u": "iufc", "f": "fc", "c": "c"}


def _python_data_fits(data: Array, dtype: np.dtype[np.generic]) -> bool:
    if dtype.kind not in _PY_KINDS.get(data.dtype.kind, ""):
        return False
    with np.errstate(all="ignore"):
        converted = data.astype(dtype)
    if data.dtype.kind in "fc" and dtype.kind in "fc":
        return True  # a Python float rounds to the nearest value of the narrower float dtype
    return bool(np.array_equal(converted.astype(data.dtype), data))


def filter_value(
    type: TensorType,
    value: object,
    name: str,
    *,
    allow_downcast: bool | None = None,
    copy: bool = True,
) -> Array:
    """``value`` as an array of ``type``, or a TypeError/ValueError that names ``name``."""
    target = np.dtype(type.dtype)
    is_numpy = isinstance(value, (np.ndarray, np.generic))
    try:
        data = np.asarray(value)
    except (ValueError, TypeError) as exc:
        raise TypeError(f"{name}: cannot convert {value!r} to an array ({exc})") from exc
    if data.dtype.kind not in _KIND_ORDER:
        raise TypeError(f"{name}: expected {type.dtype} data, got {data.dtype} ({value!r:.60})")
    if data.dtype != target:
        fits = np.can_cast(data.dtype, target, "safe") if is_numpy else _python_data_fits(data, target)
        if not fits and not allow_downcast:
            raise TypeError(
                f"{name}: {data.dtype} data cannot be converted to {type.dtype} without loss; "
                f"cast it first or pass allow_input_downcast=True"
            )
        with np.errstate(all="ignore"):
            data = data.astype(target)
        copy = False
    if data.ndim != type.ndim:
        raise TypeError(f"{name}: expected ndim {type.ndim} ({type}), got data of shape {data.shape}")
    if not type.accepts_shape(data.shape):
        raise ValueError(f"{name}: shape {data.shape} does not fit the static shape of {type}")
    return data.copy() if copy else data
