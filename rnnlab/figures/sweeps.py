"""Figures of repeats and sweeps: each configuration's mean ± standard deviation over its training seeds
(:class:`rnnlab.store.runs.Spread`), against one field, two fields or more.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go

from rnnlab.figures.style import FORECAST_COLOR, NAIVE_COLOR, TEST_COLOR, VALID_COLOR, finish, mse_value
from rnnlab.store.runs import Spread

__all__ = [
    "repeat_spread",
    "sweep_line",
    "sweep_heatmap",
    "sweep_parallel",
]


def _spread_rows(rows: Sequence[Mapping[str, Any]]) -> list[tuple[str, Spread, Spread]]:
    """``(label, valid spread, test spread)`` per row, checked: every value a finite MSE."""
    if isinstance(rows, (str, bytes, Mapping)) or not isinstance(rows, Sequence) or not rows:
        raise ValueError("rows must be a non-empty list of dicts with 'label', 'valid' and 'test' (lists of MSE)")
    out = []
    for i, row in enumerate(rows):
        if not isinstance(row, Mapping) or "label" not in row or not row.get("valid"):
            raise ValueError(f"row {i} must be a dict with 'label' and a non-empty 'valid' list, got {row!r}")
        label = str(row["label"])
        valid = [mse_value(v, f"valid MSE of {label!r}") for v in row["valid"]]
        test = [mse_value(v, f"test MSE of {label!r}") for v in row.get("test") or []]
        out.append((label, Spread(tuple(valid)), Spread(tuple(test))))
    return out


_REFERENCE_LINES = (dict(color=NAIVE_COLOR, dash="dash", width=1.5), dict(color=FORECAST_COLOR, dash="dot", width=2))


def repeat_spread(rows: Sequence[Mapping[str, Any]], *, references: Sequence[tuple[str, float]] = (),
                  title: str = "Mean and spread over training seeds") -> go.Figure:
    """Each configuration's validation (and test) MSE over its seeds: the mean with an error bar of one
    standard deviation, and every run as a faint point beside it.

    Args:
        rows: dicts with ``"label"``, ``"valid"`` (the runs' validation MSE) and optionally ``"test"``.
        references: ``(label, MSE)`` pairs drawn as horizontal lines named in the legend (the naive
            forecast's, the book's figure, a target): grey dashed, then red dotted.
        title: figure title.

    Returns:
        Per split with results, a diamond at each configuration's mean with its error bar and a faint point per
        seed; a legend entry per reference line.

    Raises:
        ValueError: on no rows, a row without ``label`` or ``valid`` values, or an MSE that is negative or not
            finite.
    """
    data = _spread_rows(rows)
    labels = [label for label, _, _ in data]
    fig = go.Figure()
    for split, color, offset, index in (("Validation", VALID_COLOR, -0.12, 1), ("Test", TEST_COLOR, 0.12, 2)):
        if not any(row[index].values for row in data):
            continue
        means, sds, xs = [], [], []
        points_x, points_y = [], []
        for i, row in enumerate(data):
            spread = row[index]
            if not spread.values:
                continue
            means.append(spread.mean)
            sds.append(spread.std)
            xs.append(i + offset)
            points_x += [i + offset + 0.05] * spread.n
            points_y += spread.values
        fig.add_trace(go.Scatter(
            x=xs, y=means, mode="markers", name=f"{split} MSE: mean ± sd", marker=dict(color=color, size=11,
                                                                                     symbol="diamond"),
            error_y=dict(type="data", array=sds, visible=True, color=color, thickness=2, width=6),
            hovertemplate="%{customdata}<br>mean %{y:.5f} ± %{error_y.array:.5f}<extra></extra>",
            customdata=[labels[round(x - offset)] for x in xs]))
        fig.add_trace(go.Scatter(x=points_x, y=points_y, mode="markers", name=f"{split}: each seed",
                                 marker=dict(color=color, size=6, opacity=0.45),
                                 hovertemplate="%{y:.5f}<extra></extra>"))
    for i, (name, value) in enumerate(references):
        ref = mse_value(value, f"reference {name!r}")
        line = _REFERENCE_LINES[i % len(_REFERENCE_LINES)]
        fig.add_hline(y=ref, line=line)
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines", line=line, hoverinfo="skip",
                                 name=f"{name} ({ref:.3g})"))
    fig.update_xaxes(tickmode="array", tickvals=list(range(len(labels))), ticktext=labels,
                     range=[-0.6, len(labels) - 0.4], title_text="Configuration")
    fig.update_yaxes(title_text="MSE")
    return finish(fig, title)


def sweep_line(xs: Sequence[Any], rows: Sequence[Mapping[str, Any]], *, field_label: str,
               log_x: bool = False, title: str = "") -> go.Figure:
    """A one-field sweep: the mean validation and test MSE against the field's values, with error bars of one
    standard deviation over the seeds and every run as a faint point.

    Args:
        xs: the field's value for each row (numbers, or text for a choice).
        rows: as for :func:`repeat_spread`, in the same order as ``xs``.
        field_label: the x axis title.
        log_x: a log axis (values that double each step: units, learning rates).
        title: figure title; by default "Error against" the field.

    Returns:
        Per split with results, a line through the means with error bars and a faint point per seed.

    Raises:
        ValueError: on rows :func:`repeat_spread` refuses, or not one value of ``xs`` per row.
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
        keep = [i for i, row in enumerate(data) if row[index].values]
        if not keep:
            continue
        stats = [data[i][index] for i in keep]
        fig.add_trace(go.Scatter(
            x=[x_values[i] for i in keep], y=[s.mean for s in stats], mode="lines+markers",
            name=f"{split} MSE (mean ± sd)",
            line=dict(color=color, width=2), marker=dict(size=8),
            error_y=dict(type="data", array=[s.std for s in stats], visible=True, color=color, thickness=1.5,
                         width=5), hovertemplate="%{y:.5f}<extra>" + split + " mean</extra>"))
        fig.add_trace(go.Scatter(
            x=[beside(x_values[i], side) for i in keep for _ in data[i][index].values],
            y=[v for i in keep for v in data[i][index].values], mode="markers", name=f"{split}: each seed",
            marker=dict(color=color, size=6, opacity=0.45), hovertemplate="%{y:.5f}<extra>" + split + "</extra>"))
    ticks = dict(tickmode="array", tickvals=x_values, ticktext=[f"{x:g}" if numeric else str(x) for x in xs])
    fig.update_xaxes(title_text=field_label, type="log" if log else "linear", **ticks)
    fig.update_yaxes(title_text="MSE")
    return finish(fig, title or f"Error against {field_label.lower()}")


def sweep_heatmap(x_values: Sequence[Any], y_values: Sequence[Any], means: Sequence[Sequence[float | None]], *,
                  x_label: str, y_label: str, sds: Sequence[Sequence[float | None]] | None = None,
                  title: str = "Mean validation MSE") -> go.Figure:
    """A two-field sweep: the mean validation MSE of each combination as a heat map, its value (± sd) written
    in each cell; cells not trained yet are blank.

    Args:
        x_values, y_values: the two fields' values (columns, rows).
        means: ``means[row][column]``, None for a cell without results.
        x_label, y_label: the axis titles.
        sds: the standard deviations in the same layout (written after the mean).
        title: figure title.

    Returns:
        A heat map with category axes, darker where the error is lower.

    Raises:
        ValueError: on an axis without values, ``means`` of another layout, or a negative or non-finite mean.
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
            z[r, c] = mse_value(value, f"mean MSE at row {r}, column {c}")
            sd = sds[r][c] if sds is not None else None
            text[r][c] = f"{value:.4g}" + (f"<br>± {sd:.2g}" if sd else "")
    xs, ys = [str(v) for v in x_values], [str(v) for v in y_values]
    fig = go.Figure(go.Heatmap(
        x=xs, y=ys, z=z, text=text, texttemplate="%{text}", colorscale="Viridis_r", hoverongaps=False,
        colorbar=dict(title=dict(text="MSE", side="right"), thickness=14),
        hovertemplate=f"{x_label} %{{x}}<br>{y_label} %{{y}}<br>mean MSE %{{z:.5f}}<extra></extra>"))
    fig.update_xaxes(title_text=x_label, type="category")
    fig.update_yaxes(title_text=y_label, type="category")
    fig = finish(fig, title, legend=False)
    return fig


def sweep_parallel(columns: Mapping[str, Sequence[Any]], mse: Sequence[float], *,
                   title: str = "Each configuration's mean validation MSE") -> go.Figure:
    """A sweep over three fields or more: parallel coordinates, one line per configuration from each field's
    value to its mean validation MSE, coloured by it (darker is better).

    Args:
        columns: each field's value per configuration; text values become numbered ticks.
        mse: each configuration's mean validation MSE, in the same order.
        title: figure title.

    Returns:
        A parallel coordinates figure, one axis per field and a last one for the MSE.

    Raises:
        ValueError: on no fields or results, a field with another count of values, or a bad MSE.
    """
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
    scores = [mse_value(v, "mean MSE") for v in mse]
    dims.append(dict(label="mean valid MSE", values=scores))
    fig = go.Figure(go.Parcoords(line=dict(color=scores, colorscale="Viridis_r", showscale=True,
                                           colorbar=dict(title=dict(text="MSE", side="right"), thickness=14)),
                                 dimensions=dims))
    fig = finish(fig, title, legend=False)
    fig.update_layout(margin=dict(l=60, r=40, t=70, b=30))
    return fig
