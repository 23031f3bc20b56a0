"""Drawing cases outside a test, deterministically, and measuring what a campaign covers.

``draw_cases(strategy, n, seed)`` runs hypothesis' generate phase under ``@seed(seed)``, with the
example database off and no shrinking, and collects each drawn value: the same seed (and hypothesis
version) gives the same cases. ``op_coverage`` reports the issue's generation targets over such a
sample: per op, how many cases hold it and in which dtypes; graph sizes; feature fractions.
"""

from __future__ import annotations

import collections
import statistics
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TypeVar

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

from refspec.ast import Op
from refspec.diffcheck.graphs import FEATURES, Case, programs

T = TypeVar("T")


def for_each_case(strategy: st.SearchStrategy[T], n: int, seed_value: int, fn: Callable[[T], None]) -> None:
    """Call ``fn`` on ``n`` values of ``strategy``, deterministic for ``seed_value``."""

    @seed(seed_value)
    @settings(database=None, max_examples=n, derandomize=False, deadline=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(strategy)
    def collect(value: T) -> None:
        fn(value)

    collect()


def draw_cases(strategy: st.SearchStrategy[T], n: int, seed_value: int = 0) -> list[T]:
    """``n`` values of ``strategy``, deterministic for ``seed_value``."""
    out: list[T] = []
    for_each_case(strategy, n, seed_value, out.append)
    return out


@dataclass
class Coverage:
    n_cases: int
    cases_per_op: collections.Counter[Op]  # how many cases hold at least one node of the op
    dtypes_per_op: dict[Op, set[str]]  # the dtypes the op's nodes worked in (graphs.node_dtype)
    n_nodes: list[int]
    features: dict[str, float]  # fraction of cases with each feature, and the two target unions
    raises: float  # fraction of cases that raise a documented runtime error
    seconds: float  # generation time
    per_1000_s: float = field(init=False)

    def __post_init__(self) -> None:
        self.per_1000_s = 1000 * self.seconds / max(self.n_cases, 1)

    @property
    def median_nodes(self) -> float:
        return float(statistics.median(self.n_nodes)) if self.n_nodes else 0.0

    def short_of(self, per_10000: int = 50, min_dtypes: int = 3) -> list[str]:
        """Ops below the targets (>= per_10000 cases per 10,000, scaled to this sample; >= min_dtypes)."""
        need = per_10000 * self.n_cases / 10_000
        return [f"{op.value}: {self.cases_per_op[op]} cases, {len(self.dtypes_per_op.get(op, ()))} dtypes"
                for op in Op
                if self.cases_per_op[op] < need or len(self.dtypes_per_op.get(op, ())) < min_dtypes]

    def report(self) -> str:
        lines = [f"{self.n_cases} cases in {self.seconds:.1f} s ({self.per_1000_s:.1f} s per 1000); "
                 f"median {self.median_nodes:g} nodes; {100 * self.raises:.1f}% raise"]
        lines += [f"  {name}: {100 * frac:.1f}%" for name, frac in sorted(self.features.items())]
        ranked = sorted(Op, key=lambda o: self.cases_per_op[o])
        lines += [f"  {op.value}: {self.cases_per_op[op]} cases, dtypes {sorted(self.dtypes_per_op.get(op, ()))}"
                  for op in ranked]
        return "\n".join(lines)


class Tally:
    """Coverage accumulated case by case (a campaign need not keep its cases)."""

    def __init__(self) -> None:
        self.cases = 0
        self.per_op: collections.Counter[Op] = collections.Counter()
        self.dtypes: dict[Op, set[str]] = collections.defaultdict(set)
        self.features: collections.Counter[str] = collections.Counter()
        self.n_nodes: list[int] = []
        self.raises = 0

    def add(self, case: Case) -> None:
        self.cases += 1
        self.per_op.update(set(case.ops))
        for op, ds in case.dtypes.items():
            self.dtypes[op] |= ds
        self.features.update(case.features)
        self.features["scan_or_ifelse"] += bool(case.features & {"scan", "ifelse"})
        self.features["updates_or_givens"] += bool(case.features & {"updates", "givens"})
        self.n_nodes.append(case.n_nodes)
        self.raises += case.raises is not None

    def coverage(self, seconds: float = 0.0) -> Coverage:
        n = max(self.cases, 1)
        names = sorted(FEATURES) + ["scan_or_ifelse", "updates_or_givens"]
        return Coverage(self.cases, self.per_op, dict(self.dtypes), self.n_nodes,
                        {k: self.features[k] / n for k in names}, self.raises / n, seconds)


def measure(cases: Iterable[Case], seconds: float = 0.0) -> Coverage:
    """The coverage of already drawn cases."""
    tally = Tally()
    for case in cases:
        tally.add(case)
    return tally.coverage(seconds)


def op_coverage(n_cases: int, seed_value: int = 0, strategy: st.SearchStrategy[Case] | None = None) -> Coverage:
    """Coverage of ``n_cases`` drawn from ``strategy`` (default: ``programs()``) with ``seed_value``;
    ``seconds``/``per_1000_s`` time the drawing alone."""
    tally = Tally()
    start = time.perf_counter()
    for_each_case(strategy if strategy is not None else programs(), n_cases, seed_value, tally.add)
    return tally.coverage(time.perf_counter() - start)
