"""Graph and program strategies: ``graphs()`` (one graph over the whole op table) and ``programs()``
(several outputs, shared variables with updates, givens, ifelse, scan, random streams), each drawing
a ``Case`` that a runner can compile and run on every path.

A case is built in steps (``grow``): each step draws a kind (an op, or a program leaf) and builds it
from the pool (see ``builder.py``); a step that does not fit is rolled back. Steps go on up to a
drawn node budget, each opening with "more" coins whose simplest value stops, and each one hypothesis
draw: so shrinking deletes whole steps and stops early, giving fewer nodes, while values shrink to
short, ordinary arrays. Outputs are the variables nothing else consumed, so every node built is part
of the case.
"""

from __future__ import annotations

import collections
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from functools import partial

from hypothesis import strategies as st

import refspec
from refspec.ast import (
    ELEMENTWISE,
    Apply,
    Array,
    Op,
    SharedVariable,
    Variable,
    toposort,
)
from refspec.compile.function import Function
from refspec.diffcheck import control, elementwise, indexing, structural
from refspec.diffcheck.builder import Builder, Entry, Failed, Reject, Store
from refspec.params import ScanParams
from refspec.tensor.shared_randomstreams import RandomStreams

Kind = Op | str
FEATURES = frozenset({"scan", "ifelse", "updates", "givens", "random", "multi_output", "nested_scan",
                      "until", "taps"})

# the order shrinking prefers: plain arithmetic first, loops and effects last
_FIRST = (Op.ADD, Op.NEG, Op.MUL, Op.SUB, Op.EXP, Op.LOG, Op.TRUE_DIV, Op.MAXIMUM, Op.SUM, Op.DOT)
OP_ORDER: tuple[Op, ...] = _FIRST + tuple(
    sorted([o for o in Op if o in ELEMENTWISE and o not in _FIRST], key=lambda o: o.value)) + tuple(
    o for o in Op if o not in ELEMENTWISE and o not in _FIRST)
P_MORE = 0.97  # a step's "more" coin: cases mostly end at their node budget, shrinking ends them early
PROGRAM_KINDS: tuple[Kind, ...] = ("shared", Op.SCAN, Op.IFELSE, "given", Op.RANDOM)


@dataclass(eq=False)
class Case:
    """A generated program and the values to run it on.

    ``values`` holds one array per input; ``shared_values`` the initial value of each shared variable
    (``reset()`` restores them before a run). ``expected``/``expected_updates`` are the reference
    values computed while building (None where the case ``raises``: then running it raises that
    documented error, see ``builder.LEGIT_ERRORS``). ``ops`` counts the nodes of the graph by op,
    scan bodies included; ``n_nodes`` is their total.
    """

    inputs: list[Variable]
    values: list[Array]
    outputs: list[Variable]
    updates: list[tuple[SharedVariable, Variable]]
    givens: list[tuple[Variable, Variable]]
    shared: list[SharedVariable]
    shared_values: list[Array]
    features: frozenset[str]
    ops: collections.Counter[Op]
    n_nodes: int
    raises: type[Exception] | None = None
    expected: list[Array] | None = None
    expected_updates: list[Array] | None = None
    dtypes: dict[Op, set[str]] = field(default_factory=dict)

    def reset(self) -> None:
        """Put every shared variable back to its initial value."""
        for var, value in zip(self.shared, self.shared_values):
            var.container.value = value.copy()

    def function(self, mode: str = "REFERENCE") -> Function:
        """The case compiled in ``mode``."""
        return refspec.function(self.inputs, self.outputs, mode=mode, updates=self.updates,
                                givens=self.givens, on_unused_input="ignore")

    def arguments(self) -> list[Array]:
        """Copies of the input values (a run may not see another run's mutations)."""
        return [v.copy() for v in self.values]


# -- walking the built graph -------------------------------------------------------------------

def all_nodes(roots: Iterable[Variable]) -> list[Apply]:
    """The nodes of ``roots``' graph, scan bodies (recursively) included, each once (a body may hold
    the very node an outer graph holds: a loop recomputes what it reads of the outer graph)."""
    out: list[Apply] = []
    seen: set[int] = set()

    def visit(roots: list[Variable]) -> None:
        for node in toposort(roots):
            if id(node) in seen:
                continue
            seen.add(id(node))
            out.append(node)
            if isinstance(node.params, ScanParams):
                inner = list(node.params.inner_outputs)
                if node.params.until is not None:
                    inner.append(node.params.until)
                visit(inner)

    visit(list(roots))
    return out


