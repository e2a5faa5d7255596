"""The errors a user or an operator can fix, each a ``ValueError`` whose message says what is wrong and what is
allowed: a setting of an experiment (:class:`FieldError`), a series (:class:`SeriesError`), a setting in the
environment (:class:`SettingError`). Anything else that goes wrong is a bug and shows its traceback.

A leaf module (it imports nothing from rnnlab), so the model registry and the experiment specs can both raise
these without importing each other.
"""

from __future__ import annotations


class FieldError(ValueError):
    """A setting that cannot be used. ``field`` is its flat name (``epochs``, ``units``, ...), or None when the
    problem is the combination of several settings; the message says what is wrong and what is allowed."""

    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(message)
        self.field = field


class SeriesError(ValueError):
    """A series (an uploaded file, a CSV on the command line) that cannot be used. The message names the problem
    and where it is (the line or column of the file) and what is allowed."""


class SettingError(ValueError):
    """An operator setting in the environment (``RNNLAB_WORKERS``, ``RNNLAB_BACKEND``, ...) that cannot be used. The
    message names the variable, its value and what is allowed."""
