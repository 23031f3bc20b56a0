"""Hypothesis budgets. CI runs a seeded, fixed budget; a deeper campaign multiplies it and draws fresh
examples:

    REFSPEC_HYPOTHESIS=deep pytest tests/interp tests/autodiff tests/scan tests/random

(``REFSPEC_HYPOTHESIS_SCALE`` sets the multiplier of the deep profile, 20 by default.)
"""

from __future__ import annotations

import os

from hypothesis import settings

DEEP = os.environ.get("REFSPEC_HYPOTHESIS", "ci") == "deep"
SCALE = int(os.environ.get("REFSPEC_HYPOTHESIS_SCALE", "20"))


def budget(max_examples: int) -> settings:
    """Settings for a property test: ``max_examples`` seeded examples in CI, SCALE times as many fresh
    ones in the deep profile."""
    if DEEP:
        return settings(derandomize=False, max_examples=max_examples * SCALE, deadline=None, database=None)
    return settings(derandomize=True, max_examples=max_examples, deadline=None, database=None)
