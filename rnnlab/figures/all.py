"""Plotly figures for the lab: pure functions from arrays and result dicts to ``go.Figure`` objects.

Nothing here imports Streamlit, TensorFlow or Keras, so the figures can be built and tested anywhere; a page
only has to pass the returned figure to ``st.plotly_chart``. Every figure uses the ``rnnlab`` template (the
layout and trace defaults of ``plotly_white`` for the trace types drawn here),
the colour constants below (the same meaning keeps the same colour on every page), labelled axes and modest
margins so it stays readable in a narrow column. Bad input raises ``ValueError`` saying what was expected.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
from plotly.subplots import make_subplots

from rnnlab.models.registry import receptive_field

# --------------------------------------------------------------------------------------------------
# Palette: one meaning, one colour, on every page.
# --------------------------------------------------------------------------------------------------
INPUT_COLOR = "#1f77b4"  # blue: the series the model sees
ACTUAL_COLOR = "#2ca02c"  # green: what really happened next
FORECAST_COLOR = "#d62728"  # red: what a model predicted
NAIVE_COLOR = "#7f7f7f"  # grey: the naive "last value" baseline
VALID_COLOR = "#1f77b4"
TEST_COLOR = "#ff7f0e"
BAR_COLOR = "#1f77b4"
HIGHLIGHT_COLOR = "#ff7f0e"  # orange: the part of a diagram the eye should follow
FAINT_COLOR = "#d9d9d9"
NEURON_FILL = "#fde0c5"
INPUT_FILL = "#dbe9f6"

#: Colours for comparing runs. Grey is left out because it means "naive forecast" everywhere.
RUN_COLORS: tuple[str, ...] = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22",
)


def _lean_template() -> go.layout.Template:
    """``plotly_white``'s layout and its defaults for the trace types these figures use, nothing else.

    Plotly validates and copies the template into every figure it is set on; the full ``plotly_white`` carries
    defaults for some forty trace types and made up half the cost of a small figure, paid on every page run
    of every student on a shared server.
    """
    white = pio.templates["plotly_white"]
    lean = go.layout.Template(layout=white.layout)
    for trace_type in ("scatter", "bar", "heatmap"):
        setattr(lean.data, trace_type, getattr(white.data, trace_type))
    pio.templates["rnnlab"] = lean
    return lean


_lean_template()
TEMPLATE = "rnnlab"
# Modest margins: pages are often a narrow column. The top margin is grown by plotly to fit the legend.
MARGIN = dict(l=60, r=20, t=20, b=55)
MARGIN_TOP_NO_LEGEND = 50  # room for the title alone

__all__ = [
    "series_preview",
    "real_series",
    "future_forecast",
    "backtest_folds",
    "fold_errors",
    "loss_curves",
    "param_counts",
    "mse_bars",
    "prediction_scatter",
    "mse_by_step",
    "hidden_state_heatmap",
    "unrolled_neuron",
    "dilated_convolutions",
    "bptt_diagram",
    "metric_delta",
    "for_projector",
]


# --------------------------------------------------------------------------------------------------
# Shared helpers
# --------------------------------------------------------------------------------------------------
def _array(values: Any, name: str) -> np.ndarray:
    """``values`` as a non-empty float64 array, with a readable error for ragged or non-numeric input."""
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a numeric array (rectangular, no text): {exc}") from None
    if arr.size == 0:
        raise ValueError(f"{name} is empty: there is nothing to plot")
    return arr


def _number(value: Any, name: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, got {value!r}") from None
    if not math.isfinite(number):
        raise ValueError(f"{name} must be finite, got {number}")
    return number


def _finish(fig: go.Figure, title: str, *, legend: bool = True) -> go.Figure:
    """Apply the look shared by every figure: template, title, margins, legend above the plot."""
    legend = legend and len(fig.data) > 0  # an empty legend reserves no space, so the title would need it
    fig.update_layout(
        template=TEMPLATE,
        title=dict(text=title, x=0.0, xanchor="left", xref="container", y=1.0, yanchor="top",
                   yref="container", pad=dict(t=12, l=8)),
        margin=dict(MARGIN, t=MARGIN["t"] if legend else MARGIN_TOP_NO_LEGEND),
        showlegend=legend,
        hoverlabel=dict(namelength=-1),
    )
    if legend:
        # Horizontal, above the plot: a vertical legend on the right eats half of a narrow column. It is
        # pinned to the top of the figure and plotly grows the top margin to fit it, however many lines it
        # wraps to; its blank title row is the space the figure title sits in. A legend placed just above
        # the plot instead would grow upwards into the title as soon as it wraps.
        fig.update_layout(legend=dict(
            orientation="h", x=0.0, xanchor="left", y=1.0, yanchor="top", yref="container",
            title=dict(text=" ", side="top left", font=dict(size=26)),
        ))
    return fig


def for_projector(fig: go.Figure, font_size: int = 20, *, min_height: int = 560) -> go.Figure:
    """``fig`` made readable from the back of a room: larger type, a taller plot, and on log axes one
    labelled tick per power of ten (plotly's 2 and 5 between them crowd into each other at that size).

    Args:
        fig: any figure of this module; changed in place.
        font_size: the text size; titles get 6 points more.
        min_height: the least height in pixels (a taller figure keeps its height).

    Returns:
        ``fig``.
    """
    fig.update_layout(font=dict(size=font_size), title_font=dict(size=font_size + 6),
                      height=max(fig.layout.height or 0, min_height))
    fig.for_each_xaxis(lambda axis: axis.update(dtick=1) if axis.type == "log" else None)
    fig.for_each_yaxis(lambda axis: axis.update(dtick=1) if axis.type == "log" else None)
    return fig


def _integer_ticks(axis_length: int) -> dict[str, Any]:
    """Tick settings showing whole numbers only (epochs, steps), about a dozen at most, starting at 1."""
    step = max(1, math.ceil(axis_length / 12))
    return dict(tickmode="linear", tick0=1, dtick=step)


# --------------------------------------------------------------------------------------------------
# Series and forecasts
# --------------------------------------------------------------------------------------------------
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
    x = _array(X, "X")
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
    if isinstance(n_series, bool) or not isinstance(n_series, (int, np.integer)):
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
    return _finish(fig, title)


PERIOD_COLORS = {"training": "rgba(31,119,180,0.07)", "validation": "rgba(255,127,14,0.10)",
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
    y = _array(values, "values")
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
        fig.add_vrect(x0=x[start], x1=x[min(end, len(x) - 1)], fillcolor=PERIOD_COLORS.get(name, FAINT_COLOR),
                      line_width=0, layer="below", annotation_text=name, annotation_position="top left",
                      annotation_font=dict(size=11, color="#555"))
    fig.update_xaxes(title_text="Time" if times is not None else "Row")
    fig.update_yaxes(title_text=unit or "Value")
    return _finish(fig, title, legend=False)


def future_forecast(history_times, history, future_times, future, *, last_time: Any, rolled: bool = False,
                    unit: str = "", title: str = "Forecast past the end") -> go.Figure:
    """The end of a series, then the model's forecast of the values that follow, on one continuous time axis,
    with a marker at the last observation.

    Args:
        history_times, history: the last observations (labels and values).
        future_times, future: the forecast's timestamps and values.
        last_time: the time of the last observation (where the forecast starts).
        rolled: the forecast came from a one-step model fed its own forecasts (said in the legend).
        unit: the y axis title.

    Returns:
        The observed line, the forecast joined to its last point, and a dashed line at the last observation.
    """
    h, f = _array(history, "history"), _array(future, "future")
    if len(history_times) != len(h) or len(future_times) != len(f):
        raise ValueError("each value needs its time")
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=list(history_times), y=h, mode="lines", name="Observed",
                             line=dict(color=INPUT_COLOR, width=1.5)))
    label = "Forecast (one-step model rolled forward)" if rolled else "Forecast"
    fig.add_trace(go.Scatter(x=[history_times[-1], *future_times], y=[h[-1], *f], mode="lines+markers",
                             name=label, line=dict(color=FORECAST_COLOR, width=2, dash="dot"),
                             marker=dict(symbol="x", size=8, color=FORECAST_COLOR)))
    fig.add_vline(x=last_time, line=dict(color=NAIVE_COLOR, dash="dash", width=1))
    fig.add_annotation(x=last_time, y=1.0, yref="paper", text="last observation", showarrow=False,
                       xanchor="right", yanchor="top", font=dict(size=11, color="#555"))
    fig.update_xaxes(title_text="Time")
    fig.update_yaxes(title_text=unit or "Value")
    return _finish(fig, title)


def backtest_folds(times, actual, folds: Mapping[str, tuple[Sequence[Any], Sequence[float]]], *, unit: str = "",
                   title: str = "Backtest: each fold's forecasts against the actual values") -> go.Figure:
    """The series over the backtest's test folds, with each fold's one-step-ahead forecasts.

    Args:
        times, actual: the actual series over the folds (labels and values).
        folds: ``{label: (times, forecasts)}``, one per fold.

    Returns:
        The actual series and one dotted line per fold.
    """
    a = _array(actual, "actual")
    fig = go.Figure(go.Scatter(x=list(times), y=a, mode="lines", name="Actual",
                               line=dict(color=ACTUAL_COLOR, width=1.5)))
    colors = [c for c in RUN_COLORS if c not in (ACTUAL_COLOR, INPUT_COLOR)]
    for i, (label, (fold_times, forecasts)) in enumerate(folds.items()):
        fig.add_trace(go.Scatter(x=list(fold_times), y=_array(forecasts, label), mode="lines", name=label,
                                 line=dict(color=colors[i % len(colors)], width=1.5, dash="dot")))
    fig.update_xaxes(title_text="Time")
    fig.update_yaxes(title_text=unit or "Value")
    return _finish(fig, title)


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
    values = _array(mse, "mse")
    fig = go.Figure(go.Bar(x=list(labels), y=values, name="Model", marker_color=BAR_COLOR))
    if baseline is not None:
        fig.add_trace(go.Bar(x=list(labels), y=_array(baseline, "baseline"), name="Naive forecast",
                             marker_color=NAIVE_COLOR))
    mean = float(values.mean())
    fig.add_hline(y=mean, line=dict(color=HIGHLIGHT_COLOR, dash="dash"))
    fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines", name=f"mean ({mean:.3g})",
                             line=dict(color=HIGHLIGHT_COLOR, dash="dash")))
    fig.update_layout(barmode="group")
    fig.update_xaxes(title_text="Fold")
    fig.update_yaxes(title_text="Test MSE")
    return _finish(fig, title)


def _future_2d(values: Any, name: str, n: int) -> np.ndarray:
    arr = _array(values, name)
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
    a, p = _array(actual, "actual"), _array(predicted, "predicted")
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
    return _finish(fig, title)


# --------------------------------------------------------------------------------------------------
# Training and results
# --------------------------------------------------------------------------------------------------
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
    return _finish(fig, title)


def _history_columns(label: str, history: Sequence[Mapping[str, Any]]):
    epochs, loss, val_loss, seconds = [], [], [], []
    for i, row in enumerate(history):
        if not isinstance(row, Mapping):
            raise ValueError(f"run {label!r}: history entry {i} must be a dict, got {type(row).__name__}")
        for key in ("epoch", "loss"):
            if key not in row:
                raise ValueError(f"run {label!r}: history entry {i} has no {key!r} key")
        epochs.append(_number(row["epoch"], f"run {label!r} epoch"))
        loss.append(_number(row["loss"], f"run {label!r} loss at epoch {row['epoch']}"))
        v = row.get("val_loss")
        val_loss.append(None if v is None else _number(v, f"run {label!r} val_loss at epoch {row['epoch']}"))
        s = row.get("seconds")
        seconds.append(None if s is None else _number(s, f"run {label!r} seconds"))
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
        if isinstance(count, bool) or not isinstance(count, (int, np.integer)) or count < 0:
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
    return _finish(fig, title, legend=False)


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
        valid.append(_mse_value(row["valid_mse"], f"valid_mse of {label!r}"))
        t = row.get("test_mse")
        test.append(None if t is None else _mse_value(t, f"test_mse of {label!r}"))

    hover = "%{x}<br>%{y:.4g}<extra>%{fullData.name}</extra>"
    fig = go.Figure(go.Bar(x=labels, y=valid, name="Validation MSE", marker_color=VALID_COLOR,
                           hovertemplate=hover))
    if any(t is not None for t in test):
        fig.add_trace(go.Bar(x=labels, y=test, name="Test MSE", marker_color=TEST_COLOR, hovertemplate=hover))
    fig.update_layout(barmode="group", bargap=0.25, bargroupgap=0.05)
    fig.update_xaxes(title_text="Model")
    fig.update_yaxes(title_text="MSE", rangemode="tozero")
    if naive_mse is not None:
        naive = _mse_value(naive_mse, "naive_mse")
        line = dict(color=NAIVE_COLOR, dash="dash", width=1.5)
        fig.add_hline(y=naive, line=line)
        # Named in the legend, not by a label on the line: a label sat on top of whichever bars were tallest.
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines", line=line, hoverinfo="skip",
                                 name=f"naive forecast ({naive:.3g})"))
    if log_y:  # errors span orders of magnitude once the naive forecast is on the chart
        fig.update_yaxes(type="log")
    return _finish(fig, title)


def _mse_value(value: Any, name: str) -> float:
    number = _number(value, name)
    if number < 0:
        raise ValueError(f"{name} is a mean squared error and cannot be negative, got {number}")
    return number


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
    curves = {str(label): _array(values, f"per_step[{label!r}]").ravel() for label, values in per_step.items()}
    lengths = {label: len(values) for label, values in curves.items()}
    horizon = next(iter(lengths.values()))
    if len(set(lengths.values())) > 1:
        raise ValueError(f"every model needs the same number of horizon steps, got {lengths}")
    naive = None
    if naive_per_step is not None:
        naive = _array(naive_per_step, "naive_per_step").ravel()
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
    fig.update_xaxes(title_text="Steps ahead", range=[0.5, horizon + 0.5], **_integer_ticks(horizon))
    fig.update_yaxes(title_text="MSE", rangemode="tozero")
    if log_y:  # errors span orders of magnitude once the naive forecast is on the chart
        fig.update_yaxes(type="log")
    return _finish(fig, title)


# --------------------------------------------------------------------------------------------------
# Inside the network
# --------------------------------------------------------------------------------------------------
def hidden_state_heatmap(states, *, title: str = "Hidden states over time",
                         layer_name: str | None = None) -> go.Figure:
    """The activations of a recurrent layer's units at each time step.

    Args:
        states: shape ``[time, units]`` (list of lists or array); a 1-D array is read as a single unit.
        title: figure title.
        layer_name: appended to the title when given, e.g. ``"simple_rnn_1"``.

    Returns:
        A heatmap, time on x and units on y, with a diverging colour scale centred on 0 so the sign of
        each activation reads at a glance.

    Raises:
        ValueError: on empty, ragged or more than 2-D input.
    """
    s = _array(states, "states")
    if s.ndim == 1:
        s = s[:, np.newaxis]
    if s.ndim != 2:
        raise ValueError(f"states must have shape [time, units], got {s.shape}")
    n_time, n_units = s.shape
    fig = go.Figure(go.Heatmap(
        z=s.T, x=np.arange(n_time), y=np.arange(n_units), colorscale="RdBu", zmid=0,
        colorbar=dict(title=dict(text="activation"), thickness=14),
        hovertemplate="t = %{x}<br>unit %{y}<br>%{z:.4f}<extra></extra>", name="activation",
    ))
    fig.update_xaxes(title_text="Time step t", showgrid=False)
    fig.update_yaxes(title_text="Unit", showgrid=False, **(dict(dtick=1) if n_units <= 24 else {}))
    full_title = f"{title}: {layer_name}" if layer_name else title
    return _finish(fig, full_title, legend=False)


def unrolled_neuron(inputs, states, weights: Mapping[str, float], *, n_show: int = 6,
                    title: str = "A recurrent neuron unrolled through time") -> go.Figure:
    """Diagram of one recurrent neuron drawn once per time step, with its real inputs, outputs and weights.

    Args:
        inputs: the input series x(t), length T (``[T, 1]`` accepted).
        states: the neuron's outputs y(t), length T (``[T, 1]`` accepted).
        weights: ``{"w_x": ..., "w_y": ..., "b": ...}``, the neuron's input weight, recurrent weight and bias.
        n_show: how many time steps to draw (clipped to T); must be at least 1.
        title: figure title.

    Returns:
        A figure of shapes and annotations (axes hidden): an input box per step holding x(t), a circle above
        it holding y(t), arrows x(t) -> y(t) and y(t-1) -> y(t), and the update rule as a caption. Only the
        first arrow of each kind carries its weight: the weights are shared, and repeating them is clutter.

    Raises:
        ValueError: on empty or mismatched series, missing weights or ``n_show < 1``.
    """
    x = _array(inputs, "inputs")
    y = _array(states, "states")
    x = x.ravel() if x.ndim == 2 and x.shape[1] == 1 else x
    y = y.ravel() if y.ndim == 2 and y.shape[1] == 1 else y
    if x.ndim != 1 or y.ndim != 1:
        raise ValueError(f"inputs and states must be 1-D series (or [T, 1]), got {x.shape} and {y.shape}")
    if len(x) != len(y):
        raise ValueError(f"inputs and states must have the same length, got {len(x)} and {len(y)}")
    if not isinstance(weights, Mapping):
        raise ValueError("weights must be a dict with 'w_x', 'w_y' and 'b'")
    missing = [k for k in ("w_x", "w_y", "b") if k not in weights]
    if missing:
        raise ValueError(f"weights is missing {', '.join(missing)} (needs 'w_x', 'w_y' and 'b')")
    w_x, w_y, b = (_number(weights[k], k) for k in ("w_x", "w_y", "b"))
    if isinstance(n_show, bool) or not isinstance(n_show, (int, np.integer)) or n_show < 1:
        raise ValueError(f"n_show must be an integer of at least 1, got {n_show!r}")
    shown = min(int(n_show), len(x))

    # Positions are in data units (one per time step, inputs at y = 0, neurons at y = 1) but the shapes are
    # sized in pixels and the arrows stop a pixel distance short of them: the values inside always fit
    # and the circles stay round whatever the window's width and height.
    radius, box_w, box_h = 23, 50, 26  # pixels
    node_y, box_y = 1.0, 0.0
    grey = "#555555"
    fig = go.Figure()
    arrow = dict(xref="x", yref="y", axref="x", ayref="y", text="", showarrow=True, arrowhead=2,
                 arrowsize=1, arrowwidth=1.5, arrowcolor=grey)
    for t in range(shown):
        fig.add_shape(type="rect", xsizemode="pixel", ysizemode="pixel", xanchor=t, yanchor=box_y,
                      x0=-box_w / 2, x1=box_w / 2, y0=-box_h / 2, y1=box_h / 2,
                      line=dict(color=INPUT_COLOR, width=1.5), fillcolor=INPUT_FILL, layer="below")
        fig.add_shape(type="circle", xsizemode="pixel", ysizemode="pixel", xanchor=t, yanchor=node_y,
                      x0=-radius, x1=radius, y0=-radius, y1=radius,
                      line=dict(color=HIGHLIGHT_COLOR, width=2), fillcolor=NEURON_FILL, layer="below")
        fig.add_annotation(x=t, y=box_y, text=f"{x[t]:.3f}", showarrow=False, font=dict(size=12))
        fig.add_annotation(x=t, y=node_y, text=f"<b>{y[t]:.3f}</b>", showarrow=False, font=dict(size=12))
        fig.add_annotation(x=t, y=box_y, yshift=-(box_h / 2 + 4), yanchor="top", text=f"t = {t}",
                           showarrow=False, font=dict(size=12, color=grey))
        fig.add_annotation(x=t, y=node_y, ax=t, ay=box_y, standoff=radius, startstandoff=box_h / 2, **arrow)
        if t > 0:
            fig.add_annotation(x=t, y=node_y, ax=t - 1, ay=node_y, standoff=radius, startstandoff=radius,
                               **arrow)

    # Weight labels go beside the first arrow of each kind: w_x left of the vertical arrow, w_y above the
    # circles (between them there is no room in a narrow window).
    fig.add_annotation(x=0, y=(node_y + box_y) / 2, xshift=-6, xanchor="right", text=f"w_x = {w_x:.3f}",
                       showarrow=False, font=dict(size=11, color=INPUT_COLOR))
    if shown > 1:
        fig.add_annotation(x=0.5, y=node_y, yshift=radius + 2, yanchor="bottom", text=f"w_y = {w_y:.3f}",
                           showarrow=False, font=dict(size=11, color=HIGHLIGHT_COLOR))
    # Row names in the left gutter say what the numbers in the shapes are.
    for row_y, name, color in ((node_y, "y(t)", HIGHLIGHT_COLOR), (box_y, "x(t)", INPUT_COLOR)):
        fig.add_annotation(x=0, y=row_y, xshift=-(box_w / 2 + 6), xanchor="right", text=name, showarrow=False,
                           font=dict(size=13, color=color))
    if shown < len(x):
        fig.add_annotation(x=shown - 1, y=node_y, xshift=radius + 4, xanchor="left", text="…", showarrow=False,
                           font=dict(size=18, color=grey))
    caption = (f"y(t) = tanh(w_x·x(t) + w_y·y(t−1) + b), b = {b:.3f}"
               + ("" if shown > 1 else f", w_y = {w_y:.3f}"))
    fig.add_annotation(x=0.5, y=0.0, xref="paper", yref="paper", yanchor="top", yshift=-6, text=caption,
                       showarrow=False, font=dict(size=13))

    fig.update_xaxes(visible=False, range=[-0.9, shown - 0.3])
    fig.update_yaxes(visible=False, range=[-0.45, 1.35])
    fig = _finish(fig, title, legend=False)
    fig.update_layout(margin=dict(l=30, r=10, t=60, b=40), plot_bgcolor="white")
    return fig


def dilated_convolutions(kernel_size: int, dilations: Sequence[int], *, n_steps: int = 32,
                         title: str | None = None) -> go.Figure:
    """WaveNet-style diagram of stacked causal convolutions with growing dilation rates.

    Args:
        kernel_size: the kernel size of every layer (at least 1).
        dilations: the dilation rate of each layer, bottom first, e.g. ``(1, 2, 4, 8)``.
        n_steps: how many input time steps to draw (at least 2).
        title: figure title; by default "Receptive field: N time steps" with
            ``N = 1 + sum((kernel_size - 1) * d)``.

    Returns:
        A figure with one row of dots per layer above the row of inputs. Only the last output's dependencies
        are drawn: at each layer a node at step t reads t, t - d, t - 2d, ... below it, so the highlighted
        dots at the bottom are exactly the inputs it can see. Other nodes are faint.

    Raises:
        ValueError: on a kernel size below 1, no layers, a dilation below 1, or ``n_steps < 2``.
    """
    if isinstance(kernel_size, bool) or not isinstance(kernel_size, (int, np.integer)) or kernel_size < 1:
        raise ValueError(f"kernel_size must be an integer of at least 1, got {kernel_size!r}")
    dilations = list(dilations)
    if not dilations:
        raise ValueError("dilations is empty: give one dilation rate per layer, e.g. (1, 2, 4, 8)")
    for d in dilations:
        if isinstance(d, bool) or not isinstance(d, (int, np.integer)) or d < 1:
            raise ValueError(f"every dilation must be an integer of at least 1, got {d!r}")
    if isinstance(n_steps, bool) or not isinstance(n_steps, (int, np.integer)) or n_steps < 2:
        raise ValueError(f"n_steps must be an integer of at least 2, got {n_steps!r}")
    k, n_steps = int(kernel_size), int(n_steps)
    receptive = receptive_field(k, tuple(int(d) for d in dilations))
    n_layers = len(dilations)

    # Walk down from the last output: each active node activates the nodes its kernel reads.
    active: list[set[int]] = [set() for _ in range(n_layers + 1)]
    active[n_layers] = {n_steps - 1}
    edge_x: list[float | None] = []
    edge_y: list[float | None] = []
    for layer in range(n_layers, 0, -1):
        d = int(dilations[layer - 1])
        for t in sorted(active[layer]):
            for j in range(k):
                source = t - j * d
                if source < 0:  # causal padding: zeros, not inputs
                    continue
                active[layer - 1].add(source)
                edge_x += [t, source, None]
                edge_y += [layer, layer - 1, None]

    faint_x, faint_y, hot_x, hot_y = [], [], [], []
    for row in range(n_layers + 1):
        for t in range(n_steps):
            (hot_x if t in active[row] else faint_x).append(t)
            (hot_y if t in active[row] else faint_y).append(row)

    size = max(4, min(10, 300 / n_steps))
    fig = go.Figure([
        go.Scatter(x=edge_x, y=edge_y, mode="lines", name="connections to the last output",
                   line=dict(color=HIGHLIGHT_COLOR, width=1.5), hoverinfo="skip"),
        go.Scatter(x=faint_x, y=faint_y, mode="markers", name="other nodes",
                   marker=dict(size=size, color=FAINT_COLOR), hoverinfo="skip"),
        go.Scatter(x=hot_x, y=hot_y, mode="markers", name="receptive field",
                   marker=dict(size=size + 1, color=HIGHLIGHT_COLOR, line=dict(width=1, color="white")),
                   hovertemplate="t = %{x}<extra></extra>"),
    ])
    row_labels = ["input"] + [f"dilation {d}" for d in dilations]
    fig.update_xaxes(title_text="Time step t", range=[-0.8, n_steps - 0.2], showgrid=False, zeroline=False)
    fig.update_yaxes(tickmode="array", tickvals=list(range(n_layers + 1)), ticktext=row_labels,
                     range=[-0.5, n_layers + 0.5], showgrid=False, zeroline=False)
    x_title = "Time step t"
    if receptive > n_steps:
        # Said on the axis rather than in a note above the plot, where the legend lives.
        x_title += f" (the field reaches {receptive - n_steps} steps before t = 0)"
    fig.update_xaxes(title_text=x_title)
    return _finish(fig, title or f"Receptive field: {receptive} time steps")


def bptt_diagram(n_steps: int = 5, *, outputs: str = "all",
                 title: str = "Backpropagation through time") -> go.Figure:
    """An RNN unrolled through ``n_steps`` time steps, with the gradient's way back from the loss.

    Args:
        n_steps: time steps to draw (2 to 12).
        outputs: ``"all"`` when the loss uses every output (sequence-to-sequence) or ``"last"`` when it uses
            only the final one (sequence-to-vector); outputs the loss ignores are drawn faint.
        title: figure title.

    Returns:
        A figure of shapes and annotations (axes hidden): inputs x(t) at the bottom, the recurrent cell at each
        step, outputs y(t) above, and the loss at the top. Grey arrows are the forward pass; red arrows are
        the gradients, from the loss to every output it uses and back through the chain of cells.

    Raises:
        ValueError: on ``n_steps`` outside 2..12 or an unknown ``outputs``.
    """
    if isinstance(n_steps, bool) or not isinstance(n_steps, (int, np.integer)) or not 2 <= n_steps <= 12:
        raise ValueError(f"n_steps must be an integer from 2 to 12, got {n_steps!r}")
    if outputs not in ("all", "last"):
        raise ValueError(f"outputs must be 'all' or 'last', got {outputs!r}")
    n = int(n_steps)
    used = list(range(n)) if outputs == "all" else [n - 1]
    grey, gradient = "#555555", FORECAST_COLOR
    rows = {"x": 0.0, "h": 1.0, "y": 2.0}
    loss_x, loss_y = (n - 1) / 2, 3.1
    fig = go.Figure()

    def box(x, y, text, line, fill, faint=False):
        fig.add_shape(type="rect", xsizemode="pixel", ysizemode="pixel", xanchor=x, yanchor=y, x0=-22, x1=22,
                      y0=-13, y1=13, line=dict(color=FAINT_COLOR if faint else line, width=1.5),
                      fillcolor="white" if faint else fill, layer="below")
        fig.add_annotation(x=x, y=y, text=text, showarrow=False,
                           font=dict(size=12, color=FAINT_COLOR if faint else "#222222"))

    def arrow(x0, y0, x1, y1, color, width=1.3, standoff=14, yshift=0, xshift=0):
        fig.add_annotation(x=x1, y=y1, ax=x0, ay=y0, xref="x", yref="y", axref="x", ayref="y", text="",
                           showarrow=True, arrowhead=2, arrowsize=1, arrowwidth=width, arrowcolor=color,
                           standoff=standoff, startstandoff=standoff, yshift=yshift, xshift=xshift)

    for t in range(n):
        faint = t not in used
        box(t, rows["x"], f"x({t})", INPUT_COLOR, INPUT_FILL)
        box(t, rows["h"], f"h({t})", HIGHLIGHT_COLOR, NEURON_FILL)
        box(t, rows["y"], f"y({t})", ACTUAL_COLOR, "#e3f3e3", faint=faint)
        arrow(t, rows["x"], t, rows["h"], grey)
        arrow(t, rows["h"], t, rows["y"], FAINT_COLOR if faint else grey, xshift=0 if faint else -4)
        if t > 0:
            arrow(t - 1, rows["h"], t, rows["h"], grey, standoff=23, yshift=5)
    fig.add_shape(type="rect", xsizemode="pixel", ysizemode="pixel", xanchor=loss_x, yanchor=loss_y, x0=-40, x1=40,
                  y0=-14, y1=14, line=dict(color=gradient, width=2), fillcolor="#fbe3e3", layer="below")
    fig.add_annotation(x=loss_x, y=loss_y, text="<b>loss</b>", showarrow=False, font=dict(size=13))
    # Gradients: from the loss into each output it uses, then back along the recurrent chain to t = 0.
    for t in used:
        arrow(loss_x, loss_y, t, rows["y"], gradient, width=2, standoff=16)
        arrow(t, rows["y"], t, rows["h"], gradient, width=2, xshift=8)
    for t in range(max(used), 0, -1):
        arrow(t, rows["h"], t - 1, rows["h"], gradient, width=2, standoff=23, yshift=-6)
    caption = ("The loss uses every output: gradients flow back from each of them, then through all earlier steps."
               if outputs == "all" else
               "The loss uses only the last output: every gradient enters there and flows back through the chain.")
    fig.add_annotation(x=0.5, y=0.0, xref="paper", yref="paper", yanchor="top", yshift=-6, text=caption,
                       showarrow=False, font=dict(size=12))
    fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines", line=dict(color=grey), name="forward pass"))
    fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines", line=dict(color=gradient, width=2),
                             name="gradients (backpropagation through time)"))
    fig.update_xaxes(visible=False, range=[-0.7, n - 0.3])
    fig.update_yaxes(visible=False, range=[-0.5, 3.5])
    fig = _finish(fig, title)
    fig.update_layout(margin=dict(l=10, r=10, b=45), plot_bgcolor="white")
    return fig


# --------------------------------------------------------------------------------------------------
# Repeats and sweeps
# --------------------------------------------------------------------------------------------------
def _spread_rows(rows: Sequence[Mapping[str, Any]]) -> list[tuple[str, list[float], list[float]]]:
    """``(label, valid values, test values)`` per row, checked: every value a finite MSE."""
    if isinstance(rows, (str, bytes, Mapping)) or not isinstance(rows, Sequence) or not rows:
        raise ValueError("rows must be a non-empty list of dicts with 'label', 'valid' and 'test' (lists of MSE)")
    out = []
    for i, row in enumerate(rows):
        if not isinstance(row, Mapping) or "label" not in row or not row.get("valid"):
            raise ValueError(f"row {i} must be a dict with 'label' and a non-empty 'valid' list, got {row!r}")
        label = str(row["label"])
        valid = [_mse_value(v, f"valid MSE of {label!r}") for v in row["valid"]]
        test = [_mse_value(v, f"test MSE of {label!r}") for v in row.get("test") or []]
        out.append((label, valid, test))
    return out


def _mean_sd(values: Sequence[float]) -> tuple[float, float]:
    arr = np.asarray(values, dtype=float)
    return float(arr.mean()), float(arr.std(ddof=1)) if len(arr) > 1 else 0.0


REFERENCE_LINES = (dict(color=NAIVE_COLOR, dash="dash", width=1.5), dict(color=FORECAST_COLOR, dash="dot", width=2))


def repeat_spread(rows: Sequence[Mapping[str, Any]], *, references: Sequence[tuple[str, float]] = (),
                  title: str = "Mean and spread over training seeds") -> go.Figure:
    """Each configuration's validation (and test) MSE over its seeds: the mean with an error bar of one
    standard deviation, and every run as a faint point beside it.

    Args:
        rows: dicts with ``"label"``, ``"valid"`` (the runs' validation MSE) and optionally ``"test"``.
        references: ``(label, MSE)`` pairs drawn as horizontal lines named in the legend (the naive
            forecast's, the book's figure, a target): grey dashed, then red dotted.
    """
    data = _spread_rows(rows)
    labels = [label for label, _, _ in data]
    fig = go.Figure()
    for split, color, offset, index in (("Validation", VALID_COLOR, -0.12, 1), ("Test", TEST_COLOR, 0.12, 2)):
        if not any(row[index] for row in data):
            continue
        means, sds, xs = [], [], []
        points_x, points_y = [], []
        for i, row in enumerate(data):
            values = row[index]
            if not values:
                continue
            m, sd = _mean_sd(values)
            means.append(m)
            sds.append(sd)
            xs.append(i + offset)
            points_x += [i + offset + 0.05] * len(values)
            points_y += values
        fig.add_trace(go.Scatter(
            x=xs, y=means, mode="markers", name=f"{split} MSE: mean ± sd", marker=dict(color=color, size=11,
                                                                                     symbol="diamond"),
            error_y=dict(type="data", array=sds, visible=True, color=color, thickness=2, width=6),
            hovertemplate="%{customdata}<br>mean %{y:.5f} ± %{error_y.array:.5f}<extra></extra>",
            customdata=[labels[round(x - offset)] for x in xs]))
        fig.add_trace(go.Scatter(x=points_x, y=points_y, mode="markers", name=f"{split}: each seed",
                                 marker=dict(color=color, size=6, opacity=0.45), hovertemplate="%{y:.5f}<extra></extra>"))
    for i, (name, value) in enumerate(references):
        ref = _mse_value(value, f"reference {name!r}")
        line = REFERENCE_LINES[i % len(REFERENCE_LINES)]
        fig.add_hline(y=ref, line=line)
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines", line=line, hoverinfo="skip",
                                 name=f"{name} ({ref:.3g})"))
    fig.update_xaxes(tickmode="array", tickvals=list(range(len(labels))), ticktext=labels,
                     range=[-0.6, len(labels) - 0.4], title_text="Configuration")
    fig.update_yaxes(title_text="MSE")
    return _finish(fig, title)


def sweep_line(xs: Sequence[Any], rows: Sequence[Mapping[str, Any]], *, field_label: str,
               log_x: bool = False, title: str = "") -> go.Figure:
    """A one-field sweep: the mean validation and test MSE against the field's values, with error bars of one
    standard deviation over the seeds and every run as a faint point.

    Args:
        xs: the field's value for each row (numbers, or text for a choice).
        rows: as for :func:`repeat_spread`, in the same order as ``xs``.
        field_label: the x axis title.
        log_x: a log axis (values that double each step: units, learning rates).
    """
    data = _spread_rows(rows)
    if len(xs) != len(data):
        raise ValueError(f"xs has {len(xs)} values for {len(data)} rows")
    numeric = all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in xs)
    log = bool(log_x and numeric and min(xs) > 0)
    # Each seed's point sits a little beside its mean, validation left and test right, so the error bars stay
    # readable: a small factor on a log axis, a small share of the range on a linear one, a slot for categories.
    span = (max(xs) - min(xs)) if numeric else 0
    x_values = list(xs) if numeric else list(range(len(xs)))

    def beside(x: float, side: int) -> float:
        if log:
            return x * (1 + 0.04 * side)
        return x + side * (0.015 * span if numeric and span else 0.08)

    fig = go.Figure()
    for split, color, index, side in (("Validation", VALID_COLOR, 1, -1), ("Test", TEST_COLOR, 2, 1)):
        if not any(row[index] for row in data):
            continue
        keep = [i for i, row in enumerate(data) if row[index]]
        stats = [_mean_sd(data[i][index]) for i in keep]
        fig.add_trace(go.Scatter(
            x=[x_values[i] for i in keep], y=[m for m, _ in stats], mode="lines+markers", name=f"{split} MSE (mean ± sd)",
            line=dict(color=color, width=2), marker=dict(size=8),
            error_y=dict(type="data", array=[sd for _, sd in stats], visible=True, color=color, thickness=1.5,
                         width=5), hovertemplate="%{y:.5f}<extra>" + split + " mean</extra>"))
        fig.add_trace(go.Scatter(
            x=[beside(x_values[i], side) for i in keep for _ in data[i][index]],
            y=[v for i in keep for v in data[i][index]], mode="markers", name=f"{split}: each seed",
            marker=dict(color=color, size=6, opacity=0.45), hovertemplate="%{y:.5f}<extra>" + split + "</extra>"))
    ticks = dict(tickmode="array", tickvals=x_values, ticktext=[f"{x:g}" if numeric else str(x) for x in xs])
    fig.update_xaxes(title_text=field_label, type="log" if log else "linear", **ticks)
    fig.update_yaxes(title_text="MSE")
    return _finish(fig, title or f"Error against {field_label.lower()}")


def sweep_heatmap(x_values: Sequence[Any], y_values: Sequence[Any], means: Sequence[Sequence[float | None]], *,
                  x_label: str, y_label: str, sds: Sequence[Sequence[float | None]] | None = None,
                  title: str = "Mean validation MSE") -> go.Figure:
    """A two-field sweep: the mean validation MSE of each combination as a heat map, its value (± sd) written
    in each cell; cells not trained yet are blank.

    Args:
        x_values, y_values: the two fields' values (columns, rows).
        means: ``means[row][column]``, None for a cell without results.
        sds: the standard deviations in the same layout (written after the mean).
    """
    if not x_values or not y_values:
        raise ValueError("a heat map needs at least one value on each axis")
    z = np.full((len(y_values), len(x_values)), np.nan)
    text = [["" for _ in x_values] for _ in y_values]
    if len(means) != len(y_values) or any(len(row) != len(x_values) for row in means):
        raise ValueError(f"means must be {len(y_values)} rows of {len(x_values)} values")
    for r, row in enumerate(means):
        for c, value in enumerate(row):
            if value is None:
                continue
            z[r, c] = _mse_value(value, f"mean MSE at row {r}, column {c}")
            sd = sds[r][c] if sds is not None else None
            text[r][c] = f"{value:.4g}" + (f"<br>± {sd:.2g}" if sd else "")
    xs, ys = [str(v) for v in x_values], [str(v) for v in y_values]
    fig = go.Figure(go.Heatmap(
        x=xs, y=ys, z=z, text=text, texttemplate="%{text}", colorscale="Viridis_r", hoverongaps=False,
        colorbar=dict(title=dict(text="MSE", side="right"), thickness=14),
        hovertemplate=f"{x_label} %{{x}}<br>{y_label} %{{y}}<br>mean MSE %{{z:.5f}}<extra></extra>"))
    fig.update_xaxes(title_text=x_label, type="category")
    fig.update_yaxes(title_text=y_label, type="category")
    fig = _finish(fig, title, legend=False)
    return fig


def sweep_parallel(columns: Mapping[str, Sequence[Any]], mse: Sequence[float], *,
                   title: str = "Each configuration's mean validation MSE") -> go.Figure:
    """A sweep over three fields or more: parallel coordinates, one line per configuration from each field's
    value to its mean validation MSE, coloured by it (darker is better). Text values become numbered ticks."""
    if not columns or not mse:
        raise ValueError("parallel coordinates need at least one field and one result")
    dims = []
    for name, values in columns.items():
        if len(values) != len(mse):
            raise ValueError(f"{name} has {len(values)} values for {len(mse)} results")
        if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
            dims.append(dict(label=name, values=list(values)))
        else:
            names = list(dict.fromkeys(str(v) for v in values))
            dims.append(dict(label=name, values=[names.index(str(v)) for v in values],
                             tickvals=list(range(len(names))), ticktext=names))
    scores = [_mse_value(v, "mean MSE") for v in mse]
    dims.append(dict(label="mean valid MSE", values=scores))
    fig = go.Figure(go.Parcoords(line=dict(color=scores, colorscale="Viridis_r", showscale=True,
                                           colorbar=dict(title=dict(text="MSE", side="right"), thickness=14)),
                                 dimensions=dims))
    fig = _finish(fig, title, legend=False)
    fig.update_layout(margin=dict(l=60, r=40, t=70, b=30))
    return fig


# --------------------------------------------------------------------------------------------------
# Text
# --------------------------------------------------------------------------------------------------
def metric_delta(value: float, baseline: float) -> str:
    """The relative change of a metric against the naive baseline, e.g. ``"-87.1% vs naive"``.

    Args:
        value: the model's metric (e.g. its validation MSE).
        baseline: the naive forecast's metric, positive.

    Returns:
        The change in percent with one decimal and an explicit sign, followed by "vs naive".

    Raises:
        ValueError: when ``baseline <= 0`` (a relative change is undefined) or either number is not finite.
    """
    value = _number(value, "value")
    baseline = _number(baseline, "baseline")
    if baseline <= 0:
        raise ValueError(f"baseline must be positive to compute a relative change, got {baseline}")
    change = round((value / baseline - 1.0) * 100.0, 1) + 0.0  # + 0.0 turns -0.0 into 0.0: no "-0.0%"
    return f"{change:+.1f}% vs naive"
