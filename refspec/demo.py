"""The main job: the seed notes' logistic regression (400 x 784), trained on the reference path.

The seed's cost, ``-y*log(p) - (1-y)*log(1-p)`` with ``p = 1/(1+exp(-z))``, is NaN/inf on the exact
reference once a probability rounds to 0 or 1 (|z| > 37 in float64, which random init reaches), and
so is its gradient; Theano trained it only because its optimizer rewrote log(1-sigmoid(z)) into
-softplus(z). refspec keeps such rewrites out of the reference (they are declared refinements of the
fast path, spec/numerics.md), so the demo trains the same cost written stably with softplus, and
reports the seed's formula beside it.
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
    z = T.dot(x, w) + b
    p_1 = 1 / (1 + T.exp(-z))  # probability that target = 1
    prediction = p_1 > 0.5
    seed_xent = -y * T.log(p_1) - (1 - y) * T.log(1 - p_1)  # as the seed notes write it
    xent = y * T.softplus(-z) + (1 - y) * T.softplus(z)  # the same function, finite everywhere
    cost = xent.mean() + 0.01 * (w**2).sum()
    seed_cost = seed_xent.mean() + 0.01 * (w**2).sum()
    gw, gb = T.grad(cost, [w, b])
    train = refspec.function([x, y], [prediction, cost, seed_cost],
                             updates=[(w, w - 0.1 * gw), (b, b - 0.1 * gb)], mode=mode)
    predict = refspec.function([x], prediction, mode=mode)

    start = time.perf_counter()
    last_cost = last_seed_cost = float("nan")
    for _ in tqdm(range(steps), desc="training (reference)", unit="step"):
        _, c, s = train(data_x, data_y)
        last_cost, last_seed_cost = float(c), float(s)
    elapsed = time.perf_counter() - start
    accuracy = float(np.mean(predict(data_x) == data_y))
    return {"accuracy": accuracy, "cost": last_cost, "seed_cost": last_seed_cost,
            "ms_per_step": 1000 * elapsed / max(steps, 1)}


def main(steps: int) -> int:
    result = logistic_regression(steps)
    print(f"logistic regression, 400 x 784, {steps} steps on the reference interpreter")
    print(f"  final cost      {result['cost']:.6f} (the seed's formula on the same weights: {result['seed_cost']})")
    print(f"  accuracy        {100 * result['accuracy']:.1f}%")
    print(f"  time per step   {result['ms_per_step']:.3f} ms")
    return 0
