"""Test-session setup. ``REFSPEC_MODE`` picks the default mode every test and spec example runs in
(FAST_RUN unless set); CI runs the suite once per mode, so both paths pass the same tests."""

from __future__ import annotations

import os

from refspec.config import config

config.mode = os.environ.get("REFSPEC_MODE", "FAST_RUN")
