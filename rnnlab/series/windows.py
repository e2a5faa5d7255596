"""Cutting one real series into training, validation and test windows without leakage (NumPy only).

The *series* is split chronologically into a training, a validation and a test period. A window has
``n_steps`` inputs followed by ``horizon`` targets, and belongs to the period that holds all of its targets
(its inputs may reach back into earlier periods, as they would in real use); a window whose targets straddle
two periods is not used, nor is one with a target that was never observed (a filled gap is never scored).
Scaling is fitted on the training period's observed values only. A final model (``final``) trains on every window
of the whole series and is scored on none: it is the model whose forecast past the end pages show.

A rolling-origin backtest cuts the test period into ``folds`` consecutive parts; fold ``k`` trains on
everything before part ``k`` (an expanding window, split into training and validation in the same
proportion) and is tested on part ``k``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from rnnlab.errors import FieldError

if TYPE_CHECKING:
    from rnnlab.series.prepare import PreparedSeries

#: Fewest windows a training period must give.
MIN_TRAIN_WINDOWS = 10


@dataclass(frozen=True)
class Periods:
    """Index ranges of one split of the series: ``[0, train_end)``, ``[train_end, valid_end)``,
    ``[valid_end, test_end)``."""

    train_end: int
    valid_end: int
    test_end: int


def periods(points: int, train_fraction: float, valid_fraction: float, folds: int | None = None,
            fold: int | None = None, *, final: bool = False) -> Periods:
    """The chronological split of a series of ``points`` values (for one fold of a backtest when given). A
    ``final`` model's training period is the whole series, with no validation or test period."""
    if final:
        return Periods(points, points, points)
    train_end = int(round(points * train_fraction))
    valid_end = train_end + int(round(points * valid_fraction))
    if not folds:
        return Periods(train_end, valid_end, points)
    bounds = np.linspace(valid_end, points, folds + 1).round().astype(int)
    start, end = int(bounds[fold - 1]), int(bounds[fold])
    share = train_fraction / (train_fraction + valid_fraction)
    return Periods(int(round(start * share)), start, end)


def window_count(lo: int, hi: int, n_steps: int, horizon: int) -> int:
    """Windows whose targets all lie in ``[lo, hi)`` (before dropping unobserved targets)."""
    return max(0, hi - max(lo, n_steps) - horizon + 1)


def check(points: int, n_steps: int, horizon: int, train_fraction: float, valid_fraction: float,
          folds: int | None = None, fold: int | None = None, series: PreparedSeries | None = None, *,
          final: bool = False) -> None:
    """Raise FieldError when a period of the series is too short for the windows (naming ``n_steps``) or, given
    the ``series``, when its gaps leave a period without a window whose targets were all observed (naming the
    split): such a split would fail only after training, with nothing to score."""
    where = periods(points, train_fraction, valid_fraction, folds, fold, final=final)
    spans = {"training": (0, where.train_end), "validation": (where.train_end, where.valid_end),
             "test": (where.valid_end, where.test_end)}
    if final:  # a final model is scored on nothing: only its training period needs windows
        spans = {"training": spans["training"]}
    fold_text = f" of fold {fold}" if folds else ""
    for name, (lo, hi) in spans.items():
        need = MIN_TRAIN_WINDOWS if name == "training" else 1
        if window_count(lo, hi, n_steps, horizon) < need:
            raise FieldError("n_steps", f"n_steps={n_steps} with horizon={horizon} leaves the {name} period{fold_text} "
                                        f"({hi - lo} of {points} values) fewer than {need} window(s): use a shorter "
                                        "input or horizon, or a longer series")
        if series is None:
            continue
        found = len(origins(series.observed, lo, hi, n_steps, horizon))
        if found < need:
            raise FieldError("train_fraction" if name == "training" else "valid_fraction",
                             _unobserved(series, f"{name} period{fold_text}", lo, hi, horizon, found, need))


def _unobserved(series: PreparedSeries, period: str, lo: int, hi: int, horizon: int, found: int, need: int) -> str:
    """Why ``period`` (``[lo, hi)`` of ``series``) cannot be used, and what to do."""
    first, last = series.time_labels(np.array([lo, hi - 1]))
    span = f"{first} to {last}" if series.times is not None else f"rows {lo + 1} to {hi}"
    whose = "whose target was observed" if horizon == 1 else f"whose {horizon} targets were all observed"
    count = "no window" if not found else f"{found} window(s)"
    fewer = f" (at least {need} are needed)" if found else ""
    missing = int((~series.observed[lo:hi]).sum())
    return (f"the {period} ({span}, {hi - lo} values) has {count} {whose}{fewer}: {missing} of its values are "
            "missing, and a filled gap is never scored; choose another split (train_fraction, valid_fraction) that "
            "gives it observed values, or fill the gaps in the file")


