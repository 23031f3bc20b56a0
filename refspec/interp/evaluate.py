"""The reference evaluator: a loop over nodes with an environment of values (JAX's ``eval_jaxpr``).

It is demand-driven so that ``ifelse`` is lazy: a node is evaluated only if an output needs it, and
an ifelse evaluates its condition first and then only the taken branch.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from refspec.ast import Apply, Array, Constant, Op, SharedVariable, Variable, toposort
from refspec.errors import MissingInputError
from refspec.interp.reference import REFERENCE, ifelse_inputs
from refspec.params import IfElseParams, ScanParams


class InternalTypeError(AssertionError):
    """The reference produced a value that does not fit the node's inferred type: a refspec bug."""


def describe(node: Apply) -> str:
    """The node, its op and params, and the user line that built it; a scan node by its inputs and
    the size of its body (its params' full text is the whole inner graph)."""
    where = f", built at {node.source}" if node.source is not None else ""
    params = node.params
    if not isinstance(params, ScanParams):
        return f"{node.op.value} node {node}{where}"
    name = f" {params.name!r}" if params.name else ""
    inner = len(toposort(list(params.inner_outputs) + ([params.until] if params.until is not None else [])))
    args = ", ".join(str(v) for v in node.inputs)
    return f"scan node{name} Apply(SCAN, [{args}]) ({inner} inner node{'' if inner == 1 else 's'}){where}"


def _needed(node: Apply, values: Mapping[Variable, Array]) -> list[Variable]:
    if node.op is Op.IFELSE:
        cond = node.inputs[0]
        if cond not in values:
            return [cond]
        assert isinstance(node.params, IfElseParams)
        return [cond] + [node.inputs[i] for i in ifelse_inputs(node.params, values[cond])]
    return list(node.inputs)


def _run(node: Apply, args: Sequence[Array]) -> tuple[Array, ...]:
    try:
        outs = REFERENCE[node.op](node.params, *args)
    except Exception as exc:
        shapes = ", ".join(f"{a.dtype}{list(a.shape)}" for a in args)
        message = f"{exc}\n  in {describe(node)}\n  inputs: {shapes}"
        try:
            enriched: Exception | None = type(exc)(message)
        except Exception:  # a constructor that takes other arguments: keep the original error
            enriched = None
        if enriched is None:
            exc.add_note(message)
            raise  # re-raises exc (a bare raise inside the except above would raise the constructor's error)
        raise enriched from exc
    for var, value in zip(node.outputs, outs):
        if value.dtype != var.type.np_dtype or not var.type.accepts_shape(value.shape):
            raise InternalTypeError(
                f"{describe(node)} returned {value.dtype}{list(value.shape)} for type {var.type}"
            )
    return outs


def evaluate(outputs: Sequence[Variable], env: Mapping[Variable, Array]) -> list[Array]:
    """Values of ``outputs`` given values for the graph's inputs (shared variables read their
    container unless ``env`` overrides them). Results may alias ``env``'s arrays; callers copy."""
    with np.errstate(all="ignore"):  # IEEE results (inf, nan) are values, not warnings
        values = _evaluate(outputs, env)
    return [values[v] for v in outputs]


def evaluate_values(outputs: Sequence[Variable], env: Mapping[Variable, Array]) -> dict[Variable, Array]:
    """Every value the reference computes on the way to ``outputs`` (lazily: an untaken ifelse
    branch is not computed), with ``env``'s; what ``evaluate`` reads its results from."""
    with np.errstate(all="ignore"):
        return _evaluate(outputs, env)


def _evaluate(outputs: Sequence[Variable], env: Mapping[Variable, Array]) -> dict[Variable, Array]:
    values: dict[Variable, Array] = dict(env)
    stack = list(reversed(outputs))
    while stack:
        var = stack[-1]
        if var in values:
            stack.pop()
            continue
        node = var.owner
        if node is None:
            stack.pop()
            if isinstance(var, Constant):
                values[var] = var.data
            elif isinstance(var, SharedVariable):
                values[var] = var.container.value
            else:
                raise MissingInputError(f"no value given for the input {var} ({var.type})")
            continue
        needed = _needed(node, values)
        missing = [v for v in needed if v not in values]
        if missing:
            stack.extend(reversed(missing))
            continue
        stack.pop()
        for out, value in zip(node.outputs, _run(node, [values[v] for v in needed])):
            values[out] = value
    return values
