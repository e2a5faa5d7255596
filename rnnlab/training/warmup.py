"""Warm a Dask worker as it starts: set up the Keras backend and import what a training needs, before the first
job arrives (importing Keras, JAX and TensorFlow takes seconds a student would otherwise wait through).

The embedded cluster loads it in every worker (``rnnlab.jobs.connection``); on a real cluster start each worker with
``dask worker ... --preload rnnlab.training.warmup``.
"""

from __future__ import annotations

import logging
import time

log = logging.getLogger(__name__)


def warm() -> float:
    """Configure the backend and import the training stack; the seconds it took."""
    started = time.perf_counter()
    from rnnlab.training import backend  # this module runs in workers only

    backend.configure()  # before anything imports Keras
    from rnnlab.models import cells  # noqa: F401  (as above)
    from rnnlab.training import fit  # noqa: F401  (as above)

    return time.perf_counter() - started


def dask_setup(worker) -> None:
    """Dask's preload hook: warm this worker."""
    seconds = warm()
    log.info("rnnlab: worker %s warmed in %.1f s", getattr(worker, "address", "?"), seconds)
