"""From observations (times and values) to a regular series ready for windowing.

:func:`prepare` sorts the observations by time, finds the regular step (the grid most consecutive
observations sit one step apart on: hourly, daily, business days, weekly, monthly, quarterly, yearly) and
says how regular the series is. A series with gaps is put on its grid, the gaps becoming missing values; an
irregular one is put on the grid of its most common step, resampled to a coarser step, or taken in row order,
as the caller chooses. Duplicate timestamps are refused (with the lines where they are) or averaged.
Missing values are counted (how many, the longest gap) and filled causally when windows are made, never from
the future; a series with too much missing data is refused with how much.

The result, :class:`PreparedSeries`, is plain NumPy data with a content hash: equal series, equal hash.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from rnnlab.errors import SeriesError

#: The most missing data a series may have (share of its grid).
MAX_MISSING_SHARE = 0.2
#: Fewest observations a series must have, whatever the window.
MIN_POINTS = 20
#: Most steps a series may have on its grid (gaps included).
GRID_LIMIT = 1_000_000
#: What to do with an irregular series (or one whose grid the caller wants coarser).
IRREGULAR = ("grid", "resample", "rows")
DUPLICATES = ("refuse", "average")


@dataclass(frozen=True)
class Grid:
    """A regular time step: its pandas frequency, how it is said, and its default season."""

    freq: str
    words: str
    season: int


#: Candidate steps, finest first. ``season`` is the seasonal-naive default (a week of days, a year of months).
GRIDS = {
    "h": Grid("h", "hourly", 24),
    "D": Grid("D", "daily", 7),
    "B": Grid("B", "business-daily", 5),
    "W": Grid("W", "weekly", 52),
    "MS": Grid("MS", "monthly", 12),
    "QS": Grid("QS", "quarterly", 4),
    "YS": Grid("YS", "yearly", 1),
}
#: What a series may be resampled to, by its own step.
COARSER = {"h": ("D", "W", "MS"), "D": ("W", "MS"), "B": ("W", "MS"), "W": ("MS", "QS"), "MS": ("QS", "YS"),
           "QS": ("YS",), "YS": ()}


@dataclass(frozen=True)
class RawSeries:
    """Observations as read from a file: times (UTC, naive datetime64) or None for row order, values (float64,
    NaN where a value was left empty), and the file line of each observation (for messages)."""

    values: np.ndarray
    times: np.ndarray | None = None
    lines: np.ndarray | None = None
    name: str = ""
    unit: str = ""
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class PreparedSeries:
    """A regular series: one value per step of its grid (NaN where nothing was observed)."""

    values: np.ndarray  #: float64 [n]; NaN for a missing value
    times: np.ndarray | None  #: datetime64[s] [n] on the grid, or None when the series is in row order
    freq: str | None  #: the grid's pandas frequency (``MS``, ``W``, ...), None for row order
    step: str  #: the step in words (``monthly``, ``rows``)
    season: int  #: default season of the seasonal-naive forecast, in steps
    name: str = ""
    unit: str = ""
    #: What preparation found: points, regularity, duplicates, missing values, longest gap, notes.
    report: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.values)

    @property
    def observed(self) -> np.ndarray:
        """True where a value was observed (not missing)."""
        return ~np.isnan(self.values)

    def filled(self) -> np.ndarray:
        """The values with each gap filled by the last value before it (causal: never from the future)."""
        return pd.Series(self.values).ffill().to_numpy()

    def content_hash(self) -> str:
        """SHA-256 of the values (missing ones included), the time grid and its step."""
        digest = hashlib.sha256()
        digest.update(np.ascontiguousarray(self.values, dtype="<f8").tobytes())
        if self.times is not None:
            digest.update(np.ascontiguousarray(self.times.astype("datetime64[s]").astype("<i8")).tobytes())
        digest.update(str(self.freq).encode())
        return digest.hexdigest()

    def time_labels(self, index: np.ndarray | None = None) -> list[str]:
        """Timestamps as ISO text (dates when the step is a day or longer), or row numbers for row order."""
        positions = np.arange(len(self)) if index is None else np.asarray(index)
        if self.times is None:
            return [str(int(i)) for i in positions]
        unit = "h" if self.freq == "h" else "D"
        return [str(t) for t in np.datetime_as_string(self.times[positions], unit=unit)]

    def future_times(self, horizon: int) -> list[str]:
        """The ``horizon`` timestamps after the last one (row numbers for row order)."""
        if self.times is None:
            return [str(len(self) + k) for k in range(horizon)]
        last = pd.Timestamp(self.times[-1])
        following = pd.date_range(last, periods=horizon + 1, freq=self.freq)[1:]
        unit = "h" if self.freq == "h" else "D"
        return [str(t) for t in np.datetime_as_string(following.to_numpy().astype("datetime64[s]"), unit=unit)]


def _positions(times: pd.DatetimeIndex, freq: str) -> np.ndarray | None:
    """Each time's position on grid ``freq`` counted from the first, or None if the times are not on it."""
    t = times
    if freq == "h":
        offsets = (t - t[0]) / pd.Timedelta(hours=1)
    elif freq == "D":
        if (t != t.normalize()).any():
            return None
        offsets = (t - t[0]) / pd.Timedelta(days=1)
    elif freq == "B":
        if (t != t.normalize()).any() or (t.dayofweek >= 5).any():
            return None
        days = t.values.astype("datetime64[D]")
        offsets = np.busday_count(days[0], days).astype(float)
    elif freq == "W":
        if (t != t.normalize()).any():
            return None
        offsets = (t - t[0]) / pd.Timedelta(days=7)
    else:
        months = (t.year * 12 + t.month).to_numpy()
        span = {"MS": 1, "QS": 3, "YS": 12}[freq]
        offsets = (months - months[0]) / span
        if freq == "YS" and (t.month != t.month[0]).any():
            return None
    offsets = np.asarray(offsets, dtype=float)
    if not np.allclose(offsets, np.round(offsets)):
        return None
    return np.round(offsets).astype(np.int64)


