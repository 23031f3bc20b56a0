"""The graph builder behind the graph strategies: a pool of variables with their values, fresh inputs,
and node creation that can be rolled back.

Every node is evaluated on the reference the moment it is built (``evaluate_node``), so the builder
knows each variable's concrete shape and values. That is what makes generated graphs well typed *and*
runnable by construction: operands are chosen by their real shapes (broadcasting, indices, reshapes
always fit), domains are checked on real values, and a node whose evaluation raises is either dropped
(the step is rolled back) or, rarely and on purpose, kept as a "poisoned" variable (see ``Failed``).
Draws go through hypothesis, so shrinking a case shrinks the choices made here.
"""

from __future__ import annotations

import contextlib
import functools
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar, cast

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import refspec.tensor as T
from refspec.ast import Array, Constant, Op, SharedVariable, TensorType, Variable, toposort
from refspec.diffcheck.domains import Domain, clip_domain, default_domain, in_domain
from refspec.diffcheck.values import elements_for, lengths, ordinary_values, shapes
from refspec.dtypes import is_complex
from refspec.interp.reference import REFERENCE, ifelse_inputs
from refspec.ops import make_node
from refspec.params import (
    NO_PARAMS,
    CastParams,
    IfElseParams,
    IndexParams,
    Params,
    ReduceParams,
    ScalarIndex,
    SliceIndex,
)
from refspec.tensor.shared_randomstreams import RandomStreams

# runtime errors the reference documents for values outside an op's domain (spec/ops.md): integer
# division by zero, an index out of range, and shape errors (broadcast, reshape, specify_shape, scan
# reading past a sequence's end, alloc of a negative length, arange with step 0, 0-step scans with an
# unknown step shape). A generated case that raises raises one of these, and says so (Case.raises).
LEGIT_ERRORS: tuple[type[Exception], ...] = (ZeroDivisionError, IndexError, ValueError)

X = TypeVar("X")

# dtypes in the order shrinking prefers (the first is where a sampled dtype shrinks to)
DTYPE_ORDER = ("float64", "int64", "float32", "bool", "int32", "int8", "int16", "uint8", "uint16",
               "uint32", "uint64", "float16", "complex128", "complex64")


# the function a span runs: pushed by Builder.span, popped (before it runs, so spans nest) by the
# cached strategy for the span's key
_PENDING: list[Callable[[], object]] = []


def _run_pending(key: object) -> object:
    return _PENDING.pop()()


@functools.lru_cache(maxsize=None)
def _span_strategy(key: object) -> st.SearchStrategy[object]:
    return st.builds(_run_pending, st.just(key))


class Reject(Exception):
    """This construction does not fit (a typing rule refused it, or the node budget is spent): the
    step is rolled back and another op tried. Never leaves the strategies."""


class Failed(Exception):
    """A node built fine but its reference evaluation raised one of LEGIT_ERRORS."""

    def __init__(self, var: Variable, error: type[Exception]):
        super().__init__(f"{var} raises {error.__name__}")
        self.var = var
        self.error = error


@dataclass(eq=False)
class Entry:
    """A variable of the graph being built and its value (for scan placeholders: at step 0)."""

    var: Variable
    value: Array
    given: bool = False  # depends on a givens placeholder, so it cannot replace one itself

    @property
    def dtype(self) -> str:
        return self.var.dtype

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.value.shape)

    @property
    def ndim(self) -> int:
        return self.var.ndim


@dataclass
class Store:
    """What becomes the Case, shared by a builder and the builders of its scan bodies."""

    special: float
    budget: int
    program: bool
    inputs: list[Variable] = field(default_factory=list)
    values: list[Array] = field(default_factory=list)
    shared: list[SharedVariable] = field(default_factory=list)
    shared_values: list[Array] = field(default_factory=list)
    givens: list[tuple[Variable, Variable]] = field(default_factory=list)
    updates: list[tuple[SharedVariable, Variable]] = field(default_factory=list)
    poisoned: list[tuple[Variable, type[Exception]]] = field(default_factory=list)
    features: set[str] = field(default_factory=set)
    nodes: int = 0
    srng: RandomStreams | None = None


DomainArg = Domain | Callable[[str], Domain] | None
Snapshot = tuple[int, int, int, int, int, int, int, frozenset[str]]


