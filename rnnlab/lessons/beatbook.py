"""The beat-the-book results the lessons' last step shows: read from the file that
:mod:`rnnlab.reports.beat_the_book` writes (``python -m rnnlab beat-the-book``), shipped with rnnlab."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rnnlab.config import parse_flat

#: The latest full run's winners, for the lessons' last step (written by the command, shipped with rnnlab).
RESULTS_FILE = Path(__file__).with_name("beatbook_results.json")


def load_results(path: Path | None = None) -> dict[str, Any] | None:
    """The shipped winners (None when the command has not been run for this checkout)."""
    try:
        return json.loads((path or RESULTS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def short_labels(finalists: list[dict[str, Any]]) -> list[str]:
    """Short names for a task's finalists (as in :func:`load_results`): the model and the settings in which
    they differ, e.g. ``gru units 64`` and ``gru units 32`` (a setting left at its default shows its value; one
    that only some of them have is left out)."""
    flats = [parse_flat(f["experiment"]).experiment.to_flat() for f in finalists]
    keys = [k for k in flats[0] if k not in ("model", "mode") and all(k in f for f in flats)
            and len({str(f[k]) for f in flats}) > 1]
    def setting(key: str, value: Any) -> str:
        name = {"learning_rate": "lr"}.get(key, key)  # the one long name a sweep here varies
        return f"{name} {value:g}" if isinstance(value, float) else f"{name} {value}"

    return [" ".join([f["model"], *(setting(k, f[k]) for k in keys)]) for f in flats]
