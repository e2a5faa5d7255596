"""The Train page's backtest section: a rolling-origin backtest of the experiment on its real series, each fold
beside its yardsticks.

Each fold is an ordinary job with its own key (:meth:`rnnlab.config.Experiment.backtest`); each fold's naive,
seasonal-naive, ETS, ARIMA and Theta forecasts are jobs too, on that fold's windows. They are submitted together
as one request: the workers run them side by side, and a backtest asked for again is answered from the store.
The best classical forecaster is chosen on validation (:mod:`rnnlab.forecasting.folds`), never on test.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from rnnlab.figures import training
from rnnlab.figures.series import backtest_folds, fold_errors
from rnnlab.config import FIELDS, Experiment, limits
from rnnlab.dashboard import run_view, state
from rnnlab.forecasting import folds as fold_scores, yardsticks
from rnnlab.jobs.job import JobError
from rnnlab.jobs.manager import JobManager

ERROR, WARNING = "_backtest_error", "_backtest_yardstick_error"


def fold_yardsticks(experiments: list[Experiment]) -> list[list[Experiment]]:
    """Each fold's yardstick experiments, but the fold itself (a yardstick backtested on its own)."""
    return [yardsticks.others(e) for e in experiments]


def _result(experiment: Experiment, manager: JobManager):
    """The run of ``experiment``: its finished job's, or the store's; None while it runs or when it never ran."""
    return run_view.finished_run(experiment.key(), manager.get(experiment.key()))


def section(experiment: Experiment, manager: JobManager) -> None:
    """Choose the folds, run them with their yardsticks, and show each fold's forecasts and errors with the mean."""
    st.subheader("Backtest")
    st.caption("Rolling origin with an expanding window: the test period is cut into folds, and each fold is "
               f"forecast by this model trained on the past before it: "
               f"{fold_scores.holdout_text(experiment.series.train_fraction, experiment.series.valid_fraction)}. "
               "Each fold and its yardsticks run as jobs of their own, in parallel on the cluster.")
    low, high = FIELDS["folds"].bounds(limits())
    n_folds = st.slider("Folds", low, high, 3, key="backtest_folds", help=FIELDS["folds"].help)
    experiments = experiment.backtest(n_folds)
    sticks = fold_yardsticks(experiments)
    wanted = experiments + [y for fold in sticks for y in fold]
    results = [_result(e, manager) for e in experiments]
    stick_runs = [{y.model.name: _result(y, manager) for y in fold} for fold in sticks]
    jobs = [manager.get(e.key()) for e in wanted]
    running = any(j is not None and not j.finished for j in jobs)
    owner = state.owner()

    def run() -> None:
        todo = [e for e in wanted if _result(e, manager) is None]
        try:
            manager.submit_batch(todo, owner=owner)
        except JobError as exc:  # the yardsticks may be what the limits refuse: the folds alone, and say why
            try:
                manager.submit_batch([e for e in experiments if e in todo], owner=owner)
                st.session_state[WARNING] = str(exc)
            except JobError as refused:
                st.session_state[ERROR] = str(refused)

    missing = [e for e in wanted if _result(e, manager) is None]
    if missing and not running:
        folds_left, fits = sum(e in missing for e in experiments), sum(e not in experiments for e in missing)
        label = (f"Run the backtest ({folds_left} trainings)" + (f" with {fits} yardstick fits" if fits else "")
                 if folds_left else f"Fit the folds' yardsticks ({fits} fits)")
        st.button(label, key="backtest_run", on_click=run,
                  help="Trains one model per fold and fits each fold's naive, seasonal-naive, ETS, ARIMA and Theta "
                       "forecasts on its windows, as one request; those made before are taken from the store.")
    for key, show_as in ((ERROR, st.error), (WARNING, st.warning)):
        message = st.session_state.pop(key, None)
        if message:
            show_as(message if key == ERROR else f"The folds' yardsticks were not run: {message}",
                    icon=":material/hourglass_top:")
    if running:
        progress(experiments, wanted, manager, all(r is not None for r in results))
    failed = [(e, j) for e, j in zip(wanted, jobs) if j is not None and j.state == "failed"]
    for e, job in failed[:3]:
        st.error(f"Fold {e.series.fold}, {e.model.entry.display_name} failed: {job.error}", icon=":material/error:")
    if all(r is not None for r in results):
        show(experiments, results, stick_runs)


