"""Helpers shared by the tests (imported by name; conftest.py files are for fixtures only)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# XLA compilation is most of a tiny training's time. The suite trains without it (worker processes and test
# servers inherit this); the tests of XLA itself and of repeatability ask for it explicitly.
os.environ.setdefault("RNNLAB_XLA", "0")

import subprocess  # noqa: E402
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


#: What a child process started with a clean environment (``child_env``) still inherits from the suite.
INHERITED = ("RNNLAB_JAX_CACHE",)


def child_env(**env: str) -> dict[str, str]:
    """A minimal environment for a child process (as on a fresh machine), with the suite's shared JAX
    compilation cache (see conftest.py) and ``env`` on top."""
    base = {"PATH": "/usr/bin:/bin", "TF_CPP_MIN_LOG_LEVEL": "3"}
    return {**base, **{k: os.environ[k] for k in INHERITED if k in os.environ}, **env}


#: The environment of a ``python -m rnnlab warm`` at the lessons' small scale (on top of ``child_env``).
WARM_ENV = {"RNNLAB_LESSON_SCALE": "small", "RNNLAB_XLA": "0"}


def warm(home, *extra: str) -> subprocess.CompletedProcess:
    """Run ``python -m rnnlab warm`` (small scale) into the store at ``home``."""
    return subprocess.run([sys.executable, "-m", "rnnlab", "warm", *extra], cwd=ROOT, capture_output=True, text=True,
                          env=child_env(**WARM_ENV, RNNLAB_HOME=str(home)), timeout=900)
