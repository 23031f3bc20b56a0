"""diffcheck's GPU comparison (refspec/diffcheck/rounding.py): a value that differs only by the
rounding spec/gpu.md declares, carried downstream, passes as a refinement; a kernel outside its
declared bound is a mismatch naming the node. Planted kernels (a patched CUDA rule) make each case
happen on purpose, on the fake CuPy and on a real GPU."""

from __future__ import annotations

import numpy as np
import pytest

import refspec.tensor as T
from refspec.ast import Op
from refspec.diffcheck import run_paths
from refspec.fast.gpu import cuda_ops, device
from refspec.fast.gpu.cuda_ops import Call, Emitted

from .backends import backend  # noqa: F401  (a fixture)
from .gpu_plants import plant


def just_below(k: float) -> float:
    """An x where the reference's exp(x) is the float just below ``k``."""
    x = np.log(k)
    for _ in range(200):
        e = np.exp(np.float64(x))
        if e == np.nextafter(k, 0.0):
            return float(x)
        x = np.nextafter(x, np.inf if e < np.nextafter(k, 0.0) else -np.inf)
    pytest.skip("no x found with exp(x) one ulp below the integer")


def test_an_ulp_of_libm_rounding_that_floor_amplifies_is_a_refinement(
        backend: str, monkeypatch: pytest.MonkeyPatch) -> None:
    plant(monkeypatch, Op.EXP, "nextafter({}, 1e308)")  # exp one ulp up: within its 16-ulp bound
    x = T.dvector("x")
    value = np.array([just_below(3.0), 0.5])
    result = run_paths([x], [T.floor(T.exp(x))], [value], paths=("GPU",))
    assert result.passed, str(result)
    (refined,) = result.refinements
    assert refined.difference.kind == "rounding" and refined.difference.max_abs == 1.0  # 2.0 against 3.0


def test_a_libm_kernel_beyond_its_bound_is_named(backend: str, monkeypatch: pytest.MonkeyPatch) -> None:
    plant(monkeypatch, Op.EXP, "(({}) * (1.0 + 1e-9))")
    x = T.dvector("x")
    result = run_paths([x], [T.exp(x) + 1.0], [np.array([0.25, 2.0])], paths=("GPU",))
    assert not result.passed
    alone = [m for m in result.mismatches if m.what == "node alone"]
    assert alone and alone[0].message.startswith("exp node") and "rounded op" in alone[0].message


def test_an_exact_kernel_off_by_one_ulp_is_a_mismatch(backend: str, monkeypatch: pytest.MonkeyPatch) -> None:
    plant(monkeypatch, Op.MUL, "nextafter({}, 1e308)")  # float multiply is exact on the GPU
    x, y = T.dvectors("x", "y")
    result = run_paths([x, y], [T.exp(x * y)], [np.array([0.5, 1.5]), np.array([3.0, 0.1])], paths=("GPU",))
    assert not result.passed
    alone = [m for m in result.mismatches if m.what == "node alone"]
    assert alone and alone[0].message.startswith("mul node") and "an exact op" in alone[0].message


def test_a_sum_that_cancels_is_held_to_the_size_of_its_terms(backend: str, monkeypatch: pytest.MonkeyPatch) -> None:
    if backend == "fake":  # the fake sums as numpy does: sum in another order, as a GPU would
        from tests.gpu import fakecupy

        reverse_sum = fakecupy._wrapped("sum")
        monkeypatch.setattr(device._cached, "sum", lambda a, **kw: reverse_sum(a[::-1], **kw))
    x = T.dvector("x")
    terms = np.array([1e16, 1.0, -1e16, 3.0, 2.5, -7.25] * 50)  # the order moves the result by units
    result = run_paths([x], [T.sum(x) * 2.0], [terms], paths=("GPU",))
    assert result.passed, str(result)
    if backend == "fake":
        (refined,) = result.refinements
        assert refined.difference.kind == "rounding" and refined.difference.max_abs >= 1.0


def test_a_print_of_a_rounded_value_passes_and_a_wrong_print_text_does_not(
        backend: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from refspec.fast.gpu import lower
    from refspec.printing import Print

    plant(monkeypatch, Op.EXP, "nextafter({}, 1e308)")
    x = T.dvector("x")
    shown = Print("e")(T.floor(T.exp(x)))
    value = [np.array([just_below(3.0), 0.5])]
    result = run_paths([x], [shown * 2], value, paths=("GPU",))
    assert "[2. 1.]" in result.reference.printed and "[3. 1.]" in result.outcomes["GPU"].printed
    assert result.passed and result.refinements, str(result)  # the text shows exp's last bit, floored

    def wrong_print(node: object, ctx: object) -> object:
        return lambda v: (print("something else"), (v,))[1]

    monkeypatch.setitem(lower._LOWER, Op.PRINT, wrong_print)
    result = run_paths([x], [shown * 2], value, paths=("GPU",))
    alone = [m for m in result.mismatches if m.what == "node alone"]
    assert alone and "print node" in alone[0].message and "something else" in alone[0].message


def test_a_float_to_integer_cast_is_compared_where_it_is_specified(
        backend: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # CUDA's conversion saturates and gives 0 for NaN, where numpy's (x86) gives the integer minimum:
    # both are "unspecified" (spec/ops.md, cast); a planted kernel makes the fake do what CUDA does
    def cuda_like(off: int) -> None:
        def rule(call: Call) -> Emitted:
            x = call.args[0]
            return Emitted(f"({x} != {x} ? 0LL : {x} >= 9.2e18 ? 9223372036854775807LL : "
                           f"{x} <= -9.2e18 ? (-9223372036854775807LL - 1) : (long long){x} + {off})")

        monkeypatch.setitem(cuda_ops.RULES, Op.CAST, rule)

    x = T.dvector("x")
    out = T.cast(x, "int64") + 1
    value = [np.array([np.nan, 2.5, -1e300, np.inf])]
    cuda_like(0)
    result = run_paths([x], [out], value, paths=("GPU",))
    assert result.outcomes["GPU"].values is not None and result.outcomes["GPU"].values[0][0] == 1
    assert result.passed and result.refinements, str(result)  # NaN -> 0 against NaN -> -2**63
    cuda_like(1)  # off by one where the value is specified
    result = run_paths([x], [out], value, paths=("GPU",))
    alone = [m for m in result.mismatches if m.what == "node alone"]
    assert alone and alone[0].message.startswith("cast node"), str(result)
