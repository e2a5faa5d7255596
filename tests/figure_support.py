"""What the figure tests share: a made-up training history and ways to find traces and annotations."""

from __future__ import annotations

import plotly.graph_objects as go


def history(n_epochs: int, start: float, *, seconds: bool = False) -> list[dict]:
    rows = [{"epoch": e, "loss": start / e, "val_loss": 1.5 * start / e} for e in range(1, n_epochs + 1)]
    if seconds:
        for row in rows:
            row["seconds"] = 2.0
    return rows


def annotation_texts(fig: go.Figure) -> list[str]:
    return [a.text for a in fig.layout.annotations]


def by_name(fig: go.Figure, name: str):
    found = [t for t in fig.data if t.name == name]
    assert len(found) == 1, f"expected one trace named {name!r}, got {[t.name for t in fig.data]}"
    return found[0]
