"""Gradient checking (spec/numerics.md, "Gradient checks").

For a function ``fun`` of symbolic inputs at a point, with a random projection turning its output into
a scalar cost C:
1. Directional test: along at least two random unit directions d, compare the symbolic <grad C, d> with
   central differences of the float64 twin of C, Richardson-extrapolated twice from steps eps, eps/2
   and eps/4 (so truncation error is O(eps^6) and a wrong gradient cannot hide in it). The check
   fails when the relative error |a - n| / max(|a|, |n|, floor, rounding / tol) exceeds the dtype's
   tolerance; the floor is a fixed per-dtype constant, never scaled by array size, and ``rounding`` bounds what
   rounding alone can explain (the twin's cancellation in C(x + h d) - C(x - h d), and cancellation
   in the symbolic sum <grad C, d> in the checked dtype), so a derivative that is truly 0 still passes.
   A gradient whose shape differs from its input's fails too.
2. Inner-product test: <Rop(out, x, t), c> == <t, Lop(out, x, c)> for random t and c, up to the same
   kind of rounding allowance.
3. Order 2: the same directional test on x -> <grad C(x), d>, which checks the gradient's gradient.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from refspec.ast import Array, TensorType, Variable, toposort
from refspec.autodiff import Lop, Rop, grad
from refspec.compile.function import function
from refspec.diffcheck.twin import float64_twin
from refspec.dtypes import is_float
from refspec.tensor.basic import as_tensor_variable, cast, constant
from refspec.tensor.math import sum as sum_
from refspec.tensor.var import TensorVariable

# relative tolerance and the floor of the denominator, per dtype of the checked graph
TOLERANCES: dict[str, tuple[float, float]] = {
    "float64": (1e-6, 1e-8),
    "float32": (2e-3, 1e-4),
    "float16": (5e-2, 1e-2),
}


_EPS64 = float(np.finfo(np.float64).eps)


class GradientError(AssertionError):
    """The symbolic gradient disagrees with the numerical one."""

    def __init__(self, message: str, analytic: float, numeric: float, rel_error: float):
        super().__init__(message)
        self.analytic = analytic
        self.numeric = numeric
        self.rel_error = rel_error


@dataclass(frozen=True)
class _Check:
    inputs: list[TensorVariable]
    points: list[Array]
    rel_tol: float
    floor: float
    eps: float
    rng: np.random.Generator
    directions: int


def _single(result: Array | list[Array]) -> Array:
    assert not isinstance(result, list)
    return result


def _dtype_of(points: Sequence[Array]) -> str:
    floats = [p.dtype.name for p in points if is_float(p.dtype.name)]
    if not floats:
        raise TypeError("verify_grad needs at least one float input")
    return min(floats, key=lambda d: np.finfo(d).bits)


def working_eps(outputs: Sequence[Variable], dtype: str) -> float:
    """Machine epsilon of the narrowest float (or complex) dtype among ``dtype`` and the values
    computing ``outputs``: the precision those outputs actually have."""
    dtypes = {dtype} | {o.dtype for node in toposort(list(outputs)) for o in node.outputs}
    return max(float(np.finfo(d).eps) for d in dtypes if np.dtype(d).kind in "fc")


def _directional(check: _Check, cost: Variable, what: str) -> None:
    """Symbolic vs numerical directional derivatives of the scalar ``cost``."""
    floats = [i for i, p in enumerate(check.points) if is_float(p.dtype.name)]
    wrt = [check.inputs[i] for i in floats]
    grads = grad(cost, wrt, disconnected_inputs="ignore")
    assert isinstance(grads, list)
    f_grad = function(check.inputs, grads, on_unused_input="ignore", mode="REFERENCE", no_default_updates=True)
    twin_out, twin_in = float64_twin([cost], check.inputs)
    f_twin = function(twin_in, twin_out[0], on_unused_input="ignore", mode="REFERENCE",
                      no_default_updates=True)
    analytic_grads = f_grad(*check.points)
    assert isinstance(analytic_grads, list)
    for i, g in zip(floats, analytic_grads):
        if g.shape != check.points[i].shape:  # e.g. a broadcast that was not summed back
            raise GradientError(f"{what}: the gradient for input {i} has shape {g.shape}, but the input "
                                f"has shape {check.points[i].shape}", float("nan"), float("nan"), float("inf"))
    base = [p.astype(np.float64) if is_float(p.dtype.name) else p for p in check.points]
    grad_eps = working_eps(grads, "float64")
    twin_eps = working_eps(twin_out, "float64")  # float64, unless a random draw kept a narrower dtype
    for _ in range(check.directions):
        dirs = [check.rng.standard_normal(check.points[i].shape) for i in floats]
        norm = np.sqrt(sum(float(np.sum(d * d)) for d in dirs)) or 1.0
        dirs = [d / norm for d in dirs]
        analytic = float(sum(np.sum(g.astype(np.float64) * d) for g, d in zip(analytic_grads, dirs)))

        def c(step: float) -> float:
            moved = list(base)
            for i, d in zip(floats, dirs):
                moved[i] = np.asarray(base[i], dtype=np.float64) + step * d
            return float(_single(f_twin(*moved)))

        steps = (check.eps, check.eps / 2, check.eps / 4)
        values = [c(sign * s) for s in steps for sign in (1, -1)]
        # central differences D(h), D(h/2), D(h/4), Richardson-extrapolated twice (Romberg): the
        # truncation error is O(eps^6), so it stays below the floor even where the derivative is 0
        # and the function has large higher derivatives (e.g. prod at several zeros)
        diffs = [(values[2 * k] - values[2 * k + 1]) / (2 * s) for k, s in enumerate(steps)]
        r1, r2 = (4 * diffs[1] - diffs[0]) / 3, (4 * diffs[2] - diffs[1]) / 3
        numeric = (16 * r2 - r1) / 15
        # what rounding alone can explain (spec/numerics.md): the twin's differences lose about
        # eps_twin * |C| / (eps / 4) (eps_twin is eps64 unless the twin keeps a float32 random
        # draw, whose parameters and values are then rounded to float32), and the symbolic <g, d>
        # loses about eps * sum |g_i d_i| to cancellation, eps that of the narrowest float dtype the
        # gradient graph computes in (a float64 gradient that went through a float32 cast is only
        # float32-accurate); a difference within that is no evidence
        spread = [max(grad_eps, float(np.finfo(g.dtype.name).eps))
                  * float(np.sum(np.abs(g.astype(np.float64) * d))) for g, d in zip(analytic_grads, dirs)]
        rounding = 16 * twin_eps * max(abs(v) for v in values) / steps[-1] + 16 * sum(spread)
        scale = max(abs(analytic), abs(numeric), check.floor, rounding / check.rel_tol if check.rel_tol > 0 else 0.0)
        rel = abs(analytic - numeric) / scale
        if not rel <= check.rel_tol:
            raise GradientError(
                f"{what}: directional derivative {analytic!r} (symbolic) vs {numeric!r} (numerical); "
                f"relative error {rel:.3g} > {check.rel_tol:g}", analytic, numeric, rel)


def _inner_product(check: _Check, out: TensorVariable) -> None:
    """<J t, c> == <t, J^T c>: forward and reverse mode agree."""
    floats = [i for i, p in enumerate(check.points) if is_float(p.dtype.name)]
    wrt = [check.inputs[i] for i in floats]
    ts = [TensorType(w.dtype, shape=(None,) * w.ndim)() for w in wrt]
    c = TensorType(out.dtype, shape=(None,) * out.ndim)()
    jt = Rop([out], wrt, ts)
    jtc = Lop(out, wrt, c, disconnected_inputs="ignore")
    assert isinstance(jt, list) and isinstance(jtc, list)
    lhs = sum_(cast(jt[0], "float64") * cast(c, "float64"))
    rhs_terms = [sum_(cast(g, "float64") * cast(t, "float64")) for g, t in zip(jtc, ts)]
    rhs = rhs_terms[0]
    for term in rhs_terms[1:]:
        rhs = rhs + term
    terms = sum_(abs(cast(jt[0], "float64") * cast(c, "float64")))
    for g, t in zip(jtc, ts):
        terms = terms + sum_(abs(cast(g, "float64") * cast(t, "float64")))
    f = function([*check.inputs, *ts, c], [lhs, rhs, terms], on_unused_input="ignore", mode="REFERENCE",
                 no_default_updates=True)
    t_vals = [check.rng.standard_normal(check.points[i].shape).astype(check.points[i].dtype) for i in floats]
    out_shape = _single(function(check.inputs, out, on_unused_input="ignore", mode="REFERENCE",
                                 no_default_updates=True)(*check.points)).shape
    c_val = check.rng.standard_normal(out_shape).astype(out.dtype)
    values = f(*check.points, *t_vals, c_val)
    assert isinstance(values, list)
    left, right, magnitude = values
    # rounding, as in the directional test: each side loses about eps * sum |terms| (eps of the
    # narrowest float dtype either mode computes in)
    rounding = 16 * working_eps([*jt, *jtc], out.dtype) * float(magnitude)
    scale = max(abs(float(left)), abs(float(right)), check.floor,
                rounding / check.rel_tol if check.rel_tol > 0 else 0.0)
    rel = abs(float(left) - float(right)) / scale
    if not rel <= check.rel_tol:
        raise GradientError(f"inner-product test: <J t, c> = {float(left)!r} but <t, J^T c> = {float(right)!r}; "
                            f"relative error {rel:.3g}", float(left), float(right), rel)


def verify_grad(
    fun: Callable[..., Variable],
    pt: Sequence[object],
    n_tests: int = 2,
    rng: np.random.Generator | np.random.RandomState | None = None,
    eps: float | None = None,
    out_type: object = None,
    abs_tol: float | None = None,
    rel_tol: float | None = None,
    mode: object = None,
    cast_to_output_type: bool = False,
    no_debug_ref: bool = True,
    order: int = 1,
    directions: int = 2,
    inner_product: bool = True,
) -> None:
    """Check the symbolic gradient of ``fun`` at ``pt`` (Theano's signature); raises GradientError.

    ``fun`` takes one symbolic input per entry of ``pt`` and returns a symbolic output. ``abs_tol``
    sets the denominator floor and ``rel_tol`` the relative tolerance (defaults per dtype).
    """
    generator = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(
        None if rng is None else int(rng.randint(2**31)))
    points = [np.array(p) for p in pt]
    dtype = _dtype_of(points)
    default_rel, default_floor = TOLERANCES[dtype]
    inputs = [TensorType(p.dtype.name, shape=(None,) * p.ndim)(f"input{i}") for i, p in enumerate(points)]
    out = as_tensor_variable(fun(*inputs))
    check = _Check(inputs, points, default_rel if rel_tol is None else rel_tol,
                   default_floor if abs_tol is None else abs_tol, 1e-3 if eps is None else eps,
                   generator, max(directions, 2))
    out_value = function(inputs, out, on_unused_input="ignore", mode="REFERENCE",
                         no_default_updates=True)(*points)
    assert isinstance(out_value, np.ndarray)
    for test in range(n_tests):
        projection = constant(generator.standard_normal(out_value.shape).astype(out.dtype))
        cost = sum_(out * projection)
        _directional(check, cost, f"test {test}, order 1")
        if order >= 2:
            floats = [i for i, p in enumerate(points) if is_float(p.dtype.name)]
            grads = grad(cost, [inputs[i] for i in floats], disconnected_inputs="ignore")
            assert isinstance(grads, list)
            probe = sum_(constant(0.0))
            for i, g in zip(floats, grads):
                direction = constant(generator.standard_normal(points[i].shape))
                probe = probe + sum_(cast(g, "float64") * direction)
            _directional(check, probe, f"test {test}, order 2")
    if inner_product:
        _inner_product(check, out)
