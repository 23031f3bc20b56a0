"""diffcheck: checks that refspec's transformations and fast paths agree with the reference."""

from refspec.diffcheck.gradcheck import GradientError as GradientError
from refspec.diffcheck.gradcheck import verify_grad as verify_grad

__all__ = ["GradientError", "verify_grad"]
