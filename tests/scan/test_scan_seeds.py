"""The seed notes' scan examples (../shared/seeds/002_*.txt, 004_*.txt), written as in the notes with
only the imports changed."""

from __future__ import annotations

import numpy
import pytest

import refspec as theano
import refspec.tensor as T


def test_seed002_jacobian() -> None:
    x = T.dvector('x')
    y = x ** 2
    J, updates = theano.scan(lambda i, y, x: T.grad(y[i], x), sequences=T.arange(y.shape[0]), non_sequences=[y, x])
    f = theano.function([x], J, updates=updates)
    result = f([4, 4])
    numpy.testing.assert_array_equal(result, [[8, 0], [0, 8]])
    assert result.dtype == numpy.float64


def test_seed002_hessian() -> None:
    x = T.dvector('x')
    y = x ** 2
    cost = y.sum()
    gy = T.grad(cost, x)
    H, updates = theano.scan(lambda i, gy, x: T.grad(gy[i], x), sequences=T.arange(gy.shape[0]),
                             non_sequences=[gy, x])
    f = theano.function([x], H, updates=updates)
    numpy.testing.assert_array_equal(f([4, 4]), [[2, 0], [0, 2]])


def test_seed002_jacobian_pitfall() -> None:
    """The notes' warning: y_i is not a function of x, only y[i] is, so this cannot be rewritten."""
    x = T.dvector('x')
    y = x ** 2
    with pytest.raises(theano.gradient.DisconnectedInputError):
        theano.scan(lambda y_i, x: T.grad(y_i, x), sequences=y, non_sequences=x)


def test_seed002_jacobian_matches_gradient_jacobian() -> None:
    x = T.dvector('x')
    y = T.sin(x) * x.sum()
    J, updates = theano.scan(lambda i, y, x: T.grad(y[i], x), sequences=T.arange(y.shape[0]), non_sequences=[y, x])
    f = theano.function([x], [J, theano.gradient.jacobian(y, x)], updates=updates)
    by_scan, by_jacobian = f([0.5, -1.0, 2.0])
    numpy.testing.assert_allclose(by_scan, by_jacobian, rtol=1e-12)


def test_seed004_power() -> None:
    k = T.iscalar("k")
    A = T.dvector("A")
    result, updates = theano.scan(fn=lambda prior_result, A: prior_result * A, outputs_info=T.ones_like(A),
                                  non_sequences=A, n_steps=k)
    final_result = result[-1]
    power = theano.function(inputs=[A, k], outputs=final_result, updates=updates)
    numpy.testing.assert_array_equal(power(numpy.arange(10), 2), numpy.arange(10) ** 2)


def test_seed004_cheat_sheet() -> None:
    """Seed 004's template: fn(sequence args, outputs_info args, non_sequences args) returns
    (outputs, shared-variable updates, theano.scan_module.until(cond)); two sequences, an output with
    taps, non_sequences, n_steps, strict=True; the function gets scan's updates."""
    count = theano.shared(0, name='count')
    seq1 = T.dvector('seq1')
    seq2 = T.dvector('seq2')
    X = T.dvector('X')
    scale = theano.shared(2.0, name='scale')
    limit = T.dscalar('limit')

    def fn(a, b, x_tm2, x_tm1, scale, limit):
        new = x_tm2 + x_tm1 * scale + a * b
        return [new], {count: count + 1}, theano.scan_module.until(new > limit)

    results, updates = theano.scan(
        fn=fn,
        sequences=[seq1, seq2],
        outputs_info=[dict(initial=X, taps=[-2, -1])],
        non_sequences=[scale, limit],
        n_steps=4,
        strict=True)
    run = theano.function(inputs=[seq1, seq2, X, limit], outputs=results, updates=updates)

    def loop(s1, s2, x0, lim):
        hist, out = list(x0), []
        for t in range(4):
            new = hist[-2] + hist[-1] * 2.0 + s1[t] * s2[t]
            hist.append(new)
            out.append(new)
            if new > lim:
                break
        return out

    s1, s2, x0 = [1.0, 2.0, 3.0, 4.0, 5.0], [0.5, 0.5, 0.5, 0.5], [0.0, 1.0]
    numpy.testing.assert_allclose(run(s1, s2, x0, 1000.0), loop(s1, s2, x0, 1000.0))
    assert count.get_value() == 4
    numpy.testing.assert_allclose(run(s1, s2, x0, 5.0), loop(s1, s2, x0, 5.0))
    assert len(loop(s1, s2, x0, 5.0)) == 2 and count.get_value() == 6
