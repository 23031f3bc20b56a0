"""Automatic differentiation, graph to graph: VJP/JVP rule tables, grad, Lop, Rop, jacobian, hessian."""

from refspec.autodiff.derived import hessian as hessian
from refspec.autodiff.derived import hessian_vector_product as hessian_vector_product
from refspec.autodiff.derived import jacobian as jacobian
from refspec.autodiff.forward import Rop as Rop
from refspec.autodiff.reverse import Lop as Lop
from refspec.autodiff.reverse import grad as grad

__all__ = ["Lop", "Rop", "grad", "hessian", "hessian_vector_product", "jacobian"]
