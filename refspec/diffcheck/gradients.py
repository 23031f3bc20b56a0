"""The gradient part of ``check``: finite differences on the reference, and the gradient graph on
every path.

For each float output, the cost is the sum of that output; it is differentiated with respect to every
float input and every float shared variable the program reads. At a point, ``verify_grad`` compares
the symbolic gradient with central differences (spec/numerics.md, "Gradient checks"). A point where
that comparison says nothing is skipped, not failed: where the output or either derivative is not
finite, or where the check fails at the point but passes at a nearby one (a kink or a tie, where the
subgradient of spec/autodiff.md need not match a difference quotient). The gradient graphs are also
compiled as one program per path and compared like any other program.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from refspec.ast import Array, SharedVariable, Variable, clone_replace, graph_inputs
from refspec.autodiff import grad
from refspec.autodiff.reverse import DisconnectedInputError, NullTypeGradError
from refspec.compile.function import Function
from refspec.compile.program import Program
from refspec.diffcheck.bisect import reference_values, sub_program
from refspec.diffcheck.state import roots_of
from refspec.diffcheck.gradcheck import GradientError, verify_grad
from refspec.diffcheck.graphgrad import GradProblem
from refspec.diffcheck.paths import Comparison, compare_program
from refspec.dtypes import is_float
from refspec.tensor.math import sum as sum_

JITTER = 1e-2  # relative size of the moves away from a suspected kink
RETRIES = 2


@dataclass
class GradientOutcome:
    checked: int = 0
    skipped: int = 0
    failures: list[str] = field(default_factory=list)
    problems: list[GradProblem] = field(default_factory=list)  # one per failure: what a gradient repro rebuilds
    comparison: Comparison | None = None  # the gradient graphs on every path
    program: Program | None = None


class GradientCheck:
    """The gradient checks of one program, built once and run at many points."""

    def __init__(self, program: Program, paths: Sequence[str]):
        self.program = program
        self.paths = tuple(paths)
        self.inputs = [s.variable for s in program.inputs]
        self.shared = [v for v in graph_inputs(roots_of(program))
                       if isinstance(v, SharedVariable) and is_float(v.dtype)]
        self.wrt = [v for v in self.inputs if is_float(v.dtype)] + list(self.shared)
        self.outputs = [i for i, o in enumerate(program.outputs) if is_float(o.dtype)] if self.wrt else []
        grads: list[Variable] = []
        for i in list(self.outputs):
            try:
                grads += grad(sum_(program.outputs[i]), self.wrt, disconnected_inputs="ignore")
            except (NullTypeGradError, DisconnectedInputError, NotImplementedError):
                self.outputs.remove(i)  # not differentiable: nothing to check
        self.grad_program = sub_program(program, grads) if grads else None
        self.compiled: dict[str, Function] = {}

    def run(self, points: list[Array], seed: int) -> GradientOutcome:
        """Check at ``points`` (one value per input; shared variables hold their current values)."""
        outcome = GradientOutcome(program=self.grad_program)
        if not self.outputs:
            return outcome
        if self.grad_program is not None:
            outcome.comparison = compare_program(self.grad_program, points, 1, self.paths, compiled=self.compiled,
                                                 amplified=True)
        values = reference_values(self.program, self.program.outputs, points)
        rng = np.random.default_rng(seed)
        pt = points + [np.array(s.container.value, copy=True) for s in self.shared]
        for i in self.outputs:
            if values is None or not np.all(np.isfinite(values[i])):
                outcome.skipped += 1  # no derivative to speak of where the value is not finite
                continue
            verdict = self._verify(i, pt, rng)
            if verdict is None:
                outcome.skipped += 1
            elif verdict:
                outcome.failures.append(f"output {i}: {verdict}")
                outcome.problems.append(GradProblem([self.program.outputs[i]], self.inputs + list(self.shared), pt))
                outcome.checked += 1
            else:
                outcome.checked += 1
        return outcome

    def _verify(self, i: int, pt: list[Array], rng: np.random.Generator) -> str | None:
        """"" (passed), a failure message, or None (no meaningful check at this point)."""
        leaves = self.inputs + list(self.shared)
        out = self.program.outputs[i]

        def cost(*new: Variable) -> Variable:
            return sum_(clone_replace([out], dict(zip(leaves, new)))[0])

        def attempt(point: list[Array]) -> str | None:
            try:
                verify_grad(cost, point, n_tests=1, rng=rng)
            except GradientError as exc:
                if not (np.isfinite(exc.analytic) and np.isfinite(exc.numeric)):
                    return None
                return str(exc)
            except (NullTypeGradError, DisconnectedInputError, NotImplementedError):
                return None
            return ""

        first = attempt(pt)
        if not first:
            return first
        for _ in range(RETRIES):
            again = attempt([_moved(p, rng) for p in pt])
            if again is None or again == "":
                return None  # a kink or a tie: the check passes (or says nothing) next to it
        return first


def _moved(p: Array, rng: np.random.Generator) -> Array:
    """A float point moved by about JITTER of its size (at least JITTER); other values kept."""
    if not is_float(p.dtype.name):
        return p
    wide = p.astype(np.float64)
    return (wide + JITTER * rng.standard_normal(p.shape) * np.maximum(1.0, np.abs(wide))).astype(p.dtype)
