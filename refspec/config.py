"""Theano's ``config`` object. Only graph *construction* reads it (the dtype of ``T.scalar()`` and of
Python floats with no typed operand); the meaning of a built graph never depends on it."""

from __future__ import annotations

from refspec.ast import FLOAT_DTYPES


class Config:
    def __init__(self) -> None:
        self._floatX = "float64"

    @property
    def floatX(self) -> str:
        return self._floatX

    @floatX.setter
    def floatX(self, value: str) -> None:
        if value not in FLOAT_DTYPES:
            raise ValueError(f"floatX must be one of {FLOAT_DTYPES}, got {value!r}")
        self._floatX = value

    def __repr__(self) -> str:
        return f"Config(floatX={self._floatX!r})"


config = Config()
