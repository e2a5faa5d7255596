"""The Dask task that trains one experiment on a worker, reporting progress and honouring cancellation.

Progress goes to the scheduler's event log (topic :data:`PROGRESS_TOPIC`), which pushes it to the web
process's client; cancellation comes back through a ``distributed.Event`` named after the job, checked at
most every :data:`CANCEL_POLL_SECONDS` (a scheduler round trip per batch would slow small models down).
"""

from __future__ import annotations

import os
import secrets
import time
from typing import Any

from distributed import Event, get_worker

from rnnlab.training import backend, fit
from rnnlab.config import Experiment
from rnnlab.series import catalog
from rnnlab.series.prepare import PreparedSeries

PROGRESS_TOPIC = "rnnlab-progress"
CANCEL_POLL_SECONDS = 0.25
#: Niceness added to a worker process before its first training: on a machine shared with the web server,
#: trainings take the CPU the server leaves, so pages and health checks stay responsive under load.
WORKER_NICENESS = 10
_NICED = False
#: A worker releases what its finished trainings left in memory (:func:`rnnlab.training.backend.release_memory`)
#: after every this many: about 20 MB at most between two releases, and the 0.3 s the next training then spends
#: reloading JAX's helper programs from the compilation cache on disk (measured over 40 small trainings) paid
#: once per ten.
RELEASE_EVERY = 10
_finished_since_release = 0


class JobTimeout(Exception):
    """The training ran past the wall-clock limit (``RNNLAB_JOB_TIMEOUT``) and was stopped."""


def cancel_event_name(task_key: str) -> str:
    """A new name for the ``distributed.Event`` that asks the Dask task ``task_key`` to stop training: one of its
    own for every hand-over. (An Event outlives its task on a scheduler that outlives the job manager: a real
    cluster, a server restarted, the command line's --scheduler. Named after the task key alone, a cancelled
    training's signal stopped the next training of the same experiment at its first batch.)"""
    return f"rnnlab-cancel-{task_key}-{secrets.token_hex(8)}"


def train_task(experiment: dict[str, Any], time_limit: float, cancel_name: str,
               series: PreparedSeries | None = None):
    """Train ``experiment`` (``Experiment.to_dict()``) on this worker and return its ``RunResult``.

    ``series`` is the prepared real series the experiment names (workers share no disk with the app: the data
    comes with the task). Raises ``TrainingCancelled`` when the ``distributed.Event`` ``cancel_name`` is set,
    :class:`JobTimeout` past ``time_limit`` seconds, and whatever the training raised otherwise.
    """
    _lower_priority()
    if series is not None:
        catalog.register(experiment["series"]["data"], series)
    exp = Experiment.from_dict(experiment)
    key = exp.key()
    worker = get_worker()
    started = time.monotonic()

    def report(kind: str, **payload: Any) -> None:
        worker.log_event(PROGRESS_TOPIC, {"key": key, "kind": kind, "worker": worker.address,
                                          "pid": os.getpid(), **payload})

    report("started", time=time.time())
    cancel = Event(cancel_name)
    last_poll = [0.0]

    def should_stop() -> bool:
        now = time.monotonic()
        if now - started > time_limit:
            raise JobTimeout(f"the training ran past the limit of {time_limit:.0f} s per job and was stopped; "
                             "try fewer epochs, fewer series or a smaller model")
        if now - last_poll[0] < CANCEL_POLL_SECONDS:
            return False
        last_poll[0] = now
        return cancel.is_set()

    try:
        return fit.run(exp, on_epoch=lambda info: report("epoch", **info), should_stop=should_stop)
    finally:
        report("finished", time=time.time())
        after_training()


def after_training() -> bool:
    """Count a finished training (done, failed or cancelled) on this worker, and release the memory the last
    :data:`RELEASE_EVERY` left behind once they are that many; True when it did."""
    global _finished_since_release
    _finished_since_release += 1
    if _finished_since_release < RELEASE_EVERY:
        return False
    _finished_since_release = 0
    return backend.release_memory()


def _lower_priority() -> None:
    """Lower every thread of this worker process (Linux sets priority per thread; new threads inherit it)."""
    global _NICED
    if _NICED:
        return
    _NICED = True
    tasks = f"/proc/{os.getpid()}/task"
    tids = [int(t) for t in os.listdir(tasks)] if os.path.isdir(tasks) else [0]
    for tid in tids:
        try:
            current = os.getpriority(os.PRIO_PROCESS, tid)
            os.setpriority(os.PRIO_PROCESS, tid, min(19, current + WORKER_NICENESS))
        except (OSError, AttributeError):  # not permitted, or no such call here: train at normal priority
            continue
