"""Theano's ``theano.sandbox``: ``rng_mrg`` (``MRG_RandomStreams``)."""

from refspec.sandbox import rng_mrg as rng_mrg

__all__ = ["rng_mrg"]
