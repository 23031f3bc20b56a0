"""Python source for graphs, params and arrays: the text of a standalone repro.

A graph becomes one line per leaf (``TensorType(...)(name)``, ``Constant(...)``, ``SharedVariable(...)``)
and one ``make_node(Op.X, [...], params)`` line per node; params (frozen dataclasses of
``refspec.params``) and arrays (``np.array(<literal>, dtype=...)``) are written so that evaluating the
text gives back equal params and the same bits (NaN, infinities and ``-0.0`` included).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

from refspec import params as params_module
from refspec.ast import Array, Constant, SharedVariable, TensorType, Variable, toposort


class RenderError(ValueError):
    """Something that has no faithful literal (a scan's inner graph, say)."""


def render_type(t: TensorType) -> str:
    dims = ", ".join("None" if s is None else str(s) for s in t.shape)
    return f"TensorType({t.dtype!r}, shape=({dims}{',' if t.ndim == 1 else ''}))"


def _scalar(x: object) -> str:
    if isinstance(x, bool | int):
        return repr(x)
    if isinstance(x, float):
        return repr(x) if math.isfinite(x) else ("np.nan" if math.isnan(x) else "np.inf" if x > 0 else "-np.inf")
    if isinstance(x, complex):
        return f"complex({_scalar(x.real)}, {_scalar(x.imag)})"
    raise RenderError(f"no literal for the element {x!r}")


def _nested(x: object) -> str:
    if isinstance(x, list):
        return "[" + ", ".join(_nested(e) for e in x) + "]"
    return _scalar(x)


def render_array(a: Array) -> str:
    """``np.array(...)`` text that evaluates (``numpy`` imported as ``np``) to ``a``'s bits."""
    dtype = a.dtype.name
    if a.size == 0:
        return f"np.zeros({tuple(a.shape)!r}, dtype={dtype!r})"
    return f"np.array({_nested(a.tolist())}, dtype={dtype!r})"


def render_params(p: object, names: set[str]) -> str:
    """Params as a constructor call; the classes used are added to ``names`` (to import)."""
    if p is params_module.NO_PARAMS:
        names.add("NO_PARAMS")
        return "NO_PARAMS"
    if dataclasses.is_dataclass(p) and not isinstance(p, type):
        cls = type(p)
        if getattr(params_module, cls.__name__, None) is not cls:
            raise RenderError(f"{cls.__name__} is not a class of refspec.params")
        names.add(cls.__name__)
        fields = ", ".join(f"{f.name}={render_params(getattr(p, f.name), names)}" for f in dataclasses.fields(p))
        return f"{cls.__name__}({fields})"
    if isinstance(p, tuple):
        items = [render_params(e, names) for e in p]
        return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
    if p is None or isinstance(p, (str, bool, int)):
        return repr(p)
    if isinstance(p, float):
        return _scalar(p)
    raise RenderError(f"no literal for the parameter {p!r} ({type(p).__name__})")


@dataclasses.dataclass
class GraphText:
    """A rendered graph: the lines building it, and the names of its parts."""

    lines: list[str]
    inputs: list[str]  # the input variables, in order
    outputs: list[str]
    updates: list[tuple[str, str]]
    imports: set[str]  # names to import from refspec.params
    nodes: int


def render_graph(inputs: Sequence[Variable], outputs: Sequence[Variable],
                 updates: Sequence[tuple[SharedVariable, Variable]] = (),
                 shared_values: dict[int, Array] | None = None) -> GraphText:
    """The lines that rebuild the graph computing ``outputs`` and ``updates`` from ``inputs``
    (shared variables hold ``shared_values[id(var)]``, else their current value)."""
    names: dict[int, str] = {}
    lines: list[str] = []
    imports: set[str] = set()
    for k, v in enumerate(inputs):
        names[id(v)] = f"x{k}"
        lines.append(f"x{k} = {render_type(v.type)}({f'x{k}'!r})")

    def leaf(v: Variable) -> str:
        if id(v) in names:
            return names[id(v)]
        k = len(names)
        if isinstance(v, Constant):
            name, text = f"c{k}", f"Constant({render_type(v.type)}, {render_array(v.data)})"
        elif isinstance(v, SharedVariable):
            value = (shared_values or {}).get(id(v), v.container.value)
            name, text = f"s{k}", f"SharedVariable({render_type(v.type)}, {render_array(value)}, {f's{k}'!r})"
        else:
            raise RenderError(f"{v} is neither an input, a constant nor a shared variable")
        names[id(v)] = name
        lines.append(f"{name} = {text}")
        return name

    roots = list(outputs) + [e for _, e in updates]
    order = toposort(roots)
    for k, node in enumerate(order):
        args = ", ".join(_ref(v, names) if v.owner is not None else leaf(v) for v in node.inputs)
        lines.append(f"n{k} = make_node(Op.{node.op.name}, [{args}], {render_params(node.params, imports)}).outputs")
        for j, out in enumerate(node.outputs):
            names[id(out)] = f"n{k}[{j}]"
    outs = [_ref(v, names) if v.owner is not None else leaf(v) for v in outputs]
    ups = [(leaf(t), _ref(e, names) if e.owner is not None else leaf(e)) for t, e in updates]
    return GraphText(lines, [names[id(v)] for v in inputs], outs, ups, imports, len(order))


def _ref(v: Variable, names: dict[int, str]) -> str:
    return names[id(v)]
