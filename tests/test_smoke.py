import numpy as np

import refspec as theano
import refspec.tensor as T


def test_add_two_scalars() -> None:
    x, y = T.dscalars("x", "y")
    f = theano.function([x, y], x + y)
    out = f(2, 3)
    assert isinstance(out, np.ndarray) and out.shape == () and out == 5.0
