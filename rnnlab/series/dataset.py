"""An experiment's data as training, validation and test windows, with the targets of each forecast mode.

The chapter's synthetic series come from :func:`generate_time_series`: with its defaults it returns exactly
what the book's function returns after ``np.random.seed(42)``, bit for bit, without touching NumPy's global
random state. A real series (bundled or uploaded) is cut into windows by :mod:`rnnlab.series.windows`, scaled
by its training period; :meth:`Dataset.unscale` turns values back into the series' own units.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rnnlab.config import Experiment, SeriesSpec
from rnnlab.errors import FieldError
from rnnlab.forecasting import metrics
from rnnlab.series import catalog, scaling, windows
from rnnlab.series.prepare import PreparedSeries


def generate_time_series(
    batch_size: int,
    n_steps: int,
    *,
    seed: int | None = 42,
    wave1_amplitude: float = 0.5,
    wave1_freq: tuple[float, float] = (10.0, 20.0),
    wave2_amplitude: float = 0.2,
    wave2_freq: tuple[float, float] = (20.0, 40.0),
    noise: float = 0.1,
) -> np.ndarray:
    """Generate ``batch_size`` series of ``n_steps`` values: two sine waves plus uniform noise.

    Args:
        batch_size: number of series.
        n_steps: values per series, sampled at evenly spaced times in [0, 1].
        seed: seed of a private ``RandomState`` (the same stream as ``np.random.seed(seed)``); None draws
            fresh entropy.
        wave1_amplitude, wave2_amplitude: amplitudes of the two waves.
        wave1_freq, wave2_freq: ``(low, high)`` range of each wave's angular frequency.
        noise: total width of the uniform noise, centred on zero.

    Returns:
        float32 array of shape ``[batch_size, n_steps, 1]``.
    """
    rng = np.random.RandomState(seed)
    freq1, freq2, offsets1, offsets2 = rng.rand(4, batch_size, 1)
    time = np.linspace(0, 1, n_steps)
    # Same operations in the same order as the book, so the defaults reproduce it bit for bit.
    series = wave1_amplitude * np.sin((time - offsets1) * (freq1 * (wave1_freq[1] - wave1_freq[0]) + wave1_freq[0]))
    series += wave2_amplitude * np.sin((time - offsets2) * (freq2 * (wave2_freq[1] - wave2_freq[0]) + wave2_freq[0]))
    series += noise * (rng.rand(batch_size, n_steps) - 0.5)
    return series[..., np.newaxis].astype(np.float32)


def generate(spec: SeriesSpec) -> np.ndarray:
    """All series of ``spec``: shape ``[n_series, n_steps + horizon, 1]``, float32."""
    return generate_time_series(
        spec.n_series,
        spec.length,
        seed=spec.seed,
        wave1_amplitude=spec.wave1_amplitude,
        wave1_freq=(spec.wave1_freq_min, spec.wave1_freq_max),
        wave2_amplitude=spec.wave2_amplitude,
        wave2_freq=(spec.wave2_freq_min, spec.wave2_freq_max),
        noise=spec.noise,
    )


def seq2seq_targets(series: np.ndarray, n_steps: int, horizon: int) -> np.ndarray:
    """Sequence-to-sequence targets: ``Y[:, t, k - 1] = series[:, t + k, 0]`` for k = 1..horizon.

    Returns:
        float32 array ``[batch, n_steps, horizon]``.
    """
    if series.shape[1] < n_steps + horizon:
        raise ValueError(f"series of length {series.shape[1]} are too short for n_steps={n_steps} + horizon={horizon}")
    targets = np.empty((series.shape[0], n_steps, horizon), dtype=np.float32)
    for step_ahead in range(1, horizon + 1):
        targets[..., step_ahead - 1] = series[:, step_ahead : step_ahead + n_steps, 0]
    return targets


def naive_forecast(X: np.ndarray, horizon: int = 1) -> np.ndarray:
    """The naive forecast: the last input value, repeated ``horizon`` times. Shape ``[batch, horizon]``."""
    if X.ndim != 3 or X.shape[1] < 1:
        raise ValueError(f"inputs must have shape [batch, time, 1], got {X.shape}")
    return np.repeat(X[:, -1, :1], horizon, axis=1)


@dataclass(frozen=True)
class Split:
    """One split of the data: inputs, the values to forecast, and the targets the model is fitted on."""

    X: np.ndarray  #: inputs ``[n, n_steps, 1]``
    future: np.ndarray  #: the actual next values ``[n, horizon]``
    y: np.ndarray  #: fitting targets: ``[n, 1]``, ``[n, horizon]`` or ``[n, T, horizon]`` by mode

    def __len__(self) -> int:
        return len(self.X)


@dataclass(frozen=True)
class Dataset:
    """The train, validation and test splits of one experiment's data.

    On a real series the windows are scaled (by ``scaling``, :mod:`rnnlab.series.scaling`: ``mean`` and ``std`` of
    the training period for ``global``, a frame per window otherwise, kept in ``frames``) and the rest is set: the
    seasonal-naive forecast of each window in the series' own units, the in-sample seasonal-naive error that
    scales MASE (lag = the season), the index of each window's first target, and the last ``n_steps`` values to
    forecast past the end (``frames["last"]`` takes its forecast back).
    """

    train: Split
    valid: Split
    test: Split
    mean: float = 0.0
    std: float = 1.0
    series: PreparedSeries | None = None
    seasonal: dict[str, np.ndarray] | None = None
    mase_scale: float | None = None
    origins: dict[str, np.ndarray] | None = None
    last_window: np.ndarray | None = None
    scaling: str = "global"
    #: split (``train``, ``valid``, ``test``, ``last``) -> (offset, spread) of each window, for a per-window scaling
    frames: dict[str, tuple[np.ndarray, np.ndarray]] | None = None

    def unscale(self, values: np.ndarray, split: str | None = None) -> np.ndarray:
        """Forecasts or targets ``[n, horizon]`` of ``split``'s windows (``last``: the forecast past the end) on
        the network's scale, back in the series' own units (unchanged for the generated series). A global scaling
        needs no split."""
        if self.series is None:
            return values
        if self.scaling == "global":
            return np.asarray(values, dtype=np.float64) * self.std + self.mean
        if split is None:
            raise ValueError(f"a {self.scaling} scaling takes each window back by its own frame: name the split")
        offset, spread = self.frames[split]
        return scaling.invert(values, offset, spread, self.scaling)

    def actual(self, split: str) -> np.ndarray:
        """The values ``split``'s windows forecast, ``[n, horizon]``, in the series' own units."""
        return self.unscale(getattr(self, split).future, split)

    def inputs(self, split: str) -> np.ndarray:
        """``split``'s inputs ``[n, n_steps, 1]`` in the series' own units."""
        part = getattr(self, split)
        if self.series is None or self.scaling == "global":
            return self.unscale(part.X)
        n_steps = part.X.shape[1]
        starts = self.origins[split] - n_steps
        return windows.gather(self.series.filled(), starts, n_steps)[..., np.newaxis]

    def last_input(self, split: str) -> np.ndarray:
        """Each of ``split``'s windows' last input ``[n]``, in the series' own units."""
        if self.series is None or self.scaling == "global":
            return self.unscale(getattr(self, split).X[:, -1, 0])
        return self.series.filled()[self.origins[split] - 1]

    def naive(self, split: str, horizon: int) -> np.ndarray:
        """The naive forecast of ``split``'s windows (the last input, repeated), ``[n, horizon]``, in the series'
        own units."""
        return np.repeat(self.last_input(split)[:, None], horizon, axis=1)


