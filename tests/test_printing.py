"""Printing: ``pp`` / ``pprint`` (infix text), ``debugprint`` (indented tree) and the ``Print`` op."""

from __future__ import annotations

import io

import numpy as np
import pytest

import refspec as theano
import refspec.tensor as T
from refspec.ifelse import ifelse
from refspec.printing import Print, debugprint, pp, pprint

# ---------------------------------------------------------------- pp / pprint


def test_pp_is_pprint() -> None:
    assert pp is pprint and theano.pp is pprint


def test_pp_leaves() -> None:
    x = T.dscalar("x")
    assert pp(x) == "x"
    assert pp(theano.shared(1.0, name="s") + x) == "(s + x)"
    assert pp(T.dscalar() + x) == "(<TensorType(float64, shape=())> + x)"  # unnamed: its type


def test_pp_nested_infix() -> None:
    x, y, z = T.dscalars("x", "y", "z")
    assert pp(x + T.exp(y)) == "(x + exp(y))"
    assert pp((x + y) * z) == "((x + y) * z)"
    assert pp(x + y * z) == "(x + (y * z))"
    assert pp((x - y) / (x + z)) == "((x - y) / (x + z))"
    assert pp(T.exp(T.log(x) * T.sqrt(y))) == "exp((log(x) * sqrt(y)))"
    assert pp(-(x + y)) == "-(x + y)"
    assert pp((x < y) & (y > z)) == "((x < y) & (y > z))"
    assert pp(T.maximum(x, y - z)) == "maximum(x, (y - z))"
    assert pp(T.switch(T.lt(x, y), x, y)) == "switch((x < y), x, y)"
    assert pp(ifelse(T.lt(x, y), x, y)) == "ifelse((x < y), x, y)"


def test_pp_constants_and_named_intermediates() -> None:
    x = T.dscalar("x")
    assert pp(x * 2) == "(x * TensorConstant{2.})"  # a Python scalar becomes a constant of x's dtype
    assert pp(T.lscalar("n") + 1) == "(n + TensorConstant{1})"
    hidden = T.tanh(x + 1)
    hidden.name = "hidden"
    assert pp(hidden * hidden) == "(hidden * hidden)"  # a named result prints as its name
    assert pp(hidden) == "hidden"


def test_pp_matrix_ops() -> None:
    m = T.dmatrix("m")
    v = T.dvector("v")
    assert pp(T.dot(m, v) + v) == "(dot(m, v) + v)"
    assert pp(m.sum(axis=0)) == "sum(m)"
    assert pp(m.dimshuffle("x", 0, 1)) == "DimShuffle{x,0,1}(m)"
    assert pp(m.T) == "DimShuffle{1,0}(m)"


def test_pp_list_of_outputs() -> None:
    x, y = T.dscalars("x", "y")
    assert pp([x + y, x * y]) == "(x + y)\n(x * y)"


def test_pp_of_compiled_outputs() -> None:
    x, y = T.dscalars("x", "y")
    f = theano.function([x, y], T.exp(x) * y)
    assert pp(f.maker.fgraph.outputs[0]) == "(exp(x) * y)"


# ---------------------------------------------------------------- debugprint


def _debugprint(obj: object, **kwargs: object) -> str:
    buffer = io.StringIO()
    assert debugprint(obj, file=buffer, **kwargs) is None
    return buffer.getvalue()


def test_debugprint_variable() -> None:
    x, y = T.dscalars("x", "y")
    out = x + T.exp(y)
    assert _debugprint(out) == (
        "Elemwise{add,no_inplace} [id A] <TensorType(float64, shape=())>\n"
        " |x [id B] <TensorType(float64, shape=())>\n"
        " |Elemwise{exp,no_inplace} [id C] <TensorType(float64, shape=())>\n"
        " | |y [id D] <TensorType(float64, shape=())>\n"
    )
    assert _debugprint(out, print_type=False) == (
        "Elemwise{add,no_inplace} [id A]\n |x [id B]\n |Elemwise{exp,no_inplace} [id C]\n | |y [id D]\n"
    )


def test_debugprint_depth() -> None:
    x, y = T.dscalars("x", "y")
    out = (x + y) * T.exp(x - y)
    full = _debugprint(out, print_type=False).splitlines()
    assert len(full) == 8
    assert _debugprint(out, depth=1, print_type=False) == "Elemwise{mul,no_inplace} [id A]\n"
    two = _debugprint(out, depth=2, print_type=False).splitlines()
    assert two == ["Elemwise{mul,no_inplace} [id A]", " |Elemwise{add,no_inplace} [id B]",
                   " |Elemwise{exp,no_inplace} [id C]"]
    three = _debugprint(out, depth=3, print_type=False).splitlines()
    assert len(three) == 6 and all(line.count("|") <= 2 for line in three)
    assert _debugprint(out, depth=100) == _debugprint(out)


def test_debugprint_shared_subgraph_and_ids() -> None:
    x, y = T.dscalars("x", "y")
    s = x + y
    text = _debugprint(s * s, print_type=False)
    assert text == (
        "Elemwise{mul,no_inplace} [id A]\n"
        " |Elemwise{add,no_inplace} [id B]\n"
        " | |x [id C]\n"
        " | |y [id D]\n"
        " |Elemwise{add,no_inplace} [id B] ...\n"  # printed once; a repeat is marked
    )


