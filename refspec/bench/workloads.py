"""The benchmark workloads (issue 5, "Benchmarks"): data, the refspec build of each (Theano API, any
mode), a hand-written numpy version, and the targets the fast path is held to.

A *step* is a zero-argument callable that runs the workload once and returns its outputs. Builders take
the data made by ``make_data`` (made outside any timer), so that a build measures graph construction
and compilation only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

import refspec
import refspec.tensor as T

Data = dict[str, NDArray[Any]]
Step = Callable[[], object]
NumpyBuild = Callable[[Data], Step]
RefspecBuild = Callable[[Data, str], Step]

CHAIN_FULL, CHAIN_QUICK = 10_000_000, 1_000_000
RNN_T, RNN_HIDDEN, RNN_INPUT = 1000, 64, 32


@dataclass(frozen=True)
class Target:
    """One figure from the issue: ``backend``'s median must be at most ``seconds``, or at most
    ``peer_factor`` times the best peer's median (numpy, PyTensor, JAX; refspec itself excluded)."""

    text: str
    backend: str = "refspec_fast"
    seconds: float | None = None
    peer_factor: float | None = None
    full_size_only: bool = False  # the bound is stated for the full-size workload, not --quick


@dataclass(frozen=True)
class Workload:
    name: str
    title: str
    make_data: Callable[[bool], Data]  # argument: quick
    refspec: RefspecBuild
    numpy: NumpyBuild | None
    targets: tuple[Target, ...]
    stateful: bool = False  # a training step: outputs change call to call, so not cross-checked
    floor: NumpyBuild | None = None  # a lower bound worth printing (the chain's copy floor)
    cold: bool = False  # measured as compile time in fresh processes, not as steady-state calls
    quick_title: str | None = None  # the title under --quick where the size differs

    def title_for(self, quick: bool) -> str:
        return self.quick_title if quick and self.quick_title else self.title


def _rng() -> np.random.Generator:
    return np.random.default_rng(1234)


# --- logistic regression: the seed notes' training step, N=400, feats=784 ---------------------------

def logreg_data(quick: bool = False) -> Data:
    rng = _rng()
    return {"x": rng.standard_normal((400, 784)), "y": rng.integers(0, 2, 400).astype(np.float64),
            "w": rng.standard_normal(784)}


def logreg_refspec(data: Data, mode: str) -> Step:
    """The seed's exact graph: its cost, its T.grad, outputs [prediction, xent], updates w and b."""
    x, y = T.dmatrix("x"), T.dvector("y")
    w = refspec.shared(data["w"].copy(), name="w")
    b = refspec.shared(0.0, name="b")
    p_1 = 1 / (1 + T.exp(-T.dot(x, w) - b))
    prediction = p_1 > 0.5
    xent = -y * T.log(p_1) - (1 - y) * T.log(1 - p_1)
    cost = xent.mean() + 0.01 * (w**2).sum()
    gw, gb = T.grad(cost, [w, b])
    train = refspec.function([x, y], [prediction, xent],
                             updates=[(w, w - 0.1 * gw), (b, b - 0.1 * gb)], mode=mode)
    dx, dy = data["x"], data["y"]
    return lambda: train(dx, dy)


def logreg_numpy(data: Data) -> Step:
    """The same step by hand: the cross-entropy in its stable form, the gradient derived on paper."""
    x, y = data["x"], data["y"]
    n = x.shape[0]
    state: dict[str, Any] = {"w": data["w"].copy(), "b": 0.0}

    def step() -> object:
        w, b = state["w"], state["b"]
        z = x @ w + b
        p = 1 / (1 + np.exp(-z))
        xent = y * np.logaddexp(0, -z) + (1 - y) * np.logaddexp(0, z)
        r = (p - y) / n
        state["w"] = w - 0.1 * (x.T @ r + 0.02 * w)
        state["b"] = b - 0.1 * r.sum()
        return p > 0.5, xent

    return step


# --- MLP training step: float32, batch 128, 784-256-10, tanh, softmax crossentropy, SGD -------------

def mlp_data(quick: bool = False) -> Data:
    rng = _rng()
    f32 = np.float32
    return {"x": rng.standard_normal((128, 784)).astype(f32), "y": rng.integers(0, 10, 128).astype(np.int32),
            "w1": (rng.standard_normal((784, 256)) * 0.05).astype(f32), "b1": np.zeros(256, f32),
            "w2": (rng.standard_normal((256, 10)) * 0.05).astype(f32), "b2": np.zeros(10, f32)}


