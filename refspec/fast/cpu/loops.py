"""scan on the fast path: the reference loop (``refspec.interp.scan.run_scan``) driving a step
compiled by the same pipeline as everything else, so each step is one generated function call."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from refspec.ast import Array, Variable
from refspec.interp.scan import Step, run_scan
from refspec.params import ScanParams


def compiled_step(params: ScanParams) -> Step:
    """The step's inner graph, optimized and generated (an ifelse as lazy branches); values in
    inner-input order."""
    from refspec.fast.cpu.codegen import generate  # codegen builds loops' kernels: import at call time
    from refspec.fast.cpu.pipeline import optimize

    roots: list[Variable] = list(params.inner_outputs)
    if params.until is not None:
        roots.append(params.until)
    program = generate(optimize(roots), list(params.inner_inputs))
    run = program.run

    def step(values: list[Array]) -> list[Array]:
        return list(run(*values))

    return step


def scan_kernel(params: ScanParams) -> tuple[Callable[..., tuple[Array, ...]], str]:
    """The loop's kernel, and how its step runs (for ``Function.report()``)."""
    return partial(run_scan, params, step=compiled_step(params)), "loop with a generated step"
