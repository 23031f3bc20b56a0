"""The GPU path's check on a machine with an NVIDIA GPU (issue 7), in one run of a few minutes:

    python benchmarks/gpu_check.py            # --examples 1000 --seed 0 by default

Prints one table: the diffcheck campaign GPU vs reference, the GPU test suite (tests/gpu on the real
device), the seed notes' examples in GPU mode, uniform random bits against the reference, the
10M-element fused chain against the device's copy time for the same bytes, and the MLP training
step at batch 4096 against the fast CPU path and JAX / PyTorch on the same GPU when installed.
Exit status: 0 all checks passed, 1 a mismatch (the table says where), 2 a check could not run
(no GPU, or a module it needs is missing).
"""

from __future__ import annotations

import argparse
import importlib
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import refspec  # noqa: E402
import refspec.tensor as T  # noqa: E402
from refspec.fast.gpu import device  # noqa: E402

PASS, FAIL, NOT_RUN, INFO = "ok", "MISMATCH", "not run", "-"
Row = tuple[str, str, str]


def median_time(fn: Callable[[], object], repeat: int, sync: Callable[[], None]) -> float:
    fn()
    sync()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        sync()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def check_campaign(examples: int, seed: int, seconds_limit: float | None) -> list[Row]:
    try:
        campaign = importlib.import_module("refspec.diffcheck.campaign")
    except ImportError as exc:
        return [("diffcheck campaign GPU vs reference", NOT_RUN,
                 f"refspec.diffcheck.campaign is missing ({exc})")]
    t0 = time.perf_counter()
    # the rewrite check runs on the reference alone and is covered by the CPU campaign
    result = campaign.run_campaign(examples=examples, seed=seed, paths=("GPU",), rewrites=False,
                                   time_limit=seconds_limit)
    seconds = time.perf_counter() - t0
    count = int(result.mismatches)
    detail = f"{result.graphs} of {examples} graphs, {count} mismatches, {seconds:.0f} s"
    if count:
        print(result)
    return [("diffcheck campaign GPU vs reference", FAIL if count else PASS, detail)]


def check_test_suite() -> list[Row]:
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "tests/gpu", "-k", "not fake"],
                          cwd=ROOT, capture_output=True, text=True)
    tail = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr[-300:]
    if done.returncode != 0:
        print(done.stdout[-6000:], done.stderr[-2000:])
    return [("tests/gpu on the device", PASS if done.returncode == 0 else FAIL, tail)]


def check_seeds() -> list[Row]:
    import inspect

    from refspec.config import config

    seeds = importlib.import_module("tests.test_seeds")
    examples = [fn for name, fn in inspect.getmembers(seeds, inspect.isfunction)
                if name.startswith("test_") and not inspect.signature(fn).parameters]
    config.mode, before = "GPU", config.mode
    failed = []
    try:
        for fn in examples:
            try:
                fn()
            except Exception as exc:  # noqa: BLE001 - every failing example is listed
                failed.append(f"{fn.__name__}: {type(exc).__name__}: {exc}")
    finally:
        config.mode = before
    for line in failed:
        print(line)
    return [("seed examples in GPU mode", FAIL if failed else PASS, f"{len(examples) - len(failed)}/{len(examples)} pass")]


def check_random_bits() -> list[Row]:
    from refspec.tensor.shared_randomstreams import RandomStreams

    rows: list[Row] = []
    for dtype in ("float64", "float32", "float16"):
        srng = RandomStreams(seed=2024)
        u = srng.uniform((1_000_003,), dtype=dtype)
        state = u.rng.get_value()
        expected = [refspec.function([], u, mode="REFERENCE")() for _ in range(2)]
        after = u.rng.get_value()
        u.rng.set_value(state)
        f = refspec.function([], u, mode="GPU")
        got = [f() for _ in range(2)]
        same = all(e.tobytes() == g.tobytes() for e, g in zip(expected, got))
        same = same and np.array_equal(np.asarray(u.rng.get_value()), np.asarray(after))
        rows.append((f"uniform {dtype} bits (2 draws of 1,000,003)", PASS if same else FAIL,
                     "equal to the reference" if same else "differ"))
    return rows


