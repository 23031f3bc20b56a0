"""Telling a path's declared rounding from a bug: every node alone, within its bound.

The GPU path computes some ops other than bit for bit like the reference (libm functions, sums in
another order: ``refspec.fast.gpu.exactness``). A few ulps there can grow into any difference
downstream (a cancelling subtraction, ``floor``, a comparison, ``argmax`` of a near-tie), so an
output's error says little. Instead each node the reference computes runs alone on the path, with the
reference's values of its inputs, and must give the reference's value within its bound:

- ``exact``: bit for bit (NaN anywhere NaN is, ``-0.0`` where ``-0.0`` is);
- ``rounded``: within ``compare.tolerance`` (16 ulps) of max(1, max |reference|), NaN and infinities
  in the same places;
- ``accumulated``: within ``compare.amplified_tolerance`` (sqrt(eps)) of the *magnitude*: the
  largest of 1, |reference| and the reference's value of the same op over the absolute values of its
  float operands (``sum |x|`` for a sum, ``|A| @ |B|`` for a product), since a sum that cancels is
  only as exact as its terms are large.

Integer and bool values are always exact. A loop beyond its bound is checked inside: its body, node
by node, at each step's inputs on the reference (the first ``MAX_STEPS`` steps), since one step's
rounding can flip a cast or a comparison in the next. When every node passes, the path's differing outputs are
rounding carried downstream (reported as refinements); otherwise the first node outside its bound is
the mismatch. Nodes an untaken ``ifelse`` branch holds are not computed, so not checked.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from refspec.ast import Apply, Array, Constant, Op, Variable, toposort
from refspec.compile.function import Function
from refspec.compile.program import Program
from refspec.diffcheck.compare import same_bits, amplified_tolerance, tolerance
from refspec.diffcheck.state import REFERENCE, compile_path, program_of, restore, roots_of, snapshot, state_of
from refspec.interp.evaluate import describe, evaluate, evaluate_values
from refspec.interp.scan import reference_step, run_scan
from refspec.ops import make_node
from refspec.params import ScanParams

Bound = Callable[[Apply], str]  # "exact", "rounded" or "accumulated" for a node


# a loop whose result is beyond its bound has its body checked at this many steps, at most
MAX_STEPS = 32

Compiled = dict[Apply, tuple[Function, list[Variable], Apply]]  # a node alone, compiled once per check


@dataclass(frozen=True)
class Beyond:
    """The first node (of the program's graph; a loop for a node in its body) outside its bound."""

    node: Apply | None  # None: the check itself could not run
    message: str


def first_node_beyond(program: Program, values: Sequence[object], path: str, bound: Bound,
                      calls: int = 1) -> Beyond | None:
    """None when, over ``calls`` calls from the current state, every node the reference computes
    gives on ``path`` alone its reference value within ``bound(node)``; else the first node outside
    its bound and what it did. The state is left as it was."""
    state = state_of(program)
    before = snapshot(state)
    reference = compile_path(program, REFERENCE)
    roots = roots_of(program)
    compiled: Compiled = {}
    try:
        for call in range(calls):
            with contextlib.redirect_stdout(io.StringIO()):  # Print nodes print on each run
                found = _first_beyond(roots, evaluate_values(roots, reference._bind(values, {})), path, bound,
                                      compiled)
                if found is not None:
                    return Beyond(found.node, (f"call {call + 1}: " if calls > 1 else "") + found.message)
                if call + 1 < calls:
                    reference(*values)
    except Exception as exc:  # noqa: BLE001 - the reference's own run failed: nothing to judge by
        return Beyond(None, f"the node-by-node check could not run: {type(exc).__name__}: {exc}")
    finally:
        restore(state, before)
    return None


def _first_beyond(roots: Sequence[Variable], computed: dict[Variable, Array], path: str, bound: Bound,
                  compiled: Compiled) -> Beyond | None:
    for node in toposort(roots):
        if not all(v in computed for v in node.inputs) or not all(v in computed for v in node.outputs):
            continue  # in an untaken branch
        try:
            found = _node_alone(node, computed, path, bound(node), compiled)
            if found is not None and isinstance(node.params, ScanParams):
                found = _inside_loop(node, node.params, [computed[v] for v in node.inputs], path, bound, compiled)
        except Exception as exc:  # noqa: BLE001 - a node the path cannot run alone is reported as such
            found = f"could not run alone: {type(exc).__name__}: {exc}"
        if found is not None:
            return Beyond(node, f"{describe(node)}, alone on {path}: {found}")
    return None


def _inside_loop(node: Apply, params: ScanParams, values: Sequence[Array], path: str, bound: Bound,
                 compiled: Compiled) -> str | None:
    """A loop beyond its bound as a whole is still rounding if its body, node by node, is within
    bounds at each step's inputs on the reference (the first ``MAX_STEPS`` steps): one step's
    rounding can flip a cast or a comparison in the next."""
    steps: list[list[Array]] = []
    run = reference_step(params)

    def recording(inner: list[Array]) -> list[Array]:
        if len(steps) < MAX_STEPS:
            steps.append([np.array(v, copy=True) for v in inner])
        return run(inner)

    run_scan(params, values[0], *values[1:], step=recording)
    roots = list(params.inner_outputs) + ([params.until] if params.until is not None else [])
    for k, inner in enumerate(steps):
        computed = evaluate_values(roots, dict(zip(params.inner_inputs, inner)))
        found = _first_beyond(roots, computed, path, bound, compiled)
        if found is not None:
            return f"step {k}: {found.message}"
    return None


def _node_alone(node: Apply, computed: dict[Variable, Array], path: str, kind: str, compiled: Compiled) -> str | None:
    """What is wrong with ``node``'s value on ``path`` from the reference's inputs (None: nothing)."""
    if node not in compiled:
        fresh: list[Variable] = [v if isinstance(v, Constant) else v.type() for v in node.inputs]
        clone = make_node(node.op, fresh, node.params)
        alone = [f for f in fresh if not isinstance(f, Constant)]
        compiled[node] = (compile_path(program_of(alone, clone.outputs), path), alone, clone)
    f, variables, clone = compiled[node]
    args = [computed[v] for v in node.inputs if not isinstance(v, Constant)]
    with contextlib.redirect_stdout(io.StringIO()) as printed:
        got = f(*args)
    got = got if isinstance(got, list) else [got]
    if node.op is Op.PRINT:  # its text, from the same value, is the reference's
        with contextlib.redirect_stdout(io.StringIO()) as expected:
            evaluate(clone.outputs, dict(zip(variables, args)))
        if printed.getvalue() != expected.getvalue():
            return f"printed {printed.getvalue()!r} where the reference prints {expected.getvalue()!r}"
    magnitude: list[Array] | None = None
    unspecified = _unspecified_cast(node, args)
    for k, (out, value) in enumerate(zip(node.outputs, got)):
        ref = computed[out]
        if not isinstance(value, np.ndarray) or value.dtype != ref.dtype or value.shape != ref.shape:
            return f"output {k}: {_describe(value)} where the reference has {_describe(ref)}"
        if unspecified is not None:  # compared where the value is specified only
            ref, value = np.where(unspecified, 0, ref), np.where(unspecified, 0, value)
        if same_bits(ref, value):
            continue
        if kind == "exact" or ref.dtype.kind not in "fc":
            return f"output {k} differs from the reference (an exact op):\n  reference {ref!r}\n  path      {value!r}"
        if kind == "rounded":
            tol, scale = tolerance(ref.dtype.name), _largest(ref)
        else:
            if magnitude is None:
                magnitude = _magnitudes(clone, variables, args)
            tol = amplified_tolerance(ref.dtype.name)
            scale = max(_largest(ref), _largest(magnitude[k]) if magnitude is not None else 1.0)
        found = _beyond(ref, value, tol, scale)
        if found is not None:
            return f"output {k} ({kind} op): {found}:\n  reference {ref!r}\n  path      {value!r}"
    return None


def _unspecified_cast(node: Apply, args: Sequence[Array]) -> Array | None:
    """Where a float to integer cast has no specified value (NaN, infinite, or out of the integer's
    range once truncated: spec/ops.md ``cast``); None for any other node."""
    if node.op is not Op.CAST or not args or not isinstance(args[0], np.ndarray):
        return None
    x, out = args[0], node.outputs[0].dtype
    if x.dtype.kind not in "fc" or np.dtype(out).kind not in "iu":
        return None
    info = np.iinfo(out)
    with np.errstate(invalid="ignore"):
        t = np.trunc(x.real if x.dtype.kind == "c" else x).astype(np.float64)
        return np.asarray(~np.isfinite(t) | (t < float(info.min)) | (t >= float(info.max) + 1.0))


def _magnitudes(clone: Apply, variables: Sequence[Variable], args: Sequence[Array]) -> list[Array] | None:
    """The reference's value of the op over the absolute values of its float operands."""
    absolute = [np.abs(a) if isinstance(a, np.ndarray) and a.dtype.kind in "fc" else a for a in args]
    try:
        return evaluate(clone.outputs, dict(zip(variables, absolute)))
    except Exception:  # noqa: BLE001 - no magnitude: the result's own scale serves
        return None


def _largest(a: Array) -> float:
    finite = a[np.isfinite(a)] if a.dtype.kind in "fc" else a
    return max(1.0, float(np.max(np.abs(finite.astype(np.complex128))))) if finite.size else 1.0


def _beyond(ref: Array, got: Array, tol: float, scale: float) -> str | None:
    """Why ``got`` is not ``ref`` within ``tol * scale`` (None: it is)."""
    if not np.array_equal(np.isnan(ref), np.isnan(got)):
        return "NaN in other places"
    infinite = np.isinf(ref) | np.isinf(got)
    with np.errstate(invalid="ignore"):
        if not np.array_equal(ref[infinite], got[infinite]):
            return "infinities in other places"
    finite = np.isfinite(ref)
    err = np.abs(got[finite].astype(np.complex128) - ref[finite].astype(np.complex128))
    if err.size and float(np.max(err)) > tol * scale:
        return f"off by {float(np.max(err)):.3g}, beyond {tol:.3g} x {scale:.3g}"
    return None


def _describe(value: object) -> str:
    if isinstance(value, np.ndarray):
        return f"{value.dtype}{value.shape}"
    return type(value).__name__
