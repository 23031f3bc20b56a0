"""The elementwise C table (refspec/fast/gpu/cuda_ops.py), without a GPU.

- Coverage: every elementwise op has a rule, and a rule declines (the node runs on the host) exactly
  where ``HOST_ONLY`` says so.
- The generated kernel text, compiled by the host's C++ compiler (``tests/gpu/hostcc.py``), run on
  ordinary and special values (NaN, infinities, signed zeros, subnormals, integer extremes) of every
  dtype combination in ``cases``, against the reference: bit for bit for every op but the libm-class
  functions (``cases.APPROXIMATE``: a few ulps, NaN and infinities in the same places), and the error
  flag for integer division by zero and negative integer powers.

What this verifies: the C text's logic (conversions, wrapping, numpy's floor division, NaN and tie
rules, half rounding, complex arithmetic) with IEEE arithmetic and no fma. What it cannot: CUDA's own
libm (tested on a GPU by tests/gpu/test_on_gpu.py) and NVRTC accepting the text.
"""

from __future__ import annotations

import numpy as np
import pytest

from refspec.ast import ELEMENTWISE, FLOAT_FUNCTIONS, Apply, Op
from refspec.dtypes import float_upgrade, result_type
from refspec.fast.gpu.cuda_ops import ERR_NEGATIVE_POWER, ERR_ZERO_DIVISOR, HOST_ONLY, RULES
from refspec.fast.gpu.cuda_source import KernelSpec, elementwise_kernel, supported
from refspec.interp.reference import REFERENCE

from . import hostcc
from .cases import APPROXIMATE, APPROXIMATE_COMPLEX, Arr, nodes, operands

NODES = list(nodes())


def computes_in_complex(node: Apply) -> bool:
    dtypes = [v.dtype for v in node.inputs]
    if node.op in FLOAT_FUNCTIONS:
        return float_upgrade(result_type(*dtypes)).startswith("complex")
    return any(d.startswith("complex") for d in dtypes)


def test_every_elementwise_op_has_a_rule() -> None:
    missing = sorted(op.value for op in ELEMENTWISE - set(RULES))
    assert not missing, f"elementwise ops without a CUDA rule in cuda_ops.RULES: {missing}"
    assert set(HOST_ONLY) <= ELEMENTWISE


def test_rules_decline_exactly_where_host_only_says() -> None:
    wrong: list[str] = []
    for node in NODES:
        why = HOST_ONLY.get(node.op, "")
        expected_host = why.startswith("all") or (why.startswith("complex") and computes_in_complex(node))
        if supported(node) == expected_host:
            wrong.append(f"{node.op.value}{[v.dtype for v in node.inputs]}: supported={supported(node)}")
    assert not wrong, "rules and HOST_ONLY disagree:\n" + "\n".join(wrong)


def test_the_table_covers_many_cases() -> None:
    # guards against cases.nodes() silently building nothing
    assert len(NODES) > 400
    assert {n.op for n in NODES} == ELEMENTWISE


# -- the generated text, compiled for the host ---------------------------------------------------

HOST_CHECKED = [n for n in NODES if supported(n) and n.op is not Op.ERFINV]  # glibc has no erfinv


@pytest.fixture(scope="module")
def compiled() -> tuple[list[Apply], list[KernelSpec], hostcc.HostKernels]:
    if not hostcc.available():
        pytest.skip("no host C++ compiler (g++) to compile the generated CUDA text")
    specs = []
    for node in HOST_CHECKED:
        spec = elementwise_kernel([node], list(dict.fromkeys(node.inputs)), node.outputs[0])
        assert spec is not None
        specs.append(spec)
    return HOST_CHECKED, specs, hostcc.HostKernels(specs)


def _distinct_args(node: Apply, ops: list[Arr]) -> list[Arr]:
    """The kernel's arguments: one per distinct input variable (all distinct here)."""
    return ops


def _ulps(dtype: np.dtype[np.generic], x: Arr) -> Arr:
    part = np.empty(0, dtype=dtype).real.dtype
    return np.spacing(np.abs(x.astype(part))).astype(np.float64)


def assert_close(ref: Arr, got: Arr, label: str, exact: bool) -> None:
    with np.errstate(all="ignore"):
        _assert_close(ref, got, label, exact)


