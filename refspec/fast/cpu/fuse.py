"""Elementwise fusion: a chain of elementwise ufunc nodes becomes one blocked ufunc program.

A fused kernel runs the chain's ufuncs block by block (16K elements) with ``out=`` into scratch
buffers that stay in cache, instead of one full-size temporary per op; large arrays are split
between two threads (ufuncs release the GIL). Elementwise kernels treat every element alone, so
any blocking gives the very same bits as the unfused program (DESIGN.md: 2.5x over plain numpy on
the 10M-element chain). Small arrays run the plain calls: blocking only pays once arrays are large.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from refspec.ast import ELEMENTWISE, Apply, Array, Variable, toposort
from refspec.fast.cpu.shapes import ShapeOf

BLOCK = 16_384  # elements per block: a few scratch blocks stay in L2
BLOCKED_FROM = 4 * BLOCK  # below this, plain whole-array calls
THREADS_FROM = 1_000_000  # from this size, two threads share the blocks
_POOL = ThreadPoolExecutor(max_workers=2, thread_name_prefix="refspec-fused")


@dataclass
class Group:
    """Nodes to run as one kernel: ``nodes`` in order, reading ``inputs``, producing ``output``."""

    nodes: list[Apply]
    inputs: list[Variable]
    output: Variable


def find_groups(
    roots: Sequence[Variable], shape_of: ShapeOf, ufunc_of: Callable[[Apply], np.ufunc | None]
) -> list[Group]:
    """Maximal fusable chains: elementwise nodes with a ufunc kernel whose result has the chain's
    shape, each used only by the next node of the chain; inputs of the chain's shape or 0-d."""
    nodes = toposort(roots)
    uses: dict[int, int] = {}
    consumers: dict[int, list[Apply]] = {}
    for node in nodes:
        for v in node.inputs:
            uses[id(v)] = uses.get(id(v), 0) + 1
            consumers.setdefault(id(v), []).append(node)
    for r in roots:
        uses[id(r)] = uses.get(id(r), 0) + 1
    group_of: dict[int, Group] = {}
    groups: list[Group] = []
    for node in reversed(nodes):
        if node.op not in ELEMENTWISE or len(node.outputs) != 1 or ufunc_of(node) is None:
            continue
        out = node.outputs[0]
        if out.ndim == 0:
            continue  # scalar chains: plain calls are cheaper than any kernel
        consumer_group = next((group_of[id(c)] for c in consumers.get(id(out), []) if id(c) in group_of), None)
        if consumer_group is not None and uses.get(id(out), 0) == 1 and shape_of(out) == shape_of(consumer_group.output):
            consumer_group.nodes.insert(0, node)
            group_of[id(node)] = consumer_group
        else:
            group = Group([node], [], out)
            groups.append(group)
            group_of[id(node)] = group
    fused: list[Group] = []
    for g in groups:
        inside = {id(n.outputs[0]) for n in g.nodes}
        members = {id(m) for m in g.nodes}
        ordered = [n for n in nodes if id(n) in members]
        g.nodes = ordered
        g.inputs = []
        for n in ordered:
            for v in n.inputs:
                if id(v) not in inside and all(v is not w for w in g.inputs):
                    g.inputs.append(v)
        if len(g.nodes) > 1 and all(v.ndim == 0 or shape_of(v) == shape_of(g.output) for v in g.inputs):
            fused.append(g)
    return fused


def make_kernel(group: Group, ufunc_of: Callable[[Apply], np.ufunc | None]) -> Callable[..., Array]:
    """A function of the group's inputs computing its output, blocked for large arrays."""
    slot = {id(v): i for i, v in enumerate(group.inputs)}
    steps: list[tuple[np.ufunc, list[int], np.dtype[np.generic]]] = []
    for k, node in enumerate(group.nodes):
        fn = ufunc_of(node)
        assert fn is not None
        args = [slot[id(v)] for v in node.inputs]
        slot[id(node.outputs[0])] = len(group.inputs) + k
        steps.append((fn, args, node.outputs[0].type.np_dtype))
    out_dtype = group.output.type.np_dtype

    def plain(values: list[object], out: Array | None) -> object:
        for fn, args, _ in steps[:-1]:
            values.append(fn(*[values[a] for a in args]))
        fn, args, _ = steps[-1]
        operands = [values[a] for a in args]
        return fn(*operands) if out is None else fn(*operands, out=out)

    def run_blocks(flat_in: list[object], result: Array, start: int, stop: int) -> None:
        with np.errstate(all="ignore"):  # per thread: the caller's errstate does not reach the pool
            _blocks(flat_in, result, start, stop)

    def _blocks(flat_in: list[object], result: Array, start: int, stop: int) -> None:
        scratch = [np.empty(BLOCK, dtype=dt) for _, _, dt in steps[:-1]]
        for lo in range(start, stop, BLOCK):
            hi = min(lo + BLOCK, stop)
            m = hi - lo
            values: list[object] = [x[lo:hi] if isinstance(x, np.ndarray) and x.ndim else x for x in flat_in]
            for k, (fn, args, _) in enumerate(steps):
                target = result[lo:hi] if k == len(steps) - 1 else scratch[k][:m]
                fn(*[values[a] for a in args], out=target)
                values.append(target)

    def kernel(*inputs: Array, out: Array | None = None) -> Array:
        """The chain's result, in a new array or (``out``: C-contiguous, of the result's shape and
        dtype) written into ``out``."""
        shaped = next((x for x in inputs if np.ndim(x) > 0), None)
        if shaped is None or shaped.size < BLOCKED_FROM:
            return np.asarray(plain(list(inputs), out))
        shape = shaped.shape
        flat_in: list[object] = [np.ascontiguousarray(x).reshape(-1) if np.ndim(x) else x for x in inputs]
        result = np.empty(shape, dtype=out_dtype) if out is None else out
        flat_out = result.reshape(-1)
        n = flat_out.size
        if n >= THREADS_FROM:
            half = (n // 2 // BLOCK) * BLOCK
            futures = [_POOL.submit(run_blocks, flat_in, flat_out, 0, half),
                       _POOL.submit(run_blocks, flat_in, flat_out, half, n)]
            for f in futures:
                f.result()
        else:
            run_blocks(flat_in, flat_out, 0, n)
        return result

    kernel.__name__ = f"fused_{'_'.join(n.op.value for n in group.nodes)}"[:80]
    return kernel
