"""Theano's ``config`` object. Only graph *construction* and ``function`` read it (the dtype of
``T.scalar()`` and of Python floats with no typed operand; the default mode); the meaning of a built
graph never depends on it."""

from __future__ import annotations

from refspec.ast import FLOAT_DTYPES


class Config:
    def __init__(self) -> None:
        self._floatX = "float64"
        self._mode = "FAST_RUN"

    @property
    def mode(self) -> str:
        """The mode ``function`` uses when given none (Theano's ``config.mode``)."""
        return self._mode

    @mode.setter
    def mode(self, value: str) -> None:
        from refspec.compile.mode import resolve_mode  # validates the name

        resolve_mode(value)
        self._mode = value

    @property
    def floatX(self) -> str:
        return self._floatX

    @floatX.setter
    def floatX(self, value: str) -> None:
        if value not in FLOAT_DTYPES:
            raise ValueError(f"floatX must be one of {FLOAT_DTYPES}, got {value!r}")
        self._floatX = value

    def __repr__(self) -> str:
        return f"Config(floatX={self._floatX!r}, mode={self._mode!r})"


config = Config()
