"""``function(inputs, outputs, ...)`` and the compiled ``Function`` object (spec/function.md).

A call binds its arguments, computes every output and every update from the values *before* the
call, and only then commits all updates together; if anything raises, no state changes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, TypeGuard, Union

import numpy as np

from refspec.ast import Array, Container, SharedVariable, TensorType, Variable, clone_replace
from refspec.compile.mode import resolve_mode
from refspec.compile.program import InputSpec, Program, build_program
from refspec.errors import UpdateError
from refspec.fast.cpu.pipeline import FastRunner
from refspec.interp.function import run_reference
from refspec.values import filter_value

if TYPE_CHECKING:
    from refspec.fast.gpu.runner import GpuRunner

Runner = Callable[[Sequence[Variable], Mapping[Variable, Array]], list[Array]]
Result = Union[Array, list[Array]]


class FunctionGraph:
    """What Theano exposed as ``f.maker.fgraph``: the inputs and outputs the function computes."""

    def __init__(self, inputs: list[Variable], outputs: list[Variable]):
        self.inputs = inputs
        self.outputs = outputs


class FunctionMaker:
    def __init__(self, fgraph: FunctionGraph, mode: str):
        self.fgraph = fgraph
        self.mode = mode


class _ContainerView:
    """``f.container[var]`` / ``f.value[var]``: access to the stored value of an input."""

    def __init__(self, function: Function, as_values: bool):
        self._f = function
        self._as_values = as_values

    def __getitem__(self, key: Variable | str) -> object:
        spec = self._f._lookup(key)
        if self._as_values:
            return self._f[key]
        return _ContainerHandle(self._f, spec)

    def __setitem__(self, key: Variable | str, value: object) -> None:
        self._f[key] = value


class _ContainerHandle:
    def __init__(self, function: Function, spec: InputSpec):
        self._f = function
        self._spec = spec

    @property
    def value(self) -> Array | None:
        return None if self._spec.container is None else self._spec.container.value

    @value.setter
    def value(self, new: object) -> None:
        self._f._store(self._spec, new)


class Function:
    """A compiled function. Call it with positional or keyword arguments (by In name or variable name)."""

    def __init__(self, program: Program, mode: str, name: str | None, allow_input_downcast: bool | None):
        self.program = program
        self.mode = mode
        self.name = name
        self.allow_input_downcast = allow_input_downcast
        self._runner: Runner = run_reference
        self._fast: FastRunner | None = None
        self._gpu: GpuRunner | None = None
        self._roots = program.outputs + [e for _, e in program.updates] + [
            s.update for s in program.inputs if s.update is not None]
        self._in_updates = [s for s in program.inputs if s.update is not None]
        # which computed values are fresh arrays nobody else holds (no defensive copy needed)
        self._fresh = [False] * len(self._roots)
        outputs = list(program.outputs)
        if mode == "FAST_RUN":
            n_out = len(program.outputs)
            inplace = {n_out + j: target for j, (target, _) in enumerate(program.updates)}
            self._fast = FastRunner.build(self._roots, [s.variable for s in program.inputs],
                                          inplace=inplace, check_updates=self._check_update_shapes)
            self._runner = self._fast
            self._fresh = self._fast.fresh
            outputs = self._fast.optimized[:len(outputs)]
        elif mode == "GPU":
            from refspec.fast.gpu.runner import GpuRunner  # CuPy is optional: imported on use

            self._gpu = GpuRunner.build(self._roots, [s.variable for s in program.inputs], len(program.outputs))
            self._runner = self._gpu
            self._fresh = [True] * len(self._roots)  # host outputs downloaded, device updates fresh
            outputs = self._gpu.optimized[:len(outputs)]
        elif mode == "DIFFCHECK":
            from refspec.diffcheck.mode import DiffCheckRunner  # diffcheck builds on compile: import on use

            self._runner = DiffCheckRunner(program)
        borrowed = list(program.output_borrow) + [False] * (len(self._roots) - len(program.outputs))
        self._no_copy = [fresh or borrow for fresh, borrow in zip(self._fresh, borrowed)]
        self.maker = FunctionMaker(FunctionGraph([s.variable for s in program.inputs], outputs), mode)
        self._types = [s.variable.type for s in program.inputs]
        self._updates_checked = self._fast is not None and self._fast.program.checks_updates
        self.value = _ContainerView(self, as_values=True)
        self.container = _ContainerView(self, as_values=False)

    # -- argument binding --
    def _names(self) -> dict[str, InputSpec | None]:
        """Keyword names of the inputs (In name or variable name); None marks a name two inputs share."""
        out: dict[str, InputSpec | None] = {}
        for s in self.program.inputs:
            for n in {s.name, s.variable.name} - {None}:
                assert n is not None
                out[n] = s if n not in out or out[n] is s else None
        return out

    def _lookup(self, key: Variable | str) -> InputSpec:
        for s in self.program.inputs:
            if s.variable is key or (isinstance(key, str) and key in (s.name, s.variable.name)):
                return s
        raise KeyError(f"{key} is not an input of this function")

    def _store(self, spec: InputSpec, value: object) -> None:
        label = spec.name or str(spec.variable)
        array = filter_value(spec.variable.type, value, label,
                             allow_downcast=self._downcast(spec))
        if spec.container is None:
            spec.container = Container(array)
        else:
            spec.container.value = array

    def _downcast(self, spec: InputSpec) -> bool | None:
        return spec.allow_downcast if spec.allow_downcast is not None else self.allow_input_downcast

    def __getitem__(self, key: Variable | str) -> Array | None:
        spec = self._lookup(key)
        return None if spec.container is None else spec.container.value

    def __setitem__(self, key: Variable | str, value: object) -> None:
        self._store(self._lookup(key), value)

    def _bind(self, args: Sequence[object], kwargs: Mapping[str, object]) -> dict[Variable, Array]:
        specs = self.program.inputs
        if len(args) > len(specs):
            raise TypeError(f"{self._title()} takes {len(specs)} arguments, got {len(args)}")
        given: dict[int, object] = dict(enumerate(args))
        names = self._names() if kwargs else {}
        for key, value in kwargs.items():
            if key not in names:
                valid = ", ".join(sorted(names)) or "none"
                raise TypeError(f"{self._title()} got an unknown keyword argument {key!r} "
                                f"(input names: {valid})")
            spec = names[key]
            if spec is None:
                raise TypeError(f"{self._title()}: the keyword {key!r} names more than one input; "
                                "pass them by position or give In(..., name=) distinct names")
            position = specs.index(spec)
            if position in given:
                raise TypeError(f"{self._title()} got input {key!r} twice")
            given[position] = value
        env: dict[Variable, Array] = {}
        for position, spec in enumerate(specs):
            if position in given:
                arg = given[position]
                ready = _ready_value(arg, spec.variable.type)
                if ready is not None:
                    env[spec.variable] = ready
                else:
                    env[spec.variable] = filter_value(
                        spec.variable.type, arg, f"{self._title()} argument {self._label(spec, position)!r}",
                        allow_downcast=self._downcast(spec), copy=False,
                    )
            elif spec.container is not None:
                env[spec.variable] = spec.container.value
            else:
                label = self._label(spec, position)
                raise TypeError(f"{self._title()} is missing the required input {label!r} "
                                f"({spec.variable.type})")
        return env

    @staticmethod
    def _label(spec: InputSpec, position: int) -> str:
        return spec.name or spec.variable.name or f"input {position}"

    def _title(self) -> str:
        return f"function {self.name!r}" if self.name else "function"

    # -- the call --
    def _check_update_shapes(self, values: Sequence[Array | None]) -> None:
        """Every update value (roots after the outputs; None: not computed yet) fits its target.
        The fast path calls this before it writes any update into a shared variable's array."""
        p = self.program
        n_out = len(p.outputs)
        for (target, _), value in zip(p.updates, values[n_out:n_out + len(p.updates)]):
            if value is not None and not target.type.accepts_shape(value.shape):
                raise UpdateError(f"the update for {target} produced shape {value.shape}, which does "
                                  f"not fit {target.type}; no shared variable was changed")
        for spec, value in zip(self._in_updates, values[n_out + len(p.updates):]):
            if value is not None and not spec.variable.type.accepts_shape(value.shape):
                raise UpdateError(f"the update for input {spec.name or spec.variable} produced shape "
                                  f"{value.shape}, which does not fit {spec.variable.type}; no shared "
                                  "variable was changed")

    def report(self) -> str:
        """How this function runs: the rewritten graph, the rewrites applied, what is generated code
        and what runs on the reference."""
        if self._fast is not None:
            return self._fast.report()
        if self._gpu is not None:
            return self._gpu.report()
        return f"mode {self.mode}: every node runs on the reference interpreter"

    def __call__(self, *args: object, **kwargs: object) -> Result:
        p = self.program
        in_updates = self._in_updates
        arrays = None if kwargs or self._fast is None else _exact_arguments(args, self._types)
        if arrays is not None and self._fast is not None:  # every argument given, already a value
            values = self._fast.run_arrays(arrays)
        else:
            values = self._runner(self._roots, self._bind(args, kwargs))
        # outputs and stored values never alias inputs, shared storage or each other (spec/function.md)
        values = [v if keep else np.array(v, copy=True) for v, keep in zip(values, self._no_copy)]
        if len(values) == len(p.outputs):  # no updates: nothing to check or commit
            return values[0] if p.unpack == "single" else values
        n_out = len(p.outputs)
        outs = values[:n_out]
        new_shared = values[n_out:n_out + len(p.updates)]
        new_inputs = values[n_out + len(p.updates):]
        if not self._updates_checked:  # a program writing updates in place checked them first
            self._check_update_shapes(values)
        # commit: every value is computed and checked, so nothing below can fail halfway
        if self._gpu is not None:  # device arrays, into the shared variables' device mirrors
            self._gpu.commit([t.container for t, _ in p.updates] + [_container(s) for s in in_updates],
                             values[n_out:])
            return outs[0] if p.unpack == "single" else outs
        for (target, _), value in zip(p.updates, new_shared):
            target.container.value = value
        for spec, value in zip(in_updates, new_inputs):
            assert spec.container is not None
            spec.container.value = value
        return outs[0] if p.unpack == "single" else outs

    # -- copies --
    def copy(
        self,
        share_memory: bool = False,
        swap: Mapping[SharedVariable, SharedVariable] | None = None,
        delete_updates: bool = False,
        name: str | None = None,
        profile: object = None,
    ) -> Function:
        """A new function with the same graph. ``swap`` replaces shared variables by others of the
        same type; ``share_memory`` shares the stored input values; ``delete_updates`` drops updates."""
        p = self.program
        swap = dict(swap or {})
        for old, new in swap.items():
            if not isinstance(old, SharedVariable) or not isinstance(new, SharedVariable):
                raise TypeError("copy(swap=) maps shared variables to shared variables")
            if old.type != new.type:
                raise TypeError(f"copy(swap=): {new} has type {new.type}, but {old} has {old.type}")
        updates = [] if delete_updates else p.updates
        in_ups = [] if delete_updates else [s.update for s in p.inputs if s.update is not None]
        roots = p.outputs + [e for _, e in updates] + in_ups
        mapping: dict[Variable, Variable] = dict(swap.items())
        replaced = clone_replace(roots, mapping) if swap else roots
        n_out = len(p.outputs)
        new_updates = [(swap.get(t, t), e) for (t, _), e in zip(updates, replaced[n_out:n_out + len(updates)])]
        it = iter(replaced[n_out + len(updates):])
        specs: list[InputSpec] = []
        for s in p.inputs:
            container = s.container
            if container is not None and not share_memory:
                container = Container(container.value.copy())
            update = None if s.update is None or delete_updates else next(it)
            specs.append(InputSpec(s.variable, s.name, container, update, s.allow_downcast, s.borrow))
        program = Program(specs, replaced[:n_out], list(p.output_borrow), p.unpack, new_updates, p.givens)
        return Function(program, self.mode, name or self.name, self.allow_input_downcast)

    def __repr__(self) -> str:
        ins = ", ".join(str(s.variable) for s in self.program.inputs)
        return f"<refspec.Function {self.name or ''}({ins}) mode={self.mode}>"


