"""Training jobs on Dask: shared, deduplicated, cancellable, crash-proof.

:func:`get_manager` returns the process-wide :class:`JobManager` (a module-level singleton, deliberately not a
Streamlit cache, which any client can wipe). ``submit`` answers from the run store when it can, joins a job
already queued or running for the same experiment, and otherwise submits a Dask task keyed
``train-<experiment key>``. Training runs in worker processes (:mod:`rnnlab.training.task`); this module never imports
TensorFlow.

Where jobs run: with no ``RNNLAB_SCHEDULER``, an embedded ``LocalCluster`` of spawned worker processes,
started on the first submit and closed at exit; with ``RNNLAB_SCHEDULER=tcp://host:port``, that cluster.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any, Mapping

from dataclasses import replace

import dask
from distributed import Client, Event, LocalCluster

from rnnlab.config import Experiment, env_int
from rnnlab.jobs import costs
from rnnlab.jobs.costs import Estimate, seconds_text
from rnnlab.store.runs import RunResult
from rnnlab.series import catalog
from rnnlab.store.runstore import RunStore
from rnnlab.training.fit import TrainingCancelled
from rnnlab.training.task import PROGRESS_TOPIC, cancel_event_name, train_task

log = logging.getLogger(__name__)

STATES = ("queued", "running", "done", "failed", "cancelled")
WORKER_DIED = ("the worker process running this training died (it ran out of memory or was killed), so the "
               "training stopped; the other jobs carry on. Try again, or use a smaller model or fewer series")


class JobError(Exception):
    """A submit or cancel that cannot be done; the message can be shown to the user as is."""


class JobRefused(JobError):
    """A submit refused by a limit (too many jobs for one owner, queue full)."""


# --------------------------------------------------------------------------------------------------
# Settings
# --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class JobSettings:
    """Job limits and cluster size, from the environment (documented in the README)."""

    scheduler: str | None = None
    workers: int = 0  # 0: one per core
    job_timeout: float = 900.0
    jobs_per_owner: int = 2
    queue_length: int = 200
    #: The longest training (estimated) one request may be; longer ones are refused before they start.
    max_job_seconds: int = 600
    #: Most trainings in one sweep (or set of repeats).
    sweep_jobs: int = 60
    #: Most estimated seconds of training one person may have queued or running in all.
    owner_seconds: int = 3600
    #: Measure this instance's workers for the cost estimates when the server starts (False: the shipped figures).
    calibrate: bool = True

    ENV = {
        "scheduler": "RNNLAB_SCHEDULER",
        "workers": "RNNLAB_WORKERS",
        "job_timeout": "RNNLAB_JOB_TIMEOUT",
        "jobs_per_owner": "RNNLAB_JOBS_PER_OWNER",
        "queue_length": "RNNLAB_QUEUE_LENGTH",
        "max_job_seconds": "RNNLAB_MAX_JOB_SECONDS",
        "sweep_jobs": "RNNLAB_MAX_SWEEP_JOBS",
        "owner_seconds": "RNNLAB_MAX_OWNER_SECONDS",
        "calibrate": "RNNLAB_CALIBRATE",
    }

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "JobSettings":
        """Read the settings; a bad value raises ValueError naming the variable and what is allowed."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        scheduler = (environ.get(cls.ENV["scheduler"]) or "").strip()
        if scheduler:
            if not scheduler.startswith(("tcp://", "tls://", "inproc://", "ws://", "wss://")):
                raise ValueError(f"RNNLAB_SCHEDULER={scheduler!r} must be a Dask address such as tcp://host:8786")
            values["scheduler"] = scheduler
        for name in ("workers", "jobs_per_owner", "queue_length", "max_job_seconds", "sweep_jobs", "owner_seconds"):
            value = env_int(environ, cls.ENV[name])
            if value is not None:
                values[name] = value
        raw = (environ.get(cls.ENV["calibrate"]) or "").strip().lower()
        if raw:
            if raw not in ("0", "1", "true", "false", "yes", "no"):
                raise ValueError(f"RNNLAB_CALIBRATE={raw!r} must be 1 (measure the workers at start) or 0 (use the "
                                 "shipped figures)")
            values["calibrate"] = raw in ("1", "true", "yes")
        raw = (environ.get(cls.ENV["job_timeout"]) or "").strip()
        if raw:
            try:
                timeout = float(raw)
            except ValueError:
                timeout = -1.0
            if not 1 <= timeout <= 7 * 24 * 3600:
                raise ValueError(f"RNNLAB_JOB_TIMEOUT={raw!r} must be a number of seconds between 1 and 604800")
            values["job_timeout"] = timeout
        return cls(**values)

    def worker_count(self) -> int:
        return self.workers or (os.cpu_count() or 1)


