"""scan on the fast path: the reference loop (``refspec.interp.scan.run_scan``) driving a step
compiled by the same pipeline as everything else, so each step is one generated function call."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from refspec.ast import LAZY, Array, Variable, toposort
from refspec.interp.scan import Step, run_scan
from refspec.params import ScanParams


def compiled_step(params: ScanParams) -> Step | None:
    """The step's inner graph, optimized and generated; values in inner-input order. None when the
    step has an ifelse: lazy branches are not generated (a generated program would evaluate both),
    so the reference evaluator runs such a step."""
    from refspec.fast.cpu.codegen import generate  # codegen builds loops' kernels: import at call time
    from refspec.fast.cpu.pipeline import optimize

    roots: list[Variable] = list(params.inner_outputs)
    if params.until is not None:
        roots.append(params.until)
    optimized = optimize(roots)
    if any(node.op in LAZY for node in toposort(optimized)):
        return None
    program = generate(optimized, list(params.inner_inputs))
    run = program.run

    def step(values: list[Array]) -> list[Array]:
        return list(run(*values))

    return step


def scan_kernel(params: ScanParams) -> tuple[Callable[..., tuple[Array, ...]], str]:
    """The loop's kernel, and how its step runs (for ``Function.report()``)."""
    step = compiled_step(params)
    how = "loop with a generated step" if step is not None else "reference loop (the step has an ifelse)"
    return partial(run_scan, params, step=step), how
