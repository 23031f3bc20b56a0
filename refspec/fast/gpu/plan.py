"""Lowering a rewritten graph to a GPU plan: where each value lives, how each node runs, and which
elementwise nodes fuse into one generated kernel. Pure data and text (no CuPy): the plan's text is
what the golden tests compare.

Placement: small host values stay on the host (0-d constants and 0-d explicit inputs, ``shape``
results, and whatever is computed from host values only: shape arithmetic), everything else lives
on the device (shared variables, non-scalar inputs and constants, and every node with a device
input). A node runs as one of:

- ``kernel``: a generated elementwise kernel (``cuda_source``), fused with the elementwise nodes
  only it consumes (any shapes: the kernel broadcasts its inputs as numpy would);
- ``device``: a CuPy lowering (``lower``): reductions, cuBLAS products, shape ops, indexing, draws;
- ``host``: the reference kernel on host values (scalars and shapes: the reference itself);
- ``fallback``: the reference kernel on a device node's inputs copied to the host, result copied
  back, listed by ``report()`` (never silent);
- ``ifelse`` (the condition is read on the host; the nodes only a branch needs run in it, lazily)
  and ``scan`` (the reference loop around a step planned the same way, values kept on the device).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from refspec.ast import ELEMENTWISE, REDUCE, Apply, Constant, Op, SharedVariable, Variable, toposort
from refspec.fast.cpu.codegen import FRESH_OPS, conditional_nodes
from refspec.fast.gpu.cuda_source import KernelSpec, elementwise_kernel, supported
from refspec.params import IfElseParams, RandomParams, ScanParams

HOST = "host"
DEVICE = "device"

# ops with a CuPy lowering in ``lower`` (RANDOM: the distributions in DEVICE_DRAWS)
DEVICE_OPS = REDUCE | {
    Op.SOFTMAX, Op.LOG_SOFTMAX, Op.DOT, Op.TENSORDOT, Op.BATCHED_DOT, Op.RESHAPE, Op.DIMSHUFFLE,
    Op.SPECIFY_SHAPE, Op.JOIN, Op.ALLOC, Op.ARANGE, Op.EYE, Op.SUBTENSOR, Op.INC_SUBTENSOR, Op.PRINT,
    Op.RANDOM,
}
DEVICE_DRAWS = frozenset({"uniform", "normal"})
# nodes that make a device array from host values (their output is not a host value)
PRODUCERS = frozenset({Op.ALLOC, Op.ARANGE, Op.EYE, Op.RANDOM, Op.SCAN})


@dataclass
class Step:
    node: Apply
    kind: str  # kernel | device | host | fallback | ifelse | scan
    args: tuple[int, ...]  # slots read (for a kernel: its inputs, in the kernel's order)
    outs: tuple[int, ...]  # slots written
    kernel: KernelSpec | None = None
    fused: tuple[Apply, ...] = ()  # a kernel's nodes, in order
    then_steps: list[Step] = field(default_factory=list)  # ifelse: the nodes only a branch needs
    else_steps: list[Step] = field(default_factory=list)
    inner: Plan | None = None  # scan: the step's plan


@dataclass
class Plan:
    inputs: list[Variable]  # explicit inputs: slots 0 .. len(inputs) - 1
    leaves: list[tuple[int, Variable]]  # constants and shared variables and their slots
    steps: list[Step]
    roots: list[int]  # the slots of the roots, in order
    places: list[str]  # per slot: HOST or DEVICE
    fresh: list[bool]  # per root: a device array made by this call that no one else holds
    n_slots: int

    def kernels(self) -> list[KernelSpec]:
        """Every generated kernel, in plan order (inner plans included), each once."""
        found: dict[str, KernelSpec] = {}
        for step in _walk(self.steps):
            if step.kernel is not None:
                found.setdefault(step.kernel.name, step.kernel)
            if step.inner is not None:
                for k in step.inner.kernels():
                    found.setdefault(k.name, k)
        return list(found.values())

    def uses_error_flag(self) -> bool:
        return any(k.uses_error_flag for k in self.kernels())

    def counts(self) -> dict[str, int]:
        """How many nodes run each way (a fused kernel counts its nodes), inner plans included."""
        out: dict[str, int] = {}
        for step in _walk(self.steps):
            key = "fused into kernels" if step.kind == "kernel" and len(step.fused) > 1 else step.kind
            out[key] = out.get(key, 0) + max(1, len(step.fused))
            if step.inner is not None:
                for k, c in step.inner.counts().items():
                    out[k] = out.get(k, 0) + c
        return out

    def fallbacks(self) -> list[Apply]:
        """The device nodes that run their reference kernel on host copies (inner plans included)."""
        found: list[Apply] = []
        for step in _walk(self.steps):
            if step.kind == "fallback":
                found.append(step.node)
            if step.inner is not None:
                found.extend(step.inner.fallbacks())
        return found

    def text(self) -> str:
        """The plan as deterministic text: slots, steps, roots, then each kernel's source."""
        lines = self.body_lines("")
        for k in self.kernels():
            lines.append("")
            lines.append(k.text().rstrip("\n"))
        return "\n".join(lines) + "\n"

    def body_lines(self, indent: str) -> list[str]:
        ins = " ".join(f"v{i}:{v.dtype}:{self.places[i]}" for i, v in enumerate(self.inputs))
        lines = [f"{indent}inputs: {ins}"]
        for slot, v in self.leaves:
            what = "constant" if isinstance(v, Constant) else "shared"
            lines.append(f"{indent}v{slot} = {what} {v.dtype}{list(v.type.shape)} ({self.places[slot]})")
        lines.extend(_step_lines(self.steps, indent))
        marks = " ".join(f"v{r}{'' if f else '*'}" for r, f in zip(self.roots, self.fresh))
        lines.append(f"{indent}roots: {marks}   (*: not a fresh device array, copied before it is stored)")
        return lines


