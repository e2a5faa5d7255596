"""Compare: a leaderboard of the runs on the current data, their curves side by side, one run up close."""

from typing import Iterable

import pandas as pd
import streamlit as st

from rnnlab.figures import sweeps, training
from rnnlab.figures.series import series_preview
from rnnlab.dashboard import repeats, run_view, state
from rnnlab.store.runs import backtests, best_by_group, group_repeats, leaderboard



def dashed(frame: pd.DataFrame, formats: dict[str, str], columns: Iterable[str] = ()) -> pd.DataFrame:
    """``frame`` with the columns in ``formats`` written as text, "–" where a run lacks the score (a run stored
    before it existed), and ``columns`` dropped."""
    frame = frame.drop(columns=[c for c in columns if c in frame])
    for name, fmt in formats.items():
        if name in frame:
            frame[name] = ["–" if pd.isna(v) else format(v, fmt) for v in frame[name]]
    return frame


st.title("Compare runs")
experiment = state.current_experiment()
state.show_notes(experiment)
series = experiment.to_dict()["series"]
s = experiment.series

show_all = st.toggle("All runs on this data", value=st.query_params.get("all") == "1", key="compare_all",
                     help="Off: the runs of this browser session. On: every run anyone trained on the same data.")
runs = [r for r in run_view.store().list(series=series) if r.scored]  # a final run has no scores to rank
if not show_all:
    mine = set(state.session_runs())
    runs = [r for r in runs if r.key in mine]
st.caption(f"Data: {run_view.describe_data(experiment)}.")

if s.real:
    ranked_backtests = backtests(run_view.store().list(series=series, backtests=True))
    if ranked_backtests:
        st.subheader("Ranked by backtest validation error")
        st.caption("Each backtest trains the model once per fold (rolling origin, expanding window; each fold holds "
                   "back the end of its training data for validation). Ranked by the mean of the folds' validation "
                   "MSE, a steadier ranking than one validation period; the folds' test errors are shown beside it "
                   "and choose nothing.")
        frame = pd.DataFrame([{"group": r["group"], "model": r["model"], "mode": r["mode"],
                               "folds": f"{r['done']} of {r['folds']}", "mean valid MSE": r["mean valid MSE"],
                               "mean test MSE": r["mean test MSE"], "mean test MAE": r["mean test MAE"],
                               "test MSE by fold": ", ".join(f"{v:.4g}" for v in r["test MSE by fold"])}
                              for r in ranked_backtests])
        st.dataframe(dashed(frame, {"mean valid MSE": ".5g", "mean test MSE": ".5g", "mean test MAE": ".5g"}),
                     width="stretch", hide_index=True)

if not runs:
    st.info("No runs on this data yet" + ("" if show_all else " in this session") + ". Train a model, or switch on "
            "**All runs on this data**.")
    st.page_link("pages/train.py", label="Train a model", icon=":material/model_training:")
    st.stop()

st.caption("One row per configuration: runs that differ only in their training seed are its repeats, ranked by their "
           "mean **validation** MSE (the test MSE is shown beside it and decides nothing). **group** puts the "
           "classical forecasters and the baselines beside the networks. **vs above** says whether the gap to the row "
           "above is larger than the spread between seeds (a real difference) or smaller (noise). Train repeats on the "
           "Train page or with a sweep.")
rows = leaderboard(runs)
best = best_by_group(rows)
if "network" in best and "classical" in best:
    net, classical = best["network"], best["classical"]
    st.markdown(f"Best on validation: network **{net['model']}** (MSE {net['valid MSE']:.5g}, test "
                f"{net['test MSE']:.5g}), "
                f"classical forecaster or baseline **{classical['model']}** (MSE {classical['valid MSE']:.5g}, test "
                f"{classical['test MSE']:.5g}).")
# A scale-free score: the seasonal MASE on a real series; the generated series has none, so the MAE relative to
# the naive forecast's on the same windows.
scale, other = ("valid MASE", "valid MAE vs naive") if s.real else ("valid MAE vs naive", "valid MASE")
board = dashed(pd.DataFrame(rows), {"valid MAE": ".5f", scale: ".3f"}, columns=["key", "keys", other])
board.index += 1
st.dataframe(board, width="stretch", column_config={
    "valid MSE": st.column_config.NumberColumn(format="%.6f", help="Mean over the configuration's seeds"),
    "valid ±": st.column_config.NumberColumn(format="%.6f", help="Standard deviation over the seeds (blank: one run)"),
    "test MSE": st.column_config.NumberColumn(format="%.6f", help="Mean over the configuration's seeds"),
    "test ±": st.column_config.NumberColumn(format="%.6f", help="Standard deviation over the seeds (blank: one run)"),
    "valid MASE": st.column_config.TextColumn(help="Validation MAE over the in-sample seasonal-naive MAE (below 1 "
                                                   "beats it); – for a run stored before it existed"),
    "valid MAE vs naive": st.column_config.TextColumn(help="Validation MAE over the naive forecast's on the same "
                                                           "windows (below 1 beats it); – for an older run"),
    "group": st.column_config.TextColumn(help="network, or classical: the classical forecasters and the baselines"),
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
# the stored predictions are in the series' own units, so the windows are too (a real series' are scaled)
st.plotly_chart(series_preview(ds.inputs("valid"), ds.actual("valid"), predictions=run.predictions["valid"],
                                     n_series=n_show, title="Forecast vs actual (validation)"), key="cmp-series", theme=None)
left, right = st.columns(2)
left.plotly_chart(training.prediction_scatter(ds.actual("valid"), run.predictions["valid"]), key="cmp-scatter",
                  theme=None)
if s.horizon > 1 and run.mse_per_step:
    right.plotly_chart(training.mse_by_step({focus.label: run.mse_per_step["valid"]}), key="cmp-steps", theme=None)
run_view.downloads(run, focus.experiment)
