"""refspec: symbolic tensor programs whose meaning is defined by a small reference interpreter.

``import refspec as theano; import refspec.tensor as T`` runs Theano code. This module only
re-exports.
"""

from refspec import printing as printing
from refspec import tensor as tensor
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
from refspec.tensor import shared as shared
from refspec.tensor.conditional import ifelse as ifelse

__version__ = "0.1.0"

__all__ = [
    "Function", "In", "MissingInputError", "Mode", "Out", "UnusedInputError", "config", "dot",
    "function", "ifelse", "pp", "printing", "shared", "tensor",
]
