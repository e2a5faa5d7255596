"""Shared fixtures: a temporary RNNLAB_HOME and tiny experiments that train in a second or two."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import helpers  # noqa: E402,F401  (puts the project on sys.path)


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    """A fresh, empty RNNLAB_HOME for one test."""
    path = tmp_path / "rnnlab-home"
    monkeypatch.setenv("RNNLAB_HOME", str(path))
    return path

