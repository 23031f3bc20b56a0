"""The graph IR: dtypes, tensor types, variables, apply nodes, the Op vocabulary and graph walks.

Nothing here evaluates anything. Types are values (two ``TensorType`` objects with the same dtype and
static shape are equal); variables and nodes are identified by object identity.
"""

from __future__ import annotations

import enum
import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Protocol, cast

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from refspec.params import Params
    from refspec.tensor.var import TensorVariable

Array = npt.NDArray[np.generic]

BOOL_DTYPES = ("bool",)
INT_DTYPES = ("int8", "int16", "int32", "int64")
UINT_DTYPES = ("uint8", "uint16", "uint32", "uint64")
FLOAT_DTYPES = ("float16", "float32", "float64")
COMPLEX_DTYPES = ("complex64", "complex128")
INTEGER_DTYPES = INT_DTYPES + UINT_DTYPES
DISCRETE_DTYPES = BOOL_DTYPES + INTEGER_DTYPES
CONTINUOUS_DTYPES = FLOAT_DTYPES + COMPLEX_DTYPES
DTYPES = DISCRETE_DTYPES + CONTINUOUS_DTYPES

StaticShape = tuple[int | None, ...]


def check_dtype(dtype: object) -> str:
    """Normalize a dtype spelling (``'float64'``, ``np.float32``, ``'floatX'`` is not accepted here)."""
    try:
        name = str(np.dtype(dtype).name)  # type: ignore[call-overload]
    except TypeError as exc:
        raise TypeError(f"unknown dtype {dtype!r}; refspec dtypes are {', '.join(DTYPES)}") from exc
    if name not in DTYPES:
        raise TypeError(f"unsupported dtype {name!r}; refspec dtypes are {', '.join(DTYPES)}")
    return name


class TensorType:
    """A tensor type: a dtype and a static shape, where ``None`` marks a length unknown until run time.

    ``TensorType('float64', (False, True))`` uses Theano's broadcastable pattern (True = length 1);
    ``TensorType('float64', shape=(None, 1))`` says the same with static lengths. Calling a type makes a
    fresh symbolic variable of that type.
    """

    __slots__ = ("dtype", "shape", "np_dtype")
    dtype: str
    shape: StaticShape
    np_dtype: np.dtype[np.generic]

    def __init__(
        self,
        dtype: object,
        broadcastable: Sequence[bool] | None = None,
        name: str | None = None,
        *,
        shape: Sequence[int | None] | None = None,
    ) -> None:
        del name  # Theano accepted a type name; types here are structural
        if broadcastable is not None and shape is not None:
            raise TypeError("TensorType takes broadcastable= or shape=, not both")
        if shape is None:
            shape = tuple(1 if b else None for b in (broadcastable or ()))
        static: list[int | None] = []
        for s in shape:
            if s is not None and (isinstance(s, bool) or not isinstance(s, (int, np.integer)) or s < 0):
                raise TypeError(f"static shape entries must be non-negative ints or None, got {s!r}")
            static.append(None if s is None else int(s))
        object.__setattr__(self, "dtype", check_dtype(dtype))
        object.__setattr__(self, "shape", tuple(static))
        object.__setattr__(self, "np_dtype", np.dtype(self.dtype))

    def __setattr__(self, key: str, value: object) -> None:
        raise AttributeError("TensorType is immutable")

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def broadcastable(self) -> tuple[bool, ...]:
        return tuple(s == 1 for s in self.shape)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TensorType) and (self.dtype, self.shape) == (other.dtype, other.shape)

    def __hash__(self) -> int:
        return hash((self.dtype, self.shape))

    def __repr__(self) -> str:
        dims = ", ".join("?" if s is None else str(s) for s in self.shape)
        return f"TensorType({self.dtype}, shape=({dims}{',' if self.ndim == 1 else ''}))"

    __str__ = __repr__

    def __call__(self, name: str | None = None) -> TensorVariable:
        # importing refspec always installs TensorVariable (refspec/__init__ imports the tensor layer)
        return cast("TensorVariable", VariableClasses.variable(self, None, 0, name))

    def with_shape(self, shape: Sequence[int | None]) -> TensorType:
        return TensorType(self.dtype, shape=shape)

    def accepts_shape(self, shape: Sequence[int]) -> bool:
        """Whether a concrete shape fits this type's static shape."""
        return len(shape) == self.ndim and all(s is None or s == n for s, n in zip(self.shape, shape))


