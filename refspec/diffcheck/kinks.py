"""Where a finite-difference gradient check says nothing: kinks and discontinuities near a point.

A difference quotient across a kink (abs at 0, a maximum at a tie, floor at an integer, a comparison
that flips a switch, ...) measures neither one-sided derivative, while the symbolic gradient is the
subgradient of spec/autodiff.md. Each such node gets a *region* of its inputs' values: an array of
discrete labels (the sign of x for abs, which operand wins for maximum, the output of a node that
turns floats into discrete values, ...). A point is near a kink when, moved by ``PROBE`` along a few
random directions (both ways), some node's region changes, or when a region is at a tie already
(two maxima equal, a value exactly on its kink). Kinks inside a scan body are not traced: the caller
skips such graphs. Values are computed by a tracing copy of the reference's lazy evaluator, so an
untaken ifelse branch is not evaluated (it may be the poisoned one).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from refspec.ast import Apply, Array, Op, Variable, toposort
from refspec.dtypes import is_float
from refspec.interp.evaluate import evaluate_values
from refspec.params import ReduceParams, ScanParams

PROBE = 1e-2  # ten times verify_grad's largest step: a kink this close may be crossed
PROBES = 3  # random directions, each tried both ways

# ops whose derivative jumps somewhere in the interior of their domain (float output of float input)
FLOAT_KINKS = frozenset({
    Op.ABS, Op.SIGN, Op.FLOOR, Op.CEIL, Op.TRUNC, Op.ROUND_HALF_EVEN, Op.ROUND_HALF_AWAY, Op.MAXIMUM,
    Op.MINIMUM, Op.CLIP, Op.MOD, Op.INT_DIV, Op.SWITCH, Op.MAX, Op.MIN, Op.IFELSE,
    Op.ARCTAN2,  # a jump of 2 pi across the negative x axis, and a pole at the origin
})
# ops with a pole or a domain edge (where the derivative is unbounded) inside their float domain:
# a difference quotient across or next to one is meaningless
POLES = frozenset({
    Op.TRUE_DIV, Op.TAN, Op.GAMMA, Op.GAMMALN, Op.PSI, Op.POW, Op.LOG, Op.LOG2, Op.LOG10, Op.LOG1P,
    Op.SQRT, Op.ARCSIN, Op.ARCCOS, Op.ERFINV,
})


def is_kink(node: Apply) -> bool:
    """Whether ``node`` can be non-differentiable at some interior point of its domain."""
    if node.op in FLOAT_KINKS or node.op in POLES:
        return True
    # a float turned into a discrete value (comparison, cast to int or bool, argmax, isnan, ...)
    return any(_continuous(v) for v in node.inputs) and not all(_continuous(o) for o in node.outputs)


def scan_kinks(roots: Sequence[Variable]) -> bool:
    """Whether a scan body in ``roots``' graph holds a kink (this module cannot trace it)."""
    for node in toposort(list(roots)):
        if isinstance(node.params, ScanParams):
            inner = list(node.params.inner_outputs)
            if node.params.until is not None:
                inner.append(node.params.until)
            if any(is_kink(n) for n in toposort(inner)) or scan_kinks(inner):
                return True
    return False


def _why(node: Apply) -> str:
    return "pole" if node.op in POLES else "kink"


def _continuous(v: Variable) -> bool:
    return v.dtype.startswith(("float", "complex"))


def trace(roots: Sequence[Variable], env: Mapping[Variable, Array]) -> dict[Variable, Array]:
    """Every value the reference computes for ``roots`` (lazily, as ``refspec.interp.evaluate``)."""
    return evaluate_values(roots, env)


