"""Builders for the ops with effects, laziness, loops and randomness (print, ifelse, scan, random),
and the program-level leaves (shared variables, givens placeholders).

``scan`` builds its body with the same step loop as the outer graph (``Grow``), in a child builder
whose pool starts with the loop's placeholders (valued at step 0), the non-sequences and a few outer
variables (which the body then captures).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import refspec
from refspec.ast import DTYPES, Op, SharedVariable, TensorType, Variable, toposort
from refspec.diffcheck.builder import DTYPE_ORDER, Builder, Entry, Reject
from refspec.diffcheck.domains import Domain
from refspec.diffcheck.structural import source
from refspec.interp.random import seed_state
from refspec.interp.scan import tap_window
from refspec.params import IfElseParams, PrintParams, ReduceParams, ScanParams
from refspec.tensor import raw_random
from refspec.tensor.scan import scan as scan_api
from refspec.tensor.scan import until

Grow = Callable[[Builder, int], None]

PRINT_ATTRS: tuple[tuple[str, ...], ...] = (("shape",), (), ("__str__",))
SEQ_TAPS: tuple[tuple[int, ...], ...] = ((0,), (-1,), (1,), (-1, 0), (0, 1), (-2, 0), (-1, 1), (-2, 0, 1))
OUT_TAPS: tuple[tuple[int, ...], ...] = ((-1,), (-2,), (-1, -2), (-3, -1))
DISTRIBUTIONS = ("uniform", "normal", "truncated_normal", "binomial", "random_integers", "poisson",
                 "choice", "permutation", "multinomial")
API_ERRORS = (TypeError, ValueError, IndexError)


def print_node(b: Builder) -> Entry:
    x = source(b, DTYPES)
    return b.apply1(Op.PRINT, [x], PrintParams(f"p{b.store.nodes}", b.pick_from(PRINT_ATTRS)))


def ifelse(b: Builder) -> Entry:
    """A lazy choice of 1 or 2 outputs; at the top level an untaken branch is sometimes a variable whose
    evaluation raises (an eager ifelse then fails where the reference does not)."""
    cond = b.reuse(lambda e: e.ndim == 0)
    if cond is None:
        cond = b.fresh(b.pick_from(["bool", "int8", "float64"]), (), special=False)
    taken_then = bool(cond.value)
    thens: list[Entry] = []
    elses: list[Entry] = []
    values: list[np.ndarray[Any, Any] | None] = [cond.value]
    else_values: list[np.ndarray[Any, Any] | None] = []
    for _ in range(1 + b.flag(0.3)):
        t = source(b, DTYPES)
        poison = [v for v, _ in b.store.poisoned if v.dtype == t.dtype and v.ndim == t.ndim]
        if poison and b.depth == 0 and b.flag(0.5):
            bad = Entry(b.pick_from(poison), t.value)
            pair = (t, bad) if taken_then else (bad, t)
            thens.append(pair[0])
            elses.append(pair[1])
            values.append(t.value if taken_then else None)
            else_values.append(None if taken_then else t.value)
            continue
        other = b.reuse(lambda e: e.dtype == t.dtype and e.ndim == t.ndim and e is not t)
        if other is None:
            other = b.fresh(t.dtype, tuple(n if b.flag(0.7) else b.draw_length() for n in t.shape))
        pair = (t, other) if b.flag(0.5) else (other, t)
        thens.append(pair[0])
        elses.append(pair[1])
        values.append(pair[0].value)
        else_values.append(pair[1].value)
    b.store.features.add("ifelse")
    outs = b.apply(Op.IFELSE, [cond, *thens, *elses], IfElseParams(len(thens)), values + else_values)
    return outs[0]


# -- random draws ------------------------------------------------------------------------------

def _float_param(b: Builder, size: tuple[int, ...], lo: float, hi: float) -> object:
    """A distribution parameter: a Python float, or a pool variable that broadcasts to ``size``."""
    def fits(e: Entry) -> bool:
        return e.dtype.startswith("float") and len(e.shape) <= len(size) and all(
            a in (1, n) for a, n in zip(e.shape[::-1], size[::-1]))

    found = b.reuse(fits, Domain(lo, hi), p_fresh=0.7)
    if found is not None:
        return found.var
    return float(b.integer(round(lo * 4), round(hi * 4))) / 4


def _draw_args(b: Builder, dist: str, size: tuple[int, ...]) -> dict[str, object]:
    floats = ("float64", "float32", "float16")
    ints = ("int64", "int32", "int16", "int8", "uint8", "uint32")
    if dist == "uniform":
        return {"low": _float_param(b, size, -5, 0), "high": _float_param(b, size, 0, 5),
                "dtype": b.pick_from(floats)}
    if dist in ("normal", "truncated_normal"):
        return {"avg": _float_param(b, size, -5, 5), "std": _float_param(b, size, 0, 3),
                "dtype": b.pick_from(floats)}
    if dist == "binomial":
        return {"n": b.integer(0, 10), "p": _float_param(b, size, 0, 1), "dtype": b.pick_from(ints + floats)}
    if dist == "random_integers":
        low = b.integer(-5, 5)
        dtype = b.pick_from(ints)
        if dtype.startswith("u"):
            low = abs(low)
        return {"low": low, "high": low + b.integer(0, 5), "dtype": dtype}
    if dist == "poisson":
        return {"lam": _float_param(b, size, 0, 10), "dtype": b.pick_from(ints + floats)}
    if dist == "choice":
        n = b.integer(1, 5)
        replace = not b.flag(0.3)
        args: dict[str, object] = {"a": n, "replace": replace}
        if b.flag(0.4):
            w = np.array([b.integer(1, 4) for _ in range(n)], dtype="float64")
            args["p"] = (w / w.sum()).tolist()
        return args
    if dist == "permutation":
        return {"n": b.integer(0, 5), "dtype": b.pick_from(ints[:4])}
    k = b.integer(1, 4)
    w = np.array([b.integer(1, 4) for _ in range(k)], dtype="float64")
    return {"n": b.integer(0, 10), "pvals": tuple((w / w.sum()).tolist()), "dtype": b.pick_from(ints + floats)}


def random_draw(b: Builder) -> Entry:
    """A draw of any distribution: from the program's RandomStreams (a shared state with a default
    update) or, in single graphs and nested loops, from an explicit state input (the raw functions)."""
    dist = b.pick_from(DISTRIBUTIONS)
    size = tuple(b.integer(0, 3) for _ in range(b.index(3 if dist not in ("permutation", "multinomial") else 2)))
    args = _draw_args(b, dist, size)
    if dist == "choice" and not args["replace"] and int(np.prod(size, dtype=np.int64)) > int(str(args["a"])):
        args["replace"] = True
    b.store.features.add("random")
    srng = b.store.srng
    try:
        if srng is not None and b.depth <= 1 and b.flag(0.8):
            value: Variable = srng.gen(getattr(raw_random, dist), size, **args)
            rng = getattr(value, "rng")
            assert isinstance(rng, SharedVariable)
            b.store.shared.append(rng)
            b.store.shared_values.append(np.array(rng.container.value, dtype="uint32"))
            return b.adopt([value])[0]
        state = b.input(TensorType("uint32", shape=(4,)), seed_state(b.integer(0, 2**16), b.index(4)))
        b.pool.pop()  # a state input is not a general operand
        new_state, value = getattr(raw_random, dist)(state.var, size, **args)
    except API_ERRORS as exc:
        raise Reject(str(exc)) from exc
    return b.adopt([value, new_state])[0]


# -- program leaves ----------------------------------------------------------------------------

def shared_leaf(b: Builder) -> Entry:
    """A shared variable (static lengths unknown, or fixed) holding a drawn value."""
    if b.depth > 0:
        raise Reject("shared variables are made outside loops")
    dtype = b.dtype(DTYPE_ORDER)
    value = b.array(dtype, b.shape(), None, b.special_now())
    var = refspec.shared(value, name=f"s{len(b.store.shared)}",
                         shape=value.shape if b.flag(0.2) else None)
    b.store.shared.append(var)
    b.store.shared_values.append(value.copy())
    return b.add(var, var.container.value)


def given(b: Builder) -> Entry:
    """A placeholder that ``givens`` replaces by a pool variable of the same dtype and ndim."""
    if b.depth > 0:
        raise Reject("givens are made outside loops")
    r = b.reuse(lambda e: not e.given, p_fresh=0)
    if r is None:
        raise Reject("nothing to give")
    p = TensorType(r.dtype, shape=(None,) * r.ndim)(f"g{len(b.store.givens)}")
    b.store.givens.append((p, r.var))
    return b.add(p, r.value, given=True)


# -- scan --------------------------------------------------------------------------------------

def all_inner_nodes(params: ScanParams) -> int:
    """How many distinct nodes a scan body holds, nested bodies included."""
    seen: set[int] = set()
    stack = [params]
    while stack:
        p = stack.pop()
        roots = list(p.inner_outputs) + ([p.until] if p.until is not None else [])
        for n in toposort(roots):
            if id(n) not in seen:
                seen.add(id(n))
                if isinstance(n.params, ScanParams):
                    stack.append(n.params)
    return len(seen)


def _until(child: Builder) -> Variable:
    x = child.reuse(lambda e: not e.dtype.startswith("complex"), p_fresh=0)
    if x is None:
        x = child.fresh("float64", ())
    zero = Entry(refspec.tensor.constant(np.zeros((), dtype=x.dtype)), np.zeros((), dtype=x.dtype))
    cond = child.apply1(Op.GT, [x, zero])
    if cond.ndim:
        cond = child.apply1(Op.ANY, [cond], ReduceParams(None, False))
    return cond.var


def scan(b: Builder, grow: Grow) -> Entry:
    """A scan: sequences with taps, recurrent outputs with taps -1/-2/..., map outputs,
    non-sequences, n_steps given or inferred, go_backwards, until, nesting, shared updates."""
    if b.depth >= 2:
        raise Reject("scan nested too deep")
    store = b.store
    features = {"scan"} | ({"nested_scan"} if b.depth else set())
    go_back = b.flag(0.2)
    steps = b.draw_length()
    seqs: list[tuple[Entry, tuple[int, ...]]] = []
    for _ in range(b.index(3)):
        taps = SEQ_TAPS[b.index(len(SEQ_TAPS))] if b.flag(0.4) else (0,)
        lo, hi = tap_window(taps)
        found = b.reuse(lambda e: e.ndim >= 1 and e.shape[0] >= hi - lo + 1)
        seqs.append((found or b.fresh(b.dtype(DTYPE_ORDER), (hi - lo + max(steps, 1),) + b.shape(0, 2)), taps))
    n_steps: Entry | None = None
    if not seqs or not b.flag(0.6):  # explicit n_steps is the simpler case (no length nodes)
        if seqs:
            steps = min(steps, min(e.shape[0] - (tap_window(t)[1] - tap_window(t)[0]) for e, t in seqs))
        n_steps = b.int_scalar(steps)
    recs: list[tuple[Entry, tuple[int, ...]]] = []
    n_rec = b.index(3)
    for _ in range(n_rec):
        taps = (-1,) if not b.flag(0.35) else OUT_TAPS[1 + b.index(len(OUT_TAPS) - 1)]
        depth = -min(taps)
        if taps == (-1,):
            init = source(b, DTYPES)
        else:
            init = b.reuse(lambda e: e.ndim >= 1 and e.shape[0] >= depth) or b.fresh(
                b.dtype(DTYPE_ORDER), (depth + b.index(2),) + b.shape(0, 2))
        recs.append((init, taps))
    n_map = 1 if not recs else b.index(2)
    non_seqs = list({id(e.var): e for e in (source(b, DTYPES) for _ in range(b.index(3)))}.values())
    if any(t != (0,) for _, t in seqs) or any(t != (-1,) for _, t in recs):
        features.add("taps")

    # values of the placeholders at step 0 (interp/scan.py's indexing)
    start: list[np.ndarray[Any, Any]] = []
    for e, taps in seqs:
        lo, hi = tap_window(taps)
        seq = e.value[::-1] if go_back else e.value
        start.extend(seq[hi - k if go_back else k - lo] for k in taps)
    for init, taps in recs:
        depth = -min(taps)
        start.extend([init.value] if taps == (-1,) else [init.value[depth + t] for t in taps])
    rec_types = [(init.dtype, init.shape if taps == (-1,) else init.shape[1:]) for init, taps in recs]
    may_update = b.depth == 0 and store.program
    targets = [s for s in store.shared if s.default_update is None
               and all(s is not t for t, _ in store.updates)] if may_update else []

    def fn(*args: Variable) -> list[object]:
        pool = b.pool[-3:] + non_seqs + [Entry(p, v) for p, v in zip(args, start)]
        child = Builder(b.draw, store, pool, b.depth + 1)
        first = len(pool)
        grow(child, 1 + b.index(4))
        made = child.pool[first:] or child.pool[-1:]
        outs: list[object] = [child.fit(child.pick_from(made[::-1]), d, s).var for d, s in rec_types]
        outs += [child.pick_from(made[::-1]).var for _ in range(n_map)]
        if targets and b.flag(0.3):
            s = b.pick_from(targets)
            outs.append({s: child.fit(child.pick_from(made[::-1]), s.dtype, s.container.value.shape).var})
        if b.flag(0.25):
            features.add("until")
            outs.append(until(_until(child)))
        return outs

    outputs_info: list[object] = [{"initial": init.var, "taps": list(taps)} for init, taps in recs] + [None] * n_map
    before = store.nodes
    try:
        outs, updates = scan_api(
            fn, sequences=[{"input": e.var, "taps": list(t)} for e, t in seqs],
            outputs_info=outputs_info, non_sequences=[e.var for e in non_seqs],
            n_steps=None if n_steps is None else n_steps.var, go_backwards=go_back, return_list=True)
    except API_ERRORS as exc:
        raise Reject(str(exc)) from exc
    assert isinstance(outs, list)
    # the body may clone outer nodes it reads (they depend on a non-sequence): count what it holds
    node = outs[0].owner
    assert node is not None and isinstance(node.params, ScanParams)
    inner = all_inner_nodes(node.params)
    store.nodes = max(store.nodes, before + inner)
    if store.nodes > store.budget:
        raise Reject("node budget spent")
    if any(any(s is t for t, _ in store.updates) for s in updates):
        raise Reject("a shared variable would be updated twice")
    if updates and b.depth > 0:
        raise Reject("updates of nested loops are not passed on")
    entries = b.adopt([*outs, *updates.values()])
    store.updates.extend(updates.items())
    store.features |= features
    return entries[0]


def builders(grow: Grow) -> dict[Op | str, Callable[[Builder], Entry]]:
    return {
        Op.PRINT: print_node, Op.IFELSE: ifelse, Op.RANDOM: random_draw,
        Op.SCAN: lambda b: scan(b, grow), "shared": shared_leaf, "given": given,
    }

