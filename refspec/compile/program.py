"""From ``function(...)`` arguments to a checked ``Program``: inputs, outputs, updates, givens.

Every check that can be done before running happens here (spec/function.md): update targets and
types, givens types and chaining, missing and unused inputs.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from refspec.ast import (
    Constant,
    Container,
    SharedVariable,
    TensorType,
    Variable,
    clone_replace,
    graph_inputs,
    toposort,
)
from refspec.compile.io import In, Out
from refspec.errors import GivensError, MissingInputError, UnusedInputError, UpdateError
from refspec.params import ScanParams
from refspec.tensor.basic import as_tensor_variable, constant
from refspec.values import filter_value


@dataclass
class InputSpec:
    variable: Variable
    name: str | None
    container: Container | None  # holds the default value, if any
    update: Variable | None  # replaces the default after each call
    allow_downcast: bool | None
    borrow: bool


@dataclass
class Program:
    inputs: list[InputSpec]
    outputs: list[Variable]
    output_borrow: list[bool]
    unpack: str  # "single" (one variable), "list"
    updates: list[tuple[SharedVariable, Variable]]
    givens: list[tuple[Variable, Variable]] = field(default_factory=list)


def _describe(var: Variable) -> str:
    return f"{var} ({var.type})"


def _parse_input(item: object, position: int) -> InputSpec:
    if isinstance(item, In):
        spec_in = item
    elif isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], tuple):
        (var, update), default = item  # Theano's ((variable, update), default) shortcut
        spec_in = In(var, value=default, update=update)
    elif isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], Variable):
        spec_in = In(item[0], value=item[1])
    elif isinstance(item, Variable):
        spec_in = In(item)
    else:
        raise TypeError(f"function input {position} must be a variable or In(...), got {item!r}")
    var = spec_in.variable
    if isinstance(var, SharedVariable):
        raise TypeError(f"input {position} ({var}) is a shared variable: shared variables are implicit "
                        "inputs and cannot be listed in inputs (use givens to replace one)")
    if isinstance(var, Constant):
        raise TypeError(f"input {position} ({var}) is a constant and cannot be a function input")
    if var.owner is not None:
        raise TypeError(f"input {position} ({var}) is computed by {var.owner.op.value}; "
                        "inputs must be root variables (use givens to replace an expression)")
    name = spec_in.name or f"input {position}"
    if spec_in.update is not None and spec_in.value is None:
        raise TypeError(f"input {position} ({var}) has an update but no value: In(var, value=..., "
                        "update=...) needs the initial value the update starts from")
    container = None
    if spec_in.value is not None or spec_in.update is not None:
        value = spec_in.value.container.value if isinstance(spec_in.value, SharedVariable) else spec_in.value
        container = Container(filter_value(var.type, value, f"default of {name}",
                                           allow_downcast=spec_in.allow_downcast))
    update = None if spec_in.update is None else _as_update_expr(var.type, spec_in.update, name)
    return InputSpec(var, spec_in.name, container, update, spec_in.allow_downcast, spec_in.borrow)


def _as_update_expr(type: TensorType, expr: object, target: str) -> Variable:
    """An update expression of exactly ``type``'s dtype and ndim (Python values are cast losslessly)."""
    if isinstance(expr, Variable):
        var = expr
    else:
        var = constant(filter_value(type, expr, f"update value for {target}"))
    if var.type.dtype != type.dtype or var.type.ndim != type.ndim:
        raise UpdateError(
            f"the update for {target} has type {var.type} but {target} has type {type}; "
            f"cast the expression, e.g. T.cast(expr, '{type.dtype}')"
        )
    for want, have in zip(type.shape, var.type.shape):
        if want is not None and have is not None and want != have:
            raise UpdateError(f"the update for {target} has static shape {var.type.shape}, "
                              f"which does not fit {type}")
    return var


def _pairs(obj: object, what: str) -> list[tuple[object, object]]:
    if obj is None:
        return []
    if isinstance(obj, Mapping):
        return list(obj.items())
    if isinstance(obj, Iterable) and not isinstance(obj, (str, bytes)):
        out: list[tuple[object, object]] = []
        for pair in obj:
            if not isinstance(pair, (list, tuple)) or len(pair) != 2:
                raise TypeError(f"{what} must be a dict or a list of (variable, expression) pairs, "
                                f"got the item {pair!r}")
            out.append((pair[0], pair[1]))
        return out
    raise TypeError(f"{what} must be a dict or a list of pairs, got {type(obj).__name__}")


def _parse_updates(updates: object) -> list[tuple[SharedVariable, Variable]]:
    out: list[tuple[SharedVariable, Variable]] = []
    seen: set[int] = set()
    for target, expr in _pairs(updates, "updates"):
        if not isinstance(target, SharedVariable):
            raise UpdateError(f"updates can only target shared variables; {target!r} is not one "
                              "(make it with refspec.shared)")
        if id(target) in seen:
            raise UpdateError(f"the shared variable {target} is updated twice")
        seen.add(id(target))
        out.append((target, _as_update_expr(target.type, expr, str(target))))
    return out


