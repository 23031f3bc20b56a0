"""The fast CPU path: an ordered list of rewrite passes, then code generation (FAST_RUN).

A program with an ``ifelse`` runs on the reference evaluator as a whole (laziness is not generated
yet); ``scan`` nodes run the reference loop. Both are shown by ``Function.report()``, never silent.
If the generated program raises, the call is re-run on the reference, so the error a user sees is
the reference's: same class, naming the node and the line that built it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from refspec.ast import (
    ELEMENTWISE,
    LAZY,
    REDUCE,
    Array,
    Constant,
    Op,
    SharedVariable,
    Variable,
    graph_inputs,
    toposort,
)
from refspec.fast.cpu.codegen import GeneratedProgram, generate
from refspec.fast.cpu.passes import STABILIZE, canonicalize, merge
from refspec.fast.cpu.shapes import ShapeOf
from refspec.interp.evaluate import evaluate
from refspec.printing import debugprint_text
from refspec.rewrite import graph_rewrite


def optimize(roots: Sequence[Variable], log: list[str] | None = None) -> list[Variable]:
    """The rewrite pipeline, in order: merge, canonicalize (exact), stabilize (refinements),
    canonicalize again (to clean up what stabilizing built), merge."""
    shape_of = ShapeOf()
    out = merge(roots)
    out = graph_rewrite(out, canonicalize(shape_of), log=log)
    out = graph_rewrite(out, STABILIZE, log=log)
    out = graph_rewrite(out, canonicalize(ShapeOf()), log=log)
    return merge(out)


@dataclass
class FastRunner:
    """Runs one function's roots (outputs, then update values) through generated code."""

    roots: list[Variable]
    inputs: list[Variable]
    optimized: list[Variable]
    program: GeneratedProgram | None
    rewrites: list[str] = field(default_factory=list)
    fresh: list[bool] = field(default_factory=list)  # per root: a new array no one else holds

    @staticmethod
    def build(roots: Sequence[Variable], inputs: Sequence[Variable]) -> FastRunner:
        log: list[str] = []
        optimized = optimize(roots, log)
        lazy = any(node.op in LAZY for node in toposort(optimized))
        program = None if lazy else generate(optimized, _needed_inputs(optimized, inputs))
        fresh = [program is not None and _is_fresh(v, optimized) for v in optimized]
        return FastRunner(list(roots), list(inputs), optimized, program, log, fresh)

    def __call__(self, roots: Sequence[Variable], env: Mapping[Variable, Array]) -> list[Array]:
        if self.program is None:
            return evaluate(self.optimized, env)
        try:
            with np.errstate(all="ignore"):  # IEEE results are values, as on the reference
                return list(self.program.run(*[env[v] for v in self.program.inputs]))
        except Exception:
            evaluate(self.roots, env)  # the reference raises its own, precise error
            raise

    def report(self) -> str:
        lines = ["rewritten graph:", debugprint_text(self.optimized)]
        if self.rewrites:
            counts: dict[str, int] = {}
            for name in self.rewrites:
                counts[name] = counts.get(name, 0) + 1
            lines.append("rewrites applied: " + ", ".join(f"{n} x{c}" for n, c in sorted(counts.items())))
        if self.program is None:
            lines.append("ran on the reference evaluator: the graph has an ifelse (lazy branches are "
                         "not generated yet)")
        else:
            kinds: dict[str, int] = {}
            for _, how in self.program.kernels:
                kinds[how] = kinds.get(how, 0) + 1
            lines.append(f"generated program: {len(self.program.kernels)} calls ("
                         + ", ".join(f"{c} {how}" for how, c in sorted(kinds.items())) + ")")
            for node, how in self.program.kernels:
                if how in ("reference kernel", "reference loop"):
                    lines.append(f"  {node.op.value}: {how}")
        return "\n".join(lines)


# ops whose kernels always return a newly allocated array (never a view of an input, never an input)
FRESH_OPS = (ELEMENTWISE | REDUCE | {Op.DOT, Op.TENSORDOT, Op.BATCHED_DOT, Op.SOFTMAX, Op.LOG_SOFTMAX,
                                    Op.ALLOC, Op.ARANGE, Op.EYE, Op.MAKE_VECTOR, Op.INC_SUBTENSOR,
                                    Op.JOIN, Op.SHAPE}) - {Op.SUM_TO}


def _is_fresh(v: Variable, roots: Sequence[Variable]) -> bool:
    return v.owner is not None and v.owner.op in FRESH_OPS and sum(r is v for r in roots) == 1


def _needed_inputs(roots: Sequence[Variable], inputs: Sequence[Variable]) -> list[Variable]:
    """The explicit inputs the optimized graph still reads (rewrites may have removed some)."""
    used = {id(v) for v in graph_inputs(roots) if not isinstance(v, (Constant, SharedVariable))}
    return [v for v in inputs if id(v) in used]
