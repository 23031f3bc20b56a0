"""Graph rewriting: patterns over nodes, ordered rule tables, and a bottom-up driver to a fixed point.

A rule is a ``Pat`` (an op, optional sub-patterns for its inputs, optional names binding the matched
variables) and a callback that receives the bindings and returns a replacement variable or None. Rules
are plain typed functions; tables are lists, composed with ``+`` (tinygrad's PatternMatcher, without
its bytecode tricks). Graphs are never mutated: a rewrite rebuilds what changed and returns new roots.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from refspec.ast import Apply, Constant, Op, Variable, toposort
from refspec.ops import make_node


@dataclass(frozen=True)
class Pat:
    """Matches a variable: produced by ``op`` (any op if None) with inputs matching ``src`` (any if
    None), or, with ``const=True``, a constant. ``name`` binds the matched variable."""

    op: Op | None = None
    src: tuple[Pat, ...] | None = None
    name: str | None = None
    const: bool = False
    where: Callable[[Variable], bool] | None = field(default=None, compare=False)

    def match(self, var: Variable, bound: dict[str, Variable]) -> bool:
        if self.const and not isinstance(var, Constant):
            return False
        if self.op is not None:
            if var.owner is None or var.owner.op is not self.op or var.index != 0:
                return False
            if self.src is not None:
                if len(self.src) != len(var.owner.inputs):
                    return False
                for pat, inp in zip(self.src, var.owner.inputs):
                    if not pat.match(inp, bound):
                        return False
        if self.where is not None and not self.where(var):
            return False
        if self.name is not None:
            if self.name in bound and bound[self.name] is not var:
                return False  # one name, one variable: Pat(name="x") twice means the same x
            bound[self.name] = var
        return True


def var(name: str, where: Callable[[Variable], bool] | None = None) -> Pat:
    """Any variable, bound to ``name``."""
    return Pat(name=name, where=where)


def const(name: str, where: Callable[[Variable], bool] | None = None) -> Pat:
    """A constant, bound to ``name``."""
    return Pat(name=name, const=True, where=where)


Callback = Callable[[dict[str, Variable]], Variable | None]
Rule = tuple[Pat, Callback]


class PatternMatcher:
    """An ordered table of rules; the first rule whose pattern matches and whose callback returns a
    variable wins."""

    def __init__(self, rules: Sequence[Rule]):
        self.rules = list(rules)
        self._by_op: dict[Op | None, list[Rule]] = {}
        for rule in self.rules:
            self._by_op.setdefault(rule[0].op, []).append(rule)

    def __add__(self, other: PatternMatcher) -> PatternMatcher:
        return PatternMatcher(self.rules + other.rules)

    def rewrite(self, v: Variable) -> tuple[Variable, str] | None:
        """The replacement of ``v`` and the name of the rule that made it, or None."""
        op = v.owner.op if v.owner is not None else None
        for pat, callback in self._by_op.get(op, []) + self._by_op.get(None, []):
            bound: dict[str, Variable] = {}
            if pat.match(v, bound):
                bound.setdefault("_", v)
                out = callback(bound)
                if out is not None and out is not v:
                    return out, callback.__name__
        return None


def graph_rewrite(
    roots: Sequence[Variable], matcher: PatternMatcher, max_steps: int = 100_000, log: list[str] | None = None
) -> list[Variable]:
    """Rewrite bottom-up until no rule applies. Each node is rebuilt on its rewritten inputs, then the
    matcher is tried on its output; a replacement is itself rewritten (fixed point). ``log`` collects
    the names of the rules that fired."""
    memo: dict[int, Variable] = {}
    keep: list[Variable] = []  # every variable whose id is a memo key: a freed id must not be reused
    steps = 0

    def settle(v: Variable) -> Variable:
        nonlocal steps
        while True:
            found = matcher.rewrite(v)
            if found is None:
                return v
            out, rule = found
            if log is not None:
                log.append(rule)
            steps += 1
            if steps > max_steps:
                raise RuntimeError(f"graph_rewrite did not reach a fixed point in {max_steps} steps")
            # the replacement may contain new nodes: rewrite them bottom-up first
            v = rebuild([out], memo, settle, keep)[0]

    return rebuild(list(roots), memo, settle, keep)


def rebuild(
    roots: list[Variable],
    memo: dict[int, Variable],
    settle: Callable[[Variable], Variable],
    keep: list[Variable] | None = None,
) -> list[Variable]:
    """Rebuild the graph of ``roots`` on the replacements in ``memo`` (keyed by ``id``), settling
    each rebuilt single-output node. ``keep`` holds every key's variable alive for as long as the
    caller keeps ``memo``: an intermediate variable that was rewritten away would otherwise be freed,
    and a new variable at the same address would be taken for it."""
    keep = [] if keep is None else keep
    for node in toposort(roots):
        if id(node.outputs[0]) in memo:
            continue
        inputs = [memo.get(id(v), v) for v in node.inputs]
        if all(a is b for a, b in zip(inputs, node.inputs)):
            new_outputs: Sequence[Variable] = node.outputs
        else:
            try:
                clone = make_node(node.op, inputs, node.params)
            except (TypeError, ValueError, IndexError):
                # a folded input can make a run-time error visible to type inference (a negative
                # constant size, say): keep the node as it was typed, so the error stays a run-time one
                clone = Apply(node.op, node.params, inputs, [o.type for o in node.outputs])
            clone.source = node.source
            new_outputs = clone.outputs
        for old, new in zip(node.outputs, new_outputs):
            if new.name is None and old.name is not None:
                new.name = old.name
            memo[id(old)] = new
            keep.append(old)
        if len(node.outputs) == 1:
            keep.append(new_outputs[0])
            memo[id(node.outputs[0])] = settle(new_outputs[0])
            memo[id(new_outputs[0])] = memo[id(node.outputs[0])]
    return [memo.get(id(v), v) for v in roots]
