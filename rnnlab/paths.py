"""Where rnnlab keeps its files: the run store's home folder (``RNNLAB_HOME``)."""

from __future__ import annotations

import os
from pathlib import Path


def default_home() -> Path:
    """``RNNLAB_HOME`` if set, else ``~/.rnnlab``."""
    raw = os.environ.get("RNNLAB_HOME", "").strip()
    return Path(raw).expanduser() if raw else Path.home() / ".rnnlab"
