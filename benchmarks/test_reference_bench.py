"""Reference-interpreter benchmarks (pytest-benchmark). Run: pytest benchmarks --benchmark-only.

Ratios against the fast path and peers arrive with the fast CPU issue; these give the reference's
own medians for the same workloads.
"""

from __future__ import annotations

import numpy as np
from pytest_benchmark.fixture import BenchmarkFixture

import refspec
import refspec.tensor as T


def test_call_overhead_scalar(benchmark: BenchmarkFixture) -> None:
    x = T.dscalar("x")
    f = refspec.function([x], x * 2, mode="REFERENCE")
    benchmark(f, 3.0)


def test_logistic_regression_step(benchmark: BenchmarkFixture) -> None:
    rng = np.random.default_rng(0)
    data_x, data_y = rng.standard_normal((400, 784)), rng.integers(0, 2, 400).astype(np.float64)
    x, y = T.dmatrix("x"), T.dvector("y")
    w = refspec.shared(rng.standard_normal(784), name="w")
    b = refspec.shared(0.0, name="b")
    p_1 = 1 / (1 + T.exp(-T.dot(x, w) - b))
    residual = (p_1 - y) / x.shape[0]
    gw = T.dot(x.T, residual) + 0.02 * w
    train = refspec.function([x, y], p_1 > 0.5, updates=[(w, w - 0.1 * gw), (b, b - 0.1 * residual.sum())],
                             mode="REFERENCE")
    benchmark(train, data_x, data_y)


def test_numpy_logistic_regression_step(benchmark: BenchmarkFixture) -> None:
    """The same step written by hand in numpy: the floor the reference is compared with."""
    rng = np.random.default_rng(0)
    data_x, data_y = rng.standard_normal((400, 784)), rng.integers(0, 2, 400).astype(np.float64)
    state = {"w": rng.standard_normal(784), "b": 0.0}

    def step() -> None:
        p = 1 / (1 + np.exp(-(data_x @ state["w"]) - state["b"]))
        r = (p - data_y) / 400
        state["w"] = state["w"] - 0.1 * (data_x.T @ r + 0.02 * state["w"])
        state["b"] = state["b"] - 0.1 * r.sum()

    benchmark(step)
