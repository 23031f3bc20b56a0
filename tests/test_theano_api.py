"""The Theano API surface that Theano code relies on (../shared/THEANO_API.md, sections 1-3).

Module paths, names and object behaviour, including gradients (issue 3), scan and random streams
(issue 4).
"""

from __future__ import annotations

import importlib
import sys

import numpy as np
import pytest

import refspec as theano
import refspec.tensor as T

# ---------------------------------------------------------------- 1. module paths


@pytest.mark.parametrize("path", ["refspec", "refspec.tensor", "refspec.tensor.nnet", "refspec.tensor.var",
                                  "refspec.compile", "refspec.compile.io", "refspec.ifelse", "refspec.printing"])
def test_module_paths_import(path: str) -> None:
    module = importlib.import_module(path)
    assert module.__name__ == path


def test_submodule_attributes() -> None:
    assert theano.tensor is sys.modules["refspec.tensor"]
    assert theano.printing is sys.modules["refspec.printing"]
    from refspec import printing, tensor

    assert printing is theano.printing
    assert tensor.nnet is sys.modules["refspec.tensor.nnet"]  # theano.tensor.nnet after `from theano import tensor`


def test_tensor_var_module_defines_tensor_variable() -> None:
    from refspec.tensor.var import TensorVariable

    assert type(T.dscalar()) is TensorVariable
    assert TensorVariable.__module__ == "refspec.tensor.var"
    assert sys.modules["refspec.tensor.var"].TensorVariable is TensorVariable
    # as in Theano, the attribute T.var is the variance function, not the module
    assert callable(T.var) and T.var(T.dvector()).ndim == 0


def test_compile_io_in_out_are_the_top_level_objects() -> None:
    from refspec.compile.io import In, Out

    assert In is theano.In and Out is theano.Out
    assert theano.compile.io.In is theano.In


def test_ifelse_module_function() -> None:
    from refspec.ifelse import ifelse

    c = T.iscalar("c")
    assert ifelse(c, T.constant(1.0), T.constant(2.0)).eval({c: 0}) == 2.0


def test_nnet_sigmoid() -> None:
    from refspec.tensor.nnet import sigmoid

    x = T.dvector("x")
    np.testing.assert_allclose(sigmoid(x).eval({x: np.array([0.0, 1.0])}), [0.5, 1 / (1 + np.exp(-1.0))])


def test_star_import_and_all() -> None:
    namespace: dict[str, object] = {}
    exec("from refspec import *", namespace)
    for name in theano.__all__:
        assert hasattr(theano, name), name
        assert name in namespace, name
    tensor_namespace: dict[str, object] = {}
    exec("from refspec.tensor import *", tensor_namespace)
    assert "dmatrix" in tensor_namespace and "dmatrices" in tensor_namespace
    for name in T.__all__:
        assert hasattr(T, name), name


def test_module_paths_of_later_issues() -> None:
    for path in ["refspec.gradient", "refspec.scan_module", "refspec.sandbox", "refspec.sandbox.rng_mrg",
                 "refspec.tensor.shared_randomstreams"]:
        importlib.import_module(path)
    assert theano.gradient.jacobian and theano.gradient.hessian
    assert theano.scan_module.until
    from refspec.sandbox.rng_mrg import MRG_RandomStreams
    from refspec.tensor.shared_randomstreams import RandomStreams

    assert MRG_RandomStreams is not RandomStreams


# ---------------------------------------------------------------- 2. public names


def test_top_level_names() -> None:
    for name in ["function", "shared", "In", "Out", "Mode", "config", "pp", "dot", "tensor", "printing"]:
        assert hasattr(theano, name), name
    assert theano.config.floatX == "float64"


def test_top_level_names_of_later_issues() -> None:
    for name in ["scan", "gradient", "scan_module"]:
        assert hasattr(theano, name), name


