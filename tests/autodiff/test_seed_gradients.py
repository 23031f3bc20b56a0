"""The seed notes' gradient examples (../shared/seeds/*.txt) with their documented values.

Seeds 000/003 (German/Japanese notes): ``T.grad`` of ``(x+2y)**2`` and the ``d2``/``c`` gradient
descent. Seed 001 (Chinese tutorial summary): logistic regression. Seed 002 (Chinese translation of
Theano's gradients tutorial): ``x**2``, the logistic function, jacobian and hessian (by ``scan`` as
written, and by ``refspec.gradient``), Rop, Lop and Hessian-vector products. The code is the seeds',
with only the imports changed; where a seed's code has a slip that cannot run in any Theano, the fix is
named in a comment.
"""

from __future__ import annotations

import numpy
import pytest

import refspec as theano
import refspec.tensor as T
from refspec import pp
from refspec.gradient import hessian, jacobian


def test_seed000_grad_of_x_plus_2y_squared() -> None:
    x, y = T.dscalars("x", "y")
    z = (x + 2 * y) ** 2
    gx = T.grad(z, x)
    gy = T.grad(z, y)
    fgy = theano.function([x, y], gy)
    out = fgy(1, 2)
    assert isinstance(out, numpy.ndarray) and out.shape == () and out == 20.0  # >>> fgy(1,2)  array(20.0)
    assert theano.function([x, y], gx)(1, 2) == 10.0  # dz/dx = 2(x + 2y)


def test_seed000_gradient_descent_d2() -> None:
    x = T.dvector("x")  # input
    c = theano.shared(0.0)  # updated by d2; starts at 0
    y = T.sum((x - c) ** 2)  # the value to minimize
    gc = T.grad(y, c)  # partial derivative of y with respect to c
    d2 = theano.function([x], y, updates={c: c - 0.05 * gc})
    for want_y, want_c in [(55.0, 1.5), (21.25, 2.25), (12.8125, 2.625)]:
        out = d2([1, 2, 3, 4, 5])
        assert out.shape == () and out == want_y  # array(55.0), array(21.25), array(12.8125)
        assert c.get_value() == want_c  # 1.5, 2.25, 2.625


def test_seed002_grad_of_square() -> None:
    x = T.dscalar("x")
    y = x**2
    gy = T.grad(y, x)
    text = pp(gy)
    assert "x" in text and "2" in text  # the seed shows the unoptimized gradient graph
    f = theano.function([x], gy)
    assert f(4) == 8.0
    assert numpy.allclose(f(94.2), 188.4)


def test_seed002_grad_of_logistic() -> None:
    x = T.dmatrix("x")
    s = T.sum(1 / (1 + T.exp(-x)))
    gs = T.grad(s, x)
    dlogistic = theano.function([x], gs)
    data = numpy.array([[0, 1], [-1, -2]], dtype=numpy.float64)
    sig = 1 / (1 + numpy.exp(-data))
    out = dlogistic([[0, 1], [-1, -2]])
    numpy.testing.assert_allclose(out, sig * (1 - sig), rtol=1e-15, atol=0)
    numpy.testing.assert_allclose(out, [[0.25, 0.19661193], [0.19661193, 0.10499359]], atol=5e-9)


def test_seed002_grad_takes_a_list() -> None:
    x, y = T.dscalars("x", "y")
    gx, gy = T.grad(x * y**2, [x, y])  # a list in, a list out, in the same order
    assert theano.function([x, y], [gx, gy])(3.0, 2.0) == [4.0, 12.0]


def test_seed002_jacobian_by_scan() -> None:
    x = T.dvector("x")
    y = x**2
    J, updates = theano.scan(lambda i, y, x: T.grad(y[i], x), sequences=T.arange(y.shape[0]),
                             non_sequences=[y, x])
    f = theano.function([x], J, updates=updates)
    numpy.testing.assert_array_equal(f([4, 4]), [[8, 0], [0, 8]])


def test_seed002_hessian_by_scan() -> None:
    x = T.dvector("x")
    y = x**2
    cost = y.sum()
    gy = T.grad(cost, x)
    H, updates = theano.scan(lambda i, gy, x: T.grad(gy[i], x), sequences=T.arange(gy.shape[0]),
                             non_sequences=[gy, x])
    f = theano.function([x], H, updates=updates)
    numpy.testing.assert_array_equal(f([4, 4]), [[2, 0], [0, 2]])


@pytest.mark.parametrize("static", [True, False])
def test_seed002_jacobian_and_hessian_by_refspec_gradient(static: bool) -> None:
    x = T.dvector("x")
    xs = T.specify_shape(x, (2,)) if static else x
    f = theano.function([x], [jacobian(xs**2, x), hessian(T.sum(xs**2), x)])
    jac, hess = f([4, 4])
    numpy.testing.assert_array_equal(jac, [[8, 0], [0, 8]])
    numpy.testing.assert_array_equal(hess, [[2, 0], [0, 2]])


