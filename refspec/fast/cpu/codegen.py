"""Code generation: a whole program becomes one generated Python function of straight-line calls.

Each node is one line calling its kernel, bound as a local of the generated module: the numpy ufunc
itself where the reference is exactly that ufunc (so results are bit-identical), else the reference
implementation with the node's params bound. No per-node dispatch, no environment dict, no type
checks at run time. Names in the generated text are numbered (``v3``, ``k3``), never taken from the
user, and the text is deterministic, so it is also the cache key for the compiled code object.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from types import CodeType

import numpy as np

from refspec.ast import ELEMENTWISE, REDUCE, Apply, Array, Constant, Op, SharedVariable, Variable, toposort
from refspec.fast.cpu.fuse import Group, find_groups, make_kernel
from refspec.fast.cpu.inplace import plan_inplace, writable
from refspec.fast.cpu.inline import EMIT, HELPERS
from refspec.fast.cpu.shapes import ShapeOf
from refspec.interp.reference import FLOAT_NUMPY, PLAIN_NUMPY, REFERENCE
from refspec.params import IfElseParams, ScanParams

Kernel = Callable[..., object]

# ops whose kernels always return a newly allocated array (never a view of an input, never an input)
FRESH_OPS = (ELEMENTWISE | REDUCE | {Op.DOT, Op.TENSORDOT, Op.BATCHED_DOT, Op.SOFTMAX, Op.LOG_SOFTMAX,
                                    Op.ALLOC, Op.ARANGE, Op.EYE, Op.MAKE_VECTOR, Op.INC_SUBTENSOR,
                                    Op.JOIN, Op.SHAPE}) - {Op.SUM_TO}


_CODE_CACHE: dict[str, CodeType] = {}


@dataclass
class GeneratedProgram:
    """A compiled program: ``run(*input_values)`` returns the roots' values in order."""

    source: str
    run: Callable[..., tuple[Array, ...]]
    inputs: list[Variable]
    kernels: list[tuple[Apply, str]] = field(default_factory=list)  # node, how it runs
    checks_updates: bool = False  # the program itself checks every update's shape (see ``generate``)


def _direct_kernel(node: Apply) -> Kernel | None:
    """The numpy function that *is* this node's reference semantics, when there is one."""
    if node.op in PLAIN_NUMPY and node.op not in (Op.REAL, Op.IMAG):
        return PLAIN_NUMPY[node.op]
    fn = FLOAT_NUMPY.get(node.op)
    if fn is not None and isinstance(fn, np.ufunc) and all(v.dtype == node.outputs[0].dtype for v in node.inputs):
        # inputs already in the computing dtype: the reference would call fn unchanged, and cast
        # its result, which changes nothing only if fn has a loop for this very dtype (scipy's
        # functions have none for float16: erf(float16) computes and returns float32)
        char = node.outputs[0].type.np_dtype.char
        if char * len(node.inputs) + "->" + char in fn.types:
            return fn
    return None


def _ufunc_kernel(node: Apply) -> np.ufunc | None:
    direct = _direct_kernel(node)
    return direct if isinstance(direct, np.ufunc) else None


def conditional_nodes(order: Sequence[Apply], roots: Sequence[Variable]) -> set[int]:
    """Nodes needed only through an ifelse branch: they run only if that branch is taken (lazy)."""
    needed: set[int] = set()
    stack = [v.owner for v in roots if v.owner is not None]
    while stack:
        node = stack.pop()
        if id(node) in needed:
            continue
        needed.add(id(node))
        for i, v in enumerate(node.inputs):
            if v.owner is not None and not (node.op is Op.IFELSE and i > 0):
                stack.append(v.owner)
    return {id(n) for n in order} - needed


UpdateCheck = Callable[[Sequence[Array | None]], None]


