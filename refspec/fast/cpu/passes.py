"""The fast path's rewrite tables, in the order the pipeline applies them (spec/numerics.md).

``CANONICALIZE`` preserves values exactly (bit for bit): constant folding through the reference
table, shape folding, and IEEE-exact algebra (x*1, x/1, x-0, x**1, --x; never x*0 or x+0, which
are wrong for NaN/inf and -0). ``STABILIZE`` holds the declared *refinements*: rewrites into
numerically stable forms that may turn the reference's overflow, NaN or lost precision into the
finite true value; spec/numerics.md lists each one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from refspec.ast import (
    COMPLEX_DTYPES,
    EFFECTFUL,
    FLOAT_DTYPES,
    LOOPS,
    RANDOM,
    Apply,
    Constant,
    Op,
    Variable,
    toposort,
)
from refspec.fast.cpu.shapes import ShapeOf
from refspec.interp.reference import REFERENCE
from refspec.ops import apply1, make_node
from refspec.params import DimShuffleParams, IndexParams, ScalarIndex, ScanParams, ShapeParams
from refspec.rewrite import Callback, Pat, PatternMatcher, Rule, const, rebuild, var
from refspec.tensor.basic import constant

FOLD_LIMIT = 100_000  # elements: larger results stay computations rather than embedded constants


def _same_type(new: Variable, old: Variable) -> Variable | None:
    """``new`` if it can stand for ``old``: same dtype and ndim, static lengths at least as known."""
    if new.dtype != old.dtype or new.ndim != old.ndim:
        return None
    if any(o is not None and n != o for n, o in zip(new.type.shape, old.type.shape)):
        return None
    return new


def _all_equal(value: float) -> Pat:
    return const("c", where=lambda c: isinstance(c, Constant) and c.data.size > 0 and bool(np.all(c.data == value)))


# -- canonicalize: exact ------------------------------------------------------------------------


def _fold(b: dict[str, Variable]) -> Variable | None:
    """A node whose inputs are all constants becomes a constant, computed by the reference itself."""
    out = b["_"]
    node = out.owner
    if node is None or len(node.outputs) != 1 or not node.inputs:
        return None
    if node.op in EFFECTFUL or node.op in LOOPS or node.op in RANDOM:
        return None
    if not all(isinstance(v, Constant) for v in node.inputs):
        return None
    try:
        with np.errstate(all="ignore"):
            (value,) = REFERENCE[node.op](node.params, *[v.data for v in node.inputs])  # type: ignore[attr-defined]
    except Exception:
        return None  # an error stays a run-time error (and stays lazy under ifelse)
    if value.size > FOLD_LIMIT:
        return None
    return constant(value, dtype=out.dtype)


def _fold_shape(b: dict[str, Variable]) -> Variable | None:
    x = b["x"]
    if any(s is None for s in x.type.shape):
        return None
    if x.owner is not None:
        # a computed value's static shape holds only if computing it succeeds: shape(x + y) with
        # x of static length 3 and y of length 4 raises on the reference, and so must it here
        return None
    return constant(np.array(x.type.shape, dtype=np.int64), dtype="int64")


def _keep_x(b: dict[str, Variable]) -> Variable | None:
    return _same_type(b["x"], b["_"])


def _keep_real_x(b: dict[str, Variable]) -> Variable | None:
    """x*1, x/1, x**1 are exact for real dtypes only: complex arithmetic with 1+0j turns inf parts
    into NaN and a -0.0 imaginary part into 0.0."""
    if b["_"].dtype in COMPLEX_DTYPES:
        return None
    return _same_type(b["x"], b["_"])


def _positive_zeros() -> Pat:
    """A constant of +0.0 (or 0) everywhere: x - (-0.0) is x + 0.0, which turns -0.0 into 0.0."""

    def test(c: Variable) -> bool:
        if not isinstance(c, Constant) or c.data.size == 0 or not bool(np.all(c.data == 0)):
            return False
        parts = (c.data.real, c.data.imag) if c.data.dtype.kind == "c" else (c.data,)
        return not any(bool(np.any(np.signbit(p))) for p in parts)

    return const("c", where=test)


def _double_dimshuffle(b: dict[str, Variable]) -> Variable | None:
    outer, inner = b["_"].owner, b["y"].owner
    assert outer is not None and inner is not None
    assert isinstance(outer.params, DimShuffleParams) and isinstance(inner.params, DimShuffleParams)
    order = tuple("x" if d == "x" else inner.params.new_order[int(d)] for d in outer.params.new_order)
    x = inner.inputs[0]
    kept = [d for d in order if d != "x"]
    if not all(x.type.shape[a] == 1 for a in range(x.ndim) if a not in kept):
        return None
    if order == tuple(range(x.ndim)):
        return _same_type(x, b["_"])
    return apply1(Op.DIMSHUFFLE, [x], DimShuffleParams(order))


def _redundant_specify_shape(b: dict[str, Variable]) -> Variable | None:
    node = b["_"].owner
    assert node is not None and isinstance(node.params, ShapeParams)
    x = b["x"]
    if all(s is None or s == t for s, t in zip(node.params.shape, x.type.shape)):
        return _same_type(x, b["_"])
    return None


def _effect_free(v: Variable) -> bool:
    """No Print (no effectful node) in ``v``'s graph: a rule may drop ``v`` only then, since the
    reference runs that effect (fill(print(x), 0) prints)."""
    return not any(node.op in EFFECTFUL for node in toposort([v]))


def _second_rule(shape_of: ShapeOf) -> Rule:
    def rule(b: dict[str, Variable]) -> Variable | None:
        value = b["v"]
        if shape_of(value) == shape_of(b["_"]) and _effect_free(b["m"]):
            return _same_type(value, b["_"])
        return None

    rule.__name__ = "_second_of_same_shape"
    return Pat(Op.SECOND, (var("m"), var("v"))), rule


def _times_ones_rules(shape_of: ShapeOf) -> list[Rule]:
    """x * fill(m, 1) -> x and x * -fill(m, 1) -> -x, when x alone has the product's shape (the
    gradient rules multiply by such fills; dropping them is exact)."""

    def keep(b: dict[str, Variable]) -> Variable | None:
        if b["_"].dtype in COMPLEX_DTYPES:
            return None  # complex * (1+0j) is not exact (see _keep_real_x)
        if shape_of(b["x"]) == shape_of(b["_"]) and _effect_free(b["m"]):
            return _same_type(b["x"], b["_"])
        return None

    def negate(b: dict[str, Variable]) -> Variable | None:
        if b["_"].dtype in COMPLEX_DTYPES:
            return None
        if shape_of(b["x"]) == shape_of(b["_"]) and _effect_free(b["m"]):
            return _same_type(_neg(b["x"]), b["_"])
        return None

    keep.__name__, negate.__name__ = "_times_fill_of_ones", "_times_minus_fill_of_ones"
    ones = Pat(Op.SECOND, (var("m"), _all_equal(1)))
    minus_ones = Pat(Op.NEG, (ones,))
    return [
        (Pat(Op.MUL, (var("x"), ones)), keep),
        (Pat(Op.MUL, (ones, var("x"))), keep),
        (Pat(Op.MUL, (var("x"), minus_ones)), negate),
        (Pat(Op.MUL, (minus_ones, var("x"))), negate),
    ]


def _sum_to_rule(shape_of: ShapeOf) -> Rule:
    def rule(b: dict[str, Variable]) -> Variable | None:
        g, target = b["g"], b["s"]
        wanted = shape_of.vector_entries(target)
        if wanted is not None and shape_of(g) == wanted and _effect_free(target):
            return _same_type(g, b["_"])
        return None

    rule.__name__ = "_sum_to_of_same_shape"
    return Pat(Op.SUM_TO, (var("g"), var("s"))), rule


def canonicalize(shape_of: ShapeOf) -> PatternMatcher:
    rules: list[Rule] = [
        (Pat(name="_"), _fold),  # f(constants) -> constant
        (Pat(Op.SHAPE, (var("x"),)), _fold_shape),  # shape(x) -> constant: x an input of static shape
        (Pat(Op.MUL, (var("x"), _all_equal(1))), _keep_real_x),  # x*1 -> x
        (Pat(Op.MUL, (_all_equal(1), var("x"))), _keep_real_x),  # 1*x -> x
        (Pat(Op.TRUE_DIV, (var("x"), _all_equal(1))), _keep_real_x),  # x/1 -> x
        (Pat(Op.SUB, (var("x"), _positive_zeros())), _keep_x),  # x-0 -> x (-0 - 0 is -0)
        (Pat(Op.POW, (var("x"), _all_equal(1))), _keep_real_x),  # x**1 -> x
        (Pat(Op.NEG, (Pat(Op.NEG, (var("x"),)),)), _keep_x),  # --x -> x
        (Pat(Op.DIMSHUFFLE, (Pat(Op.DIMSHUFFLE, name="y"),)), _double_dimshuffle),  # compose
        (Pat(Op.SPECIFY_SHAPE, (var("x"),)), _redundant_specify_shape),  # known already
        _sum_to_rule(shape_of),  # sum_to(g, shape(x)) -> g when g provably has x's shape
        _second_rule(shape_of),  # fill(m, v) -> v when v provably has the result's shape
        *_times_ones_rules(shape_of),  # x * fill(m, 1) -> x, x * -fill(m, 1) -> -x
    ]
    return PatternMatcher(rules)


# -- stabilize: declared refinements (spec/numerics.md) -----------------------------------------


def _neg(x: Variable) -> Variable:
    return apply1(Op.NEG, [x])


def _float(v: Variable) -> bool:
    """Negating ``v`` is exact and ``sigmoid``/``softplus`` take it: a float (integers wrap
    under negation, -128 stays -128 in int8, and bool has no negation; complex has no sigmoid)."""
    return v.dtype in FLOAT_DTYPES


def _sigmoid_of_neg(b: dict[str, Variable]) -> Variable | None:
    if not _float(b["u"]):
        return None
    return _same_type(apply1(Op.SIGMOID, [_neg(b["u"])]), b["_"])


def _sigmoid_neg_z(b: dict[str, Variable]) -> Variable | None:
    if not _float(b["z"]):
        return None
    return _same_type(apply1(Op.SIGMOID, [_neg(b["z"])]), b["_"])


def _neg_softplus_neg(b: dict[str, Variable]) -> Variable | None:
    if not _float(b["z"]):
        return None
    return _same_type(_neg(apply1(Op.SOFTPLUS, [_neg(b["z"])])), b["_"])


def _to(op: Op, name: str) -> Callback:
    """Replace the match by ``op`` applied to the variable bound to ``name``."""

    def rule(b: dict[str, Variable]) -> Variable | None:
        if op is Op.SOFTPLUS and b[name].dtype in COMPLEX_DTYPES:
            return None  # softplus is real-only
        return _same_type(apply1(op, [b[name]]), b["_"])

    rule.__name__ = f"_to_{op.value}"  # the name the rewrite log and Function.report() show
    return rule


def _log_softmax(b: dict[str, Variable]) -> Variable | None:
    node = b["s"].owner
    assert node is not None
    return _same_type(apply1(Op.LOG_SOFTMAX, [node.inputs[0]], node.params), b["_"])


_ONE = _all_equal(1)
_EXP_U = Pat(Op.EXP, (var("u"),))

STABILIZE = PatternMatcher([
    (Pat(Op.TRUE_DIV, (_ONE, Pat(Op.ADD, (_ONE, _EXP_U)))), _sigmoid_of_neg),  # 1/(1+exp(u)) -> sigmoid(-u)
    (Pat(Op.TRUE_DIV, (_ONE, Pat(Op.ADD, (_EXP_U, _ONE)))), _sigmoid_of_neg),  # 1/(exp(u)+1) -> sigmoid(-u)
    (Pat(Op.SUB, (_ONE, Pat(Op.SIGMOID, (var("z"),)))), _sigmoid_neg_z),  # 1-sigmoid(z) -> sigmoid(-z)
    (Pat(Op.LOG, (Pat(Op.SIGMOID, (var("z"),)),)), _neg_softplus_neg),  # log(sigmoid(z)) -> -softplus(-z)
    (Pat(Op.LOG, (Pat(Op.ADD, (_ONE, _EXP_U)),)), _to(Op.SOFTPLUS, "u")),  # log(1+exp(u)) -> softplus(u)
    (Pat(Op.LOG, (Pat(Op.ADD, (_ONE, var("x"))),)), _to(Op.LOG1P, "x")),  # log(1+x) -> log1p(x)
    (Pat(Op.LOG, (Pat(Op.ADD, (var("x"), _ONE)),)), _to(Op.LOG1P, "x")),  # log(x+1) -> log1p(x)
    (Pat(Op.SUB, (_EXP_U, _ONE)), _to(Op.EXPM1, "u")),  # exp(u)-1 -> expm1(u)
    (Pat(Op.LOG, (Pat(Op.SOFTMAX, name="s"),)), _log_softmax),  # log(softmax(x)) -> log_softmax(x)
])


# -- merge: one node per distinct computation -----------------------------------------------------


def merge(roots: Sequence[Variable]) -> list[Variable]:
    """Common subexpressions become one node (equal op, params and inputs; equal constants), to a
    fixed point (merging inputs can make their consumers equal). Effectful nodes (Print) are never
    merged: each prints."""
    out = list(roots)
    for _ in range(20):
        before = len(toposort(out))
        out = _merge_once(out)
        if len(toposort(out)) == before:
            break
    return out


def _merge_once(roots: Sequence[Variable]) -> list[Variable]:
    seen: dict[tuple[object, ...], Variable] = {}
    consts: dict[tuple[object, bytes], Variable] = {}
    memo: dict[int, Variable] = {}
    for node in toposort(roots):
        for v in node.inputs:
            if isinstance(v, Constant) and id(v) not in memo:
                memo[id(v)] = consts.setdefault((v.type, v.data.tobytes()), v)
    new_roots = rebuild(list(roots), memo, lambda v: v)
    memo2: dict[int, Variable] = {}
    for node in toposort(new_roots):
        if node.op in EFFECTFUL or len(node.outputs) != 1:
            continue
        inputs = tuple(id(memo2.get(id(v), v)) for v in node.inputs)
        found = seen.get((node.op, node.params, inputs))
        if found is None:
            seen[(node.op, node.params, inputs)] = node.outputs[0]
        elif found is not node.outputs[0] and found.type == node.outputs[0].type:
            memo2[id(node.outputs[0])] = found
    return rebuild(list(new_roots), memo2, lambda v: v) if memo2 else new_roots



# -- loops: outputs read only at [-1] keep only their last step ----------------------------------


def _reads_last_step_only(node: Apply) -> bool:
    """``out[-1]`` with a constant index and nothing else."""
    return (node.op is Op.SUBTENSOR and len(node.inputs) == 1 and isinstance(node.params, IndexParams)
            and node.params.entries == (ScalarIndex(-1),))


def last_step_only(roots: Sequence[Variable]) -> list[Variable]:
    """Mark scan outputs that the graph reads only as ``[-1]`` last-only (spec/scan.md): the loop then
    keeps one step instead of stacking all of them. Values are unchanged (exact)."""
    nodes = toposort(roots)
    consumers: dict[int, list[Apply]] = {}
    for node in nodes:
        for v in node.inputs:
            consumers.setdefault(id(v), []).append(node)
    root_ids = {id(r) for r in roots}
    memo: dict[int, Variable] = {}
    for node in nodes:
        p = node.params
        if node.op is not Op.SCAN or not isinstance(p, ScanParams):
            continue
        marked = {j for j, out in enumerate(node.outputs[:len(p.out_taps)])
                  if id(out) not in root_ids and consumers.get(id(out))
                  and all(_reads_last_step_only(c) for c in consumers[id(out)])}
        if not marked - set(p.last_only):
            continue
        clone = make_node(Op.SCAN, list(node.inputs), replace(p, last_only=tuple(sorted(marked | set(p.last_only)))))
        clone.source = node.source
        for old, new in zip(node.outputs, clone.outputs):
            memo[id(old)] = new
    return rebuild(list(roots), memo, lambda v: v) if memo else list(roots)
