"""Reverse mode: ``grad`` and ``Lop``, micrograd's algorithm lifted from values to graphs.

Walk the nodes between ``wrt`` and the cost in reverse topological order; each node turns its
outputs' cotangents into its inputs' cotangents with its VJP rule; contributions accumulate.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Literal, overload

from refspec.ast import Apply, Op, Variable, toposort
from refspec.autodiff.cotangent import (
    ZERO,
    Grad,
    NullGrad,
    _Zero,
    accumulate,
    as_tensor_grad,
    grad_dtype,
    paired_points,
    tv,
)
from refspec.autodiff.complex_paths import through_complex
from refspec.autodiff.vjp import NOT_DIFFERENTIABLE, VJP
from refspec.dtypes import is_complex, is_float
from refspec.params import IfElseParams
from refspec.tensor.basic import as_tensor_variable, cast, ones_like, zeros_like
from refspec.tensor.conditional import ifelse
from refspec.tensor.var import TensorVariable


class DisconnectedInputError(ValueError):
    """``grad`` was asked for the gradient with respect to a variable the cost does not depend on."""


class NullTypeGradError(TypeError):
    """The gradient is undefined on a path from the cost to ``wrt`` (e.g. through ``psi``)."""


class DisconnectedType:
    """Returned for a disconnected input when ``return_disconnected='disconnected'``."""

    def __repr__(self) -> str:
        return "DisconnectedType()"


def _output_cotangents(node: Apply, grads: Mapping[int, Grad]) -> list[TensorVariable] | None:
    """Tensor cotangents for every output, or None if all are absent or exactly zero."""
    gs = [grads.get(id(o)) for o in node.outputs]
    if all(g is None or isinstance(g, _Zero) for g in gs):
        return None
    out: list[TensorVariable] = []
    for o, g in zip(node.outputs, gs):
        if isinstance(g, NullGrad):
            return None
        out.append(g if isinstance(g, TensorVariable) else zeros_like(tv(o), dtype=grad_dtype(o)))
    return out


# The conditions under which a cotangent is needed: (ifelse condition, branch taken), outermost first.
Guard = tuple[tuple[Variable, bool], ...]


def _guard_key(guard: Guard) -> tuple[tuple[int, bool], ...]:
    return tuple((id(c), taken) for c, taken in guard)


def _guarded(g: Grad, v: Variable, guard: Guard) -> Grad:
    """``g``, evaluated only when every branch in ``guard`` is taken (zeros otherwise): the gradient of
    an untaken ifelse branch is never evaluated, just as the branch itself is not (spec/autodiff.md)."""
    if not guard or not isinstance(g, TensorVariable):
        return g
    zero = zeros_like(tv(v), dtype=g.dtype)
    for cond, taken in reversed(guard):
        chosen = ifelse(cond, g, zero) if taken else ifelse(cond, zero, g)
        assert isinstance(chosen, TensorVariable)
        g = chosen
    return g


def backprop(
    seeds: Mapping[Variable, Grad], wrt: Sequence[Variable], consider_constant: Sequence[Variable] = ()
) -> dict[int, Grad]:
    """Cotangents (by variable id) of everything between ``seeds`` and ``wrt``."""
    blocked = {id(v) for v in consider_constant}
    nodes = toposort(list(seeds))
    # only nodes on a path from wrt matter; consider_constant variables cut paths
    live: set[int] = {id(v) for v in wrt}
    for node in nodes:
        if any(id(v) in live and id(v) not in blocked for v in node.inputs):
            live.update(id(o) for o in node.outputs if id(o) not in blocked)
    grads: dict[int, Grad] = {}
    # the guard shared by all tensor contributions to a variable's cotangent (() once they differ)
    guards: dict[int, Guard] = {}

    def add_guard(v: Variable, guard: Guard) -> None:
        seen = guards.get(id(v))
        guards[id(v)] = guard if seen is None or _guard_key(seen) == _guard_key(guard) else ()

    for var, g in seeds.items():
        grads[id(var)] = accumulate(grads.get(id(var)), g)
        add_guard(var, ())
    for node in reversed(nodes):
        if not any(id(o) in live for o in node.outputs):
            continue
        nulls = [grads.get(id(o)) for o in node.outputs if isinstance(grads.get(id(o)), NullGrad)]
        if nulls:
            for v in node.inputs:
                grads[id(v)] = accumulate(grads.get(id(v)), nulls[0])
            continue
        gs = _output_cotangents(node, grads)
        if gs is None:
            if any(isinstance(grads.get(id(o)), _Zero) for o in node.outputs):
                for v in node.inputs:
                    if id(v) in live and id(v) not in blocked:
                        grads[id(v)] = accumulate(grads.get(id(v)), ZERO)
            continue
        on_path = [v for v in node.inputs if id(v) in live and id(v) not in blocked]
        carrying = [o for o in node.outputs if isinstance(grads.get(id(o)), TensorVariable)]
        complex_why = through_complex(node, on_path, carrying)
        if node.op in NOT_DIFFERENTIABLE:
            contributions: list[Grad] = [NullGrad(f"{node.op.value} has no gradient rule")] * len(node.inputs)
        elif complex_why is not None:
            contributions = [NullGrad(complex_why)] * len(node.inputs)
        else:
            contributions = VJP[node.op](node, gs)
        out_guards = [guards[id(o)] for o in node.outputs if id(o) in guards]
        guard = out_guards[0] if out_guards and all(
            _guard_key(g) == _guard_key(out_guards[0]) for g in out_guards) else ()
        for k, (v, g) in enumerate(zip(node.inputs, contributions)):
            if id(v) in live and id(v) not in blocked and g is not None:
                grads[id(v)] = accumulate(grads.get(id(v)), _guarded(g, v, guard))
                if isinstance(g, TensorVariable):
                    inner = guard
                    if node.op is Op.IFELSE and k > 0:  # the rule gated g on its own branch
                        assert isinstance(node.params, IfElseParams)
                        inner = guard + ((node.inputs[0], k <= node.params.n_outs),)
                    add_guard(v, inner)
    return grads


def _as_list(x: Variable | Sequence[Variable]) -> tuple[list[Variable], bool]:
    if isinstance(x, Variable):
        return [x], True
    return list(x), False


GradResult = TensorVariable | NullGrad | DisconnectedType | None


@overload
def grad(
    cost: Variable | None,
    wrt: Variable,
    consider_constant: Sequence[Variable] | None = ...,
    disconnected_inputs: str = ...,
    add_names: bool = ...,
    known_grads: Mapping[Variable, object] | None = ...,
    return_disconnected: Literal["zero"] = ...,
    null_gradients: Literal["raise"] = ...,
) -> TensorVariable: ...


@overload
def grad(
    cost: Variable | None,
    wrt: Sequence[Variable],
    consider_constant: Sequence[Variable] | None = ...,
    disconnected_inputs: str = ...,
    add_names: bool = ...,
    known_grads: Mapping[Variable, object] | None = ...,
    return_disconnected: Literal["zero"] = ...,
    null_gradients: Literal["raise"] = ...,
) -> list[TensorVariable]: ...


@overload
def grad(
    cost: Variable | None,
    wrt: Variable | Sequence[Variable],
    consider_constant: Sequence[Variable] | None = ...,
    disconnected_inputs: str = ...,
    add_names: bool = ...,
    known_grads: Mapping[Variable, object] | None = ...,
    return_disconnected: str = ...,
    null_gradients: str = ...,
) -> GradResult | list[GradResult]: ...


def grad(
    cost: Variable | None,
    wrt: Variable | Sequence[Variable],
    consider_constant: Sequence[Variable] | None = None,
    disconnected_inputs: str = "raise",
    add_names: bool = True,
    known_grads: Mapping[Variable, object] | None = None,
    return_disconnected: str = "zero",
    null_gradients: str = "raise",
) -> GradResult | list[TensorVariable] | list[GradResult]:
    """Symbolic gradient of the scalar ``cost`` with respect to ``wrt`` (a variable or a list; a list
    gives a list). See spec/autodiff.md for disconnected and undefined gradients."""
    if disconnected_inputs not in ("raise", "warn", "ignore"):
        raise ValueError(f"disconnected_inputs must be 'raise', 'warn' or 'ignore', got {disconnected_inputs!r}")
    if return_disconnected.lower() not in ("zero", "none", "disconnected"):
        raise ValueError(f"return_disconnected must be 'zero', 'None' or 'Disconnected', got {return_disconnected!r}")
    if null_gradients not in ("raise", "return"):
        raise ValueError(f"null_gradients must be 'raise' or 'return', got {null_gradients!r}")
    wrt_list, single = _as_list(wrt)
    for v in wrt_list:
        if not isinstance(v, Variable):
            raise TypeError(f"grad: wrt must be symbolic variables, got {v!r}")
    seeds: dict[Variable, Grad] = {}
    if cost is not None:
        if not isinstance(cost, Variable):
            raise TypeError(f"grad: cost must be a symbolic scalar, got {cost!r}")
        if cost.ndim != 0:
            raise TypeError(f"grad: cost must be a scalar (ndim 0), got {cost.type}; sum it or use jacobian/Lop")
        c = tv(cost)
        if is_complex(c.dtype):
            raise TypeError("grad: cost must be real; gradients of complex costs are not defined")
        seeds[c] = ones_like(c, dtype=c.dtype) if is_float(c.dtype) else ZERO
    for var, g in (known_grads or {}).items():
        gv = g if isinstance(g, Variable) else as_tensor_variable(g)  # type: ignore[arg-type]
        if gv.ndim != var.ndim:
            raise TypeError(f"known_grads[{var}] has ndim {gv.ndim}, expected {var.ndim}")
        # in the variable's gradient dtype: an integer variable's cotangent is float64 ("Integers")
        seeds[var] = accumulate(seeds.get(var), cast(gv, grad_dtype(var)))
    if not seeds:
        raise TypeError("grad needs a cost or known_grads")
    grads = backprop(seeds, wrt_list, consider_constant or ())
    results: list[GradResult] = []
    for v in wrt_list:
        g = grads.get(id(v))
        if isinstance(g, NullGrad):
            if null_gradients == "raise":
                raise NullTypeGradError(f"the gradient with respect to {v} is undefined: {g.reason}")
            results.append(g)
            continue
        if g is None:
            message = (f"grad: the cost does not depend on {v} ({v.type}); pass "
                       "disconnected_inputs='ignore' or 'warn' to allow this")
            if disconnected_inputs == "raise":
                raise DisconnectedInputError(message)
            if disconnected_inputs == "warn":
                warnings.warn(message, stacklevel=2)
            mode = return_disconnected.lower()
            if mode == "none":
                results.append(None)
                continue
            if mode == "disconnected":
                results.append(DisconnectedType())
                continue
        result = as_tensor_grad(g, v)
        if add_names and result.name is None and v.name is not None and cost is not None and cost.name:
            result.name = f"(d{cost.name}/d{v.name})"
        results.append(result)
    return results[0] if single else results


def Lop(f: Variable | Sequence[Variable], wrt: Variable | Sequence[Variable],
        eval_points: Variable | Sequence[Variable], consider_constant: Sequence[Variable] | None = None,
        disconnected_inputs: str = "raise") -> object:
    """Vector-Jacobian product: ``eval_points`` (shaped like ``f``) times the Jacobian of ``f``
    with respect to ``wrt``; results are shaped like ``wrt``."""
    known: dict[Variable, object] = dict(paired_points("Lop", f, eval_points))
    return grad(None, wrt, consider_constant=consider_constant, known_grads=known,
                disconnected_inputs=disconnected_inputs, add_names=False)