def generate(roots: Sequence[Variable], inputs: Sequence[Variable], fuse: bool = True,
             inplace: Mapping[int, SharedVariable] | None = None,
             check_updates: UpdateCheck | None = None) -> GeneratedProgram:
    """Compile the graph computing ``roots`` from ``inputs`` (every other leaf must be a constant or
    a shared variable, read from its container when the program runs). Chains of elementwise ufunc
    nodes become fused kernels (``refspec.fast.cpu.fuse``). An ifelse becomes an ``if`` block; the
    nodes only its branches need are computed inside them, once at most ("not computed yet" guards),
    so the untaken branch has no effect, as on the reference.

    ``inplace`` (root index -> shared variable) asks for update values to be written into their
    shared variable's array (``refspec.fast.cpu.inplace``); those writes come last, after
    ``check_updates`` has seen every other root's value (None for the ones written in place)."""
    order = toposort(roots)
    conditional = conditional_nodes(order, roots)
    lazy = any(n.op is Op.IFELSE for n in order)
    groups = find_groups(roots, ShapeOf(), _ufunc_kernel) if fuse and not lazy else []
    group_at = {id(g.nodes[-1]): g for g in groups}
    inside = {id(n) for g in groups for n in g.nodes[:-1]}
    written = dict(inplace or {})
    if written:
        chosen = plan_inplace(roots, written, lambda n: _kernel_operands(n, group_at), FRESH_OPS)
        written = {i: t for i, t in written.items() if i in chosen}
    deferred = {id(roots[i].owner): t for i, t in written.items() if roots[i].owner is not None}
    namespace: dict[str, object] = {"_asarray": np.asarray, "_UNSET": _UNSET, "_writable": writable,
                                    "_check_updates": check_updates, **HELPERS}
    lines: list[str] = []
    names: dict[int, str] = {}
    kernels: list[tuple[Apply, str]] = []
    index = {id(n): k for k, n in enumerate(order)}
    for i, v in enumerate(inputs):
        names[id(v)] = f"a{i}"
    for k, node in enumerate(order):
        for j, out in enumerate(node.outputs):
            names.setdefault(id(out), f"v{k}_{j}")
            if id(node) in conditional:
                lines.append(f"    v{k}_{j} = _UNSET")

    shared_names: list[str] = []

    def name_of(v: Variable) -> str:
        found = names.get(id(v))
        if found is not None:
            return found
        if isinstance(v, Constant):
            n = f"c{len(names)}"
            namespace[n] = v.data
        elif isinstance(v, SharedVariable):
            n = f"s{len(names)}"
            namespace[f"{n}_box"] = v.container
            lines.append(f"    {n} = {n}_box.value")  # read at the top, before any branch
            shared_names.append(n)
        else:
            raise ValueError(f"codegen: {v} ({v.type}) has no value: not an input, constant or shared variable")
        names[id(v)] = n
        return n

    consumed = {id(v) for node in order for v in node.inputs}

    def ensure(v: Variable) -> list[str]:
        """Lines that make sure a conditional value is computed (nothing for the others)."""
        node = v.owner
        if node is None or id(node) not in conditional:
            return []
        guard = f"if {names[id(node.outputs[0])]} is _UNSET:"
        return [guard, *_indent(compute(node))]

    def compute(node: Apply) -> list[str]:
        k = index[id(node)]
        outs = [names[id(o)] for o in node.outputs]
        if node.op is Op.IFELSE and isinstance(node.params, IfElseParams):
            n = node.params.n_outs
            cond, thens, elses = node.inputs[0], node.inputs[1:1 + n], node.inputs[1 + n:]
            taken = [ln for v in thens for ln in ensure(v)] + [f"{', '.join(outs)}, = {''.join(name_of(v) + ', ' for v in thens)}"]
            other = [ln for v in elses for ln in ensure(v)] + [f"{', '.join(outs)}, = {''.join(name_of(v) + ', ' for v in elses)}"]
            kernels.append((node, "lazy branches"))
            return [*ensure(cond), f"if bool({name_of(cond)}):", *_indent(taken), "else:", *_indent(other)]
        body = [ln for v in node.inputs for ln in ensure(v)]
        group = group_at.get(id(node))
        if group is not None:
            namespace[f"k{k}"] = make_kernel(group, _ufunc_kernel)
            args = ", ".join(name_of(v) for v in group.inputs)
            kernels.append((node, f"fused kernel of {len(group.nodes)} ops"))
            return body + [f"{outs[0]} = k{k}({args})  # fused: {' '.join(n.op.value for n in group.nodes)}"]
        arg_names = [name_of(v) for v in node.inputs]
        args = ", ".join(arg_names)
        direct = _direct_kernel(node)
        emit = EMIT.get(node.op)
        expr = emit(node, arg_names, name_of) if emit is not None and len(node.outputs) == 1 else None
        if expr is not None:
            if node.outputs[0].ndim == 0 and not expr.startswith("_asarray("):
                expr = f"_asarray({expr})"  # indexing down to 0-d gives a numpy scalar
            kernels.append((node, "inline"))
            return body + [f"{outs[0]} = {expr}  # {node.op.value}"]
        if direct is not None:
            namespace[f"k{k}"] = direct
            call = f"k{k}({args})"
            if node.outputs[0].ndim == 0 and id(node.outputs[0]) in consumed:
                # a ufunc of 0-d arrays returns a numpy scalar; the next kernel must see a 0-d array,
                # as on the reference (numpy's scalar paths differ: square of a complex64 scalar is
                # not square of a 0-d complex64 array, bit for bit)
                call = f"_asarray({call})"
            kernels.append((node, "numpy"))
            return body + [f"{outs[0]} = {call}  # {node.op.value}"]
        if node.op is Op.SCAN and isinstance(node.params, ScanParams):
            from refspec.fast.cpu.loops import scan_kernel  # loops compile their steps with this module

            namespace[f"k{k}"], how = scan_kernel(node.params)
            kernels.append((node, how))
            return body + [f"{', '.join(outs)}, = k{k}({args})  # scan"]
        namespace[f"k{k}"] = partial(REFERENCE[node.op], node.params)
        kernels.append((node, "reference kernel"))
        return body + [f"{', '.join(outs)}, = k{k}({args})  # {node.op.value}"]

    def compute_into(node: Apply, target: SharedVariable) -> list[str]:
        """The node's value written into the target's array when it fits, else a new array."""
        k = index[id(node)]
        out = names[id(node.outputs[0])]
        group = group_at.get(id(node))
        operands = group.inputs if group is not None else node.inputs
        if group is not None:
            namespace[f"k{k}"] = make_kernel(group, _ufunc_kernel)
            kernels.append((node, f"fused kernel of {len(group.nodes)} ops, in place"))
        else:
            namespace[f"k{k}"] = _ufunc_kernel(node)
            kernels.append((node, "numpy, in place"))
        args = ", ".join(name_of(v) for v in operands)
        dest = name_of(target)
        # every other array the call reads: two shared variables may hold one array (borrow=True)
        others = [f"a{i}" for i in range(len(inputs))] + [n for n in shared_names if n != dest]
        arguments = "(" + "".join(f"{n}, " for n in others) + ")"
        return [f"if _writable({dest}, {arguments}, {args}):  # {node.op.value} into its shared variable",
                f"    {out} = k{k}({args}, out={dest})",
                "else:",
                f"    {out} = k{k}({args})"]

    for node in order:
        if id(node) in inside or id(node) in conditional or id(node) in deferred:
            continue  # inside a fused kernel, computed where a branch needs it, or written last
        block = compute(node)
        lines.extend(_indent(block))
    if deferred:
        for written_target in deferred.values():
            name_of(written_target)  # every written variable's array is read before the first write
        if check_updates is not None:
            pending = {id(roots[i]) for i in written}
            values = "".join(("None" if id(v) in pending else name_of(v)) + ", " for v in roots)
            lines.append(f"    _check_updates(({values}))  # every shape checked before any write")
        for node in order:
            target = deferred.get(id(node))
            if target is not None:
                lines.extend(_indent(compute_into(node, target)))
    results = [name_of(v) for v in roots]
    header = f"def program({', '.join(f'a{i}' for i in range(len(inputs)))}):"
    body = lines + [f"    return ({''.join(f'_asarray({r}), ' for r in results)})"]
    source = "\n".join([header, *body]) + "\n"
    code = _CODE_CACHE.get(source)
    if code is None:
        code = compile(source, "<refspec generated>", "exec")
        _CODE_CACHE[source] = code
    exec(code, namespace)
    run = namespace["program"]
    assert callable(run)
    return GeneratedProgram(source, run, list(inputs), kernels, checks_updates="_check_updates(" in source)


class _Unset:
    """The value of a conditional variable its branch has not computed (yet)."""

    def __repr__(self) -> str:
        return "_UNSET"


_UNSET = _Unset()


def _kernel_operands(node: Apply, group_at: Mapping[int, Group]) -> Sequence[Variable] | None:
    """The operands of the ufunc kernel computing ``node`` (a fused chain's inputs), or None."""
    group = group_at.get(id(node))
    if group is not None:
        return group.inputs
    return node.inputs if _ufunc_kernel(node) is not None else None


def _indent(block: list[str]) -> list[str]:
    return ["    " + ln for ln in block]
