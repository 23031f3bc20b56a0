"""The main job: the seed notes' logistic regression (400 x 784), trained on the reference path.

The gradient is written by hand here until ``refspec.grad`` exists (the autodiff issue); the model,
data and cost are the seed notes' own.
"""

from __future__ import annotations

import time

import numpy as np
from tqdm import tqdm

import refspec
import refspec.tensor as T


def logistic_regression(steps: int, seed: int = 0, mode: str = "REFERENCE") -> dict[str, float]:
    rng = np.random.default_rng(seed)
    n, feats = 400, 784
    data_x = rng.standard_normal((n, feats))
    data_y = rng.integers(0, 2, size=n).astype(np.float64)

    x = T.dmatrix("x")
    y = T.dvector("y")
    w = refspec.shared(rng.standard_normal(feats), name="w")
    b = refspec.shared(0.0, name="b")
    p_1 = 1 / (1 + T.exp(-T.dot(x, w) - b))  # probability that target = 1
    prediction = p_1 > 0.5
    xent = -y * T.log(p_1) - (1 - y) * T.log(1 - p_1)
    cost = xent.mean() + 0.01 * (w**2).sum()
    # the seed's cost is exact IEEE on the reference: once a probability rounds to 1 it is nan;
    # the same cost in a stable form (softplus) is what we report
    z = T.dot(x, w) + b
    stable_cost = (y * T.softplus(-z) + (1 - y) * T.softplus(z)).mean() + 0.01 * (w**2).sum()
    # d cost / d w and d cost / d b, by hand (mean over the batch, plus the L2 term)
    residual = (p_1 - y) / x.shape[0]
    gw = T.dot(x.T, residual) + 0.02 * w
    gb = residual.sum()
    train = refspec.function([x, y], [prediction, cost, stable_cost], updates=[(w, w - 0.1 * gw), (b, b - 0.1 * gb)],
                             mode=mode)
    predict = refspec.function([x], prediction, mode=mode)

    start = time.perf_counter()
    last_cost = last_stable = float("nan")
    for _ in tqdm(range(steps), desc="training (reference)", unit="step"):
        _, c, s = train(data_x, data_y)
        last_cost, last_stable = float(c), float(s)
    elapsed = time.perf_counter() - start
    accuracy = float(np.mean(predict(data_x) == data_y))
    return {"accuracy": accuracy, "final_cost": last_cost, "stable_cost": last_stable, "ms_per_step": 1000 * elapsed / max(steps, 1)}


def main(steps: int) -> int:
    result = logistic_regression(steps)
    print(f"logistic regression, 400 x 784, {steps} steps on the reference interpreter")
    print(f"  final cost      {result['stable_cost']:.6f} (seed's formula as written: {result['final_cost']})")
    print(f"  accuracy        {100 * result['accuracy']:.1f}%")
    print(f"  time per step   {result['ms_per_step']:.3f} ms")
    return 0
