"""Training jobs on Dask: shared, deduplicated, cancellable, crash-proof.

:func:`get_manager` returns the process-wide :class:`JobManager` (a module-level singleton, deliberately not a
Streamlit cache, which any client can wipe). ``submit`` answers from the run store when it can, joins a job
already queued or running for the same experiment, and otherwise queues a new :class:`~rnnlab.jobs.job.Job`;
whenever a worker is free the fair queue (:mod:`rnnlab.jobs.policy`, plain Python) names the next job, and this
module hands it to Dask as a task keyed ``train-<experiment key>``. Training runs in worker processes
(:mod:`rnnlab.training.task`); this module never imports TensorFlow.

Where jobs run: with no ``RNNLAB_SCHEDULER``, an embedded ``LocalCluster`` of spawned worker processes,
started on the first submit and closed at exit; with ``RNNLAB_SCHEDULER=tcp://host:port``, that cluster.

A scheduler that goes away (:mod:`rnnlab.jobs.connection` says what Dask does then): a task Dask cancelled
because its client lost the scheduler, a client no longer connected, or a hand-over that fails, is the cluster
going away. Every unfinished job (running or queued) fails with a message that says so, and the client is dropped
(closed in the background); the next submit connects anew, so the app recovers by itself once the scheduler is
back.
"""

from __future__ import annotations

import atexit
import dataclasses
import logging
import threading
import uuid
from pathlib import Path
from typing import Any, Mapping

from distributed import Event, KilledWorker

from rnnlab.config import Experiment
from rnnlab.config.limits import JobSettings
from rnnlab.jobs import costs
from rnnlab.jobs.connection import close_quietly, connect, connected, lost_connection, lost_message
from rnnlab.jobs.costs import Estimate
from rnnlab.jobs.job import Job, JobError
from rnnlab.jobs.policy import FairQueue
from rnnlab.jobs.pricing import Pricing
from rnnlab.series import catalog
from rnnlab.store.runs import RunResult
from rnnlab.store.runstore import RunStore, StoreWriteFailed
from rnnlab.training.fit import TrainingCancelled
from rnnlab.training.task import PROGRESS_TOPIC, cancel_event_name, train_task

log = logging.getLogger(__name__)

WORKER_DIED = ("the worker process running this training died (it ran out of memory or was killed), so the "
               "training stopped; the other jobs carry on. Try again, or use a smaller model or fewer series")


