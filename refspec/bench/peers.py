"""The peers: the same workloads in PyTensor (default mode, NUMBA, C) and JAX (jit on CPU).

Every peer is optional: modules are imported lazily, only when installed, and a missing one is reported
by ``available()`` with a note instead of failing the run. JAX runs with float64 enabled (the
workloads that are float64 in refspec are float64 there too); its steps block until the result is ready.
"""

from __future__ import annotations

import importlib
import importlib.util
import shutil
from collections.abc import Callable
from typing import Any

import numpy as np

from refspec.bench.workloads import MLP_PARAMS, Data, Step

PeerBuild = Callable[[Data], Step]

PYTENSOR_MODES = {"pytensor": None, "pytensor_numba": "NUMBA", "pytensor_c": "CVM"}
PEERS = ("pytensor", "pytensor_numba", "pytensor_c", "jax")


def _installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def _pytensor_default_linker() -> str:
    mode = importlib.import_module("pytensor.compile.mode").get_default_mode()
    return type(mode.linker).__name__


def available() -> tuple[list[str], list[str]]:
    """The peers that can run here, and a note for each one that cannot (or that repeats another)."""
    runnable: list[str] = []
    notes: list[str] = []
    if not _installed("pytensor"):
        notes.append("pytensor: not installed (pip install pytensor), its columns are skipped")
    else:
        runnable.append("pytensor")
        linker = _pytensor_default_linker()
        if linker == "NumbaLinker":
            notes.append("pytensor numba: PyTensor's default mode already uses the numba linker, "
                         "so it is the 'pytensor' column")
        elif _installed("numba"):
            runnable.append("pytensor_numba")
        else:
            notes.append("pytensor numba: numba not installed, skipped")
        if shutil.which("g++") or shutil.which("c++"):
            runnable.append("pytensor_c")
        else:
            notes.append("pytensor c: no C++ compiler found, skipped")
    if _installed("jax"):
        runnable.append("jax")
    else:
        notes.append("jax: not installed (pip install 'jax[cpu]'), its column is skipped")
    return runnable, notes


def describe(peer: str) -> str:
    """Version and mode of a peer, for the report."""
    if peer.startswith("pytensor"):
        version = importlib.import_module("pytensor").__version__
        mode = PYTENSOR_MODES[peer]
        linker = _pytensor_default_linker() if mode is None else mode
        blas = ""
        if peer == "pytensor_c":
            ldflags = importlib.import_module("pytensor").config.blas__ldflags
            blas = f", BLAS ldflags {ldflags!r}" if ldflags else ", no BLAS linked (NumPy C-API BLAS)"
        return f"PyTensor {version}, mode={mode!r} ({linker}{blas})"
    return f"JAX {importlib.import_module('jax').__version__}, jit on {importlib.import_module('jax').devices()[0]}"


# --- PyTensor ---------------------------------------------------------------------------------------

def _pt() -> tuple[Any, Any]:
    pytensor = importlib.import_module("pytensor")
    return pytensor, importlib.import_module("pytensor.tensor")


def _scan(pytensor: Any, **kwargs: Any) -> Any:
    try:
        return pytensor.scan(return_updates=False, **kwargs)
    except TypeError:  # PyTensor before return_updates
        return pytensor.scan(**kwargs)[0]


def _pt_logreg(data: Data, mode: str | None) -> Step:
    pytensor, pt = _pt()
    x, y = pt.dmatrix("x"), pt.dvector("y")
    w = pytensor.shared(data["w"].copy(), name="w")
    b = pytensor.shared(0.0, name="b")
    p_1 = 1 / (1 + pt.exp(-pt.dot(x, w) - b))
    xent = -y * pt.log(p_1) - (1 - y) * pt.log(1 - p_1)
    cost = xent.mean() + 0.01 * (w**2).sum()
    gw, gb = pytensor.grad(cost, [w, b])
    train = pytensor.function([x, y], [p_1 > 0.5, xent], updates=[(w, w - 0.1 * gw), (b, b - 0.1 * gb)],
                              mode=mode)
    dx, dy = data["x"], data["y"]
    return lambda: train(dx, dy)


def _pt_mlp(data: Data, mode: str | None) -> Step:
    pytensor, pt = _pt()
    softmax = importlib.import_module("pytensor.tensor.special").softmax
    x, y = pt.fmatrix("x"), pt.ivector("y")
    params = [pytensor.shared(data[k].copy(), name=k) for k in MLP_PARAMS]
    w1, b1, w2, b2 = params
    prob = softmax(pt.dot(pt.tanh(pt.dot(x, w1) + b1), w2) + b2, axis=-1)
    cost = -pt.log(prob[pt.arange(y.shape[0]), y]).mean()
    grads = pytensor.grad(cost, params)
    train = pytensor.function([x, y], cost, updates=[(p, p - np.float32(0.1) * g) for p, g in zip(params, grads)],
                              mode=mode)
    dx, dy = data["x"], data["y"]
    return lambda: train(dx, dy)


def _pt_chain(data: Data, mode: str | None) -> Step:
    pytensor, pt = _pt()
    x = pt.dvector("x")
    f = pytensor.function([x], (1 + pt.tanh(x / 2)) / 2 * pt.exp(-x * x) + pt.log1p(abs(x)), mode=mode)
    dx = data["x"]
    return lambda: f(dx)


