"""``ifelse(cond, then, else)``: a lazy choice; only the taken branch is evaluated (spec/ops.md)."""

from __future__ import annotations

from collections.abc import Sequence

from refspec.ast import Op, TensorType
from refspec.ops import make_node
from refspec.params import IfElseParams
from refspec.tensor.basic import Operand, as_tensor_variable, constant
from refspec.tensor.var import TensorVariable
from refspec.values import filter_value


def _scalar_like(value: object, other: TensorVariable, which: str) -> TensorVariable:
    """A Python scalar branch as a constant of the other branch's dtype, converted losslessly (the
    input-conversion rule: 1.5 for an integer branch, or 1000 for int8, is a TypeError)."""
    scalar_type = TensorType(other.dtype, shape=())
    return constant(filter_value(scalar_type, value, f"ifelse {which} branch {value!r}"))


def ifelse(
    condition: Operand,
    then_branch: Operand | Sequence[Operand],
    else_branch: Operand | Sequence[Operand],
    name: str | None = None,
) -> TensorVariable | list[TensorVariable]:
    """``then_branch`` if the scalar ``condition`` is nonzero, else ``else_branch``. Branches may be
    lists (one output per pair); each pair must share dtype and ndim (a Python scalar takes the
    other branch's dtype)."""
    single = not isinstance(then_branch, (list, tuple))
    thens: list[Operand] = list(then_branch) if isinstance(then_branch, (list, tuple)) else [then_branch]
    elses: list[Operand] = list(else_branch) if isinstance(else_branch, (list, tuple)) else [else_branch]
    if len(thens) != len(elses):
        raise ValueError(f"ifelse: {len(thens)} then-branches but {len(elses)} else-branches")
    t_vars: list[TensorVariable] = []
    e_vars: list[TensorVariable] = []
    for t, e in zip(thens, elses):
        tv = as_tensor_variable(t) if not isinstance(t, (int, float)) else None
        ev = as_tensor_variable(e) if not isinstance(e, (int, float)) else None
        if tv is None and ev is None:
            tv, ev = as_tensor_variable(t), as_tensor_variable(e)
        elif tv is None:
            assert ev is not None
            tv = _scalar_like(t, ev, "then")
        elif ev is None:
            ev = _scalar_like(e, tv, "else")
        t_vars.append(tv)
        e_vars.append(ev)
    cond = as_tensor_variable(condition)
    node = make_node(Op.IFELSE, [cond, *t_vars, *e_vars], IfElseParams(len(t_vars)))
    outs = [o for o in node.outputs if isinstance(o, TensorVariable)]
    if name is not None:
        for o in outs:
            o.name = name
    return outs[0] if single else outs
