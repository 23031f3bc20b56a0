"""Symbolic tensor variables with Theano's operators and methods (``refspec.tensor.var.TensorVariable``).

Equality is identity: ``x == y`` compares variables, it does not build a graph (use ``T.eq``), as in
Theano. ``bool(x)`` raises, so ``if x > 0:`` on a symbol fails loudly instead of silently.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal, cast

from refspec.ast import Array, Constant, SharedVariable, Variable, VariableClasses
from refspec.values import filter_value

if TYPE_CHECKING:
    from refspec.tensor.basic import Operand

Axis = int | Sequence[int] | None


class TensorVariable(Variable):
    """A symbolic tensor: the result of an op, or an input made by a type constructor."""

    # numpy defers to our reflected operators: ``np.float32(2) * x`` builds a node
    __array_ufunc__ = None

    # -- arithmetic (reflected forms accept Python and numpy scalars) --
    def __add__(self, other: Operand) -> TensorVariable:
        return _basic.add(self, other)

    def __radd__(self, other: Operand) -> TensorVariable:
        return _basic.add(other, self)

    def __sub__(self, other: Operand) -> TensorVariable:
        return _basic.sub(self, other)

    def __rsub__(self, other: Operand) -> TensorVariable:
        return _basic.sub(other, self)

    def __mul__(self, other: Operand) -> TensorVariable:
        return _basic.mul(self, other)

    def __rmul__(self, other: Operand) -> TensorVariable:
        return _basic.mul(other, self)

    def __truediv__(self, other: Operand) -> TensorVariable:
        return _basic.true_div(self, other)

    def __rtruediv__(self, other: Operand) -> TensorVariable:
        return _basic.true_div(other, self)

    def __floordiv__(self, other: Operand) -> TensorVariable:
        return _basic.int_div(self, other)

    def __rfloordiv__(self, other: Operand) -> TensorVariable:
        return _basic.int_div(other, self)

    def __mod__(self, other: Operand) -> TensorVariable:
        return _basic.mod(self, other)

    def __rmod__(self, other: Operand) -> TensorVariable:
        return _basic.mod(other, self)

    def __pow__(self, other: Operand) -> TensorVariable:
        return _basic.pow(self, other)

    def __rpow__(self, other: Operand) -> TensorVariable:
        return _basic.pow(other, self)

    def __neg__(self) -> TensorVariable:
        return _basic.neg(self)

    def __pos__(self) -> TensorVariable:
        return self

    def __abs__(self) -> TensorVariable:
        return _basic.abs(self)

    def __invert__(self) -> TensorVariable:
        return _basic.invert(self)

    # -- comparisons and bitwise (no __eq__: identity, as in Theano) --
    def __lt__(self, other: Operand) -> TensorVariable:
        return _basic.lt(self, other)

    def __le__(self, other: Operand) -> TensorVariable:
        return _basic.le(self, other)

    def __gt__(self, other: Operand) -> TensorVariable:
        return _basic.gt(self, other)

    def __ge__(self, other: Operand) -> TensorVariable:
        return _basic.ge(self, other)

    def __and__(self, other: Operand) -> TensorVariable:
        return _basic.and_(self, other)

    def __rand__(self, other: Operand) -> TensorVariable:
        return _basic.and_(other, self)

    def __or__(self, other: Operand) -> TensorVariable:
        return _basic.or_(self, other)

    def __ror__(self, other: Operand) -> TensorVariable:
        return _basic.or_(other, self)

    def __xor__(self, other: Operand) -> TensorVariable:
        return _basic.xor(self, other)

    def __rxor__(self, other: Operand) -> TensorVariable:
        return _basic.xor(other, self)

    __hash__ = Variable.__hash__

    def __bool__(self) -> bool:
        raise TypeError(
            f"a symbolic variable ({self}) has no truth value; use T.switch or ifelse for conditions"
        )

    def __iter__(self) -> None:
        raise TypeError(f"{self} is symbolic and cannot be iterated; index it or use scan")

    def __len__(self) -> int:
        raise TypeError(f"{self} is symbolic and has no len(); use x.shape[0]")

    # -- indexing and shape --
    def __getitem__(self, index: object) -> TensorVariable:
        from refspec.tensor.subtensor import getitem

        return getitem(self, index)

    @property
    def shape(self) -> TensorVariable:
        from refspec.tensor import shape_ops as _shapes

        return _shapes.shape(self)

    @property
    def size(self) -> TensorVariable:
        from refspec.tensor import math as _math

        return _math.prod(self.shape)

    @property
    def T(self) -> TensorVariable:
        from refspec.tensor import shape_ops as _shapes

        return _shapes.transpose(self)

    def transpose(self, *axes: int) -> TensorVariable:
        from refspec.tensor import shape_ops as _shapes

        return _shapes.transpose(self, axes or None)

    def reshape(self, shape: Operand | Sequence[Operand], ndim: int | None = None) -> TensorVariable:
        from refspec.tensor import shape_ops as _shapes

        return _shapes.reshape(self, shape, ndim)

    def flatten(self, ndim: int = 1) -> TensorVariable:
        from refspec.tensor import shape_ops as _shapes

        return _shapes.flatten(self, ndim)

    def ravel(self) -> TensorVariable:
        from refspec.tensor import shape_ops as _shapes

        return _shapes.flatten(self, 1)

    def dimshuffle(self, *order: int | Literal["x"] | Sequence[int | Literal["x"]]) -> TensorVariable:
        if len(order) == 1 and isinstance(order[0], (list, tuple)):
            from refspec.tensor import shape_ops as _shapes

            return _shapes.dimshuffle(self, tuple(order[0]))
        from refspec.tensor import shape_ops as _shapes

        return _shapes.dimshuffle(self, order)  # type: ignore[arg-type]

    # -- reductions --
    def sum(self, axis: Axis = None, keepdims: bool = False, dtype: str | None = None) -> TensorVariable:
        from refspec.tensor import math as _math

        return _math.sum(self, axis, keepdims=keepdims, dtype=dtype)

    def prod(self, axis: Axis = None, keepdims: bool = False, dtype: str | None = None) -> TensorVariable:
        from refspec.tensor import math as _math

        return _math.prod(self, axis, keepdims=keepdims, dtype=dtype)

    def mean(self, axis: Axis = None, keepdims: bool = False) -> TensorVariable:
        from refspec.tensor import math as _math

        return _math.mean(self, axis, keepdims=keepdims)

    def var(self, axis: Axis = None, keepdims: bool = False, ddof: int = 0) -> TensorVariable:
        from refspec.tensor import math as _math

        return _math.var(self, axis, keepdims=keepdims, ddof=ddof)

    def std(self, axis: Axis = None, keepdims: bool = False, ddof: int = 0) -> TensorVariable:
        from refspec.tensor import math as _math

        return _math.std(self, axis, keepdims=keepdims, ddof=ddof)

    def max(self, axis: Axis = None, keepdims: bool = False) -> TensorVariable:
        from refspec.tensor import math as _math

        return _math.max(self, axis, keepdims=keepdims)

    def min(self, axis: Axis = None, keepdims: bool = False) -> TensorVariable:
        from refspec.tensor import math as _math

        return _math.min(self, axis, keepdims=keepdims)

    def argmax(self, axis: Axis = None, keepdims: bool = False) -> TensorVariable:
        from refspec.tensor import math as _math

        return _math.argmax(self, axis, keepdims=keepdims)

    def argmin(self, axis: Axis = None, keepdims: bool = False) -> TensorVariable:
        from refspec.tensor import math as _math

        return _math.argmin(self, axis, keepdims=keepdims)

    def ptp(self, axis: Axis = None, keepdims: bool = False) -> TensorVariable:
        from refspec.tensor import math as _math

        return _math.ptp(self, axis, keepdims=keepdims)

    def all(self, axis: Axis = None, keepdims: bool = False) -> TensorVariable:
        from refspec.tensor import math as _math

        return _math.all(self, axis, keepdims=keepdims)

    def any(self, axis: Axis = None, keepdims: bool = False) -> TensorVariable:
        from refspec.tensor import math as _math

        return _math.any(self, axis, keepdims=keepdims)

    # -- other methods Theano code calls --
    def dot(self, other: Operand) -> TensorVariable:
        from refspec.tensor.linalg import dot

        return dot(self, other)

    def __matmul__(self, other: Operand) -> TensorVariable:
        return self.dot(other)

    def astype(self, dtype: str) -> TensorVariable:
        return _basic.cast(self, dtype)

    def clip(self, a_min: Operand, a_max: Operand) -> TensorVariable:
        return _basic.clip(self, a_min, a_max)

    def round(self, mode: str = "half_to_even") -> TensorVariable:
        return _basic.round(self, mode)

    def fill(self, value: Operand) -> TensorVariable:
        return _basic.fill(self, value)

    def conj(self) -> TensorVariable:
        return _basic.conj(self)

    @property
    def real(self) -> TensorVariable:
        return _basic.real(self)

    @property
    def imag(self) -> TensorVariable:
        return _basic.imag(self)

    def nonzero_values(self) -> TensorVariable:
        return self[_basic.neq(self, 0)]

    def eval(self, inputs_to_values: dict[Variable, object] | None = None) -> Array:
        """Evaluate on the reference interpreter, given values for the graph's inputs."""
        from refspec.compile.function import function

        inputs = list((inputs_to_values or {}).keys())
        f = function(inputs, self, on_unused_input="ignore", mode="REFERENCE")
        result = f(*(inputs_to_values or {}).values())
        assert not isinstance(result, list)
        return result


class TensorConstant(TensorVariable, Constant):
    """A constant tensor."""


class TensorSharedVariable(TensorVariable, SharedVariable):
    """A shared tensor variable: ``get_value`` / ``set_value`` (see ``refspec.tensor.sharedvar``)."""

    def get_value(self, borrow: bool = False, return_internal_type: bool = False) -> Array:
        mirror = self.container.mirror  # a device copy (GPU mode)
        if mirror is not None and borrow and return_internal_type:
            return cast(Array, mirror.on_device(self.container))  # the cupy.ndarray itself
        value = self.container.value
        if mirror is not None and borrow:
            mirror.forget()  # the borrower may write into the host array: upload it again
        return value if borrow else value.copy()

    def set_value(self, value: object, borrow: bool = False) -> None:
        self.container.value = filter_value(self.type, value, name=str(self), copy=not borrow)

    @property
    def value(self) -> Array:
        return self.get_value()


VariableClasses.variable = TensorVariable


# imported last: basic builds nodes with the classes defined above (math and shape import
# basic's names, so methods import them where used)
from refspec.tensor import basic as _basic  # noqa: E402
