"""Theano's ``theano.compile``: ``function``, ``In``, ``Out``, ``Mode`` (re-exports only)."""

from refspec.compile import io as io
from refspec.compile.function import Function as Function
from refspec.compile.function import function as function
from refspec.compile.io import In as In
from refspec.compile.io import Out as Out
from refspec.compile.mode import Mode as Mode

__all__ = ["Function", "In", "Mode", "Out", "function", "io"]
