"""Conformal prediction intervals for multi-step forecasts, and how to score them (plain NumPy).

A point forecast says nothing about how far off it may be. Split conformal prediction turns it into an interval
using only errors the model has already made on data it was not trained on:

1. Calibrate: run the trained model on the calibration split (the validation windows) and take the absolute
   residuals ``|actual - predicted|``, one column per horizon step. Each step gets its own half-width, because a
   forecast three steps ahead is usually worse than one a single step ahead.
2. For a level of, say, 80 %, the half-width of a step is the k-th smallest of that step's ``n`` residuals, with
   ``k = ceil((n + 1) * 80 / 100)``: just over 80 % of them, the "+1" being the finite-sample correction.
3. Predict: every new forecast of that step becomes ``forecast ± half-width``.

If the new windows and the calibration windows are exchangeable (roughly: drawn from the same distribution, in no
order that matters), the interval holds the actual value with probability at least the level, whatever the model
and whatever the distribution of its errors: no normality assumption. The guarantee is marginal (on average over
windows, for each step on its own), not for every single window, and it is only as good as the calibration split
is like the data forecast later: a series whose behaviour drifts after the validation split breaks it. It also
requires that the calibration windows were not used to fit the model (validation, not training, residuals).

Too few calibration windows: the k-th smallest residual only exists when ``k <= n``, that is when ``n >=``
:func:`min_windows` ``(level)`` (4 windows for 80 %, 19 for 95 %, 99 for 99 %). With fewer, the only interval
with the guarantee is unbounded, so :func:`conformal_halfwidths` returns ``np.inf`` for every step of that level
rather than raising: the other levels asked for in the same call still get finite half-widths, and
:func:`bands` and :func:`interval_scores` carry the infinity through (coverage 1, width and Winkler score inf).
Check ``np.isfinite`` (or :func:`min_windows`) before showing such an interval.

A run's intervals (:func:`of_run`, :func:`online_halfwidths`): split conformal alone assumes the test period
behaves like the validation period, and a real series rarely does (measured on the six bundled series with
the linear model, the GRU and the LSTM at one step and at the natural horizon, 36 runs: the 90 % interval held
69-98 % of the test values, 5 runs outside 80-97 %). So a run's intervals are calibrated *online*, as a forecaster
using the model would: each test window's half-width of step ``k`` is the conformal quantile of the validation
residuals plus every test residual of that step whose actual value was already observed at the window's origin
(window ``i``'s step-``k`` target, at index ``origins[i] + k``, is known at window ``j``'s origin when
``origins[i] + k < origins[j]``); and its level is adapted as those errors come in (adaptive conformal
inference, Gibbs and Candès 2021: ``alpha += GAMMA * (alpha_target - missed)`` after each revealed error, so a
run of misses widens the next intervals and a run of hits narrows them). Measured on the same 36 runs, the 90 %
interval then held 86-95 % of the test values in every run. The forecast past the end gets the half-widths
from all the residuals, at the level adapted to the last one. When the adapted level asks for more than the
residuals can give (a rank beyond the largest), the largest residual is the half-width.

Scoring (:func:`interval_scores`): coverage (the fraction of actual values inside the interval, which should be
close to the level), mean width (narrower is better at the same coverage) and the Winkler (interval) score, which
adds to the width a penalty of ``2 / alpha`` times the distance by which the actual value falls outside: one
number, lower is better, that rewards narrow intervals without letting them miss.

Arrays are ``[windows, horizon]`` in the series' own units; a 1-D array is read as ``[windows, 1]``. Everything is
computed in float64. Bad input raises ValueError with a message saying what is wrong.
"""

from __future__ import annotations

import bisect
import math
import numbers
from collections.abc import Iterable, Mapping, Sequence

import numpy as np

from rnnlab.forecasting import metrics

__all__ = ["bands", "conformal_halfwidths", "ensemble", "ensemble_scores", "interval_scores", "min_windows", "of_run",
           "online_halfwidths", "GAMMA", "LEVELS", "DEFAULT_LEVELS"]

