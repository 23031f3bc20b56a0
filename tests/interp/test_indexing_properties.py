"""Property tests for indexing: ``x[...]`` (subtensor) and ``set_subtensor`` / ``inc_subtensor``,
with basic slices and integers (constant or symbolic), integer arrays with duplicates, and boolean
masks, checked against numpy indexing and against an element-by-element write loop (duplicates:
inc accumulates, set keeps the last write)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from tests.budget import budget

import refspec.tensor as T
from refspec.ast import Op, toposort
from refspec.tensor.var import TensorVariable

from .strategies import (
    ALL, Array, arrays, assert_same, broadcastable_to, check_type, elements, run, shapes, symbolic,
)

INDEXING_OPS = frozenset({Op.SUBTENSOR, Op.INC_SUBTENSOR})

SETTINGS = settings(budget(25), suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])

INDEX_DTYPES = ("int8", "int16", "int32", "int64", "uint8")


class Index:
    """An index drawn twice over: with refspec variables (``sym``) and with plain values (``num``)."""

    def __init__(self) -> None:
        self.sym: list[Any] = []
        self.num: list[Any] = []
        self.inputs: list[TensorVariable] = []
        self.values: list[Array] = []

    def add(self, sym: Any, num: Any) -> None:
        self.sym.append(sym)
        self.num.append(num)

    def scalar(self, data: st.DataObject, v: int) -> Any:
        """``v`` as a Python int, or as a symbolic int scalar fed ``v``."""
        if not data.draw(st.booleans(), label="symbolic scalar"):
            return v
        dtype = data.draw(st.sampled_from([d for d in INDEX_DTYPES if np.can_cast(np.min_scalar_type(v), d)]))
        var = T.tensor(dtype, shape=())
        self.inputs.append(var)
        self.values.append(np.array(v, dtype=dtype))
        return var

    def array(self, data: st.DataObject, value: Array) -> Any:
        """An index array: a constant (list or ndarray) or a symbolic tensor fed ``value``."""
        # (an empty array's tolist() loses its shape and its dtype: lists only for nonempty ones)
        ways = ["list", "ndarray", "symbolic"] if value.size else ["ndarray", "symbolic"]
        how = data.draw(st.sampled_from(ways), label="array index as")
        if how == "list":
            return value.tolist()
        if how == "ndarray":
            return value
        var = symbolic(value.dtype.name, value.shape, data.draw(st.booleans()))
        self.inputs.append(var)
        self.values.append(value)
        return var


def basic_entry(data: st.DataObject, index: Index, n: int) -> None:
    """An integer (in range) or a slice with arbitrary bounds and step for an axis of length n."""
    if n > 0 and data.draw(st.booleans(), label="int entry"):
        v = data.draw(st.integers(-n, n - 1))
        index.add(index.scalar(data, v), v)
        return
    bound = st.none() | st.integers(-n - 2, n + 2)
    start, stop = data.draw(bound), data.draw(bound)
    step = data.draw(st.none() | st.sampled_from([-3, -2, -1, 1, 2, 3]))
    parts = [None if p is None else index.scalar(data, p) for p in (start, stop, step)]
    index.add(slice(*parts), slice(start, stop, step))


def draw_basic(data: st.DataObject, shape: tuple[int, ...], newaxis: bool) -> Index:
    """Basic entries for the leading axes; ``newaxis`` also allows None (and no entry at all, x[()],
    which builds no node and so cannot be the target of set/inc_subtensor)."""
    index = Index()
    count = data.draw(st.integers(0 if newaxis else 1, len(shape)))
    for n in shape[:count]:
        basic_entry(data, index, n)
    if newaxis and data.draw(st.booleans()):
        at = data.draw(st.integers(0, len(index.num)))
        index.sym.insert(at, None)
        index.num.insert(at, None)
    if count < len(shape) and data.draw(st.booleans()):
        index.add(Ellipsis, Ellipsis)
    return index


def draw_advanced(data: st.DataObject, shape: tuple[int, ...]) -> Index:
    """Integer arrays (small ranges, so duplicates are common) on some axes, basic entries on others."""
    index = Index()
    count = data.draw(st.integers(1, len(shape)))
    adv_axes = data.draw(st.lists(st.integers(0, count - 1), min_size=1, unique=True), label="array axes")
    common = data.draw(hnp.array_shapes(min_dims=1, max_dims=2, min_side=0, max_side=4), label="index shape")
    for axis, n in enumerate(shape[:count]):
        if axis in adv_axes and n > 0:
            dtype = data.draw(st.sampled_from(INDEX_DTYPES))
            lo = 0 if dtype.startswith("u") else -n
            ishape = data.draw(broadcastable_to(common).filter(len))
            value = data.draw(arrays(dtype, ishape, st.integers(lo, n - 1)))
            index.add(index.array(data, value), value)
        else:
            basic_entry(data, index, n)
    return index


def draw_mask(data: st.DataObject, shape: tuple[int, ...]) -> Index:
    """A boolean mask over k consecutive axes after some basic entries."""
    index = Index()
    before = data.draw(st.integers(0, len(shape) - 1))
    k = data.draw(st.integers(1, len(shape) - before))
    for n in shape[:before]:
        basic_entry(data, index, n)
    mask = data.draw(arrays("bool", shape[before:before + k], st.booleans()), label="mask")
    index.add(index.array(data, mask), mask)
    if before + k < len(shape) and data.draw(st.booleans()):
        basic_entry(data, index, shape[before + k])
    return index


KINDS = ["basic", "array", "mask"]


def draw_index(data: st.DataObject, kind: str, shape: tuple[int, ...], newaxis: bool) -> Index:
    if kind == "basic":
        return draw_basic(data, shape, newaxis)
    if kind == "array":
        return draw_advanced(data, shape)
    return draw_mask(data, shape)


@pytest.mark.parametrize("kind", KINDS)
@SETTINGS
@given(data=st.data())
def test_subtensor(kind: str, data: st.DataObject) -> None:
    dtype = data.draw(st.sampled_from(ALL), label="dtype")
    shape = data.draw(shapes(min_dims=1, max_dims=3, max_side=5), label="shape")
    exact = data.draw(st.booleans(), label="exact")
    index = draw_index(data, kind, shape, newaxis=True)
    x = symbolic(dtype, shape, exact)
    value = data.draw(arrays(dtype, shape, elements(dtype)), label="x")
    expected = np.asarray(value[tuple(index.num)])
    out = x[tuple(index.sym)]
    if index.num and any(e is not None for e in index.num):
        assert Op.SUBTENSOR in {node.op for node in toposort([out])}
    assert out.dtype == dtype
    (got,) = run([x, *index.inputs], [out], [value, *index.values], via_function=data.draw(st.booleans()))
    check_type(out, got)
    assert_same(got, expected)
    if exact and not index.inputs and kind != "mask":  # constant index: the static shape is exact
        assert out.type.shape == expected.shape


@pytest.mark.parametrize("extra", [1, -1])
def test_mask_of_the_wrong_shape_raises(extra: int) -> None:
    """numpy rejects a boolean mask whose shape differs from the axes it indexes; so does refspec."""
    x, m = T.dvector(), T.tensor("bool", shape=(None,))
    value, mask = np.arange(4.0), np.array([True, False, True, False][: 4 + extra] + [False] * extra)
    with pytest.raises(IndexError):
        value[mask]
    with pytest.raises(IndexError):
        run([x, m], [x[m]], [value, mask], via_function=False)
    with pytest.raises(IndexError):
        run([x, m], [T.set_subtensor(x[m], 1.0)], [value, mask], via_function=False)


def write_loop(x: Array, where: tuple[Any, ...], y: Array, set_: bool) -> Array:
    """Write ``y`` (broadcast to the selection) into a copy of ``x`` one element at a time, in the
    selection's order: with duplicate positions, set keeps the last write and inc adds them all."""
    out = x.copy()
    positions = np.asarray(np.arange(x.size).reshape(x.shape)[where])
    ys = np.broadcast_to(y.astype(x.dtype), positions.shape)
    flat = out.reshape(-1)
    with np.errstate(all="ignore"):
        for p, v in zip(positions.reshape(-1), ys.reshape(-1)):
            flat[p] = v if set_ else flat[p] + v
    return out


