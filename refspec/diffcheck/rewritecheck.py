"""Rewrites preserve values: the rewritten graph against the original, both on the reference.

A path that rewrites (FAST_RUN's ``FastRunner``) keeps its rewritten roots (``optimized``) and the
log of the rules that fired (``rewrites``). Evaluating the original roots and the rewritten ones with
the reference interpreter, from the same inputs and state, isolates the rewrites from the kernels:
they must agree bit for bit (and raise the same error class), unless a declared refinement (a
``STABILIZE`` rule) fired, when ``compare.compare_arrays``' refinement policy applies (amplified, as
in a campaign). A disagreement is an *unsound rewrite*, reported with the rules that fired.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from refspec.ast import Array, Variable
from refspec.compile.function import Function
from refspec.diffcheck.compare import STABILIZE_RULES, compare_arrays
from refspec.diffcheck.paths import rewriting_runner
from refspec.interp.evaluate import evaluate


@dataclass(frozen=True)
class UnsoundRewrite:
    """The rewritten graph computes another value than the original (or raises otherwise)."""

    path: str
    rules: tuple[str, ...]  # the rules that fired, each once, in the order they first fired
    what: str  # "root 2", "error"
    message: str

    def __str__(self) -> str:
        return f"unsound rewrite on {self.path} (rules fired: {', '.join(self.rules) or 'none'}): {self.what}: " \
               f"{self.message}"


def _evaluate(roots: Sequence[Variable], env: dict[Variable, Array]) -> list[Array] | BaseException:
    try:
        with contextlib.redirect_stdout(io.StringIO()):  # prints are not what is compared here
            return [np.array(v, copy=True) for v in evaluate(roots, env)]
    except Exception as exc:  # noqa: BLE001 - the error class is compared
        return exc


def rewrites_anything(f: Function) -> bool:
    """Whether ``f`` has a rewritten graph other than its own (the pipeline changed some root)."""
    runner = rewriting_runner(f)
    return runner is not None and any(a is not b for a, b in zip(runner.roots, runner.optimized))


def check_rewrites(f: Function, values: Sequence[object], path: str = "FAST_RUN") -> UnsoundRewrite | None:
    """Whether ``f``'s rewrites preserve the values of its roots (outputs, then updates) at
    ``values`` from the current state; None when they do, or when ``f`` does not rewrite anything."""
    runner = rewriting_runner(f)
    if runner is None or not rewrites_anything(f):
        return None
    rules = tuple(dict.fromkeys(runner.rewrites))
    try:
        env = f._bind(values, {})
    except Exception:  # noqa: BLE001 - values the function does not accept: nothing to compare
        return None
    before = _evaluate(runner.roots, env)
    after = _evaluate(runner.optimized, env)
    if isinstance(before, BaseException) or isinstance(after, BaseException):
        if type(before) is not type(after):
            return UnsoundRewrite(path, rules, "error", f"original {_said(before)}, rewritten {_said(after)}")
        return None
    refined = any(r in STABILIZE_RULES for r in rules)
    for k, (b, a) in enumerate(zip(before, after)):
        found = compare_arrays(b, a, refined, amplified=True)
        if found is not None and not found.refinement:
            return UnsoundRewrite(path, rules, f"root {k}", found.message)
    return None


def _said(result: list[Array] | BaseException) -> str:
    if isinstance(result, BaseException):
        return f"raised {type(result).__name__}"
    return "returned values"