def _walk(steps: Sequence[Step]) -> list[Step]:
    out: list[Step] = []
    for s in steps:
        out.append(s)
        out.extend(_walk(s.then_steps))
        out.extend(_walk(s.else_steps))
    return out


def _step_lines(steps: Sequence[Step], indent: str) -> list[str]:
    lines: list[str] = []
    for s in steps:
        outs = ", ".join(f"v{o}" for o in s.outs)
        args = ", ".join(f"v{a}" for a in s.args)
        if s.kind == "kernel":
            assert s.kernel is not None
            ops = " ".join(n.op.value for n in s.fused)
            lines.append(f"{indent}{outs} = {s.kernel.name}({args})  # kernel: {ops}")
        elif s.kind == "ifelse":
            lines.append(f"{indent}{outs} = ifelse({args})")
            lines.append(f"{indent}  then:")
            lines.extend(_step_lines(s.then_steps, indent + "    "))
            lines.append(f"{indent}  else:")
            lines.extend(_step_lines(s.else_steps, indent + "    "))
        elif s.kind == "scan":
            assert s.inner is not None
            lines.append(f"{indent}{outs} = scan({args})  # step:")
            lines.extend(s.inner.body_lines(indent + "    "))
        else:
            lines.append(f"{indent}{outs} = {s.kind} {s.node.op.value}({args})")
    return lines


# -- building a plan -------------------------------------------------------------------------------

def leaf_place(v: Variable) -> str:
    if isinstance(v, Constant):
        return HOST if v.ndim == 0 else DEVICE
    if isinstance(v, SharedVariable):
        return DEVICE
    return HOST if v.ndim == 0 else DEVICE


def node_place(node: Apply, places: Sequence[str]) -> str:
    if node.op is Op.SHAPE:
        return HOST
    if node.op in PRODUCERS:
        return DEVICE if node.op is not Op.ALLOC or node.outputs[0].ndim else HOST
    if node.op is Op.IFELSE:
        return DEVICE if DEVICE in places[1:] else HOST
    return DEVICE if DEVICE in places else HOST