def _assert_close(ref: Arr, got: Arr, label: str, exact: bool) -> None:
    assert got.dtype == ref.dtype and got.shape == ref.shape, f"{label}: {got.dtype}{got.shape} vs {ref.dtype}{ref.shape}"
    if ref.dtype.kind not in "fc":
        bad = ref != got
        assert not np.any(bad), f"{label}: at inputs {np.argwhere(bad)[:5].tolist()}: ref {ref[bad][:5]} got {got[bad][:5]}"
        return
    parts = [(ref.real, got.real), (ref.imag, got.imag)] if ref.dtype.kind == "c" else [(ref, got)]
    for r, g in parts:
        nan_r, nan_g = np.isnan(r), np.isnan(g)
        assert np.array_equal(nan_r, nan_g), f"{label}: NaN positions differ at {np.argwhere(nan_r != nan_g)[:5].tolist()}"
        r, g = np.where(nan_r, 0, r), np.where(nan_g, 0, g)
        if exact:
            same = (r == g) & (np.signbit(r) == np.signbit(g))
            assert np.all(same), (f"{label}: not bit-equal at {np.argwhere(~same)[:5].tolist()}: "
                                  f"ref {r[~same][:5]!r} got {g[~same][:5]!r}")
        else:
            inf = np.isinf(r) | np.isinf(g)
            assert np.array_equal(r[inf], g[inf]), f"{label}: infinities differ: ref {r[inf][:5]} got {g[inf][:5]}"
            err = np.abs(r.astype(np.float64) - g.astype(np.float64))
            tol = 8 * _ulps(r.dtype, r) + 8 * float(np.finfo(r.dtype).eps) * np.minimum(1.0, np.abs(r.astype(np.float64)))
            tol = np.maximum(tol, 8 * _ulps(r.dtype, np.array(np.finfo(r.dtype).tiny)))
            bad = (err > tol) & ~inf
            assert not np.any(bad), (f"{label}: beyond 8 ulps at {np.argwhere(bad)[:5].tolist()}: "
                                     f"ref {r[bad][:5]!r} got {g[bad][:5]!r}")


def test_host_compiled_kernels_match_the_reference(
        compiled: tuple[list[Apply], list[KernelSpec], hostcc.HostKernels]) -> None:
    nodes_, specs, lib = compiled
    failures: list[str] = []
    for k, node in enumerate(nodes_):
        ops = operands(node)
        label = f"{node.op.value}{tuple(v.dtype for v in node.inputs)}" + (
            f"->{node.outputs[0].dtype}" if node.op is Op.CAST else "")
        with np.errstate(all="ignore"):
            (ref,) = REFERENCE[node.op](node.params, *ops)
            got, err = lib.run(k, ops)
        try:
            assert err == 0, f"{label}: error flag {err} on valid inputs"
            approximate = node.op in APPROXIMATE or (node.op in APPROXIMATE_COMPLEX and computes_in_complex(node))
            assert_close(np.asarray(ref), got, label, exact=not approximate)
        except AssertionError as exc:
            failures.append(str(exc))
    assert not failures, f"{len(failures)} of {len(nodes_)} kernels differ:\n" + "\n".join(failures[:40])


def test_integer_errors_set_the_flag(compiled: tuple[list[Apply], list[KernelSpec], hostcc.HostKernels]) -> None:
    nodes_, specs, lib = compiled
    checked = 0
    for k, node in enumerate(nodes_):
        out = np.dtype(node.outputs[0].dtype)
        if node.op in (Op.INT_DIV, Op.MOD) and out.kind in "iub":
            x = np.array([5, 0], dtype=node.inputs[0].dtype)
            y = np.array([1, 0], dtype=node.inputs[1].dtype)
            with pytest.raises(ZeroDivisionError):
                REFERENCE[node.op](node.params, x, y)
            assert lib.run(k, [x, y])[1] == ERR_ZERO_DIVISOR, node
            assert lib.run(k, [x, np.ones_like(y)])[1] == 0
            checked += 1
        if node.op is Op.POW and out.kind in "iu" and node.inputs[1].dtype.startswith("int"):
            x = np.array([2, 3], dtype=node.inputs[0].dtype)
            y = np.array([1, -1], dtype=node.inputs[1].dtype)
            with pytest.raises(ValueError):
                REFERENCE[node.op](node.params, x, y)
            assert lib.run(k, [x, y])[1] == ERR_NEGATIVE_POWER, node
            checked += 1
    assert checked >= 20
