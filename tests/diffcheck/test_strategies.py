"""Tests of diffcheck's generation layer (refspec/diffcheck/strategies.py and the modules behind it).

A generated case must be well typed and runnable: compiled on the reference (which checks every
node's value against its inferred type, raising InternalTypeError otherwise) it returns exactly the
values computed while it was built, each of its output's type, and commits the updates it states;
or, when ``case.raises`` says so, it raises that documented runtime error. The legitimate runtime
errors are ``LEGIT_ERRORS``: ZeroDivisionError (integer division or modulo by zero), IndexError (an
index out of range) and ValueError (shapes that do not agree at run time: broadcasting, reshape,
specify_shape, a scan reading past a sequence's end, and the like). Nothing else may escape a case:
no GraphTypeError (ill-typed nodes are never built), no TypeError, no InternalTypeError.

Every op must be reachable (in a fixed seeded sample, and when a graph is asked to focus on it), node
budgets hold, drawing is deterministic for a seed, and shrinking reaches small cases.
"""

from __future__ import annotations

import contextlib
import io
import math
import statistics

import numpy as np
import pytest
from hypothesis import HealthCheck, find, given, settings
from hypothesis import strategies as st
from tests.budget import budget

from refspec.ast import DTYPES, Array, Op, TensorType
from refspec.diffcheck.strategies import (
    FEATURES,
    LEGIT_ERRORS,
    Case,
    arrays_for,
    broadcastable_shapes,
    draw_cases,
    dtypes,
    graphs,
    op_coverage,
    programs,
    shapes,
    special_values,
)

SLOW_OK = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example,
           HealthCheck.filter_too_much]


def same(a: Array, b: Array) -> bool:
    """Equal dtype, shape and values, NaN equal to NaN (bit patterns of NaN may differ)."""
    if a.dtype != b.dtype or a.shape != b.shape:
        return False
    return bool(np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))


def check_case(case: Case, max_nodes: int = 40) -> None:
    assert 1 <= case.n_nodes <= max_nodes and case.n_nodes == sum(case.ops.values())
    assert case.features <= FEATURES
    assert ("scan" in case.features) == (Op.SCAN in case.ops)
    assert ("ifelse" in case.features) == (Op.IFELSE in case.ops)
    assert ("random" in case.features) == (Op.RANDOM in case.ops)
    assert ("multi_output" in case.features) == (len(case.outputs) > 1)
    assert not {"nested_scan", "until", "taps"} & case.features or "scan" in case.features
    assert len(case.values) == len(case.inputs) and len(case.shared_values) == len(case.shared)
    for var, value in [*zip(case.inputs, case.values), *zip(case.shared, case.shared_values)]:
        assert value.dtype.name == var.dtype and var.type.accepts_shape(value.shape), (var.type, value.shape)
    case.reset()
    f = case.function("REFERENCE")
    with contextlib.redirect_stdout(io.StringIO()):  # print nodes print
        if case.raises is not None:
            assert issubclass(case.raises, LEGIT_ERRORS)
            with pytest.raises(case.raises):
                f(*case.arguments())
            return
        result = f(*case.arguments())
    got = result if isinstance(result, list) else [result]
    assert case.expected is not None and case.expected_updates is not None
    assert len(got) == len(case.outputs) == len(case.expected)
    for var, value, expected in zip(case.outputs, got, case.expected):
        assert value.dtype.name == var.dtype and var.type.accepts_shape(value.shape), (var.type, value.shape)
        assert same(value, expected), (var, value, expected)
    for (shared, _), expected in zip(case.updates, case.expected_updates):
        assert same(np.asarray(shared.container.value), expected), shared
    case.reset()
    for shared, initial in zip(case.shared, case.shared_values):
        assert same(np.asarray(shared.container.value), initial)


# -- values ------------------------------------------------------------------------------------

static_types = st.tuples(dtypes(), st.lists(st.sampled_from([None, 0, 1, 2, 3]), max_size=3)).map(
    lambda t: TensorType(t[0], shape=t[1]))


@settings(budget(60), suppress_health_check=SLOW_OK)
@given(st.data(), static_types, st.booleans())
def test_arrays_for_draws_values_of_the_type(data: st.DataObject, ttype: TensorType, special: bool) -> None:
    value = data.draw(arrays_for(ttype, special=special))
    assert value.dtype.name == ttype.dtype and ttype.accepts_shape(value.shape)
    assert all(n <= 4 for n, s in zip(value.shape, ttype.shape) if s is None)
    if not special and value.dtype.kind in "fc":
        assert np.all(np.isfinite(value))


def test_arrays_for_honours_shape_and_bounds() -> None:
    t = TensorType("float32", shape=(None, 2))
    got = draw_cases(arrays_for(t, shape=(3, 2), special=False, lo=-1.5, hi=0.25), 30, 1)
    assert all(a.shape == (3, 2) and np.all(np.greater_equal(a, -1.5) & np.less_equal(a, 0.25)) for a in got)
    got_int = draw_cases(arrays_for(TensorType("int8", shape=(4,)), special=False, lo=-3, hi=3), 30, 1)
    assert all(np.all(np.greater_equal(a, -3) & np.less_equal(a, 3)) for a in got_int)
    with pytest.raises(ValueError):
        arrays_for(t, shape=(3, 3))