class Op(enum.Enum):
    """The closed op vocabulary. ``refspec.ops.OPS`` gives each its params, typing rule and flags."""

    # elementwise, unary
    NEG = "neg"
    ABS = "abs"
    EXP = "exp"
    EXP2 = "exp2"
    EXPM1 = "expm1"
    LOG = "log"
    LOG2 = "log2"
    LOG10 = "log10"
    LOG1P = "log1p"
    SQRT = "sqrt"
    SQR = "sqr"
    SIN = "sin"
    COS = "cos"
    TAN = "tan"
    ARCSIN = "arcsin"
    ARCCOS = "arccos"
    ARCTAN = "arctan"
    SINH = "sinh"
    COSH = "cosh"
    TANH = "tanh"
    ERF = "erf"
    ERFC = "erfc"
    ERFINV = "erfinv"
    GAMMA = "gamma"
    GAMMALN = "gammaln"
    PSI = "psi"
    SIGMOID = "sigmoid"
    SOFTPLUS = "softplus"
    FLOOR = "floor"
    CEIL = "ceil"
    TRUNC = "trunc"
    ROUND_HALF_EVEN = "round_half_to_even"
    ROUND_HALF_AWAY = "round_half_away_from_zero"
    SIGN = "sign"
    INVERT = "invert"
    ISNAN = "isnan"
    ISINF = "isinf"
    REAL = "real"
    IMAG = "imag"
    CONJ = "conj"
    CAST = "cast"
    # elementwise, binary
    ADD = "add"
    SUB = "sub"
    MUL = "mul"
    TRUE_DIV = "true_div"
    INT_DIV = "int_div"
    MOD = "mod"
    POW = "pow"
    MAXIMUM = "maximum"
    MINIMUM = "minimum"
    ARCTAN2 = "arctan2"
    LT = "lt"
    GT = "gt"
    LE = "le"
    GE = "ge"
    EQ = "eq"
    NEQ = "neq"
    AND = "and"
    OR = "or"
    XOR = "xor"
    SECOND = "second"
    # elementwise, ternary
    SWITCH = "switch"
    CLIP = "clip"
    # reductions
    SUM = "sum"
    PROD = "prod"
    MAX = "max"
    MIN = "min"
    ALL = "all"
    ANY = "any"
    ARGMAX = "argmax"
    ARGMIN = "argmin"
    SUM_TO = "sum_to"
    # along an axis
    SOFTMAX = "softmax"
    LOG_SOFTMAX = "log_softmax"
    # linear algebra
    DOT = "dot"
    TENSORDOT = "tensordot"
    BATCHED_DOT = "batched_dot"
    # shapes and construction
    SHAPE = "shape"
    RESHAPE = "reshape"
    DIMSHUFFLE = "dimshuffle"
    SPECIFY_SHAPE = "specify_shape"
    JOIN = "join"
    ALLOC = "alloc"
    ARANGE = "arange"
    EYE = "eye"
    MAKE_VECTOR = "make_vector"
    # indexing
    SUBTENSOR = "subtensor"
    INC_SUBTENSOR = "inc_subtensor"
    # control and effects
    IFELSE = "ifelse"
    SCAN = "scan"
    PRINT = "print"
    # random draws: (state, size, *distribution params) -> (new state, value) (spec/random.md)
    RANDOM = "random"


