"""refspec: symbolic tensor programs whose meaning is defined by a small reference interpreter.

``import refspec as theano; import refspec.tensor as T`` runs Theano code. This module only
re-exports.
"""

from refspec import tensor as tensor  # first: the other modules build on the tensor layer
from refspec import gradient as gradient
from refspec import ifelse as ifelse  # the module, as in Theano: refspec.ifelse.ifelse(...)
from refspec import printing as printing
from refspec import scan_module as scan_module
from refspec.compile import In as In
from refspec.compile import Mode as Mode
from refspec.compile import Out as Out
from refspec.compile import function as function
from refspec.compile.function import Function as Function
from refspec.config import config as config
from refspec.errors import MissingInputError as MissingInputError
from refspec.errors import UnusedInputError as UnusedInputError
from refspec.printing import pp as pp
from refspec.tensor import dot as dot
from refspec.tensor import grad as grad
from refspec.tensor import shared as shared
from refspec.tensor.scan import foldl as foldl
from refspec.tensor.scan import foldr as foldr
from refspec.tensor.scan import map as map  # noqa: A004
from refspec.tensor.scan import reduce as reduce  # noqa: A004
from refspec.tensor.scan import scan as scan

__version__ = "0.1.0"

# map and reduce stay out of __all__ so that `from refspec import *` does not hide Python's builtins
__all__ = [
    "Function", "In", "MissingInputError", "Mode", "Out", "UnusedInputError", "config", "dot", "foldl",
    "foldr", "function", "grad", "gradient", "ifelse", "pp", "printing", "scan", "scan_module", "shared",
    "tensor",
]