TENSOR_NAMES = """TensorType scalar vector matrix row col tensor3 tensor4 iscalar lscalar dscalar ivector dvector
fvector imatrix dmatrix fmatrix zmatrix itensor3 ftensor3 scalars dscalars matrices dmatrices imatrices
arange as_tensor_variable batched_dot cast concatenate constant dot exp inc_subtensor join le log lt mean
mgrid ogrid ones_like set_subtensor shape_padaxis shape_padright specify_shape sqrt stack stacklists sum
switch tanh zeros_like nnet""".split()


@pytest.mark.parametrize("name", TENSOR_NAMES)
def test_tensor_names(name: str) -> None:
    assert hasattr(T, name)


@pytest.mark.parametrize("name", ["grad", "Rop", "Lop", "shared_randomstreams"])
def test_tensor_names_of_later_issues(name: str) -> None:
    assert hasattr(T, name)


def test_tensor_functions_work() -> None:
    a, b = T.dvectors("a", "b")
    m = T.dmatrix("m")
    av, bv = np.array([1.0, 4.0]), np.array([2.0, 3.0])
    mv = np.arange(6.0).reshape(2, 3)
    env = {a: av, b: bv, m: mv}
    checks = [
        (T.arange(3), np.arange(3)),
        (T.batched_dot(m.dimshuffle("x", 0, 1), m.T.dimshuffle("x", 0, 1)), (mv @ mv.T)[None]),
        (T.cast(a, "int32"), av.astype("int32")),
        (T.concatenate([a, b]), np.concatenate([av, bv])),
        (T.constant(2.0) * a, 2 * av),
        (T.dot(m.T, a), mv.T @ av),
        (T.exp(a), np.exp(av)),
        (T.inc_subtensor(a[0], 10), av + [10, 0]),
        (T.set_subtensor(a[1], 10), np.array([1.0, 10.0])),
        (T.join(0, a, b), np.concatenate([av, bv])),
        (T.le(a, b), av <= bv),
        (T.lt(a, b), av < bv),
        (T.log(a), np.log(av)),
        (T.mean(m, axis=0), mv.mean(axis=0)),
        (T.ones_like(m), np.ones_like(mv)),
        (T.zeros_like(m), np.zeros_like(mv)),
        (T.shape_padaxis(a, 1), av[:, None]),
        (T.shape_padright(a), av[:, None]),
        (T.specify_shape(a, (2,)), av),
        (T.sqrt(a), np.sqrt(av)),
        (T.stack([a, b], axis=1), np.stack([av, bv], axis=1)),
        (T.stacklists([[a[0], b[0]], [a[1], b[1]]]), np.array([[1.0, 2.0], [4.0, 3.0]])),
        (T.sum(m, axis=1), mv.sum(axis=1)),
        (T.switch(T.lt(a, b), a, b), np.minimum(av, bv)),
        (T.tanh(a), np.tanh(av)),
    ]
    for expr, want in checks:
        got = expr.eval({k: v for k, v in env.items() if k in _inputs(expr)})
        np.testing.assert_allclose(got, want, err_msg=str(expr))


def _inputs(expr: object) -> list[object]:
    from refspec.ast import graph_inputs

    return list(graph_inputs([expr]))


def test_mgrid_ogrid() -> None:
    a = T.mgrid[0:3, 0:2]
    np.testing.assert_array_equal(a[0].eval(), np.mgrid[0:3, 0:2][0])
    np.testing.assert_array_equal(a[1].eval(), np.mgrid[0:3, 0:2][1])
    o = T.ogrid[0:3, 0:2]
    np.testing.assert_array_equal(o[0].eval(), np.ogrid[0:3, 0:2][0])
    np.testing.assert_array_equal(o[1].eval(), np.ogrid[0:3, 0:2][1])


# ---------------------------------------------------------------- 3. object-level API: variables


