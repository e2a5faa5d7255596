"""Forecast metrics: small pure NumPy functions that raise on bad input instead of hiding it.

All take ``actual`` and ``predicted`` of the same shape (``[n]``, ``[n, horizon]``) and average over every
value, computed in float64 so the result does not depend on the order of summation in float32.
"""

from __future__ import annotations

import numpy as np

#: Two errors closer than this (relative) are the same number: forecasts are kept as float32, so a network that
#: forecasts exactly what the naive forecast does (one that kept its start) scores within about 1e-7 of it.
TIE = 1e-6


def worse(error: float, than: float) -> bool:
    """True when the error ``error`` is above ``than`` by more than :data:`TIE` (a tie is not a loss)."""
    return error > than * (1 + TIE)


def _pair(actual, predicted) -> tuple[np.ndarray, np.ndarray]:
    a = np.asarray(actual, dtype=np.float64)
    p = np.asarray(predicted, dtype=np.float64)
    if a.shape != p.shape:
        raise ValueError(f"actual and predicted must have the same shape, got {a.shape} and {p.shape}")
    if a.size == 0:
        raise ValueError("cannot score an empty forecast")
    if not (np.isfinite(a).all() and np.isfinite(p).all()):
        raise ValueError("actual and predicted must be finite (found NaN or infinity)")
    return a, p


def mse(actual, predicted) -> float:
    """Mean squared error."""
    a, p = _pair(actual, predicted)
    return float(np.mean((a - p) ** 2))


def mae(actual, predicted) -> float:
    """Mean absolute error."""
    a, p = _pair(actual, predicted)
    return float(np.mean(np.abs(a - p)))


def rmse(actual, predicted) -> float:
    """Root mean squared error (same unit as the series)."""
    return float(np.sqrt(mse(actual, predicted)))


def mase(actual, predicted, naive) -> float:
    """Mean absolute scaled error: the forecast's MAE divided by the naive forecast's MAE on the same values.

    Below 1 the forecast beats the naive forecast. Raises ValueError when the naive forecast is perfect
    (the ratio is undefined).
    """
    naive_mae = mae(actual, naive)
    if naive_mae == 0.0:
        raise ValueError("MASE is undefined: the naive forecast has zero error on these values")
    return mae(actual, predicted) / naive_mae


def mse_per_step(actual, predicted) -> list[float]:
    """MSE of each horizon step (columns of ``[n, horizon]`` arrays)."""
    a, p = _pair(actual, predicted)
    if a.ndim != 2:
        raise ValueError(f"per-step MSE needs [n, horizon] arrays, got shape {a.shape}")
    return [float(v) for v in np.mean((a - p) ** 2, axis=0)]


def scaled_mae(actual, predicted, scale: float) -> float:
    """MASE as forecasting tools define it: the forecast's MAE over ``scale``, the in-sample seasonal-naive error
    (:func:`seasonal_naive_scale`). Raises ValueError when it is not positive."""
    if not (np.isfinite(scale) and scale > 0):
        raise ValueError(f"MASE is undefined: the in-sample naive error is {scale}")
    return mae(actual, predicted) / scale


def scores(actual, predicted, naive, *, scale: float | None = None) -> dict[str, float]:
    """One forecast's scores, as a dict: MSE, MAE and RMSE (in the series' units), sMAPE (percent), ``rel_mae``
    (its MAE over the naive forecast's on the same values: below 1 it beats the naive forecast) and, when
    ``scale`` is given (a real series: :func:`seasonal_naive_scale`), ``mase``: its MAE over that scale."""
    out = {
        "mse": mse(actual, predicted),
        "mae": mae(actual, predicted),
        "rmse": rmse(actual, predicted),
        "smape": smape(actual, predicted),
        "rel_mae": mase(actual, predicted, naive),
    }
    if scale is not None:
        out["mase"] = scaled_mae(actual, predicted, scale)
    return out


def smape(actual, predicted) -> float:
    """Symmetric mean absolute percentage error as the M4 competition defines it, in percent (0 to 200): the mean
    of ``200 * |a - p| / (|a| + |p|)``. A term where both values are 0 is a perfect forecast and counts as 0."""
    a, p = _pair(actual, predicted)
    denominator = np.abs(a) + np.abs(p)
    terms = np.divide(200.0 * np.abs(a - p), denominator, out=np.zeros_like(a), where=denominator > 0)
    return float(np.mean(terms))


def seasonal_naive_scale(values, observed, train_end: int, season: int | None) -> float:
    """The denominator of MASE as the M4 competition and R's forecast package define it: the in-sample MAE of the
    seasonal-naive forecast ``values[t - m]`` over the training period ``values[:train_end]``, with lag ``m`` =
    ``season`` (1 when ``season`` is None, 0 or 1).

    Only pairs whose two values were both observed (``observed``, a bool mask) count, so a filled gap never
    enters the scale. Raises ValueError when no such pair exists or the scale is 0 (MASE would be undefined).
    """
    lag = int(season) if season and season > 1 else 1
    v = np.asarray(values, dtype=np.float64)[:train_end]
    seen = np.asarray(observed, dtype=bool)[:train_end]
    if v.shape != seen.shape:
        raise ValueError(f"values and observed must have the same length, got {v.shape} and {seen.shape}")
    both = seen[lag:] & seen[:-lag] if len(v) > lag else np.zeros(0, dtype=bool)
    if not both.any():
        raise ValueError(f"MASE is undefined: the training period ({len(v)} values) has no pair of observed values "
                         f"one season ({lag} steps) apart")
    scale = float(np.mean(np.abs(v[lag:] - v[:-lag])[both]))
    if not np.isfinite(scale) or scale == 0.0:
        raise ValueError(f"MASE is undefined: the seasonal-naive forecast (lag {lag}) has an in-sample error of "
                         f"{scale} on the training period")
    return scale
