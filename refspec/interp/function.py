"""The reference runner: evaluate a program's outputs and updates from the pre-call state."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from refspec.ast import Array, Variable
from refspec.interp.evaluate import evaluate


def run_reference(roots: Sequence[Variable], env: Mapping[Variable, Array]) -> list[Array]:
    """Values of ``roots`` (outputs, then update expressions), all from the same environment."""
    return evaluate(roots, env)
