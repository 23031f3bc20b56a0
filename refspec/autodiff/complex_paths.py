"""Complex autodiff is not defined (spec/autodiff.md, "Complex values"): a derivative that would pass
through a complex value makes the gradient undefined, in both modes, whichever op the complex value
meets (abs, a cast, arithmetic with a complex constant, real/imag/conj, a loop).

An integer-valued node is the exception: its derivative is exactly zero whatever its inputs, so a
comparison of complex values passes ZERO on, as it does for real ones.
"""

from __future__ import annotations

from collections.abc import Sequence

from refspec.ast import Apply, Variable
from refspec.dtypes import is_complex, is_float


def integer_valued(node: Apply) -> bool:
    """No output is float or complex: the node's derivative is zero (spec/autodiff.md, "Integers")."""
    return not any(is_float(o.dtype) or is_complex(o.dtype) for o in node.outputs)


def through_complex(node: Apply, inputs: Sequence[Variable], outputs: Sequence[Variable]) -> str | None:
    """Why differentiating ``node`` between ``inputs`` and ``outputs`` (those on the path) is undefined,
    or None: one of them is complex and the node is not integer-valued."""
    if integer_valued(node):
        return None
    for kind, vs in (("output", outputs), ("input", inputs)):
        for v in vs:
            if is_complex(v.dtype):
                return f"{node.op.value}: complex autodiff is not defined (a {v.dtype} {kind})"
    return None