def detect_grid(times: pd.DatetimeIndex) -> tuple[str | None, float]:
    """The grid most consecutive observations sit one step apart on, and the share that do (1.0: perfectly
    regular). ``(None, 0.0)`` when no grid fits at all."""
    best, best_share = None, 0.0
    for freq in GRIDS:
        positions = _positions(times, freq)
        if positions is None:
            continue
        steps = np.diff(positions)
        if len(steps) == 0 or (steps <= 0).any():
            continue
        share = float(np.mean(steps == 1))
        if share > best_share + 1e-12:
            best, best_share = freq, share
    return best, best_share


def _longest_run(mask: np.ndarray) -> int:
    longest = run = 0
    for missing in mask:
        run = run + 1 if missing else 0
        longest = max(longest, run)
    return longest


def _duplicates(raw: RawSeries, times: pd.DatetimeIndex) -> list[str]:
    dup = times.duplicated(keep=False)
    if not dup.any():
        return []
    lines = raw.lines if raw.lines is not None else np.arange(len(times)) + 1
    found = []
    for stamp in pd.unique(times[dup])[:3]:
        where = ", ".join(str(int(n)) for n in lines[np.asarray(times == stamp)][:4])
        found.append(f"{pd.Timestamp(stamp)} (lines {where})")
    return found


