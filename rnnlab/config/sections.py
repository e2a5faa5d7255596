"""The three frozen sections of an experiment: which series (:class:`SeriesSpec`), which model
(:class:`ModelSpec`) and how to train it (:class:`TrainSpec`), each checked by the field table when built.

Every value is checked by its field (:data:`rnnlab.config.fields.FIELDS`) against the operator limits in force
(:func:`rnnlab.config.limits.limits`); a bad value raises :class:`~rnnlab.errors.FieldError` naming the field. A
value left as ``None`` takes the field's default (the book's, or the model's where its registry entry says so),
brought within the operator's limits. :mod:`rnnlab.config.specs` composes them into an ``Experiment``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rnnlab.config.fields import FIELDS, section_fields
from rnnlab.config.limits import Limits, limits
from rnnlab.errors import FieldError
from rnnlab.models.registry import ModelEntry, get_entry
from rnnlab.series import catalog

def fill(spec: Any, section: str, lim: Limits, entry: ModelEntry | None = None, mode: str | None = None,
          data: str | None = None) -> None:
    """Check every field of ``spec``; a field left at None takes its default within the limits. Fields a model
    or a data source does not use are stored as None, so they never change the experiment's key; so are the
    later fields without a default (a real series' season, a backtest's folds)."""
    for f in section_fields(section):
        if f.name in ("model", "mode", "data"):
            continue
        if (f.model_param and (entry is None or f.name not in entry.params)) or not f.applies_to(data):
            if f.refused and getattr(spec, f.attribute):  # asked for where it means nothing: say why
                raise FieldError(f.name, f.refused)
            object.__setattr__(spec, f.attribute, None)
            continue
        value = getattr(spec, f.attribute)
        if value is None:
            value = f.default_for(entry, mode, data)
            if value is None:
                continue
            value = f.clamp(value, lim)
        object.__setattr__(spec, f.attribute, f.check(value, lim))


#: The series fields that say how a network sees and starts on the windows, not which windows: a network with any
#: of them and the yardsticks forecast the same targets, and rank on one board.
NETWORK_SIDE = ("scaling", "start")


@dataclass(frozen=True)
class SeriesSpec:
    """Which series, how it is split and windowed (defaults: the book's generated series).

    ``data`` is ``generated`` (the book's sine waves, below), a bundled real series or an uploaded one (see
    :mod:`rnnlab.series.catalog`); the generator's fields are None on a real series, and a real series' own
    (``season``, a backtest's ``folds`` and ``fold``, ``final``) are None on the generated one. ``final`` True
    makes the data of a final model: every window of the whole series, with no validation or test period.

    Each generated series is ``wave1_amplitude * sin((t - o1) * f1) + wave2_amplitude * sin((t - o2) * f2)`` plus
    uniform noise of total width ``noise``, with ``t`` in [0, 1], offsets ``o`` uniform in [0, 1) and
    frequencies ``f`` uniform in ``[freq_min, freq_max)``. A series has ``n_steps + horizon`` values: the
    first ``n_steps`` are the model's input, the last ``horizon`` are to be forecast.
    """

    data: str | None = None
    n_series: int | None = None
    n_steps: int | None = None
    horizon: int | None = None
    seed: int | None = None
    wave1_amplitude: float | None = None
    wave1_freq_min: float | None = None
    wave1_freq_max: float | None = None
    wave2_amplitude: float | None = None
    wave2_freq_min: float | None = None
    wave2_freq_max: float | None = None
    noise: float | None = None
    train_fraction: float | None = None
    valid_fraction: float | None = None
    stride: int | None = None
    season: int | None = None
    #: How the windows are scaled (:mod:`rnnlab.series.scaling`); None (the generated series) is global.
    scaling: str | None = None
    #: Where a network starts (``zero``: its zero output, kept unless training beats it on validation); None (the
    #: generated series) is Keras' random weights.
    start: str | None = None
    folds: int | None = None
    fold: int | None = None
    #: True: the final model's data, every window of the whole series (no validation or test period).
    final: bool | None = None

    def __post_init__(self) -> None:
        lim = limits()
        object.__setattr__(self, "data", FIELDS["data"].check(self.data or catalog.GENERATED, lim))
        fill(self, "series", lim, data=self.data)
        if not self.real:
            self._check_waves()
        elif (self.folds is None) != (self.fold is None):
            raise FieldError("fold", "a backtest fold needs both folds (how many) and fold (which one)")
        elif self.folds is not None and self.fold > self.folds:
            raise FieldError("fold", f"fold={self.fold} is past the last of folds={self.folds}: allowed 1 to "
                                     f"{self.folds}")
        elif self.final and self.folds is not None:
            raise FieldError("final", "final=1 trains on all of the series to forecast past its end, while a "
                                      "backtest fold trains on what comes before its origin and is scored on what "
                                      "follows: ask for one or the other, not both")
        together = self.train_fraction + self.valid_fraction
        if together > 0.95 + 1e-9:
            raise FieldError("valid_fraction", f"train_fraction + valid_fraction = {together:g} leaves "
                                               f"{max(1 - together, 0):.2f} for the test set: allowed at most 0.95 "
                                               "together")
        if not self.real:
            for name, size in zip(("train", "valid", "test"), self.split_sizes()):
                if size < 10:
                    raise FieldError("n_series", f"the {name} split has only {size} series "
                                                 f"(n_series={self.n_series}); it needs at least 10")

    @property
    def real(self) -> bool:
        """True for a bundled or uploaded series, False for the book's generated ones."""
        return catalog.is_real(self.data)

    def _check_waves(self) -> None:
        for wave in ("wave1", "wave2"):
            low, high = getattr(self, f"{wave}_freq_min"), getattr(self, f"{wave}_freq_max")
            if high < low:
                raise FieldError(f"{wave}_freq_max", f"{wave}_freq_max={high:g} is below {wave}_freq_min={low:g}: "
                                                     "the maximum must be at least the minimum")

    def split_sizes(self) -> tuple[int, int, int]:
        """Number of series in the train, validation and test splits (the book's 7000 / 2000 / 1000)."""
        n_train = int(round(self.n_series * self.train_fraction))
        n_valid = int(round(self.n_series * self.valid_fraction))
        return n_train, n_valid, self.n_series - n_train - n_valid

    @property
    def length(self) -> int:
        """Values per generated series: inputs plus the values to forecast."""
        return self.n_steps + self.horizon


@dataclass(frozen=True)
class ModelSpec:
    """Which registry model to train, how it forecasts, and its hyperparameters.

    ``mode`` defaults to the model's book mode. Hyperparameters a model does not use are stored as ``None``.
    """

    name: str | None = None
    mode: str | None = None
    units: int | None = None
    layers: int | None = None
    filters: int | None = None
    kernel_size: int | None = None
    strides: int | None = None
    dilations: tuple[int, ...] | None = None

    def __post_init__(self) -> None:
        lim = limits()
        name = FIELDS["model"].check(self.name if self.name is not None else FIELDS["model"].default, lim)
        entry = get_entry(name)
        mode = FIELDS["mode"].check(self.mode if self.mode is not None else entry.book_mode, lim)
        if mode not in entry.modes:
            raise FieldError("mode", f"mode={mode!r} is not available for model {name!r}: allowed "
                                     f"{', '.join(entry.modes)}")
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "mode", mode)
        fill(self, "model", lim, entry, mode)

    @property
    def entry(self) -> ModelEntry:
        """The model's registry entry."""
        return get_entry(self.name)


@dataclass(frozen=True)
class TrainSpec:
    """How the model is fitted (defaults: the book's 20 epochs, batch 32, Adam at 1e-3, seed 42)."""

    epochs: int | None = None
    batch_size: int | None = None
    optimizer: str | None = None
    learning_rate: float | None = None
    seed: int | None = None

    def __post_init__(self) -> None:
        lim = limits()
        for f in section_fields("train"):
            value = getattr(self, f.attribute)
            if value is None:
                value = f.clamp(f.default_for(), lim)
            object.__setattr__(self, f.attribute, f.check(value, lim))


SPECS = {"series": SeriesSpec, "model": ModelSpec, "train": TrainSpec}