@pytest.mark.parametrize("dtype", DTYPES)
def test_special_values_reach_arrays(dtype: str) -> None:
    drawn = draw_cases(arrays_for(TensorType(dtype, shape=(4,))), 400, 2)
    seen = np.concatenate([a.ravel() for a in drawn])
    kind = np.dtype(dtype).kind
    if kind == "b":
        assert seen.any() and not seen.all()
    elif kind in "iu":
        info = np.iinfo(dtype)
        assert info.min in seen and info.max in seen
    else:
        parts = [seen.real, seen.imag] if kind == "c" else [seen]
        flat = np.concatenate(parts)
        tiny = np.finfo(flat.dtype).tiny
        assert np.isnan(flat).any() and np.isposinf(flat).any() and np.isneginf(flat).any()
        assert (np.signbit(flat) & (flat == 0)).any()  # -0.0
        assert ((flat != 0) & (np.abs(flat) < tiny)).any()  # a subnormal
    assert special_values(dtype)


def test_shapes_include_empty_and_length_one_axes() -> None:
    drawn = draw_cases(shapes(1, 3), 200, 3)
    lengths = {n for s in drawn for n in s}
    assert {0, 1, 2, 3, 4} <= lengths and all(1 <= len(s) <= 3 for s in drawn)
    pairs = draw_cases(broadcastable_shapes(3), 100, 3)
    for shape_set in pairs:
        np.broadcast_shapes(*shape_set)  # raises if they do not broadcast
    assert any(0 in s for shape_set in pairs for s in shape_set)
    assert set(draw_cases(dtypes(["float"]), 50, 3)) == {"float16", "float32", "float64"}


# -- graphs and programs -----------------------------------------------------------------------

@settings(budget(40), suppress_health_check=SLOW_OK)
@given(graphs())
def test_graphs_are_well_typed_and_run_on_the_reference(case: Case) -> None:
    assert not case.updates and not case.givens and not case.shared
    check_case(case)


@settings(budget(40), suppress_health_check=SLOW_OK)
@given(programs())
def test_programs_are_well_typed_and_run_on_the_reference(case: Case) -> None:
    check_case(case)


@settings(budget(25), suppress_health_check=SLOW_OK)
@given(programs(max_nodes=4, special=1.0))
def test_small_budgets_and_special_values_hold(case: Case) -> None:
    check_case(case, max_nodes=4)


def test_every_op_is_reachable_and_the_targets_hold() -> None:
    cov = op_coverage(400, 0)
    missing = [op.value for op in Op if cov.cases_per_op[op] == 0]
    assert not missing, missing
    few_dtypes = [op.value for op in Op if len(cov.dtypes_per_op[op]) < 2]
    assert not few_dtypes, few_dtypes
    assert cov.median_nodes >= 8 and max(cov.n_nodes) <= 40
    assert cov.features["scan_or_ifelse"] >= 0.2 and cov.features["updates_or_givens"] >= 0.2
    for name in FEATURES:
        assert cov.features[name] > 0, name


@pytest.mark.parametrize("kind", ["graphs", "programs"])
def test_a_focus_op_is_always_present(kind: str) -> None:
    make = graphs if kind == "graphs" else programs
    ops = list(Op)[:: 1 if kind == "graphs" else 3]
    for op in ops:
        for case in draw_cases(make(ops=[op], max_nodes=12), 2, ops.index(op)):
            assert op in case.ops, (op, dict(case.ops))
            assert case.n_nodes <= 12


def test_drawing_is_deterministic_for_a_seed() -> None:
    def signature(cases: list[Case]) -> list[object]:
        return [(c.n_nodes, sorted((o.value, n) for o, n in c.ops.items()), [v.tobytes() for v in c.values])
                for c in cases]

    first, again, other = (draw_cases(programs(), 25, s) for s in (11, 11, 12))
    assert signature(first) == signature(again) != signature(other)


def test_shrinking_reaches_a_small_case() -> None:
    # a "failure" needing a mod node and an input of several elements: the minimal case is one mod
    # node over small inputs
    found = find(graphs(ops=[Op.MOD]), lambda c: any(v.size > 1 for v in c.values),
                 settings=settings(database=None, max_examples=50, derandomize=True,
                                   suppress_health_check=list(HealthCheck)))
    assert Op.MOD in found.ops and found.n_nodes <= 3, dict(found.ops)
    assert max(v.size for v in found.values) <= 4 and math.prod(found.values[0].shape) <= 4


def test_coverage_report_names_every_op() -> None:
    cov = op_coverage(30, 5, graphs())
    text = cov.report()
    assert all(op.value in text for op in Op)
    assert cov.n_cases == 30 and cov.per_1000_s > 0
    assert statistics.median(cov.n_nodes) == cov.median_nodes