def check_chain(cp: Any, n: int = 10_000_000) -> list[Row]:
    x = T.dvector("x")
    expr = (1 + T.tanh(x / 2)) / 2 * T.exp(-x * x) + T.log1p(abs(x))
    f = refspec.function([x], expr, mode="GPU")
    assert f._gpu is not None
    host = np.random.default_rng(0).standard_normal(n)
    reference = refspec.function([x], expr, mode="FAST_RUN")(host)
    got = f(host)
    err = float(np.max(np.abs(got - reference)))
    ok = err <= 1e-13 * max(1.0, float(np.max(np.abs(reference))))
    assert len(f._gpu.plan.kernels()) == 1, "the chain is not one kernel"
    program = f._gpu.program  # the device program alone: a device array in, a device array out
    dev = cp.asarray(host)
    sync = cp.cuda.Device().synchronize
    t_kernel = median_time(lambda: program.run([dev]), 30, sync)
    t_copy = median_time(lambda: dev.copy(), 30, sync)
    t_call = median_time(lambda: f(host), 5, sync)
    ratio = t_kernel / t_copy
    size = f"{n / 1e6:g}M"
    return [
        (f"{size} chain: GPU vs reference values", PASS if ok else FAIL, f"max abs error {err:.2e}"),
        (f"{size} chain: fused kernel / device copy", INFO,
         f"{t_kernel * 1e3:.3f} ms / {t_copy * 1e3:.3f} ms = {ratio:.2f}x (target <= 1.5x)"),
        (f"{size} chain: whole call from numpy", INFO, f"{t_call * 1e3:.1f} ms (upload + kernel + download)"),
    ]


def mlp_data(batch: int) -> dict[str, np.ndarray[Any, Any]]:
    rng = np.random.default_rng(1234)
    f32 = np.float32
    return {"x": rng.standard_normal((batch, 784)).astype(f32), "y": rng.integers(0, 10, batch).astype(np.int32),
            "w1": (rng.standard_normal((784, 256)) * 0.05).astype(f32), "b1": np.zeros(256, f32),
            "w2": (rng.standard_normal((256, 10)) * 0.05).astype(f32), "b2": np.zeros(10, f32)}


def refspec_mlp(data: dict[str, np.ndarray[Any, Any]], mode: str) -> Callable[[], object]:
    """The bench's MLP step, with the batch in shared variables (on the device in GPU mode)."""
    x, y = T.fmatrix("x"), T.ivector("y")
    params = [refspec.shared(data[k].copy(), name=k) for k in ("w1", "b1", "w2", "b2")]
    w1, b1, w2, b2 = params
    hidden = T.tanh(T.dot(x, w1) + b1)
    prob = T.nnet.softmax(T.dot(hidden, w2) + b2)
    cost = T.nnet.categorical_crossentropy(prob, y).mean()
    grads = T.grad(cost, params)
    xs, ys = refspec.shared(data["x"]), refspec.shared(data["y"])
    train = refspec.function([], cost, updates=[(p, p - 0.1 * g) for p, g in zip(params, grads)],
                             givens={x: xs, y: ys}, mode=mode)
    return train


def jax_mlp(data: dict[str, np.ndarray[Any, Any]]) -> tuple[Callable[[], object], Callable[[], None]] | None:
    try:
        import jax
        import jax.numpy as jnp

        gpu = jax.devices("gpu")[0]
    except Exception:  # noqa: BLE001 - JAX absent or without a GPU backend
        return None
    put = lambda a: jax.device_put(a, gpu)  # noqa: E731
    params = {k: put(data[k]) for k in ("w1", "b1", "w2", "b2")}
    x, y = put(data["x"]), put(data["y"])

    def loss(p: Any) -> Any:
        h = jnp.tanh(x @ p["w1"] + p["b1"])
        logp = jax.nn.log_softmax(h @ p["w2"] + p["b2"])
        return -jnp.mean(logp[jnp.arange(x.shape[0]), y])

    @jax.jit
    def step(p: Any) -> Any:
        c, g = jax.value_and_grad(loss)(p)
        return c, {k: p[k] - 0.1 * g[k] for k in p}

    state = {"p": params}

    def run() -> object:
        c, state["p"] = step(state["p"])
        return c

    return run, lambda: jax.block_until_ready(state["p"])


