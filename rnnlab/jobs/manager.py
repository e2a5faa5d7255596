"""Training jobs on Dask: shared, deduplicated, cancellable, crash-proof.

:func:`get_manager` returns the process-wide :class:`JobManager` (a module-level singleton, deliberately not a
Streamlit cache, which any client can wipe). ``submit`` answers from the run store when it can, joins a job
already queued or running for the same experiment, and otherwise queues a new :class:`~rnnlab.jobs.job.Job`;
whenever a worker is free the fair queue (:mod:`rnnlab.jobs.policy`, plain Python) names the next job, and
:mod:`rnnlab.jobs.dispatch` hands it to Dask as a task keyed ``train-<experiment key>`` (where jobs run, and what
happens when a scheduler goes away, is said there). Training runs in worker processes
(:mod:`rnnlab.training.task`); this module never imports TensorFlow.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import uuid
from pathlib import Path
from typing import Any, Mapping

from distributed import Event

from rnnlab.config import Experiment
from rnnlab.config.limits import JobSettings
from rnnlab.jobs import costs
from rnnlab.jobs.connection import connected
from rnnlab.jobs.costs import Estimate
from rnnlab.jobs.dispatch import WORKER_DIED, Dispatcher
from rnnlab.jobs.job import Job, JobError
from rnnlab.series import catalog
from rnnlab.store.runs import RunResult
from rnnlab.store.runstore import RunStore

__all__ = ["JobManager", "WORKER_DIED", "get_manager", "reset_manager"]

log = logging.getLogger(__name__)

#: Finished jobs a manager remembers (older ones are answered from the store), and how many of the newest keep
#: their result in memory (the others read it from the store when asked).
KEEP_FINISHED = 500
KEEP_RESULTS = 50


class JobManager(Dispatcher):
    """Submits trainings to Dask and tracks them.

    Args:
        settings: limits and cluster settings (default: from the environment).
        store: the run store (default: ``RunStore()`` at ``RNNLAB_HOME``); this instance's cost calibration is
            kept in its folder too.
        scheduler: overrides ``settings.scheduler`` (``tcp://host:port``).
        client: a Dask client to hand the trainings to instead of reaching ``settings.scheduler`` or starting
            an embedded cluster (closing the manager leaves it open).
        worker_env: environment variables for the embedded cluster's workers on top of this process's (e.g.
            ``RNNLAB_BACKEND``, or ``RNNLAB_JAX_CACHE`` for an empty compilation cache).
    """

    def __init__(self, settings: JobSettings | None = None, store: RunStore | None = None,
                 scheduler: str | None = None, *, client: Any = None,
                 worker_env: Mapping[str, str] | None = None) -> None:
        settings = settings or JobSettings.from_env()
        if scheduler:
            settings = dataclasses.replace(settings, scheduler=scheduler)
        super().__init__(settings, store or RunStore(), client=client, worker_env=worker_env)
        self._calibrating: list[Job] = []

    def start(self) -> None:
        """Start (or reach) the cluster now instead of at the first training, so its workers are warm by then,
        and calibrate the cost estimates in the background if this instance has not; errors are logged, and the
        first submit tries again."""
        try:
            self._ensure_client()
            if self.settings.calibrate:
                self.calibrate()
        except Exception:  # the cluster may be unreachable at start-up: the first submit reports it
            log.exception("could not start the training cluster ahead of time")

    # -- submitting ----------------------------------------------------------------------------------------
    def submit(self, experiment: Experiment, owner: str = "anonymous") -> Job:
        """Get ``experiment`` trained for ``owner``; returns the job at once (see the module docstring).

        Raises:
            JobRefused: a limit refuses a new training (message fit to show as is).
            JobError: the cluster cannot be reached, or the experiment's data is not here.
        """
        return self.submit_batch([experiment], owner)[0]

    def submit_batch(self, experiments: list[Experiment], owner: str = "anonymous", *,
                     background: bool = False, fresh: bool = False) -> list[Job]:
        """Get several experiments trained for ``owner`` as one request (a sweep, repeats, the folds of a
        backtest): each is an ordinary job with its own key (answered from the store, joined or queued as
        :meth:`submit` does), but together they count once against the per-person limit. All or none are
        queued. ``background`` jobs (the calibration) run only when nobody else's job is waiting; ``fresh`` ones
        are trained again even when the store has them (a measurement needs this instance's timings).

        Raises:
            JobRefused: a limit refuses it (message fit to show as is): too many requests or trainings, an
                estimate above ``max_job_seconds``, a sweep too large, too many estimated seconds queued.
            JobError: the experiment's data is not on this server.
        """
        if self._closed:
            raise JobError("the job manager is shut down")
        with self._lock:
            found = self._known(experiments, owner, fresh)
        stored = {i: None if fresh else self.store.get(e.key()) for i, e in enumerate(experiments) if i not in found}
        with self._lock:
            for i, result in stored.items():
                if result is not None:
                    found[i] = self._from_store(experiments[i], owner, result)
                elif (job := self._jobs.get(experiments[i].key())) is not None and not job.finished:
                    found[i] = self._join(job, owner)  # someone submitted it while we read the store
            new = [i for i in range(len(experiments)) if i not in found]
            if new:
                found.update(self._queue_new([experiments[i] for i in new], new, owner, background, len(experiments)))
        if new:
            self._release()
        return [found[i] for i in range(len(experiments))]

    def _known(self, experiments: list[Experiment], owner: str, fresh: bool) -> dict[int, Job]:
        """The experiments this manager already has a job for, by position: unfinished ones are joined, done
        ones answer at once (unless ``fresh``)."""
        found = {}
        for i, experiment in enumerate(experiments):
            job = self._jobs.get(experiment.key())
            if job is not None and not job.finished:
                found[i] = self._join(job, owner)
            elif not fresh and job is not None and job.state == "done" and job.result() is not None:
                job.owners.add(owner)
                self._stats["store_hits"] += 1
                found[i] = job
        return found

    def _from_store(self, experiment: Experiment, owner: str, result: RunResult) -> Job:
        """A done job for ``experiment``, answered by the stored ``result``."""
        done = Job(experiment, owner, state="queued")
        done.from_store = True
        done.finish("done", result=result)
        self._stats["store_hits"] += 1
        self._jobs[done.key] = done
        return done

    def _queue_new(self, experiments: list[Experiment], places: list[int], owner: str, background: bool,
                   size: int) -> dict[int, Job]:
        """Queue a job for each of ``experiments`` (at ``places`` in a request of ``size``) as one request of
        ``owner``, once the limits allow it (background jobs are not counted against anyone)."""
        estimates = self.estimates(experiments)
        if not background:
            self._queue.check(owner, estimates, size)
        self._prune()
        try:  # a real series travels with its task: workers share no disk with the app
            series = [catalog.load(e.series.data) if e.series.real else None for e in experiments]
        except ValueError as exc:
            raise JobError(str(exc)) from None
        request = experiments[0].key() if len(experiments) == 1 else f"batch-{uuid.uuid4().hex[:12]}"
        queued = {}
        for place, experiment, estimate, data in zip(places, experiments, estimates, series):
            job = Job(experiment, owner)
            job.requests[owner] = request
            job.estimate, job.background, job.series = estimate, background, data
            self._jobs[job.key] = queued[place] = job
            self._queue.add(job)
        return queued

    def estimate(self, experiment: Experiment) -> Estimate:
        """What ``experiment`` should cost on this instance (:mod:`rnnlab.jobs.costs`): without its compilation
        when a training of the same shape has finished here or is queued or running (the workers share the
        compilation cache)."""
        return self.estimates([experiment])[0]

    def estimates(self, experiments: list[Experiment]) -> list[Estimate]:
        """What each of ``experiments`` should cost, as one request (:meth:`Pricing.estimates`: with the jobs
        queued or running now)."""
        with self._lock:
            active = [j.experiment for j in self._queue.active()]
        return self.pricing.estimates(experiments, active)

    def budget_problem(self, estimates: list[Estimate], size: int | None = None) -> str | None:
        """Why a request of trainings with these estimates would be refused whoever asks (a training above the
        per-training budget, a sweep too large), or None: the pages say it before anyone presses a button."""
        return self._queue.budget_problem(estimates, size)

    # -- jobs -----------------------------------------------------------------------------------------------
    def _join(self, job: Job, owner: str) -> Job:
        """Count ``owner`` among those waiting for the unfinished ``job`` (a submit that shares it)."""
        job.owners.add(owner)
        self._stats["joins"] += 1
        return job

    def _prune(self) -> None:
        """Forget the oldest finished jobs beyond :data:`KEEP_FINISHED`, and the in-memory results of those beyond
        the newest :data:`KEEP_RESULTS` (the store has them: about 40 kB each that a term's server would otherwise
        hold)."""
        finished = sorted((j for j in self._jobs.values() if j.finished), key=lambda j: j.finished_at or 0)
        forget = max(0, len(finished) - KEEP_FINISHED)
        for job in finished[:forget]:
            self._jobs.pop(job.key, None)
        for job in finished[forget: max(forget, len(finished) - KEEP_RESULTS)]:
            job.release_result()

    def get(self, key: str) -> Job | None:
        """The job of experiment ``key`` known to this manager, if any."""
        with self._lock:
            return self._jobs.get(key)

    def jobs(self, owner: str | None = None) -> list[Job]:
        """Jobs known to this manager (those ``owner`` asked for, if given), newest first."""
        with self._lock:
            jobs = [j for j in self._jobs.values() if owner is None or owner in j.owners]
        return sorted(jobs, key=lambda j: j.submitted_at, reverse=True)

    def queue_position(self, job: Job) -> int | None:
        """How many queued jobs would run before ``job`` (None when it is not waiting in the queue)."""
        with self._lock:
            return self._queue.position(job)

    def stats(self) -> dict[str, int]:
        """Counters: trainings ``started`` (handed to Dask), ``completed``, ``failed``, ``cancelled``;
        ``store_hits``; ``joins``."""
        with self._lock:
            return dict(self._stats)

    # -- cancelling ------------------------------------------------------------------------------------------
    def cancel(self, key: str, owner: str) -> bool:
        """Withdraw ``owner`` from job ``key``; the training stops (at its next batch) once nobody who asked for
        it waits any more. Someone who only looked at the job has nothing to withdraw. Returns True if the
        training was stopped."""
        with self._lock:
            job = self._jobs.get(key)
            if job is None or job.finished or owner not in job.owners:
                return False
            job.owners.discard(owner)
            if job.owners:
                return False
            future, signal = job.future, job.cancel_event
            if self._queue.withdraw(job):  # not handed to Dask yet: nothing to stop
                signal = None
        client = self._client
        if client is not None and signal is not None and connected(client):
            Event(signal, client=client).set()
        if future is not None and job.state == "queued":
            future.cancel()
        job.finish("cancelled", error="cancelled")
        self._count("cancelled")
        self._release()
        return True

    def cancel_batch(self, keys: list[str], owner: str) -> int:
        """Withdraw ``owner`` from every job of a request (a sweep); how many trainings stopped. The queued ones
        go first, so stopping a running one never hands the worker to another training of the same request."""
        with self._lock:
            waiting = {j.key for j in self._queue.pending}
            self._holding += 1  # no job is handed to a worker until the whole request is withdrawn
        try:
            stopped = sum(self.cancel(key, owner) for key in sorted(keys, key=lambda k: k not in waiting))
        finally:
            with self._lock:
                self._holding -= 1
        self._release()
        return stopped

    # -- calibration ---------------------------------------------------------------------------------------
    def calibration_path(self) -> Path:
        """Where this instance keeps its cost calibration: beside its run store."""
        return self.pricing.path()

    def calibrate(self, force: bool = False) -> list[Job]:
        """Measure this instance's workers for the cost estimates (in the background, if not done before, or
        again with ``force``): two short trainings per model family, fitted and kept (at
        :meth:`calibration_path`) once all have finished. Returns the calibration's jobs ([] when not needed)."""
        if self.calibration_path().exists() and not force:
            return []
        jobs = self.submit_batch(costs.calibration_experiments(), owner="calibration", background=True, fresh=force)
        with self._lock:
            self._calibrating = jobs
        self._finish_calibration()
        return jobs

    def _after_job(self) -> None:
        self._finish_calibration()

    def _finish_calibration(self) -> None:
        with self._lock:
            jobs = self._calibrating
            if not jobs or not all(j.finished for j in jobs):
                return
            self._calibrating = []
        results = [j.result() for j in jobs if j.state == "done" and j.result() is not None]
        if len(results) == len(jobs):
            self.pricing.calibrated(results)  # this instance's numbers from now on
        else:
            log.warning("calibration incomplete: %d of %d trainings failed", len(jobs) - len(results), len(jobs))



# The process-wide manager: a module global, because any client can wipe Streamlit's caches.
_MANAGER: JobManager | None = None
_MANAGER_LOCK = threading.Lock()


def get_manager() -> JobManager:
    """The process-wide job manager, created on first use from the environment."""
    global _MANAGER
    with _MANAGER_LOCK:
        if _MANAGER is None or _MANAGER._closed:
            _MANAGER = JobManager()
        return _MANAGER


def reset_manager() -> None:
    """Close and forget the process-wide manager (tests; a changed environment)."""
    global _MANAGER
    with _MANAGER_LOCK:
        if _MANAGER is not None:
            _MANAGER.close()
        _MANAGER = None
