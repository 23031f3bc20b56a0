"""A program's storage and how to compile it for a path: what every diffcheck module shares.

The *state* of a program is every storage cell a call reads or writes (shared variables, stored input
values); checks snapshot it before running a path and restore it after, so every path starts alike.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from refspec.ast import Array, Container, SharedVariable, Variable, graph_inputs
from refspec.compile.function import Function
from refspec.compile.mode import resolve_mode
from refspec.compile.program import Program, build_program

REFERENCE = "REFERENCE"


def roots_of(program: Program) -> list[Variable]:
    """What a call computes: outputs, update values of shared variables, updates of stored inputs."""
    return program.outputs + [e for _, e in program.updates] + [
        s.update for s in program.inputs if s.update is not None]


def state_of(program: Program) -> list[tuple[str, Container]]:
    """Every storage cell a call reads or writes: shared variables, then stored input values."""
    found: dict[int, tuple[str, Container]] = {}
    for k, v in enumerate(graph_inputs(roots_of(program)) + [t for t, _ in program.updates]):
        if isinstance(v, SharedVariable) and id(v.container) not in found:
            found[id(v.container)] = (f"shared {v.name or k}", v.container)
    for k, s in enumerate(program.inputs):
        if s.container is not None and id(s.container) not in found:
            found[id(s.container)] = (f"stored input {s.name or s.variable.name or k}", s.container)
    return list(found.values())


def updated_cells(program: Program) -> set[int]:
    """The ids of the containers a call of ``program`` commits new values to."""
    return {id(t.container) for t, _ in program.updates} | {
        id(s.container) for s in program.inputs if s.update is not None and s.container is not None}


def snapshot(state: Sequence[tuple[str, Container]]) -> list[Array]:
    return [np.array(c.value, copy=True) for _, c in state]


def restore(state: Sequence[tuple[str, Container]], values: Sequence[Array]) -> None:
    for (_, c), v in zip(state, values):
        c.value = np.array(v, copy=True)


def program_of(inputs: Sequence[object], outputs: Sequence[Variable] | Variable, updates: object = None,
               givens: object = None) -> Program:
    """The program ``function(inputs, outputs, updates=, givens=)`` compiles (unused inputs allowed)."""
    outs = outputs if isinstance(outputs, Variable) else list(outputs)
    return build_program(list(inputs), outs, updates, givens, False, "ignore")


def compile_path(program: Program, mode: str) -> Function:
    """``program`` compiled for one path (a mode name or alias); every path's function shares the
    program's state."""
    return Function(program, resolve_mode(mode), None, None)
