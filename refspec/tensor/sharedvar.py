"""``shared(value)``: a variable whose value lives across calls and is shared by every function."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from refspec.ast import TensorType, check_dtype
from refspec.tensor.var import TensorSharedVariable
from refspec.values import filter_value


def shared(
    value: object,
    name: str | None = None,
    strict: bool = False,
    allow_downcast: bool | None = None,
    borrow: bool = False,
    broadcastable: Sequence[bool] | None = None,
    shape: Sequence[int | None] | None = None,
) -> TensorSharedVariable:
    """A shared tensor holding ``value`` (copied unless ``borrow=True`` and it is a numpy array).

    Its type has the value's dtype and ndim; its static lengths are unknown (the value may change
    size) unless ``broadcastable=`` or ``shape=`` fixes them, as in Theano.
    """
    if isinstance(value, np.ndarray):
        data = value
    else:
        data = np.asarray(value)
        borrow = False
    dtype = check_dtype(data.dtype)
    if broadcastable is not None and shape is not None:
        raise TypeError("shared() takes broadcastable= or shape=, not both")
    if broadcastable is not None:
        type = TensorType(dtype, broadcastable)
    else:
        type = TensorType(dtype, shape=shape if shape is not None else (None,) * data.ndim)
    label = name or "shared variable"
    stored = filter_value(type, data, label, copy=not borrow)
    return TensorSharedVariable(type, stored, name)
