"""diffcheck: checks that refspec's transformations and fast paths agree with the reference.

``check(f)`` runs a user's function (or outputs of inputs) on drawn inputs on every path and on the
reference, checks gradients, and reports; mode ``"DIFFCHECK"`` checks every call of a function and
raises ``DiffCheckError``; ``run_paths`` / ``bisect`` / ``make_repro`` are the pieces, and
``verify_grad`` the finite-difference gradient check.
"""

from refspec.diffcheck.bisect import FirstDifference as FirstDifference
from refspec.diffcheck.bisect import bisect as bisect
from refspec.diffcheck.check import CheckReport as CheckReport
from refspec.diffcheck.check import check as check
from refspec.diffcheck.compare import Difference as Difference
from refspec.diffcheck.compare import compare_arrays as compare_arrays
from refspec.diffcheck.gradcheck import GradientError as GradientError
from refspec.diffcheck.gradcheck import verify_grad as verify_grad
from refspec.diffcheck.mode import DiffCheckError as DiffCheckError
from refspec.diffcheck.paths import Comparison as Comparison
from refspec.diffcheck.paths import Mismatch as Mismatch
from refspec.diffcheck.paths import Outcome as Outcome
from refspec.diffcheck.paths import Refinement as Refinement
from refspec.diffcheck.paths import run_path as run_path
from refspec.diffcheck.paths import run_paths as run_paths
from refspec.diffcheck.repro import Repro as Repro
from refspec.diffcheck.repro import make_repro as make_repro

__all__ = [
    "CheckReport", "Comparison", "DiffCheckError", "Difference", "FirstDifference", "GradientError", "Mismatch",
    "Outcome", "Refinement", "Repro", "bisect", "check", "compare_arrays", "make_repro", "run_path", "run_paths",
    "verify_grad",
]
