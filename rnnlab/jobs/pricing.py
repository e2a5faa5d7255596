"""What trainings cost on one instance: its calibrated figures and the shapes its workers have compiled.

The job manager (:mod:`rnnlab.jobs.manager`) keeps one :class:`Pricing` beside its run store. It prices every
request (:meth:`Pricing.estimates`: a shape is charged its compilation once, and not at all when the workers
have compiled it, :func:`rnnlab.jobs.costs.compiled_shape`), learns the shapes of finished trainings, and keeps
the figures of a finished calibration. Plain Python: no Dask.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Iterable

from rnnlab.config import Experiment
from rnnlab.jobs import costs
from rnnlab.jobs.costs import Estimate


class Pricing:
    """The cost figures of the instance whose run store is at ``home``, and the shapes compiled there."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self._figures: tuple[dict[str, Any], bool] | None = None
        #: The shapes trained here: their compilation is in the workers' cache.
        self._compiled: set[str] = set()
        self._lock = threading.Lock()

    def path(self) -> Path:
        """Where this instance keeps its calibration: beside its run store."""
        return costs.calibration_path(home=self.home)

    def figures(self) -> tuple[dict[str, Any], bool]:
        """The per-family figures and whether they were measured here (re-read until they are)."""
        with self._lock:
            if self._figures is None or not self._figures[1]:
                self._figures = costs.load_coefficients(home=self.home)
            return self._figures

    def estimates(self, experiments: list[Experiment], active: Iterable[Experiment] = ()) -> list[Estimate]:
        """What each of ``experiments`` should cost, as one request: a shape is charged its compilation once, and
        not at all when it has been trained here or one of ``active`` (queued or running) has it."""
        coefficients, calibrated = self.figures()
        with self._lock:
            seen = set(self._compiled)
        seen |= {costs.compiled_shape(e) for e in active}
        out = []
        for experiment in experiments:
            shape = costs.compiled_shape(experiment)
            out.append(costs.estimate(experiment, coefficients, calibrated, compiled=shape in seen))
            seen.add(shape)
        return out

    def trained(self, experiment: Experiment) -> None:
        """``experiment`` finished on a worker: its shape is compiled now."""
        with self._lock:
            self._compiled.add(costs.compiled_shape(experiment))

    def calibrated(self, results: list[Any]) -> Path:
        """Fit and keep the figures of a finished calibration (its trainings' ``results``); they are used from
        now on."""
        path = costs.save(costs.fit(results), path=self.path())
        with self._lock:
            self._figures = None
        return path
