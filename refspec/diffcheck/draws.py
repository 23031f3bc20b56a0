"""Drawing the inputs of ``check``: one example's values for a program's inputs.

Unknown lengths are drawn once per axis position (counted from the right, as broadcasting aligns
axes) and shared by every input, so that inputs combined elementwise mostly get compatible shapes;
sometimes every axis gets the same length (square matrices). ``shapes=`` fixes an input's shape and
``strategies=`` replaces its draws (or a shared variable's, which otherwise keeps its value). Values
come from ``refspec.diffcheck.values.arrays_for``, or from ``large`` past a few hundred elements.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from hypothesis import strategies as st

from refspec.ast import Array, Container, SharedVariable, TensorType, Variable, graph_inputs
from refspec.compile.program import Program
from refspec.diffcheck.state import roots_of
from refspec.diffcheck.large import LARGE, large_arrays
from refspec.diffcheck.values import arrays_for, lengths

# keys are variables or their names; typed Any because Mapping's key type is invariant (a user's
# dict[TensorVariable, ...] would not fit Mapping[Variable | str, ...])
Strategies = Mapping[Any, st.SearchStrategy[Array]]
Shapes = Mapping[Any, tuple[int, ...]]


def _lookup(mapping: Mapping[Any, object] | None, var: Variable, *names: str | None) -> object | None:
    if not mapping:
        return None
    if var in mapping:
        return mapping[var]
    return next((mapping[n] for n in names if n is not None and n in mapping), None)


def _shape(ttype: TensorType, common: Sequence[int], hint: object) -> tuple[int, ...]:
    """The hinted shape, or each unknown length taken from ``common`` (aligned from the right)."""
    if hint is not None:
        assert isinstance(hint, tuple)
        return tuple(int(n) for n in hint)
    offset = len(common) - ttype.ndim
    return tuple(s if s is not None else common[offset + i] for i, s in enumerate(ttype.shape))


class Inputs:
    """How to draw each input (and each shared variable the user gave a strategy for)."""

    def __init__(self, program: Program, strategies: Strategies | None, shapes: Shapes | None):
        self.types = [s.variable.type for s in program.inputs]
        self.given = [_lookup(strategies, s.variable, s.name, s.variable.name) for s in program.inputs]
        self.hints = [_lookup(shapes, s.variable, s.name, s.variable.name) for s in program.inputs]
        shared = [v for v in graph_inputs(roots_of(program)) if isinstance(v, SharedVariable)]
        self.shared = [(v.container, _lookup(strategies, v, v.name)) for v in shared]
        self.ndim = max([t.ndim for t in self.types] + [0])

    def draw(self, data: st.DataObject, special: bool, lo: float | None = None, hi: float | None = None,
             jitter: np.random.Generator | None = None) -> tuple[list[Array], list[tuple[Container, Array]]]:
        """Input values (and drawn shared values). ``jitter`` moves drawn floats off the round
        numbers hypothesis favours (0, 1, integers): kinks and ties of most ops sit exactly there."""
        square = data.draw(st.booleans(), label="same length on every axis")
        common = [data.draw(lengths(), label="length")] * self.ndim if square else \
            [data.draw(lengths(), label="length") for _ in range(self.ndim)]
        values: list[Array] = []
        for k, (t, given_st, hint) in enumerate(zip(self.types, self.given, self.hints)):
            if isinstance(given_st, st.SearchStrategy):
                values.append(np.asarray(data.draw(given_st, label=f"input {k}")))
            else:
                shape = _shape(t, common, hint)
                draws = arrays_for(t, shape, special, lo, hi) if int(np.prod(shape)) <= LARGE else \
                    large_arrays(t.dtype, shape, special, lo, hi)
                value = data.draw(draws, label=f"input {k}")
                if jitter is not None and value.dtype.kind == "f":
                    value = (value.astype(np.float64) + jitter.uniform(-0.25, 0.25, value.shape)).astype(value.dtype)
                values.append(value)
        shared = [(c, np.asarray(data.draw(s, label="shared"))) for c, s in self.shared
                  if isinstance(s, st.SearchStrategy)]
        return values, shared
