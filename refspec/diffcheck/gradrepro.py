"""A standalone pytest file that reproduces a wrong gradient (a gradient check that fails).

The file defines ``cost(x0, x1, ...)``, which rebuilds the graph with ``make_node`` over its
arguments (the leaves: the program's inputs, then its float shared variables), and a ``test_repro``
calling ``refspec.diffcheck.verify_grad(cost, point, n_tests=1, rng=np.random.default_rng(seed))``:
refspec's ``grad`` against finite differences, at the failing point. One differentiable output is
returned as it is (verify_grad projects it on a random direction itself); several are combined as
``sum_k sum(w_k * output_k)`` with fixed random weights written out.

The smallest candidate that still fails is kept, tried in order: the first node (in the graph's
order) whose own gradient check fails at its inputs' values (the node alone over fresh leaves;
constants stay constants), then the whole graph. A node's own check runs through
``graphgrad.check_gradient``, so a node at a kink or a pole is skipped, never blamed. Each candidate
is run before it is kept (``Repro.verified``: the text raises ``GradientError``, an AssertionError),
with fewer elements where that still fails, as ``repro.make_repro`` does.
"""

from __future__ import annotations

import numpy as np

from refspec.ast import Apply, Array, Constant, Op, toposort
from refspec.diffcheck.bisect import isolate
from refspec.diffcheck.graphgrad import GradProblem, check_gradient, differentiable_outputs
from refspec.diffcheck.render import RenderError, import_lines, render_array, render_graph
from refspec.diffcheck.repro import Repro, Scope, fails, shrink_elements
from refspec.dtypes import is_float
from refspec.interp.evaluate import describe, evaluate, evaluate_values

SEED = 0  # the repro's verify_grad directions and the weights of several outputs


def write_grad_repro(problem: GradProblem, title: str = "", seed: int = SEED) -> str:
    """The pytest file for ``problem`` (see the module docstring)."""
    outputs = differentiable_outputs(problem)
    if not outputs:
        raise RenderError("no float output depends on a float leaf")
    g = render_graph(problem.leaves, outputs, declare_inputs=False)
    # verify_grad's inputs have no static shape: a leaf that has one is told it (a dimshuffle
    # dropping a length-1 axis needs it), as graphgrad's own check does
    body = [f"{name} = T.specify_shape({name}, {tuple(v.type.shape)!r})"
            for name, v in zip(g.inputs, problem.leaves) if any(d is not None for d in v.type.shape)]
    uses_tensor = bool(body) or len(outputs) > 1
    body += g.lines
    if len(outputs) == 1:
        body.append(f"return {g.outputs[0]}")
    else:
        values = evaluate(outputs, dict(zip(problem.leaves, problem.point)))
        rng = np.random.default_rng(seed)
        weights = [rng.standard_normal(v.shape).astype(o.dtype) for v, o in zip(values, outputs)]
        body.append("return " + " + ".join(f"T.sum({name} * {render_array(np.asarray(w))})"
                                           for name, w in zip(g.outputs, weights)))
    header = [
        f"# diffcheck gradient repro: {' '.join(title.split())}" if title else "# diffcheck gradient repro",
        "import numpy as np",
        "",
        *(["import refspec.tensor as T"] if uses_tensor else []),
        *import_lines(g, {"refspec.ast": ["Variable"], "refspec.diffcheck": ["verify_grad"]}),
    ]
    signature = f"def cost({', '.join(f'{name}: Variable' for name in g.inputs)}) -> Variable:"
    test = ["def test_repro() -> None:",
            f"    point = [{', '.join(render_array(p) for p in problem.point)}]",
            f"    verify_grad(cost, point, n_tests=1, rng=np.random.default_rng({seed}))"]
    return "\n".join(header + ["", "", signature] + ["    " + ln for ln in body] + ["", ""] + test) + "\n"


def make_grad_repro(problem: GradProblem, title: str = "", seed: int = SEED) -> Repro | None:
    """The smallest verified repro of ``problem``'s failing gradient check; an unverified whole-graph
    one if no candidate fails; None if none can be written."""
    fallback: Repro | None = None
    for scope, candidate, label in _candidates(problem, title, seed):
        def render(point: list[Array], c: GradProblem = candidate, label: str = label) -> str:
            return write_grad_repro(GradProblem(c.outputs, c.leaves, point), label, seed)

        try:
            text = render(candidate.point)
        except RenderError:
            continue
        point = candidate.point
        verified = fails(text)
        if verified:
            point, text = shrink_elements(render, point, [v.type.shape for v in candidate.leaves], text)
        repro = Repro(text, scope, text.count("make_node(Op."), max((int(p.size) for p in point), default=0),
                      verified, text.count("make_node(Op.SCAN"))
        if verified:
            return repro
        fallback = repro
    return fallback


def _candidates(problem: GradProblem, title: str, seed: int) -> list[tuple[Scope, GradProblem, str]]:
    """The first node whose own gradient check fails, then the whole graph; each with its title."""
    whole: tuple[Scope, GradProblem, str] = ("program", problem, title)
    node = _first_failing_node(problem, seed)
    return [whole] if node is None else [node, whole]


def _first_failing_node(problem: GradProblem, seed: int) -> tuple[Scope, GradProblem, str] | None:
    outputs = differentiable_outputs(problem)
    try:
        values = evaluate_values(outputs, dict(zip(problem.leaves, problem.point)))
    except Exception:  # noqa: BLE001 - no values to isolate nodes at: the whole graph only
        return None
    for node in toposort(outputs):
        if not _worth_checking(node) or any(v not in values for v in node.inputs):
            continue  # an untaken ifelse branch: no values, no contribution at this point
        leaves, point, cut = isolate(node, [values[v] for v in node.inputs])
        alone = GradProblem(cut, leaves, point)
        try:
            verdict = check_gradient(alone, np.random.default_rng(seed))
        except Exception:  # noqa: BLE001 - a node whose check cannot run says nothing
            continue
        if verdict.status == "failed":
            return "node", alone, f"at {describe(node)}: {verdict.message.splitlines()[0]}"
    return None


def _worth_checking(node: Apply) -> bool:
    """A node with a float output and a float input that is not a constant (random draws aside)."""
    return (node.op is not Op.RANDOM and any(is_float(o.dtype) for o in node.outputs)
            and any(is_float(v.dtype) and not isinstance(v, Constant) for v in node.inputs))


def gradient_repro(problem: GradProblem, message: str, seed: int = SEED) -> tuple[Repro | None, str]:
    """``make_grad_repro`` for a campaign or a check: the repro (None if none could be written) and
    a note saying where it stands."""
    try:
        repro = make_grad_repro(problem, message, seed)
    except Exception as exc:  # noqa: BLE001 - the failure stands without its repro
        return None, f"no gradient repro: {type(exc).__name__}: {exc}"
    if repro is None:
        return None, "no gradient repro: the graph has no literal form"
    return repro, f"gradient repro ({repro.scope}, {repro.lines} lines" + (
        "" if repro.verified else ", not verified") + ")"