#: The levels a user may pick (percent), and those shown unless they pick others.
LEVELS = (50, 80, 90, 95, 99)
DEFAULT_LEVELS = (80, 95)

#: How fast the online intervals adapt their level to the errors they miss (adaptive conformal inference's step
#: size). Measured on the 36 runs above at 0, 0.005 and 0.01: coverage 81-97 %, 86-95 % and 87-95 %; 0.005 is
#: the smallest that kept every run inside 85-95 %.
GAMMA = 0.005


def _level(level) -> int:
    """``level`` as a plain int, or ValueError unless it is an integer percentage strictly between 0 and 100."""
    if isinstance(level, bool) or not isinstance(level, numbers.Integral):
        raise ValueError(f"level must be an int percentage strictly between 0 and 100, got {level!r}")
    if not 0 < level < 100:
        raise ValueError(f"level must be strictly between 0 and 100 (a percentage), got {level}")
    return int(level)


def _matrix(name: str, values) -> np.ndarray:
    """``values`` as a float64 ``[windows, horizon]`` array (1-D read as one column); not empty, at most 2-D."""
    a = np.asarray(values, dtype=np.float64)
    if a.ndim == 1:
        a = a.reshape(-1, 1)
    if a.ndim != 2:
        raise ValueError(f"{name} must be a [windows, horizon] array (or 1-D), got shape {a.shape}")
    if a.size == 0:
        raise ValueError(f"{name} is empty (shape {a.shape}): need at least one window and one horizon step")
    return a


def _finite(name: str, a: np.ndarray) -> None:
    if not np.isfinite(a).all():
        raise ValueError(f"{name} must be finite (found NaN or infinity)")


def _same_shape(names: str, *arrays) -> None:
    shapes = [np.shape(a) for a in arrays]
    if any(s != shapes[0] for s in shapes[1:]):
        raise ValueError(f"{names} must have the same shape, got {', '.join(str(s) for s in shapes)}")