def make_targets(series: np.ndarray, experiment: Experiment) -> np.ndarray:
    """The fitting targets of ``experiment``'s forecast mode for ``series`` (``[n, n_steps + horizon, 1]``)."""
    n_steps, horizon = experiment.series.n_steps, experiment.series.horizon
    mode = experiment.model.mode
    if mode in ("one_step", "iterative"):
        return series[:, n_steps, :1].copy()
    if mode == "seq2vec":
        return series[:, n_steps:, 0].copy()
    targets = seq2seq_targets(series, n_steps, horizon)
    steps = experiment.model.entry.output_steps(experiment)
    return targets if steps is None else targets[:, steps]


def split_bounds(spec: SeriesSpec) -> tuple[slice, slice, slice]:
    """Index ranges of the train, validation and test series (the book's [:7000], [7000:9000], [9000:])."""
    n_train, n_valid, _ = spec.split_sizes()
    return slice(0, n_train), slice(n_train, n_train + n_valid), slice(n_train + n_valid, spec.n_series)


def make_dataset(experiment: Experiment, series: np.ndarray | None = None) -> Dataset:
    """Generate (or take) the series of ``experiment`` and cut them into the three splits with targets; a real
    series is windowed by :func:`real_dataset`."""
    if experiment.series.real:
        return real_dataset(experiment, catalog.load(experiment.series.data))
    if series is None:
        series = generate(experiment.series)
    n_steps = experiment.series.n_steps
    targets = make_targets(series, experiment)
    splits = []
    for bounds in split_bounds(experiment.series):
        part = series[bounds]
        splits.append(Split(X=part[:, :n_steps], future=part[:, n_steps:, 0], y=targets[bounds]))
    return Dataset(*splits)


