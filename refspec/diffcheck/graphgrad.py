"""The gradient check of one generated program, for campaigns (``run_campaign(grad=True)``).

The cost is a scalar: the sum over the program's float outputs that depend on a float leaf (a float
input or float shared variable) of ``sum(w_k * output_k)``, each ``w_k`` a fixed random array. It is
checked by ``verify_grad`` at the program's own drawn values: reverse mode against central
differences, and the Rop/Lop inner-product test, which checks forward mode against reverse mode.

A program is *skipped* (never failed) when the check would say nothing about autodiff:
- "random": it draws random numbers (a draw's value is not a differentiable function of its state);
- "no float leaf" / "no float output": nothing continuous to differentiate;
- "complex": a complex value on the way (complex autodiff is not defined, spec/autodiff.md);
- "not differentiable": ``grad`` refuses (psi's NullGrad, a scan it cannot differentiate);
- "kink in scan": a scan body holds an op with a kink, which ``kinks`` cannot trace;
- "huge": a float leaf beyond ``HUGE``, where verify_grad's step is below its resolution;
- "non-finite" / "kink": at this point (``kinks.near_kink``);
- "precision": the check fails in the graph's float16/float32 but passes on its float64 twin (the
  rules are right; the narrow dtype rounded the derivative away);
- "steep": the check fails at verify_grad's step but passes with a step ten times smaller (truncation
  error near a singularity, or a kink crossed by the larger step only). A wrong gradient rule fails
  at every step size, so it is still caught.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from refspec.ast import Array, Op, SharedVariable, Variable, clone_replace, graph_inputs
from refspec.autodiff import grad
from refspec.autodiff.jvp import NullGradError
from refspec.autodiff.reverse import DisconnectedInputError, NullTypeGradError
from refspec.diffcheck.graphs import Case, all_nodes
from refspec.diffcheck.gradcheck import GradientError, verify_grad, working_eps
from refspec.diffcheck.kinks import near_kink, scan_kinks
from refspec.diffcheck.paths import program_of
from refspec.diffcheck.twin import float64_twin
from refspec.dtypes import is_float
from refspec.interp.evaluate import evaluate
from refspec.tensor.basic import constant
from refspec.tensor.math import sum as sum_
from refspec.tensor.shape_ops import specify_shape

SMALLER_STEP = 1e-4  # verify_grad's default step is 1e-3
HUGE = 1e8  # a float leaf this large barely moves by a step of 1e-3: differences lose its derivative
# grad's and Rop's documented refusals (Rop through real/imag/conj is a TypeError, spec/autodiff.md)
NOT_DIFFERENTIABLE = (NullTypeGradError, NullGradError, DisconnectedInputError, NotImplementedError)


@dataclass(frozen=True)
class GradVerdict:
    """``status`` is "checked", "failed" (the gradient is wrong), "error" (``grad`` raised on a
    well-typed graph, or its gradient graph raised at a point where the graph does not: an autodiff
    bug too) or "skipped"; ``reason`` why it was skipped; ``message``
    the failure (the graph's ops and the GradientError or grad's exception)."""

    status: str
    reason: str = ""
    message: str = ""


def _skip(reason: str) -> GradVerdict:
    return GradVerdict("skipped", reason)


@dataclass(frozen=True)
class GradProblem:
    """What a gradient check differentiates: ``outputs`` as functions of ``leaves`` (the program's
    inputs, then its float shared variables) at ``point`` (one value per leaf)."""

    outputs: list[Variable]
    leaves: list[Variable]
    point: list[Array]


def check_case_gradient(case: Case, seed: int) -> GradVerdict:
    """Check the gradient of ``case``'s float outputs at its drawn values (shared variables at their
    initial values; the case is reset first and left reset)."""
    case.reset()
    try:
        problem = gradient_problem(case)
        if isinstance(problem, GradVerdict):
            return problem
        return check_gradient(problem, np.random.default_rng(seed))
    finally:
        case.reset()


def gradient_problem(case: Case) -> GradProblem | GradVerdict:
    """``case``'s gradient problem at its drawn values and its shared variables' current values, or
    why it is skipped."""
    if Op.RANDOM in case.ops:
        return _skip("random")
    program = program_of(case.inputs, case.outputs, case.updates, case.givens)
    inputs = [s.variable for s in program.inputs]
    shared = sorted((v for v in graph_inputs(program.outputs) if isinstance(v, SharedVariable) and is_float(v.dtype)),
                    key=lambda v: str(v))
    leaves: list[Variable] = [*inputs, *shared]
    point: list[Array] = [np.array(v, copy=True) for v in case.values[:len(inputs)]]
    point += [np.array(s.container.value, copy=True) for s in shared]
    return GradProblem(list(program.outputs), leaves, point)


def differentiable_outputs(problem: GradProblem) -> list[Variable]:
    """The float outputs that depend on a float leaf (and are not leaves themselves)."""
    float_leaves = [v for v in problem.leaves if is_float(v.dtype)]
    return [o for o in problem.outputs if is_float(o.dtype) and o not in problem.leaves
            and any(v in float_leaves for v in graph_inputs([o]))]


def check_gradient(problem: GradProblem, rng: np.random.Generator) -> GradVerdict:
    """Check the gradient of ``problem``'s differentiable outputs (see the module docstring)."""
    leaves, point = problem.leaves, problem.point
    float_leaves = [v for v in leaves if is_float(v.dtype)]
    if not float_leaves:
        return _skip("no float leaf")
    outputs = differentiable_outputs(problem)
    if not outputs:
        return _skip("no float output")
    if any(o.dtype.startswith("complex") for n in all_nodes(outputs) for o in n.outputs):
        return _skip("complex")  # complex autodiff is not defined (spec/autodiff.md)
    if scan_kinks(outputs):
        return _skip("kink in scan")
    if any(is_float(p.dtype.name) and p.size and float(np.max(np.abs(p))) > HUGE for p in point):
        return _skip("huge")
    try:
        grad(sum_(sum(sum_(o) for o in outputs)), float_leaves, disconnected_inputs="ignore")
    except NOT_DIFFERENTIABLE:
        return _skip("not differentiable")
    except Exception as exc:  # noqa: BLE001 - grad itself broke on a well-typed graph: a finding
        return GradVerdict("error", message=f"{_ops(outputs)}: grad raised {type(exc).__name__}: "
                           + str(exc).splitlines()[0])
    try:
        reason = near_kink(outputs, leaves, point, {}, rng)
    except Exception:  # noqa: BLE001 - the program raises at its own values: nothing to check
        return _skip("raises")
    if reason is not None:
        return _skip(reason)
    try:
        values = evaluate(outputs, dict(zip(leaves, point)))
    except Exception:  # noqa: BLE001
        return _skip("raises")
    drawn = [rng.standard_normal(v.shape) for v in values]
    cost = _cost(outputs, leaves, [w.astype(v.dtype) for w, v in zip(drawn, values)])
    state = rng.bit_generator.state
    try:
        first = _attempt(cost, point, rng, None)
    except NOT_DIFFERENTIABLE:
        return _skip("not differentiable")
    except Exception as exc:  # noqa: BLE001 - a gradient graph that cannot be built or evaluated
        return GradVerdict("error", message=f"{_ops(outputs)}: the gradient raised {type(exc).__name__}: "
                           + str(exc).splitlines()[0])
    if first is None:
        return GradVerdict("checked")
    if first == "":
        return _skip("non-finite")
    rng.bit_generator.state = state  # the same directions, a smaller step
    try:
        again = _attempt(cost, point, rng, SMALLER_STEP)
    except Exception:  # noqa: BLE001 - it built and ran at the larger step: keep that verdict
        again = first
    if again is None or again == "":
        return _skip("steep")
    if working_eps(outputs, "float64") > np.finfo(np.float64).eps:
        # computed in float16/float32 somewhere: if the float64 twin's own gradient passes, the
        # rules are right and the narrow dtype lost the derivative (a saturated sigmoid's slope
        # rounds to 0 in float16); a wrong rule fails in float64 too
        wide, wide_leaves = float64_twin(outputs, leaves)
        wide_point = [p.astype(np.float64) if is_float(p.dtype.name) else p for p in point]
        rng.bit_generator.state = state
        try:
            if _attempt(_cost(wide, wide_leaves, drawn), wide_point, rng, None) is None:
                return _skip("precision")
        except Exception:  # noqa: BLE001 - no evidence either way: the narrow verdict stands
            pass
    return GradVerdict("failed", message=f"{_ops(outputs)}: {first}")


