"""Tests of the checking layer of refspec.diffcheck: comparisons, paths, bisection, repros, ``check``
and mode DIFFCHECK. Bugs are planted in the fast path (``plants``) to show each one is found."""
