"""Tests of the fast CPU path (refspec/fast/cpu): differential runs against the reference, rewrites by
structure and by value, and the generated code.

The comparisons shared by these tests live in the library (``refspec.diffcheck.compare``, spec/numerics.md
"Differential checks"): ``assert_same_bits`` where both paths run the same kernels, ``assert_refined``
where a declared refinement (a ``STABILIZE`` rule) changed the graph; running a graph on both paths is
``refspec.diffcheck.paths``. They are re-exported here under the names the tests use.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy.typing as npt

from refspec.ast import Variable
from refspec.diffcheck.compare import ULPS as ULPS
from refspec.diffcheck.compare import STABILIZE_RULES as STABILIZE_RULES
from refspec.diffcheck.compare import assert_refined as assert_refined
from refspec.diffcheck.compare import assert_same_bits as assert_same_bits
from refspec.diffcheck.compare import tolerance as tolerance
from refspec.diffcheck.paths import Outcome, run_paths

Array = npt.NDArray[Any]


def run_both(inputs: Sequence[Variable], outputs: Sequence[Variable], values: Sequence[Any],
             updates: Any = None, givens: Any = None, calls: int = 1) -> tuple[Outcome, Outcome]:
    """Both paths from the same shared state; asserts that they agree, returns both outcomes."""
    result = run_paths(inputs, outputs, values, updates, givens, calls)
    assert result.passed, str(result)
    return result.reference, result.outcomes["FAST_RUN"]
