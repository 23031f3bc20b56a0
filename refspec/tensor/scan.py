"""``scan`` and its relatives (``map``, ``reduce``, ``foldl``, ``foldr``): build a scan node.

``fn`` is called once, symbolically, with one placeholder per sequence tap and output tap, and with the
non-sequences themselves (so ``T.grad`` inside ``fn`` can differentiate with respect to outer
variables, as in Theano). Its result is closed over: every variable it reads that is not a
placeholder becomes an input of the node. The loop's meaning is ``refspec.interp.scan.run_scan``.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from refspec.ast import Constant, Op, SharedVariable, TensorType, Variable, clone_replace, graph_inputs
from refspec.errors import MissingInputError
from refspec.ops import make_node
from refspec.params import ScanParams
from refspec.tensor.basic import Operand, as_tensor_variable, cast
from refspec.tensor.var import TensorVariable


class until:  # noqa: N801 - Theano's name
    """Returned from a scan step: stop after this step if ``condition`` is true."""

    def __init__(self, condition: Operand):
        cond = as_tensor_variable(condition)
        if cond.ndim != 0:
            raise TypeError(f"until() takes a scalar condition, got {cond.type}")
        self.condition = cond


class OrderedUpdates(OrderedDict[SharedVariable, Variable]):
    """The updates ``scan`` returns: shared variable -> its value after the loop."""


@dataclass
class _Output:
    taps: tuple[int, ...]
    initial: TensorVariable | None


def _sequences(sequences: object) -> list[tuple[TensorVariable, tuple[int, ...]]]:
    items = [] if sequences is None else sequences if isinstance(sequences, (list, tuple)) else [sequences]
    out: list[tuple[TensorVariable, tuple[int, ...]]] = []
    for i, item in enumerate(items):
        if isinstance(item, dict):
            var = as_tensor_variable(item["input"])
            taps = tuple(int(t) for t in item.get("taps", [0]))
        else:
            var, taps = as_tensor_variable(item), (0,)
        if var.ndim < 1:
            raise TypeError(f"scan: sequence {i} must have a leading time axis, got {var.type}")
        if not taps:
            raise ValueError(f"scan: sequence {i} has no taps")
        out.append((var, taps))
    return out


def _outputs(outputs_info: object) -> list[_Output] | None:
    if outputs_info is None:
        return None
    items = outputs_info if isinstance(outputs_info, (list, tuple)) else [outputs_info]
    out: list[_Output] = []
    for i, item in enumerate(items):
        if item is None:
            out.append(_Output((), None))
            continue
        if isinstance(item, dict):
            if item.get("initial") is None:
                out.append(_Output((), None))
                continue
            taps = tuple(int(t) for t in item.get("taps", [-1]))
            initial = _as_tensor(item["initial"])
        else:
            taps, initial = (-1,), _as_tensor(item)
        if not taps or any(t >= 0 for t in taps):
            raise ValueError(f"scan: outputs_info[{i}] taps must be negative, got {list(taps)}")
        if taps != (-1,) and initial.ndim < 1:
            raise TypeError(f"scan: outputs_info[{i}] with taps {list(taps)} needs an initial value with a "
                            "leading axis holding the past steps")
        out.append(_Output(taps, initial))
    return out


def _as_tensor(value: object) -> TensorVariable:
    if not isinstance(value, (Variable, int, float, complex, np.generic, np.ndarray, list, tuple)):
        raise TypeError(f"scan: expected a tensor or a number, got {value!r}")
    return as_tensor_variable(value)


def _step_type(var: TensorVariable, drop_leading: bool) -> TensorType:
    shape = var.type.shape[1:] if drop_leading else var.type.shape
    return TensorType(var.dtype, shape=shape)


def _split_result(result: object) -> tuple[list[TensorVariable], dict[SharedVariable, Variable], until | None]:
    """Theano lets fn return outputs, an updates dict and an until(...) in any combination."""
    parts = list(result) if isinstance(result, (tuple, list)) else [result]
    outs: list[TensorVariable] = []
    updates: dict[SharedVariable, Variable] = {}
    stop: until | None = None
    for part in parts:
        if isinstance(part, until):
            stop = part
        elif isinstance(part, Mapping):
            for k, v in part.items():
                if not isinstance(k, SharedVariable):
                    raise TypeError(f"scan: fn returned an update for {k!r}, which is not a shared variable")
                updates[k] = as_tensor_variable(v)
        elif isinstance(part, (list, tuple)):
            nested_outs, nested_updates, nested_stop = _split_result(tuple(part))
            outs.extend(nested_outs)
            updates.update(nested_updates)
            stop = nested_stop or stop
        elif part is not None:
            outs.append(as_tensor_variable(part))  # type: ignore[arg-type]
    return outs, updates, stop


def _collect_default_updates(
    outs: list[TensorVariable], updates: dict[SharedVariable, Variable], stop: until | None
) -> None:
    """Shared variables read inside the step that carry a default update (random states) are
    updated by the loop, step after step, unless fn gave them an explicit update (spec/scan.md)."""
    frontier: list[Variable] = [*outs, *updates.values()] + ([stop.condition] if stop else [])
    while frontier:
        found: list[Variable] = []
        for v in graph_inputs(frontier):
            if isinstance(v, SharedVariable) and v.default_update is not None and v not in updates:
                updates[v] = v.default_update
                found.append(v.default_update)
        frontier = found


def scan(
    fn: Callable[..., object],
    sequences: object = None,
    outputs_info: object = None,
    non_sequences: object = None,
    n_steps: Operand | None = None,
    truncate_gradient: int = -1,
    go_backwards: bool = False,
    mode: object = None,
    name: str | None = None,
    profile: object = False,
    allow_gc: object = None,
    strict: bool = False,
    return_list: bool = False,
) -> tuple[TensorVariable | list[TensorVariable], OrderedUpdates]:
    """Loop ``fn`` over ``sequences`` (spec/scan.md); returns (outputs, updates)."""
    seqs = _sequences(sequences)
    outs_spec = _outputs(outputs_info)
    raw_non_seqs = [] if non_sequences is None else (
        list(non_sequences) if isinstance(non_sequences, (list, tuple)) else [non_sequences])
    non_seqs = [v if isinstance(v, Variable) else _as_tensor(v) for v in raw_non_seqs]

    # placeholders handed to fn: sequence taps, then output taps, then the non-sequences themselves
    args: list[Variable] = []
    tap_placeholders: list[Variable] = []
    for var, taps in seqs:
        for tap in taps:
            p = _step_type(var, True)(f"{var.name}[t{tap:+d}]" if var.name else None)
            args.append(p)
            tap_placeholders.append(p)
    for spec in outs_spec or []:
        if spec.initial is None:
            continue
        for tap in spec.taps:
            p = _step_type(spec.initial, spec.taps != (-1,))(None)
            args.append(p)
            tap_placeholders.append(p)
    result = fn(*args, *non_seqs)
    inner_outs, updates, stop = _split_result(result)
    _collect_default_updates(inner_outs, updates, stop)
    if outs_spec is None:
        outs_spec = [_Output((), None) for _ in inner_outs]
    if len(outs_spec) != len(inner_outs):
        raise ValueError(f"scan: fn returned {len(inner_outs)} outputs but outputs_info has {len(outs_spec)} entries")
    for i, (spec, out) in enumerate(zip(outs_spec, inner_outs)):
        if spec.initial is not None:
            want = _step_type(spec.initial, spec.taps != (-1,))
            if out.dtype != want.dtype or out.ndim != want.ndim:
                raise TypeError(
                    f"scan: output {i} of fn has type {out.type}, but its initial value (outputs_info[{i}]) "
                    f"gives steps of type {want}; make them agree (e.g. cast the initial value)"
                )
    for shared, new in updates.items():
        if new.dtype != shared.dtype or new.ndim != shared.ndim:
            raise TypeError(f"scan: the update of {shared} has type {new.type}, but {shared} has {shared.type}")

    # close over everything else fn read: non-sequences and captured variables become node inputs
    update_targets = list(updates)
    roots: list[Variable] = [*inner_outs, *updates.values()] + ([stop.condition] if stop else [])
    ns_placeholders = [_step_type(tv_(v), False)(v.name) for v in non_seqs]
    replaced = clone_replace(roots, dict(zip(non_seqs, ns_placeholders)))
    known = {id(p) for p in tap_placeholders} | {id(p) for p in ns_placeholders}
    captured = [v for v in graph_inputs(replaced) if id(v) not in known and not isinstance(v, Constant)]
    captured += [s for s in update_targets if all(s is not c for c in captured)]
    if strict:  # as in Theano, strict is about shared variables; other outer variables are captured
        listed = {id(v) for v in non_seqs}
        listed |= {id(v) for v in update_targets}  # shared variables fn updates need not be listed
        missing = [v for v in captured if id(v) not in listed and isinstance(v, SharedVariable)]
        if missing:
            raise MissingInputError(
                f"scan(strict=True): fn uses {missing[0]} ({missing[0].type}), which is not in non_sequences"
            )
    cap_placeholders = [_step_type(tv_(v), False)(v.name) for v in captured]
    inner = clone_replace(replaced, dict(zip(captured, cap_placeholders)))
    others_outer: list[Variable] = [*non_seqs, *captured]
    others_inner: list[Variable] = [*ns_placeholders, *cap_placeholders]
    shared_positions = tuple(next(j for j, v in enumerate(others_outer) if v is s) for s in update_targets)

    n_out = len(inner_outs)
    params = ScanParams(
        inner_inputs=tuple(tap_placeholders + others_inner),
        inner_outputs=tuple(inner[:n_out + len(updates)]),
        seq_taps=tuple(taps for _, taps in seqs),
        out_taps=tuple(spec.taps if spec.initial is not None else () for spec in outs_spec),
        shared_outer_positions=shared_positions,
        until=inner[-1] if stop else None,
        go_backwards=go_backwards,
        truncate_gradient=truncate_gradient,
        name=name,
    )
    steps = _n_steps(n_steps, seqs)
    inits = [spec.initial for spec in outs_spec if spec.initial is not None]
    node = make_node(Op.SCAN, [steps, *[s for s, _ in seqs], *inits, *others_outer], params)
    outputs = [tv_(o) for o in node.outputs[:n_out]]
    new_updates = OrderedUpdates((s, node.outputs[n_out + k]) for k, s in enumerate(update_targets))
    if name:
        for o in outputs:
            o.name = name
    if len(outputs) == 1 and not return_list:
        return outputs[0], new_updates
    return outputs, new_updates


def tv_(v: Variable) -> TensorVariable:
    assert isinstance(v, TensorVariable)
    return v


def _n_steps(n_steps: Operand | None, seqs: list[tuple[TensorVariable, tuple[int, ...]]]) -> TensorVariable:
    """The number of steps: n_steps if given (checked against the sequences at run time), else the
    shortest sequence's number of complete tap windows."""
    from refspec.tensor.math import min as min_
    from refspec.tensor.shape_ops import stack

    if n_steps is not None:
        steps = as_tensor_variable(n_steps)
        if steps.ndim != 0 or not steps.dtype.startswith(("int", "uint")):
            raise TypeError(f"scan: n_steps must be an integer scalar, got {steps.type}")
        return cast(steps, "int64")
    if not seqs:
        raise ValueError("scan: give sequences or n_steps")
    lengths = [s.shape[0] - (max(max(taps), 0) - min(min(taps), 0)) for s, taps in seqs]  # windows include tap 0
    return lengths[0] if len(lengths) == 1 else min_(stack(lengths))