@pytest.mark.parametrize("set_", [False, True], ids=["inc", "set"])
@pytest.mark.parametrize("kind", KINDS)
@SETTINGS
@given(data=st.data())
def test_inc_and_set_subtensor(kind: str, set_: bool, data: st.DataObject) -> None:
    dtype = data.draw(st.sampled_from(ALL), label="dtype")
    shape = data.draw(shapes(min_dims=1, max_dims=3, max_side=5), label="shape")
    exact = data.draw(st.booleans(), label="exact")
    index = draw_index(data, kind, shape, newaxis=False)
    x = symbolic(dtype, shape, exact)
    value = data.draw(arrays(dtype, shape, elements(dtype, -100, 100)), label="x")
    where = tuple(index.num)
    selection = np.asarray(value[where]).shape
    ydtype = data.draw(st.sampled_from(ALL), label="y dtype")
    yshape = data.draw(broadcastable_to(selection), label="y shape")
    y = symbolic(ydtype, yshape, data.draw(st.booleans()))
    fn = T.set_subtensor if set_ else T.inc_subtensor
    if not np.can_cast(ydtype, dtype, casting="safe"):
        with pytest.raises(TypeError):  # the written values must fit x's dtype
            fn(x[tuple(index.sym)], y)
        return
    out = fn(x[tuple(index.sym)], y)
    assert Op.INC_SUBTENSOR in {node.op for node in toposort([out])}
    assert out.type == x.type
    yvalue = data.draw(arrays(ydtype, yshape, elements(ydtype, -100, 100)), label="y")
    (got,) = run([x, y, *index.inputs], [out], [value, yvalue, *index.values],
                 via_function=data.draw(st.booleans()))
    check_type(out, got)
    assert_same(got, write_loop(value, where, yvalue, set_))
    if not set_:  # the write loop agrees with numpy's unbuffered add.at
        expected = value.copy()
        with np.errstate(all="ignore"):
            np.add.at(expected, where, np.broadcast_to(yvalue.astype(dtype), selection))
        assert_same(got, expected)
