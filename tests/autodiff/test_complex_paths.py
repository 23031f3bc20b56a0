"""Complex autodiff is not defined (spec/autodiff.md, "Complex values"): a derivative that passes through
a complex value makes grad a NullTypeGradError naming the op (a NullGrad with
null_gradients='return') and Rop a NullGradError, whichever op makes or reads the complex value;
integer-valued readers (comparisons) still give exactly zero, and a complex value off the path
does not matter."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import refspec as theano
import refspec.tensor as T
from refspec.autodiff.cotangent import NullGrad
from refspec.autodiff.jvp import NullGradError
from refspec.gradient import NullTypeGradError
from refspec.ifelse import ifelse
from refspec.tensor.var import TensorVariable

Build = Callable[[TensorVariable], TensorVariable]

# float x -> a complex intermediate -> a real cost, and the op grad names
THROUGH_COMPLEX: list[tuple[str, Build, str]] = [
    ("abs of a cast", lambda x: abs(T.cast(x, "complex128")).sum(), "abs"),
    ("abs of a product with a complex constant", lambda x: abs(x * (1 + 2j)).sum(), "abs"),
    ("squared abs of a scaled cast", lambda x: (abs(T.cast(x, "complex128") * 2) ** 2).sum(), "abs"),
    ("real of exp", lambda x: T.real(T.exp(T.cast(x, "complex128"))).sum(), "real"),
    ("imag of a sum", lambda x: T.imag(x + 1j).sum(), "imag"),
    ("abs of conj", lambda x: abs(T.conj(x * 1j)).sum(), "abs"),
    ("abs of a switch", lambda x: abs(T.switch(x > 0, x * np.complex128(1j), 0)).sum(), "abs"),
    ("complex64", lambda x: abs(T.cast(T.cast(x, "float32"), "complex64")).sum(), "abs"),
]


@pytest.mark.parametrize("build, op", [(b, op) for _, b, op in THROUGH_COMPLEX],
                         ids=[name for name, _, _ in THROUGH_COMPLEX])
def test_grad_through_a_complex_value_is_undefined(build: Build, op: str) -> None:
    x = T.dvector("x")
    cost = build(x)
    with pytest.raises(NullTypeGradError, match=f"undefined: {op}"):
        T.grad(cost, x)
    null = T.grad(cost, x, null_gradients="return")
    assert isinstance(null, NullGrad) and null.reason.startswith(op)


@pytest.mark.parametrize("build", [b for _, b, _ in THROUGH_COMPLEX],
                         ids=[name for name, _, _ in THROUGH_COMPLEX])
def test_rop_through_a_complex_value_is_undefined(build: Build) -> None:
    x = T.dvector("x")
    with pytest.raises(NullGradError, match="forward mode"):
        T.Rop(build(x), x, T.dvector("v"))


def test_the_reason_names_the_op_and_dtype() -> None:
    x = T.dvector("x")
    undefined = r"complex autodiff is not defined \(a complex128 {}\)"
    with pytest.raises(NullTypeGradError, match="abs: " + undefined.format("input")):
        T.grad(abs(x * (1 + 2j)).sum(), x)
    with pytest.raises(NullGradError, match="mul: " + undefined.format("output")):
        T.Rop(abs(x * (1 + 2j)), x, x)


def test_other_ways_in_lop_ifelse_jacobian_and_complex_wrt() -> None:
    x, s = T.dvector("x"), T.dscalar("s")
    z = T.zvector("z")
    with pytest.raises(NullTypeGradError, match="mul"):  # a cotangent given for a complex value
        T.Lop(x * np.complex128(1j), x, T.zvector("e"))
    with pytest.raises(NullTypeGradError, match="abs"):
        chosen = ifelse(s > 0, s * np.complex128(1j), s * np.complex128(2))
        assert isinstance(chosen, TensorVariable)
        T.grad(abs(chosen), s)
    with pytest.raises(NullTypeGradError, match="abs"):
        theano.gradient.jacobian(abs(x * np.complex128(1j)), x)
    with pytest.raises(NullTypeGradError, match="abs"):  # with respect to a complex variable
        T.grad(abs(z).sum(), z)


def outputs(result: tuple[Any, Any]) -> list[TensorVariable]:
    outs = result[0]
    assert isinstance(outs, list)
    return outs


def test_loops_with_complex_values() -> None:
    x, v = T.dvector("x"), T.dvector("v")
    xv = np.array([1.0, 2.0])
    (through,) = outputs(theano.scan(lambda a: abs(a * np.complex128(1 + 1j)), sequences=x, return_list=True))
    with pytest.raises(NullTypeGradError, match="abs"):
        T.grad(through.sum(), x)
    with pytest.raises(NullGradError):
        T.Rop(through, x, v)
    _, real = outputs(theano.scan(lambda a, h: [h * a, abs(h)], sequences=x,
                                  outputs_info=[T.constant(np.complex128(1j)), None]))
    with pytest.raises(NullTypeGradError):
        T.grad(real.sum(), x)
    # a complex output that the cost does not use is off the path
    unused, doubled = outputs(theano.scan(lambda a: [a * np.complex128(1j), a * 2.0], sequences=x))
    np.testing.assert_array_equal(theano.function([x], T.grad(doubled.sum(), x))(xv), [2.0, 2.0])
    np.testing.assert_array_equal(theano.function([x, v], T.Rop(doubled, x, v))(xv, xv), [2.0, 4.0])
    with pytest.raises(NullTypeGradError):
        T.grad(doubled.sum() + abs(unused).sum(), x)


def test_integer_valued_readers_of_complex_values_give_zero() -> None:
    x, v = T.dvector("x"), T.dvector("v")
    hit = T.cast(T.eq(x * np.complex128(1j), 2j), "float64")
    cost = (hit + x).sum()
    xv = np.array([1.0, 2.0])
    np.testing.assert_array_equal(theano.function([x], T.grad(cost, x))(xv), [1.0, 1.0])
    np.testing.assert_array_equal(theano.function([x, v], T.Rop(hit + x, x, v))(xv, xv), [1.0, 2.0])


def test_complex_values_off_the_path_do_not_matter() -> None:
    x = T.dvector("x")
    c = T.zvector("c")
    cost = (x * 2.0).sum() + abs(c).sum()
    cv = np.array([1j, 2.0])
    np.testing.assert_array_equal(theano.function([x, c], T.grad(cost, x))(np.ones(2), cv), [2.0, 2.0])
    rop = theano.function([x, c], T.Rop(x * 2.0 + abs(c).sum(), x, x))
    np.testing.assert_array_equal(rop(np.ones(2), cv), [2.0, 2.0])
