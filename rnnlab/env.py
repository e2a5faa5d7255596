"""Reading the operator's settings from the environment (imports only :mod:`rnnlab.errors`: anything may import it)."""

from __future__ import annotations

from typing import Mapping

from rnnlab.errors import SettingError


def env_int(environ: Mapping[str, str], var: str, *, low: int = 1) -> int | None:
    """The whole number in environment variable ``var``; None when it is unset or blank.

    A value that is not a whole number of at least ``low`` raises :class:`~rnnlab.errors.SettingError` naming the
    variable, the value and what is allowed (the operator reads it in the server's log or the CLI's error).
    """
    raw = (environ.get(var) or "").strip()
    if not raw:
        return None
    try:
        value = int(raw)
    except ValueError:
        value = None
    if value is None or value < low:
        raise SettingError(f"{var}={raw!r} must be a whole number of at least {low}")
    return value