MLP_PARAMS = ("w1", "b1", "w2", "b2")


def mlp_refspec(data: Data, mode: str) -> Step:
    x, y = T.fmatrix("x"), T.ivector("y")
    params = [refspec.shared(data[k].copy(), name=k) for k in MLP_PARAMS]
    w1, b1, w2, b2 = params
    hidden = T.tanh(T.dot(x, w1) + b1)
    prob = T.nnet.softmax(T.dot(hidden, w2) + b2)
    cost = T.nnet.categorical_crossentropy(prob, y).mean()
    grads = T.grad(cost, params)
    train = refspec.function([x, y], cost, updates=[(p, p - 0.1 * g) for p, g in zip(params, grads)],
                             mode=mode)
    dx, dy = data["x"], data["y"]
    return lambda: train(dx, dy)


def mlp_numpy(data: Data) -> Step:
    x, y = data["x"], data["y"]
    state = {k: data[k].copy() for k in MLP_PARAMS}
    rows = np.arange(x.shape[0])

    def step() -> object:
        w1, b1, w2, b2 = (state[k] for k in MLP_PARAMS)
        hidden = np.tanh(x @ w1 + b1)
        logits = hidden @ w2 + b2
        logits -= logits.max(axis=1, keepdims=True)
        e = np.exp(logits)
        prob = e / e.sum(axis=1, keepdims=True)
        cost = -np.log(prob[rows, y]).mean()
        d_logits = prob
        d_logits[rows, y] -= 1
        d_logits /= x.shape[0]
        d_hidden = (d_logits @ w2.T) * (1 - hidden * hidden)
        state["w2"] = w2 - 0.1 * (hidden.T @ d_logits)
        state["b2"] = b2 - 0.1 * d_logits.sum(axis=0)
        state["w1"] = w1 - 0.1 * (x.T @ d_hidden)
        state["b1"] = b1 - 0.1 * d_hidden.sum(axis=0)
        return cost

    return step


# --- fused elementwise chain over 10M float64 --------------------------------------------------------

def chain_data(quick: bool = False) -> Data:
    return {"x": _rng().standard_normal(CHAIN_QUICK if quick else CHAIN_FULL)}


def chain_refspec(data: Data, mode: str) -> Step:
    x = T.dvector("x")
    f = refspec.function([x], (1 + T.tanh(x / 2)) / 2 * T.exp(-x * x) + T.log1p(abs(x)), mode=mode)
    dx = data["x"]
    return lambda: f(dx)


def chain_numpy(data: Data) -> Step:
    x = data["x"]
    return lambda: (1 + np.tanh(x / 2)) / 2 * np.exp(-x * x) + np.log1p(np.abs(x))


def chain_copy_floor(data: Data) -> Step:
    x = data["x"]
    return lambda: x.copy()


# --- RNN scan: T=1000, hidden 64, input 32, h_t = tanh(x_t W + h_{t-1} U + b) -----------------------

def rnn_data(quick: bool = False) -> Data:
    rng = _rng()
    return {"x": rng.standard_normal((RNN_T, RNN_INPUT)), "h0": np.zeros(RNN_HIDDEN),
            "W": rng.standard_normal((RNN_INPUT, RNN_HIDDEN)) * 0.1,
            "U": rng.standard_normal((RNN_HIDDEN, RNN_HIDDEN)) * 0.1, "b": rng.standard_normal(RNN_HIDDEN) * 0.1}


def _rnn_refspec(data: Data, mode: str, grad: bool) -> Step:
    x, h0 = T.dmatrix("x"), T.dvector("h0")
    W, U, b = (refspec.shared(data[k].copy(), name=k) for k in ("W", "U", "b"))

    def step(x_t: Any, h_prev: Any, W: Any, U: Any, b: Any) -> Any:
        return T.tanh(T.dot(x_t, W) + T.dot(h_prev, U) + b)

    h, updates = refspec.scan(step, sequences=x, outputs_info=h0, non_sequences=[W, U, b])
    assert not isinstance(h, list)
    outputs = T.grad(h.sum(), [W, U, b]) if grad else h
    f = refspec.function([x, h0], outputs, updates=updates, mode=mode)
    dx, dh0 = data["x"], data["h0"]
    return lambda: f(dx, dh0)


