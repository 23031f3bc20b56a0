"""Python source for graphs, params and arrays: the text of a standalone repro.

A graph becomes one line per leaf (``TensorType(...)(name)``, ``TensorConstant(...)``,
``TensorSharedVariable(...)``: the tensor classes where the graph has them)
and one ``make_node(Op.X, [...], params)`` line per node; params (frozen dataclasses of
``refspec.params``) and arrays (``np.array(<literal>, dtype=...)``) are written so that evaluating the
text gives back equal params and the same bits (NaN, infinities and ``-0.0`` included).

A scan node's params hold its inner graph (``ScanParams.inner_inputs`` / ``inner_outputs`` /
``until``): it is written just before the node, in the same flat scope, as one ``TensorType(...)``
line per inner input (named ``a0, a1, ...``), one ``make_node`` line per inner node (a nested scan
the same way, recursively) and one ``p<k> = ScanParams(...)`` line naming them. Nodes are numbered in
the order written, inner ones included, and a node (or params object) written once is referred to
by its name afterwards: a body may share nodes with the outer graph, and cloned scan nodes their
params.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping, Sequence

from refspec import params as params_module
from refspec.ast import Apply, Array, Constant, SharedVariable, TensorType, Variable, toposort
from refspec.params import ScanParams
from refspec.tensor.var import TensorVariable


class RenderError(ValueError):
    """Something that has no faithful literal (an element or a parameter of an unknown kind, a leaf
    that is neither an input, a constant nor a shared variable)."""


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


def _is_default(field: dataclasses.Field[object], value: object) -> bool:
    default = field.default
    if default is dataclasses.MISSING:
        return False
    return value is default or (type(value) is type(default) and not isinstance(value, Variable)
                                and value == default)


def render_params(p: object, names: set[str], variable: Callable[[Variable], str] | None = None) -> str:
    """Params as a constructor call (fields at their default left out); the classes used are added
    to ``names`` (to import). ``variable`` names the variables params hold (a scan's inner graph);
    without it they have no literal."""
    if p is params_module.NO_PARAMS:
        names.add("NO_PARAMS")
        return "NO_PARAMS"
    if isinstance(p, Variable):
        if variable is None:
            raise RenderError(f"no literal for the variable {p} held by params")
        return variable(p)
    if dataclasses.is_dataclass(p) and not isinstance(p, type):
        cls = type(p)
        if getattr(params_module, cls.__name__, None) is not cls:
            raise RenderError(f"{cls.__name__} is not a class of refspec.params")
        names.add(cls.__name__)
        fields = ", ".join(f"{f.name}={render_params(getattr(p, f.name), names, variable)}"
                           for f in dataclasses.fields(p) if not _is_default(f, getattr(p, f.name)))
        return f"{cls.__name__}({fields})"
    if isinstance(p, tuple):
        items = [render_params(e, names, variable) for e in p]
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
    nodes: int  # make_node lines, scan bodies included
    scans: int = 0  # scan nodes among them
    classes: set[str] = dataclasses.field(default_factory=set)  # leaf classes used (see ``import_lines``)


class _Writer:
    """The lines of one flat scope, and the name of everything written so far."""

    def __init__(self, shared_values: dict[int, Array] | None) -> None:
        self.names: dict[int, str] = {}
        self.lines: list[str] = []
        self.imports: set[str] = set()
        self.shared_values = shared_values or {}
        self.nodes = self.scans = self.inner_inputs = 0
        self.params: dict[int, str] = {}  # id(ScanParams) -> its name
        self.classes: set[str] = set()  # the leaf classes written

    def declare(self, v: Variable, name: str, line: bool = True) -> None:
        self.names[id(v)] = name
        if line:
            self.lines.append(f"{name} = {render_type(v.type)}({name!r})")

    def ref(self, v: Variable) -> str:
        """The name of ``v``: written before, or a leaf written now."""
        if id(v) in self.names:
            return self.names[id(v)]
        if v.owner is not None:
            raise RenderError(f"{v} is used before its node is written")
        k = len(self.names)
        tensor = isinstance(v, TensorVariable)  # the class the graph used: autodiff rules expect it
        if isinstance(v, Constant):
            cls = "TensorConstant" if tensor else "Constant"
            name, text = f"c{k}", f"{cls}({render_type(v.type)}, {render_array(v.data)})"
        elif isinstance(v, SharedVariable):
            cls = "TensorSharedVariable" if tensor else "SharedVariable"
            value = self.shared_values.get(id(v), v.container.value)
            name, text = f"s{k}", f"{cls}({render_type(v.type)}, {render_array(value)}, {f's{k}'!r})"
        else:
            raise RenderError(f"{v} is neither an input, a constant nor a shared variable")
        self.classes.add(cls)
        self.names[id(v)] = name
        self.lines.append(f"{name} = {text}")
        return name

    def graph(self, roots: Sequence[Variable]) -> None:
        for node in toposort(list(roots)):
            if id(node.outputs[0]) not in self.names:  # not written already (in a scan body, say)
                self.node(node)

    def node(self, node: Apply) -> None:
        args = ", ".join(self.ref(v) for v in node.inputs)
        params = node.params
        text = self.scan_params(params) if isinstance(params, ScanParams) else render_params(params, self.imports)
        k = self.nodes
        self.nodes += 1
        self.lines.append(f"n{k} = make_node(Op.{node.op.name}, [{args}], {text}).outputs")
        for j, out in enumerate(node.outputs):
            self.names[id(out)] = f"n{k}[{j}]"

    def scan_params(self, params: ScanParams) -> str:
        """Write the inner graph and a ``p<k> = ScanParams(...)`` line; return ``p<k>``."""
        if id(params) in self.params:
            return self.params[id(params)]
        for v in params.inner_inputs:
            if id(v) not in self.names:
                self.declare(v, f"a{self.inner_inputs}")
                self.inner_inputs += 1
        self.graph(list(params.inner_outputs) + ([params.until] if params.until is not None else []))
        name = f"p{self.nodes}"  # the number of the scan node written next
        self.scans += 1
        self.lines.append(f"{name} = {render_params(params, self.imports, self.ref)}")
        self.params[id(params)] = name
        return name


def render_graph(inputs: Sequence[Variable], outputs: Sequence[Variable],
                 updates: Sequence[tuple[SharedVariable, Variable]] = (),
                 shared_values: dict[int, Array] | None = None, declare_inputs: bool = True) -> GraphText:
    """The lines that rebuild the graph computing ``outputs`` and ``updates`` from ``inputs``, named
    ``x0, x1, ...`` (shared variables hold ``shared_values[id(var)]``, else their current value).
    ``declare_inputs=False`` leaves out the inputs' ``TensorType`` lines (the caller binds the
    names, as parameters of a function, say)."""
    w = _Writer(shared_values)
    for k, v in enumerate(inputs):
        w.declare(v, f"x{k}", declare_inputs)
    w.graph(list(outputs) + [e for _, e in updates])
    outs = [w.ref(v) for v in outputs]
    ups = [(w.ref(t), w.ref(e)) for t, e in updates]
    return GraphText(w.lines, [w.names[id(v)] for v in inputs], outs, ups, w.imports, w.nodes, w.scans, w.classes)


def import_lines(g: GraphText, more: Mapping[str, Sequence[str]]) -> list[str]:
    """The ``from ... import ...`` lines ``g``'s lines need (``Op``, ``TensorType``, ``make_node``,
    the leaf classes and the params classes) merged with ``more`` (module -> names), by module."""
    wanted: dict[str, set[str]] = {"refspec.ast": {"Op"}, "refspec.ops": {"make_node"}}
    if any("TensorType(" in line for line in g.lines):
        wanted["refspec.ast"].add("TensorType")
    wanted["refspec.ast"] |= g.classes & {"Constant", "SharedVariable"}
    wanted["refspec.tensor"] = g.classes & {"TensorConstant", "TensorSharedVariable"}
    wanted["refspec.params"] = set(g.imports)
    for module, names in more.items():
        wanted.setdefault(module, set()).update(names)
    return [f"from {m} import {', '.join(sorted(names))}" for m, names in sorted(wanted.items()) if names]
