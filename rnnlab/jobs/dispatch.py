"""The job manager's Dask side: the client and its cluster, handing queued jobs to free workers in fair order,
and collecting what comes back. :class:`~rnnlab.jobs.manager.JobManager` builds the requests (store, joins,
limits, cancelling, calibration) on top of it; this module never imports TensorFlow.

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
from typing import Any, Mapping

from distributed import KilledWorker

from rnnlab.config.limits import JobSettings
from rnnlab.jobs.connection import close_quietly, connect, connected, lost_connection, lost_message
from rnnlab.jobs.job import Job, JobError
from rnnlab.jobs.policy import FairQueue
from rnnlab.jobs.pricing import Pricing
from rnnlab.store.runs import RunResult
from rnnlab.store.runstore import RunStore, StoreWriteFailed
from rnnlab.training.fit import TrainingCancelled
from rnnlab.training.task import PROGRESS_TOPIC, cancel_event_name, train_task

log = logging.getLogger(__name__)

WORKER_DIED = ("the worker process running this training died (it ran out of memory or was killed), so the "
               "training stopped; the other jobs carry on. Try again, or use a smaller model or fewer series")


class Dispatcher:
    """The jobs, their fair queue and the Dask client they are handed to (see the module docstring).

    Args:
        settings: limits and cluster settings.
        store: the run store a finished training is kept in.
        client: a Dask client to hand the trainings to instead of reaching ``settings.scheduler`` or starting
            an embedded cluster (closing leaves it open).
        worker_env: environment variables for the embedded cluster's workers on top of this process's.
    """

    def __init__(self, settings: JobSettings, store: RunStore, *, client: Any = None,
                 worker_env: Mapping[str, str] | None = None) -> None:
        self._queue = FairQueue(settings)
        self.store = store
        self.pricing = Pricing(store.root)
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
        self._holding = 0  # > 0 while a request is being withdrawn (see JobManager.cancel_batch)
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
        job.cancel_event = cancel_event_name(job.task_key)
        job.future = client.submit(train_task, job.experiment.to_dict(), self.settings.job_timeout,
                                   job.cancel_event, job.series, key=job.task_key, pure=False)
        job.series = None
        self._stats["started"] += 1
        return job

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
                self._after_job()
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

    def _after_job(self) -> None:
        """Called after each finished job has been collected and the next one handed over (JobManager: the
        calibration)."""

    def _count(self, name: str) -> None:
        with self._lock:
            self._stats[name] += 1



def _without_model(result: RunResult) -> RunResult:
    """Keep finished results in memory without their model bytes (the store has them)."""
    return dataclasses.replace(result, model_bytes=None)
