"""Class board: the best run per model on the lesson data, refreshing by itself; read-only, for the projector."""

import pandas as pd
import streamlit as st

from rnnlab import lessons, plots
from rnnlab.dashboard import presenter, results

present = presenter.active()
st.title("Class board")
st.caption("The best runs the class has trained on the lessons' data, per model and forecast mode. "
           "This page refreshes by itself every few seconds; nothing here can be changed.")


def best_rows(spec: dict) -> tuple[pd.DataFrame, float | None]:
    """The best run per model and mode on the data ``spec``, and the naive forecast's MSE on that data."""
    best: dict[tuple[str, str], dict] = {}
    counts: dict[tuple[str, str], int] = {}
    runs = results.store().list(series=spec)
    for run in runs:
        key = (run["experiment"]["model"]["name"], run["experiment"]["model"]["mode"])
        counts[key] = counts.get(key, 0) + 1
        if key not in best or run["metrics"]["valid"]["mse"] < best[key]["metrics"]["valid"]["mse"]:
            best[key] = run
    rows = [{"model": m, "mode": mode, "best validation MSE": r["metrics"]["valid"]["mse"],
             "parameters": r["params_total"], "epochs": len(r["history"]), "runs": counts[(m, mode)]}
            for (m, mode), r in best.items()]
    frame = pd.DataFrame(rows, columns=["model", "mode", "best validation MSE", "parameters", "epochs", "runs"])
    naive_mse = runs[0]["naive_metrics"]["valid"]["mse"] if runs else None  # every run carries it
    return frame.sort_values("best validation MSE").reset_index(drop=True), naive_mse


@st.fragment(run_every=5)
def board() -> None:
    for spec in lessons.lesson_series():
        horizon = spec["horizon"]
        st.subheader("One step ahead" if horizon == 1 else f"{horizon} steps ahead")
        frame, naive_mse = best_rows(spec)
        if frame.empty:
            st.info("No runs on this data yet.")
            continue
        frame.index += 1
        left, right = st.columns([3, 2])
        left.dataframe(frame, width="stretch", column_config={
            "best validation MSE": st.column_config.NumberColumn(format="%.5f"),
            "parameters": st.column_config.NumberColumn(format="localized")})
        trained = frame[frame["parameters"] > 0]
        if not trained.empty:
            fig = plots.mse_bars([{"label": f"{r['model']} · {r['mode']}", "valid_mse": r["best validation MSE"],
                                   "test_mse": None} for r in trained.to_dict("records")],
                                 naive_mse=naive_mse, title="Best validation MSE per model")
            right.plotly_chart(presenter.style_figure(fig, present), key=f"board-{horizon}", theme=None)


board()
