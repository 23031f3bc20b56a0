"""The seed notes' examples (tests/test_seeds.py) with mode "GPU" as the default mode, on the fake
CuPy here and on a real GPU where there is one: every example must give the same results."""

from __future__ import annotations

import inspect
from collections.abc import Callable


import tests.test_seeds as seeds
from refspec.config import config

from .backends import backend  # noqa: F401  (a fixture)

EXAMPLES: dict[str, Callable[[], None]] = {
    name: fn for name, fn in inspect.getmembers(seeds, inspect.isfunction)
    if name.startswith("test_") and not inspect.signature(fn).parameters
}


def test_there_are_seed_examples() -> None:
    assert len(EXAMPLES) >= 40


def test_seed_examples_in_gpu_mode(backend: str) -> None:
    before = config.mode
    config.mode = "GPU"
    failed: list[str] = []
    try:
        for name, example in sorted(EXAMPLES.items()):
            try:
                example()
            except Exception as exc:  # noqa: BLE001 - collect every failing example
                failed.append(f"{name}: {type(exc).__name__}: {exc}")
    finally:
        config.mode = before
    assert not failed, "\n".join(failed)
