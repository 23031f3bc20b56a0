"""A pytest plugin that makes the fake CuPy (tests/gpu/fakecupy.py) what mode "GPU" runs on, so any
test module can be run through the GPU path's Python on a machine without a GPU:

    REFSPEC_MODE=GPU pytest -p tests.gpu.fake_plugin tests/test_seeds.py tests/scan
"""

from __future__ import annotations

import pytest

from refspec.fast.gpu import device


def pytest_configure(config: pytest.Config) -> None:
    from . import fakecupy, hostcc

    if hostcc.available():
        device._cached = fakecupy.make_module()  # type: ignore[assignment]