UNARY = frozenset({
    Op.NEG, Op.ABS, Op.EXP, Op.EXP2, Op.EXPM1, Op.LOG, Op.LOG2, Op.LOG10, Op.LOG1P, Op.SQRT, Op.SQR,
    Op.SIN, Op.COS, Op.TAN, Op.ARCSIN, Op.ARCCOS, Op.ARCTAN, Op.SINH, Op.COSH, Op.TANH, Op.ERF,
    Op.ERFC, Op.ERFINV, Op.GAMMA, Op.GAMMALN, Op.PSI, Op.SIGMOID, Op.SOFTPLUS, Op.FLOOR, Op.CEIL,
    Op.TRUNC, Op.ROUND_HALF_EVEN, Op.ROUND_HALF_AWAY, Op.SIGN, Op.INVERT, Op.ISNAN, Op.ISINF,
    Op.REAL, Op.IMAG, Op.CONJ, Op.CAST,
})
BINARY = frozenset({
    Op.ADD, Op.SUB, Op.MUL, Op.TRUE_DIV, Op.INT_DIV, Op.MOD, Op.POW, Op.MAXIMUM, Op.MINIMUM,
    Op.ARCTAN2, Op.LT, Op.GT, Op.LE, Op.GE, Op.EQ, Op.NEQ, Op.AND, Op.OR, Op.XOR, Op.SECOND,
})
TERNARY = frozenset({Op.SWITCH, Op.CLIP})
ELEMENTWISE = UNARY | BINARY | TERNARY
# float-valued functions: integer inputs are first upgraded to a float dtype (spec/types.md)
FLOAT_FUNCTIONS = frozenset({
    Op.EXP, Op.EXP2, Op.EXPM1, Op.LOG, Op.LOG2, Op.LOG10, Op.LOG1P, Op.SQRT, Op.SIN, Op.COS, Op.TAN,
    Op.ARCSIN, Op.ARCCOS, Op.ARCTAN, Op.SINH, Op.COSH, Op.TANH, Op.ERF, Op.ERFC, Op.ERFINV, Op.GAMMA,
    Op.GAMMALN, Op.PSI, Op.SIGMOID, Op.SOFTPLUS, Op.ARCTAN2,
})
COMPARISON = frozenset({Op.LT, Op.GT, Op.LE, Op.GE, Op.EQ, Op.NEQ})
BITWISE = frozenset({Op.AND, Op.OR, Op.XOR, Op.INVERT})
COMMUTATIVE = frozenset({Op.ADD, Op.MUL, Op.MAXIMUM, Op.MINIMUM, Op.EQ, Op.NEQ, Op.AND, Op.OR, Op.XOR})
REDUCE = frozenset({Op.SUM, Op.PROD, Op.MAX, Op.MIN, Op.ALL, Op.ANY, Op.ARGMAX, Op.ARGMIN, Op.SUM_TO})
SHAPE_OPS = frozenset({
    Op.SHAPE, Op.RESHAPE, Op.DIMSHUFFLE, Op.SPECIFY_SHAPE, Op.JOIN, Op.ALLOC, Op.MAKE_VECTOR,
})
INDEXING = frozenset({Op.SUBTENSOR, Op.INC_SUBTENSOR})
# ops whose evaluation has an effect besides its value, or that decide what else is evaluated
EFFECTFUL = frozenset({Op.PRINT})
LAZY = frozenset({Op.IFELSE})
LOOPS = frozenset({Op.SCAN})
# ops that read a random state and return the next one: pure functions of that state (two nodes with
# the same state input and params give the same bits), never effects
RANDOM = frozenset({Op.RANDOM})


_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


@dataclass(frozen=True, slots=True)
class SourceLine:
    """Where the user built a node: the first stack frame outside the refspec package."""

    filename: str
    lineno: int
    function: str

    def __str__(self) -> str:
        return f"{self.filename}:{self.lineno} (in {self.function})"


def user_source_line() -> SourceLine | None:
    frame = sys._getframe(1)
    while frame is not None:
        filename = frame.f_code.co_filename
        if not os.path.abspath(filename).startswith(_PACKAGE_DIR):
            return SourceLine(filename, frame.f_lineno, frame.f_code.co_name)
        frame = frame.f_back  # type: ignore[assignment]
    return None


class Tag:
    """Free-form annotations on a variable (Theano's ``var.tag``), e.g. ``tag.test_value``."""

    def __init__(self) -> None:
        self.test_value: object | None = None

    def __repr__(self) -> str:
        return f"Tag({vars(self)!r})"


class Variable:
    """A symbolic value: a graph input (``owner is None``) or output ``index`` of the node ``owner``."""

    def __init__(self, type: TensorType, owner: Apply | None = None, index: int = 0, name: str | None = None):
        self.type = type
        self.owner = owner
        self.index = index
        self.name = name
        self.tag = Tag()

    @property
    def dtype(self) -> str:
        return self.type.dtype

    @property
    def ndim(self) -> int:
        return self.type.ndim

    @property
    def broadcastable(self) -> tuple[bool, ...]:
        return self.type.broadcastable

    @property
    def static_shape(self) -> StaticShape:
        return self.type.shape

    def __str__(self) -> str:
        if self.name is not None:
            return self.name
        if self.owner is not None:
            from refspec.ops import op_display_name  # ops imports ast; deferred to avoid a cycle

            return f"{op_display_name(self.owner.op, self.owner.params)}.{self.index}"
        return f"<{self.type}>"

    def __repr__(self) -> str:
        return str(self)


class Constant(Variable):
    """A variable with a fixed value. The value is a read-only numpy array of the variable's dtype."""

    def __init__(self, type: TensorType, data: Array, name: str | None = None):
        super().__init__(type, None, 0, name)
        value = np.array(data, dtype=type.dtype, copy=True)
        if not type.accepts_shape(value.shape):
            raise TypeError(f"constant of shape {value.shape} does not fit {type}")
        value.setflags(write=False)
        self.data = value

    @property
    def value(self) -> Array:
        return self.data

    def __str__(self) -> str:
        if self.name is not None:
            return self.name
        text = np.array2string(self.data, separator=", ", threshold=10)
        return f"TensorConstant{{{text}}}"


