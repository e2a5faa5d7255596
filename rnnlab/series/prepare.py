"""From observations (times and values) to a regular series ready for windowing.

:func:`prepare` sorts the observations by time, finds the regular step (the grid most consecutive
observations sit one step apart on: half-hourly, hourly, daily, business days, weekly, monthly, quarterly,
yearly) and says how regular the series is; the grid keeps the series' own anchoring (month ends, fiscal
quarters, the minutes of an hour). A series with gaps is put on its grid, the gaps becoming missing values; an
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
from rnnlab.series.grids import DUPLICATES, GRIDS, IRREGULAR

#: The most missing data a series may have (share of its grid).
MAX_MISSING_SHARE = 0.2
#: Fewest observations a series must have, whatever the window.
MIN_POINTS = 20
#: Most steps a series may have on its grid (gaps included).
GRID_LIMIT = 1_000_000
#: Grids counted in calendar months (months per step); their anchoring is kept (see :func:`_anchor`).
CALENDAR = {"MS": 1, "QS": 3, "YS": 12}
#: One step of each grid, to find the grid's point before or after a time (a month is a month, not 30 days).
STEPS = {"30min": pd.Timedelta(minutes=30), "h": pd.Timedelta(hours=1), "D": pd.Timedelta(days=1),
         "B": pd.offsets.BDay(1), "W": pd.Timedelta(weeks=1), "MS": pd.DateOffset(months=1),
         "QS": pd.DateOffset(months=3), "YS": pd.DateOffset(years=1)}
#: Grids whose step is shorter than a day: their times are shown to the minute.
SUB_DAILY = ("30min", "h")
MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
#: What a series may be resampled to, by its own step: only longer steps (see :func:`resample_choices`).
COARSER = {"30min": ("h", "D", "W"), "h": ("D", "W", "MS"), "D": ("W", "MS"), "B": ("W", "MS"), "W": ("MS", "QS"),
           "MS": ("QS", "YS"), "QS": ("YS",), "YS": ()}


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
        """Timestamps as ISO text (dates when the step is a day or longer, else to the minute), or row numbers
        for row order."""
        positions = np.arange(len(self)) if index is None else np.asarray(index)
        if self.times is None:
            return [str(int(i)) for i in positions]
        return _labels(self.times[positions], self.freq)

    def future_times(self, horizon: int) -> list[str]:
        """The ``horizon`` timestamps after the last one, on the series' own grid (a month-end series goes on
        with month ends, a fiscal quarter with its months); row numbers for row order."""
        if self.times is None:
            return [str(len(self) + k) for k in range(horizon)]
        following = pd.date_range(pd.Timestamp(self.times[-1]), periods=horizon + 1, freq=self.freq)[1:]
        return _labels(following.to_numpy().astype("datetime64[s]"), self.freq)


def _labels(times: np.ndarray, freq: str | None) -> list[str]:
    if freq in SUB_DAILY:
        unit = "s" if (times.astype("datetime64[s]").astype(np.int64) % 60).any() else "m"
    else:
        unit = "D"
    return [str(t) for t in np.datetime_as_string(times, unit=unit)]


def _positions(times: pd.DatetimeIndex, freq: str) -> np.ndarray | None:
    """Each time's position on grid ``freq`` counted from the first, or None if the times are not on it."""
    t = times
    if freq in CALENDAR:
        if freq == "YS" and (t.month != t.month[0]).any():
            return None
        months = (t.year * 12 + t.month).to_numpy()
        offsets = (months - months[0]) / CALENDAR[freq]
    elif freq == "B":
        if (t != t.normalize()).any() or (t.dayofweek >= 5).any():
            return None
        days = t.values.astype("datetime64[D]")
        offsets = np.busday_count(days[0], days).astype(float)
    else:
        if freq not in SUB_DAILY and (t != t.normalize()).any():
            return None
        offsets = (t - t[0]) / STEPS[freq]
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


def resample_choices(raw: RawSeries) -> tuple[str, ...]:
    """The steps the observations may be averaged over: the ones coarser than their own step (:data:`COARSER`),
    or every grid when they have no times or follow no grid at all."""
    if raw.times is None:
        return tuple(GRIDS)
    own, _ = detect_grid(pd.DatetimeIndex(raw.times).sort_values().unique())
    return COARSER[own] if own is not None else tuple(GRIDS)