def test_debugprint_named_result() -> None:
    x = T.dscalar("x")
    out = T.exp(x)
    out.name = "e"
    assert _debugprint(out, print_type=False) == "Elemwise{exp,no_inplace} 'e' [id A]\n |x [id B]\n"


def test_debugprint_function() -> None:
    m = T.dmatrix("m")
    v = T.dvector("v")
    f = theano.function([m, v], [T.dot(m, v).sum(), T.exp(v)])
    text = _debugprint(f, print_type=False)
    assert text == (
        "Sum [id A]\n"
        " |Dot [id B]\n"
        " | |m [id C]\n"
        " | |v [id D]\n"
        "Elemwise{exp,no_inplace} [id E]\n"
        " |v [id D]\n"  # ids are shared across the function's outputs
    )
    assert _debugprint(f, depth=1, print_type=False) == "Sum [id A]\nElemwise{exp,no_inplace} [id B]\n"
    assert _debugprint([T.dot(m, v).sum(), T.exp(v)], print_type=False) == text  # a list of variables


def test_debugprint_to_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    x = T.dscalar("x")
    f = theano.function([x], x * 2)
    assert theano.printing.debugprint(f) is None
    out = capsys.readouterr().out
    assert out.startswith("Elemwise{mul,no_inplace} [id A] <TensorType(float64, shape=())>\n")
    assert " |x [id B] <TensorType(float64, shape=())>\n" in out


# ---------------------------------------------------------------- Print


def test_print_once_per_call(capsys: pytest.CaptureFixture[str]) -> None:
    x = T.dscalar("x")
    p = Print("p")(x)
    f = theano.function([x], p + p * p)  # the printed value is used three times
    assert f(2.0) == 6.0
    assert capsys.readouterr().out == "p __str__ = 2.0\n"
    f(3.0)
    f(4.0)
    assert capsys.readouterr().out == "p __str__ = 3.0\np __str__ = 4.0\n"


def test_print_is_identity_and_prints_nothing_at_build(capsys: pytest.CaptureFixture[str]) -> None:
    v = T.dvector("v")
    p = Print("vec")(v)
    assert (p.type, p.dtype) == (v.type, "float64")
    assert capsys.readouterr().out == ""  # building the graph prints nothing
    f = theano.function([v], p.sum())
    assert capsys.readouterr().out == ""  # nor does compiling
    assert f(np.array([1.0, 2.0])) == 3.0
    assert capsys.readouterr().out == f"vec __str__ = {np.array([1.0, 2.0])}\n"


def test_print_attrs(capsys: pytest.CaptureFixture[str]) -> None:
    m = T.dmatrix("m")
    f = theano.function([m], Print("m", attrs=("shape",))(m).sum())
    f(np.ones((2, 3)))
    assert capsys.readouterr().out == "m shape = (2, 3)\n"


def test_print_not_in_untaken_ifelse_branch(capsys: pytest.CaptureFixture[str]) -> None:
    x, y = T.dscalars("x", "y")
    f = theano.function([x, y], ifelse(T.lt(x, y), Print("then")(x), Print("else")(y)))
    assert f(1.0, 2.0) == 1.0
    assert capsys.readouterr().out == "then __str__ = 1.0\n"
    assert f(3.0, 2.0) == 2.0
    assert capsys.readouterr().out == "else __str__ = 2.0\n"


def test_print_in_both_switch_branches(capsys: pytest.CaptureFixture[str]) -> None:
    # unlike ifelse, switch evaluates both branches
    x, y = T.dscalars("x", "y")
    f = theano.function([x, y], T.switch(T.lt(x, y), Print("a")(x), Print("b")(y)))
    assert f(1.0, 2.0) == 1.0
    assert sorted(capsys.readouterr().out.splitlines()) == ["a __str__ = 1.0", "b __str__ = 2.0"]


def test_print_inside_updates(capsys: pytest.CaptureFixture[str]) -> None:
    c = theano.shared(0)
    f = theano.function([], [], updates=[(c, Print("c")(c) + 1)])
    f()
    f()
    assert capsys.readouterr().out == "c __str__ = 0\nc __str__ = 1\n"
    assert c.get_value() == 2


def test_print_with_eval(capsys: pytest.CaptureFixture[str]) -> None:
    x = T.dscalar("x")
    assert (Print("x")(x) * 2).eval({x: 5.0}) == 10.0
    assert capsys.readouterr().out == "x __str__ = 5.0\n"


def test_pp_shows_indices_and_cast_dtypes() -> None:
    m = T.dmatrix("m")
    i = T.lscalar("i")
    assert theano.pp(m[0]) == "m[0]"
    assert theano.pp(m[1:, 2]) == "m[1:, 2]"
    assert theano.pp(m[i, ::-1]) == "m[i, ::-1]"
    assert theano.pp(T.cast(m, "float32")) == "cast(m, 'float32')"