def test_variable_attributes() -> None:
    x = T.dmatrix("x")
    assert (x.type, x.broadcastable, x.ndim, x.dtype, x.name) == (T.dmatrix, (False, False), 2, "float64", "x")
    s = theano.shared(np.zeros(3), name="s")
    assert (s.type, s.broadcastable, s.ndim, s.dtype, s.name) == (T.dvector, (False,), 1, "float64", "s")
    r = T.row("r")
    assert r.broadcastable == (True, False)
    assert x.T.broadcastable == (False, False) and r.T.broadcastable == (False, True)
    np.testing.assert_array_equal(x.T.eval({x: np.arange(6.0).reshape(2, 3)}), np.arange(6.0).reshape(2, 3).T)


def test_symbolic_shape_is_indexable() -> None:
    y = T.dvector("y")
    W = T.dmatrix("W")
    assert y.shape.ndim == 1
    assert y.shape[0].eval({y: np.zeros(7)}) == 7
    np.testing.assert_array_equal(W[1].shape.eval({W: np.zeros((2, 5))}), [5])
    np.testing.assert_array_equal(W.shape.eval({W: np.zeros((2, 5))}), [2, 5])
    f = theano.function([y], T.zeros_like(y).sum() + y.shape[0])
    assert f(np.zeros(4)) == 4


def test_sum_method_and_eval() -> None:
    x = T.dmatrix("x")
    assert x.sum().eval({x: np.ones((2, 3))}) == 6.0
    assert T.constant(np.arange(4)).sum().eval() == 6
    assert (T.arange(3) * 2).eval().tolist() == [0, 2, 4]


def test_indexing() -> None:
    y = T.dvector("y")
    X = T.dmatrix("X")
    i, j = T.lscalars("i", "j")
    yv = np.arange(5.0)
    Xv = np.arange(12.0).reshape(3, 4)
    assert y[i].eval({y: yv, i: 3}) == 3.0
    assert X[i, j].eval({X: Xv, i: 2, j: 1}) == Xv[2, 1]
    np.testing.assert_array_equal(y[::-1].eval({y: yv}), yv[::-1])
    assert y[-1].eval({y: yv}) == 4.0  # results[-1]
    np.testing.assert_array_equal(X[-1].eval({X: Xv}), Xv[-1])
    np.testing.assert_array_equal(X[1:, ::2].eval({X: Xv}), Xv[1:, ::2])


def test_operators() -> None:
    x, y = T.dvectors("x", "y")
    xv, yv = np.array([1.0, -2.0]), np.array([3.0, 4.0])
    env = {x: xv, y: yv}
    pairs = [(x + y, xv + yv), (x - y, xv - yv), (x * y, xv * yv), (x / y, xv / yv), (x**y, xv**yv),
             (-x, -xv), (abs(x), np.abs(xv)), (x > y, xv > yv), ((x > 0) & (y > 0), (xv > 0) & (yv > 0)),
             (2 + x, 2 + xv), (2 - x, 2 - xv), (2 * x, 2 * xv), (2 / y, 2 / yv), (2**y, 2**yv)]
    for expr, want in pairs:
        np.testing.assert_allclose(expr.eval({k: v for k, v in env.items() if k in _inputs(expr)}), want)


def test_reflected_operators_with_complex_scalars() -> None:
    x = T.dmatrix("x")
    expr = 3 + 0.2j * x.T
    assert expr.dtype == "complex128"
    xv = np.arange(6.0).reshape(2, 3)
    np.testing.assert_allclose(expr.eval({x: xv}), 3 + 0.2j * xv.T)


def test_str_of_output_variable() -> None:
    x, y = T.dscalars("x", "y")
    assert str(x + y) == "Elemwise{add,no_inplace}.0"
    assert str(x) == "x"


def test_test_value_tag_is_assignable() -> None:
    x = T.dmatrix("x")
    x.tag.test_value = np.ones((2, 2))
    np.testing.assert_array_equal(x.tag.test_value, np.ones((2, 2)))


# ---------------------------------------------------------------- 3. types and constructors


