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
# Never measure the workers in the background: that trains twenty runs on every cluster a server starts, against
# the tests' own trainings. Estimates use the shipped figures; a test of calibration asks for it explicitly.
os.environ["RNNLAB_CALIBRATE"] = "0"
# A server a test starts reaches its training cluster at its first training, not at boot (most never train); the
# browser tests that train ask for it at boot, as a deployed server does.
os.environ["RNNLAB_START_CLUSTER"] = "0"
# One thread for XLA's and TensorFlow's CPU code in every process of the suite, as in a worker (one per core): the
# test processes, `warm`, the command lines and the workers then compile with the same XLA flags, so a shape one
# of them compiled is found in the shared JAX compilation cache by all (the flags are part of its key). The golden
# figures are the same to the last digit either way.
os.environ.setdefault("RNNLAB_TF_THREADS", "1")

import contextlib  # noqa: E402
import logging  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
from typing import Iterator  # noqa: E402

import dask  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from distributed import LocalCluster  # noqa: E402

from benchmarks.load import CHROMIUM, CHROMIUM_ARGS, IDLE, free_port, wait_healthy  # noqa: E402,F401
from rnnlab.config import Experiment  # noqa: E402
from rnnlab.models import anatomy  # noqa: E402


def wait_for(predicate, timeout: float, interval: float = 0.05) -> bool:
    """Poll ``predicate`` until it is true (True) or ``timeout`` seconds pass (False)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return bool(predicate())


def tiny(model: str = "linear", mode: str | None = None, horizon: int | None = None, **changes) -> Experiment:
    """The book's experiment for ``model``, shrunk to 200 short series and one epoch, in batches of 20.

    200 series split into 140 / 40 / 20 windows: batches of 20 leave no partial batch, and on JAX each new batch
    shape is compiled again (a partial last batch doubled the compilation of a tiny training, most of its time)."""
    exp = Experiment.book(model, mode, horizon)
    base = {"n_series": 200, "n_steps": 20, "epochs": 1, "batch_size": 20}
    base.update(changes)
    return exp.replace(**base)


def model_families() -> list[str]:
    """One model per family: the first registry entry for each set of layer kinds besides its Dense output (the
    SimpleRNN stacks are one family), among the models the generated series take (the real-series forecasters
    have no layers). For the trainings that cover every kind of layer once (TensorFlow, the real series)."""
    from rnnlab.models.registry import REGISTRY  # the registry's facts only: it imports no Keras

    seen, out = set(), []
    for name, entry in REGISTRY.items():
        if entry.real_only:
            continue
        kinds = frozenset(layer.kind for layer in entry.layers(tiny(name, entry.book_mode))) - {"Dense"}
        if kinds not in seen:
            seen.add(kinds)
            out.append(name)
    return out


def check_trained(exp: Experiment, result, epochs_seen: list[dict]) -> None:
    """What every training of a generated-series experiment must give, whatever its model and mode (``result`` of
    ``fit.run(exp, on_epoch=epochs_seen.append)``): forecasts of every validation and test window, a finite error,
    a progress event and a history row per epoch, and for a network the parameter count its formula gives (used
    before building, for limits and the Inspect page), each layer's explained by the Inspect page's formula. For
    tests/test_models.py's every model in every mode, and tests/test_golden.py's trainings of the book modes."""
    entry = exp.model.entry
    horizon = exp.series.horizon
    n_train, n_valid, n_test = exp.series.split_sizes()
    assert result.predictions["valid"].shape == (n_valid, horizon)
    assert result.predictions["test"].shape == (n_test, horizon)
    assert np.isfinite(result.metrics["valid"]["mse"]) and result.metrics["valid"]["mse"] > 0
    if entry.trainable:
        epochs = exp.train.epochs
        assert [e["epoch"] for e in epochs_seen] == list(range(1, epochs + 1))
        assert all(e["epochs"] == epochs for e in epochs_seen)
        assert len(result.history) == epochs and all(h["seconds"] > 0 for h in result.history)
        assert result.params_total == entry.count_params(exp)
        assert sum(layer["params"] for layer in result.layers) == result.params_total
        for row in anatomy.layer_table(result.layers, exp):
            assert row["formula"] and row["formula_params"] == row["params"], row
    else:
        assert result.params_total == 0 and result.history == []
        assert result.metrics["valid"]["rel_mae"] == pytest.approx(1.0) and "mase" not in result.metrics["valid"]
    if horizon > 1:
        assert len(result.mse_per_step["valid"]) == horizon


#: What a child process started with a clean environment (``child_env``) still inherits from the suite: the
#: session's home folder (conftest.py), its shared JAX compilation cache, no calibration or boot-time cluster, and
#: XLA's flags and one thread for it (what the cache is keyed by).
INHERITED = ("HOME", "RNNLAB_JAX_CACHE", "RNNLAB_CALIBRATE", "RNNLAB_START_CLUSTER", "RNNLAB_TF_THREADS", "XLA_FLAGS")


def child_env(**env: str) -> dict[str, str]:
    """A minimal environment for a child process (as on a fresh machine), with what it inherits from the suite
    (``INHERITED``) and ``env`` on top."""
    base = {"PATH": "/usr/bin:/bin", "TF_CPP_MIN_LOG_LEVEL": "3"}
    return {**base, **{k: os.environ[k] for k in INHERITED if k in os.environ}, **env}


#: The environment of a ``python -m rnnlab warm`` at the lessons' small scale (on top of ``child_env``).
WARM_ENV = {"RNNLAB_LESSON_SCALE": "small", "RNNLAB_XLA": "0"}


def warm(home, *extra: str) -> subprocess.CompletedProcess:
    """Run ``python -m rnnlab warm`` (small scale) into the store at ``home``."""
    return subprocess.run([sys.executable, "-m", "rnnlab", "warm", *extra], cwd=ROOT, capture_output=True, text=True,
                          env=child_env(**WARM_ENV, RNNLAB_HOME=str(home)), timeout=900)


def stop(proc: subprocess.Popen, timeout: float = 20.0) -> None:
    """Stop a server or other process a test started: terminate it, wait up to ``timeout`` seconds for it to exit,
    then kill it (a server stuck closing its cluster must not outlive the test)."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout)
            return
        except subprocess.TimeoutExpired:
            proc.kill()
    proc.wait(timeout)


@contextlib.contextmanager
def local_cluster(n_workers: int) -> Iterator[LocalCluster]:
    """An embedded Dask cluster of ``n_workers`` made as the job manager makes its own (spawned workers that import
    the training stack as they start, one thread each; a training whose worker dies is not retried), closed at
    the end. For the cluster the tests share (conftest.py) and for a test that needs a size of its own."""
    dask.config.set({"distributed.scheduler.allowed-failures": 0})
    with LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True, dashboard_address=None,
                      host="127.0.0.1", silence_logs=logging.WARNING, env={"RNNLAB_TF_THREADS": "1"},
                      preload=["rnnlab.training.warmup"]) as cluster:
        yield cluster


def leave_idle(client, timeout: float = 120.0) -> None:
    """Wait until the cluster of ``client`` runs nothing (a cancelled training stops at its next batch); restart
    its workers if it does not within ``timeout`` s: a training nobody can stop any more must not hold a worker
    the next test needs."""
    if not wait_for(lambda: not any(client.processing().values()), timeout, 0.2):
        client.restart()


def started(job) -> None:
    """Deliver the worker's "started" event for ``job`` (handed to a ``fake_dask.FakeClient``), as the job manager
    does."""
    job.mark_running("tcp://127.0.0.1:1", 1)
