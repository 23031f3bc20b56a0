"""Theano's ``theano.tensor.shared_randomstreams``: ``RandomStreams`` (spec/random.md).

The implementation is ``refspec.tensor.raw_random.RandomStreamsBase``; this module names the class.
"""

from __future__ import annotations

from refspec.tensor.raw_random import PhiloxState as PhiloxState
from refspec.tensor.raw_random import RandomStateSharedVariable as RandomStateSharedVariable
from refspec.tensor.raw_random import RandomStreamsBase


class RandomStreams(RandomStreamsBase):
    """``RandomStreams(seed)``: random variables ``uniform(size, low, high)``, ``normal(size, avg, std)``,
    ``binomial(size, n, p)``, ``random_integers``, ``integers``, ``poisson``, ``choice``, ``permutation``,
    ``multinomial``; ``seed(s)``, ``state_updates``, ``gen(op, *args)``. Each variable ``rv`` owns a
    shared state ``rv.rng`` that every function using ``rv`` advances once per call."""


__all__ = ["PhiloxState", "RandomStateSharedVariable", "RandomStreams"]