def evaluate_node(op: Op, params: Params, args: Sequence[Array | None]) -> tuple[Array, ...]:
    """The reference value of a node from its inputs' values (an untaken ifelse branch may be None)."""
    with np.errstate(all="ignore"):
        if op is Op.PRINT:  # printing is the runner's business, not the generator's
            value = args[0]
            assert value is not None
            return (value,)
        if op is Op.IFELSE:
            assert isinstance(params, IfElseParams)
            cond = args[0]
            assert cond is not None
            return REFERENCE[op](params, cond, *[args[i] for i in ifelse_inputs(params, cond)])
        if op is Op.SCAN:  # a body's print nodes print on every step: not while generating
            with contextlib.redirect_stdout(io.StringIO()):
                return REFERENCE[op](params, *args)
        return REFERENCE[op](params, *args)


class Builder:
    """Draws graph pieces. ``pool`` holds the variables available as operands, newest last."""

    def __init__(self, draw: st.DrawFn, store: Store, pool: list[Entry] | None = None, depth: int = 0):
        self.draw = draw
        self.store = store
        self.pool: list[Entry] = [] if pool is None else pool
        self.depth = depth  # scan nesting: 0 outside any scan body
        # A weighted coin that shrinks to False: what hypothesis' own lists use (ConjectureData's
        # draw_boolean, reached through the composite's bound draw). A public strategy cannot weigh
        # a choice without hypothesis also drawing its simplest value far more often than asked,
        # which would stop the step loop early; the fallback keeps working if the internals move.
        boolean = getattr(getattr(draw, "__self__", None), "draw_boolean", None)
        self._boolean: Callable[..., bool] | None = boolean if callable(boolean) else None

    # -- drawing helpers ------------------------------------------------------------------------

    def flag(self, p: float, forced: bool | None = None) -> bool:
        """True with probability ``p``; shrinks to False. ``forced`` records a choice of that value
        (so a later run that reads this choice freely sees it)."""
        if p <= 0:
            return False
        if self._boolean is not None:
            return bool(self._boolean(p, forced=forced))
        if forced is not None:
            return forced
        return self.draw(st.integers(0, 999)) >= round(1000 * (1 - p))

    def index(self, n: int) -> int:
        """An index in range(n), shrinking to 0."""
        return 0 if n <= 1 else self.draw(st.integers(0, n - 1))

    def pick_from(self, items: Sequence[X]) -> X:
        return items[self.index(len(items))]

    def integer(self, lo: int, hi: int) -> int:
        return self.draw(st.integers(lo, hi))

    def draw_length(self) -> int:
        return self.draw(lengths())

    def shape(self, min_dims: int = 0, max_dims: int = 3) -> tuple[int, ...]:
        return self.draw(shapes(min_dims, max_dims))

    def span(self, fn: Callable[[], X], key: object = None) -> X:
        """Run ``fn`` (which draws) as one hypothesis draw, so shrinking can delete it as a whole.
        Draws of different ``key`` get different labels, so hypothesis' generator, which copies
        draws between same-label spans, does not copy one into the other."""
        _PENDING.append(fn)
        return cast(X, self.draw(_span_strategy(key)))

    def broadcastable_to(self, shape: tuple[int, ...]) -> tuple[int, ...]:
        """A shape that broadcasts to ``shape``: leading axes dropped, some lengths made 1."""
        drop = self.index(len(shape) + 1)
        return tuple(1 if self.flag(0.2) else n for n in shape[drop:])

    def dtype(self, allowed: Sequence[str]) -> str:
        ordered = [d for d in DTYPE_ORDER if d in allowed]
        return self.pick_from(ordered)

    def special_now(self) -> bool:
        return self.flag(self.store.special)

    # -- transactions ---------------------------------------------------------------------------

    def snapshot(self) -> Snapshot:
        s = self.store
        return (len(self.pool), len(s.inputs), len(s.shared), len(s.givens), len(s.updates), s.nodes,
                len(s.poisoned), frozenset(s.features))

    def restore(self, snap: Snapshot) -> None:
        s = self.store
        n_pool, n_in, n_sh, n_giv, n_up, nodes, n_poison, features = snap
        del self.pool[n_pool:]
        del s.inputs[n_in:], s.values[n_in:]
        del s.shared[n_sh:], s.shared_values[n_sh:]
        del s.givens[n_giv:], s.updates[n_up:], s.poisoned[n_poison:]
        s.nodes = nodes
        s.features = set(features)

    # -- leaves ---------------------------------------------------------------------------------

    def add(self, var: Variable, value: Array, given: bool = False) -> Entry:
        entry = Entry(var, value, given)
        self.pool.append(entry)
        return entry

    def array(self, dtype: str, shape: tuple[int, ...], dom: Domain | None, special: bool) -> Array:
        """Values of a fresh leaf: in ``dom`` (clipped to the dtype), or with special values."""
        d = clip_domain(dom if dom is not None else default_domain(dtype), dtype)
        # special: out of the domain on purpose, the dtype's whole range and its special values
        elements = elements_for(dtype, True) if special else ordinary_values(dtype, d.lo, d.hi)
        # one draw per array, so the shrinker treats it as a unit (fill=nothing: every element drawn)
        value: Array = self.draw(hnp.arrays(np.dtype(dtype), shape, elements=elements, fill=st.nothing()))
        if d.nonzero and not special:
            value[value == 0] = 1  # a divisor: nonzero, keeping the draw otherwise
        return value

    def fresh(self, dtype: str, shape: tuple[int, ...], dom: Domain | None = None,
              special: bool | None = None, constant_ok: bool = True) -> Entry:
        """A new leaf of ``dtype`` and concrete ``shape``: usually a function input (each static length
        known or not, drawn), sometimes a constant."""
        value = self.array(dtype, shape, dom, self.special_now() if special is None else special)
        if constant_ok and self.flag(0.12):
            return self.add(T.constant(value, dtype=dtype), value)
        static = tuple(n if self.flag(0.25) else None for n in shape)
        return self.input(TensorType(dtype, shape=static), value)

    def input(self, ttype: TensorType, value: Array) -> Entry:
        var = ttype(f"x{len(self.store.inputs)}")
        self.store.inputs.append(var)
        self.store.values.append(value)
        return self.add(var, value)

    def int_scalar(self, value: int, dtype: str = "int64", symbolic: bool | None = None) -> Entry:
        """An integer scalar of a fixed value (a size, an index): a constant, or an input."""
        data = np.array(value, dtype=dtype)
        if symbolic is None:
            symbolic = self.flag(0.3)
        if not symbolic:
            return Entry(T.constant(data, dtype=dtype), data)  # not pooled: a detail of its node
        entry = self.input(TensorType(dtype, shape=()), data)
        self.pool.pop()  # inputs that carry sizes are not general operands
        return entry

    def int_vector(self, values: Sequence[int]) -> Entry:
        data = np.array(list(values), dtype="int64")
        return Entry(T.constant(data, dtype="int64"), data)

    # -- nodes ----------------------------------------------------------------------------------

    def apply(self, op: Op, args: Sequence[Entry], params: Params = NO_PARAMS,
              values: Sequence[Array | None] | None = None) -> list[Entry]:
        """Build a node over ``args`` and evaluate it. Raises Reject if its type is refused or the
        node budget is spent, Failed if its evaluation raises a documented runtime error."""
        try:
            node = make_node(op, [a.var for a in args], params)
        except (TypeError, ValueError, IndexError) as exc:
            raise Reject(str(exc)) from exc
        self.store.nodes += 1
        if self.store.nodes > self.store.budget:
            raise Reject("node budget spent")
        try:
            outs = evaluate_node(op, params, [a.value for a in args] if values is None else values)
        except LEGIT_ERRORS as exc:
            raise Failed(node.outputs[0], type(exc)) from exc
        given = any(a.given for a in args)
        return [self.add(v, x, given) for v, x in zip(node.outputs, outs)]

    def apply1(self, op: Op, args: Sequence[Entry], params: Params = NO_PARAMS) -> Entry:
        return self.apply(op, args, params)[0]

    # -- choosing operands ----------------------------------------------------------------------

    def candidates(self, pred: Callable[[Entry], bool], dom: DomainArg = None) -> list[Entry]:
        """Pool entries satisfying ``pred``, newest first; in ``dom`` (a domain, or one per dtype)
        unless this draw is special."""
        found = [e for e in reversed(self.pool) if pred(e)]
        if dom is not None and found and not self.special_now():
            found = [e for e in found if in_domain(e.value, clip_domain(
                dom if isinstance(dom, Domain) else dom(e.dtype), e.dtype))]
        return found

    def reuse(self, pred: Callable[[Entry], bool], dom: DomainArg = None, p_fresh: float = 0.3) -> Entry | None:
        """A pool entry satisfying ``pred`` (most of the time, when there is one), else None."""
        if self.flag(p_fresh):
            return None
        found = self.candidates(pred, dom)
        return self.pick_from(found) if found else None

    def operand(self, dtype: str, shape: tuple[int, ...], dom: Domain | None = None,
                broadcast: bool = False) -> Entry:
        """An operand of ``dtype``: of exactly ``shape``, or (``broadcast``) of any shape that
        broadcasts to it; reused from the pool or fresh."""
        def fits(e: Entry) -> bool:
            if e.dtype != dtype:
                return False
            if not broadcast:
                return e.shape == shape
            return len(e.shape) <= len(shape) and all(
                a in (1, b) for a, b in zip(e.shape[::-1], shape[::-1]))

        found = self.reuse(fits, dom)
        if found is not None:
            return found
        return self.fresh(dtype, self.broadcastable_to(shape) if broadcast else shape, dom)

    # -- nodes built by the public API ----------------------------------------------------------

    def adopt(self, roots: Sequence[Variable]) -> list[Entry]:
        """Evaluate the nodes a public-API call built between the pool and ``roots`` (counting them
        against the budget) and pool ``roots``."""
        known: dict[int, Array] = {id(v): x for v, x in zip(self.store.inputs, self.store.values)}
        known.update((id(e.var), e.value) for e in self.pool)
        given = {id(e.var) for e in self.pool if e.given}
        for node in toposort(roots):
            if all(id(o) in known for o in node.outputs):
                continue
            args: list[Array] = []
            for v in node.inputs:
                if id(v) in known:
                    args.append(known[id(v)])
                elif isinstance(v, Constant):
                    args.append(v.data)
                elif isinstance(v, SharedVariable):
                    args.append(v.container.value)
                else:
                    raise Reject(f"no value for {v}")
            self.store.nodes += 1
            if self.store.nodes > self.store.budget:
                raise Reject("node budget spent")
            try:
                outs = evaluate_node(node.op, node.params, args)
            except LEGIT_ERRORS as exc:
                raise Failed(node.outputs[0], type(exc)) from exc
            from_given = any(id(v) in given for v in node.inputs)
            for o, x in zip(node.outputs, outs):
                known[id(o)] = x
                if from_given:
                    given.add(id(o))
        return [self.add(v, known[id(v)], id(v) in given) for v in roots]

    # -- coercion -------------------------------------------------------------------------------

    def fit(self, e: Entry, dtype: str, shape: tuple[int, ...]) -> Entry:
        """An expression of ``e`` of exactly ``dtype`` and concrete ``shape`` (scan outputs, updates,
        ifelse branches): extra leading axes indexed away, mismatched axes cut to one entry (summed
        where empty), broadcast by alloc, then cast."""
        while e.ndim > len(shape):
            if e.shape[0] > 0:
                e = self.apply1(Op.SUBTENSOR, [e], IndexParams((ScalarIndex(0),)))
            else:
                e = self.apply1(Op.SUM, [e], ReduceParams((0,), False))
        off = len(shape) - e.ndim
        empties = tuple(i for i in range(e.ndim) if e.shape[i] == 0 and shape[off + i] != 0)
        if empties:
            e = self.apply1(Op.SUM, [e], ReduceParams(empties, True))
        cut = [i for i in range(e.ndim) if e.shape[i] not in (1, shape[off + i])]
        if cut:
            entries = tuple(SliceIndex(0, 1, None) if i in cut else SliceIndex(None, None, None)
                            for i in range(max(cut) + 1))
            e = self.apply1(Op.SUBTENSOR, [e], IndexParams(entries))
        if e.shape != shape:
            e = self.apply1(Op.ALLOC, [e, *[self.int_scalar(n) for n in shape]])
        if e.dtype != dtype:
            if is_complex(e.dtype) and not is_complex(dtype):
                e = self.apply1(Op.REAL, [e])
            if e.dtype != dtype:
                e = self.apply1(Op.CAST, [e], CastParams(dtype))
        return e
