"""Compare: a leaderboard of the runs on the current data, their curves side by side, one run up close."""

import pandas as pd
import streamlit as st

from rnnlab.figures import sweeps, training
from rnnlab.figures.series import series_preview
from rnnlab.dashboard import repeats, run_view, state
from rnnlab.store.runs import backtests, group_repeats, leaderboard

st.title("Compare runs")
experiment = state.current_experiment()
state.show_notes(experiment)
series = experiment.to_dict()["series"]
s = experiment.series

show_all = st.toggle("All runs on this data", value=st.query_params.get("all") == "1", key="compare_all",
                     help="Off: the runs of this browser session. On: every run anyone trained on the same data.")
runs = run_view.store().list(series=series)
if not show_all:
    mine = set(state.session_runs())
    runs = [r for r in runs if r.key in mine]
st.caption(f"Data: {run_view.describe_data(experiment)}.")

if s.real:
    ranked_backtests = backtests(run_view.store().list(series=series, backtests=True))
    if ranked_backtests:
        st.subheader("Ranked by backtest error")
        st.caption("Each backtest trains the model once per fold (rolling origin, expanding window); the mean of the "
                   "folds' test MSE is a steadier ranking than one validation period.")
        st.dataframe(pd.DataFrame([{"model": r["model"], "mode": r["mode"], "folds": f"{r['done']} of {r['folds']}",
                                    "mean test MSE": r["mean test MSE"], "mean test MAE": r["mean test MAE"],
                                    "test MSE by fold": ", ".join(f"{v:.4g}" for v in r["test MSE by fold"])}
                                   for r in ranked_backtests]), width="stretch", hide_index=True,
                     column_config={"mean test MSE": st.column_config.NumberColumn(format="%.5g"),
                                    "mean test MAE": st.column_config.NumberColumn(format="%.5g")})

if not runs:
    st.info("No runs on this data yet" + ("" if show_all else " in this session") + ". Train a model, or switch on "
            "**All runs on this data**.")
    st.page_link("pages/train.py", label="Train a model", icon=":material/model_training:")
    st.stop()

st.caption("One row per configuration: runs that differ only in their training seed are its repeats, ranked by their "
           "mean. **vs above** says whether the gap to the row above is larger than the spread between seeds (a real "
           "difference) or smaller (noise). Train repeats on the Train page or with a sweep.")
board = pd.DataFrame(leaderboard(runs)).drop(columns=["key", "keys"])
board.index += 1
st.dataframe(board, width="stretch", column_config={
    "valid MSE": st.column_config.NumberColumn(format="%.6f", help="Mean over the configuration's seeds"),
    "valid ±": st.column_config.NumberColumn(format="%.6f", help="Standard deviation over the seeds (blank: one run)"),
    "test MSE": st.column_config.NumberColumn(format="%.6f", help="Mean over the configuration's seeds"),
    "test ±": st.column_config.NumberColumn(format="%.6f", help="Standard deviation over the seeds (blank: one run)"),
    "valid MAE": st.column_config.NumberColumn(format="%.5f"), "MASE": st.column_config.NumberColumn(format="%.3f"),
    "parameters": st.column_config.NumberColumn(format="localized"),
    "vs above": st.column_config.TextColumn(help="The gap to the configuration ranked above, and whether it is larger "
                                                 "than the spread between seeds")})
spread = repeats.spread_rows(group_repeats(runs))
if spread:
    st.plotly_chart(sweeps.repeat_spread(spread,
                                        title="Configurations with repeats: every seed, and the mean ± sd"),
                    key="cmp-spread", theme=None)

by_label = {r.label: r for r in runs}
ranked = [r.label for r in sorted(runs, key=lambda r: r.val_mse)]
picked = st.multiselect("Runs to compare", ranked, default=ranked[: min(4, len(ranked))], key="compare_pick")
if picked:
    chosen = [by_label[p] for p in picked]
    log_y = st.toggle("Log scale for the loss", value=True, key="compare_log")
    left, right = st.columns(2)
    left.plotly_chart(training.loss_curves({r.label: r.history for r in chosen if r.history}, log_y=log_y),
                      key="cmp-loss", theme=None)
    counted = {r.label: r.params_total for r in chosen if r.trained}
    if counted:
        right.plotly_chart(training.param_counts(counted), key="cmp-params", theme=None)
    st.plotly_chart(training.mse_bars([{"label": r.label, "valid_mse": r.val_mse, "test_mse": r.test_mse} for r in chosen],
                                   naive_mse=chosen[0].naive_val_mse), key="cmp-mse", theme=None)

st.subheader("One run up close")
focus = by_label[st.selectbox("Run", ranked, key="compare_focus")]
run = run_view.load_result(focus.key)
if run is None:
    st.warning("This run's files could not be read; it will be trained again when asked for.")
    st.stop()
ds = run_view.dataset(series)
n_show = st.slider("Validation series shown", 1, 6, 3, key="compare_n")
st.plotly_chart(series_preview(ds.valid.X, ds.valid.future, predictions=run.predictions["valid"],
                                     n_series=n_show, title="Forecast vs actual (validation)"), key="cmp-series", theme=None)
left, right = st.columns(2)
left.plotly_chart(training.prediction_scatter(ds.valid.future, run.predictions["valid"]), key="cmp-scatter", theme=None)
if s.horizon > 1 and run.mse_per_step:
    right.plotly_chart(training.mse_by_step({focus.label: run.mse_per_step["valid"]}), key="cmp-steps", theme=None)
run_view.downloads(run, focus.experiment)
