"""What a fast path does when its generated program raises: run the reference on the same values,
so the error the user sees is the reference's (same class, naming the node and the line that built
it). The re-run's printed output is dropped: a ``Print`` the program already ran must not print
twice."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Mapping, Sequence

from refspec.ast import Array, Variable
from refspec.interp.evaluate import evaluate


def raise_as_reference(roots: Sequence[Variable], env: Mapping[Variable, Array]) -> None:
    """Evaluate ``roots`` on the reference, quietly; returns only if the reference succeeds."""
    with contextlib.redirect_stdout(io.StringIO()):
        evaluate(roots, env)