def test_tensor_type_construction_and_equality() -> None:
    my_dmatrix = T.TensorType("float64", (False, False))
    assert my_dmatrix == T.dmatrix
    assert T.TensorType(dtype="float64", broadcastable=[False, False]) == T.dmatrix
    assert T.TensorType("float64", [False, False]) == T.TensorType("float64", (False, False))
    assert T.TensorType("float32", (False, False)) != T.dmatrix
    assert T.TensorType("float64", (True, False)) != T.dmatrix
    assert hash(my_dmatrix) == hash(T.dmatrix)
    v = my_dmatrix("name")
    assert v.name == "name" and v.type == T.dmatrix
    anonymous = my_dmatrix()
    assert anonymous.name is None and anonymous.ndim == 2


def test_predefined_types_are_singletons() -> None:
    x = T.dscalar("x")
    assert x.type is T.dscalar
    assert T.dmatrix("m").type is T.dmatrix
    assert T.fvector().type is T.fvector
    assert T.iscalar().type is T.iscalar


def test_scalar_with_dtype() -> None:
    n = T.scalar("n", dtype="int32")
    assert (n.name, n.dtype, n.ndim) == ("n", "int32", 0)
    assert T.scalar(dtype="int8").dtype == "int8"
    assert T.scalar().dtype == theano.config.floatX == "float64"
    assert T.matrix("m", dtype="float32").type == T.fmatrix


def test_plural_constructors() -> None:
    ms = T.dmatrices(3)
    assert len(ms) == 3 and all(m.type == T.dmatrix for m in ms)
    x, y, z = T.dmatrices("x", "y", "z")
    assert (x.name, y.name, z.name) == ("x", "y", "z")
    abcd = T.scalars("abcd")
    assert [v.name for v in abcd] == ["a", "b", "c", "d"]
    assert all(v.type == T.scalar().type for v in abcd)
    im = T.imatrices(2)
    assert all(m.type == T.imatrix for m in im)


def test_shared_borrow_aliases() -> None:
    data = np.zeros(3)
    s = theano.shared(data, borrow=True)
    data[0] = 5.0
    assert s.get_value()[0] == 5.0
    assert s.get_value(borrow=True) is data
    copied = theano.shared(data)
    data[1] = 7.0
    assert copied.get_value()[1] == 0.0  # borrow=False copies
    got = copied.get_value()
    got[2] = 9.0
    assert copied.get_value()[2] == 0.0  # get_value() returns a copy
    assert isinstance(copied.get_value(return_internal_type=True), np.ndarray)


def test_shared_set_value() -> None:
    s = theano.shared(np.zeros(3), name="s")
    s.set_value([1, 2, 3])
    np.testing.assert_array_equal(s.get_value(), [1.0, 2.0, 3.0])
    assert s.get_value().dtype == np.float64
    s.set_value([1, 2])  # the length may change
    assert s.get_value().shape == (2,)
    with pytest.raises(TypeError):
        s.set_value(np.zeros((2, 2)))  # the ndim may not
    new = np.ones(4)
    s.set_value(new, borrow=True)
    new[0] = 3.0
    assert s.get_value()[0] == 3.0


# ---------------------------------------------------------------- 3. function


def test_function_inputs_forms() -> None:
    x, y = T.dscalars("x", "y")
    s = T.iscalar("s")
    f = theano.function([x, theano.In(y, value=2.0, name="why")], x * y)
    assert f(3) == 6.0 and f(3, 4) == 12.0 and f(3, why=5) == 15.0 and f(x=1, y=7) == 7.0
    g = theano.function([((s, s + 1), 10)], s)  # Theano's ((variable, update), default) shortcut
    assert [int(g()), int(g()), int(g())] == [10, 11, 12]


def test_function_output_forms() -> None:
    x = T.dvector("x")
    single = theano.function([x], x * 2)([1.0])
    assert isinstance(single, np.ndarray)
    listed = theano.function([x], [x * 2])([1.0])
    assert isinstance(listed, list) and len(listed) == 1
    borrowed = theano.function([x], theano.Out(x * 2, borrow=True))([1.0])
    np.testing.assert_array_equal(borrowed, [2.0])
    s = theano.shared(0.0)
    nothing = theano.function([x], [], updates=[(s, x.sum())])
    assert nothing([1.0, 2.0]) == [] and s.get_value() == 3.0
    scalar = theano.function([x], x.sum())([1.0, 2.0])
    assert isinstance(scalar, np.ndarray) and scalar.shape == ()


