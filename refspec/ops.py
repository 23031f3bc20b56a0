"""The op table: for every ``Op``, its params class, arity, type-inference rule and display name.

``make_node`` is the one way nodes are built: it checks arity and params, runs the inference rule and
reports an ill-typed node with the op and the user's source line.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial

import numpy as np

from refspec import infer
from refspec.ast import (
    BINARY,
    COMPARISON,
    FLOAT_FUNCTIONS,
    REDUCE,
    UNARY,
    Apply,
    Op,
    TensorType,
    Variable,
    user_source_line,
)
from refspec.dtypes import is_complex, result_type, ufunc_result
from refspec.params import (
    NO_PARAMS,
    AxisParams,
    CastParams,
    DimShuffleParams,
    DTypeParams,
    IfElseParams,
    IncIndexParams,
    IndexParams,
    NdimParams,
    Params,
    PrintParams,
    RandomParams,
    ReduceParams,
    ScanParams,
    ShapeParams,
    TensorDotParams,
    symbolic_count,
)

Infer = Callable[[Sequence[Variable], Params], tuple[TensorType, ...]]


@dataclass(frozen=True, slots=True)
class OpDef:
    op: Op
    arity: int | None  # None: variadic (the rule checks)
    params: type[Params]
    infer: Infer
    display: str  # Theano-style name used by str(var), e.g. "Elemwise{add,no_inplace}"


# ops with an ordering: complex inputs are rejected rather than given numpy's lexicographic order
REAL_ONLY = frozenset({
    Op.FLOOR, Op.CEIL, Op.TRUNC, Op.ROUND_HALF_EVEN, Op.ROUND_HALF_AWAY, Op.INT_DIV, Op.MOD,
    Op.MAXIMUM, Op.MINIMUM, Op.ARCTAN2, Op.LT, Op.GT, Op.LE, Op.GE, Op.CLIP, Op.ERFINV, Op.GAMMALN,
    Op.SIGMOID, Op.SOFTPLUS, Op.MAX, Op.MIN, Op.ARGMAX, Op.ARGMIN, Op.SOFTMAX, Op.LOG_SOFTMAX,
})

# numpy ufuncs whose loop selection defines the dtype of the op (on dtypes only, never on values)
DTYPE_UFUNC: dict[Op, Callable[..., object]] = {
    Op.NEG: np.negative, Op.ABS: np.absolute, Op.SQR: np.square, Op.SIGN: np.sign,
    Op.FLOOR: np.floor, Op.CEIL: np.ceil, Op.TRUNC: np.trunc, Op.ROUND_HALF_EVEN: np.trunc,
    Op.ROUND_HALF_AWAY: np.trunc, Op.INVERT: np.invert, Op.ISNAN: np.isnan, Op.ISINF: np.isinf,
    Op.CONJ: np.conjugate,
    Op.ADD: np.add, Op.SUB: np.subtract, Op.MUL: np.multiply, Op.TRUE_DIV: np.true_divide,
    Op.INT_DIV: np.floor_divide, Op.MOD: np.remainder, Op.POW: np.power, Op.MAXIMUM: np.maximum,
    Op.MINIMUM: np.minimum, Op.LT: np.less, Op.GT: np.greater, Op.LE: np.less_equal,
    Op.GE: np.greater_equal, Op.EQ: np.equal, Op.NEQ: np.not_equal, Op.AND: np.bitwise_and,
    Op.OR: np.bitwise_or, Op.XOR: np.bitwise_xor,
}


def _check_real(op: Op, inputs: Sequence[Variable]) -> None:
    if op in REAL_ONLY and any(is_complex(v.dtype) for v in inputs):
        raise TypeError(f"{op.value} is not defined for complex inputs")


def _elementwise(op: Op, inputs: Sequence[Variable], params: Params) -> tuple[TensorType, ...]:
    _check_real(op, inputs)
    if op in FLOAT_FUNCTIONS:
        return infer.float_function(inputs)
    if op is Op.CAST:
        return infer.cast(inputs, params)
    if op in (Op.REAL, Op.IMAG):
        return infer.real_part(inputs)
    if op is Op.SECOND:
        return infer.elementwise(inputs, inputs[1].dtype)
    if op is Op.SWITCH:
        return infer.elementwise(inputs, result_type(inputs[1].dtype, inputs[2].dtype))
    if op is Op.CLIP:
        return infer.elementwise(inputs, result_type(*[v.dtype for v in inputs]))
    if op is Op.SQR and any(v.dtype == "bool" for v in inputs):
        raise TypeError("sqr of bool is not defined")
    return infer.elementwise(inputs, ufunc_result(DTYPE_UFUNC[op], *[v.dtype for v in inputs]))


def _reduce(op: Op, inputs: Sequence[Variable], params: Params) -> tuple[TensorType, ...]:
    _check_real(op, inputs)
    return infer.reduce(op, inputs, params)


def _checked(op: Op, rule: Callable[[Sequence[Variable], Params], tuple[TensorType, ...]]) -> Infer:
    def run(inputs: Sequence[Variable], params: Params) -> tuple[TensorType, ...]:
        _check_real(op, inputs)
        return rule(inputs, params)

    return run


def _no_params(rule: Callable[[Sequence[Variable]], tuple[TensorType, ...]]) -> Infer:
    return lambda inputs, params: rule(inputs)


def _elemwise_name(op: Op) -> str:
    return f"Elemwise{{{op.value},no_inplace}}"


def _build_table() -> dict[Op, OpDef]:
    table: dict[Op, OpDef] = {}

    def add(op: Op, arity: int | None, params: type[Params], rule: Infer, display: str) -> None:
        table[op] = OpDef(op, arity, params, rule, display)

    for op in Op:
        if op in BINARY or op in COMPARISON:
            add(op, 2, Params, partial(_elementwise, op), _elemwise_name(op))
    for op in (Op.SWITCH, Op.CLIP):
        add(op, 3, Params, partial(_elementwise, op), _elemwise_name(op))
    for op in sorted(UNARY, key=lambda o: o.value):
        add(op, 1, CastParams if op is Op.CAST else Params, partial(_elementwise, op), _elemwise_name(op))
    for op in sorted(REDUCE - {Op.SUM_TO}, key=lambda o: o.value):
        add(op, 1, ReduceParams, partial(_reduce, op), op.name.capitalize())
    add(Op.SUM_TO, 2, Params, _no_params(infer.sum_to), "SumTo")
    add(Op.SOFTMAX, 1, AxisParams, _checked(Op.SOFTMAX, infer.along_axis), "Softmax")
    add(Op.LOG_SOFTMAX, 1, AxisParams, _checked(Op.LOG_SOFTMAX, infer.along_axis), "LogSoftmax")
    add(Op.DOT, 2, Params, _no_params(infer.dot), "Dot")
    add(Op.TENSORDOT, 2, TensorDotParams, infer.tensordot, "TensorDot")
    add(Op.BATCHED_DOT, 2, Params, _no_params(infer.batched_dot), "BatchedDot")
    add(Op.SHAPE, 1, Params, _no_params(infer.shape_of), "Shape")
    add(Op.RESHAPE, 2, NdimParams, infer.reshape, "Reshape")
    add(Op.DIMSHUFFLE, 1, DimShuffleParams, infer.dimshuffle, "DimShuffle")
    add(Op.SPECIFY_SHAPE, 1, ShapeParams, infer.specify_shape, "SpecifyShape")
    add(Op.JOIN, None, AxisParams, infer.join, "Join")
    add(Op.ALLOC, None, Params, _no_params(infer.alloc), "Alloc")
    add(Op.ARANGE, 3, DTypeParams, infer.arange, "ARange")
    add(Op.EYE, 3, DTypeParams, infer.eye, "Eye")
    add(Op.MAKE_VECTOR, None, DTypeParams, infer.make_vector, "MakeVector")
    add(Op.SUBTENSOR, None, IndexParams, infer.subtensor, "Subtensor")
    add(Op.INC_SUBTENSOR, None, IncIndexParams, infer.inc_subtensor, "IncSubtensor")
    add(Op.IFELSE, None, IfElseParams, infer.ifelse, "IfElse")
    add(Op.SCAN, None, ScanParams, infer.scan, "Scan")
    add(Op.PRINT, 1, PrintParams, _no_params(infer.identity), "Print")
    add(Op.RANDOM, None, RandomParams, infer.random, "RandomFunction")
    return table


OPS: dict[Op, OpDef] = _build_table()


def _check_arity(op: Op, inputs: Sequence[Variable], params: Params) -> None:
    arity = OPS[op].arity
    if arity is not None and len(inputs) != arity:
        raise TypeError(f"{op.value} takes {arity} inputs, got {len(inputs)}")
    if isinstance(params, (IndexParams, IncIndexParams)):
        fixed = 1 if isinstance(params, IndexParams) else 2
        if len(inputs) != fixed + symbolic_count(params.entries):
            raise TypeError(f"{op.value}: index description and inputs disagree")


class GraphTypeError(TypeError):
    """An ill-typed node: wrong dtype, ndim or params. Names the op and the user's line."""