def _mase_scale(values: np.ndarray, observed: np.ndarray, train_end: int, season: int | None) -> float | None:
    """The seasonal MASE's scale (:func:`rnnlab.forecasting.metrics.seasonal_naive_scale`), or None when the
    training period has none (no pair of observed values a season apart, or a constant one): the run then has no
    MASE, and its other scores stand."""
    try:
        return metrics.seasonal_naive_scale(values, observed, train_end, season)
    except ValueError:
        return None


def real_dataset(experiment: Experiment, prepared: PreparedSeries) -> Dataset:
    """Windows of a real series (see :mod:`rnnlab.series.windows`): chronological periods, scaling fitted on the
    training period only, gaps filled causally, and no window whose targets were not all observed. A final model's
    training period is the whole series (scaling fitted on all of it) and its validation and test splits are
    empty."""
    spec = experiment.series
    n_steps, horizon = spec.n_steps, spec.horizon
    values, observed = prepared.filled(), prepared.observed
    final = bool(spec.final)
    windows.check(len(values), n_steps, horizon, spec.train_fraction, spec.valid_fraction, spec.folds, spec.fold,
                  series=prepared, final=final)
    where = windows.periods(len(values), spec.train_fraction, spec.valid_fraction, spec.folds, spec.fold,
                            final=final)
    seen = values[: where.train_end][observed[: where.train_end]]
    mean, std = float(seen.mean()), float(seen.std())
    if std == 0:
        raise FieldError("train_fraction", "the training period of this series is constant: there is nothing to "
                                           "learn from it; use a longer training period")
    kind = spec.scaling or "global"
    scaled = ((values - mean) / std).astype(np.float32)
    change = scaling.typical_change(values, observed, where.train_end)

    def framed(starts: np.ndarray, length: int) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray] | None]:
        """The windows from ``starts`` (their first input) on the network's scale, with their frame."""
        if kind == "global":
            return windows.gather(scaled, starts, length), None
        before = values[np.maximum(starts - 1, 0)]  # a window at the series' start: its first change is 0
        out = scaling.frame(windows.gather(values, starts, length), n_steps, kind, change=change, before=before)
        return out.values, (out.offset, out.spread)

    spans = {"train": (0, where.train_end), "valid": (where.train_end, where.valid_end),
             "test": (where.valid_end, where.test_end)}
    splits, seasonal, first_targets, frames = {}, {}, {}, {}
    for name, (lo, hi) in spans.items():
        starts = windows.origins(observed, lo, hi, n_steps, horizon)
        if name == "train":
            starts = starts[::-1][:: spec.stride or 1][::-1]
        win, frames[name] = framed(starts - n_steps, n_steps + horizon)
        win = win[..., np.newaxis]
        splits[name] = Split(X=win[:, :n_steps], future=win[:, n_steps:, 0], y=make_targets(win, experiment))
        seasonal[name] = windows.seasonal_naive(values, starts, horizon, spec.season or prepared.season)
        first_targets[name] = starts
    last, frames["last"] = framed(np.array([len(values) - n_steps]), n_steps)
    return Dataset(**splits, mean=mean, std=std, series=prepared, seasonal=seasonal,
                   mase_scale=_mase_scale(values, observed, where.train_end, spec.season or prepared.season),
                   origins=first_targets, last_window=last[..., np.newaxis], scaling=kind,
                   frames=None if kind == "global" else frames)
