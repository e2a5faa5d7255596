"""The Sweep page's pieces: the grid as widgets and as a link, and the results as a table and a chart that suits
the number of fields swept (a line with error bars, a heat map, parallel coordinates)."""

from __future__ import annotations

from typing import Any, Mapping, Sequence
from urllib.parse import urlencode

import plotly.graph_objects as go

from rnnlab.figures import all as plots

from rnnlab.jobs import sweeps
from rnnlab.config import FIELDS, Experiment, Field, limits, to_query

#: The sweep's page options in the URL (beside the experiment's own parameters).
GRID_PARAM, REPEATS_PARAM, SAMPLE_PARAM = "grid", "repeats", "sample"


def suggested_values(field: Field, value: Any, experiment: Experiment) -> str:
    """A first grid for ``field`` around ``experiment``'s ``value``, written as its text input expects."""
    sep = sweeps.value_separator(field)
    if field.kind == "choice":
        if field.name == "mode":  # the modes this model offers at this horizon
            one = experiment.series.horizon == 1
            options = [m for m in experiment.model.entry.modes if (m in ("one_step", "seq2seq")) == one
                       or (not one and m != "one_step")]
        else:
            options = list(field.options())
        return sep.join(options[:4])
    low, high = field.bounds(limits())
    if field.kind == "ints":
        return field.widget_value(value)
    if field.kind == "int":
        candidates = sorted({max(low, min(high, v)) for v in (value // 2 or 1, value, value * 2)})
        return sep.join(str(v) for v in candidates)
    if field.name in ("learning_rate",):
        candidates = sorted({max(low, min(high, round(value * f, 10))) for f in (0.3, 1, 3)})
    else:
        candidates = sorted({max(low, min(high, round(value * f, 10))) for f in (0.5, 1, 2)})
    return sep.join(f"{v:g}" for v in candidates)


def grid_text(grid: Mapping[str, Sequence[Any]]) -> str:
    """The grid as the ``grid`` URL parameter: ``units=5,10,20;layers=1,2``."""
    parts = []
    for name, values in grid.items():
        field = FIELDS[name]
        parts.append(f"{name}=" + sweeps.value_separator(field).join(_text(field, v) for v in values))
    return ";".join(parts)


def _text(field: Field, value: Any) -> str:
    if field.kind == "ints":
        return ",".join(str(v) for v in value)
    return f"{value:g}" if isinstance(value, float) else str(value)


def parse_grid_text(experiment: Experiment, text: str) -> dict[str, tuple[Any, ...]]:
    """The ``grid`` URL parameter read back (FieldError when it is not a valid grid for ``experiment``)."""
    return sweeps.parse_grid(experiment, [part for part in text.split(";") if part.strip()])


def run_link(experiment: Experiment) -> str:
    """A link that opens ``experiment`` on the Train page (its stored result, or a Train button)."""
    return "train?" + urlencode(to_query(experiment))


def table_rows(sweep: sweeps.Sweep, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The results table: one row per cell, its values, seeds done, mean ± sd, and a link to its first run."""
    out = []
    best = sweeps.best_row(rows)
    for row in rows:
        out.append({**{FIELDS[f].label: _text(FIELDS[f], row[f]) for f in sweep.fields},
                    "seeds": f"{row['done']} of {row['repeats']}",
                    "valid MSE": row["valid"].mean if row["done"] else None,
                    "valid ±": row["valid"].std if row["done"] > 1 else None,
                    "test MSE": row["test"].mean if row["done"] else None,
                    "test ±": row["test"].std if row["done"] > 1 else None,
                    "best": "★" if row is best else "",
                    "run": run_link(row["experiment"])})
    return out


def chart(sweep: sweeps.Sweep, rows: list[dict[str, Any]]) -> go.Figure | None:
    """The chart that suits the sweep: a line with error bars for one field, a heat map for two, parallel
    coordinates for more. None until a cell has results."""
    done = [r for r in rows if r["done"]]
    if not done:
        return None
    names = sweep.fields
    if len(names) == 1:
        field = FIELDS[names[0]]
        xs = [r[names[0]] for r in done]
        if field.kind == "ints":
            xs = [_text(field, x) for x in xs]
        numeric = all(isinstance(x, (int, float)) for x in xs)
        log_x = numeric and min(xs) > 0 and max(xs) / min(xs) >= 8
        return plots.sweep_line(xs, [{"label": r["cell"], "valid": list(r["valid"].values),
                                      "test": list(r["test"].values)} for r in done],
                                field_label=field.label, log_x=log_x,
                                title=f"Validation and test MSE against {field.label.lower()} (mean ± sd over seeds)")
    if len(names) == 2:
        fx, fy = FIELDS[names[0]], FIELDS[names[1]]
        xs, ys = [v for v in dict(sweep.grid)[names[0]]], [v for v in dict(sweep.grid)[names[1]]]
        means: list[list[float | None]] = [[None] * len(xs) for _ in ys]
        sds: list[list[float | None]] = [[None] * len(xs) for _ in ys]
        for r in done:
            if r[names[0]] in xs and r[names[1]] in ys:
                i, j = ys.index(r[names[1]]), xs.index(r[names[0]])
                means[i][j], sds[i][j] = r["valid"].mean, r["valid"].std
        return plots.sweep_heatmap([_text(fx, x) for x in xs], [_text(fy, y) for y in ys], means, sds=sds,
                                   x_label=fx.label, y_label=fy.label,
                                   title="Mean validation MSE (± sd over seeds); darker is better")
    columns = {FIELDS[n].label: [r[n] if FIELDS[n].kind != "ints" else _text(FIELDS[n], r[n]) for r in done]
               for n in names}
    return plots.sweep_parallel(columns, [r["valid"].mean for r in done])
