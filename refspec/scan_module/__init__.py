"""Theano's ``theano.scan_module`` (re-exports only)."""

from refspec.tensor.scan import OrderedUpdates as OrderedUpdates
from refspec.tensor.scan import foldl as foldl
from refspec.tensor.scan import foldr as foldr
from refspec.tensor.scan import map as map  # noqa: A004
from refspec.tensor.scan import reduce as reduce  # noqa: A004
from refspec.tensor.scan import scan as scan
from refspec.tensor.scan import until as until

__all__ = ["OrderedUpdates", "foldl", "foldr", "map", "reduce", "scan", "until"]
