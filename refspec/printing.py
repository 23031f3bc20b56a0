"""Printing graphs: ``pp`` / ``pprint`` (infix text), ``debugprint`` (a tree with types) and the
``Print`` op, which prints a value when it is evaluated."""

from __future__ import annotations

import io
import sys
from collections.abc import Sequence
from typing import TextIO

from refspec.ast import Apply, Constant, Op, Variable
from refspec.ops import apply1, op_display_name
from refspec.params import SYM, CastParams, IndexParams, PrintParams, ScalarIndex, SliceIndex

_INFIX = {
    Op.ADD: ("+", 1), Op.SUB: ("-", 1), Op.MUL: ("*", 2), Op.TRUE_DIV: ("/", 2), Op.INT_DIV: ("//", 2),
    Op.MOD: ("%", 2), Op.POW: ("**", 3), Op.LT: ("<", 0), Op.GT: (">", 0), Op.LE: ("<=", 0),
    Op.GE: (">=", 0), Op.EQ: ("==", 0), Op.NEQ: ("!=", 0), Op.AND: ("&", 0), Op.OR: ("|", 0),
    Op.XOR: ("^", 0),
}


def _leaf(var: Variable) -> str:
    if isinstance(var, Constant):
        return str(var)
    return var.name if var.name is not None else f"<{var.type}>"


def pprint(var: Variable | Sequence[Variable]) -> str:
    """A readable infix form of the graph computing ``var``: ``(x + (y * TensorConstant{2}))``."""
    if isinstance(var, (list, tuple)):
        return "\n".join(pprint(v) for v in var)
    assert isinstance(var, Variable)
    text: dict[int, str] = {}
    from refspec.ast import toposort

    def show(v: Variable) -> str:
        return text.get(id(v), _leaf(v))

    for node in toposort([var]):
        args = [show(v) for v in node.inputs]
        if node.op in _INFIX and len(args) == 2:
            symbol = _INFIX[node.op][0]
            rendered = f"({args[0]} {symbol} {args[1]})"
        elif node.op is Op.NEG:
            rendered = f"-{args[0]}"
        elif node.op is Op.SUBTENSOR and isinstance(node.params, IndexParams):
            rendered = f"{args[0]}[{_index_text(node.params, args[1:])}]"
        elif node.op is Op.CAST and isinstance(node.params, CastParams):
            rendered = f"cast({args[0]}, {node.params.dtype!r})"
        else:
            name = node.op.value if node.op in _INFIX or not node.outputs else _short_name(node)
            rendered = f"{name}({', '.join(args)})"
        for i, out in enumerate(node.outputs):
            text[id(out)] = out.name if out.name is not None else (
                rendered if len(node.outputs) == 1 else f"{rendered}[{i}]"
            )
    return show(var) if var.owner is None or var.name is not None else text[id(var)]


def _index_text(params: IndexParams, symbolic: list[str]) -> str:
    """``0, 1:3, ::-1, i`` for an index description (symbolic parts by their printed form)."""
    parts = iter(symbolic)

    def part(p: int | None | str) -> str:
        return "" if p is None else next(parts) if p == SYM else str(p)

    items: list[str] = []
    for e in params.entries:
        if isinstance(e, ScalarIndex):
            items.append(part(e.value))
        elif isinstance(e, SliceIndex):
            text = f"{part(e.start)}:{part(e.stop)}"
            items.append(text + (f":{part(e.step)}" if e.step is not None else ""))
        else:
            items.append(next(parts))
    return ", ".join(items)


def _short_name(node: Apply) -> str:
    if node.op is Op.DIMSHUFFLE:
        return op_display_name(node.op, node.params)
    return str(node.op.value)


pp = pprint


def debugprint(
    obj: object, depth: int | None = None, file: TextIO | None = None, print_type: bool = True
) -> None:
    """Print the graph of a variable, a list of variables or a compiled function as an indented tree
    (one line per node: op, variable id, type); repeated subtrees are printed once."""
    from refspec.compile.function import Function

    out = file or sys.stdout
    roots: list[Variable]
    if isinstance(obj, Function):
        roots = list(obj.maker.fgraph.outputs) + [e for _, e in obj.program.updates]
    elif isinstance(obj, Variable):
        roots = [obj]
    else:
        roots = list(obj)  # type: ignore[call-overload]
    ids: dict[int, str] = {}
    printed: set[int] = set()

    def ident(v: Variable) -> str:
        return ids.setdefault(id(v), f"[id {_letters(len(ids))}]")

    def walk(v: Variable, level: int) -> None:
        if depth is not None and level >= depth:
            return
        label = op_display_name(v.owner.op, v.owner.params) if v.owner is not None else _leaf(v)
        if v.owner is not None and v.name is not None:
            label = f"{label} '{v.name}'"
        kind = f" <{v.type}>" if print_type else ""
        repeat = v.owner is not None and id(v.owner) in printed
        out.write(f"{' |' * level}{label} {ident(v)}{kind}{' ...' if repeat else ''}\n")
        if v.owner is None or repeat:
            return
        printed.add(id(v.owner))
        for i in v.owner.inputs:
            walk(i, level + 1)

    for r in roots:
        walk(r, 0)


def debugprint_text(obj: object, depth: int | None = None) -> str:
    """What ``debugprint`` prints, as a string."""
    buffer = io.StringIO()
    debugprint(obj, depth=depth, file=buffer)
    return buffer.getvalue().rstrip("\n")


def _letters(n: int) -> str:
    s = ""
    n += 1
    while n:
        n, r = divmod(n - 1, 26)
        s = chr(65 + r) + s
    return s


class Print:
    """``Print(message)(x)`` is ``x``, and prints ``<message> __str__ = <value>`` whenever evaluated.
    ``attrs=('shape',)`` prints those attributes of the value instead."""

    def __init__(self, message: str = "", attrs: Sequence[str] = ("__str__",)):
        self.message = message
        self.attrs = tuple(attrs)

    def __call__(self, x: object) -> Variable:
        from refspec.tensor.basic import as_tensor_variable

        return apply1(Op.PRINT, [as_tensor_variable(x)], PrintParams(self.message, self.attrs))  # type: ignore[arg-type]
