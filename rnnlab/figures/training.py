"""Figures of training and its results: learning curves, parameter counts, errors by model and by horizon
step, forecasts against the actual values, and the change against the naive forecast as text.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go

from rnnlab.figures.style import (BAR_COLOR, FORECAST_COLOR, NAIVE_COLOR, RUN_COLORS, TEST_COLOR, VALID_COLOR,
                                  array, finish, integer_ticks, is_count, mse_value, number)

__all__ = [
    "loss_curves",
    "param_counts",
    "mse_bars",
    "mse_by_step",
    "prediction_scatter",
    "metric_delta",
]


def loss_curves(runs: Mapping[str, Sequence[Mapping[str, Any]]], *, log_y: bool = False,
                title: str = "Learning curves") -> go.Figure:
    """Training and validation loss per epoch, one colour per run.

    Args:
        runs: run label -> history, a list of dicts with keys ``"epoch"``, ``"loss"``, ``"val_loss"`` (may be
            None or absent when the run has no validation set) and optionally ``"seconds"`` (shown on hover).
        log_y: use a logarithmic loss axis (useful when the first epochs dwarf the rest).
        title: figure title.

    Returns:
        A figure with a solid training line and a dashed validation line per run. With no epochs at all
        (an empty mapping, or only empty histories) the figure is empty but for a "No epochs yet" note, so a
        page can show it before training reports anything.

    Raises:
        ValueError: when ``runs`` is not a mapping or a history entry lacks ``epoch`` or ``loss``.
    """
    if not isinstance(runs, Mapping):
        raise ValueError(f"runs must map a run label to its history, got {type(runs).__name__}")
    fig = go.Figure()
    longest = 0
    drawn = 0
    for index, (label, history) in enumerate(runs.items()):
        if not history:
            continue
        epochs, loss, val_loss, seconds = _history_columns(str(label), history)
        color = RUN_COLORS[index % len(RUN_COLORS)]
        longest = max(longest, len(epochs))
        hover = "epoch %{x}<br>%{y:.5g}"
        custom = None
        if all(s is not None for s in seconds):
            custom = seconds
            hover += "<br>%{customdata:.1f} s"
        fig.add_trace(go.Scatter(
            x=epochs, y=loss, mode="lines+markers", name=f"{label} (train)", legendgroup=str(label),
            line=dict(color=color, width=2), marker=dict(size=4), customdata=custom,
            hovertemplate=hover + "<extra>%{fullData.name}</extra>",
        ))
        if any(v is not None for v in val_loss):
            fig.add_trace(go.Scatter(
                x=epochs, y=val_loss, mode="lines+markers", name=f"{label} (valid)", legendgroup=str(label),
                line=dict(color=color, width=2, dash="dash"), marker=dict(size=4, symbol="diamond"),
                customdata=custom, hovertemplate=hover + "<extra>%{fullData.name}</extra>",
            ))
        drawn += 1

    fig.update_xaxes(title_text="Epoch")
    fig.update_yaxes(title_text="MSE (loss)", type="log" if log_y else "linear")
    if drawn == 0:
        fig.add_annotation(text="No epochs yet", x=0.5, y=0.5, xref="paper", yref="paper", showarrow=False,
                           font=dict(size=16, color=NAIVE_COLOR))
        fig.update_xaxes(showticklabels=False, showgrid=False, zeroline=False)
        fig.update_yaxes(showticklabels=False, showgrid=False, zeroline=False)
    elif longest <= 12:
        # Few epochs: plotly would otherwise tick at 1.5, 2.5... which are not epochs.
        fig.update_xaxes(tickmode="linear", dtick=1)
    return finish(fig, title)


def _history_columns(label: str, history: Sequence[Mapping[str, Any]]):
    epochs, loss, val_loss, seconds = [], [], [], []
    for i, row in enumerate(history):
        if not isinstance(row, Mapping):
            raise ValueError(f"run {label!r}: history entry {i} must be a dict, got {type(row).__name__}")
        for key in ("epoch", "loss"):
            if key not in row:
                raise ValueError(f"run {label!r}: history entry {i} has no {key!r} key")
        epochs.append(number(row["epoch"], f"run {label!r} epoch"))
        loss.append(number(row["loss"], f"run {label!r} loss at epoch {row['epoch']}"))
        v = row.get("val_loss")
        val_loss.append(None if v is None else number(v, f"run {label!r} val_loss at epoch {row['epoch']}"))
        s = row.get("seconds")
        seconds.append(None if s is None else number(s, f"run {label!r} seconds"))
    return epochs, loss, val_loss, seconds


def param_counts(counts: Mapping[str, int], *, log_y: bool = True,
                 title: str = "Parameters per model") -> go.Figure:
    """How many trainable parameters each model has, as labelled bars.

    Args:
        counts: model label -> number of parameters (a non-negative integer).
        log_y: logarithmic y axis; the default because counts span 3 (a single SimpleRNN neuron) to
            thousands, and on a linear axis the small models vanish.
        title: figure title.

    Returns:
        A bar chart with each count written on its bar with thousands separators.

    Raises:
        ValueError: on an empty mapping, a negative or non-integer count, or a zero count on a log axis.
    """
    if not isinstance(counts, Mapping) or not counts:
        raise ValueError("counts must be a non-empty mapping of model label -> number of parameters")
    labels, values = [], []
    for label, count in counts.items():
        if not is_count(count) or count < 0:
            raise ValueError(f"the parameter count of {label!r} must be a non-negative integer, got {count!r}")
        if log_y and count == 0:
            raise ValueError(f"{label!r} has 0 parameters, which a log axis cannot show; "
                             "pass log_y=False or leave it out")
        labels.append(str(label))
        values.append(int(count))

    fig = go.Figure(go.Bar(
        x=labels, y=values, name="parameters", marker_color=BAR_COLOR,
        text=[f"{v:,}" for v in values], textposition="outside", cliponaxis=False,
        hovertemplate="%{x}<br>%{y:,} parameters<extra></extra>",
    ))
    fig.update_xaxes(title_text="Model")
    if log_y:
        # Bars on a log axis grow from the bottom of the range: start below the smallest count so it shows,
        # and leave headroom for the number printed above the tallest bar.
        low = min(0.0, math.log10(min(values)) - 0.3)
        high = math.log10(max(values)) + 0.35
        fig.update_yaxes(title_text="Parameters", type="log", range=[low, high])
    else:
        fig.update_yaxes(title_text="Parameters", range=[0, max(values) * 1.15 or 1])
    return finish(fig, title, legend=False)


def mse_bars(rows: Sequence[Mapping[str, Any]], *, naive_mse: float | None = None,
             title: str = "Validation and test MSE", log_y: bool = False) -> go.Figure:
    """Validation and test MSE of several models as grouped bars, optionally against the naive forecast.

    Args:
        rows: dicts with ``"label"``, ``"valid_mse"`` and ``"test_mse"`` (None or absent when the model was
            not scored on the test set).
        naive_mse: the naive forecast's MSE, drawn as a dashed grey horizontal line, named in the legend.
        title: figure title.
        log_y: log scale for the MSE axis (useful when the naive forecast dwarfs the models).

    Returns:
        A grouped bar chart; the test bars are left out entirely when no row has a test MSE.

    Raises:
        ValueError: on no rows, a row missing ``label`` or ``valid_mse``, or a negative or non-finite MSE.
    """
    if isinstance(rows, (str, bytes, Mapping)) or not isinstance(rows, Sequence) or not rows:
        raise ValueError("rows must be a non-empty list of dicts with 'label', 'valid_mse' and 'test_mse'")
    labels, valid, test = [], [], []
    for i, row in enumerate(rows):
        if not isinstance(row, Mapping) or "label" not in row or "valid_mse" not in row:
            raise ValueError(f"row {i} must be a dict with at least 'label' and 'valid_mse', got {row!r}")
        label = str(row["label"])
        labels.append(label)
        valid.append(mse_value(row["valid_mse"], f"valid_mse of {label!r}"))
        t = row.get("test_mse")
        test.append(None if t is None else mse_value(t, f"test_mse of {label!r}"))

    hover = "%{x}<br>%{y:.4g}<extra>%{fullData.name}</extra>"
    fig = go.Figure(go.Bar(x=labels, y=valid, name="Validation MSE", marker_color=VALID_COLOR,
                           hovertemplate=hover))
    if any(t is not None for t in test):
        fig.add_trace(go.Bar(x=labels, y=test, name="Test MSE", marker_color=TEST_COLOR, hovertemplate=hover))
    fig.update_layout(barmode="group", bargap=0.25, bargroupgap=0.05)
    fig.update_xaxes(title_text="Model")
    fig.update_yaxes(title_text="MSE", rangemode="tozero")
    if naive_mse is not None:
        naive = mse_value(naive_mse, "naive_mse")
        line = dict(color=NAIVE_COLOR, dash="dash", width=1.5)
        fig.add_hline(y=naive, line=line)
        # Named in the legend, not by a label on the line: a label sat on top of whichever bars were tallest.
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines", line=line, hoverinfo="skip",
                                 name=f"naive forecast ({naive:.3g})"))
    if log_y:  # errors span orders of magnitude once the naive forecast is on the chart
        fig.update_yaxes(type="log")
    return finish(fig, title)


def mse_by_step(per_step: Mapping[str, Sequence[float]], *, naive_per_step: Sequence[float] | None = None,
                title: str = "MSE by horizon step", log_y: bool = False) -> go.Figure:
    """How the error grows with the distance of the forecast: one line per model, step 1 to the horizon.

    Args:
        per_step: model label -> MSE at each horizon step (step 1 first); all the same length.
        naive_per_step: the naive forecast's MSE at each step, drawn as a grey dashed line.
        title: figure title.
        log_y: log scale for the MSE axis.

    Returns:
        A line chart with markers, x "Steps ahead" in whole steps starting at 1.

    Raises:
        ValueError: on an empty mapping, an empty list, or lists (including the naive one) of different
            lengths.
    """
    if not isinstance(per_step, Mapping) or not per_step:
        raise ValueError("per_step must be a non-empty mapping of model label -> MSE per horizon step")
    curves = {str(label): array(values, f"per_step[{label!r}]").ravel() for label, values in per_step.items()}
    lengths = {label: len(values) for label, values in curves.items()}
    horizon = next(iter(lengths.values()))
    if len(set(lengths.values())) > 1:
        raise ValueError(f"every model needs the same number of horizon steps, got {lengths}")
    naive = None
    if naive_per_step is not None:
        naive = array(naive_per_step, "naive_per_step").ravel()
        if len(naive) != horizon:
            raise ValueError(f"naive_per_step has {len(naive)} steps but the models have {horizon}")

    steps = np.arange(1, horizon + 1)
    fig = go.Figure()
    for index, (label, values) in enumerate(curves.items()):
        color = RUN_COLORS[index % len(RUN_COLORS)]
        fig.add_trace(go.Scatter(x=steps, y=values, mode="lines+markers", name=label,
                                 line=dict(color=color, width=2), marker=dict(size=6, color=color)))
    if naive is not None:
        fig.add_trace(go.Scatter(x=steps, y=naive, mode="lines+markers", name="naive forecast",
                                 line=dict(color=NAIVE_COLOR, width=2, dash="dash"),
                                 marker=dict(size=5, color=NAIVE_COLOR)))
    fig.update_xaxes(title_text="Steps ahead", range=[0.5, horizon + 0.5], **integer_ticks(horizon))
    fig.update_yaxes(title_text="MSE", rangemode="tozero")
    if log_y:  # errors span orders of magnitude once the naive forecast is on the chart
        fig.update_yaxes(type="log")
    return finish(fig, title)


def prediction_scatter(actual, predicted, *, title: str = "Predicted vs actual") -> go.Figure:
    """Every forecast value against the value that really came, with the ``y = x`` line of a perfect model.

    Args:
        actual: the true values, any shape (flattened).
        predicted: the forecasts, the same shape as ``actual``.
        title: figure title.

    Returns:
        A scatter (WebGL above 5,000 points, so big test sets stay responsive) with equal axis scales and
        the line ``y = x`` across the range of both arrays.

    Raises:
        ValueError: when the shapes differ, the arrays are empty or hold no finite value.
    """
    a, p = array(actual, "actual"), array(predicted, "predicted")
    if a.shape != p.shape:
        raise ValueError(f"actual and predicted must have the same shape, got {a.shape} and {p.shape}")
    a, p = a.ravel(), p.ravel()
    finite = np.isfinite(a) & np.isfinite(p)
    if not finite.any():
        raise ValueError("actual and predicted hold no finite pair of values")
    low = float(min(a[finite].min(), p[finite].min()))
    high = float(max(a[finite].max(), p[finite].max()))

    scatter = go.Scattergl if a.size > 5000 else go.Scatter
    # Small translucent markers: dense regions show up as darker instead of a solid blob.
    points = scatter(
        x=a, y=p, mode="markers", name="forecasts",
        marker=dict(size=4, color=FORECAST_COLOR, opacity=0.35),
        hovertemplate="actual %{x:.4f}<br>predicted %{y:.4f}<extra></extra>",
    )
    diagonal = go.Scatter(
        x=[low, high], y=[low, high], mode="lines", name="perfect forecast (y = x)",
        line=dict(color=NAIVE_COLOR, dash="dash", width=1.5), hoverinfo="skip",
    )
    fig = go.Figure([points, diagonal])
    pad = (high - low) * 0.04 or 0.5  # constant data still needs a visible window
    view = [low - pad, high + pad]
    fig.update_xaxes(title_text="Actual value", range=view, constrain="domain")
    fig.update_yaxes(title_text="Predicted value", range=view, scaleanchor="x", scaleratio=1, constrain="domain")
    return finish(fig, title)


#: What :func:`metric_delta` says when the change rounds to zero.
SAME_AS_NAIVE = "same as naive"


def metric_delta(value: float, baseline: float) -> str:
    """The relative change of a metric against the naive baseline, e.g. ``"-87.1% vs naive"``.

    Args:
        value: the model's metric (e.g. its validation MSE).
        baseline: the naive forecast's metric, positive.

    Returns:
        The change in percent with one decimal and an explicit sign, followed by "vs naive"; :data:`SAME_AS_NAIVE`
        when it rounds to zero.

    Raises:
        ValueError: when ``baseline <= 0`` (a relative change is undefined) or either number is not finite.
    """
    value = number(value, "value")
    baseline = number(baseline, "baseline")
    if baseline <= 0:
        raise ValueError(f"baseline must be positive to compute a relative change, got {baseline}")
    change = round((value / baseline - 1.0) * 100.0, 1)
    if change == 0:  # no "+0.0%" drawn as a loss (a network that kept its start, the naive forecast)
        return SAME_AS_NAIVE
    return f"{change:+.1f}% vs naive"