def _cost(outputs: Sequence[Variable], leaves: Sequence[Variable], weights: Sequence[Array]) -> Callable[..., Variable]:
    """The scalar cost sum_k sum(w_k * output_k) as a function of new leaves. Each new leaf is
    told its leaf's static shape (verify_grad's inputs have none), which some nodes need (a
    dimshuffle dropping a length-1 axis)."""

    def cost(*new: Variable) -> Variable:
        typed = [specify_shape(n, v.type.shape) if any(d is not None for d in v.type.shape) else n
                 for n, v in zip(new, leaves)]
        replaced = clone_replace(list(outputs), dict(zip(leaves, typed)))
        total: Variable = sum_(replaced[0] * constant(weights[0].astype(replaced[0].dtype)))
        for o, w in zip(replaced[1:], weights[1:]):
            total = total + sum_(o * constant(w.astype(o.dtype)))
        return total

    return cost


def _attempt(cost: Callable[..., Variable], point: list[Array], rng: np.random.Generator,
             eps: float | None) -> str | None:
    """None (passed), "" (no meaningful comparison: a side is not finite) or the failure."""
    try:
        verify_grad(cost, point, n_tests=1, rng=rng, eps=eps)
    except GradientError as exc:
        shape = "has shape" in str(exc)  # a gradient of the wrong shape: a failure, values aside
        if not shape and not (np.isfinite(exc.analytic) and np.isfinite(exc.numeric)):
            return ""
        return str(exc)
    return None


def _ops(outputs: Sequence[Variable]) -> str:
    """The program's ops, in graph order, scan bodies included."""
    return "ops [" + ", ".join(n.op.value for n in all_nodes(outputs)) + "]"

