"""Operator limits: what a shared instance accepts, read from ``RNNLAB_MAX_*`` environment variables.

Each limit is declared once, in :class:`Limits`: its default, its environment variable, the smallest value
an operator may set, and what it caps. The field table (:mod:`rnnlab.config.fields`) names the limit that
caps a field; the README's configuration table is checked against this class by the tests.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import os
from dataclasses import dataclass
from typing import Any, Iterator, Mapping

from rnnlab.env import env_int


def _limit(default: int, env: str, minimum: int, meaning: str) -> Any:
    return dataclasses.field(default=default, metadata={"env": env, "minimum": minimum, "meaning": meaning})


@dataclass(frozen=True)
class Limits:
    """Upper bounds applied to every experiment a person asks for."""

    max_series: int = _limit(20_000, "RNNLAB_MAX_SERIES", 100,
                             "most series an experiment may generate (or windows one training takes from a real "
                             "series)")
    max_steps: int = _limit(500, "RNNLAB_MAX_STEPS", 5, "longest input (`n_steps`)")
    max_horizon: int = _limit(50, "RNNLAB_MAX_HORIZON", 1, "most steps ahead")
    max_epochs: int = _limit(200, "RNNLAB_MAX_EPOCHS", 1, "most epochs")
    max_units: int = _limit(256, "RNNLAB_MAX_UNITS", 1, "most units (or filters) per layer")
    max_layers: int = _limit(6, "RNNLAB_MAX_LAYERS", 1, "most stacked layers")
    #: At least 10,000, so that every model fits at the book's size (WaveNet has 6,010 parameters).
    max_params: int = _limit(2_000_000, "RNNLAB_MAX_PARAMS", 10_000, "most trainable parameters in one model")
    max_upload_mb: int = _limit(5, "RNNLAB_MAX_UPLOAD_MB", 1, "largest CSV file accepted, in MB (in the browser "
                                "and on the command line)")
    max_rows: int = _limit(100_000, "RNNLAB_MAX_ROWS", 100, "most rows of a CSV file")
    max_columns: int = _limit(50, "RNNLAB_MAX_COLUMNS", 1, "most columns of a CSV file")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "Limits":
        """Build the limits from ``environ`` (default ``os.environ``); a bad value raises ValueError."""
        environ = os.environ if environ is None else environ
        values = {}
        for spec in dataclasses.fields(cls):
            value = env_int(environ, spec.metadata["env"], low=spec.metadata["minimum"])
            if value is not None:
                values[spec.name] = value
        return cls(**values)

    @classmethod
    def declarations(cls) -> list[dict[str, Any]]:
        """Every limit: ``name``, ``env``, ``default``, ``minimum`` and ``meaning`` (documentation, tests)."""
        return [{"name": f.name, "default": f.default, **f.metadata} for f in dataclasses.fields(cls)]

    @classmethod
    def minimal(cls) -> "Limits":
        """Every limit at the smallest value an operator may set."""
        return cls(**{f.name: f.metadata["minimum"] for f in dataclasses.fields(cls)})

    @classmethod
    def unbounded(cls) -> "Limits":
        """No operator limit at all: for reading stored runs and the lessons' pre-trained book runs."""
        return cls(**{f.name: 2**31 - 1 for f in dataclasses.fields(cls)})


_OVERRIDE: contextvars.ContextVar[Limits | None] = contextvars.ContextVar("rnnlab_limits", default=None)


def limits() -> Limits:
    """The limits in force: those of :func:`using_limits` if active, else the environment's (re-read on every
    call; it is cheap)."""
    return _OVERRIDE.get() or Limits.from_env()


@contextlib.contextmanager
def using_limits(value: Limits) -> Iterator[Limits]:
    """Check every experiment built inside the block against ``value`` instead of the environment's limits."""
    token = _OVERRIDE.set(value)
    try:
        yield value
    finally:
        _OVERRIDE.reset(token)
