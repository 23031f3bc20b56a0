"""``GpuRunner``: mode "GPU" for one function, mirroring ``FastRunner``: the CPU path's rewrite
pipeline (``optimize``), then the rewritten graph planned (``plan``) and run on the device
(``execute``).

A call returns the outputs as numpy arrays (downloaded) and the update values as device arrays,
which ``commit`` stores in the shared variables' device mirrors once every value of the call is
computed (``Function`` checks them all first: updates are atomic). If the device program raises, or
a kernel flags an integer error, the call is re-run on the reference, so the error a user sees is
the reference's (same class, naming the node and the line that built it) and no state changes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from refspec.ast import Array, Constant, Container, SharedVariable, Variable, graph_inputs
from refspec.fast.cpu.pipeline import optimize
from refspec.fast.gpu.context import DeviceArray, GpuContext
from refspec.fast.gpu.cuda_ops import ERR_NEGATIVE_POWER, ERR_ZERO_DIVISOR
from refspec.fast.gpu.device import require_gpu
from refspec.fast.gpu.execute import DeviceProgram
from refspec.fast.gpu.mirror import store
from refspec.fast.gpu.plan import Plan, build_plan
from refspec.fast.reraise import raise_as_reference
from refspec.printing import debugprint_text

_ERRORS: dict[int, type[Exception]] = {ERR_ZERO_DIVISOR: ZeroDivisionError, ERR_NEGATIVE_POWER: ValueError}


class GpuInternalError(RuntimeError):
    """The device program failed where the reference did not: a refspec bug (please report it)."""


@dataclass
class GpuRunner:
    """Runs one function's roots (outputs, then update values) on the device."""

    roots: list[Variable]
    inputs: list[Variable]
    optimized: list[Variable]
    plan: Plan
    n_outputs: int
    ctx: GpuContext
    program: DeviceProgram
    rewrites: list[str] = field(default_factory=list)
    checks_flag: bool = False  # some kernel may set the integer-error flag: read it after a call

    @staticmethod
    def build(roots: Sequence[Variable], inputs: Sequence[Variable], n_outputs: int) -> GpuRunner:
        """Plan and bind the function; raises ``GpuUnavailableError`` without CuPy or a device."""
        cp = require_gpu()
        log: list[str] = []
        optimized = optimize(roots, log)
        plan = build_plan(optimized, _needed_inputs(optimized, inputs))
        ctx = GpuContext(cp)
        return GpuRunner(list(roots), list(inputs), optimized, plan, n_outputs, ctx, DeviceProgram(plan, ctx), log,
                         plan.uses_error_flag())

    def __call__(self, roots: Sequence[Variable], env: Mapping[Variable, Array]) -> list[Array]:
        ctx = self.ctx
        try:
            values = self.program.run([env[v] for v in self.plan.inputs])
            if self.checks_flag:
                code = int(ctx.err[0])  # one sync: did a kernel flag an integer error?
                if code:
                    ctx.err.fill(0)
                    raise _ERRORS.get(code, GpuInternalError)(f"GPU kernel error flag {code}")
            results: list[Array] = []
            for k, (v, fresh) in enumerate(zip(values, self.plan.fresh)):
                if k < self.n_outputs:  # outputs: new host arrays
                    results.append(ctx.cp.asnumpy(v) if ctx.is_device(v) else np.array(v, copy=True))
                else:  # update values: device arrays no one else holds
                    d = ctx.to_device(v)
                    results.append(d if fresh or not ctx.is_device(v) else d.copy())
            return results
        except Exception as exc:
            raise_as_reference(self.roots, env)  # the reference raises its own, precise error
            raise GpuInternalError(f"the GPU program raised {type(exc).__name__}: {exc}, "
                                   "but the reference computes this call") from exc

    def commit(self, containers: Sequence[Container], values: Sequence[DeviceArray]) -> None:
        """Store a call's update values (all computed and checked) in the device mirrors."""
        for container, value in zip(containers, values):
            store(container, value, self.ctx.cp)

    def report(self) -> str:
        lines = ["mode GPU", "rewritten graph:", debugprint_text(self.optimized)]
        if self.rewrites:
            counts: dict[str, int] = {}
            for name in self.rewrites:
                counts[name] = counts.get(name, 0) + 1
            lines.append("rewrites applied: " + ", ".join(f"{n} x{c}" for n, c in sorted(counts.items())))
        kinds = self.plan.counts()
        lines.append("device plan: " + ", ".join(f"{c} {k}" for k, c in sorted(kinds.items()))
                     + f"; {len(self.plan.kernels())} generated kernels")
        for node in self.plan.fallbacks():
            lines.append(f"  {node.op.value}: runs on the host (reference kernel, copied in and out)")
        c = self.ctx.counters
        lines.append(f"so far: {c.syncs} device->host reads, {c.uploads} uploads")
        for why, n in sorted(c.runtime_fallbacks.items()):
            lines.append(f"  on the host at run time: {why} (x{n})")
        return "\n".join(lines)


def _needed_inputs(roots: Sequence[Variable], inputs: Sequence[Variable]) -> list[Variable]:
    """The explicit inputs the optimized graph still reads (rewrites may have removed some)."""
    used = {id(v) for v in graph_inputs(roots) if not isinstance(v, (Constant, SharedVariable))}
    return [v for v in inputs if id(v) in used]
