"""Type inference rules: from input variables (their types, and values only where they are constants)
and params to output types. A rule raises TypeError (dtype) or ValueError (shape) for an ill-typed node.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from refspec.ast import INTEGER_DTYPES as INT_AND_UINT
from refspec.ast import Constant, Op, StaticShape, TensorType, Variable
from refspec.dtypes import float_upgrade, is_complex, is_integer, real_dtype, result_type, sum_dtype
from refspec.params import (
    SYM,
    ArrayIndex,
    AxisParams,
    CastParams,
    DimShuffleParams,
    DTypeParams,
    IfElseParams,
    IncIndexParams,
    IndexEntry,
    IndexParams,
    MaskIndex,
    NdimParams,
    Params,
    RANDOM_DISTRIBUTIONS,
    RandomParams,
    ReduceParams,
    ScalarIndex,
    ScanParams,
    ShapeParams,
    SliceIndex,
    TensorDotParams,
)

Types = tuple[TensorType, ...]


def broadcast_static(shapes: Sequence[StaticShape]) -> StaticShape:
    """Static result of numpy broadcasting; ``None`` where a length is only known at run time."""
    ndim = max((len(s) for s in shapes), default=0)
    out: list[int | None] = []
    for axis in range(ndim):
        dims = [s[axis - ndim + len(s)] for s in shapes if axis - ndim + len(s) >= 0]
        known = {d for d in dims if d is not None and d != 1}
        if len(known) > 1:
            raise ValueError(f"shapes {list(shapes)} cannot be broadcast together (axis {axis})")
        if known:
            out.append(known.pop())
        elif all(d == 1 for d in dims):
            out.append(1)
        else:
            out.append(None)
    return tuple(out)


def merge_static(a: StaticShape, b: StaticShape) -> StaticShape:
    """Two static shapes of one value: the more precise of each pair, an error where they differ."""
    if len(a) != len(b):
        raise ValueError(f"ndim {len(a)} and {len(b)} differ")
    out: list[int | None] = []
    for x, y in zip(a, b):
        if x is not None and y is not None and x != y:
            raise ValueError(f"static shapes {a} and {b} differ")
        out.append(x if x is not None else y)
    return tuple(out)


def constant_ints(var: Variable) -> list[int | None] | None:
    """Entries of an integer scalar or vector known at graph-build time (None where symbolic)."""
    if isinstance(var, Constant):
        return [int(v) for v in np.atleast_1d(var.data)]
    node = var.owner
    if node is not None and node.op is Op.MAKE_VECTOR:
        out: list[int | None] = []
        for v in node.inputs:
            c = constant_ints(v)
            out.append(c[0] if c is not None and len(c) == 1 else None)
        return out
    if node is not None and node.op is Op.SHAPE:
        return list(node.inputs[0].type.shape)
    return None


def _scalar_int(var: Variable) -> int | None:
    c = constant_ints(var) if var.ndim == 0 else None
    return c[0] if c else None


def require_int(var: Variable, what: str) -> None:
    if not is_integer(var.dtype):
        raise TypeError(f"{what} must be an integer, got {var.dtype}")


def elementwise(inputs: Sequence[Variable], dtype: str) -> Types:
    return (TensorType(dtype, shape=broadcast_static([v.type.shape for v in inputs])),)


def cast(inputs: Sequence[Variable], params: Params) -> Types:
    assert isinstance(params, CastParams)
    if is_complex(inputs[0].dtype) and not is_complex(params.dtype):
        raise TypeError("casting complex to a real dtype is ambiguous: take real() or abs() first")
    return (TensorType(params.dtype, shape=inputs[0].type.shape),)


def float_function(inputs: Sequence[Variable]) -> Types:
    dtype = float_upgrade(result_type(*[v.dtype for v in inputs]))
    return elementwise(inputs, dtype)


def reduce(op: Op, inputs: Sequence[Variable], params: Params) -> Types:
    assert isinstance(params, ReduceParams)
    x = inputs[0]
    axes = range(x.ndim) if params.axis is None else params.axis
    for a in axes:
        if not 0 <= a < x.ndim:
            raise ValueError(f"axis {a} out of range for ndim {x.ndim}")
    if params.keepdims:
        shape = tuple(1 if i in axes else s for i, s in enumerate(x.type.shape))
    else:
        shape = tuple(s for i, s in enumerate(x.type.shape) if i not in axes)
    if op in (Op.SUM, Op.PROD):
        dtype = sum_dtype(x.dtype)
    elif op in (Op.ALL, Op.ANY):
        dtype = "bool"
    elif op in (Op.ARGMAX, Op.ARGMIN):
        if params.axis is not None and len(params.axis) != 1:
            raise ValueError(f"{op.value} takes one axis or None, got {params.axis}")
        dtype = "int64"
    else:
        dtype = x.dtype
    return (TensorType(dtype, shape=shape),)


def sum_to(inputs: Sequence[Variable]) -> Types:
    g, shape = inputs
    k = _shape_vector(shape, "sum_to shape")
    if k > g.ndim:
        raise ValueError(f"sum_to: target of ndim {k} is larger than the value's ndim {g.ndim}")
    target = constant_ints(shape) or [None] * k
    return (TensorType(g.dtype, shape=target),)


def along_axis(inputs: Sequence[Variable], params: Params) -> Types:
    assert isinstance(params, AxisParams)
    x = inputs[0]
    if not 0 <= params.axis < max(x.ndim, 1):
        raise ValueError(f"axis {params.axis} out of range for ndim {x.ndim}")
    if is_complex(x.dtype):
        raise TypeError("softmax is defined for real inputs only")
    return (TensorType(float_upgrade(x.dtype), shape=x.type.shape),)


def _check_inner(a: int | None, b: int | None, what: str) -> None:
    if a is not None and b is not None and a != b:
        raise ValueError(f"{what}: inner lengths {a} and {b} differ")


def dot(inputs: Sequence[Variable]) -> Types:
    a, b = inputs
    if not (1 <= a.ndim <= 2 and 1 <= b.ndim <= 2):
        raise TypeError(f"dot node takes 1-d or 2-d operands, got ndim {a.ndim} and {b.ndim}")
    _check_inner(a.type.shape[-1], b.type.shape[0], "dot")
    shape = a.type.shape[:-1] + b.type.shape[1:]
    dtype = result_type(a.dtype, b.dtype)
    return (TensorType(dtype, shape=shape),)


def tensordot(inputs: Sequence[Variable], params: Params) -> Types:
    assert isinstance(params, TensorDotParams)
    a, b = inputs
    if len(params.a_axes) != len(params.b_axes):
        raise ValueError("tensordot needs as many axes of a as of b")
    for i, j in zip(params.a_axes, params.b_axes):
        if not (0 <= i < a.ndim and 0 <= j < b.ndim):
            raise ValueError(f"tensordot axes {params.a_axes}, {params.b_axes} out of range")
        _check_inner(a.type.shape[i], b.type.shape[j], "tensordot")
    shape = tuple(s for i, s in enumerate(a.type.shape) if i not in params.a_axes) + tuple(
        s for j, s in enumerate(b.type.shape) if j not in params.b_axes
    )
    return (TensorType(result_type(a.dtype, b.dtype), shape=shape),)


def batched_dot(inputs: Sequence[Variable]) -> Types:
    a, b = inputs
    if a.ndim not in (2, 3) or b.ndim not in (2, 3):
        raise TypeError(f"batched_dot takes 2-d or 3-d operands, got ndim {a.ndim} and {b.ndim}")
    _check_inner(a.type.shape[0], b.type.shape[0], "batched_dot batch")
    inner_b = b.type.shape[1]
    _check_inner(a.type.shape[-1], inner_b, "batched_dot")
    batch = a.type.shape[0] if a.type.shape[0] is not None else b.type.shape[0]
    shape = (batch,) + a.type.shape[1:-1] + b.type.shape[2:]
    return (TensorType(result_type(a.dtype, b.dtype), shape=shape),)


def shape_of(inputs: Sequence[Variable]) -> Types:
    return (TensorType("int64", shape=(inputs[0].ndim,)),)


def _shape_vector(var: Variable, what: str) -> int:
    """Check an int vector of static length describing a shape; return its length."""
    require_int(var, what)
    if var.ndim != 1 or var.type.shape[0] is None:
        raise TypeError(f"{what} must be an integer vector of known length")
    return var.type.shape[0]


def reshape(inputs: Sequence[Variable], params: Params) -> Types:
    assert isinstance(params, NdimParams)
    x, shape = inputs
    if _shape_vector(shape, "reshape shape") != params.ndim:
        raise ValueError(f"reshape to ndim {params.ndim} given a shape of another length")
    entries = constant_ints(shape) or [None] * params.ndim
    out: list[int | None] = [s if s is not None and s >= 0 else None for s in entries]
    known = [s for s in x.type.shape]
    if all(s is not None for s in known) and entries.count(-1) == 1 and all(
        e is not None for e in entries
    ):
        total = int(np.prod([s for s in known if s is not None], dtype=np.int64))
        rest = int(np.prod([e for e in entries if e is not None and e != -1], dtype=np.int64))
        if rest and total % rest == 0:
            out[entries.index(-1)] = total // rest
    if all(s is not None for s in known) and all(s is not None for s in out):
        if int(np.prod(known)) != int(np.prod(out)):  # type: ignore[arg-type]
            raise ValueError(f"cannot reshape {tuple(known)} to {tuple(out)}")
    return (TensorType(x.dtype, shape=out),)


def dimshuffle(inputs: Sequence[Variable], params: Params) -> Types:
    assert isinstance(params, DimShuffleParams)
    x = inputs[0]
    order = params.new_order
    kept = [d for d in order if d != "x"]
    if sorted(kept) != sorted(set(kept)) or any(not 0 <= int(d) < x.ndim for d in kept):
        raise ValueError(f"dimshuffle{order} is not valid for ndim {x.ndim}")
    for axis in range(x.ndim):
        if axis not in kept and x.type.shape[axis] != 1:
            raise ValueError(
                f"dimshuffle{order} drops axis {axis}, which is not statically of length 1 "
                f"(type {x.type}); use specify_shape or a broadcastable type"
            )
    shape = tuple(1 if d == "x" else x.type.shape[int(d)] for d in order)
    return (TensorType(x.dtype, shape=shape),)


def specify_shape(inputs: Sequence[Variable], params: Params) -> Types:
    assert isinstance(params, ShapeParams)
    x = inputs[0]
    return (TensorType(x.dtype, shape=merge_static(x.type.shape, params.shape)),)


def join(inputs: Sequence[Variable], params: Params) -> Types:
    assert isinstance(params, AxisParams)
    if not inputs:
        raise ValueError("join needs at least one tensor")
    ndim = inputs[0].ndim
    if any(v.ndim != ndim for v in inputs) or not 0 <= params.axis < ndim:
        raise ValueError(f"join on axis {params.axis} needs tensors of one ndim >= 1, got "
                         f"ndims {[v.ndim for v in inputs]}")
    shape: list[int | None] = []
    for axis in range(ndim):
        dims = [v.type.shape[axis] for v in inputs]
        if axis == params.axis:
            shape.append(None if None in dims else sum(d for d in dims if d is not None))
        else:
            known = {d for d in dims if d is not None}
            if len(known) > 1:
                raise ValueError(f"join: lengths {dims} differ on axis {axis}")
            shape.append(known.pop() if known else None)
    return (TensorType(result_type(*[v.dtype for v in inputs]), shape=shape),)


def alloc(inputs: Sequence[Variable]) -> Types:
    value, *dims = inputs
    for d in dims:
        require_int(d, "alloc shape")
        if d.ndim != 0:
            raise TypeError("alloc shape entries must be scalars")
    if value.ndim > len(dims):
        raise ValueError(f"alloc: value of ndim {value.ndim} does not fit {len(dims)} dims")
    shape = tuple(_scalar_int(d) for d in dims)
    broadcast_static([value.type.shape, shape])
    return (TensorType(value.dtype, shape=shape),)


def make_vector(inputs: Sequence[Variable], params: Params) -> Types:
    assert isinstance(params, DTypeParams)
    if any(v.ndim != 0 for v in inputs):
        raise TypeError("make_vector takes scalars")
    return (TensorType(params.dtype, shape=(len(inputs),)),)


def arange(inputs: Sequence[Variable], params: Params) -> Types:
    assert isinstance(params, DTypeParams)
    if any(v.ndim != 0 for v in inputs):
        raise TypeError("arange takes scalar start, stop and step")
    consts = [_scalar_int(v) if is_integer(v.dtype) else None for v in inputs]
    length: int | None = None
    start, stop, step = consts
    if start is not None and stop is not None and step is not None and step != 0:
        length = len(range(start, stop, step))
    return (TensorType(params.dtype, shape=(length,)),)


def eye(inputs: Sequence[Variable], params: Params) -> Types:
    assert isinstance(params, DTypeParams)
    for v in inputs:
        require_int(v, "eye size")
    n, m, _ = inputs
    return (TensorType(params.dtype, shape=(_scalar_int(n), _scalar_int(m))),)


def _slice_length(dim: int | None, entry: SliceIndex) -> int | None:
    parts = (entry.start, entry.stop, entry.step)
    if dim is None or any(p == SYM for p in parts):
        if entry.start in (None, 0) and entry.stop is None and entry.step in (None, 1):
            return dim
        return None
    start, stop, step = (None if p is None else int(p) for p in parts)
    if step == 0:
        raise ValueError("slice step cannot be zero")
    return len(range(*slice(start, stop, step).indices(dim)))


def index(x: Variable, entries: tuple[IndexEntry, ...], idx_vars: Sequence[Variable]) -> TensorType:
    """The type of ``x[entries]`` (numpy basic and advanced indexing rules)."""
    consumed = sum(v.ndim if v is not None and isinstance(e, MaskIndex) else 1
                   for e, v in _with_vars(entries, idx_vars))
    if consumed > x.ndim:
        raise IndexError(f"too many indices ({consumed}) for a tensor of ndim {x.ndim}")
    has_array = any(isinstance(e, (ArrayIndex, MaskIndex)) for e in entries)
    dims: list[int | None] = []
    adv_shapes: list[StaticShape] = []
    adv_pos: list[int] = []
    axis = 0
    for k, (e, v) in enumerate(_with_vars(entries, idx_vars)):
        if isinstance(e, SliceIndex):
            dims.append(_slice_length(x.type.shape[axis], e))
            axis += 1
        elif isinstance(e, ScalarIndex):
            if has_array:
                adv_shapes.append(())
                adv_pos.append(k)
            axis += 1
        elif isinstance(e, ArrayIndex):
            assert v is not None
            adv_shapes.append(v.type.shape)
            adv_pos.append(k)
            axis += 1
        else:
            assert v is not None
            mask_shape = x.type.shape[axis:axis + v.ndim]
            merge_static(mask_shape, v.type.shape)
            adv_shapes.append((None,))
            adv_pos.append(k)
            axis += v.ndim
    dims.extend(x.type.shape[axis:])
    if adv_shapes:
        adv = list(broadcast_static(adv_shapes))
        contiguous = adv_pos == list(range(adv_pos[0], adv_pos[-1] + 1))
        insert_at = sum(isinstance(e, SliceIndex) for e in entries[:adv_pos[0]]) if contiguous else 0
        dims[insert_at:insert_at] = adv
    return TensorType(x.dtype, shape=dims)


def _with_vars(
    entries: tuple[IndexEntry, ...], idx_vars: Sequence[Variable]
) -> list[tuple[IndexEntry, Variable | None]]:
    """Pair each array/mask entry with its index variable (scalar and slice parts are skipped)."""
    out: list[tuple[IndexEntry, Variable | None]] = []
    it = iter(idx_vars)
    for e in entries:
        if isinstance(e, ScalarIndex):
            v = next(it) if e.value == SYM else None
            if v is not None:
                require_int(v, "scalar index")
                if v.ndim != 0:
                    raise TypeError("scalar index must be 0-d")
            out.append((e, None))
        elif isinstance(e, SliceIndex):
            for part in (e.start, e.stop, e.step):
                if part == SYM:
                    p = next(it)
                    require_int(p, "slice bound")
            out.append((e, None))
        else:
            v = next(it)
            if isinstance(e, ArrayIndex):
                require_int(v, "array index")
            elif v.dtype != "bool":
                raise TypeError(f"mask index must be bool, got {v.dtype}")
            out.append((e, v))
    return out


def subtensor(inputs: Sequence[Variable], params: Params) -> Types:
    assert isinstance(params, IndexParams)
    return (index(inputs[0], params.entries, inputs[1:]),)


def inc_subtensor(inputs: Sequence[Variable], params: Params) -> Types:
    assert isinstance(params, IncIndexParams)
    x, y, *idx = inputs
    target = index(x, params.entries, idx)
    if y.ndim > target.ndim:
        raise ValueError(f"cannot fit a value of ndim {y.ndim} into a selection of ndim {target.ndim}")
    broadcast_static([target.shape, y.type.shape])
    if not np.can_cast(np.dtype(y.dtype), np.dtype(x.dtype), casting="safe"):
        raise TypeError(f"cannot write {y.dtype} values into a {x.dtype} tensor without losing "
                        f"precision; cast the value first")
    return (x.type,)


def ifelse(inputs: Sequence[Variable], params: Params) -> Types:
    assert isinstance(params, IfElseParams)
    cond, rest = inputs[0], inputs[1:]
    if cond.ndim != 0:
        raise TypeError(f"ifelse condition must be a scalar, got ndim {cond.ndim}")
    n = params.n_outs
    if len(rest) != 2 * n:
        raise ValueError("ifelse needs as many else branches as then branches")
    out: list[TensorType] = []
    for t, e in zip(rest[:n], rest[n:]):
        if t.dtype != e.dtype or t.ndim != e.ndim:
            raise TypeError(f"ifelse branches have types {t.type} and {e.type}; they must share dtype and ndim")
        out.append(TensorType(t.dtype, shape=[a if a == b else None for a, b in zip(t.type.shape, e.type.shape)]))
    return tuple(out)


def scan(inputs: Sequence[Variable], params: Params) -> Types:
    """Outer inputs must fit the inner placeholders; outputs stack the steps along a new first axis."""
    assert isinstance(params, ScanParams)
    steps, seqs, inits, others = params.split_outer(inputs)
    require_int(steps, "scan n_steps")
    fed = [taps for taps in params.out_taps if taps]
    inner = list(params.inner_inputs)
    k = 0
    for i, (seq, taps) in enumerate(zip(seqs, params.seq_taps)):
        for _ in taps:
            _fits(inner[k].type, seq, leading=True, what=f"sequence {i}")
            k += 1
    for i, (init, taps) in enumerate(zip(inits, fed)):
        for _ in taps:
            _fits(inner[k].type, init, leading=taps != (-1,), what=f"initial value {i}")
            k += 1
    if len(others) != len(inner) - k:
        raise ValueError(f"scan: {len(others)} other inputs for {len(inner) - k} inner placeholders")
    for j, other in enumerate(others):
        _fits(inner[k + j].type, other, leading=False, what=f"non-sequence {j}")
    length = None
    c = constant_ints(steps)
    if c is not None and params.until is None:
        length = c[0]
    outs = [TensorType(o.dtype, shape=(None if j in params.last_only else length, *o.type.shape))
            for j, o in enumerate(params.inner_outputs[:len(params.out_taps)])]
    finals = [others[p].type for p in params.shared_outer_positions]
    return tuple(outs + finals)


def _fits(inner: TensorType, outer: Variable, leading: bool, what: str) -> None:
    shape = outer.type.shape[1:] if leading else outer.type.shape
    if outer.dtype != inner.dtype or len(shape) != inner.ndim:
        raise TypeError(f"scan {what} has type {outer.type}, which does not fit the loop's {inner}")


def identity(inputs: Sequence[Variable]) -> Types:
    return (inputs[0].type,)


def real_part(inputs: Sequence[Variable]) -> Types:
    return (TensorType(real_dtype(inputs[0].dtype), shape=inputs[0].type.shape),)


def _param_shape(dims: list[int | None], param: StaticShape, what: str) -> None:
    """A distribution parameter must broadcast to the draw's size (numpy's broadcast_to rule)."""
    if len(param) > len(dims):
        raise ValueError(f"{what} has ndim {len(param)}, more than the draw's size ({len(dims)})")
    for k, q in enumerate(param):
        axis = len(dims) - len(param) + k
        d = dims[axis]
        if q is None or q == 1:
            continue
        if d is not None and d != q:
            raise ValueError(f"{what} of static shape {param} does not broadcast to the size {tuple(dims)}")
        dims[axis] = q  # a parameter of length q > 1 fixes the size's length there


def _require_real(var: Variable, what: str) -> None:
    if is_complex(var.dtype):
        raise TypeError(f"{what} must be real, got {var.dtype}")


def random(inputs: Sequence[Variable], params: Params) -> Types:
    """A draw: (state, size, *parameters) -> (next state, value) (spec/random.md)."""
    assert isinstance(params, RandomParams)
    dist = params.distribution
    if dist not in RANDOM_DISTRIBUTIONS:
        raise TypeError(f"unknown distribution {dist!r}; known: {', '.join(RANDOM_DISTRIBUTIONS)}")
    if len(inputs) < 2:
        raise TypeError("random takes a state and a size")
    state, size, *args = inputs
    if state.dtype != "uint32" or state.ndim != 1 or state.type.shape[0] not in (None, 4):
        raise TypeError(f"a random state is a uint32 vector of length 4, got {state.type}")
    names = RANDOM_DISTRIBUTIONS[dist]
    optional = 1 if dist == "choice" else 0
    if not len(names) - optional <= len(args) <= len(names):
        raise TypeError(f"{dist} takes the parameters {', '.join(names)}, got {len(args)} inputs")
    n_size = _shape_vector(size, "random size")
    extra = 1 if dist in ("permutation", "multinomial") else 0
    if params.ndim != n_size + extra:
        raise ValueError(f"{dist}: ndim {params.ndim} does not fit a size of length {n_size}")
    dims: list[int | None] = list(constant_ints(size) or [None] * n_size)
    if any(d is not None and d < 0 for d in dims):
        raise ValueError(f"random size {dims} has a negative length")
    out = params.dtype
    floats, ints = ("float16", "float32", "float64"), INT_AND_UINT
    tail: list[int | None] = []
    for v, name in zip(args, names):
        _require_real(v, f"{dist} {name}")
    if dist in ("uniform", "normal", "truncated_normal"):
        if out not in floats:
            raise TypeError(f"{dist} draws have a float dtype, not {out}")
        for v, name in zip(args, names):
            _param_shape(dims, v.type.shape, name)
    elif dist in ("binomial", "random_integers", "poisson"):
        if out not in ints + (floats if dist != "random_integers" else ()):
            raise TypeError(f"{dist} draws have an integer{'' if dist == 'random_integers' else ' or float'} "
                            f"dtype, not {out}")
        for v, name in zip(args, names):
            if name in ("n", "low", "high"):
                require_int(v, f"{dist} {name}")
            _param_shape(dims, v.type.shape, name)
    elif dist == "choice":
        a = args[0]
        if a.ndim == 0:
            require_int(a, "choice a (a scalar: the number of outcomes)")
            if out not in ints + floats:
                raise TypeError(f"choice among range(a) has an integer or float dtype, not {out}")
        elif a.ndim == 1:
            if out != a.dtype:
                raise TypeError(f"choice from a vector has the vector's dtype {a.dtype}, not {out}")
        else:
            raise TypeError(f"choice takes a scalar or a vector a, got ndim {a.ndim}")
        if len(args) == 2:
            p = args[1]
            if p.ndim != 1:
                raise TypeError(f"choice p must be a vector, got ndim {p.ndim}")
            if a.ndim == 1:
                _check_inner(a.type.shape[0], p.type.shape[0], "choice a and p")
    elif dist == "permutation":
        n = args[0]
        require_int(n, "permutation n")
        if n.ndim != 0 or out not in ints:
            raise TypeError(f"permutation takes an integer scalar n and an integer dtype, "
                            f"got {n.type}, {out}")
        tail = [_scalar_int(n)]
    else:  # multinomial
        n, pvals = args
        require_int(n, "multinomial n")
        if out not in ints + floats:
            raise TypeError(f"multinomial counts have an integer or float dtype, not {out}")
        if pvals.ndim < 1:
            raise TypeError("multinomial pvals must have ndim >= 1 (its last axis holds the outcomes)")
        _param_shape(dims, n.type.shape, "n")
        _param_shape(dims, pvals.type.shape[:-1], "pvals (without its last axis)")
        tail = [pvals.type.shape[-1]]
    return (TensorType("uint32", shape=(4,)), TensorType(out, shape=dims + tail))
