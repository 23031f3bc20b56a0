"""Running a GPU plan: each step is bound once to a callable (a compiled elementwise kernel, a CuPy
lowering, a reference kernel), and a call walks the steps over a list of slot values.

Host values are numpy arrays, device values CuPy arrays; each callable converts what it is given
(a host scalar enters a kernel as a scalar argument, any other host value is uploaded; a value
needed on the host is downloaded and counted as a sync).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import cast

import numpy as np

from refspec.ast import Array, Constant, SharedVariable
from refspec.fast.gpu.context import GpuContext
from refspec.fast.gpu.lower import host_kernel, lower
from refspec.fast.gpu.mirror import device_value
from refspec.fast.gpu.plan import DEVICE, Plan, Step
from refspec.interp.reference import REFERENCE
from refspec.interp.scan import run_scan
from refspec.params import IfElseParams, ScanParams

Slots = list[object]
Run = Callable[[Slots], None]


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET = _Unset()


class DeviceProgram:
    """A plan bound to CuPy: ``run(input values)`` returns the roots' values (host or device)."""

    def __init__(self, plan: Plan, ctx: GpuContext):
        self.plan = plan
        self.ctx = ctx
        self._bound: dict[int, Run] = {}
        self._constants: dict[int, object] = {}
        for slot, leaf in plan.leaves:
            if isinstance(leaf, Constant):
                # 0-d constants stay on the host (kernel scalar arguments); others are uploaded once
                self._constants[slot] = ctx.to_device(leaf.data) if plan.places[slot] == DEVICE else leaf.data
        self._bind_all(plan.steps)

    def _bind_all(self, steps: Sequence[Step]) -> None:
        for step in steps:
            self._bound[id(step)] = self._bind(step)
            self._bind_all(step.then_steps)
            self._bind_all(step.else_steps)

    def run(self, inputs: Sequence[object]) -> list[object]:
        plan, ctx = self.plan, self.ctx
        slots: Slots = [UNSET] * plan.n_slots
        for i, v in enumerate(inputs):
            slots[i] = ctx.to_device(v) if plan.places[i] == DEVICE else v
        for slot, leaf in plan.leaves:
            if isinstance(leaf, SharedVariable):
                slots[slot] = device_value(leaf.container, ctx.cp)
            else:
                slots[slot] = self._constants[slot]
        self._run_steps(plan.steps, slots)
        return [slots[r] for r in plan.roots]

    def _run_steps(self, steps: Sequence[Step], slots: Slots) -> None:
        for step in steps:
            if slots[step.outs[0]] is UNSET:  # a branch's node another branch step already ran
                self._bound[id(step)](slots)

    # -- binding each kind of step ----------------------------------------------------------------
    def _bind(self, step: Step) -> Run:
        if step.kind == "kernel":
            return self._bind_kernel(step)
        if step.kind == "ifelse":
            return partial(self._run_ifelse, step)
        if step.kind == "scan":
            return self._bind_scan(step)
        if step.kind == "host":
            return partial(self._run_host, step)
        impl = lower(step.node, self.ctx) if step.kind == "device" else host_kernel(step.node, self.ctx, "no GPU lowering")

        def run(slots: Slots) -> None:
            outs = impl(*[slots[a] for a in step.args])
            for o, v in zip(step.outs, outs):
                slots[o] = v

        return run

    def _bind_kernel(self, step: Step) -> Run:
        assert step.kernel is not None
        ctx = self.ctx
        kernel = ctx.kernel(step.kernel)
        flag = step.kernel.uses_error_flag
        out = step.outs[0]
        args = step.args

        def run(slots: Slots) -> None:
            values = [_kernel_arg(ctx, slots[a]) for a in args]
            # all host scalars (a branch chose a constant): CuPy sizes the loop from one 0-d array
            if values and not any(ctx.is_device(v) for v in values):
                values[0] = ctx.to_device(np.asarray(values[0]))
            if flag:
                values.append(ctx.err)
            slots[out] = kernel(*values)

        return run

    def _run_host(self, step: Step, slots: Slots) -> None:
        """The reference kernel on host values (scalars and shapes: the reference itself)."""
        outs = REFERENCE[step.node.op](step.node.params, *[self.ctx.to_host(slots[a]) for a in step.args])
        for o, v in zip(step.outs, outs):
            slots[o] = v

    def _run_ifelse(self, step: Step, slots: Slots) -> None:
        assert isinstance(step.node.params, IfElseParams)
        n = step.node.params.n_outs
        cond = bool(self.ctx.to_host(slots[step.args[0]]))
        branch = step.then_steps if cond else step.else_steps
        self._run_steps(branch, slots)
        chosen = step.args[1:1 + n] if cond else step.args[1 + n:]
        for o, a in zip(step.outs, chosen):
            slots[o] = slots[a]

    def _bind_scan(self, step: Step) -> Run:
        """The reference loop (``run_scan``, the semantics) around the step's device program: the
        loop's carried values stay on the device; only n_steps (and an until condition) are read
        on the host."""
        assert step.inner is not None and isinstance(step.node.params, ScanParams)
        params = step.node.params
        inner = DeviceProgram(step.inner, self.ctx)
        ctx = self.ctx

        def one_step(values: list[Array]) -> list[Array]:
            return cast(list[Array], inner.run(values))  # device or host arrays alike

        def run(slots: Slots) -> None:
            n_steps = ctx.to_host(slots[step.args[0]])
            rest = [cast(Array, slots[a]) for a in step.args[1:]]  # device or host arrays alike
            outs = run_scan(params, n_steps, *rest, step=one_step)
            for o, v in zip(step.outs, outs):
                slots[o] = ctx.to_device(v)

        return run


def _kernel_arg(ctx: GpuContext, v: object) -> object:
    """A kernel argument: a device array as is, a host 0-d value as a (typed numpy) scalar, any
    other host value uploaded."""
    if ctx.is_device(v):
        return v
    host = np.asarray(v)
    if host.ndim == 0:
        return host[()]
    return ctx.to_device(host)
