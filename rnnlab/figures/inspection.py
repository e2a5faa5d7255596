"""Figures of what happens inside a network: hidden states over time, a recurrent neuron unrolled, which input
steps drive the forecast, WaveNet's dilated convolutions and backpropagation through time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

from rnnlab.figures.style import (ACTUAL_COLOR, FAINT_COLOR, FORECAST_COLOR, HIGHLIGHT_COLOR, INPUT_COLOR,
                                  INPUT_FILL, NEURON_FILL, array, finish, is_count, number)
from rnnlab.models.registry import receptive_field

__all__ = [
    "hidden_state_heatmap",
    "unrolled_neuron",
    "input_saliency",
    "dilated_convolutions",
    "bptt_diagram",
]


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
    s = array(states, "states")
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
    return finish(fig, full_title, legend=False)


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
    x, y, (w_x, w_y, b), shown = _neuron_series(inputs, states, weights, n_show)

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
    fig = finish(fig, title, legend=False)
    fig.update_layout(margin=dict(l=30, r=10, t=60, b=40), plot_bgcolor="white")
    return fig


def _neuron_series(inputs, states, weights: Mapping[str, float], n_show: int):
    """:func:`unrolled_neuron`'s arguments checked: the two series as 1-D arrays, the weights ``(w_x, w_y, b)``
    and how many steps to draw."""
    x = array(inputs, "inputs")
    y = array(states, "states")
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
    w_x, w_y, b = (number(weights[k], k) for k in ("w_x", "w_y", "b"))
    if not is_count(n_show) or n_show < 1:
        raise ValueError(f"n_show must be an integer of at least 1, got {n_show!r}")
    shown = min(int(n_show), len(x))
    return x, y, (w_x, w_y, b), shown


def input_saliency(values, *, windows: int | None = None,
                   title: str = "Which past steps drive the forecast?") -> go.Figure:
    """A bar per input step: how much the forecast moves when that step's value moves (the mean absolute gradient
    of the first forecast step with respect to it), the most recent step on the right.

    Args:
        values: one non-negative value per input step, oldest first.
        windows: how many windows the values average over (said in the x axis title).
        title: figure title.

    Returns:
        A bar chart, x "Steps before the forecast" from ``-n`` to ``-1``, y "Mean |gradient|", the largest bar in
        the highlight colour.

    Raises:
        ValueError: on empty, non-finite or negative values.
    """
    v = array(values, "values").ravel()
    if not np.isfinite(v).all() or (v < 0).any():
        raise ValueError("values must be finite and non-negative (sizes of gradients)")
    steps = np.arange(-len(v), 0)
    colors = [HIGHLIGHT_COLOR if i == int(np.argmax(v)) else INPUT_COLOR for i in range(len(v))]
    fig = go.Figure(go.Bar(x=steps, y=v, marker_color=colors, name="mean |gradient|",
                           hovertemplate="%{x} steps back: %{y:.3g}<extra></extra>"))
    over = f" (mean over {windows} validation windows)" if windows else ""
    fig.update_xaxes(title_text=f"Steps before the forecast{over}")
    fig.update_yaxes(title_text="Mean |gradient|", rangemode="tozero")
    fig.update_layout(showlegend=False)
    return finish(fig, title)


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
    if not is_count(kernel_size) or kernel_size < 1:
        raise ValueError(f"kernel_size must be an integer of at least 1, got {kernel_size!r}")
    dilations = list(dilations)
    if not dilations:
        raise ValueError("dilations is empty: give one dilation rate per layer, e.g. (1, 2, 4, 8)")
    for d in dilations:
        if not is_count(d) or d < 1:
            raise ValueError(f"every dilation must be an integer of at least 1, got {d!r}")
    if not is_count(n_steps) or n_steps < 2:
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
    return finish(fig, title or f"Receptive field: {receptive} time steps")


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
    if not is_count(n_steps) or not 2 <= n_steps <= 12:
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
    fig = finish(fig, title)
    fig.update_layout(margin=dict(l=10, r=10, b=45), plot_bgcolor="white")
    return fig
