"""The job manager's line to Dask: making the client (of ``RNNLAB_SCHEDULER`` or of an embedded cluster), telling
whether it is still connected, and telling a task Dask cancelled because its scheduler went away from one someone
cancelled.

What Dask does when a scheduler goes away (distributed 2026.8): the client's report stream breaks, the client
cancels every one of its futures (``FutureCancelledError``, reason ``scheduler-connection-lost``), tries to
reconnect for its ``timeout`` and then closes itself; the workers close themselves too. A new scheduler at the
same address knows nothing of the old tasks. So the job manager fails the jobs, drops the client and makes a new
one at the next submit (:mod:`rnnlab.jobs.dispatch`).
"""

from __future__ import annotations

import logging
import os
from typing import Any, Mapping

import dask
from distributed import Client, Future, LocalCluster
from distributed.client import FutureCancelledError

from rnnlab.config.limits import JobSettings

log = logging.getLogger(__name__)

#: How long connecting to ``RNNLAB_SCHEDULER`` may take before a submit says the cluster cannot be reached (Dask
#: also keeps trying to reconnect a client that lost its scheduler for this long before closing it).
CONNECT_TIMEOUT = "15s"
#: Why Dask cancels a client's tasks when its connection to the scheduler breaks.
CONNECTION_LOST = "scheduler-connection-lost"


def connect(settings: JobSettings, worker_env: Mapping[str, str]) -> tuple[Client, LocalCluster | None]:
    """A client of ``settings.scheduler``, or of a new embedded cluster (returned too, to be closed with it) whose
    workers get ``worker_env`` on top of this process's environment.

    Raises:
        OSError: the scheduler did not answer within ``CONNECT_TIMEOUT``.
    """
    # A training whose worker dies fails at once with a clear message instead of being retried on every
    # worker in turn (the Dask default is 3 retries).
    dask.config.set({"distributed.scheduler.allowed-failures": 0})
    if settings.scheduler:
        return Client(settings.scheduler, timeout=CONNECT_TIMEOUT), None
    n_workers = settings.worker_count()
    threads = max(1, (os.cpu_count() or 1) // n_workers)
    cluster = LocalCluster(
        n_workers=n_workers, threads_per_worker=1, processes=True, dashboard_address=None,
        host="127.0.0.1", silence_logs=logging.WARNING,
        env={"RNNLAB_TF_THREADS": str(threads), **worker_env},
        preload=["rnnlab.training.warmup"],  # each worker imports the training stack as it starts
    )
    return Client(cluster), cluster


def connected(client: Any) -> bool:
    """True while ``client`` is connected to its scheduler (a client that lost it is reconnecting, or closed)."""
    return getattr(client, "status", "running") == "running"


def lost_connection(future: Any) -> bool:
    """True when Dask cancelled ``future`` because its client lost the scheduler, not because someone cancelled it."""
    if not isinstance(future, Future):
        return False
    if not connected(future.client):
        return True
    try:  # the client may have reconnected already: the cancellation's reason tells
        future.result(timeout=5)
    except FutureCancelledError as exc:
        return exc.reason == CONNECTION_LOST
    except Exception:  # noqa: BLE001 - any other outcome is not a lost connection
        return False
    return False


def lost_message(where: str, why: str) -> str:
    """What a job that the cluster ``where`` ("at tcp://…") dropped, because ``why``, tells the person waiting."""
    return f"the training cluster {where} went away: {why.rstrip('. ')}; press Train again once it is back"


def close_quietly(*closables: Any) -> None:
    """Close each of ``closables`` that is not None (a client, a cluster); errors are logged, not raised."""
    for closable in closables:
        if closable is not None:
            try:
                closable.close()
            except Exception:  # a client that lost its scheduler, or interpreter exit: nothing more to do
                log.debug("error while closing %r", closable, exc_info=True)
