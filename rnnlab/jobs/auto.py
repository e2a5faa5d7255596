"""Find a good model for a real series: a budgeted search, chosen on validation (``python -m rnnlab auto``).

The search is an ordinary sweep (:mod:`rnnlab.jobs.sweeps`) around the experiment a user would train: over the
scaling (every choice the forecast mode allows; for a network that starts from zero, the default on a real series,
only the scalings whose zero output is the naive forecast, first differences and relative: each configuration then
either beats the naive forecast on validation by more than chance or keeps it, see
:func:`rnnlab.training.fit.start_at_zero`, where a globally or per-window scaled network starts from the mean and can
be chosen for a gain on validation that is only noise, as on a share price), the input length (the rules of
:data:`rnnlab.series.windows.INPUT_RULES`, measured in docs/scalings.md) and, for a model with units, its size
(the default and twice it), each configuration trained with a few seeds. Every training is a stored run keyed like
any other, so a second search is answered from the store, and the trainings go through the same fair queue and
limits as a sweep. The best configuration is the one with the lowest mean validation MSE over its seeds; the test
error is reported beside it and chooses nothing. Plain Python: no Keras, no Dask.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from rnnlab.config import Experiment, limits
from rnnlab.config.fields import FIELDS
from rnnlab.config.specs import real_input
from rnnlab.errors import FieldError
from rnnlab.jobs import sweeps
from rnnlab.series import catalog, scaling, windows

#: Seeds per configuration, and most configurations tried per model (a random sample of the grid beyond it).
SEEDS = 2
CONFIGURATIONS = 12
#: The networks ``auto all`` searches.
MODELS = ("linear", "gru", "lstm")


def grid(base: Experiment) -> dict[str, tuple[Any, ...]]:
    """The values searched around ``base`` (a network on a real series): scalings, input lengths, sizes."""
    if not base.series.real:
        raise FieldError("data", "the search is for a real series (--dataset NAME or --data FILE.csv): the "
                                 "generated series has the book's settings to reproduce")
    if not base.model.entry.trainable:
        raise FieldError("model", f"{base.model.entry.display_name} trains nothing: there is nothing to search")
    kinds = tuple(k for k in scaling.SCALINGS
                  if base.model.mode != "iterative" or k not in ("relative", "window"))  # as Experiment refuses
    if base.series.start == "zero":  # only where a network starts from the naive forecast (module docstring)
        kinds = tuple(k for k in kinds if k in scaling.NAIVE_AT_ZERO)
    info, s = catalog.info(base.series.data), base.series
    lengths = sorted({real_input(info, s.horizon, s.train_fraction, rule) for rule in windows.INPUT_RULES})
    out: dict[str, tuple[Any, ...]] = {"scaling": kinds, "n_steps": tuple(lengths)}
    if "units" in base.model.entry.params:
        units = base.model.units
        out["units"] = tuple(dict.fromkeys((units, FIELDS["units"].clamp(2 * units, limits()))))
    return out


def search(base: Experiment, *, seeds: int = SEEDS, configurations: int = CONFIGURATIONS) -> sweeps.Sweep:
    """The search around ``base`` as a sweep: :func:`grid`, ``seeds`` seeds per configuration, and a random (but
    fixed for the same search) sample of ``configurations`` of them when the grid holds more."""
    values = grid(base)
    size = 1
    for v in values.values():
        size *= len(v)
    return sweeps.Sweep.make(base, values, repeats=seeds, sample=configurations if size > configurations else 0)


@dataclass(frozen=True)
class Found:
    """A search's outcome: every configuration's row (:func:`rnnlab.jobs.sweeps.cell_rows`) and the best one."""

    model: str
    sweep: sweeps.Sweep
    rows: list[Mapping[str, Any]]
    best: Mapping[str, Any] | None


def found(sweep: sweeps.Sweep, results: Mapping[str, Any]) -> Found:
    """The rows of ``sweep`` from ``results`` (experiment key -> finished run) and the best on validation."""
    rows = sweeps.cell_rows(sweep, results)
    return Found(sweep.base.model.name, sweep, rows, sweeps.best_row(rows))


def best_of(searches: Sequence[Found]) -> Found | None:
    """The search whose best configuration has the lowest mean validation MSE (``auto all``)."""
    done = [s for s in searches if s.best is not None]
    return min(done, key=lambda s: s.best["valid"].mean) if done else None