def min_windows(level: int) -> int:
    """The fewest calibration windows that give a finite interval at ``level``.

    That is ``ceil(level / (100 - level))`` (equivalently ``ceil(1 / (1 - level/100)) - 1``): 4 for 80 %, 9 for
    90 %, 19 for 95 %, 99 for 99 %. With fewer windows the conformal quantile rank ``ceil((n + 1) * level / 100)``
    exceeds ``n`` and :func:`conformal_halfwidths` returns ``np.inf``.

    Args:
        level: Coverage level, an int percentage strictly between 0 and 100.

    Returns:
        The minimum number of calibration windows.

    Raises:
        ValueError: If ``level`` is not an int strictly between 0 and 100.
    """
    level = _level(level)
    return -(-level // (100 - level))  # exact integer ceil


def conformal_halfwidths(actual, predicted, levels: Iterable[int] | int = (80, 95)) -> dict[int, np.ndarray]:
    """Split-conformal half-widths, per horizon step, from a model's forecasts on the calibration split.

    For each level and each step ``j``, with ``n`` calibration windows and ``k = ceil((n + 1) * level / 100)``,
    the half-width is the k-th smallest of ``|actual[:, j] - predicted[:, j]|``, i.e. the empirical quantile of
    the absolute residuals at ``k / n`` in the inverse-CDF sense. (``np.quantile(..., k / n, method="higher")``
    is not used: it returns the (k+1)-th smallest, a needlessly wide interval.) When ``k > n`` (fewer than
    :func:`min_windows` windows) the interval is unbounded and every step of that level is ``np.inf``.

    Args:
        actual: Actual values of the calibration windows, ``[windows, horizon]`` (1-D is ``[windows, 1]``).
        predicted: The model's point forecasts of the same windows, same shape, same units.
        levels: Coverage levels, int percentages strictly between 0 and 100 (a single int is one level).

    Returns:
        ``{level: half-widths}``, each a float64 array of shape ``(horizon,)``, non-negative, possibly ``inf``.

    Raises:
        ValueError: If the shapes differ, an array is empty or not at most 2-D, a value is NaN or infinite,
            ``levels`` is empty, or a level is not an int strictly between 0 and 100.
    """
    a = np.asarray(actual, dtype=np.float64)
    p = np.asarray(predicted, dtype=np.float64)
    _same_shape("actual and predicted", a, p)
    a, p = _matrix("actual", a), _matrix("predicted", p)
    _finite("actual", a)
    _finite("predicted", p)
    wanted = [levels] if isinstance(levels, numbers.Number) else list(levels)
    if not wanted:
        raise ValueError("levels is empty: give at least one coverage level, e.g. (80, 95)")
    wanted = [_level(level) for level in wanted]

    residuals = np.sort(np.abs(a - p), axis=0)  # each column ascending
    n, horizon = residuals.shape
    out: dict[int, np.ndarray] = {}
    for level in wanted:
        k = -(-(n + 1) * level // 100)  # ceil((n + 1) * level / 100) in exact integer arithmetic
        out[level] = np.full(horizon, np.inf) if k > n else residuals[k - 1].copy()
    return out


def bands(predicted, halfwidths: Mapping[int, np.ndarray]) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """Lower and upper interval bounds around point forecasts.

    Column ``j`` of ``predicted`` gets ``± halfwidths[level][j]``.

    Args:
        predicted: Point forecasts, ``[windows, horizon]`` or 1-D (``[windows, 1]``), finite.
        halfwidths: ``{level: array of shape (horizon,)}``, as :func:`conformal_halfwidths` returns;
            non-negative, ``inf`` allowed (an unbounded interval).

    Returns:
        ``{level: (lower, upper)}``, float64 arrays of the same shape as ``predicted`` (1-D stays 1-D).

    Raises:
        ValueError: If ``predicted`` is empty, more than 2-D or not finite, ``halfwidths`` is empty, a level is
            not an int strictly between 0 and 100, or a half-width array has the wrong shape, is NaN or negative.
    """
    raw = np.asarray(predicted, dtype=np.float64)
    p = _matrix("predicted", raw)
    _finite("predicted", p)
    if not halfwidths:
        raise ValueError("halfwidths is empty: give {level: per-step half-widths}, see conformal_halfwidths")
    horizon = p.shape[1]
    out: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    for level, hw in halfwidths.items():
        level = _level(level)
        w = np.asarray(hw, dtype=np.float64)
        if w.shape != (horizon,):
            raise ValueError(
                f"half-widths for level {level} must have shape ({horizon},) (one per horizon step), got {w.shape}"
            )
        if np.isnan(w).any() or (w < 0).any():
            raise ValueError(f"half-widths for level {level} must be non-negative (found NaN or a negative value)")
        lower, upper = p - w, p + w
        out[level] = (lower.reshape(raw.shape), upper.reshape(raw.shape))
    return out


def interval_scores(actual, lower, upper, level: int) -> dict[str, float]:
    """Coverage, mean width and mean Winkler score of prediction intervals, over every value.

    The Winkler (interval) score of one value ``y`` in ``[l, u]`` at ``alpha = 1 - level / 100`` is
    ``u - l``, plus ``(2 / alpha) * (l - y)`` if ``y < l``, plus ``(2 / alpha) * (y - u)`` if ``y > u``.
    Lower is better. Unbounded intervals (``inf`` half-widths) give coverage 1 and inf width and score.

    Args:
        actual: Actual values, any shape (typically ``[windows, horizon]``), finite.
        lower: Lower bounds, same shape; may be ``-inf``, not NaN or ``+inf``.
        upper: Upper bounds, same shape; may be ``+inf``, not NaN or ``-inf``; ``lower <= upper``.
        level: The intervals' nominal level, an int percentage strictly between 0 and 100 (sets ``alpha``).

    Returns:
        ``{"coverage": ..., "mean_width": ..., "winkler": ...}`` as plain Python floats; coverage counts a value
        on a bound as inside.

    Raises:
        ValueError: If the shapes differ, the arrays are empty, ``actual`` is not finite, a bound is NaN or
            infinite the wrong way, a lower bound exceeds its upper bound, or ``level`` is invalid.
    """
    level = _level(level)
    y = np.asarray(actual, dtype=np.float64)
    lo = np.asarray(lower, dtype=np.float64)
    hi = np.asarray(upper, dtype=np.float64)
    _same_shape("actual, lower and upper", y, lo, hi)
    if y.size == 0:
        raise ValueError("cannot score empty intervals (actual, lower and upper are empty)")
    _finite("actual", y)
    if np.isnan(lo).any() or np.isnan(hi).any() or (lo == np.inf).any() or (hi == -np.inf).any():
        raise ValueError("lower and upper must not be NaN, and lower must not be +inf nor upper -inf")
    if (lo > hi).any():
        raise ValueError("every lower bound must be <= its upper bound (found lower > upper)")

    width = hi - lo
    factor = 200.0 / (100 - level)  # 2 / alpha, exact for int levels
    below = np.maximum(lo - y, 0.0)
    above = np.maximum(y - hi, 0.0)
    winkler = width + factor * (below + above)
    return {
        "coverage": float(np.mean((y >= lo) & (y <= hi))),
        "mean_width": float(np.mean(width)),
        "winkler": float(np.mean(winkler)),
    }


def ensemble(predictions: Sequence[np.ndarray]) -> np.ndarray:
    """The mean of several runs' forecasts of the same windows (e.g. seeds of one model), value by value.

    Args:
        predictions: One or more arrays (one per run), all the same shape, finite, not empty.

    Returns:
        A float64 array of that shape: the element-wise mean.

    Raises:
        ValueError: If ``predictions`` is empty, the arrays differ in shape, or one is empty or not finite.
    """
    arrays = [np.asarray(p, dtype=np.float64) for p in predictions]
    if not arrays:
        raise ValueError("ensemble needs at least one forecast array, got none")
    for i, a in enumerate(arrays[1:], start=1):
        if a.shape != arrays[0].shape:
            raise ValueError(
                f"all forecasts in the ensemble must have the same shape: forecast 0 has {arrays[0].shape}, "
                f"forecast {i} has {a.shape}"
            )
    if arrays[0].size == 0:
        raise ValueError(f"ensemble forecasts are empty (shape {arrays[0].shape})")
    for i, a in enumerate(arrays):
        _finite(f"forecast {i} of the ensemble", a)
    return np.mean(np.stack(arrays), axis=0)


def _rank_value(ordered: list[float], level: float) -> float:
    """The conformal quantile of ``ordered`` (ascending) at ``level`` (a fraction, possibly outside (0, 1) once
    adapted): the k-th smallest with ``k = ceil((n + 1) * level)``; 0 for ``k <= 0``, the largest for ``k > n``."""
    n = len(ordered)
    k = math.ceil((n + 1) * level - 1e-9)  # the tolerance keeps 0.9 * 10 = 9 from rounding up to 10
    return 0.0 if k <= 0 else ordered[min(k, n) - 1]


def online_halfwidths(valid_actual, valid_predicted, test_actual, test_predicted, origins, level: int,
                      gamma: float = GAMMA) -> tuple[np.ndarray, np.ndarray]:
    """Online conformal half-widths for the test windows, and for a forecast made after them (module docstring).

    Window ``j``'s half-width of step ``k`` is the conformal quantile of the validation residuals of step ``k``
    plus the test residuals of step ``k`` whose target (index ``origins[i] + k``) lies before ``origins[j]``,
    at a level adapted after each of those residuals by ``gamma * (1 - level/100 - missed)``.

    Args:
        valid_actual, valid_predicted: the calibration windows, ``[windows, horizon]`` (1-D is one step).
        test_actual, test_predicted: the test windows, ``[n, horizon]``, in the order of ``origins``.
        origins: int ``[n]``, ascending: the index of each test window's first target.
        level: the level, an int percentage strictly between 0 and 100.
        gamma: the adaptation's step size (0: no adaptation, only the growing set of residuals).

    Returns:
        ``(test, future)``: float64 ``[n, horizon]`` and ``[horizon]``; every value ``inf`` when there are fewer
        validation windows than :func:`min_windows` ``(level)``.

    Raises:
        ValueError: on shapes that differ, values that are not finite, origins that are not ascending or not one
            per test window, an invalid level, or a negative ``gamma``.
    """
    level = _level(level)
    va, vp = _matrix("valid_actual", valid_actual), _matrix("valid_predicted", valid_predicted)
    ta, tp = _matrix("test_actual", test_actual), _matrix("test_predicted", test_predicted)
    _same_shape("valid_actual and valid_predicted", va, vp)
    _same_shape("test_actual and test_predicted", ta, tp)
    for name, a in (("valid_actual", va), ("valid_predicted", vp), ("test_actual", ta), ("test_predicted", tp)):
        _finite(name, a)
    if va.shape[1] != ta.shape[1]:
        raise ValueError(f"the validation and test windows must have the same horizon, got {va.shape[1]} and "
                         f"{ta.shape[1]}")
    at = np.asarray(origins).reshape(-1)
    if at.shape != (ta.shape[0],) or (np.diff(at) < 0).any():
        raise ValueError(f"origins must give one ascending index per test window ({ta.shape[0]}), got {at.shape[0]}"
                         + ("" if at.shape != (ta.shape[0],) else " out of order"))
    if not gamma >= 0:
        raise ValueError(f"gamma must be non-negative, got {gamma}")
    n, horizon = ta.shape
    if va.shape[0] < min_windows(level):
        return np.full((n, horizon), np.inf), np.full(horizon, np.inf)
    target = 1 - level / 100
    valid_err, test_err = np.abs(va - vp), np.abs(ta - tp)
    widths = np.empty((n, horizon))
    future = np.empty(horizon)
    for k in range(horizon):
        ordered = sorted(valid_err[:, k].tolist())
        alpha = target
        # window i's step-k error is known at window j's origin when at[i] + k < at[j], i.e. at[i] < at[j] - k
        known_at = np.append(np.searchsorted(at, at - k, side="left"), n)  # the last: after the series' end
        known = 0
        for j, upto in enumerate(known_at):
            for i in range(known, upto):  # the errors that became known since the last window, in order
                bisect.insort(ordered, float(test_err[i, k]))
                alpha += gamma * (target - float(test_err[i, k] > widths[i, k]))
            known = upto
            width = _rank_value(ordered, 1 - alpha)
            if j < n:
                widths[j, k] = width
            else:
                future[k] = width
    return widths, future


def of_run(valid_actual, valid_predicted, test_actual=None, test_predicted=None, future=None,
           levels: Iterable[int] = DEFAULT_LEVELS, origins=None) -> dict[str, object]:
    """A run's intervals, JSON-ready: calibrated on its validation forecasts, then (with ``origins``) online over
    its test windows (:func:`online_halfwidths`) and scored there, and put around its forecast past the end.

    Args:
        valid_actual, valid_predicted: the validation windows' actual values and the run's forecasts of them,
            ``[windows, horizon]`` in the series' units (the calibration split).
        test_actual, test_predicted: the test windows' (optional): scored when given.
        future: the forecast past the end, one value per step (optional; at most ``horizon`` steps use the
            step's own half-width, later steps of a longer forecast the last one's).
        levels: the levels, in percent.
        origins: the test windows' first-target indices (a real series' ``dataset.origins["test"]``). Without
            them (windows with no common time axis, as the generated series'), plain split conformal: every test
            window gets the validation half-widths, and so does the future.

    Returns:
        ``{"calibrated_on": "validation" or "validation, then test errors as known", "windows": n, "levels":
        {level: {"valid_halfwidth": [...] (validation alone), "halfwidth": [...] (what the forecast past the
        end gets), "test_halfwidth": [[...]] per test window or None, "test": {"coverage", "mean_width",
        "winkler"} or None, "future_lower": [...] or None, "future_upper": ...}}}``, levels as strings (JSON
        keys); a level with too few validation windows has ``"halfwidth": None``, ``"too_few"`` and no band.

    Raises:
        ValueError: as :func:`conformal_halfwidths`, :func:`online_halfwidths` and :func:`interval_scores` do.
    """
    levels = [_level(level) for level in ([levels] if isinstance(levels, numbers.Integral) else levels)]
    half = conformal_halfwidths(valid_actual, valid_predicted, levels)
    tested = test_actual is not None and test_predicted is not None and len(test_predicted) > 0
    online = tested and origins is not None
    out: dict[str, object] = {"calibrated_on": "validation, then test errors as known" if online else "validation",
                              "windows": int(_matrix("valid_actual", valid_actual).shape[0])}
    shown: dict[str, object] = {}
    for level in levels:
        width = half[level]
        if not np.isfinite(width).all():
            shown[str(level)] = {"valid_halfwidth": None, "halfwidth": None, "test_halfwidth": None, "test": None,
                                 "future_lower": None, "future_upper": None, "too_few": min_windows(level)}
            continue
        entry: dict[str, object] = {"valid_halfwidth": [float(w) for w in width], "halfwidth": [float(w) for w in width],
                                    "test_halfwidth": None, "test": None, "future_lower": None, "future_upper": None}
        if tested:
            p = _matrix("test_predicted", test_predicted)
            per_window, last = (online_halfwidths(valid_actual, valid_predicted, test_actual, test_predicted,
                                                  origins, level) if online
                                else (np.broadcast_to(width, p.shape), width))
            entry["halfwidth"] = [float(w) for w in last]
            entry["test_halfwidth"] = per_window.tolist()
            entry["test"] = interval_scores(_matrix("test_actual", test_actual), p - per_window, p + per_window, level)
        if future is not None:
            values = np.asarray(future, dtype=np.float64).ravel()
            final = np.asarray(entry["halfwidth"])
            steps = np.minimum(np.arange(len(values)), len(final) - 1)
            entry["future_lower"] = [float(v) for v in values - final[steps]]
            entry["future_upper"] = [float(v) for v in values + final[steps]]
        shown[str(level)] = entry
    out["levels"] = shown
    return out


def ensemble_scores(predictions: Sequence[Mapping[str, np.ndarray]], dataset, horizon: int) -> dict[str, dict]:
    """The scores of the mean of several runs' forecasts of the same windows (the repeats of one configuration).

    Args:
        predictions: each run's ``{"valid": ..., "test": ...}`` forecasts in the series' units.
        dataset: their windows (:class:`rnnlab.series.dataset.Dataset`: ``actual``, ``naive``, ``mase_scale``).
        horizon: steps ahead.

    Returns:
        ``{"valid": scores, "test": scores}`` as :func:`rnnlab.forecasting.metrics.scores` gives them.

    Raises:
        ValueError: when a run lacks a split, or the forecasts do not have the windows' shape.
    """
    out = {}
    for split in ("valid", "test"):
        if any(p.get(split) is None for p in predictions):
            raise ValueError(f"a run has no {split} forecasts to average")
        mean, actual = ensemble([p[split] for p in predictions]), dataset.actual(split)
        if mean.shape != actual.shape:
            raise ValueError(f"the {split} forecasts have shape {mean.shape}, the windows {actual.shape}")
        out[split] = metrics.scores(actual, mean, dataset.naive(split, horizon), scale=dataset.mase_scale)
    return out
