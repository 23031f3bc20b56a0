"""Execution modes: FAST_RUN (the default: rewritten, generated code), REFERENCE (alias FAST_COMPILE:
the interpreter, no rewrites); DIFFCHECK (alias DebugMode: every call runs FAST_RUN and the reference and
raises ``refspec.diffcheck.DiffCheckError`` where they disagree, see refspec/diffcheck/mode.py)."""

from __future__ import annotations

MODES = {
    "FAST_RUN": "FAST_RUN",
    "REFERENCE": "REFERENCE",
    "FAST_COMPILE": "REFERENCE",
    "DIFFCHECK": "DIFFCHECK",
    "DebugMode": "DIFFCHECK",
    "DEBUG_MODE": "DIFFCHECK",
    "GPU": "GPU",  # CuPy on a CUDA device (refspec/fast/gpu); GpuUnavailableError without one
}


class Mode:
    """Theano's ``Mode(linker=, optimizer=)``; the linker and optimizer names are accepted for
    compatibility and do not change semantics."""

    def __init__(self, linker: object = None, optimizer: object = None, name: str = "FAST_RUN"):
        self.linker = linker
        self.optimizer = optimizer
        self.name = resolve_mode(name)

    def __repr__(self) -> str:
        return f"Mode(linker={self.linker!r}, optimizer={self.optimizer!r}, name={self.name!r})"


def resolve_mode(mode: object) -> str:
    """The canonical mode name for a mode argument (None, a name, or a ``Mode``)."""
    if mode is None:
        from refspec.config import config

        return MODES[config.mode]
    if isinstance(mode, Mode):
        return mode.name
    if isinstance(mode, str) and mode in MODES:
        return MODES[mode]
    raise ValueError(f"unknown mode {mode!r}; use one of {sorted(MODES)} or refspec.Mode(...)")
