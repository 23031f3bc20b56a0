"""The main job: the seed notes' logistic regression (400 x 784), trained on the fast path.

The program is the seed's own: ``p_1 = 1/(1+exp(-dot(x, w) - b))``, the cross-entropy cost with an L2
term, ``T.grad``, updates of the shared ``w`` and ``b``, started from ``randn`` weights. On the exact
reference that program is NaN from the first step (many ``|dot(x, w)| > 37``, so ``p_1`` rounds to 1);
the fast path's declared refinements (spec/numerics.md) compute it stably, as Theano's optimizer did.
A sample of steps is run on both paths from the same state and compared.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass

import numpy as np
from tqdm import tqdm

import refspec
import refspec.tensor as T
from refspec.compile.function import Function
from refspec.tensor.var import TensorSharedVariable


@dataclass
class Seeded:
    train_fast: Function
    train_reference: Function
    predict: Function
    params: list[TensorSharedVariable]
    data: tuple[np.ndarray, np.ndarray]


def build(seed: int = 0) -> Seeded:
    rng = np.random.RandomState(seed)
    n, feats = 400, 784
    data = (rng.randn(n, feats), rng.randint(size=n, low=0, high=2).astype(np.float64))
    x = T.dmatrix("x")
    y = T.dvector("y")
    w = refspec.shared(rng.randn(feats), name="w")
    b = refspec.shared(0.0, name="b")
    p_1 = 1 / (1 + T.exp(-T.dot(x, w) - b))  # probability that target = 1
    prediction = p_1 > 0.5
    xent = -y * T.log(p_1) - (1 - y) * T.log(1 - p_1)  # cross-entropy
    cost = xent.mean() + 0.01 * (w**2).sum()
    gw, gb = T.grad(cost, [w, b])
    updates = ((w, w - 0.1 * gw), (b, b - 0.1 * gb))
    train_fast = refspec.function([x, y], [prediction, xent], updates=updates, mode="FAST_RUN")
    train_reference = refspec.function([x, y], [prediction, xent], updates=updates, mode="REFERENCE")
    predict = refspec.function([x], prediction, mode="FAST_RUN")
    return Seeded(train_fast, train_reference, predict, [w, b], data)


def _step_on(f: Function, model: Seeded, state: list[np.ndarray]) -> list[np.ndarray]:
    """One step of ``f`` from ``state``; returns the new parameter values (the state is restored)."""
    for p, v in zip(model.params, state):
        p.set_value(v)
    f(*model.data)
    after = [p.get_value() for p in model.params]
    for p, v in zip(model.params, state):
        p.set_value(v)
    return after


def compare_step(model: Seeded) -> tuple[float, int]:
    """Run one step on both paths from the current state: the largest relative difference of the
    new parameters where the reference is finite, and how many values only the fast path has finite
    (the declared refinements at work)."""
    state = [p.get_value() for p in model.params]
    ref = _step_on(model.train_reference, model, state)
    fast = _step_on(model.train_fast, model, state)
    worst, refined = 0.0, 0
    for r, f in zip(ref, fast):
        finite = np.isfinite(r)
        refined += int(np.sum(~finite & np.isfinite(f)))
        if finite.any():
            scale = np.maximum(np.abs(r[finite]), 1e-12)
            worst = max(worst, float(np.max(np.abs(f[finite] - r[finite]) / scale)))
    return worst, refined


def time_steps(f: Function, model: Seeded, steps: int) -> float:
    """Median seconds per call of ``f`` over ``steps`` calls, leaving the parameters as they were."""
    state = [p.get_value() for p in model.params]
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        f(*model.data)
        times.append(time.perf_counter() - start)
    for p, v in zip(model.params, state):
        p.set_value(v)
    return statistics.median(times)


def main(steps: int, seed: int = 0) -> int:
    model = build(seed)
    samples = set(np.linspace(0, max(steps - 1, 0), num=min(5, steps), dtype=int).tolist())
    checks: list[tuple[int, float, int]] = []
    for step in tqdm(range(steps), desc="training (fast path)", unit="step"):
        if step in samples:
            worst, refined = compare_step(model)
            checks.append((step, worst, refined))
        model.train_fast(*model.data)
    accuracy = float(np.mean(model.predict(model.data[0]) == model.data[1]))
    fast_s = time_steps(model.train_fast, model, 50)
    ref_s = time_steps(model.train_reference, model, 20)
    print(f"logistic regression (the seed notes' program), 400 x 784, {steps} steps on FAST_RUN")
    print(f"  accuracy         {100 * accuracy:.1f}%")
    print(f"  time per step    fast {1e6 * fast_s:.0f} us, reference {1e6 * ref_s:.0f} us "
          f"({ref_s / fast_s:.1f}x)")
    print("  differential check (one step from the same state on both paths):")
    for step, worst, refined in checks:
        note = f", {refined} values finite only on the fast path (refinements)" if refined else ""
        print(f"    step {step:>6}: max relative difference {worst:.2e} where the reference is finite{note}")
    return 0
