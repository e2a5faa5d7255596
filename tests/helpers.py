"""Helpers shared by the tests (imported by name; conftest.py files are for fixtures only)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from rnnlab.config import Experiment  # noqa: E402


def tiny(model: str = "linear", mode: str | None = None, horizon: int | None = None, **changes) -> Experiment:
    """The book's experiment for ``model``, shrunk to 200 short series and one epoch."""
    exp = Experiment.book(model, mode, horizon)
    base = {"n_series": 200, "n_steps": 20, "epochs": 1, "batch_size": 32}
    base.update(changes)
    return exp.replace(**base)