def fusion_groups(order: Sequence[Apply], roots: Sequence[Variable], fusable: set[int]) -> dict[int, list[Apply]]:
    """Maximal fused groups, keyed by the id of the group's last node: a fusable node joins the group
    of its consumers when all of them are in one group and it is not a root (so its value is needed
    only inside that kernel)."""
    consumers: dict[int, list[Apply]] = {}
    for node in order:
        for v in node.inputs:
            consumers.setdefault(id(v), []).append(node)
    root_ids = {id(r) for r in roots}
    group_of: dict[int, int] = {}  # node id -> id of its group's last node
    groups: dict[int, list[Apply]] = {}
    for node in reversed(order):
        if id(node) not in fusable:
            continue
        out = node.outputs[0]
        users = consumers.get(id(out), [])
        owners = {group_of.get(id(c)) for c in users}
        if users and id(out) not in root_ids and len(owners) == 1 and None not in owners:
            (head,) = owners
            assert head is not None
            groups[head].insert(0, node)
            group_of[id(node)] = head
        else:
            groups[id(node)] = [node]
            group_of[id(node)] = id(node)
    position = {id(n): k for k, n in enumerate(order)}
    return {head: sorted(nodes, key=lambda n: position[id(n)]) for head, nodes in groups.items()}


def group_inputs(nodes: Sequence[Apply]) -> list[Variable]:
    """The variables a group reads from outside, in order of first use."""
    inside = {id(n.outputs[0]) for n in nodes}
    found: list[Variable] = []
    for n in nodes:
        for v in n.inputs:
            if id(v) not in inside and all(v is not w for w in found):
                found.append(v)
    return found


class _Builder:
    def __init__(self, inputs: Sequence[Variable], input_places: Sequence[str] | None):
        self.slot: dict[int, int] = {}
        self.places: list[str] = []
        self.leaves: list[tuple[int, Variable]] = []
        self.inputs = list(inputs)
        for i, v in enumerate(inputs):
            self.slot[id(v)] = i
            self.places.append(input_places[i] if input_places is not None else leaf_place(v))

    def place_of(self, v: Variable) -> str:
        return self.places[self.slot_of(v)]

    def slot_of(self, v: Variable) -> int:
        found = self.slot.get(id(v))
        if found is None:
            if v.owner is not None:
                raise AssertionError(f"gpu plan: {v} used before its node was planned")
            if not isinstance(v, (Constant, SharedVariable)):
                raise ValueError(f"gpu plan: {v} ({v.type}) has no value: not an input, constant or shared variable")
            found = self.new(leaf_place(v))
            self.slot[id(v)] = found
            self.leaves.append((found, v))
        return found

    def new(self, place: str) -> int:
        self.places.append(place)
        return len(self.places) - 1