class JobManager:
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
        self._queue = FairQueue(settings)
        self.store = store or RunStore()
        self._jobs: dict[str, Job] = {}
        self._lock = threading.RLock()
        self._given_client = client
        self._worker_env = dict(worker_env or {})
        self._client = None
        self._cluster = None
        self._connecting = threading.Lock()  # one connection attempt at a time, without holding ``_lock``
        self._exit_hook = False
        #: What the last loss of the cluster was (a message fit to show), until a connection succeeds again.
        self._lost: str | None = None
        self._attempts: dict[str, int] = {}
        self._stats = {"started": 0, "completed": 0, "failed": 0, "cancelled": 0, "store_hits": 0, "joins": 0}
        self._holding = 0  # > 0 while a request is being withdrawn (see cancel_batch)
        self.pricing = Pricing(self.store.root)
        self._calibrating: list[Job] = []
        self._closed = False

    @property
    def settings(self) -> JobSettings:
        """The limits and cluster settings in force (assigning new ones applies them to the next request)."""
        return self._queue.settings

    @settings.setter
    def settings(self, value: JobSettings) -> None:
        self._queue.settings = value

    # -- the cluster -------------------------------------------------------------------------------------
    def _ensure_client(self):
        """The connected Dask client: a client that lost its scheduler is dropped first, and a new one connects
        (which can take up to ``connection.CONNECT_TIMEOUT`` without holding up the manager's other callers)."""
        with self._connecting:
            with self._lock:
                client = self._client
            if client is not None and connected(client):
                return client
            if client is not None:
                self._cluster_lost(client, "the connection to its scheduler was lost", queued=False)
            if self._given_client is not None:
                client = self._given_client
            else:
                client, self._cluster = connect(self.settings, self._worker_env)
            client.subscribe_topic(PROGRESS_TOPIC, self._on_event)
            with self._lock:
                closed = self._closed
                if not closed:
                    self._client, self._lost = client, None
            if closed:  # the manager was shut down while this connected
                close_quietly(None if client is self._given_client else client, self._cluster)
                raise JobError("the job manager is shut down")
            if not self._exit_hook:
                atexit.register(self.close)
                self._exit_hook = True
            return client

    def _where(self) -> str:
        scheduler = self.settings.scheduler
        return f"at {scheduler}" if scheduler else "embedded in this server"

    def _cluster_lost(self, client, why: str, *, queued: bool) -> str:
        """``client`` lost its cluster (``why``): fail the jobs it was running (and, with ``queued``, those waiting)
        with a message that says so, and drop it (the next submit connects anew). A client already dropped only
        gets the message back. Returns the message."""
        message = lost_message(self._where(), why)
        with self._lock:
            if client is not self._client:
                return message
            self._client, self._lost = None, message
            cluster, self._cluster = self._cluster, None
            jobs = [j for j in self._queue.released if not j.finished]
            if queued:
                jobs += self._queue.drain()
        log.error("%s (%d jobs failed)", message, len(jobs))
        for job in jobs:
            job.finish("failed", error=message)
            self._count("failed")
        # Closing a client that is reconnecting waits for it: never in the caller's thread (a page, Dask's callbacks).
        threading.Thread(target=close_quietly, args=(None if client is self._given_client else client, cluster),
                         name="rnnlab-drop-client", daemon=True).start()
        return message

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

    @property
    def started(self) -> bool:
        """True once the Dask client exists (the embedded cluster starts lazily on the first submit)."""
        return self._client is not None

    def cluster_info(self) -> dict[str, Any]:
        """Workers and jobs: ``{"workers", "running", "queued", "scheduler", "started", "lost"}``; ``lost`` says
        how the cluster went away, until the next submit reaches it again (None otherwise)."""
        with self._lock:
            running = sum(j.state == "running" for j in self._jobs.values())
            queued = sum(j.state == "queued" for j in self._jobs.values())
            client = self._client
        workers = 0
        if client is not None and not connected(client):  # asking a lost scheduler would wait for it
            self._cluster_lost(client, "the connection to its scheduler was lost", queued=False)
        elif client is not None:
            try:
                workers = len(client.scheduler_info(n_workers=-1).get("workers", {}))
            except Exception:  # the cluster may be restarting; report what we know
                workers = 0
        return {"workers": workers, "running": running, "queued": queued, "started": self.started,
                "scheduler": self.settings.scheduler or "embedded LocalCluster", "lost": self._lost}

    def close(self) -> None:
        """Close the client and the embedded cluster (registered to run at exit); a client given to the
        manager stays open."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            client, cluster = self._client, self._cluster
            self._client = self._cluster = None
        close_quietly(None if client is self._given_client else client, cluster)

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

    # -- handing jobs to Dask ------------------------------------------------------------------------------
    def _capacity(self, client) -> int:
        if self._cluster is not None:
            return self.settings.worker_count()
        try:
            return max(1, len(client.scheduler_info(n_workers=-1).get("workers", {})))
        except Exception:  # the scheduler is busy or restarting: keep one job moving
            return 1

    def _release(self) -> None:
        """Hand queued jobs to Dask, in fair order, while a worker is free (Dask runs exactly what it is given).
        Reaching the cluster and asking it for its workers happen outside the lock: the pages keep answering
        while a scheduler is slow or gone.

        Raises:
            JobError: the cluster cannot be reached or took no job (the queued jobs failed with the reason).
        """
        with self._lock:
            self._queue.forget_finished()
            if not self._queue.pending or self._holding:
                return
        client = self._reach_cluster()
        capacity = self._capacity(client)
        started, failure = [], None
        with self._lock:
            while self._queue.pending and not self._holding and len(self._queue.released) < capacity:
                job = self._queue.take()
                try:
                    started.append(self._hand_over(client, job))
                except Exception as exc:  # a client closed under us: the job is with the workers' and fails
                    failure = exc
                    break
        for job in started:
            job.future.add_done_callback(lambda future, job=job: self._on_done(job, future))
        if failure is not None:
            raise JobError(self._cluster_lost(client, str(failure) or type(failure).__name__, queued=True))

    def _reach_cluster(self):
        """The Dask client; when the cluster cannot be reached, every queued job fails and JobError says why."""
        try:
            return self._ensure_client()
        except Exception as exc:
            with self._lock:
                drained = self._queue.drain()
                for job in drained:
                    self._jobs.pop(job.key, None)
            for job in drained:
                job.finish("failed", error=f"could not reach the training cluster {self._where()}: {exc}")
            raise JobError(f"could not reach the training cluster {self._where()}: {exc}") from exc

    def _hand_over(self, client, job: Job) -> Job:
        """Submit ``job``'s task to Dask (a retry of a key that failed gets a key of its own)."""
        attempt = self._attempts.get(job.key, 0)
        self._attempts[job.key] = attempt + 1
        job.task_key = f"train-{job.key}" if attempt == 0 else f"train-{job.key}-retry{attempt}"
        job.future = client.submit(train_task, job.experiment.to_dict(), self.settings.job_timeout,
                                   cancel_event_name(job.task_key), job.series, key=job.task_key, pure=False)
        job.series = None
        self._stats["started"] += 1
        return job

    # -- jobs -----------------------------------------------------------------------------------------------
    def _join(self, job: Job, owner: str) -> Job:
        """Count ``owner`` among those waiting for the unfinished ``job`` (a submit that shares it)."""
        job.owners.add(owner)
        self._stats["joins"] += 1
        return job

    def _prune(self, keep: int = 500) -> None:
        """Forget the oldest finished jobs beyond ``keep`` (their results stay in the store)."""
        finished = sorted((j for j in self._jobs.values() if j.finished), key=lambda j: j.finished_at or 0)
        for job in finished[: max(0, len(finished) - keep)]:
            self._jobs.pop(job.key, None)

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

    def _count(self, name: str) -> None:
        with self._lock:
            self._stats[name] += 1

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
            future, task_key = job.future, job.task_key
            if self._queue.withdraw(job):  # not handed to Dask yet: nothing to stop
                task_key = None
        client = self._client
        if client is not None and task_key is not None and connected(client):
            Event(cancel_event_name(task_key), client=client).set()
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

    # -- events from the cluster ---------------------------------------------------------------------------
    def _on_event(self, event) -> None:
        _, msg = event
        job = self.get(msg.get("key", ""))
        if job is None or job.finished:
            return
        if msg.get("kind") == "started":
            job.mark_running(msg.get("worker"), msg.get("pid"))
        elif msg.get("kind") == "epoch":
            job.record_epoch({k: msg[k] for k in ("epoch", "loss", "val_loss", "seconds")})

    def _on_done(self, job: Job, future) -> None:
        try:
            self._collect(job, future)
        except Exception as exc:  # never let a callback error leave a job hanging
            log.exception("job %s: error while collecting the result", job.key[:12])
            job.finish("failed", error=f"could not collect the result: {exc}")
            self._count("failed")
        finally:
            job.future = None
            try:
                future.release()
            except Exception:
                log.debug("release failed", exc_info=True)
            try:
                self._release()  # a worker is free: the next job in fair order
                self._finish_calibration()
            except Exception:  # the cluster went away: the next submit says so
                log.exception("could not release the next job")

    def _collect(self, job: Job, future) -> None:
        """Finish ``job`` with its task's outcome: the result (stored), cancelled, or the error."""
        if future.cancelled():
            if not job.finished and not self._closed and lost_connection(future):
                message = self._cluster_lost(future.client, "the connection to its scheduler was lost", queued=True)
                if not job.finished:  # its client had been dropped already
                    job.finish("failed", error=message)
                    self._count("failed")
                return
            job.finish("cancelled", error="cancelled")
            return
        exc = future.exception()
        if exc is None:
            result = future.result()
            if not job.background:  # a calibration training is a measurement, not a run anyone asked for
                try:
                    self.store.put(result)
                except StoreWriteFailed as store_exc:  # a full disk must not lose the answer for those waiting
                    log.error("run %s could not be kept: %s", job.key[:12], store_exc.reason)
                    job.store_error = store_exc.reason
            job.finish("done", result=_without_model(result))
            self.pricing.trained(job.experiment)  # in the workers' compilation cache now
            self._count("completed")
            return
        if isinstance(exc, TrainingCancelled):
            job.finish("cancelled", error="cancelled")
            return
        job.finish("failed", error=WORKER_DIED if isinstance(exc, KilledWorker) else str(exc) or type(exc).__name__)
        self._count("failed")


def _without_model(result: RunResult) -> RunResult:
    """Keep finished results in memory without their model bytes (the store has them)."""
    return dataclasses.replace(result, model_bytes=None)


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
