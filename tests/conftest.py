"""Shared fixtures: a temporary RNNLAB_HOME and tiny experiments that train in a second or two."""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from helpers import warm  # noqa: E402  (importing helpers puts the project on sys.path)

#: tests/backend_tf/ runs in a TensorFlow process of its own (tests/test_backends.py), not in this one.
collect_ignore = [] if os.environ.get("RNNLAB_BACKEND") == "tensorflow" else ["backend_tf"]


@pytest.fixture(scope="session", autouse=True)
def shared_jax_cache(tmp_path_factory) -> Path:
    """One JAX compilation cache for the whole session, shared by both pytest processes and every worker or
    server they start (``helpers.child_env`` passes it on): the suite's tiny models recur in many tests, and
    each shape then compiles once instead of once per test. ``RNNLAB_JAX_CACHE`` set by hand wins."""
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    os.environ.setdefault("RNNLAB_JAX_CACHE", str(shared / "jax-cache"))
    return Path(os.environ["RNNLAB_JAX_CACHE"])


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    """A fresh, empty RNNLAB_HOME for one test."""
    path = tmp_path / "rnnlab-home"
    monkeypatch.setenv("RNNLAB_HOME", str(path))
    return path


@pytest.fixture(scope="session")
def warmed_home(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    """A run store with every lesson run trained at the small scale, made once per test session by
    ``python -m rnnlab warm`` (the lessons' AppTest and browser tests read it; none of them writes to it).

    ``make test`` runs two pytest processes (pytest-xdist); the first to get here warms the store in the
    folder they share and the other waits for it (a file lock), so the lessons are trained once per session.
    Returns the store and the warm's completed process (its output).
    """
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base  # this session's, for every worker
    home = shared / "lessons-home"
    with open(shared / "lessons-home.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        done = shared / "lessons-home.json"
        if not done.exists():
            first = warm(home)
            assert first.returncode == 0, first.stderr[-3000:]
            done.write_text(json.dumps({"args": first.args, "returncode": 0, "stdout": first.stdout,
                                        "stderr": first.stderr}))
    return home, subprocess.CompletedProcess(**json.loads(done.read_text()))
