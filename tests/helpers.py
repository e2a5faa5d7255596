"""Helpers shared by the tests (imported by name; conftest.py files are for fixtures only)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import time  # noqa: E402

from benchmarks.load import CHROMIUM, CHROMIUM_ARGS, IDLE, free_port, wait_healthy  # noqa: E402,F401
from rnnlab.config import Experiment  # noqa: E402


def wait_for(predicate, timeout: float, interval: float = 0.05) -> bool:
    """Poll ``predicate`` until it is true (True) or ``timeout`` seconds pass (False)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return bool(predicate())


def tiny(model: str = "linear", mode: str | None = None, horizon: int | None = None, **changes) -> Experiment:
    """The book's experiment for ``model``, shrunk to 200 short series and one epoch."""
    exp = Experiment.book(model, mode, horizon)
    base = {"n_series": 200, "n_steps": 20, "epochs": 1, "batch_size": 32}
    base.update(changes)
    return exp.replace(**base)