def test_fgraph_outputs() -> None:
    x, y = T.dscalars("x", "y")
    out = x + y
    f = theano.function([x, y], out)
    assert len(f.maker.fgraph.outputs) == 1
    assert theano.pp(f.maker.fgraph.outputs[0]) == "(x + y)"
    g = theano.function([x, y], [out, x * y])
    assert len(g.maker.fgraph.outputs) == 2


@pytest.mark.parametrize("kind", ["list_of_lists", "tuple_of_pairs", "list_of_tuples", "dict"])
def test_updates_forms(kind: str) -> None:
    c = theano.shared(0)
    d = theano.shared(10)
    updates: object = {
        "list_of_lists": [[c, c + 1], [d, d - 1]],
        "tuple_of_pairs": ((c, c + 1), (d, d - 1)),
        "list_of_tuples": [(c, c + 1), (d, d - 1)],
        "dict": {c: c + 1, d: d - 1},
    }[kind]
    f = theano.function([], [c, d], updates=updates)
    assert [int(v) for v in f()] == [0, 10]
    assert [int(v) for v in f()] == [1, 9]
    assert (c.get_value(), d.get_value()) == (2, 8)


def test_givens_non_variable_value() -> None:
    x = T.dvector("x")
    c = T.dscalar("c")
    f = theano.function([c], x.sum() * c, givens=[(x, [1.0, 2.0])])
    assert f(2) == 6.0


def test_mode_objects() -> None:
    x = T.dscalar("x")
    f = theano.function([x], x * 2, mode=theano.Mode(linker="vm"))
    assert f(3) == 6.0
    for mode in ["FAST_RUN", "FAST_COMPILE", "DebugMode", None]:
        assert theano.function([x], x * 2, mode=mode)(3) == 6.0


def test_function_keyword_arguments_accepted() -> None:
    x = T.fvector("x")
    s = theano.shared(0.0)
    f = theano.function(inputs=[x], outputs=x.sum(), updates=[(s, s + 1)], givens=None, no_default_updates=False,
                        allow_input_downcast=True, name="f")
    assert f(np.array([1.5, 2.5])) == 4.0  # float64 data downcast to float32
    assert f.name == "f" and s.get_value() == 1.0


def test_function_copy_swap_keep_updates() -> None:
    state = theano.shared(0, name="state")
    inc = T.iscalar("inc")
    acc = theano.function([inc], state, updates=[(state, state + inc)])
    other = theano.shared(100, name="other")
    acc2 = acc.copy(swap={state: other}, delete_updates=False)
    assert acc2(5) == 100
    assert (state.get_value(), other.get_value()) == (0, 105)
    assert acc(1) == 0 and state.get_value() == 1 and other.get_value() == 105


def test_function_item_access() -> None:
    x = T.dscalar("x")
    y = T.dscalar("y")
    f = theano.function([x, theano.In(y, value=1.0, name="yy")], x + y)
    assert f[y] == 1.0 and f["yy"] == 1.0 and f["y"] == 1.0
    f[y] = 5.0
    assert f(1) == 6.0
    f["yy"] = 7.0
    assert f(1) == 8.0 and f[y] == 7.0
    assert f.value[y] == 7.0
    f.value[y] = 2.0
    assert f(1) == 3.0
    assert f.container[y].value == 2.0
    f.container[y].value = 4.0
    assert f(1) == 5.0 and f.container["yy"].value == 4.0
    assert f[x] is None  # no default stored
    with pytest.raises(KeyError):
        f["nope"]