def rnn_forward_refspec(data: Data, mode: str) -> Step:
    return _rnn_refspec(data, mode, grad=False)


def rnn_grad_refspec(data: Data, mode: str) -> Step:
    return _rnn_refspec(data, mode, grad=True)


def _rnn_forward(x: NDArray[Any], h0: NDArray[Any], W: NDArray[Any], U: NDArray[Any],
                 b: NDArray[Any]) -> NDArray[Any]:
    xw = x @ W + b  # the input projection of every step at once, as a careful hand would write it
    hs = np.empty((x.shape[0], h0.shape[0]))
    h = h0
    for t in range(x.shape[0]):
        h = np.tanh(xw[t] + h @ U)
        hs[t] = h
    return hs


def rnn_forward_numpy(data: Data) -> Step:
    x, h0, W, U, b = (data[k] for k in ("x", "h0", "W", "U", "b"))
    return lambda: _rnn_forward(x, h0, W, U, b)


def rnn_grad_numpy(data: Data) -> Step:
    """Back-propagation through time for d(sum h)/d(W, U, b), written by hand."""
    x, h0, W, U, b = (data[k] for k in ("x", "h0", "W", "U", "b"))

    def step() -> object:
        hs = _rnn_forward(x, h0, W, U, b)
        da = np.empty_like(hs)
        carry = np.zeros(h0.shape[0])
        ut = U.T
        for t in range(hs.shape[0] - 1, -1, -1):
            a = (1.0 + carry) * (1.0 - hs[t] * hs[t])
            da[t] = a
            carry = a @ ut
        prev = np.vstack([h0[None, :], hs[:-1]])
        return x.T @ da, prev.T @ da, da.sum(axis=0)

    return step


# --- per-call overhead of x*2 on a float64 scalar ----------------------------------------------------

def overhead_data(quick: bool = False) -> Data:
    return {"x": np.array(3.0)}


def overhead_refspec(data: Data, mode: str) -> Step:
    x = T.dscalar("x")
    f = refspec.function([x], x * 2, mode=mode)
    return lambda: f(3.0)


def overhead_numpy(data: Data) -> Step:
    x = np.float64(3.0)
    return lambda: x * 2


WORKLOADS: tuple[Workload, ...] = (
    Workload("logreg_step", "logistic regression step (400x784, seed)", logreg_data, logreg_refspec,
             logreg_numpy, (Target("fast <= 0.9x best peer", peer_factor=0.9),
                            Target("reference <= 400 us", backend="refspec_reference", seconds=400e-6)),
             stateful=True),
    Workload("mlp_step", "MLP step (f32, 128, 784-256-10)", mlp_data, mlp_refspec, mlp_numpy,
             (Target("fast <= 0.9 ms", seconds=0.9e-3),), stateful=True),
    Workload("elementwise_chain", "fused elementwise chain (10M f64)", chain_data, chain_refspec, chain_numpy,
             (Target("fast <= 45 ms", seconds=45e-3, full_size_only=True),), floor=chain_copy_floor,
             quick_title="fused elementwise chain (1M f64)"),
    Workload("rnn_forward", "RNN scan forward (T=1000, 32->64)", rnn_data, rnn_forward_refspec,
             rnn_forward_numpy, (Target("fast <= 0.9 ms", seconds=0.9e-3),)),
    Workload("rnn_grad", "RNN scan gradient (W, U, b)", rnn_data, rnn_grad_refspec, rnn_grad_numpy,
             (Target("fast <= 2.8 ms", seconds=2.8e-3),)),
    Workload("call_overhead", "call overhead (x*2, f64 scalar)", overhead_data, overhead_refspec,
             overhead_numpy, (Target("fast <= 2 us", seconds=2e-6),)),
    Workload("cold_compile", "cold compile, logreg step (fresh process)", logreg_data, logreg_refspec, None,
             (Target("fast <= 50 ms", seconds=50e-3),), stateful=True, cold=True),
)


def workload(name: str) -> Workload:
    for w in WORKLOADS:
        if w.name == name:
            return w
    raise KeyError(f"unknown workload {name!r}; choose from {', '.join(w.name for w in WORKLOADS)}")