def _anchor(times: pd.DatetimeIndex, freq: str) -> tuple[pd.Timestamp, str, str | None]:
    """Where grid ``freq`` of ``times`` starts and its pandas frequency, keeping the series' own anchoring:
    month ends stay month ends, quarters and years keep their months (a fiscal year's too), weeks their
    weekday, hours and half hours their minutes. Dates on no common day of the month are labelled by the first
    of their month, with a note saying so (the third item, else None)."""
    start = times[0]
    if freq == "W":
        return start, f"W-{start.day_name()[:3].upper()}", None
    if freq not in CALENDAR:
        return start, freq, None
    whole_days = bool((times == times.normalize()).all())
    if whole_days and times.is_month_end.all():
        ends = {"MS": "ME", "QS": f"QE-{MONTHS[9 + (start.month - 1) % 3]}", "YS": f"YE-{MONTHS[start.month - 1]}"}
        return start, ends[freq], None
    # Starts of January keep the names they always had (MS, QS, YS): stored uploads keep their ids.
    starts = {"MS": "MS", "QS": "QS" if start.month % 3 == 1 else f"QS-{MONTHS[(start.month - 1) % 3]}",
              "YS": "YS" if start.month == 1 else f"YS-{MONTHS[start.month - 1]}"}
    note = None
    if not (whole_days and (times.day == 1).all()):
        note = (f"the dates are neither all the first nor all the last day of their month: each {GRIDS[freq].words} "
                "value is labelled by the first day of its month")
    return start.to_period("M").to_timestamp(), starts[freq], note


def _on_grid(frame: pd.Series, freq: str, share: float, notes: list[str]) -> tuple[np.ndarray, pd.DatetimeIndex, str]:
    """The observations of ``frame`` on its grid ``freq`` (gaps as NaN), the grid's times and pandas frequency."""
    positions = _positions(frame.index, freq)
    n = int(positions[-1]) + 1
    if n > GRID_LIMIT:
        raise SeriesError(f"on its {GRIDS[freq].words} grid the series would have {n:,} steps, almost all "
                          f"missing (at most {GRID_LIMIT:,}): resample it to a coarser step")
    values = np.full(n, np.nan)
    values[positions] = frame.to_numpy(dtype=np.float64)
    start, grid_freq, note = _anchor(frame.index, freq)
    if note:
        notes.append(note)
    if share < 1.0:
        notes.append(f"{share:.0%} of the observations are one {GRIDS[freq].words} step apart; the gaps "
                     "between the others are missing values")
    return values, pd.date_range(start, periods=n, freq=grid_freq), grid_freq


def _resample(frame: pd.Series, target: str, source: str | None,
              notes: list[str]) -> tuple[np.ndarray, pd.DatetimeIndex, str]:
    """The mean of ``frame`` over each step of ``target``, the steps' start times and pandas frequency. When the
    observations sit on a grid (``source``), a first or last step that grid covers only in part is left out."""
    grid_freq = "W-MON" if target == "W" else target
    if target in SUB_DAILY:
        starts = frame.index.floor(target)
    else:
        starts = frame.index.to_period(_period(target)).to_timestamp(how="start")
    cells = frame.groupby(starts).mean()
    if source is not None:
        cells = _whole_steps(cells, frame.index, source, target, grid_freq, notes)
    full = pd.date_range(cells.index[0], cells.index[-1], freq=grid_freq)
    notes.append(f"the values were averaged over each {GRIDS[target].words} step")
    return cells.reindex(full).to_numpy(dtype=np.float64), full, grid_freq


def _whole_steps(cells: pd.Series, times: pd.DatetimeIndex, source: str, target: str, grid_freq: str,
                 notes: list[str]) -> pd.Series:
    """``cells`` (means per ``target`` step) without a first or last step that the source grid covers only in
    part: one with a point of that grid before the first observation or after the last. Its mean would stand
    for a few days as if for a month (daily data ending on the 3rd); the note names each step left out."""
    step, words = STEPS[source], GRIDS[target].words
    partial = []
    if times[0] - step >= cells.index[0]:
        partial.append(("first", cells.index[0]))
    if times[-1] + step < cells.index[-1] + pd.tseries.frequencies.to_offset(grid_freq):
        partial.append(("last", cells.index[-1]))
    whole = cells.drop(list({when for _, when in partial}))
    if whole.empty:
        raise SeriesError(f"the observations cover no {words} step completely: choose a finer step")
    for which, when in partial:
        label = when.strftime("%Y-%m-%d %H:%M") if target in SUB_DAILY else str(pd.Period(when, _period(target)))
        notes.append(f"the {which} {words} step ({label}) was left out: the observations cover only part of it, "
                     "and its mean would not be comparable with the others")
    return whole


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


