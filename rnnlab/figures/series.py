"""Figures of a series and its forecasts: sample windows with what came next, a real series with its periods,
the forecast past its end, and a backtest's folds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from rnnlab.figures.style import (ACTUAL_COLOR, BAR_COLOR, FAINT_COLOR, FORECAST_COLOR, HIGHLIGHT_COLOR,
                                  INPUT_COLOR, NAIVE_COLOR, RUN_COLORS, array, finish, is_count)

__all__ = [
    "series_preview",
    "real_series",
    "future_forecast",
    "interval_forecast",
    "backtest_folds",
    "fold_errors",
]


def series_preview(X, future, *, predictions=None, n_series: int = 3, title: str = "Sample series") -> go.Figure:
    """A few input series with what came next and, optionally, a model's forecast (the book's plot_series).

    Args:
        X: inputs, shape ``[n, n_steps, 1]`` (``[n, n_steps]`` is accepted too).
        future: the actual next values, shape ``[n, horizon]`` (``[n]`` or ``[n, horizon, 1]`` accepted).
        predictions: optional forecasts, same shape as ``future``.
        n_series: how many series to draw side by side, clipped to ``n``; must be at least 1.
        title: figure title.

    Returns:
        A figure with one subplot per series sharing the y axis: inputs at steps ``0..n_steps-1`` as a line,
        actual values as circles and forecasts as crosses at steps ``n_steps..n_steps+horizon-1``.

    Raises:
        ValueError: on empty arrays, shapes that do not fit together, or ``n_series < 1``.
    """
    x = array(X, "X")
    if x.ndim == 3 and x.shape[2] == 1:
        x = x[:, :, 0]
    if x.ndim != 2:
        raise ValueError(f"X must have shape [n, n_steps, 1] (one feature), got {x.shape}")
    y = _future_2d(future, "future", len(x))
    p = None
    if predictions is not None:
        p = _future_2d(predictions, "predictions", len(x))
        if p.shape != y.shape:
            raise ValueError(f"predictions must have the shape of future {y.shape}, got {p.shape}")
    if not is_count(n_series):
        raise ValueError(f"n_series must be an integer, got {n_series!r}")
    if n_series < 1:
        raise ValueError(f"n_series must be at least 1, got {n_series}")
    count = min(int(n_series), len(x))

    n_steps, horizon = x.shape[1], y.shape[1]
    in_steps = np.arange(n_steps)
    out_steps = np.arange(n_steps, n_steps + horizon)
    # A single future value is a point, not a path: a line would join it to nothing.
    future_mode = "markers" if horizon == 1 else "lines+markers"

    fig = make_subplots(rows=1, cols=count, shared_yaxes=True, horizontal_spacing=0.03)
    for i in range(count):
        first = i == 0  # legend entries once, not once per subplot
        fig.add_trace(go.Scatter(
            x=in_steps, y=x[i], mode="lines+markers", name="Input x(t)", legendgroup="input",
            showlegend=first, line=dict(color=INPUT_COLOR, width=1.5), marker=dict(size=4, color=INPUT_COLOR),
        ), row=1, col=i + 1)
        fig.add_trace(go.Scatter(
            x=out_steps, y=y[i], mode=future_mode, name="Actual", legendgroup="actual", showlegend=first,
            line=dict(color=ACTUAL_COLOR, width=1.5),
            marker=dict(symbol="circle", size=9, color=ACTUAL_COLOR, line=dict(width=1, color="white")),
        ), row=1, col=i + 1)
        if p is not None:
            fig.add_trace(go.Scatter(
                x=out_steps, y=p[i], mode=future_mode, name="Forecast", legendgroup="forecast",
                showlegend=first, line=dict(color=FORECAST_COLOR, width=1.5, dash="dot"),
                marker=dict(symbol="x", size=9, color=FORECAST_COLOR),
            ), row=1, col=i + 1)
        fig.update_xaxes(title_text="Time step t", row=1, col=i + 1)
    fig.update_yaxes(title_text="Value x(t)", row=1, col=1)
    return finish(fig, title)


def _future_2d(values: Any, name: str, n: int) -> np.ndarray:
    arr = array(values, name)
    if arr.ndim == 1:
        arr = arr[:, np.newaxis]
    elif arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[:, :, 0]
    if arr.ndim != 2:
        raise ValueError(f"{name} must have shape [n, horizon], got {arr.shape}")
    if len(arr) != n:
        raise ValueError(f"{name} has {len(arr)} series but X has {n}")
    if arr.shape[1] == 0:
        raise ValueError(f"{name} has a horizon of 0 steps: there is nothing to plot")
    return arr


_PERIOD_COLORS = {"training": "rgba(31,119,180,0.07)", "validation": "rgba(255,127,14,0.10)",
                 "test": "rgba(44,160,44,0.10)"}


def _time_axis(times: Sequence[Any] | None, n: int) -> list[Any]:
    return list(times) if times is not None else list(range(n))


def real_series(times, values, *, periods: Mapping[str, tuple[int, int]] | None = None, unit: str = "",
                title: str = "The series") -> go.Figure:
    """A real series on its time axis, its gaps left as gaps, with its training, validation and test periods
    shaded.

    Args:
        times: one label per value (ISO dates or row numbers), or None for row numbers.
        values: the values, NaN where missing.
        periods: ``{"training": (start, end), ...}`` index ranges to shade (end exclusive).
        unit: what the values measure (the y axis title).
        title: figure title.

    Returns:
        A line figure (gaps where values are NaN) with one shaded band per period.
    """
    y = array(values, "values")
    if y.ndim != 1:
        raise ValueError(f"values must be one series, got shape {y.shape}")
    x = _time_axis(times, len(y))
    if len(x) != len(y):
        raise ValueError(f"{len(x)} times for {len(y)} values")
    fig = go.Figure(go.Scatter(x=x, y=y, mode="lines", name="Series", line=dict(color=INPUT_COLOR, width=1.2),
                               connectgaps=False))
    for name, (start, end) in (periods or {}).items():
        if end <= start:
            continue
        fig.add_vrect(x0=x[start], x1=x[min(end, len(x) - 1)], fillcolor=_PERIOD_COLORS.get(name, FAINT_COLOR),
                      line_width=0, layer="below", annotation_text=name, annotation_position="top left",
                      annotation_font=dict(size=11, color="#555"))
    fig.update_xaxes(title_text="Time" if times is not None else "Row")
    fig.update_yaxes(title_text=unit or "Value")
    return finish(fig, title, legend=False)


def future_forecast(history_times, history, future_times, future, *, last_time: Any, rolled: bool = False,
                    unit: str = "", bands: Mapping[int, tuple[Sequence[float], Sequence[float]]] | None = None,
                    title: str = "Forecast past the end") -> go.Figure:
    """The end of a series, then the model's forecast of the values that follow, on one continuous time axis,
    with a marker at the last observation.

    Args:
        history_times, history: the last observations (labels and values).
        future_times, future: the forecast's timestamps and values.
        last_time: the time of the last observation (where the forecast starts).
        rolled: the forecast came from a one-step model fed its own forecasts (said in the legend).
        unit: the y axis title.
        bands: optional prediction intervals, ``{level: (lower, upper)}`` with one bound per forecast value,
            each drawn as a shaded band (the widest palest) named "80% interval" in the legend.

    Returns:
        The observed line, the forecast joined to its last point, and a dashed line at the last observation.
    """
    h, f = array(history, "history"), array(future, "future")
    if len(history_times) != len(h) or len(future_times) != len(f):
        raise ValueError("each value needs its time")
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=list(history_times), y=h, mode="lines", name="Observed",
                             line=dict(color=INPUT_COLOR, width=1.5)))
    _add_bands(fig, list(future_times), bands or {}, len(f))
    label = "Forecast (one-step model rolled forward)" if rolled else "Forecast"
    fig.add_trace(go.Scatter(x=[history_times[-1], *future_times], y=[h[-1], *f], mode="lines+markers",
                             name=label, line=dict(color=FORECAST_COLOR, width=2, dash="dot"),
                             marker=dict(symbol="x", size=8, color=FORECAST_COLOR)))
    fig.add_vline(x=last_time, line=dict(color=NAIVE_COLOR, dash="dash", width=1))
    fig.add_annotation(x=last_time, y=1.0, yref="paper", text="last observation", showarrow=False,
                       xanchor="right", yanchor="top", font=dict(size=11, color="#555"))
    fig.update_xaxes(title_text="Time")
    fig.update_yaxes(title_text=unit or "Value")
    return finish(fig, title)


#: Width in pixels of a one-step forecast's interval bar.
ONE_STEP_BAR = 14


def _add_bands(fig: go.Figure, x: list[Any], bands: Mapping[int, tuple[Sequence[float], Sequence[float]]],
               n: int) -> None:
    """Each level's interval as a shaded band between its bounds, the widest (palest) first so the narrower ones
    show on top. A single forecast value (one step ahead) has a band of no width: its intervals are thick vertical
    bars instead, the narrower darker inside the wider."""
    for level in sorted(bands, reverse=True):
        lower, upper = (array(b, f"{level}% bound") for b in bands[level])
        if len(lower) != n or len(upper) != n:
            raise ValueError(f"the {level}% interval needs one lower and one upper bound per forecast value ({n}), "
                             f"got {len(lower)} and {len(upper)}")
        if (lower > upper).any():
            raise ValueError(f"the {level}% interval has a lower bound above its upper bound")
        opacity = 0.12 + 0.25 * (1 - level / 100) * 2
        color = _rgba(FORECAST_COLOR, min(opacity, 0.45))
        if n == 1:
            fig.add_trace(go.Scatter(x=[x[0], x[0]], y=[lower[0], upper[0]], mode="lines",
                                     line=dict(width=ONE_STEP_BAR, color=color), name=f"{level}% interval",
                                     hoverinfo="skip"))
            continue
        fig.add_trace(go.Scatter(x=x + x[::-1], y=[*upper, *lower[::-1]], fill="toself", mode="lines",
                                 line=dict(width=0), fillcolor=color, name=f"{level}% interval", hoverinfo="skip"))


def _rgba(color: str, alpha: float) -> str:
    """``#rrggbb`` as an ``rgba(...)`` string with ``alpha``."""
    r, g, b = (int(color[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha:.2f})"


def interval_forecast(times, actual, predicted, bands: Mapping[int, tuple[Sequence[float], Sequence[float]]], *,
                      unit: str = "", title: str = "Test forecasts with their intervals") -> go.Figure:
    """A model's forecasts of one step ahead across a period, on the series' time axis, with its prediction
    intervals as shaded bands and the actual values as dots: the values outside a band are easy to count.

    Args:
        times: one time label per forecast value.
        actual, predicted: the actual values and the forecasts, one per time.
        bands: ``{level: (lower, upper)}``, one bound per time each.
        unit: the y axis title.
        title: figure title.

    Returns:
        The bands (widest palest), the forecast as a line and the actual values as markers, x "Time".

    Raises:
        ValueError: on lengths that differ, or a lower bound above an upper one.
    """
    a, p = array(actual, "actual").ravel(), array(predicted, "predicted").ravel()
    x = list(times)
    if not len(x) == len(a) == len(p):
        raise ValueError(f"each value needs its time: {len(x)} times, {len(a)} actual, {len(p)} forecast values")
    fig = go.Figure()
    _add_bands(fig, x, bands, len(p))
    fig.add_trace(go.Scatter(x=x, y=p, mode="lines", name="Forecast", line=dict(color=FORECAST_COLOR, width=1.5)))
    fig.add_trace(go.Scatter(x=x, y=a, mode="markers", name="Actual", marker=dict(color=ACTUAL_COLOR, size=4)))
    fig.update_xaxes(title_text="Time")
    fig.update_yaxes(title_text=unit or "Value")
    return finish(fig, title)


def backtest_folds(times, actual, folds: Mapping[str, tuple[Sequence[Any], Sequence[float]]], *, unit: str = "",
                   title: str = "Backtest: each fold's forecasts against the actual values") -> go.Figure:
    """The series over the backtest's test folds, with each fold's one-step-ahead forecasts.

    Args:
        times, actual: the actual series over the folds (labels and values).
        folds: ``{label: (times, forecasts)}``, one per fold.

    Returns:
        The actual series and one dotted line per fold.
    """
    a = array(actual, "actual")
    fig = go.Figure(go.Scatter(x=list(times), y=a, mode="lines", name="Actual",
                               line=dict(color=ACTUAL_COLOR, width=1.5)))
    colors = [c for c in RUN_COLORS if c not in (ACTUAL_COLOR, INPUT_COLOR)]
    for i, (label, (fold_times, forecasts)) in enumerate(folds.items()):
        fig.add_trace(go.Scatter(x=list(fold_times), y=array(forecasts, label), mode="lines", name=label,
                                 line=dict(color=colors[i % len(colors)], width=1.5, dash="dot")))
    fig.update_xaxes(title_text="Time")
    fig.update_yaxes(title_text=unit or "Value")
    return finish(fig, title)


def fold_errors(labels: Sequence[str], mse: Sequence[float], *, baseline: Sequence[float] | None = None,
                title: str = "Test MSE by fold") -> go.Figure:
    """Each fold's test MSE as a bar, their mean as a dashed line, and a baseline's as grey bars.

    Args:
        labels: one per fold.
        mse: each fold's test MSE.
        baseline: the naive forecast's test MSE per fold, drawn beside it.

    Returns:
        A grouped bar chart with the mean as a dashed line (named in the legend).
    """
    values = array(mse, "mse")
    fig = go.Figure(go.Bar(x=list(labels), y=values, name="Model", marker_color=BAR_COLOR))
    if baseline is not None:
        fig.add_trace(go.Bar(x=list(labels), y=array(baseline, "baseline"), name="Naive forecast",
                             marker_color=NAIVE_COLOR))
    mean = float(values.mean())
    fig.add_hline(y=mean, line=dict(color=HIGHLIGHT_COLOR, dash="dash"))
    fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines", name=f"mean ({mean:.3g})",
                             line=dict(color=HIGHLIGHT_COLOR, dash="dash")))
    fig.update_layout(barmode="group")
    fig.update_xaxes(title_text="Fold")
    fig.update_yaxes(title_text="Test MSE")
    return finish(fig, title)
