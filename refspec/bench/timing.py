"""Side-by-side timing: warm up every step, then interleave samples round by round (so a burst of load
on this shared machine hits every backend alike) and report per-call medians."""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Mapping
from dataclasses import dataclass

from refspec.bench.workloads import Step


@dataclass(frozen=True)
class Budget:
    """How hard to measure: samples per backend, the least time one sample spans (short calls are
    looped), warm-up time, and a cap on the time spent sampling one backend."""

    rounds: int = 15
    min_sample_s: float = 0.005
    warmup_s: float = 0.2
    cap_s: float = 3.0

    @staticmethod
    def for_run(quick: bool) -> Budget:
        return Budget(rounds=5, min_sample_s=0.002, warmup_s=0.03, cap_s=0.5) if quick else Budget()


@dataclass(frozen=True)
class Timing:
    median_s: float
    min_s: float
    samples: int  # how many samples the median is over
    loops: int  # calls per sample


def _estimate(step: Step, warmup_s: float) -> float:
    """Warm up (at least two calls, at least ``warmup_s`` of calls) and return the per-call estimate
    from the last calls."""
    step()
    start = last = time.perf_counter()
    calls, per_call = 0, math.inf
    while calls < 2 or time.perf_counter() - start < warmup_s:
        step()
        now = time.perf_counter()
        per_call = min(per_call, now - last)
        last, calls = now, calls + 1
        if calls >= 10_000:
            break
    return per_call


def _sample(step: Step, loops: int) -> float:
    start = time.perf_counter()
    for _ in range(loops):
        step()
    return (time.perf_counter() - start) / loops


def measure(steps: Mapping[str, Step], budget: Budget) -> dict[str, Timing]:
    """Median seconds per call of each step, all measured in the same interleaved rounds."""
    loops: dict[str, int] = {}
    rounds: dict[str, int] = {}
    for name, step in steps.items():
        per_call = max(_estimate(step, budget.warmup_s), 1e-9)
        loops[name] = max(1, math.ceil(budget.min_sample_s / per_call))
        rounds[name] = max(3, min(budget.rounds, int(budget.cap_s / (per_call * loops[name]))))
    samples: dict[str, list[float]] = {name: [] for name in steps}
    for i in range(max(rounds.values(), default=0)):
        for name, step in steps.items():
            if i < rounds[name]:
                samples[name].append(_sample(step, loops[name]))
    return {name: Timing(statistics.median(s), min(s), len(s), loops[name]) for name, s in samples.items()}