def test_seed002_rop() -> None:
    W = T.dmatrix("W")
    V = T.dmatrix("V")
    x = T.dvector("x")  # the seed writes T.dmatrix('x') but calls f with the vector [0, 1] (Theano's
    # tutorial has T.dvector)
    y = T.dot(x, W)
    JV = T.Rop(y, W, V)
    f = theano.function([W, V, x], JV)
    numpy.testing.assert_array_equal(f([[1, 1], [1, 1]], [[2, 2], [2, 2]], [0, 1]), [2, 2])


def test_seed002_lop() -> None:
    W = T.dmatrix("W")
    v = T.dvector("v")  # the seed writes T.dmatrix('v') but calls f with [2, 2] (Theano: T.dvector)
    x = T.dvector("x")
    y = T.dot(x, W)
    VJ = T.Lop(y, W, v)
    f = theano.function([v, x], VJ)
    numpy.testing.assert_array_equal(f([2, 2], [0, 1]), [[0, 0], [2, 2]])


def test_seed002_hessian_times_vector_by_lop() -> None:
    x = T.dvector("x")
    v = T.dvector("v")
    y = T.sum(x**2)
    gy = T.grad(y, x)
    vH = T.grad(T.sum(gy * v), x)
    f = theano.function([x, v], vH)  # the seed passes [x, y]: y is not an input (Theano: [x, v])
    numpy.testing.assert_array_equal(f([4, 4], [2, 2]), [4, 4])


def test_seed002_hessian_times_vector_by_rop() -> None:
    x = T.dvector("x")
    v = T.dvector("v")
    y = T.sum(x**2)
    gy = T.grad(y, x)
    Hv = T.Rop(gy, x, v)
    f = theano.function([x, v], Hv)
    numpy.testing.assert_array_equal(f([4, 4], [2, 2]), [4, 4])


def _logistic_regression(w_scale: float, steps: int, mode: str = "REFERENCE") -> tuple[float, numpy.ndarray, list[float]]:
    """Seed 001's program as written (data, model, cost, T.grad, updates), with a seeded generator;
    ``w_scale`` scales the initial weights (the seed's are randn(784), scale 1)."""
    rng = numpy.random.RandomState(0)  # the seed uses numpy.random's global generator
    N = 400  # training sample size
    feats = 784  # number of input variables
    D = (rng.randn(N, feats), rng.randint(size=N, low=0, high=2))
    x = T.dmatrix("x")
    y = T.dvector("y")
    w = theano.shared(rng.randn(feats) * w_scale, name="w")
    b = theano.shared(0.0, name="b")
    p_1 = 1 / (1 + T.exp(-T.dot(x, w) - b))  # probability that target = 1
    prediction = p_1 > 0.5  # the prediction thresholded
    xent = -y * T.log(p_1) - (1 - y) * T.log(1 - p_1)  # cross-entropy loss function
    cost = xent.mean() + 0.01 * (w**2).sum()  # the cost to minimize
    gw, gb = T.grad(cost, [w, b])  # the gradient of the cost w.r.t. w and b
    train = theano.function(inputs=[x, y], outputs=[prediction, xent],
                            updates=((w, w - 0.1 * gw), (b, b - 0.1 * gb)), mode=mode)
    predict = theano.function(inputs=[x], outputs=prediction, mode=mode)
    costs = []
    cost_f = theano.function([x, y], cost, mode=mode)
    for _ in range(steps):
        costs.append(float(cost_f(D[0], D[1])))
        train(D[0], D[1])
    accuracy = float(numpy.mean(predict(D[0]) == D[1]))
    return accuracy, w.get_value(), costs


def test_seed001_logistic_regression_trains() -> None:
    # the seed's cost exactly, differentiated by T.grad; initial weights 0.01 * randn so that no
    # probability rounds to exactly 0 or 1 (see the next test); 100 steps instead of 10000
    accuracy, w, costs = _logistic_regression(0.01, 100)
    assert accuracy > 0.95
    assert numpy.all(numpy.isfinite(w))
    assert all(later < earlier for earlier, later in zip(costs, costs[1:]))  # the cost falls every step


def test_seed001_logistic_regression_with_the_seeds_initial_weights_is_nan_on_the_reference() -> None:
    # with w = randn(784), |x . w| is often > 37, so p_1 = 1 / (1 + exp(-x . w)) rounds to exactly 1.0
    # (or 0.0) and the seed's cost is inf - inf or 0 * log(0) there: the reference is IEEE exact and
    # gives nan, and so does the gradient. Theano trained it because its optimizer rewrote the cost
    # into softplus form; refspec allows that only as a declared refinement of a fast path
    # (spec/numerics.md), never on the reference.
    _, w, costs = _logistic_regression(1.0, 1)
    assert numpy.isnan(costs[0])
    assert numpy.all(numpy.isnan(w))


def test_seed001_logistic_regression_as_written_trains_on_the_fast_path() -> None:
    # the seed's whole program, its randn(784) initial weights included, on FAST_RUN (the default
    # mode): the declared refinements (spec/numerics.md) compute the cost and its gradient stably,
    # as Theano's optimizer did, so it trains where the exact reference gives nan
    accuracy, w, costs = _logistic_regression(1.0, 400, mode="FAST_RUN")  # the seed runs 10000
    assert accuracy > 0.95
    assert numpy.all(numpy.isfinite(w))
    assert numpy.all(numpy.isfinite(costs)) and costs[-1] < costs[0]