def build_plan(roots: Sequence[Variable], inputs: Sequence[Variable],
               input_places: Sequence[str] | None = None) -> Plan:
    """The plan computing ``roots`` from ``inputs`` (other leaves: constants and shared variables)."""
    order = toposort(roots)
    b = _Builder(inputs, input_places)
    conditional = conditional_nodes(order, roots)
    # placement first (fusion needs it): a node's place from its inputs' places
    place: dict[int, str] = {}
    for node in order:
        ins = [place.get(id(v)) or (b.place_of(v) if id(v) in b.slot else leaf_place(v)) for v in node.inputs]
        p = node_place(node, ins)
        for o in node.outputs:
            place[id(o)] = p
    fusable = {id(n) for n in order
               if n.op in ELEMENTWISE and id(n) not in conditional and place[id(n.outputs[0])] == DEVICE
               and supported(n)}
    groups = fusion_groups(order, roots, fusable)
    inside = {id(n) for nodes in groups.values() for n in nodes[:-1]}
    steps_of: dict[int, Step] = {}

    def plan_node(node: Apply) -> Step:
        p = place[id(node.outputs[0])]
        if id(node) in groups:
            nodes = groups[id(node)]
            ins = group_inputs(nodes)
            spec = elementwise_kernel(nodes, ins, node.outputs[0])
            assert spec is not None  # every member is supported
            args = tuple(b.slot_of(v) for v in ins)
            return Step(node, "kernel", args, _outs(node, p), spec, tuple(nodes))
        args = tuple(b.slot_of(v) for v in node.inputs)
        if node.op is Op.IFELSE:
            return Step(node, "ifelse", args, _outs(node, p))
        if node.op is Op.SCAN:
            assert isinstance(node.params, ScanParams)
            inner = _scan_plan(node.params, [b.places[a] for a in args])
            return Step(node, "scan", args, _outs(node, DEVICE), inner=inner)
        if p == HOST:
            return Step(node, "host", args, _outs(node, p))
        if node.op in ELEMENTWISE and supported(node):  # one inside an ifelse branch: not fused
            ins = list(dict.fromkeys(node.inputs))
            spec = elementwise_kernel([node], ins, node.outputs[0])
            assert spec is not None
            return Step(node, "kernel", tuple(b.slot_of(v) for v in ins), _outs(node, p), spec, (node,))
        if node.op in DEVICE_OPS and device_lowerable(node):
            return Step(node, "device", args, _outs(node, p))
        return Step(node, "fallback", args, _outs(node, p))

    def _outs(node: Apply, p: str) -> tuple[int, ...]:
        outs = []
        for o in node.outputs:
            s = b.new(p)
            b.slot[id(o)] = s
            outs.append(s)
        return tuple(outs)

    steps: list[Step] = []
    for node in order:
        if id(node) in inside:
            continue
        step = plan_node(node)
        steps_of[id(node)] = step
        if id(node) not in conditional:
            steps.append(step)
    # each ifelse gets the conditional nodes its branches need, in order (shared ones run once)
    for step in steps_of.values():
        if step.kind == "ifelse":
            assert isinstance(step.node.params, IfElseParams)
            n = step.node.params.n_outs
            step.then_steps = _branch(step.node.inputs[1:1 + n], conditional, steps_of, order)
            step.else_steps = _branch(step.node.inputs[1 + n:], conditional, steps_of, order)
    root_slots = [b.slot_of(r) for r in roots]
    fresh = [_fresh(r, roots, steps_of) and b.places[s] == DEVICE for r, s in zip(roots, root_slots)]
    return Plan(b.inputs, b.leaves, steps, root_slots, b.places, fresh, len(b.places))


def device_lowerable(node: Apply) -> bool:
    """Whether ``lower`` has a CuPy lowering for this node (else it is a visible fallback)."""
    if node.op is Op.RANDOM:
        return isinstance(node.params, RandomParams) and node.params.distribution in DEVICE_DRAWS
    if node.op is Op.DOT:
        return all(v.dtype != "bool" for v in node.inputs)  # no boolean matmul in CuPy
    return True


def _branch(values: Sequence[Variable], conditional: set[int], steps_of: dict[int, Step],
            order: Sequence[Apply]) -> list[Step]:
    """Steps of the conditional nodes ``values`` need (stopping at unconditional ones), in order."""
    needed: set[int] = set()
    stack = [v.owner for v in values if v.owner is not None]
    while stack:
        node = stack.pop()
        if id(node) in needed or id(node) not in conditional:
            continue
        needed.add(id(node))
        stack.extend(v.owner for k, v in enumerate(node.inputs)
                     if v.owner is not None and not (node.op is Op.IFELSE and k > 0))
    return [steps_of[id(n)] for n in order if id(n) in needed and id(n) in steps_of]


def _fresh(root: Variable, roots: Sequence[Variable], steps_of: dict[int, Step]) -> bool:
    node = root.owner
    if node is None or sum(r is root for r in roots) != 1:
        return False
    step = steps_of.get(id(node))
    if step is None:
        return False
    return step.kind == "kernel" or (step.kind == "device" and node.op in FRESH_OPS)


def _scan_plan(params: ScanParams, outer_places: Sequence[str]) -> Plan:
    """The step's plan: inner inputs on the device (sequence entries, fed-back values), except
    "other" inputs that are host values outside."""
    from refspec.fast.cpu.pipeline import optimize  # the same rewrites as the outer graph

    inner_roots: list[Variable] = list(params.inner_outputs)
    if params.until is not None:
        inner_roots.append(params.until)
    n_seqs = len(params.seq_taps)
    n_fed = sum(1 for taps in params.out_taps if taps)
    others = list(outer_places[1 + n_seqs + n_fed:])
    n_other = len(others)
    places = [DEVICE] * (len(params.inner_inputs) - n_other) + others
    return build_plan(optimize(inner_roots), list(params.inner_inputs), places)
