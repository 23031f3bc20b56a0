"""The GPU plans and generated CUDA text for a fixed set of graphs (no GPU needed): golden text,
determinism, and no user strings in it.

The golden files are ``tests/gpu/golden/<name>.txt``. After an intended change to the plan, the
CUDA table or the rewrites, regenerate them and review the diff:

    REFSPEC_UPDATE_GOLDEN=1 pytest tests/gpu/test_golden.py
"""

from __future__ import annotations

import pathlib
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pytest
from tests import golden

import refspec as theano
import refspec.tensor as T
from refspec.ast import Variable
from refspec.compile.program import build_program
from refspec.fast.cpu.pipeline import optimize
from refspec.fast.gpu.plan import Plan, build_plan
from refspec.ifelse import ifelse
from refspec.tensor.shared_randomstreams import RandomStreams

GOLDEN = pathlib.Path(__file__).parent / "golden"
UPDATE = golden.UPDATE
SECRET = "user_name_xyz"  # a variable name that must never reach generated text


def plan_of(inputs: Sequence[Variable], outputs: Sequence[Variable], updates: Any = None) -> Plan:
    """The plan ``function(inputs, outputs, updates=..., mode="GPU")`` builds (without a GPU)."""
    program = build_program(list(inputs), list(outputs), updates)
    roots = program.outputs + [e for _, e in program.updates]
    return build_plan(optimize(roots), [s.variable for s in program.inputs])


def g_elementwise_chain() -> Plan:
    x = T.dvector(SECRET)
    y = T.fvector("y")
    return plan_of([x, y], [(1 + T.tanh(x / 2)) / 2 * T.exp(-x * x) + T.log1p(abs(x)),
                            (1 + T.tanh(y / 2)) / 2 * T.exp(-y * y) + T.log1p(abs(y))])


def g_dtypes_and_integer_errors() -> Plan:
    h = T.tensor("float16", shape=(None,), name="h")
    i, j = T.lvectors("i", "j")
    b = T.bvector("b")
    z = T.cvector("z")
    d = T.dvector("d")
    return plan_of([h, i, j, b, z, d], [
        h * 3 + T.cast(d, "float16"), i // j + i % j, i ** j, T.switch(b, d, -d), T.clip(b, -3, h),
        z * z / (z + 1), T.maximum(d, T.cast(h, "float64")), T.round(d, mode="half_away_from_zero"),
        T.lt(i, T.cast(j, "uint64")), T.sign(d) * T.sigmoid(d) + T.nnet.softplus(d), T.gammaln(h), T.psi(d)])


def g_logistic_regression_step() -> Plan:
    x, y = T.dmatrix("x"), T.dvector("y")
    w = theano.shared(np.zeros(3), name="w")
    b = theano.shared(np.float64(0.0), name="b")
    p_1 = 1 / (1 + T.exp(-T.dot(x, w) - b))
    xent = -y * T.log(p_1) - (1 - y) * T.log(1 - p_1)
    cost = xent.mean() + 0.01 * (w ** 2).sum()
    gw, gb = T.grad(cost, [w, b])
    return plan_of([x, y], [p_1 > 0.5, xent], updates=[(w, w - 0.1 * gw), (b, b - 0.1 * gb)])


def g_mlp_step() -> Plan:
    x, y = T.fmatrix("x"), T.ivector("y")
    w1 = theano.shared(np.zeros((6, 5), dtype=np.float32), name="w1")
    b1 = theano.shared(np.zeros(5, dtype=np.float32), name="b1")
    w2 = theano.shared(np.zeros((5, 3), dtype=np.float32), name="w2")
    b2 = theano.shared(np.zeros(3, dtype=np.float32), name="b2")
    h = T.tanh(T.dot(x, w1) + b1)
    p = T.nnet.softmax(T.dot(h, w2) + b2)
    cost = T.mean(T.nnet.categorical_crossentropy(p, y))
    params = [w1, b1, w2, b2]
    return plan_of([x, y], [cost], updates=[(v, v - np.float32(0.1) * g) for v, g in zip(params, T.grad(cost, params))])


def g_ifelse_and_scan() -> Plan:
    c = T.lscalar("c")
    seq = T.dmatrix("seq")
    i, d = T.lvectors("i", "d")
    outs, _ = theano.scan(lambda s, acc: acc + T.tanh(s), sequences=seq, outputs_info=T.zeros((2,)))
    return plan_of([c, seq, i, d], [ifelse(T.gt(c, 0), T.sum(i // d), T.sum(i * 2)), outs[-1]])


def g_random_and_indexing() -> Plan:
    m = T.dmatrix("m")
    idx = T.lvector("idx")
    srng = RandomStreams(seed=3)
    return plan_of([m, idx], [srng.uniform((2, 3), dtype="float32") + m[idx, :3].sum(), srng.normal((4,)),
                              srng.binomial((3,), p=0.5), T.inc_subtensor(m[idx], 1.0), T.set_subtensor(m[0, 1:], 2.0)])


GRAPHS: dict[str, Callable[[], Plan]] = {
    "elementwise_chain": g_elementwise_chain,
    "dtypes_and_integer_errors": g_dtypes_and_integer_errors,
    "logistic_regression_step": g_logistic_regression_step,
    "mlp_step": g_mlp_step,
    "ifelse_and_scan": g_ifelse_and_scan,
    "random_and_indexing": g_random_and_indexing,
}


def check_golden(name: str, text: str) -> None:
    golden.check_golden(GOLDEN / f"{name}.txt", text, f"GPU plan for {name!r}")


@pytest.mark.parametrize("name", sorted(GRAPHS))
def test_golden_plan(name: str) -> None:
    check_golden(name, GRAPHS[name]().text())


@pytest.mark.parametrize("name", sorted(GRAPHS))
def test_same_graph_same_text_and_no_user_strings(name: str) -> None:
    first, second = GRAPHS[name]().text(), GRAPHS[name]().text()
    assert first == second
    assert SECRET not in first and "w1" not in first and '"' not in first


def test_the_chain_is_one_kernel_per_dtype() -> None:
    plan = g_elementwise_chain()
    assert [s.kind for s in plan.steps] == ["kernel", "kernel"]
    assert len(plan.kernels()) == 2 and all(len(s.fused) == 11 for s in plan.steps)


def test_mixed_plan_marks_its_host_nodes() -> None:
    plan = g_dtypes_and_integer_errors()
    assert [n.op.value for n in plan.fallbacks()] == ["psi"]
    assert plan.uses_error_flag()
    random = g_random_and_indexing()
    assert [n.op.value for n in random.fallbacks()] == ["random"]  # binomial draws on the host


def test_training_steps_and_branches_run_wholly_on_the_device() -> None:
    for plan in (g_logistic_regression_step(), g_mlp_step(), g_ifelse_and_scan()):
        assert not plan.fallbacks()