# --------------------------------------------------------------------------------------------------
# Jobs
# --------------------------------------------------------------------------------------------------
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
        #: Its place in the order jobs were handed to the workers (0 first; None while it waits in the queue).
        self.release_index: int | None = None
        self.submitted_at = time.time()
        self.started_at: float | None = None
        self.finished_at: float | None = None
        self.worker: str | None = None
        self.worker_pid: int | None = None
        #: When the training ran on its worker, by the worker's clock: (started, finished).
        self.worker_interval: tuple[float | None, float | None] = (None, None)
        self.error: str | None = None
        self.from_store = False
        self.history: list[dict[str, float]] = []
        self._state = state
        self._result: RunResult | None = None
        self._lock = threading.Lock()
        self._finished = threading.Event()
        self.future = None
        self.task_key: str | None = None

    # -- reading ----------------------------------------------------------------------------------------
    @property
    def state(self) -> str:
        """``queued``, ``running``, ``done``, ``failed`` or ``cancelled``."""
        return self._state

    @property
    def finished(self) -> bool:
        return self._state in ("done", "failed", "cancelled")

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
        """The finished run (None unless the job is done)."""
        return self._result

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the job finishes or ``timeout`` seconds pass; True if it finished."""
        return self._finished.wait(timeout)

    # -- updates (manager only) ---------------------------------------------------------------------------
    def _started(self, worker: str | None, pid: int | None) -> None:
        with self._lock:
            if self._state == "queued":
                self._state = "running"
                self.started_at = time.time()
            self.worker, self.worker_pid = worker, pid
            self.history = []

    def _epoch(self, row: dict[str, float]) -> None:
        with self._lock:
            if self._state == "queued":
                self._state, self.started_at = "running", time.time()
            if not any(h["epoch"] == row["epoch"] for h in self.history):
                self.history.append(row)

    def _finish(self, state: str, *, result: RunResult | None = None, error: str | None = None) -> None:
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


class JobManager:
    """Submits trainings to Dask and tracks them.

    Args:
        settings: limits and cluster settings (default: from the environment).
        store: the run store (default: ``RunStore()`` at ``RNNLAB_HOME``).
        scheduler: overrides ``settings.scheduler`` (``tcp://host:port``).
    """

    def __init__(self, settings: JobSettings | None = None, store: RunStore | None = None,
                 scheduler: str | None = None) -> None:
        self.settings = settings or JobSettings.from_env()
        if scheduler:
            self.settings = JobSettings(**{**self.settings.__dict__, "scheduler": scheduler})
        self.store = store or RunStore()
        self._jobs: dict[str, Job] = {}
        self._lock = threading.RLock()
        self._client = None
        self._cluster = None
        self._attempts: dict[str, int] = {}
        self._stats = {"started": 0, "completed": 0, "failed": 0, "cancelled": 0, "store_hits": 0, "joins": 0}
        self._pending: list[Job] = []  # queued here, in fair order (see _next)
        self._released: list[Job] = []  # handed to Dask, not finished
        self._release_count = 0
        self._holding = 0  # > 0 while a request is being withdrawn (see cancel_batch)
        self._calibration: tuple[dict[str, Any], bool] | None = None
        self._calibrating: list[Job] = []
        self._closed = False

    # -- the cluster -------------------------------------------------------------------------------------
    def _ensure_client(self):
        with self._lock:
            if self._client is not None:
                return self._client
            # A training whose worker dies fails at once with a clear message instead of being retried on
            # every worker in turn (the Dask default is 3 retries).
            dask.config.set({"distributed.scheduler.allowed-failures": 0})
            if self.settings.scheduler:
                self._client = Client(self.settings.scheduler, timeout="15s")
            else:
                n_workers = self.settings.worker_count()
                threads = max(1, (os.cpu_count() or 1) // n_workers)
                self._cluster = LocalCluster(
                    n_workers=n_workers, threads_per_worker=1, processes=True, dashboard_address=None,
                    host="127.0.0.1", silence_logs=logging.WARNING,
                    env={"RNNLAB_TF_THREADS": str(threads)},
                    preload=["rnnlab.training.warmup"],  # each worker imports the training stack as it starts
                )
                self._client = Client(self._cluster)
            self._client.subscribe_topic(PROGRESS_TOPIC, self._on_event)
            atexit.register(self.close)
            return self._client

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
        """Workers and jobs: ``{"workers", "running", "queued", "scheduler", "started"}``."""
        with self._lock:
            running = sum(j.state == "running" for j in self._jobs.values())
            queued = sum(j.state == "queued" for j in self._jobs.values())
        workers = 0
        if self._client is not None:
            try:
                workers = len(self._client.scheduler_info(n_workers=-1).get("workers", {}))
            except Exception:  # the cluster may be restarting; report what we know
                workers = 0
        return {"workers": workers, "running": running, "queued": queued, "started": self.started,
                "scheduler": self.settings.scheduler or "embedded LocalCluster"}

    def close(self) -> None:
        """Close the client and the embedded cluster (registered to run at exit)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            client, cluster = self._client, self._cluster
            self._client = self._cluster = None
        for closable in (client, cluster):
            if closable is not None:
                try:
                    closable.close()
                except Exception:  # closing at interpreter exit: nothing useful to do with an error
                    log.debug("error while closing %r", closable, exc_info=True)

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
        found: dict[int, Job] = {}
        with self._lock:
            for i, experiment in enumerate(experiments):
                job = self._jobs.get(experiment.key())
                if job is not None and not job.finished:
                    found[i] = self._join(job, owner)
                elif not fresh and job is not None and job.state == "done" and job.result() is not None:
                    job.owners.add(owner)
                    self._stats["store_hits"] += 1
                    found[i] = job
        stored = {i: None if fresh else self.store.get(e.key()) for i, e in enumerate(experiments) if i not in found}
        with self._lock:
            for i, result in stored.items():
                if result is not None:
                    done = Job(experiments[i], owner, state="queued")
                    done.from_store = True
                    done._finish("done", result=result)
                    self._stats["store_hits"] += 1
                    self._jobs[done.key] = found[i] = done
                elif (job := self._jobs.get(experiments[i].key())) is not None and not job.finished:
                    found[i] = self._join(job, owner)  # someone submitted it while we read the store
            new = [i for i in range(len(experiments)) if i not in found]
            if not new:
                return [found[i] for i in range(len(experiments))]
            estimates = {i: self.estimate(experiments[i]) for i in new}
            if not background:
                self._check_limits(owner, [estimates[i] for i in new], len(experiments))
            self._prune()
            try:  # a real series travels with its task: workers share no disk with the app
                series = {i: catalog.load(experiments[i].series.data) if experiments[i].series.real else None
                          for i in new}
            except ValueError as exc:
                raise JobError(str(exc)) from None
            request = experiments[new[0]].key() if len(new) == 1 else f"batch-{uuid.uuid4().hex[:12]}"
            for i in new:
                job = Job(experiments[i], owner)
                job.requests[owner] = request
                job.estimate, job.background, job.series = estimates[i], background, series[i]
                self._jobs[job.key] = found[i] = job
                self._pending.append(job)
        self._release()
        return [found[i] for i in range(len(experiments))]

    def estimate(self, experiment: Experiment) -> Estimate:
        """What ``experiment`` should cost on this instance (:mod:`rnnlab.jobs.costs`)."""
        coefficients, calibrated = self._coefficients()
        return costs.estimate(experiment, coefficients, calibrated)

    def _coefficients(self) -> tuple[dict[str, Any], bool]:
        if self._calibration is None or not self._calibration[1]:
            self._calibration = costs.load_coefficients()
        return self._calibration

    def budget_problem(self, estimates: list[Estimate], size: int | None = None) -> str | None:
        """Why a request of trainings with these estimates would be refused whoever asks (a training above the
        per-training budget, a sweep too large), or None: the pages say it before anyone presses a button."""
        settings = self.settings
        if estimates:
            worst = max(estimates, key=lambda e: e.total)
            if worst.total > settings.max_job_seconds:
                return (f"this training would take {worst.text()} on this instance ({seconds_text(worst.per_epoch)} "
                        f"per epoch): at most {seconds_text(settings.max_job_seconds)} per training "
                        "(RNNLAB_MAX_JOB_SECONDS). Try fewer series, epochs or units, or a shorter input")
        size = len(estimates) if size is None else size
        if size > settings.sweep_jobs:
            return (f"{size} trainings in one request: at most {settings.sweep_jobs} (RNNLAB_MAX_SWEEP_JOBS); "
                    "try fewer values or repeats, or a random sample of the grid")
        return None

    def _check_limits(self, owner: str, estimates: list[Estimate], size: int) -> None:
        """Refuse a new request that breaks a limit, with the estimate and the limit in the message."""
        settings = self.settings
        problem = self.budget_problem(estimates, size)
        if problem:
            raise JobRefused(problem)
        active = [j for j in self._jobs.values() if not j.finished]
        mine = [j for j in active if owner in j.owners]
        requests = {j.requests.get(owner, j.key) for j in mine}
        if len(requests) >= settings.jobs_per_owner:
            raise JobRefused(
                f"you already have {len(requests)} training(s) queued or running (at most "
                f"{settings.jobs_per_owner} per person): wait for one to finish or cancel it")
        queued = sum(j.estimate.total for j in mine if j.estimate is not None)
        asked = sum(e.total for e in estimates)
        if queued + asked > settings.owner_seconds:
            raise JobRefused(
                f"these {len(estimates)} training(s) would take {seconds_text(asked)} on this instance, and you "
                f"already have {seconds_text(queued)} queued or running: at most {seconds_text(settings.owner_seconds)} "
                "per person (RNNLAB_MAX_OWNER_SECONDS); try fewer values, repeats or epochs")
        if len(active) + len(estimates) > settings.queue_length:
            raise JobRefused(
                f"the training queue is full ({len(active)} jobs, at most {settings.queue_length}); "
                "please try again in a minute")

    # -- the fair queue ------------------------------------------------------------------------------------
    def _capacity(self, client) -> int:
        if self._cluster is not None:
            return self.settings.worker_count()
        try:
            return max(1, len(client.scheduler_info(n_workers=-1).get("workers", {})))
        except Exception:  # the scheduler is busy or restarting: keep one job moving
            return 1

    def _running(self, owner: str) -> int:
        return sum(1 for j in self._released if owner in j.owners)

    def _next(self) -> Job:
        """The queued job to run next: the person with the fewest trainings running first (a sweep never starves
        someone's single training), then the cheapest estimate, then the oldest; background jobs last."""
        return min(self._pending, key=lambda j: (j.background, min(self._running(o) for o in j.owners),
                                                 j.estimate.total if j.estimate else 0.0, j.submitted_at))

    def _release(self) -> None:
        """Hand queued jobs to Dask while a worker is free (Dask runs exactly what it is given)."""
        started = []
        with self._lock:
            self._released = [j for j in self._released if not j.finished]
            if not self._pending or self._holding:
                return
            try:
                client = self._ensure_client()
            except Exception as exc:
                for job in self._pending:
                    job._finish("failed", error=f"could not reach the training cluster: {exc}")
                    self._jobs.pop(job.key, None)
                self._pending.clear()
                raise JobError(f"could not reach the training cluster: {exc}") from exc
            capacity = self._capacity(client)
            while self._pending and len(self._released) < capacity:
                job = self._next()
                self._pending.remove(job)
                attempt = self._attempts.get(job.key, 0)
                self._attempts[job.key] = attempt + 1
                job.task_key = f"train-{job.key}" if attempt == 0 else f"train-{job.key}-retry{attempt}"
                job.future = client.submit(train_task, job.experiment.to_dict(), self.settings.job_timeout,
                                           cancel_event_name(job.task_key), job.series, key=job.task_key, pure=False)
                job.series = None
                job.release_index = self._release_count
                self._release_count += 1
                self._released.append(job)
                self._stats["started"] += 1
                started.append(job)
        for job in started:
            job.future.add_done_callback(lambda future, job=job: self._on_done(job, future))

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
            if job in self._pending:  # not handed to Dask yet: nothing to stop
                self._pending.remove(job)
                task_key = None
        if self._client is not None and task_key is not None:
            Event(cancel_event_name(task_key), client=self._client).set()
        if future is not None and job.state == "queued":
            future.cancel()
        job._finish("cancelled", error="cancelled")
        with self._lock:
            self._stats["cancelled"] += 1
        self._release()
        return True

    def cancel_batch(self, keys: list[str], owner: str) -> int:
        """Withdraw ``owner`` from every job of a request (a sweep); how many trainings stopped. The queued ones
        go first, so stopping a running one never hands the worker to another training of the same request."""
        with self._lock:
            waiting = {j.key for j in self._pending}
            self._holding += 1  # no job is handed to a worker until the whole request is withdrawn
        try:
            stopped = sum(self.cancel(key, owner) for key in sorted(keys, key=lambda k: k not in waiting))
        finally:
            with self._lock:
                self._holding -= 1
        self._release()
        return stopped

    def queue_position(self, job: Job) -> int | None:
        """How many queued jobs would run before ``job`` (None when it is not waiting in the queue)."""
        with self._lock:
            if job not in self._pending:
                return None
            pending, ahead = list(self._pending), 0
            while pending:
                nxt = min(pending, key=lambda j: (j.background, min(self._running(o) for o in j.owners),
                                                  j.estimate.total if j.estimate else 0.0, j.submitted_at))
                if nxt is job:
                    return ahead
                pending.remove(nxt)
                ahead += 1
            return None

    # -- calibration ---------------------------------------------------------------------------------------
    def calibrate(self, force: bool = False) -> list[Job]:
        """Measure this instance's workers for the cost estimates (in the background, if not done before, or
        again with ``force``): two short trainings per model family, fitted and kept once all have finished."""
        if costs.calibration_path().exists() and not force:
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
            costs.save(costs.fit(results))
            with self._lock:
                self._calibration = None  # read this instance's numbers from now on
        else:
            log.warning("calibration incomplete: %d of %d trainings failed", len(jobs) - len(results), len(jobs))

    def stats(self) -> dict[str, int]:
        """Counters: trainings ``started``, ``completed``, ``failed``, ``cancelled``; ``store_hits``; ``joins``."""
        with self._lock:
            return dict(self._stats)

    # -- events from the cluster ---------------------------------------------------------------------------
    def _on_event(self, event) -> None:
        _, msg = event
        job = self.get(msg.get("key", ""))
        if job is not None and msg.get("kind") == "finished":
            job.worker_interval = (job.worker_interval[0], msg.get("time"))
            return
        if job is None or job.finished:
            return
        if msg.get("kind") == "started":
            job._started(msg.get("worker"), msg.get("pid"))
            job.worker_interval = (msg.get("time"), None)
        elif msg.get("kind") == "epoch":
            job._epoch({k: msg[k] for k in ("epoch", "loss", "val_loss", "seconds")})

    def _on_done(self, job: Job, future) -> None:
        try:
            if future.cancelled():
                job._finish("cancelled", error="cancelled")
                return
            exc = future.exception()
            if exc is None:
                result = future.result()
                try:
                    self.store.put(result)
                except Exception as store_exc:  # a full disk must not lose the answer for those waiting
                    log.exception("could not store run %s", job.key[:12])
                    job.error = f"trained, but the result could not be stored: {store_exc}"
                job._finish("done", result=_without_model(result))
                with self._lock:
                    self._stats["completed"] += 1
                return
            if isinstance(exc, TrainingCancelled):
                job._finish("cancelled", error="cancelled")
                return
            message = WORKER_DIED if type(exc).__name__ == "KilledWorker" else str(exc) or type(exc).__name__
            job._finish("failed", error=message)
            with self._lock:
                self._stats["failed"] += 1
        except Exception as exc:  # never let a callback error leave a job hanging
            log.exception("job %s: error while collecting the result", job.key[:12])
            job._finish("failed", error=f"could not collect the result: {exc}")
            with self._lock:
                self._stats["failed"] += 1
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


def _without_model(result: RunResult) -> RunResult:
    """Keep finished results in memory without their model bytes (the store has them)."""
    return replace(result, model_bytes=None)


# --------------------------------------------------------------------------------------------------
# The process-wide manager
# --------------------------------------------------------------------------------------------------
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