class GraphShapeError(ValueError):
    """A node whose static shapes cannot agree. Names the op and the user's line."""


class GraphIndexError(IndexError):
    """An index that cannot apply to the tensor's type. Names the op and the user's line."""


def make_node(op: Op, inputs: Sequence[Variable], params: Params = NO_PARAMS) -> Apply:
    """Build a node, checking its types now (graph construction never needs values)."""
    opdef = OPS[op]
    if not isinstance(params, opdef.params):
        raise TypeError(f"{op.value} takes {opdef.params.__name__}, got {type(params).__name__}")
    try:
        _check_arity(op, inputs, params)
        out_types = opdef.infer(inputs, params)
    except (TypeError, ValueError, IndexError) as exc:
        where = user_source_line()
        names = ", ".join(f"{v} : {v.type}" for v in inputs)
        message = f"{op.value}({names}): {exc}" + (f"\n  built at {where}" if where else "")
        kind = {TypeError: GraphTypeError, IndexError: GraphIndexError}
        error = next((k for base, k in kind.items() if isinstance(exc, base)), GraphShapeError)
        raise error(message) from exc
    return Apply(op, params, inputs, out_types)


def apply1(op: Op, inputs: Sequence[Variable], params: Params = NO_PARAMS) -> Variable:
    """Build a single-output node and return its output."""
    return make_node(op, inputs, params).outputs[0]


def op_display_name(op: Op, params: Params) -> str:
    if isinstance(params, ReduceParams) and params.axis is not None:
        return f"{OPS[op].display}{{axis={list(params.axis)}}}"
    if isinstance(params, DimShuffleParams):
        return f"DimShuffle{{{','.join(str(d) for d in params.new_order)}}}"
    if isinstance(params, CastParams):
        return f"Elemwise{{Cast{{{params.dtype}}}}}"
    if isinstance(params, RandomParams):
        return f"RandomFunction{{{params.distribution}}}"
    return OPS[op].display


assert set(OPS) == set(Op), f"ops without a table row: {set(Op) - set(OPS)}"
