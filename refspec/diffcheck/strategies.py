"""Hypothesis strategies for differential testing: the generation layer of ``refspec.diffcheck``.

- values (``values.py``): ``dtypes``, ``shapes``, ``broadcastable_shapes``, ``arrays_for`` (arrays that
  are values of a ``TensorType``, with NaN, ±inf, ±0, subnormals and integer extremes on purpose);
- graphs (``graphs.py``): ``graphs()`` draws one well-typed graph of 1..max_nodes nodes over the whole
  op table, ``programs()`` a program (several outputs, shared variables with updates, givens, ifelse,
  scan with every tap kind, random streams); both give a ``Case``. The builders behind them live in
  ``builder.py`` (pool, eager reference values, rollback), ``elementwise.py``, ``structural.py``,
  ``indexing.py`` and ``control.py``; value domains in ``domains.py``;
- drawing outside a test (``coverage.py``): ``draw_cases`` (deterministic for a seed) and
  ``op_coverage`` (the generation targets of a campaign).

A generated case runs on the reference (``case.function("REFERENCE")``) and gives ``case.expected``,
or raises the documented runtime error ``case.raises`` (one of ``LEGIT_ERRORS``).
"""

from __future__ import annotations

from refspec.diffcheck.builder import LEGIT_ERRORS
from refspec.diffcheck.coverage import Coverage, Tally, draw_cases, for_each_case, measure, op_coverage
from refspec.diffcheck.graphs import FEATURES, Case, all_nodes, graphs, node_dtype, programs
from refspec.diffcheck.values import (
    KINDS,
    arrays_for,
    broadcastable_shapes,
    dtypes,
    elements_for,
    lengths,
    ordinary_values,
    shape_for,
    shapes,
    special_values,
)

__all__ = [
    "FEATURES", "KINDS", "LEGIT_ERRORS", "Case", "Coverage", "Tally", "all_nodes", "arrays_for",
    "broadcastable_shapes", "draw_cases", "dtypes", "elements_for", "for_each_case", "graphs", "lengths",
    "measure",
    "node_dtype", "op_coverage", "ordinary_values", "programs", "shape_for", "shapes", "special_values",
]