@st.fragment(run_every=1.0)
def progress(experiments: list[Experiment], wanted: list[Experiment], manager: JobManager, shown: bool) -> None:
    """How far the folds and their yardsticks have come; reruns the page when the folds are done (unless their
    results are ``shown`` already: the yardsticks fill in the table after them) and when everything is."""
    jobs = {e.key(): manager.get(e.key()) for e in wanted}
    folds_done = all(jobs[e.key()] is None or jobs[e.key()].finished for e in experiments)
    if all(j is None or j.finished for j in jobs.values()) or (folds_done and not shown):
        st.rerun()
    epochs = sum(e.train.epochs for e in experiments)
    fold_jobs = [jobs[e.key()] for e in experiments]
    done = sum(j.progress()["epoch"] if j is not None and not j.finished else (e.train.epochs if j else 0)
               for e, j in zip(experiments, fold_jobs))
    finished = sum(j is not None and j.finished for j in fold_jobs)
    others = [jobs[e.key()] for e in wanted[len(experiments):]]
    fitted = sum(j is None or j.finished for j in others)
    st.progress(done / epochs if epochs else 1.0,
                text=f"{finished} of {len(fold_jobs)} folds done · {done} of {epochs} epochs"
                     + (f" · yardsticks {fitted} of {len(others)} fitted" if others else ""))


def _table(rows: list[fold_scores.FoldRow], mean: fold_scores.FoldRow, display_name: str) -> pd.DataFrame:
    """One row per forecaster the mean shows (the model, the naive and seasonal-naive forecasts, the best
    classical forecaster on the folds' mean validation MAE): its group, each fold's test MAE, and the means."""
    table = []
    for name in mean.shown():
        label = display_name if name == mean.network else yardsticks.LABELS.get(name, name)
        if name == mean.best_classical:
            label += " (best classical on validation)"
        table.append({"forecaster": label, "group": yardsticks.kind(name),
                      **{f"fold {r.fold} test MAE": r.figure(name, "test", "mae") for r in rows},
                      "mean test MAE": mean.figure(name, "test", "mae"),
                      "mean test MASE": mean.figure(name, "test", "mase"),
                      "mean valid MAE": mean.figure(name, "valid", "mae")})
    return pd.DataFrame(table)


def show(experiments: list[Experiment], results: list, stick_runs: list[dict]) -> None:
    """The folds' one-step-ahead forecasts against the actual series, each fold's test MSE against the naive
    forecast's, and the table of the model beside its yardsticks per fold and on the mean, with the verdict."""
    datasets = [run_view.dataset(e.to_dict()["series"]) for e in experiments]
    series = datasets[0].series
    first = int(datasets[0].origins["test"][0])
    shown = np.arange(max(0, first - 30), len(series))
    forecasts = {}
    for i, (ds, result) in enumerate(zip(datasets, results), 1):
        forecasts[f"fold {i}"] = (series.time_labels(ds.origins["test"]), result.predictions["test"][:, 0])
    st.plotly_chart(backtest_folds(series.time_labels(shown), series.values[shown], forecasts, unit=series.unit),
                    key="backtest-folds", theme=None)
    mse = [r.metrics["test"]["mse"] for r in results]
    naive = [r.naive_metrics["test"]["mse"] for r in results]
    left, right = st.columns([3, 2])
    left.plotly_chart(fold_errors([f"fold {i}" for i in range(1, len(mse) + 1)], mse, baseline=naive),
                      key="backtest-errors", theme=None)
    right.metric("Mean test MSE", run_view.fmt(float(np.mean(mse))),
                 training.metric_delta(float(np.mean(mse)), float(np.mean(naive))), delta_color="inverse",
                 help=f"Naive forecast: {run_view.fmt(float(np.mean(naive)))}")
    right.caption("Test windows per fold: " + ", ".join(
        f"{len(ds.test)} from {series.time_labels(ds.origins['test'][:1])[0]}" for ds in datasets))
    entry = experiments[0].model.entry
    # the naive forecast's scores come with every run (the same windows); the yardsticks' from their own runs
    scored = [{"naive": r.naive_metrics, **{n: y.metrics for n, y in runs.items() if y is not None}}
              for r, runs in zip(results, stick_runs)]
    rows, mean = fold_scores.table(experiments[0].model.name, [r.metrics for r in results], scored)
    table = _table(rows, mean, entry.display_name)
    figures = {c: st.column_config.NumberColumn(format="%.4g") for c in table.columns
               if c not in ("forecaster", "group")}
    st.dataframe(table, hide_index=True, width="stretch", key="backtest-table", column_config={
        **figures, "group": st.column_config.TextColumn(
            help="network: this model; baseline: the naive forecasts; classical: ETS, ARIMA or Theta")})
    st.caption("The best classical forecaster is the one with the lowest validation MAE (each fold's own "
               "validation; here the mean over the folds); the test columns only report how it did.")
    verdict = fold_scores.verdict(mean, entry.display_name)
    if verdict:
        st.warning(verdict, icon=":material/trending_down:")
