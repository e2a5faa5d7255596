"""The regular steps a series can be put on, and the choices for reading an irregular one or one with repeated
timestamps. Plain Python: the command line offers these choices without importing pandas, which
:mod:`rnnlab.series.prepare` needs to apply them."""

from __future__ import annotations

from dataclasses import dataclass

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
    "30min": Grid("30min", "half-hourly", 48),
    "h": Grid("h", "hourly", 24),
    "D": Grid("D", "daily", 7),
    "B": Grid("B", "business-daily", 5),
    "W": Grid("W", "weekly", 52),
    "MS": Grid("MS", "monthly", 12),
    "QS": Grid("QS", "quarterly", 4),
    "YS": Grid("YS", "yearly", 1),
}
