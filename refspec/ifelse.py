"""Theano's ``theano.ifelse`` module."""

from refspec.tensor.conditional import ifelse as ifelse

__all__ = ["ifelse"]