def test_missing_required_input_is_type_error() -> None:
    x, y = T.dscalars("x", "y")
    f = theano.function([x, y], x + y)
    with pytest.raises(TypeError, match="y"):
        f(1)
    with pytest.raises(TypeError):
        f(1, 2, 3)
    with pytest.raises(TypeError):
        f(1, z=2)


def test_join_runtime_shape_mismatch_is_value_error() -> None:
    a, b = T.dmatrices("a", "b")
    f = theano.function([a, b], T.join(0, a, b))
    assert f(np.ones((1, 2)), np.ones((3, 2))).shape == (4, 2)
    with pytest.raises(ValueError):
        f(np.ones((1, 2)), np.ones((1, 3)))
    g = theano.function([a, b], T.concatenate([a, b], axis=1))
    with pytest.raises(ValueError):
        g(np.ones((1, 2)), np.ones((2, 2)))


def test_stack_forms() -> None:
    a, b, c = T.dvectors("a", "b", "c")
    av, bv, cv = np.array([1.0, 2.0]), np.array([3.0, 4.0]), np.array([5.0, 6.0])
    env = {a: av, b: bv, c: cv}
    for axis in (0, 1, -1):
        np.testing.assert_array_equal(T.stack([a, b, c], axis=axis).eval(env), np.stack([av, bv, cv], axis=axis))
    np.testing.assert_array_equal(T.stack(a, b, c).eval(env), np.stack([av, bv, cv]))
    x0, x1, x2 = T.dscalars("x0", "x1", "x2")
    np.testing.assert_array_equal(T.stack(x0, x1, x2).eval({x0: 1.0, x1: 2.0, x2: 3.0}), [1.0, 2.0, 3.0])


# ---------------------------------------------------------------- 3. printing


def test_print_op(capsys: pytest.CaptureFixture[str]) -> None:
    x = T.dvector("x")
    printed = theano.printing.Print("this is a very important value")(x)
    f = theano.function([x], printed * 2)
    np.testing.assert_array_equal(f(np.array([1.0, 2.0, 3.0])), [2.0, 4.0, 6.0])
    assert capsys.readouterr().out == f"this is a very important value __str__ = {np.array([1.0, 2.0, 3.0])}\n"


def test_debugprint_returns_none_and_prints(capsys: pytest.CaptureFixture[str]) -> None:
    x, y = T.dscalars("x", "y")
    out = x + T.exp(y)
    assert theano.printing.debugprint(out) is None
    text = capsys.readouterr().out
    assert "Elemwise{add,no_inplace}" in text and "Elemwise{exp,no_inplace}" in text
    f = theano.function([x, y], out)
    assert theano.printing.debugprint(f) is None
    assert capsys.readouterr().out == text  # the same graph, printed the same way
    assert theano.printing.debugprint(out, depth=1) is None
    assert capsys.readouterr().out.count("\n") == 1


def test_pprint_and_pp_return_strings() -> None:
    x, y = T.dscalars("x", "y")
    out = x + T.exp(y)
    assert theano.printing.pprint(out) == "(x + exp(y))"
    assert theano.pp(out) == "(x + exp(y))"
    assert theano.printing.pp is theano.pp


# ---------------------------------------------------------------- 3. scan / random / gradients (later)


def test_scan_api() -> None:
    k = T.iscalar("k")
    A = T.dvector("A")
    result, updates = theano.scan(
        fn=lambda prior, A: prior * A, outputs_info=T.ones_like(A), non_sequences=A, n_steps=k)
    f = theano.function([A, k], result[-1], updates=updates)
    np.testing.assert_array_equal(f(np.arange(3.0), 3), np.arange(3.0) ** 3)


def test_random_streams_api() -> None:
    from refspec.tensor.shared_randomstreams import RandomStreams

    srng = RandomStreams(seed=234)
    u = srng.uniform((2, 2))
    f = theano.function([], u)
    assert f().shape == (2, 2)
    assert len(srng.state_updates) == 1


def test_grad_api() -> None:
    x = T.dscalar("x")
    assert T.grad(x**2, x).eval({x: 3.0}) == 6.0