def region(node: Apply, values: Mapping[Variable, Array]) -> tuple[Array, bool] | None:
    """The node's region labels at ``values`` and whether it sits on a tie (None: not evaluated)."""
    if any(v not in values for v in node.inputs[:1]) or any(o not in values for o in node.outputs):
        return None
    args = [values[v] for v in node.inputs if v in values]
    outs = [values[o] for o in node.outputs]
    op = node.op
    if op not in (Op.SWITCH, Op.IFELSE) and not any(a.dtype.kind in "fc" for a in args):
        return None  # discrete inputs do not move
    if op in (Op.ABS, Op.SIGN):
        s = np.sign(args[0])
        return s, bool(np.any(s == 0))
    if op in (Op.MAXIMUM, Op.MINIMUM):
        s = np.sign(np.subtract(args[0], args[1], dtype=np.float64))
        return s, bool(np.any(s == 0))
    if op in POLES:
        return _pole(op, args)
    if op is Op.ARCTAN2:  # the quadrant: leaving it may cross the branch cut or pass the pole
        num, den = (np.asarray(a, dtype=np.float64) for a in args)
        s = np.sign(num) + 3 * np.sign(den)
        return s, bool(np.any((num == 0) & (den <= 0)))
    if op is Op.CLIP:
        # which bound is active, and whether the bounds cross (lo > hi clips everything to hi)
        v, lo, hi = (np.asarray(a, dtype=np.float64) for a in args)
        s = np.sign(v - lo) + 3 * np.sign(v - hi) + 9 * np.sign(hi - lo)
        return s, bool(np.any(v == lo) or np.any(v == hi) or np.any(lo == hi))
    if op in (Op.MOD, Op.INT_DIV):
        with np.errstate(all="ignore"):
            q = np.floor_divide(args[0], args[1])
            exact = np.mod(args[0], args[1]) == 0
        return q, bool(np.any(exact))
    if op in (Op.FLOOR, Op.CEIL, Op.TRUNC, Op.ROUND_HALF_EVEN, Op.ROUND_HALF_AWAY):
        x = args[0]
        on = bool(np.any(x == np.floor(x))) if op in (Op.FLOOR, Op.CEIL, Op.TRUNC) else bool(
            np.any(np.subtract(x, np.floor(x), dtype=np.float64) == 0.5))
        return outs[0], on
    if op in (Op.SWITCH, Op.IFELSE):
        return np.asarray(args[0] != 0), False
    if op in (Op.MAX, Op.MIN) and isinstance(node.params, ReduceParams):
        x, top = args[0], outs[0]
        if not node.params.keepdims:
            axes = node.params.axis if node.params.axis is not None else tuple(range(x.ndim))
            top = np.expand_dims(top, axes)
        hit = x == top
        counts = np.sum(hit, axis=node.params.axis, keepdims=True) if x.ndim else hit
        return hit, bool(np.any(counts > 1))
    if is_kink(node):  # a float turned into a discrete value: the discrete value is the region
        return np.concatenate([np.ravel(o).astype(np.float64) for o in outs]), False
    return None


def _pole(op: Op, args: Sequence[Array]) -> tuple[Array, bool]:
    """Which side of each pole or domain edge the operand is on, and whether it is on one."""
    if op is Op.TRUE_DIV:
        side = np.sign(np.asarray(args[1], dtype=np.float64))
        return side, bool(np.any(side == 0))
    if op is Op.POW:
        side = np.sign(np.asarray(args[0], dtype=np.float64))
        return side, bool(np.any(side == 0))
    x = np.asarray(args[0], dtype=np.float64)
    if op is Op.TAN:  # poles at pi/2 + k pi
        side = np.floor((x + np.pi / 2) / np.pi)
        return side, False
    if op in (Op.GAMMA, Op.GAMMALN, Op.PSI):  # poles at 0, -1, -2, ...
        side = np.where(x > 0, 1.0, np.floor(x))
        return side, bool(np.any((x <= 0) & (x == np.floor(x))))
    if op in (Op.ARCSIN, Op.ARCCOS, Op.ERFINV):  # edges at -1 and 1
        side = np.sign(1 - np.abs(x))
        return side, bool(np.any(side == 0))
    side = np.sign(x + 1 if op is Op.LOG1P else x)  # log, sqrt: the edge at 0 (log1p: at -1)
    return side, bool(np.any(side == 0))


def near_kink(roots: Sequence[Variable], leaves: Sequence[Variable], point: Sequence[Array],
              env: Mapping[Variable, Array], rng: np.random.Generator) -> str | None:
    """Why the gradient of ``roots`` at ``point`` (values of the float ``leaves``; ``env`` holds every
    other input) is not worth checking: "non-finite" (some float value in the graph is not finite),
    "kink" (a tie, or a region change within PROBE), "pole" (the same, of a pole or a domain edge),
    or None when the point is clear."""
    kinks = [n for n in toposort(list(roots)) if is_kink(n)]
    base = trace(roots, {**env, **dict(zip(leaves, point))})
    if any(_continuous(v) and not np.all(np.isfinite(a)) for v, a in base.items() if isinstance(a, np.ndarray)):
        return "non-finite"
    regions = {}
    for node in kinks:
        r = region(node, base)
        if r is None:
            continue
        if r[1]:
            return _why(node)
        regions[node] = r[0]
    if not regions:
        return None
    floats = [i for i, p in enumerate(point) if is_float(p.dtype.name)]
    for _ in range(PROBES):
        dirs = [rng.standard_normal(point[i].shape) for i in floats]
        norm = np.sqrt(sum(float(np.sum(d * d)) for d in dirs)) or 1.0
        for sign in (1.0, -1.0):
            moved = list(point)
            for i, d in zip(floats, dirs):
                moved[i] = (point[i].astype(np.float64) + sign * PROBE * d / norm).astype(point[i].dtype)
            try:
                there = trace(roots, {**env, **dict(zip(leaves, moved))})
            except Exception:  # noqa: BLE001 - the domain ends within PROBE
                return "pole"
            if any(_continuous(v) and not np.all(np.isfinite(a)) for v, a in there.items()
                   if isinstance(a, np.ndarray)):
                return "pole"  # a value stops being finite within PROBE: a domain edge is near
            for node, labels in regions.items():
                r = region(node, there)
                if r is None or r[0].shape != labels.shape or not np.array_equal(r[0], labels):
                    return _why(node)
    return None