def prepare(raw: RawSeries, *, irregular: str = "grid", resample_to: str | None = None,
            duplicates: str = "refuse", season: int | None = None,
            max_missing: float = MAX_MISSING_SHARE) -> PreparedSeries:
    """Turn observations into a regular series (see the module docstring).

    Args:
        raw: the observations.
        irregular: ``grid`` (put the values on the grid of the most common step; gaps become missing),
            ``resample`` (average them over the coarser step ``resample_to``), or ``rows`` (ignore the times).
        resample_to: the coarser pandas frequency for ``resample`` (``W``, ``MS``, ``QS``, ``YS``, ``D``).
        duplicates: ``refuse`` a series with repeated timestamps (saying where) or ``average`` their values.
        season: the seasonal-naive season; by default the step's (7 for daily, 12 for monthly, ...).
        max_missing: the largest share of missing values accepted.

    Raises:
        SeriesError: too short, duplicates refused, too much missing, nothing regular about it.
    """
    if irregular not in IRREGULAR:
        raise SeriesError(f"irregular={irregular!r} is not one of: {', '.join(IRREGULAR)}")
    if duplicates not in DUPLICATES:
        raise SeriesError(f"duplicates={duplicates!r} is not one of: {', '.join(DUPLICATES)}")
    values = np.asarray(raw.values, dtype=np.float64)
    notes = list(raw.notes)
    observations = int((~np.isnan(values)).sum())
    if observations < MIN_POINTS:
        raise SeriesError(f"the series has {observations} point(s) with a value: at least {MIN_POINTS} are needed")
    report: dict[str, Any] = {"rows": int(len(values))}
    if raw.times is None or irregular == "rows":
        if raw.times is not None:
            notes.append("the times were left aside: the series is taken in row order")
        prepared_values, times, freq, step, default_season = values, None, None, "rows", 1
        report.update(regularity=1.0, duplicates=0)
    else:
        order = np.argsort(raw.times, kind="stable")
        ordered = RawSeries(values=values[order], times=raw.times[order],
                            lines=None if raw.lines is None else raw.lines[order])
        if not np.array_equal(order, np.arange(len(order))):
            notes.append("the rows were not in time order: they were sorted")
        times = pd.DatetimeIndex(ordered.times)
        found = _duplicates(ordered, times)
        report["duplicates"] = int(times.duplicated().sum())
        if found and duplicates == "refuse":
            raise SeriesError(f"{report['duplicates']} timestamp(s) appear more than once, e.g. {'; '.join(found)}: "
                              "remove them, or choose to average the values of a repeated time")
        frame = pd.Series(ordered.values, index=times).groupby(level=0).mean()  # averages duplicates
        if found:
            notes.append(f"{report['duplicates']} repeated timestamp(s) were averaged")
        freq, share = detect_grid(frame.index)
        report["regularity"] = round(share, 4)
        report["detected_step"] = GRIDS[freq].words if freq else "none"
        if irregular == "resample":
            if resample_to not in GRIDS:
                raise SeriesError(f"resample_to={resample_to!r}: choose one of {', '.join(GRIDS)}")
            freq = resample_to
            cells = frame.groupby(frame.index.to_period(_period(freq)).to_timestamp(how="start")).mean()
            grid_freq = "W-MON" if freq == "W" else freq
            full = pd.date_range(cells.index[0], cells.index[-1], freq=grid_freq)
            grid_values = cells.reindex(full).to_numpy(dtype=np.float64)
            notes.append(f"the values were averaged over each {GRIDS[freq].words} step")
        elif freq is None or share < 0.5:
            raise SeriesError(
                "the times follow no regular step (fewer than half of them are one hour, day, business day, "
                f"week, month, quarter or year apart; the best fit, {report['detected_step']}, covers "
                f"{share:.0%}): resample it to a coarser step, or take the rows in order")
        else:
            positions = _positions(frame.index, freq)
            n = int(positions[-1]) + 1
            if n > GRID_LIMIT:
                raise SeriesError(f"on its {GRIDS[freq].words} grid the series would have {n:,} steps, almost all "
                                  f"missing (at most {GRID_LIMIT:,}): resample it to a coarser step")
            grid_values = np.full(n, np.nan)
            grid_values[positions] = frame.to_numpy(dtype=np.float64)
            start = frame.index[0]
            if freq in ("MS", "QS", "YS"):
                start, grid_freq = start.to_period(_period(freq)).to_timestamp(how="start"), freq
            elif freq == "W":  # weeks keep the weekday of the first observation
                grid_freq = f"W-{start.day_name()[:3].upper()}"
            else:
                grid_freq = freq
            full = pd.date_range(start, periods=n, freq=grid_freq)
            if share < 1.0:
                notes.append(f"{share:.0%} of the observations are one {GRIDS[freq].words} step apart; the gaps "
                             "between the others are missing values")
        prepared_values = grid_values
        times = full.to_numpy().astype("datetime64[s]")
        freq, step, default_season = grid_freq, GRIDS[freq].words, GRIDS[freq].season
    missing = np.isnan(prepared_values)
    if missing.all():
        raise SeriesError("the series has no values at all")
    first = int(np.argmax(~missing))
    if first:
        notes.append(f"{first} missing value(s) before the first observation were left out")
        prepared_values, missing = prepared_values[first:], missing[first:]
        times = None if times is None else times[first:]
    last = len(prepared_values) - int(np.argmax(~missing[::-1]))
    prepared_values, missing = prepared_values[:last], missing[:last]
    times = None if times is None else times[:last]
    share_missing = float(missing.mean())
    report.update(points=int(len(prepared_values)), missing=int(missing.sum()), longest_gap=_longest_run(missing),
                  missing_share=round(share_missing, 4))
    if len(prepared_values) < MIN_POINTS:
        raise SeriesError(f"the series has {len(prepared_values)} point(s): at least {MIN_POINTS} are needed")
    if share_missing > max_missing:
        raise SeriesError(f"{missing.sum():,} of {len(prepared_values):,} values ({share_missing:.0%}) are missing "
                          f"(the longest gap is {report['longest_gap']:,} steps): at most {max_missing:.0%} may be")
    observed = prepared_values[~missing]
    if np.ptp(observed) == 0:
        raise SeriesError(f"every value is the same ({observed[0]:g}): there is nothing to forecast")
    report["notes"] = notes
    return PreparedSeries(values=prepared_values, times=times, freq=freq, step=step,
                          season=int(season or default_season), name=raw.name, unit=raw.unit, report=report)


def _period(freq: str) -> str:
    return {"h": "h", "D": "D", "B": "B", "W": "W", "MS": "M", "QS": "Q", "YS": "Y"}[freq]