def _container(spec: InputSpec) -> Container:
    assert spec.container is not None  # an input with an update has stored storage
    return spec.container


def _exact(value: object, expected: TensorType) -> TypeGuard[Array]:
    """A numpy array that already is a value of ``expected`` (the common case, checked cheaply)."""
    return (
        type(value) is np.ndarray
        and value.dtype == expected.np_dtype
        and value.ndim == expected.ndim
        and expected.accepts_shape(value.shape)
    )


def _exact_arguments(args: Sequence[object], types: Sequence[TensorType]) -> list[Array] | None:
    """The arguments as they are, when there is one per input and each already is a value of its
    input's type (a Python float counts for a float64 scalar); else None (bind them in full)."""
    if len(args) != len(types):
        return None
    out: list[Array] = []
    for arg, expected in zip(args, types):
        ready = _ready_value(arg, expected)
        if ready is None:
            return None
        out.append(ready)
    return out


def _ready_value(arg: object, expected: TensorType) -> Array | None:
    """``arg`` as a value of ``expected`` when no conversion is needed (a numpy array of that type,
    or a Python float for a float64 scalar, which it is exactly), else None."""
    if _exact(arg, expected):
        return arg
    if type(arg) is float and expected.dtype == "float64" and not expected.shape:
        return np.array(arg)
    return None


def function(
    inputs: Sequence[object],
    outputs: object = None,
    mode: object = None,
    updates: object = None,
    givens: object = None,
    no_default_updates: object = False,
    accept_inplace: bool = False,
    name: str | None = None,
    rebuild_strict: bool = True,
    allow_input_downcast: bool | None = None,
    profile: object = None,
    on_unused_input: str | None = None,
) -> Function:
    """Compile ``outputs`` as a function of ``inputs`` (Theano's ``theano.function``)."""
    mode_name = resolve_mode(mode)
    program = build_program(inputs, outputs, updates, givens, no_default_updates, on_unused_input)
    return Function(program, mode_name, name, allow_input_downcast)
