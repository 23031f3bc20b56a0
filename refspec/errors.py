"""Exception classes Theano code catches by name."""

from __future__ import annotations


class MissingInputError(ValueError):
    """A graph needs a variable that is neither an input, a constant, a shared variable nor a given."""


class UnusedInputError(ValueError):
    """A function input that no output or update depends on (see ``on_unused_input``)."""


class UpdateError(TypeError):
    """An update of something that is not a shared variable, a repeated update, or one whose type
    differs from its shared variable's."""


class GivensError(TypeError):
    """A given that replaces an input, differs in type from what it replaces, or is chained."""
