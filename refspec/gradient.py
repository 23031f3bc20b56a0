"""Theano's ``theano.gradient`` module (re-exports only)."""

from refspec.autodiff import Lop as Lop
from refspec.autodiff import Rop as Rop
from refspec.autodiff import grad as grad
from refspec.autodiff import hessian as hessian
from refspec.autodiff import hessian_vector_product as hessian_vector_product
from refspec.autodiff import jacobian as jacobian
from refspec.autodiff.reverse import DisconnectedInputError as DisconnectedInputError
from refspec.autodiff.reverse import DisconnectedType as DisconnectedType
from refspec.autodiff.reverse import NullTypeGradError as NullTypeGradError
from refspec.diffcheck.gradcheck import GradientError as GradientError
from refspec.diffcheck.gradcheck import verify_grad as verify_grad

__all__ = [
    "DisconnectedInputError", "DisconnectedType", "GradientError", "Lop", "NullTypeGradError", "Rop",
    "grad", "hessian", "hessian_vector_product", "jacobian", "verify_grad",
]
