"""The reference interpreter: the definition of what every graph computes."""

from refspec.interp.evaluate import evaluate as evaluate
from refspec.interp.reference import REFERENCE as REFERENCE

__all__ = ["REFERENCE", "evaluate"]