def node_dtype(node: Apply) -> str:
    """The dtype a node works in, for coverage: its first input's, or for nodes whose first input is
    a condition, a count or a state (ifelse, scan, random, arange, eye, make_vector) its value's."""
    if node.op is Op.RANDOM:
        return node.outputs[1].dtype
    if node.op in (Op.IFELSE, Op.SCAN, Op.ARANGE, Op.EYE, Op.MAKE_VECTOR) or not node.inputs:
        return node.outputs[0].dtype
    return node.inputs[0].dtype


# -- the step loop -----------------------------------------------------------------------------

def _builders() -> dict[Kind, Callable[[Builder], Entry]]:
    table: dict[Kind, Callable[[Builder], Entry]] = {}
    for part in (elementwise.builders(), structural.builders(), indexing.builders()):
        table.update(part.items())
    table.update(control.builders(grow))
    return table


def step(b: Builder, kind: Kind) -> bool:
    """Build one step of ``kind``; False (and nothing changed) if it did not fit."""
    snap = b.snapshot()
    try:
        BUILDERS[kind](b)
        return True
    except Reject:
        b.restore(snap)
    except Failed as failure:
        # a documented runtime error: usually dropped, sometimes kept (at the top level) so that
        # error agreement and ifelse laziness get tested too
        if b.depth == 0 and b.flag(0.25):
            b.store.poisoned.append((failure.var, failure.error))
            return True
        b.restore(snap)
    return False


def choose(b: Builder, focus: Sequence[Op] | None) -> Kind:
    if focus and b.flag(0.5):
        return b.pick_from(focus)
    if b.store.program and b.depth == 0 and b.flag(0.25):
        return b.pick_from(PROGRAM_KINDS)
    kind = b.pick_from(OP_ORDER)
    return Op.NEG if kind is Op.SCAN and b.depth >= 2 else kind


def _more(b: Builder, forced: bool | None = None) -> bool:
    """Whether to take another step (stopping, the simplest choice, is what shrinking reaches for).
    Stopping takes two "no"s, since hypothesis draws a coin's simplest side more often than asked."""
    return b.flag(P_MORE, forced) or b.flag(P_MORE, forced)


def grow(b: Builder, n: int, focus: Sequence[Op] | None = None, at_least: int = 1) -> None:
    """Up to ``n`` more nodes (within the store's budget), in steps. Each step is one hypothesis draw
    that opens with its "more" coins, as hypothesis' own lists do, so shrinking deletes whole steps;
    the coins of the first ``at_least`` steps are drawn forced to "more" (hypothesis' generator, by
    exploring and mutating, stops loops early far more often than the coins say; a forced coin reads
    as "more" when shrinking lowers ``at_least``). Each step position
    has its own span label, so the generator does not copy one step's draws over another's."""

    def one(free: bool) -> bool:
        if not _more(b, True if free else None):
            return False
        step(b, choose(b, focus))
        return True

    target = b.store.nodes + n
    for i in range(3 * n + 6):
        if b.store.nodes >= target or not b.span(partial(one, i < at_least), (b.depth, i)):
            return


BUILDERS = _builders()


# -- finishing a case --------------------------------------------------------------------------

def _updates(b: Builder) -> None:
    """Explicit updates of some shared variables: a pool variable of the same type and shape (another
    shared variable makes a swap), or any variable fitted to it."""
    for s in list(b.store.shared):
        if s.default_update is not None or any(s is t for t, _ in b.store.updates) or not b.flag(0.6):
            continue
        shape = tuple(s.container.value.shape)
        snap = b.snapshot()
        try:
            e = b.reuse(lambda e: e.dtype == s.dtype and e.shape == shape and e.var is not s, p_fresh=0.3)
            if e is None:
                e = b.fit(b.pick_from(b.pool[::-1]), s.dtype, shape)
        except (Reject, Failed):
            b.restore(snap)
            continue
        b.store.updates.append((s, e.var))