class DeviceMirror(Protocol):
    """A device copy of a container's value (GPU mode, ``refspec.fast.gpu.mirror``)."""

    def download(self) -> Array:
        """The device value as a new host array (which the mirror then knows to be in sync)."""
        ...

    def forget(self) -> None:
        """The host array was lent out (and may be written to): upload it before the next device use."""
        ...

    def on_device(self, container: Container) -> object:
        """The current value as a device array."""
        ...


class Container:
    """The storage cell of a shared variable (or of a function's implicit input).

    In GPU mode a container may also hold a device copy (``mirror``). While that copy is the newer
    one, ``value`` is absent from the instance and its first read downloads it (``__getattr__``), so
    every host reader sees the current value; assigning ``value`` makes the host value the newer one.
    """

    mirror: DeviceMirror | None = None

    def __init__(self, value: Array):
        self.value = value

    def __getattr__(self, name: str) -> Array:
        # reached only when normal lookup fails: ``value`` was dropped because the device is newer
        mirror = self.__dict__.get("mirror")
        if name != "value" or mirror is None:
            raise AttributeError(name)
        self.value = mirror.download()
        return self.value


class SharedVariable(Variable):
    """A variable whose value lives in a container shared by every function that uses it."""

    def __init__(self, type: TensorType, value: Array, name: str | None = None):
        super().__init__(type, None, 0, name)
        self.container = Container(value)
        # an update applied by every function that uses this variable, unless overridden
        self.default_update: Variable | None = None

    def __str__(self) -> str:
        return self.name if self.name is not None else f"<shared {self.type}>"


class Apply:
    """An application of an op to input variables, producing output variables of the given types."""

    def __init__(self, op: Op, params: Params, inputs: Sequence[Variable], output_types: Sequence[TensorType]):
        self.op = op
        self.params = params
        self.inputs: tuple[Variable, ...] = tuple(inputs)
        self.outputs: tuple[Variable, ...] = tuple(
            VariableClasses.variable(t, self, i, None) for i, t in enumerate(output_types)
        )
        self.source = user_source_line()

    @property
    def out(self) -> Variable:
        if len(self.outputs) != 1:
            raise ValueError(f"{self.op.name} has {len(self.outputs)} outputs")
        return self.outputs[0]

    def __repr__(self) -> str:
        return f"Apply({self.op.name}, {self.params}, {list(self.inputs)})"


class VariableClasses:
    """The classes used for new variables. The tensor layer installs its own subclasses (which carry
    the operator overloads) so that every variable a user sees behaves as a tensor variable."""

    variable: ClassVar[type[Variable]] = Variable


def toposort(outputs: Iterable[Variable]) -> list[Apply]:
    """Apply nodes feeding ``outputs``, each after all the nodes it depends on (iterative, deterministic)."""
    order: list[Apply] = []
    done: set[int] = set()
    for root in outputs:
        stack: list[tuple[Variable, int]] = [(root, 0)]
        while stack:
            var, i = stack.pop()
            node = var.owner
            if node is None or id(node) in done:
                continue
            if i < len(node.inputs):
                stack.append((var, i + 1))
                stack.append((node.inputs[i], 0))
            else:
                done.add(id(node))
                order.append(node)
    return order


def graph_inputs(outputs: Iterable[Variable]) -> list[Variable]:
    """Variables without an owner (inputs, constants, shared variables) that ``outputs`` depend on."""
    seen: set[int] = set()
    found: list[Variable] = []

    def visit(var: Variable) -> None:
        if var.owner is None and id(var) not in seen:
            seen.add(id(var))
            found.append(var)

    roots = list(outputs)
    for node in toposort(roots):
        for var in node.inputs:
            visit(var)
    for var in roots:
        visit(var)
    return found


def clone_replace(outputs: Sequence[Variable], replace: Mapping[Variable, Variable]) -> list[Variable]:
    """Rebuild ``outputs`` with each key of ``replace`` substituted by its value.

    Replacement is simultaneous: a replacement's own graph is not rewritten. Nodes that depend on no
    replaced variable are kept as they are (shared, not copied).
    """
    memo: dict[int, Variable] = {id(k): v for k, v in replace.items()}
    replace_ids = set(memo)
    for node in toposort(outputs):
        if all(id(o) in replace_ids for o in node.outputs):
            continue  # every output replaced: its inputs' replacements do not matter
        new_inputs = [memo.get(id(v), v) for v in node.inputs]
        if any(a is not b for a, b in zip(new_inputs, node.inputs)):
            clone = Apply(node.op, node.params, new_inputs, [o.type for o in node.outputs])
            clone.source = node.source
            for old, new in zip(node.outputs, clone.outputs):
                new.name = old.name
                if id(old) not in replace_ids:  # a replaced variable stays replaced
                    memo[id(old)] = new
    return [memo.get(id(v), v) for v in outputs]
