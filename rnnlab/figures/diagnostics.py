"""Figures of what is left in a forecast's errors: their autocorrelation against the band of white noise."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from rnnlab.figures.style import (BAR_COLOR, FAINT_COLOR, HIGHLIGHT_COLOR, NAIVE_COLOR, array, finish,
                                  integer_ticks, number)

__all__ = ["residual_acf"]


def residual_acf(acf, band: float, *, title: str = "Autocorrelation of the errors") -> go.Figure:
    """The errors' autocorrelation at lags 1..k as bars, with the 95% band of uncorrelated errors shaded between
    dashed lines: a bar outside the band (orange, a trace of its own) is a correlation that chance alone rarely
    makes.

    Args:
        acf: the autocorrelation at lags 1..k (``acf[0]`` is lag 1), each between -1 and 1, as
            :func:`rnnlab.forecasting.diagnostics.acf` returns it.
        band: the half-width of the band, ``1.96 / sqrt(n)``; positive.
        title: figure title.

    Returns:
        A bar chart, x "Lag (windows apart)" in whole lags from 1, y "Autocorrelation": the bars within the band
        and those outside it as two traces, and the band as a shaded area named "95% band of uncorrelated errors
        (±…)" in the legend.

    Raises:
        ValueError: on an empty or non-numeric ``acf``, values outside [-1, 1], or a band that is not positive.
    """
    r = array(acf, "acf").ravel()
    if not np.isfinite(r).all() or np.abs(r).max() > 1 + 1e-9:
        raise ValueError(f"acf must hold autocorrelations between -1 and 1, got {r.min():g} to {r.max():g}")
    half = number(band, "band")
    if half <= 0:
        raise ValueError(f"band must be positive, got {half}")

    lags = np.arange(1, len(r) + 1)
    edges = [0.5, len(r) + 0.5]
    label = f"95% band of uncorrelated errors (±{half:.3f})"
    fig = go.Figure()
    # The band first, so the bars are drawn over it: its upper edge, then its lower edge filled up to it.
    fig.add_trace(go.Scatter(x=edges, y=[half, half], mode="lines", name=label, legendgroup="band",
                             line=dict(color=NAIVE_COLOR, dash="dash", width=1.5), hoverinfo="skip"))
    fig.add_trace(go.Scatter(x=edges, y=[-half, -half], mode="lines", name=label, legendgroup="band",
                             showlegend=False, fill="tonexty", fillcolor="rgba(127, 127, 127, 0.15)",
                             line=dict(color=NAIVE_COLOR, dash="dash", width=1.5), hoverinfo="skip"))
    outside = np.abs(r) > half
    for name, rows, color in (("autocorrelation within the band", ~outside, BAR_COLOR),
                              ("outside the band", outside, HIGHLIGHT_COLOR)):
        fig.add_trace(go.Bar(x=lags[rows], y=r[rows], name=name, width=0.6, marker=dict(color=color),
                             hovertemplate="lag %{x}: %{y:.3f}<extra></extra>"))
    fig.update_layout(barmode="overlay")  # one bar per lag: the two traces never share one
    fig.update_xaxes(title_text="Lag (windows apart)", range=edges, **integer_ticks(len(r)))
    top = min(1.05, max(0.55, 1.1 * max(float(np.abs(r).max()), half)))  # symmetric about 0, and room for the band
    fig.update_yaxes(title_text="Autocorrelation", range=[-top, top], zeroline=True, zerolinecolor=FAINT_COLOR)
    return finish(fig, title)
