"""``In`` and ``Out``: how a function treats one input or output (Theano's ``compile.io``)."""

from __future__ import annotations

from refspec.ast import Variable

_NO_VALUE = object()


class In:
    """A function input with options: a default ``value``, a keyword ``name``, an ``update``
    expression that replaces the stored default after each call (implicit state), ``borrow``."""

    def __init__(
        self,
        variable: Variable,
        name: str | None = None,
        value: object = None,
        update: object = None,
        mutable: bool = False,
        strict: bool = False,
        allow_downcast: bool | None = None,
        autoname: bool = True,
        implicit: bool | None = None,
        borrow: bool = False,
        shared: bool = False,
    ):
        if not isinstance(variable, Variable):
            raise TypeError(f"In() takes a symbolic variable, got {variable!r}")
        self.variable = variable
        self.name = name if name is not None else (variable.name if autoname else None)
        self.value = value
        self.update = update
        self.mutable = mutable
        self.strict = strict
        self.allow_downcast = allow_downcast
        self.implicit = bool(implicit)
        self.borrow = borrow
        self.shared = shared

    def __repr__(self) -> str:
        return f"In({self.variable}, name={self.name!r}, value={self.value!r})"


class Out:
    """A function output; ``borrow=True`` lets the returned array alias refspec's storage."""

    def __init__(self, variable: Variable, borrow: bool = False):
        if not isinstance(variable, Variable):
            raise TypeError(f"Out() takes a symbolic variable, got {variable!r}")
        self.variable = variable
        self.borrow = borrow

    def __repr__(self) -> str:
        return f"Out({self.variable}, borrow={self.borrow})"