def map(  # noqa: A001 - Theano's name
    fn: Callable[..., object], sequences: object, non_sequences: object = None, truncate_gradient: int = -1,
    go_backwards: bool = False, mode: object = None, name: str | None = None,
) -> tuple[TensorVariable | list[TensorVariable], OrderedUpdates]:
    """Apply ``fn`` to each step of the sequences: scan with no state."""
    return scan(fn, sequences=sequences, outputs_info=None, non_sequences=non_sequences,
                truncate_gradient=truncate_gradient, go_backwards=go_backwards, mode=mode, name=name)


def reduce(  # noqa: A001 - Theano's name
    fn: Callable[..., object], sequences: object, outputs_info: object, non_sequences: object = None,
    go_backwards: bool = False, mode: object = None, name: str | None = None,
) -> tuple[TensorVariable | list[TensorVariable], OrderedUpdates]:
    """scan keeping only the last step of each output."""
    outs, updates = scan(fn, sequences=sequences, outputs_info=outputs_info, non_sequences=non_sequences,
                         go_backwards=go_backwards, mode=mode, name=name, return_list=True)
    assert isinstance(outs, list)
    last = [o[-1] for o in outs]
    return (last[0] if len(last) == 1 else last), updates


def foldl(
    fn: Callable[..., object], sequences: object, outputs_info: object, non_sequences: object = None,
    mode: object = None, name: str | None = None,
) -> tuple[TensorVariable | list[TensorVariable], OrderedUpdates]:
    """reduce from the first step to the last."""
    return reduce(fn, sequences, outputs_info, non_sequences, go_backwards=False, mode=mode, name=name)


def foldr(
    fn: Callable[..., object], sequences: object, outputs_info: object, non_sequences: object = None,
    mode: object = None, name: str | None = None,
) -> tuple[TensorVariable | list[TensorVariable], OrderedUpdates]:
    """reduce from the last step to the first."""
    return reduce(fn, sequences, outputs_info, non_sequences, go_backwards=True, mode=mode, name=name)