def _pt_rnn(data: Data, mode: str | None, grad: bool) -> Step:
    pytensor, pt = _pt()
    x, h0 = pt.dmatrix("x"), pt.dvector("h0")
    W, U, b = (pytensor.shared(data[k].copy(), name=k) for k in ("W", "U", "b"))
    h = _scan(pytensor, fn=lambda x_t, h_prev, W, U, b: pt.tanh(pt.dot(x_t, W) + pt.dot(h_prev, U) + b),
              sequences=x, outputs_info=h0, non_sequences=[W, U, b])
    f = pytensor.function([x, h0], pytensor.grad(h.sum(), [W, U, b]) if grad else h, mode=mode)
    dx, dh0 = data["x"], data["h0"]
    return lambda: f(dx, dh0)


def _pt_overhead(data: Data, mode: str | None) -> Step:
    pytensor, pt = _pt()
    x = pt.dscalar("x")
    f = pytensor.function([x], x * 2, mode=mode)
    return lambda: f(3.0)


_PT: dict[str, Callable[[Data, str | None], Step]] = {
    "logreg_step": _pt_logreg, "cold_compile": _pt_logreg, "mlp_step": _pt_mlp,
    "elementwise_chain": _pt_chain, "call_overhead": _pt_overhead,
    "rnn_forward": lambda d, m: _pt_rnn(d, m, False), "rnn_grad": lambda d, m: _pt_rnn(d, m, True),
}


# --- JAX --------------------------------------------------------------------------------------------

def _jax() -> tuple[Any, Any]:
    jax = importlib.import_module("jax")
    jax.config.update("jax_enable_x64", True)
    return jax, importlib.import_module("jax.numpy")


def _ready(jax: Any, f: Callable[[], Any]) -> Step:
    return lambda: jax.block_until_ready(f())


def _jax_logreg(data: Data) -> Step:
    jax, jnp = _jax()
    x, y = jax.device_put(data["x"]), jax.device_put(data["y"])

    def cost(w: Any, b: Any) -> Any:
        p_1 = 1 / (1 + jnp.exp(-jnp.dot(x, w) - b))
        xent = -y * jnp.log(p_1) - (1 - y) * jnp.log(1 - p_1)
        return xent.mean() + 0.01 * (w**2).sum(), (p_1 > 0.5, xent)

    def update(w: Any, b: Any) -> Any:
        (_, outputs), (gw, gb) = jax.value_and_grad(cost, argnums=(0, 1), has_aux=True)(w, b)
        return outputs, w - 0.1 * gw, b - 0.1 * gb

    train = jax.jit(update)

    state = [jnp.asarray(data["w"]), jnp.asarray(0.0)]

    def step() -> Any:
        outputs, state[0], state[1] = train(state[0], state[1])
        return outputs

    return _ready(jax, step)


def _jax_mlp(data: Data) -> Step:
    jax, jnp = _jax()
    x, y = jax.device_put(data["x"]), jax.device_put(data["y"])

    def cost(params: Any) -> Any:
        w1, b1, w2, b2 = params
        logp = jax.nn.log_softmax(jnp.tanh(x @ w1 + b1) @ w2 + b2, axis=-1)
        return -jnp.take_along_axis(logp, y[:, None], axis=1).mean()

    def update(params: Any) -> Any:
        value, grads = jax.value_and_grad(cost)(params)
        return value, tuple(p - 0.1 * g for p, g in zip(params, grads))

    train = jax.jit(update)

    state = [tuple(jnp.asarray(data[k]) for k in MLP_PARAMS)]

    def step() -> Any:
        value, state[0] = train(state[0])
        return value

    return _ready(jax, step)


def _jax_chain(data: Data) -> Step:
    jax, jnp = _jax()
    f = jax.jit(lambda x: (1 + jnp.tanh(x / 2)) / 2 * jnp.exp(-x * x) + jnp.log1p(jnp.abs(x)))
    x = jax.device_put(data["x"])
    return _ready(jax, lambda: f(x))


def _jax_rnn(data: Data, grad: bool) -> Step:
    jax, jnp = _jax()

    def forward(W: Any, U: Any, b: Any, x: Any, h0: Any) -> Any:
        def body(h: Any, x_t: Any) -> Any:
            h = jnp.tanh(x_t @ W + h @ U + b)
            return h, h
        return jax.lax.scan(body, h0, x)[1]

    f = jax.jit(jax.grad(lambda *a: forward(*a).sum(), argnums=(0, 1, 2)) if grad else forward)
    args = [jax.device_put(data[k]) for k in ("W", "U", "b", "x", "h0")]
    return _ready(jax, lambda: f(*args))


def _jax_overhead(data: Data) -> Step:
    jax, _ = _jax()
    f = jax.jit(lambda x: x * 2)
    return _ready(jax, lambda: f(3.0))


_JAX: dict[str, PeerBuild] = {
    "logreg_step": _jax_logreg, "cold_compile": _jax_logreg, "mlp_step": _jax_mlp,
    "elementwise_chain": _jax_chain, "call_overhead": _jax_overhead,
    "rnn_forward": lambda d: _jax_rnn(d, False), "rnn_grad": lambda d: _jax_rnn(d, True),
}


def builder(peer: str, workload: str) -> PeerBuild | None:
    """The build function of ``workload`` for ``peer``, or None when that peer has no version of it."""
    if peer in PYTENSOR_MODES:
        build = _PT.get(workload)
        mode = PYTENSOR_MODES[peer]
        return None if build is None else (lambda data: build(data, mode))
    if peer == "jax":
        return _JAX.get(workload)
    raise KeyError(peer)
