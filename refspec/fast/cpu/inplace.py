"""In-place updates of shared variables: which update values may be written into the storage of the
shared variable they replace, instead of into a new array.

An update ``w <- w - lr * g`` whose last node is an elementwise ufunc (alone or ending a fused chain)
can write its result into ``w``'s own array, saving the allocation and a pass over memory. That is
exact (the same ufuncs, with ``out=``) and safe when nothing else can observe the old value after
the write:

- the write happens last, after every other value of the call is computed and every update's shape
  has been checked (so a call that fails changes nothing, spec/function.md);
- no other root (an output, another update) may be a view of ``w`` (it would show the new value);
- the node's operands are ``w`` itself or values that cannot be (views of) an array written in place:
  results of ops that always return new arrays (``FRESH_OPS``), or of any op over such values;
- at run time: the result has exactly ``w``'s shape, ``w`` is writeable and C-contiguous, and it
  shares no memory with an argument of the call (``writable`` below); otherwise the call allocates,
  as without this rewrite.

Only real float updates qualify: their ufuncs cannot raise once shapes match, so the writes at the
end of a call cannot fail halfway through. Complex updates do not: numpy's complex loops take
another path when the output is the input (seen: the square of a 0-d complex128 array and the
product of one-element arrays, an ulp apart), so writing in place would not be the reference's bits.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence

import numpy as np

from refspec.ast import ELEMENTWISE, Apply, Array, Op, SharedVariable, Variable, toposort


def plan_inplace(
    roots: Sequence[Variable],
    targets: Mapping[int, SharedVariable],
    kernel_inputs: Callable[[Apply], Sequence[Variable] | None],
    fresh_ops: Collection[Op],
) -> dict[int, SharedVariable]:
    """The roots (by index) whose values may be written into their target's storage.

    ``targets`` maps the index of each update root to the shared variable it updates;
    ``kernel_inputs(node)`` gives the operands of the ufunc kernel (or fused chain) that computes a
    node, or None when the node is not computed by one."""
    order = toposort(roots)
    consumed = {id(v) for node in order for v in node.inputs}
    aliases = _may_alias(order, list(targets.values()), fresh_ops)
    chosen: dict[int, SharedVariable] = {}
    for i, target in targets.items():
        root = roots[i]
        node = root.owner
        if (node is None or node.op not in ELEMENTWISE or len(node.outputs) != 1
                or root.type != target.type or root.dtype[0] != "f"
                or id(root) in consumed or sum(r is root for r in roots) != 1):
            continue
        operands = kernel_inputs(node)
        if operands is None:
            continue
        # the target itself, or values that cannot be (views of) an array written in place
        if all(v is target or not aliases.get(id(v)) for v in operands):
            chosen[i] = target
    # another root that may be a view of a written variable would show the new value: no write
    for j, r in enumerate(roots):
        if j not in chosen:
            for i, target in list(chosen.items()):
                if id(target) in aliases.get(id(r), set()):
                    del chosen[i]
    return chosen


def _may_alias(order: Sequence[Apply], shared: Sequence[SharedVariable],
               fresh_ops: Collection[Op]) -> dict[int, set[int]]:
    """For each variable, the ids of the given shared variables whose array it may be or view: a
    fresh op's result is a new array; any other op's may be (a view of) one of its inputs."""
    out: dict[int, set[int]] = {id(s): {id(s)} for s in shared}
    for node in order:
        if node.op in fresh_ops:
            continue
        found: set[int] = set()
        for v in node.inputs:
            found |= out.get(id(v), set())
        if found:
            for o in node.outputs:
                out[id(o)] = found
    return out


def writable(target: Array, arguments: Sequence[object], *operands: Array) -> bool:
    """Whether the result of an elementwise kernel over ``operands`` may be written into
    ``target`` at run time."""
    flags = target.flags
    if not (flags.writeable and flags.c_contiguous):
        return False
    if np.broadcast_shapes(*(np.shape(x) for x in operands)) != target.shape:
        return False
    return not any(isinstance(a, np.ndarray) and np.may_share_memory(a, target) for a in arguments)