#: Candidate input lengths for a real series, in seasons, with the least each may be (a short season, as a
#: business week's 5 days, still gets a few weeks); ``python -m rnnlab scalings`` measures them (docs/scalings.md).
INPUT_RULES = {"1 season": (1, 12), "2 seasons": (2, 24), "4 seasons": (4, 48)}
#: The default on a real series: chosen on validation over a linear model and a GRU on every bundled series
#: (median MAE over the naive forecast's 0.935, the book's fixed 48-50 steps 0.939: a small margin).
REAL_INPUT_RULE = "2 seasons"
#: The rule in words, for the setting's help.
REAL_INPUT_TEXT = ("two seasons of the series (at least 24 steps), at most a quarter of the training period and "
                   "short enough to leave training windows")


def seasonal_input(points: int, season: int, train_fraction: float, rule: str) -> int:
    """The input length ``rule`` (:data:`INPUT_RULES`) gives a series of ``points`` values and ``season``: that
    many seasons, at least the rule's least, and at most a quarter of the training period (a season of a year of
    days, or an 11-year cycle of months, would leave too few windows, and a very long input trains slowly)."""
    seasons, least = INPUT_RULES[rule]
    train_end = int(round(points * train_fraction))
    return max(5, min(max(least, seasons * season), train_end // 4))


def longest_input(points: int, horizon: int, train_fraction: float, preferred: int) -> int:
    """``preferred`` input steps, or fewer when the training period of a short series would give fewer than
    :data:`MIN_TRAIN_WINDOWS` windows (never below 5, the field's minimum)."""
    train_end = int(round(points * train_fraction))
    return max(5, min(preferred, train_end - horizon - MIN_TRAIN_WINDOWS + 1))


def origins(observed: np.ndarray, lo: int, hi: int, n_steps: int, horizon: int, limit: int | None = None) -> np.ndarray:
    """Index of the first target of each usable window in ``[lo, hi)``: every target observed. With ``limit``,
    an even stride keeps at most that many (the latest window is always kept)."""
    start = max(lo, n_steps)
    candidates = np.arange(start, hi - horizon + 1)
    if len(candidates) == 0:
        return candidates
    seen = np.convolve(observed.astype(int), np.ones(horizon, dtype=int), mode="valid")  # observed per window
    usable = candidates[seen[candidates] == horizon]
    if limit is not None and len(usable) > limit:
        stride = math.ceil(len(usable) / limit)
        usable = usable[::-1][::stride][::-1]
    return usable


def gather(values: np.ndarray, starts: np.ndarray, length: int) -> np.ndarray:
    """``values[s : s + length]`` for each start, stacked: ``[n, length]``."""
    return values[starts[:, None] + np.arange(length)[None, :]]


def seasonal_naive(values: np.ndarray, first_targets: np.ndarray, horizon: int, season: int) -> np.ndarray:
    """The seasonal-naive forecast of each window: for the target ``k`` steps after the origin, the value one
    season (or as many seasons as needed) before it, taken from before the origin. NaN where the series does
    not reach back that far. ``[n, horizon]``."""
    k = np.arange(horizon)
    back = season * np.ceil((k + 1) / season).astype(int)
    index = first_targets[:, None] + k[None, :] - back[None, :]
    out = np.full(index.shape, np.nan)
    ok = index >= 0
    out[ok] = values[index[ok]]
    return out


def in_sample_naive_mae(values: np.ndarray, observed: np.ndarray, end: int) -> float:
    """Mean absolute change from one observed value to the next in ``[0, end)``: the scale of MASE."""
    both = observed[1:end] & observed[: end - 1]
    changes = np.abs(np.diff(values[:end]))[both]
    return float(changes.mean()) if changes.size else float("nan")


def range_warning(values: np.ndarray, observed: np.ndarray, where: Periods) -> str | None:
    """A warning when the validation or test period leaves the range the training period covered (a trend, as
    in CO₂): no model trained on the past has seen such values. None when they stay within it."""
    train = values[: where.train_end][observed[: where.train_end]]
    later = values[where.train_end: where.test_end][observed[where.train_end: where.test_end]]
    if not len(train) or not len(later):
        return None
    low, high = float(train.min()), float(train.max())
    outside = float(np.mean((later < low) | (later > high)))
    if outside < 0.05:
        return None
    return (f"{outside:.0%} of the validation and test values lie outside the training period's range "
            f"({low:.4g} to {high:.4g}): a network that sees values on the training period's scale (scaling "
            "'global') has never seen such values and extrapolates poorly; the default scaling on a real series, "
            "first differences, feeds it the changes instead, and so does 'relative'")
