"""The look every figure shares: the ``rnnlab`` template, the palette, margins, and the checks that turn bad
input into a ``ValueError`` saying what was expected.

Every figure uses the ``rnnlab`` template (the layout and trace defaults of ``plotly_white`` for the trace types
drawn here), the colour constants below (the same meaning keeps the same colour on every page), labelled axes
and modest margins so it stays readable in a narrow column. Nothing here imports Streamlit, TensorFlow or Keras.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio

__all__ = [
    "INPUT_COLOR",
    "ACTUAL_COLOR",
    "FORECAST_COLOR",
    "NAIVE_COLOR",
    "VALID_COLOR",
    "TEST_COLOR",
    "BAR_COLOR",
    "HIGHLIGHT_COLOR",
    "FAINT_COLOR",
    "NEURON_FILL",
    "INPUT_FILL",
    "RUN_COLORS",
    "TEMPLATE",
    "MARGIN",
    "MARGIN_TOP_NO_LEGEND",
    "array",
    "number",
    "mse_value",
    "is_count",
    "finish",
    "for_projector",
    "integer_ticks",
]

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


def array(values: Any, name: str) -> np.ndarray:
    """``values`` as a non-empty float64 array, with a readable error for ragged or non-numeric input.

    Args:
        values: anything NumPy can read as numbers.
        name: what the values are, for the error message.

    Returns:
        The values as a float64 array of at least one element.

    Raises:
        ValueError: on text, ragged lists or no values at all.
    """
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a numeric array (rectangular, no text): {exc}") from None
    if arr.size == 0:
        raise ValueError(f"{name} is empty: there is nothing to plot")
    return arr


def number(value: Any, name: str) -> float:
    """``value`` as a finite float.

    Args:
        value: a number (or anything ``float`` reads).
        name: what the value is, for the error message.

    Returns:
        The value as a float.

    Raises:
        ValueError: when the value is not a number, or is infinite or NaN.
    """
    try:
        result = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, got {value!r}") from None
    if not math.isfinite(result):
        raise ValueError(f"{name} must be finite, got {result}")
    return result


def mse_value(value: Any, name: str) -> float:
    """``value`` checked as a mean squared error: a finite number, not negative.

    Args:
        value: the error.
        name: what the error is, for the message.

    Returns:
        The error as a float.

    Raises:
        ValueError: when it is not a finite number or is negative.
    """
    mse = number(value, name)
    if mse < 0:
        raise ValueError(f"{name} is a mean squared error and cannot be negative, got {mse}")
    return mse


def is_count(value: Any) -> bool:
    """Whether ``value`` is an integer (Python's or NumPy's) and not a bool.

    Args:
        value: anything.

    Returns:
        True for ``3`` or ``np.int64(3)``, False for ``True``, ``3.0`` or ``"3"``.
    """
    return not isinstance(value, bool) and isinstance(value, (int, np.integer))


def finish(fig: go.Figure, title: str, *, legend: bool = True) -> go.Figure:
    """Apply the look shared by every figure: template, title, margins, legend above the plot.

    Args:
        fig: the figure, changed in place.
        title: its title.
        legend: show the legend (only when the figure has traces).

    Returns:
        ``fig``.
    """
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
        fig: any figure of :mod:`rnnlab.figures`; changed in place.
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


def integer_ticks(axis_length: int) -> dict[str, Any]:
    """Tick settings showing whole numbers only (epochs, steps), about a dozen at most, starting at 1.

    Args:
        axis_length: how many whole numbers the axis spans.

    Returns:
        Keyword arguments for ``update_xaxes`` / ``update_yaxes``.
    """
    step = max(1, math.ceil(axis_length / 12))
    return dict(tickmode="linear", tick0=1, dtick=step)