def _parse_givens(givens: object, inputs: Sequence[InputSpec]) -> list[tuple[Variable, Variable]]:
    out: list[tuple[Variable, Variable]] = []
    input_ids = {id(i.variable) for i in inputs}
    for old, new in _pairs(givens, "givens"):
        if not isinstance(old, Variable) or isinstance(old, Constant):
            raise GivensError(f"givens keys must be symbolic variables, got {old!r}")
        if id(old) in input_ids:
            raise GivensError(f"{old} is an input of the function; givens cannot replace an input")
        if isinstance(new, Variable):
            repl: Variable = new
        else:
            repl = as_tensor_variable(filter_value(old.type, new, f"given value for {old}"))
        if repl.type.dtype != old.type.dtype or repl.type.ndim != old.type.ndim:
            raise GivensError(f"given for {_describe(old)} has type {repl.type}; a given must have the "
                              "same dtype and ndim as the variable it replaces")
        for want, have in zip(old.type.shape, repl.type.shape):
            if want is not None and have != want:
                raise GivensError(f"given for {_describe(old)} has static shape {repl.type.shape}; use "
                                  "specify_shape so its type fits")
        out.append((old, repl))
    keys = {id(k) for k, _ in out}
    if len(keys) != len(out):
        raise GivensError("a variable is replaced twice in givens")
    for old, repl in out:
        # every variable of the replacement's graph, not only its roots: a key may be an expression
        used = [repl] + [v for node in toposort([repl]) for v in node.inputs]
        chained = [v for v in used if id(v) in keys and v is not old]
        if chained:
            raise GivensError(f"the given for {old} uses {chained[0]}, which givens also replace; "
                              "givens are substituted simultaneously, not chained (spec/function.md)")
    return out


def _updated_by_loops(roots: Sequence[Variable]) -> set[int]:
    found: set[int] = set()
    for node in toposort(roots):
        if isinstance(node.params, ScanParams):
            others = node.params.split_outer(node.inputs)[3]
            found.update(id(others[p]) for p in node.params.shared_outer_positions)
    return found


def _default_updates(
    roots: Sequence[Variable], explicit: list[tuple[SharedVariable, Variable]], no_default_updates: object
) -> list[tuple[SharedVariable, Variable]]:
    """Default updates (random state) of shared variables the graph reads, unless disabled."""
    if no_default_updates is True:
        return []
    skip = {id(v) for v in (no_default_updates or [])} if isinstance(no_default_updates, (list, tuple)) else set()
    # a loop that updates a shared variable owns its updates: they apply only if the caller passes
    # scan's updates on (else the state repeats, as in Theano)
    skip |= _updated_by_loops(list(roots) + [e for _, e in explicit])
    done = {id(s) for s, _ in explicit}
    added: list[tuple[SharedVariable, Variable]] = []
    frontier = list(roots) + [e for _, e in explicit]
    while frontier:
        new: list[Variable] = []
        for var in graph_inputs(frontier):
            if isinstance(var, SharedVariable) and var.default_update is not None and id(var) not in done | skip:
                done.add(id(var))
                added.append((var, _as_update_expr(var.type, var.default_update, str(var))))
                new.append(var.default_update)
        frontier = new
    return added


def build_program(
    inputs: Sequence[object],
    outputs: object,
    updates: object = None,
    givens: object = None,
    no_default_updates: object = False,
    on_unused_input: str | None = None,
) -> Program:
    if not isinstance(inputs, (list, tuple)):
        raise TypeError(f"function inputs must be a list, got {type(inputs).__name__}")
    specs = [_parse_input(item, i) for i, item in enumerate(inputs)]
    seen: set[int] = set()
    for s in specs:
        if id(s.variable) in seen:
            raise TypeError(f"the variable {s.variable} is listed twice in the inputs")
        seen.add(id(s.variable))

    unpack = "single" if isinstance(outputs, (Variable, Out)) else "list"
    raw = [] if outputs is None else [outputs] if unpack == "single" else list(outputs)  # type: ignore[call-overload]
    outs: list[Variable] = []
    borrow: list[bool] = []
    for item in raw:
        var = item.variable if isinstance(item, Out) else item
        if not isinstance(var, Variable):
            raise TypeError(f"function outputs must be variables or Out(...), got {var!r}")
        outs.append(var)
        borrow.append(isinstance(item, Out) and item.borrow)

    explicit = _parse_updates(updates)
    given = _parse_givens(givens, specs)
    in_updates = [s.update for s in specs if s.update is not None]
    roots = outs + [e for _, e in explicit] + in_updates
    defaults = _default_updates(roots, explicit, no_default_updates)
    all_updates = explicit + defaults
    roots = outs + [e for _, e in all_updates] + in_updates
    if given:
        roots = clone_replace(roots, dict(given))
    n_out, n_up = len(outs), len(all_updates)
    new_outs, new_up, new_in_up = roots[:n_out], roots[n_out:n_out + n_up], roots[n_out + n_up:]
    it = iter(new_in_up)
    for s in specs:
        if s.update is not None:
            s.update = next(it)
    program = Program(specs, new_outs, borrow, unpack,
                      [(t, e) for (t, _), e in zip(all_updates, new_up)], given)
    _check_inputs(program, on_unused_input or "raise")
    return program


def _check_inputs(program: Program, on_unused_input: str) -> None:
    if on_unused_input not in ("raise", "warn", "ignore"):
        raise ValueError(f"on_unused_input must be 'raise', 'warn' or 'ignore', got {on_unused_input!r}")
    roots = program.outputs + [e for _, e in program.updates] + [
        s.update for s in program.inputs if s.update is not None
    ]
    used = {id(v) for v in graph_inputs(roots)}
    declared = {id(s.variable) for s in program.inputs}
    for var in graph_inputs(roots):
        if id(var) not in declared and not isinstance(var, (Constant, SharedVariable)):
            raise MissingInputError(
                f"the graph needs {_describe(var)}, which is not among the inputs; add it to the "
                "inputs or replace it with givens"
            )
    for position, s in enumerate(program.inputs):
        if id(s.variable) not in used:
            message = (f"input {position} ({_describe(s.variable)}) is not used to compute any output "
                       "or update; pass on_unused_input='warn' or 'ignore' to allow this")
            if on_unused_input == "raise":
                raise UnusedInputError(message)
            if on_unused_input == "warn":
                warnings.warn(message, stacklevel=4)
