"""Shared fixtures: a temporary RNNLAB_HOME and tiny experiments that train in a second or two."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from rnnlab.config import Experiment  # noqa: E402


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    """A fresh, empty RNNLAB_HOME for one test."""
    path = tmp_path / "rnnlab-home"
    monkeypatch.setenv("RNNLAB_HOME", str(path))
    return path


def tiny(model: str = "linear", mode: str | None = None, horizon: int | None = None, **changes) -> Experiment:
    """The book's experiment for ``model``, shrunk to 200 short series and one epoch."""
    exp = Experiment.book(model, mode, horizon)
    base = {"n_series": 200, "n_steps": 20, "epochs": 1, "batch_size": 32}
    base.update(changes)
    return exp.replace(**base)


@pytest.fixture
def tiny_experiment():
    return tiny