def _case(b: Builder, values: dict[int, Array]) -> Case:
    store = b.store
    computed = [e.var for e in b.pool if e.var.owner is not None]
    poisoned = [v for v, _ in store.poisoned]
    consumed = {id(v) for node in toposort(computed + poisoned) for v in node.inputs}
    consumed |= {id(e) for _, e in store.updates}
    outputs = [v for v in computed if id(v) not in consumed]
    raises: type[Exception] | None = None
    unused = [(v, err) for v, err in store.poisoned if id(v) not in consumed]
    if unused and b.flag(0.5):
        var, raises = unused[0]
        outputs.append(var)
    if store.program and b.flag(0.15):  # an input or shared variable returned as it is
        leaves = [e.var for e in b.pool if e.var.owner is None and not e.given
                  and (e.var in store.inputs or isinstance(e.var, SharedVariable))]
        if leaves:
            outputs.append(b.pick_from(leaves))
    roots = outputs + [e for _, e in store.updates] + [r for _, r in store.givens]
    nodes = all_nodes(roots)
    ops = collections.Counter(node.op for node in nodes)
    dtypes: dict[Op, set[str]] = collections.defaultdict(set)
    for node in nodes:
        dtypes[node.op].add(node_dtype(node))
    features = set(store.features) & {"nested_scan", "until", "taps"}
    features |= {name for name, op in (("scan", Op.SCAN), ("ifelse", Op.IFELSE), ("random", Op.RANDOM))
                 if ops[op]}
    if "scan" not in features:
        features -= {"nested_scan", "until", "taps"}
    if store.updates:
        features.add("updates")
    if store.givens:
        features.add("givens")
    if len(outputs) > 1:
        features.add("multi_output")
    return Case(
        inputs=list(store.inputs), values=list(store.values), outputs=outputs,
        updates=list(store.updates), givens=list(store.givens), shared=list(store.shared),
        shared_values=list(store.shared_values), features=frozenset(features), ops=ops,
        n_nodes=len(nodes), raises=raises,
        expected=None if raises else [values[id(v)] for v in outputs],
        expected_updates=None if raises else [values[id(e)] for _, e in store.updates],
        dtypes=dict(dtypes),
    )


def build(draw: st.DrawFn, ops: Collection[Op] | None, max_nodes: int, special: float,
          program: bool) -> Case:
    # the node budget; its simplest value is the largest, since the step loop's "more" coins are what
    # shrinking uses to make cases smaller (and early stops already make many cases small)
    n = max_nodes - draw(st.integers(0, max_nodes - 1))
    store = Store(special=special, budget=n, program=program)
    if program:
        store.srng = RandomStreams(seed=draw(st.integers(0, 2**16)))
    b = Builder(draw, store)
    focus = sorted(ops, key=lambda o: OP_ORDER.index(o)) if ops else None
    if focus:  # leave room for a node of a focus op
        store.budget = max(1, min(n, max_nodes - max_nodes // 3))
    empty = b.snapshot()
    grow(b, n, focus, at_least=1 + draw(st.integers(0, 11)))
    store.budget = max_nodes
    for attempt in range(30):  # the focus ops must appear (tests: they always do); >= 1 node
        present = collections.Counter(node.op for node in all_nodes(e.var for e in b.pool))
        if (focus is None or any(present[o] for o in focus)) and store.nodes:
            break
        if attempt == 10:
            b.restore(empty)  # too crowded: start again from nothing
        step(b, b.pick_from(focus) if focus else Op.NEG)
    if program:
        _updates(b)
    values = {id(e.var): e.value for e in b.pool}
    return _case(b, values)


def graphs(ops: Collection[Op] | None = None, max_nodes: int = 40,
           special: float = 0.2) -> st.SearchStrategy[Case]:
    """Single graphs of 1..max_nodes nodes over the whole op table (including print, ifelse, scan and
    random draws from explicit state inputs); no shared variables, updates or givens. With ``ops``,
    each graph holds at least one node of one of them. ``special`` is how often an operand leaves its
    op's domain or a fresh input holds special values."""
    return st.composite(lambda draw: build(draw, ops, max_nodes, special, program=False))()


def programs(ops: Collection[Op] | None = None, max_nodes: int = 40,
             special: float = 0.2) -> st.SearchStrategy[Case]:
    """Programs: graphs plus shared variables with updates (swaps included), givens, ifelse with
    several outputs, scans of every tap kind (nested, with until, with shared updates), draws from
    RandomStreams (shared states with default updates), and inputs returned as outputs."""
    return st.composite(lambda draw: build(draw, ops, max_nodes, special, program=True))()

