"""Class board: the best run per model on the lesson data, refreshing by itself; read-only, for the projector."""

import pandas as pd
import streamlit as st

from rnnlab.lessons import guide
from rnnlab.series import catalog

from rnnlab.figures import training
from rnnlab.dashboard import presenter, run_view, state
from rnnlab.store.runs import best_by_group, best_per_model

present = presenter.active()
st.title("Class board")
st.caption("The best configuration the class has trained on the lessons' data, per model and forecast mode, by its "
           "mean validation MSE over the seeds it was trained with (repeats count once, their spread beside the mean; "
           "the test MSE is shown beside it and chooses nothing). "
           "This page refreshes by itself every few seconds; nothing here can be changed.")
COLUMNS = ["model", "mode", "group", "best validation MSE", "±", "test MSE", "seeds", "parameters", "epochs", "runs"]


@st.fragment(run_every=5)
def board() -> None:
    """Per lesson series, the best run of each model and mode: a table and a bar chart (refreshed every 5 s)."""
    for i, spec in enumerate(guide.lesson_series()):
        horizon = spec["horizon"]
        ahead = "One step ahead" if horizon == 1 else f"{horizon} steps ahead"
        real = spec.get("data", "generated") != "generated"
        st.subheader(f"{catalog.info(spec['data']).title}: {ahead.lower()}" if real else ahead)
        runs = run_view.store().list(series=spec)
        if not runs:
            st.info("No runs on this data yet.")
            continue
        rows = best_per_model(runs)
        best = best_by_group(rows, "best validation MSE")
        if runs[0].experiment.series.real and {"network", "classical"} <= best.keys():
            # On a real series, the yardstick beside the class's best network (the lessons' generated series has
            # no classical forecasters, so the board shows nothing more there).
            net, classical = best["network"], best["classical"]
            st.markdown(f"Best network **{net['model']}** (validation MSE {net['best validation MSE']:.5g}, test "
                        f"{net['test MSE']:.5g}) · best classical forecaster or baseline **{classical['model']}** "
                        f"(validation MSE {classical['best validation MSE']:.5g}, test {classical['test MSE']:.5g})")
        frame = pd.DataFrame(rows, columns=COLUMNS)
        frame.index += 1
        left, right = st.columns([3, 2])
        left.dataframe(frame, width="stretch", column_config={
            "best validation MSE": st.column_config.NumberColumn(
                format="%.5f", help="The best configuration's mean over its training seeds"),
            "±": st.column_config.NumberColumn(format="%.5f", help="Standard deviation over its seeds (blank: one run)"),
            "test MSE": st.column_config.NumberColumn(format="%.5f", help="The same configuration's mean test MSE: "
                                                                          "shown, never used to choose"),
            "seeds": st.column_config.NumberColumn(help="How many seeds of the best configuration were trained"),
            "runs": st.column_config.NumberColumn(help="Every run of this model and mode, repeats included"),
            "parameters": st.column_config.NumberColumn(format="localized")})
        trained = [r for r in rows if r["parameters"] > 0]
        if trained:
            fig = training.mse_bars([{"label": f"{r['model']} · {r['mode']}", "valid_mse": r["best validation MSE"],
                                   "test_mse": None} for r in trained],
                                 naive_mse=runs[0].naive_val_mse, title="Best validation MSE per model")
            right.plotly_chart(presenter.style_figure(fig, present), key=f"board-{i}", theme=None)


board()
if not present:
    state.show_notes()