def _by_time(raw: RawSeries, values: np.ndarray, duplicates: str, notes: list[str],
             report: dict[str, Any]) -> pd.Series:
    """The observations sorted by time, one per timestamp (repeated ones refused or averaged)."""
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
    return frame


def prepare(raw: RawSeries, *, irregular: str = "grid", resample_to: str | None = None,
            duplicates: str = "refuse", season: int | None = None,
            max_missing: float = MAX_MISSING_SHARE) -> PreparedSeries:
    """Turn observations into a regular series (see the module docstring).

    Args:
        raw: the observations.
        irregular: ``grid`` (put the values on the grid of the most common step; gaps become missing),
            ``resample`` (average them over the coarser step ``resample_to``, leaving out a first or last step
            the observations cover only in part), or ``rows`` (ignore the times).
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
        frame = _by_time(raw, values, duplicates, notes, report)
        freq, share = detect_grid(frame.index)
        report["regularity"] = round(share, 4)
        report["detected_step"] = GRIDS[freq].words if freq else "none"
        if irregular == "resample":
            if resample_to not in GRIDS:
                raise SeriesError(f"resample_to={resample_to!r}: choose one of {', '.join(GRIDS)}")
            # Partial steps can be told only on a grid: irregular times say nothing of what a step should hold.
            source = freq if share >= 0.5 else None
            freq = resample_to
            prepared_values, full, grid_freq = _resample(frame, freq, source, notes)
        elif freq is None or share < 0.5:
            raise SeriesError(
                "the times follow no regular step (fewer than half of them are one half hour, hour, day, business "
                f"day, week, month, quarter or year apart; the best fit, {report['detected_step']}, covers "
                f"{share:.0%}): resample it to a coarser step, or take the rows in order")
        else:
            prepared_values, full, grid_freq = _on_grid(frame, freq, share, notes)
        times = full.to_numpy().astype("datetime64[s]")
        freq, step, default_season = grid_freq, GRIDS[freq].words, GRIDS[freq].season
    prepared_values, times = _trim(prepared_values, times, notes)
    _check_values(prepared_values, report, max_missing)
    report["notes"] = notes
    return PreparedSeries(values=prepared_values, times=times, freq=freq, step=step,
                          season=int(season or default_season), name=raw.name, unit=raw.unit, report=report)


def _trim(values: np.ndarray, times: np.ndarray | None, notes: list[str]) -> tuple[np.ndarray, np.ndarray | None]:
    """The series from its first observed value to its last (a note says how many were left out before)."""
    missing = np.isnan(values)
    if missing.all():
        raise SeriesError("the series has no values at all")
    first = int(np.argmax(~missing))
    if first:
        notes.append(f"{first} missing value(s) before the first observation were left out")
    last = len(values) - int(np.argmax(~missing[::-1]))
    return values[first:last], None if times is None else times[first:last]


def _check_values(values: np.ndarray, report: dict[str, Any], max_missing: float) -> None:
    """Count the missing values into ``report``; refuse a series too short, too gappy or constant."""
    missing = np.isnan(values)
    share_missing = float(missing.mean())
    report.update(points=int(len(values)), missing=int(missing.sum()), longest_gap=_longest_run(missing),
                  missing_share=round(share_missing, 4))
    if len(values) < MIN_POINTS:
        raise SeriesError(f"the series has {len(values)} point(s): at least {MIN_POINTS} are needed")
    if share_missing > max_missing:
        raise SeriesError(f"{missing.sum():,} of {len(values):,} values ({share_missing:.0%}) are missing "
                          f"(the longest gap is {report['longest_gap']:,} steps): at most {max_missing:.0%} may be")
    observed = values[~missing]
    if np.ptp(observed) == 0:
        raise SeriesError(f"every value is the same ({observed[0]:g}): there is nothing to forecast")


def _period(freq: str) -> str:
    return {"h": "h", "D": "D", "B": "B", "W": "W", "MS": "M", "QS": "Q", "YS": "Y"}[freq]