def torch_mlp(data: dict[str, np.ndarray[Any, Any]]) -> tuple[Callable[[], object], Callable[[], None]] | None:
    try:
        import torch

        if not torch.cuda.is_available():
            return None
    except Exception:  # noqa: BLE001
        return None
    dev = torch.device("cuda")
    p = {k: torch.tensor(data[k], device=dev, requires_grad=True) for k in ("w1", "b1", "w2", "b2")}
    x, y = torch.tensor(data["x"], device=dev), torch.tensor(data["y"], device=dev).long()

    def run() -> object:
        h = torch.tanh(x @ p["w1"] + p["b1"])
        c = torch.nn.functional.cross_entropy(h @ p["w2"] + p["b2"], y)
        grads = torch.autograd.grad(c, list(p.values()))
        with torch.no_grad():
            for v, g in zip(p.values(), grads):
                v -= 0.1 * g
        return c

    return run, torch.cuda.synchronize


def check_mlp(cp: Any, batch: int) -> list[Row]:
    data = mlp_data(batch)
    sync = cp.cuda.Device().synchronize
    gpu, cpu = refspec_mlp(data, "GPU"), refspec_mlp(data, "FAST_RUN")
    costs_gpu = [float(np.asarray(gpu())) for _ in range(3)]
    costs_cpu = [float(np.asarray(cpu())) for _ in range(3)]
    ok = np.allclose(costs_gpu, costs_cpu, rtol=1e-4)
    rows: list[Row] = [(f"MLP step b={batch}: GPU vs FAST_RUN costs", PASS if ok else FAIL,
                        f"{costs_gpu[-1]:.6f} vs {costs_cpu[-1]:.6f} after 3 steps")]
    t_gpu = median_time(gpu, 50, sync)
    t_cpu = median_time(cpu, 5, lambda: None)
    timings = [f"refspec GPU {t_gpu * 1e3:.3f} ms", f"refspec FAST_RUN {t_cpu * 1e3:.1f} ms ({t_cpu / t_gpu:.1f}x)"]
    for name, peer in (("JAX jit", jax_mlp(data)), ("PyTorch", torch_mlp(data))):
        if peer is None:
            timings.append(f"{name}: not installed for this GPU")
            continue
        run, peer_sync = peer
        t = median_time(run, 50, peer_sync)
        timings.append(f"{name} {t * 1e3:.3f} ms (refspec / {name} = {t_gpu / t:.2f}x)")
    rows.append((f"MLP step b={batch} (784-256-10, float32)", INFO, "; ".join(timings)))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--batch", type=int, default=4096)
    parser.add_argument("--skip-campaign", action="store_true")
    parser.add_argument("--campaign-seconds", type=float, default=None,
                        help="end the campaign (run last) after this many seconds")
    args = parser.parse_args(argv)
    problem = device.gpu_problem()
    if problem is not None:
        print(f"gpu_check: {problem}")
        return 2
    cp = device.require_gpu()
    print(f"device: {cp.cuda.runtime.getDeviceProperties(0)['name'].decode()}, CuPy {cp.__version__}")
    os.environ.setdefault("REFSPEC_MODE", "FAST_RUN")
    rows: list[Row] = []
    checks: list[Callable[[], list[Row]]] = [
        check_test_suite, check_seeds, check_random_bits, lambda: check_chain(cp), lambda: check_mlp(cp, args.batch)]
    if not args.skip_campaign:  # last: it is the longest, and a time limit ends it early
        checks.append(lambda: check_campaign(args.examples, args.seed, args.campaign_seconds))
    for check in checks:
        try:
            found = check()
        except Exception as exc:  # noqa: BLE001 - a crashing check is a failure, reported in the table
            name = getattr(check, "__name__", "check")
            found = [(name, FAIL, f"{type(exc).__name__}: {exc}"[:200])]
        for row in found:  # printed as they come, so a run cut short still reports what it did
            print(" | ".join(row), flush=True)
        rows.extend(found)
    width = max(len(r[0]) for r in rows)
    print(f"\n{'check'.ljust(width)} | {'result'.ljust(8)} | detail")
    print(f"{'-' * width}-+-{'-' * 8}-+-{'-' * 40}")
    for name, result, detail in rows:
        print(f"{name.ljust(width)} | {result.ljust(8)} | {detail}")
    if any(r[1] == FAIL for r in rows):
        return 1
    return 2 if any(r[1] == NOT_RUN for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
