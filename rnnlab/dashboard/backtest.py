"""The Train page's backtest section: a rolling-origin backtest of the experiment on its real series.

Each fold is an ordinary job with its own key (:meth:`rnnlab.config.Experiment.backtest`), submitted together
as one request: the folds run in parallel on the cluster's workers, and a backtest asked for again is answered
from the store.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from rnnlab.figures import training
from rnnlab.figures.series import backtest_folds, fold_errors
from rnnlab.config import FIELDS, Experiment, limits
from rnnlab.dashboard import run_view, state
from rnnlab.jobs.job import JobError
from rnnlab.jobs.manager import JobManager


def section(experiment: Experiment, manager: JobManager) -> None:
    """Choose the folds, run them, and show each fold's forecasts and errors with their mean."""
    st.subheader("Backtest")
    st.caption("Rolling origin with an expanding window: the test period is cut into folds, and each fold is "
               "forecast by this model trained on everything before it. Each fold trains as its own job, in "
               "parallel on the cluster.")
    low, high = FIELDS["folds"].bounds(limits())
    folds = st.slider("Folds", low, high, 3, key="backtest_folds", help=FIELDS["folds"].help)
    experiments = experiment.backtest(folds)
    results = [run_view.load_result(e.key()) for e in experiments]
    if all(r is not None for r in results):
        show(experiments, results)
        return
    jobs = [manager.get(e.key()) for e in experiments]
    running = any(j is not None and not j.finished for j in jobs)
    owner = state.owner()

    def run() -> None:
        try:
            manager.submit_batch(experiments, owner=owner)
        except JobError as exc:
            st.session_state["_backtest_error"] = str(exc)

    st.button(f"Run the backtest ({folds} trainings)", key="backtest_run", on_click=run,
              disabled=running and all(j is None or j.asked_by(owner) for j in jobs if j is not None),
              help="Trains one model per fold; folds trained before are taken from the store.")
    refused = st.session_state.pop("_backtest_error", None)
    if refused:
        st.error(refused, icon=":material/hourglass_top:")
    if running:
        progress(experiments, manager)
    failed = [j.error for j in jobs if j is not None and j.state == "failed"]
    if failed:
        st.error(f"A fold failed: {failed[0]}", icon=":material/error:")


@st.fragment(run_every=1.0)
def progress(experiments: list[Experiment], manager: JobManager) -> None:
    """How far the folds have come; reruns the page when they are all done."""
    jobs = [manager.get(e.key()) for e in experiments]
    if all(j is None or j.finished for j in jobs):
        st.rerun()
    epochs = sum(e.train.epochs for e in experiments)
    done = sum(j.progress()["epoch"] if j is not None and not j.finished else (e.train.epochs if j else 0)
               for e, j in zip(experiments, jobs))
    finished = sum(j is not None and j.finished for j in jobs)
    st.progress(done / epochs, text=f"{finished} of {len(jobs)} folds done · {done} of {epochs} epochs")


def show(experiments: list[Experiment], results: list) -> None:
    """The folds' one-step-ahead forecasts against the actual series, and each fold's test MSE with the mean."""
    datasets = [run_view.dataset(e.to_dict()["series"]) for e in experiments]
    series = datasets[0].series
    first = int(datasets[0].origins["test"][0])
    shown = np.arange(max(0, first - 30), len(series))
    folds = {}
    for i, (ds, result) in enumerate(zip(datasets, results), 1):
        origins = ds.origins["test"]
        folds[f"fold {i}"] = (series.time_labels(origins), result.predictions["test"][:, 0])
    st.plotly_chart(backtest_folds(series.time_labels(shown), series.values[shown], folds, unit=series.unit),
                    key="backtest-folds", theme=None)
    mse = [r.metrics["test"]["mse"] for r in results]
    naive = [r.naive_metrics["test"]["mse"] for r in results]
    left, right = st.columns([3, 2])
    left.plotly_chart(fold_errors([f"fold {i}" for i in range(1, len(mse) + 1)], mse, baseline=naive),
                      key="backtest-errors", theme=None)
    table = pd.DataFrame({"fold": range(1, len(mse) + 1), "test MSE": mse, "naive test MSE": naive,
                          "test windows": [len(ds.test) for ds in datasets],
                          "from": [series.time_labels(ds.origins["test"][:1])[0] for ds in datasets]})
    right.dataframe(table.set_index("fold"), width="stretch", column_config={
        "test MSE": st.column_config.NumberColumn(format="%.5g"),
        "naive test MSE": st.column_config.NumberColumn(format="%.5g")})
    right.metric("Mean test MSE", run_view.fmt(float(np.mean(mse))),
                 training.metric_delta(float(np.mean(mse)), float(np.mean(naive))), delta_color="inverse",
                 help=f"Naive forecast: {run_view.fmt(float(np.mean(naive)))}")
