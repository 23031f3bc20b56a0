"""CUDA source of one elementwise kernel for a fused group of nodes (``cupy.ElementwiseKernel``'s
``in_params``, ``out_params``, ``operation``, ``name`` and ``preamble``), from ``cuda_ops``' table.

Names in the text are generated: inputs ``x0, x1, ...``, the node results ``t0, t1, ...`` (in the
group's order), the output ``y``, the error flag ``rs_err``; the kernel's name is a hash of its text,
so the same chain anywhere compiles once (CuPy caches compiled kernels by source). Never a user
string. Pure text: no CuPy import.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from refspec.ast import Apply, Variable
from refspec.fast.gpu.cuda_helpers import ORDER, preamble
from refspec.fast.gpu.cuda_ops import ERROR_FLAG, Call, Emitted, emit
from refspec.fast.gpu.cuda_types import CTYPE, store

# kernels are compiled without fma contraction, so a*b+c rounds twice, as numpy computes it
COMPILE_OPTIONS: tuple[str, ...] = ("--fmad=false",)


@dataclass(frozen=True)
class KernelSpec:
    """An ``ElementwiseKernel``: arguments are the group's inputs in order (then the error flag, a raw
    int32[1] array, when ``uses_error_flag``); the result is a new array of the output dtype with
    the inputs' broadcast shape."""

    name: str
    in_params: str
    out_params: str
    operation: str
    preamble: str
    uses_error_flag: bool

    def text(self) -> str:
        """The whole kernel as one deterministic text (golden tests, cache key)."""
        return (f"kernel {self.name}\n  in:  {self.in_params}\n  out: {self.out_params}\n"
                + (f"preamble:\n{self.preamble}\n" if self.preamble else "")
                + f"operation:\n{self.operation}\n")


def node_call(node: Apply, args: Sequence[str]) -> Call:
    return Call(node.op, node.params, tuple(args), tuple(v.dtype for v in node.inputs), node.outputs[0].dtype)


def supported(node: Apply) -> bool:
    """Whether the table has a C expression for this node on its dtypes."""
    return len(node.outputs) == 1 and emit(node_call(node, [f"x{i}" for i in range(len(node.inputs))])) is not None


def elementwise_kernel(nodes: Sequence[Apply], inputs: Sequence[Variable], output: Variable) -> KernelSpec | None:
    """The kernel computing ``output`` from ``inputs`` through ``nodes`` (in dependency order, each
    elementwise with one output), or None if some node has no C expression (it runs on the host)."""
    names: dict[int, str] = {id(v): f"x{i}" for i, v in enumerate(inputs)}
    lines: list[str] = []
    helpers: list[str] = []
    flag = False
    for k, node in enumerate(nodes):
        out = node.outputs[0]
        emitted: Emitted | None = emit(node_call(node, [names[id(v)] for v in node.inputs]))
        if emitted is None:
            return None
        helpers.extend(emitted.helpers)
        lines.extend(emitted.checks)
        flag = flag or bool(emitted.checks)
        lines.append(f"const {CTYPE[out.dtype]} t{k} = {store(emitted.value, out.dtype)};  // {node.op.value}")
        names[id(out)] = f"t{k}"
    lines.append(f"y = {names[id(output)]};")
    in_params = ", ".join(f"{v.dtype} x{i}" for i, v in enumerate(inputs))
    if flag:
        in_params += f", raw int32 {ERROR_FLAG}"
    out_params = f"{output.dtype} y"
    operation = "\n".join(lines)
    # conversions (rs_f2h, rs_d2h) appear in the text without being declared by a rule
    helpers.extend(h for h in ORDER if f"{h}(" in operation)
    pre = preamble(helpers)
    if "float16" in operation or "float16" in in_params + out_params:
        # CuPy's half class: included by CuPy for float16 parameters; a float16 value only inside
        # the kernel needs it too (the header has #pragma once)
        pre = "#include <cupy/float16.cuh>\n" + pre
    digest = hashlib.sha1("\n".join([in_params, out_params, operation, pre]).encode()).hexdigest()[:16]
    return KernelSpec(f"rs_ew_{digest}", in_params, out_params, operation, pre, flag)

