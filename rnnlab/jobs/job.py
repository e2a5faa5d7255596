"""One training job as the web process sees it: who asked for it, its state, its progress and its result.

Plain Python (no Dask): the queue policy (:mod:`rnnlab.jobs.policy`) orders jobs and the Dask adapter
(:mod:`rnnlab.jobs.manager`) moves them through their states with :meth:`Job.mark_running`,
:meth:`Job.record_epoch` and :meth:`Job.finish`.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any

from rnnlab.config import Experiment

if TYPE_CHECKING:
    from rnnlab.jobs.costs import Estimate
    from rnnlab.store.runs import RunResult

#: A job's states, in the order a job goes through them; it ends in one of the last three.
FINAL_STATES = ("done", "failed", "cancelled")


class JobError(Exception):
    """A submit or cancel that cannot be done; the message can be shown to the user as is."""


class JobRefused(JobError):
    """A submit refused by a limit (too many jobs for one owner, queue full)."""


class Job:
    """One training job. Every attribute is safe to read from any thread of the web process."""

    def __init__(self, experiment: Experiment, owner: str, state: str = "queued") -> None:
        self.experiment = experiment
        self.key = experiment.key()
        self.owners: set[str] = {owner}
        #: The request each owner made it in (a batch such as a backtest counts once per person).
        self.requests: dict[str, str] = {}
        #: The cost estimate made when it was submitted (None for a result from the store).
        self.estimate: Estimate | None = None
        #: A job nobody waits for (the workers' calibration): it runs only when no one else's is queued.
        self.background = False
        #: The real series it trains on, until it is handed to Dask with its task.
        self.series = None
        self.submitted_at = time.time()
        self.started_at: float | None = None
        self.finished_at: float | None = None
        self.worker: str | None = None
        self.worker_pid: int | None = None
        self.error: str | None = None
        #: Why a finished training's result could not be kept in the store (disk full, read-only...): the result
        #: is still shown from memory, and lost when the server restarts.
        self.store_error: str | None = None
        self.from_store = False
        self.history: list[dict[str, float]] = []
        self._state = state
        self._result: RunResult | None = None
        self._lock = threading.Lock()
        self._finished = threading.Event()
        #: The Dask future while its task is on the cluster (None before it is handed over, and again once the
        #: task's outcome has been collected).
        self.future = None
        #: The Dask task's key (``train-<key>``, ``-retry<n>`` after a failed attempt), once handed over.
        self.task_key: str | None = None
        #: The name of the ``distributed.Event`` that stops its task (:func:`rnnlab.training.task.cancel_event_name`),
        #: once handed over.
        self.cancel_event: str | None = None

    # -- reading ----------------------------------------------------------------------------------------
    @property
    def state(self) -> str:
        """``queued``, ``running``, ``done``, ``failed`` or ``cancelled``."""
        return self._state

    @property
    def finished(self) -> bool:
        """True once the job is done, failed or cancelled."""
        return self._state in FINAL_STATES

    def asked_by(self, owner: str) -> bool:
        """True if ``owner`` asked for this training (started or joined it); looking at it is not asking."""
        return owner in self.owners

    @property
    def askers(self) -> int:
        """How many people asked for this training and still wait for it."""
        return len(self.owners)

    def progress(self) -> dict[str, Any]:
        """A consistent snapshot: state, epoch i of n, per-epoch history, elapsed and estimated seconds left."""
        with self._lock:
            history = list(self.history)
            epochs = self.experiment.train.epochs
            now = self.finished_at or time.time()
            elapsed = now - self.started_at if self.started_at else 0.0
            done = len(history)
            eta = None
            if self._state == "running" and done:
                per_epoch = elapsed / done
                eta = max(per_epoch * (epochs - done), 0.0)
            return {"state": self._state, "epoch": done, "epochs": epochs, "history": history,
                    "elapsed": elapsed, "eta": eta, "error": self.error,
                    "fraction": 1.0 if self._state == "done" else done / epochs}

    def result(self) -> RunResult | None:
        """The finished run (None unless the job is done, and once :meth:`release_result` has dropped it)."""
        return self._result

    def release_result(self) -> None:
        """Drop the finished result from memory when the store keeps it (readers then load it from the store). A
        result that could not be stored, and a calibration's (never stored), stay."""
        with self._lock:
            if self.store_error is None and not self.background:
                self._result = None

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the job finishes or ``timeout`` seconds pass; True if it finished."""
        return self._finished.wait(timeout)

    # -- updates (the job manager's) -----------------------------------------------------------------------
    def mark_running(self, worker: str | None, pid: int | None) -> None:
        """A worker (address ``worker``, process ``pid``) started the training: the job is running, with an
        empty history (a retried task starts again)."""
        with self._lock:
            if self._state == "queued":
                self._state = "running"
                self.started_at = time.time()
            self.worker, self.worker_pid = worker, pid
            self.history = []

    def record_epoch(self, row: dict[str, float]) -> None:
        """An epoch finished on the worker (``epoch``, ``loss``, ``val_loss``, ``seconds``); a repeated one is
        kept once."""
        with self._lock:
            if self._state == "queued":
                self._state, self.started_at = "running", time.time()
            if not any(h["epoch"] == row["epoch"] for h in self.history):
                self.history.append(row)

    def finish(self, state: str, *, result: RunResult | None = None, error: str | None = None) -> None:
        """End the job in ``state`` (one of :data:`FINAL_STATES`) with its result or error, and wake those
        waiting; a job that has already finished keeps its first outcome."""
        with self._lock:
            if self.finished:
                return
            self._state, self._result, self.error = state, result, error
            self.finished_at = time.time()
            if result is not None and not self.history:
                self.history = list(result.history)
        self._finished.set()

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"Job({self.key[:12]}, {self._state}, owners={sorted(self.owners)})"
