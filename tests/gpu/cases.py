"""Elementwise nodes over a fixed set of dtype combinations, and values to run them on, shared by
the table's coverage test, its host-compiled check and the GPU differential tests."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import numpy as np
import numpy.typing as npt

import refspec.tensor as T
from refspec.ast import DTYPES, ELEMENTWISE, FLOAT_FUNCTIONS, Apply, Op
from refspec.ops import make_node
from refspec.params import NO_PARAMS, CastParams, Params

Arr = npt.NDArray[np.generic]

MIXED_PAIRS = [
    ("int8", "uint8"), ("int64", "uint64"), ("uint64", "int64"), ("int32", "float32"), ("bool", "int8"),
    ("float16", "float32"), ("float32", "float64"), ("int64", "float16"), ("complex64", "float64"),
    ("uint8", "float16"), ("int16", "uint32"), ("bool", "float16"),
]
SWITCH_CASES = [
    ("bool", "float32", "float64"), ("float64", "int8", "uint8"), ("int8", "complex64", "float32"),
    ("bool", "float16", "float16"), ("float32", "int64", "int64"), ("bool", "bool", "int8"),
]
CLIP_CASES = [
    ("float64", "float64", "float64"), ("float32", "float64", "int8"), ("float16", "float16", "float16"),
    ("int8", "uint8", "int16"), ("uint16", "int8", "float16"), ("float32", "float32", "float32"),
]

# ops whose reference is a libm-class function: agreement to a few ulps, not bit for bit (abs of a
# complex is numpy's own scaled hypot, which differs from libm's hypot in the last bit)
APPROXIMATE = FLOAT_FUNCTIONS | {Op.POW}
APPROXIMATE_COMPLEX = frozenset({Op.ABS})


def _var(dtype: str) -> T.TensorVariable:
    return T.tensor(dtype, shape=(None,))


def _try(op: Op, dtypes: tuple[str, ...], params: Params = NO_PARAMS) -> Apply | None:
    try:
        return make_node(op, [_var(d) for d in dtypes], params)
    except (TypeError, ValueError):
        return None


def nodes() -> Iterator[Apply]:
    """Every buildable elementwise node over the fixed dtype combinations (in a fixed order)."""
    for op in sorted(ELEMENTWISE, key=lambda o: o.value):
        if op is Op.CAST:
            for src, dst in itertools.product(DTYPES, DTYPES):
                node = _try(op, (src,), CastParams(dst))
                if node is not None:
                    yield node
        elif op is Op.SWITCH:
            yield from (n for n in (_try(op, c) for c in SWITCH_CASES) if n is not None)
        elif op is Op.CLIP:
            yield from (n for n in (_try(op, c) for c in CLIP_CASES) if n is not None)
        else:
            arity = 1 if _try(op, ("float64",)) is not None or _try(op, ("int64",)) is not None else 2
            combos: list[tuple[str, ...]] = [(d,) * arity for d in DTYPES]
            if arity == 2:
                combos += MIXED_PAIRS
            for c in combos:
                node = _try(op, c)
                if node is not None:
                    yield node


def values(dtype: str) -> Arr:
    """Ordinary and special values of a dtype (its extremes, signed zeros, NaN, infinities,
    subnormals, halves for the rounding ops)."""
    if dtype == "bool":
        return np.array([False, True])
    kind = np.dtype(dtype)
    if kind.kind in "iu":
        info = np.iinfo(dtype)
        raw = [0, 1, -1, 2, -2, 3, -3, 7, -7, 100, -100, info.min, info.max, info.min + 1, info.max - 1]
        return np.array(sorted({v for v in raw if info.min <= v <= info.max}), dtype=dtype)
    if kind.kind == "f":
        info = np.finfo(dtype)
        raw = [0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 1.5, -1.5, 2.5, -2.5, 3.0, 0.1, -7.25, 100.7, 1e-3,
               float(info.max), -float(info.max), float(info.smallest_subnormal), float(info.tiny),
               np.inf, -np.inf, np.nan, 1e4, -3e4]
        return np.array(raw, dtype=dtype)
    part = "float32" if dtype == "complex64" else "float64"
    re = np.array([0.0, -1.0, 0.5, 2.5, np.inf, np.nan], dtype=part)
    im = np.array([0.0, -0.0, 1.0, -3.0, np.inf], dtype=part)
    z = np.empty((re.size, im.size), dtype=dtype)
    z.real, z.imag = re[:, None], im[None, :]
    return z.reshape(-1)


def operands(node: Apply) -> list[Arr]:
    """Values for each input, shaped to broadcast into every combination (outer product)."""
    n = len(node.inputs)
    out: list[Arr] = []
    for k, v in enumerate(node.inputs):
        vals = values(v.dtype)
        if n == 3 and vals.size > 8:
            vals = vals[:: max(1, vals.size // 8)]
        shape = [1] * n
        shape[k] = vals.size
        out.append(vals.reshape(shape))
    if node.op in (Op.INT_DIV, Op.MOD) and np.dtype(node.outputs[0].dtype).kind in "iub":
        out[1] = out[1][out[1] != 0].reshape([1] * (n - 1) + [-1])  # zero divisors: the error test
    if node.op is Op.POW and np.dtype(node.outputs[0].dtype).kind in "iub":
        out[1] = out[1][out[1] >= 0].reshape([1] * (n - 1) + [-1])  # negative powers: the error test
    if node.op is Op.CAST and np.dtype(node.inputs[0].dtype).kind in "fc" \
            and np.dtype(node.outputs[0].dtype).kind in "iu":
        # a NaN, infinite or out-of-range float converts to an unspecified integer (spec/ops.md cast)
        info = np.iinfo(node.outputs[0].dtype)
        x = out[0].real.astype(np.float64)
        keep = np.isfinite(x) & (x > float(info.min) - 1) & (x < float(info.max) + 1)
        if node.outputs[0].dtype in ("int64", "uint64"):
            keep &= np.abs(x) < 2.0**62
        out[0] = out[0][keep]
    return out
