"""Showing a finished run: headline metrics against the naive forecast, curves, predictions, downloads."""

from __future__ import annotations

import json
from typing import Any, Callable

import numpy as np
import pandas as pd
import streamlit as st

from rnnlab.config import Experiment, stored_experiment
from rnnlab.figures import training
from rnnlab.figures.diagnostics import residual_acf
from rnnlab.figures.series import future_forecast, interval_forecast, series_preview
from rnnlab.forecasting import diagnostics, intervals, metrics, yardsticks
from rnnlab.models import export
from rnnlab.series import catalog, windows
from rnnlab.series.dataset import Dataset, make_dataset
from rnnlab.series.prepare import PreparedSeries
from rnnlab.store.runs import RunResult, backend_note
from rnnlab.store.runstore import MODEL_FILE, RunStore
from rnnlab.training.backend import backend_name


def store() -> RunStore:
    """The run store at ``RNNLAB_HOME`` (a cheap object; the files are the state)."""
    return RunStore()


def load_result(key: str) -> RunResult | None:
    """The stored run ``key`` or None (read from disk: a few milliseconds; nothing to go stale)."""
    return store().get(key)


def finished_run(key: str, job) -> RunResult | None:
    """The run of ``key`` with ``job`` (the manager's job of that key, or None): a finished job's result, else the
    store's (a reloaded page, a run made by an earlier server, or a result the manager no longer keeps in memory);
    None while the job is queued or running, or when it never ran."""
    if job is not None and job.state == "done" and (result := job.result()) is not None:
        return result
    return None if job is not None and not job.finished else load_result(key)


@st.cache_resource(max_entries=16, show_spinner=False)
def dataset(series: dict) -> Dataset:
    """The validation/test inputs of one data specification, shared by every session and never changed
    (regenerating is pure; ``cache_resource`` hands out the one copy instead of unpickling a new one). The
    inputs and future values do not depend on the model: the naive forecast's experiment stands in."""
    mode = "one_step" if series["horizon"] == 1 else "seq2vec"
    return make_dataset(stored_experiment({"series": series, "model": {"name": "naive", "mode": mode}}))


@st.cache_resource(max_entries=64, show_spinner=False)
def _conformal(key: str, stamp: tuple[float, float], levels: tuple[int, ...], future: tuple[float, ...] | None,
               _result: RunResult, _ds: Dataset) -> dict | None:
    """:func:`rnnlab.models.export.intervals` of one stored run, kept for every session: online calibration is a
    pass over every test window (0.02 s for 480 windows of 12 steps at two levels, 0.1 s for 2,000 of 14), and a
    page draws the bands twice per rerun. Keyed
    by the run, its timings (a retrained run under the same key is another result), the levels and the forecast
    the bands go around. Read-only: callers must not change what it returns."""
    return export.intervals(_result, _ds, levels, future=None if future is None else {"value": list(future)})


def run_intervals(result: RunResult, ds: Dataset, levels: tuple[int, ...],
                  future: dict | None = None) -> dict | None:
    """The run's intervals at ``levels`` around ``future`` (its own forecast past the end by default), cached."""
    future = result.future if future is None else future
    return _conformal(result.key, (result.train_seconds, result.wall_seconds), tuple(levels),
                      None if not future else tuple(future["value"]), result, ds)


def describe_data(experiment: Experiment) -> str:
    """The experiment's data in a sentence (generated: the generator's settings; real: the series' name)."""
    s = experiment.series
    if not s.real:
        return (f"{s.n_series:,} series of {s.n_steps} steps, forecasting {s.horizon} ahead, noise {s.noise:g}, "
                f"seed {s.seed}")
    info = catalog.info(s.data)
    test = 1 - s.train_fraction - s.valid_fraction
    return (f"{info.title}, {info.points:,} {info.step} values: windows of {s.n_steps} steps forecasting "
            f"{s.horizon} ahead; periods {s.train_fraction:.0%} / {s.valid_fraction:.0%} / {test:.0%}")


def series_info(data_id: str) -> catalog.SeriesInfo:
    """What is known about a real series (title, step, unit, provenance)."""
    return catalog.info(data_id)


def periods(experiment: Experiment, points: int) -> dict[str, tuple[int, int]]:
    """The experiment's training, validation and test periods of its real series, as index ranges."""
    s = experiment.series
    where = windows.periods(points, s.train_fraction, s.valid_fraction, s.folds, s.fold)
    return {"training": (0, where.train_end), "validation": (where.train_end, where.valid_end),
            "test": (where.valid_end, where.test_end)}


def baselines(ds: Dataset, horizon: int) -> dict[str, float]:
    """Validation MSE of the naive forecast and, on a real series, of the seasonal-naive one (on the windows
    that reach back a season), in the series' own units."""
    actual = ds.actual("valid")
    out = {"naive": metrics.mse(actual, ds.naive("valid", horizon))}
    if ds.seasonal is not None:
        rows = np.isfinite(ds.seasonal["valid"]).all(axis=1)
        if rows.any():
            out["seasonal_naive"] = metrics.mse(actual[rows], ds.seasonal["valid"][rows])
    return out


def range_warning(series: PreparedSeries, where: dict[str, tuple[int, int]]) -> str | None:
    """The warning for validation and test values outside the training period's range, if any."""
    bounds = windows.Periods(where["training"][1], where["validation"][1], where["test"][1])
    return windows.range_warning(series.filled(), series.observed, bounds)


def series_report(series: PreparedSeries, info: catalog.SeriesInfo) -> None:
    """How regular the series is, what is missing, and (for a bundled one) what it teaches and where it is from."""
    report = series.report
    cols = st.columns(4)
    cols[0].metric("Values", f"{len(series):,}", help=f"One per {series.step} step" if series.freq else
                   "Taken in row order")
    cols[1].metric("Step", series.step, help=f"{report.get('regularity', 1):.0%} of the observations are one step "
                                             "apart.")
    cols[2].metric("Missing", f"{report.get('missing', 0):,}",
                   help="Values the grid has but the data does not: filled with the last value before them "
                        "(never from the future) and never scored.")
    cols[3].metric("Longest gap", f"{report.get('longest_gap', 0):,} steps")
    for note in report.get("notes", []):
        st.caption(f"Note: {note}.")
    meta = info.meta
    if info.kind == "bundled":
        st.markdown(f"**What it teaches.** {meta['teaches']}")
        st.caption(f"Unit: {meta['unit']}. Source: {meta['source']}. Licence: {meta['licence']} "
                   f"({meta['licence_evidence'].split(' | ')[0][:160]}). Extracted from {meta['extracted_from'][:120]}.")
    else:
        st.caption(f"Uploaded file {meta.get('filename', '')}; only people with its link can open it.")


def fmt(value: float | None, digits: int = 5) -> str:
    """``value`` with ``digits`` decimals (in scientific notation when smaller), or "–" when there is none."""
    if value is None or not np.isfinite(value):
        return "–"
    return f"{value:.{digits}f}" if abs(value) >= 10 ** -digits else f"{value:.2e}"


def headline(result: RunResult, experiment: Experiment) -> None:
    """Validation/test MSE with the change against the naive forecast, MAE, MASE, parameters, time."""
    valid, test = result.metrics["valid"], result.metrics["test"]
    naive_valid, naive_test = result.naive_metrics["valid"]["mse"], result.naive_metrics["test"]["mse"]
    cols = st.columns(3) + st.columns(3)
    for col, label, mine, naive in ((cols[0], "Validation MSE", valid["mse"], naive_valid),
                                    (cols[1], "Test MSE", test["mse"], naive_test)):
        delta = training.metric_delta(mine, naive)
        tie = delta == training.SAME_AS_NAIVE  # grey, and no arrow
        col.metric(label, fmt(mine), delta, delta_color="off" if tie else "inverse",
                   delta_arrow="off" if tie else "auto", help=f"Naive forecast: {fmt(naive)}")
    cols[2].metric("Validation MAE", fmt(valid["mae"]), help="Mean absolute error, in the series' own unit.")
    if experiment.series.real:
        cols[3].metric("MASE", fmt(valid.get("mase"), 3), help=(
            "Mean absolute scaled error (validation): the model's MAE divided by the in-sample MAE of the "
            "seasonal-naive forecast (one season back) over the training period, as the M4 competition defines it. "
            "Below 1 beats that."))
    else:  # runs stored before schema 2 called this figure "mase"
        cols[3].metric("MAE vs naive", fmt(valid.get("rel_mae", valid.get("mase")), 3),
                       help="The model's validation MAE divided by the naive forecast's on the same series. Below 1 "
                            "beats the naive forecast.")
    cols[4].metric("Parameters", f"{result.params_total:,}" if experiment.model.entry.trainable else "–",
                   help=None if experiment.model.entry.trainable else untrained_note(result, experiment))
    per_epoch = result.seconds_per_epoch
    cols[5].metric("Training time", f"{result.train_seconds:.1f} s",
                   help=f"{per_epoch:.2f} s per epoch after the first" if per_epoch else "No training needed.")
    seasonal = result.baselines.get("valid", {}).get("seasonal_naive")
    if seasonal:
        st.caption(f"Baselines on the validation windows: naive MSE {fmt(naive_valid)}, seasonal naive (one season "
                   f"= {experiment.series.season} steps back) MSE {fmt(seasonal['mse'])} on the {seasonal['windows']} "
                   f"of {seasonal['of']} windows that reach back a season.")


def show_result(result: RunResult, experiment: Experiment, *, n_series: int = 3,
                beside: Callable[[], None] | None = None,
                future: Callable[[Dataset, tuple[int, ...]], None] | None = None) -> None:
    """Headline metrics, loss curves and predicted-vs-actual charts of a finished run; on a real series, the
    forecast past the end and the prediction intervals too. ``beside`` draws what belongs next to the metrics (the
    Train page's yardsticks); ``future`` draws the forecast past the end instead of this run's own (the Train
    page's, from the final model), with the interval levels picked."""
    note = backend_note(result.versions, result.params_total, backend_name())
    if note:
        st.info(note, icon=":material/memory:")
    headline(result, experiment)
    if beside is not None:
        beside()
    ds = dataset(experiment.to_dict()["series"])
    st.plotly_chart(
        series_preview(ds.inputs("valid"), ds.actual("valid"),
                             predictions=result.predictions["valid"], n_series=n_series,
                             title="Validation windows: forecast vs actual"),
        key=f"pred-{result.key}", theme=None)
    valid = result.predictions.get("valid")
    levels = interval_levels() if experiment.series.real and valid is not None and len(valid) else ()
    if future is not None and experiment.series.real:
        future(ds, levels)
    elif result.future:
        future_view(result, experiment, ds, levels=levels)
    if levels:
        intervals_view(result, experiment, ds, levels)
    diagnostics_view(result, experiment, ds)
    multi = experiment.series.horizon > 1 and result.mse_per_step
    left, right = st.columns(2) if multi else (st.container(), None)
    with left:
        if result.history:
            st.plotly_chart(training.loss_curves({experiment.model.name: result.history}), key=f"loss-{result.key}",
                            theme=None)
        else:
            st.info(untrained_note(result, experiment))
    if multi:
        naive_steps = metrics.mse_per_step(ds.actual("valid"), ds.naive("valid", experiment.series.horizon))
        right.plotly_chart(training.mse_by_step({experiment.model.name: result.mse_per_step["valid"]},
                                             naive_per_step=naive_steps), key=f"steps-{result.key}", theme=None)


def untrained_note(result: RunResult, experiment: Experiment) -> str:
    """What a forecaster that trains no network shows instead of a loss curve: the model statsmodels fitted (a
    classical forecaster's), or how the baseline forecasts."""
    entry = experiment.model.entry
    if entry.kind == "classical":
        return (f"No network, so no loss curve: fitted by statsmodels: {result.forecaster or entry.display_name}, "
                "chosen and fitted on the training period, then run forward over each window.")
    return f"The {entry.display_name.lower()} needs no training: {entry.description[:1].lower()}{entry.description[1:]}"


#: Observations drawn before a forecast past the end.
HISTORY_SHOWN = 120


def interval_levels() -> tuple[int, ...]:
    """The prediction-interval levels the user picked (one widget per page: the levels apply to every run shown)."""
    picked = st.multiselect(
        "Prediction intervals", intervals.LEVELS, default=list(intervals.DEFAULT_LEVELS),
        format_func=lambda level: f"{level}%", key="interval_levels",
        help="Bands around the forecasts, from the model's own errors (each step ahead its own width): first its "
             "errors on the validation windows, then each test error as soon as its value is known, widening after "
             "misses and narrowing after hits. An 80% interval should hold about 80% of the values that follow; "
             "the test period shows how many it did.")
    return tuple(sorted(picked))


def future_view(result: RunResult, experiment: Experiment, ds: Dataset, *, levels: tuple[int, ...] = (),
                calibration: RunResult | None = None) -> None:
    """The forecast of the values after the last observation, on the series' own time axis, and its CSV; with
    the intervals at ``levels``, calibrated on the validation errors of ``calibration`` (the evaluated run, when
    the forecast comes from a final model that has no validation period) or of this run."""
    future, series = result.future, ds.series
    found = run_intervals(calibration or result, ds, levels, future) if levels else None
    bands = {int(level): (entry["future_lower"], entry["future_upper"]) for level, entry in found["levels"].items()
             if entry["future_lower"] is not None} if found else {}
    shown = np.arange(max(0, len(series) - HISTORY_SHOWN), len(series))
    st.plotly_chart(future_forecast(series.time_labels(shown), series.values[shown], future["time"],
                                          future["value"], last_time=future["last_time"],
                                          rolled=future["rolled_forward"], unit=series.unit, bands=bands,
                                          title=f"The next {len(future['value'])} values after {future['last_time']}"),
                    key=f"future-{result.key}", theme=None)
    note = (" A one-step model makes it by feeding each forecast back in as the next input." if future["rolled_forward"]
            else "")
    if bands:
        note += (f" The bands are {', '.join(f'{level}%' for level in bands)} intervals from the validation and test "
                 "errors of " + ("the evaluated run (the final model has none of its own)." if calibration is not None
                                 else "this run."))
    st.caption(_made_by(result, experiment) + note)
    # A few rows, made now: a callable's file is made on the click and dropped by a rerun of the page in between
    # (the yardsticks' progress reruns it when they finish), which cancelled the download in the browser.
    st.download_button("Forecast (CSV)", export.future_csv(result, found), key=f"dl-future-{result.key}",
                       file_name=f"rnnlab-{experiment.model.name}-{result.key[:8]}-forecast.csv", mime="text/csv",
                       on_click="ignore", help="time,value: the forecast past the end of the series, then the lower "
                                               "and upper bound of each interval shown.")


def intervals_view(result: RunResult, experiment: Experiment, ds: Dataset, levels: tuple[int, ...]) -> None:
    """How sure the run is: its test forecasts (one step ahead) with the intervals at ``levels`` as bands (each
    window's own, calibrated online), and per level the half-width from validation alone and the one the
    forecast past the end gets, and how the test period scored it (coverage, mean width, Winkler score), in words
    when the coverage falls well short of the level."""
    found = run_intervals(result, ds, levels)
    if found is None:
        return
    st.subheader("How sure is it?")
    rows, bands, short = [], {}, []
    test = result.predictions.get("test")
    for level, entry in found["levels"].items():
        if entry["halfwidth"] is None:
            st.info(f"No {level}% interval: it needs at least {entry['too_few']} validation windows, and this run "
                    f"has {found['windows']}. Pick a lower level, or give the series a longer validation period.",
                    icon=":material/info:")
            continue
        width, scores, online = entry["halfwidth"], entry["test"], entry["test_halfwidth"]
        if online is not None:
            first = np.asarray(online)[:, 0]
            bands[int(level)] = (test[:, 0] - first, test[:, 0] + first)
        else:
            bands[int(level)] = None
        rows.append({"level": f"{level}%", "± at first": entry["valid_halfwidth"][0], "± now": width[0],
                     "± now, last step": width[-1],
                     "test coverage": None if scores is None else f"{scores['coverage']:.0%}",
                     "mean width": None if scores is None else scores["mean_width"],
                     "Winkler": None if scores is None else scores["winkler"]})
        if scores is not None and scores["coverage"] < int(level) / 100 - 0.1:
            short.append(f"the {level}% interval held only {scores['coverage']:.0%} of the test values")
    for level, scores in (result.own_intervals or {}).items():
        rows.append({"level": f"{level}% ({result.forecaster or 'the model'}'s own)", "± at first": None,
                     "± now": None, "± now, last step": None, "test coverage": f"{scores['coverage']:.0%}",
                     "mean width": scores["mean_width"], "Winkler": scores["winkler"]})
    if not rows:
        return
    if test is not None and len(test) and all(b is not None for b in bands.values()):
        times = ds.series.time_labels(ds.origins["test"])
        st.plotly_chart(interval_forecast(times, ds.actual("test")[:, 0], test[:, 0], bands, unit=ds.series.unit,
                                          title="Test period: one step ahead, with its intervals"),
                        key=f"intervals-{result.key}", theme=None)
    table = pd.DataFrame(rows)
    if experiment.series.horizon == 1:  # one step: the last step is the first
        table = table.drop(columns="± now, last step")
    st.dataframe(table, hide_index=True, width="stretch", column_config={
        "± at first": st.column_config.NumberColumn(format="%.4g", help="The half-width one step ahead from the "
                                                    "validation errors alone: what the first test window got"),
        "± now": st.column_config.NumberColumn(format="%.4g", help="± this much around the next forecast one step "
                                               "ahead, after every test error is known (the forecast past the end "
                                               "gets it)"),
        "± now, last step": st.column_config.NumberColumn(format="%.4g", help="± this much around the next forecast "
                                                          "of the last step ahead"),
        "test coverage": st.column_config.TextColumn(help="Share of the test values inside the interval: close to "
                                                          "the level is right"),
        "mean width": st.column_config.NumberColumn(format="%.4g", help="Narrower is better at the same coverage"),
        "Winkler": st.column_config.NumberColumn(format="%.4g", help="The Winkler (interval) score: the width plus "
                                                 "a penalty for each value outside; one number, lower is better")})
    st.caption(f"Conformal, online: each step's half-width is a quantile of this run's absolute errors, first on its "
               f"{found['windows']} validation windows, then with each test error added as soon as its value is "
               "known; after a miss the next bands widen a little, after a hit they narrow, so the share inside "
               "stays near the level even when the series changes. The forecast past the end gets the last widths.")
    if short:
        st.warning("Too narrow: " + "; ".join(short) + ". The series behaved differently in the test period than "
                   "in the validation period (a trend or a change of level widens the errors later).",
                   icon=":material/warning:")


def diagnostics_view(result: RunResult, experiment: Experiment, ds: Dataset) -> None:
    """What a teacher points at in a network's run on a real series, on its test windows in the series' own units:
    does it just copy the last value (all forecast steps), and what is left in its errors (the ACF of the first
    step's errors with its band, and a Ljung-Box test). Nothing for the generated series, a forecaster that trains
    no network (the naive one copies by design), or a run without test forecasts."""
    predicted = result.predictions.get("test")
    network = experiment.model.entry.kind == "network"
    if not experiment.series.real or not network or predicted is None or not len(predicted):
        return
    actual = ds.actual("test")
    st.subheader("Diagnostics")
    try:
        copied = diagnostics.copying(actual, predicted, ds.last_input("test"))
        left = diagnostics.residual_diagnostics(actual, predicted, experiment.series.season or ds.series.season)
    except ValueError as exc:  # too few test windows, or a series that never changes on them
        st.info(f"No diagnostics on these test windows: {exc}.", icon=":material/info:")
        return
    st.info(f"**Does it just copy the last value?** {copied.verdict}", icon=":material/content_copy:")
    first = ", one step ahead" if experiment.series.horizon > 1 else ""  # the test assumes one-step errors
    st.plotly_chart(residual_acf(left.acf, left.band, title=f"What is left: autocorrelation of the test errors{first}"),
                    key=f"acf-{result.key}", theme=None)
    st.markdown(f"**What is left?** {left.sentence()}")


def _made_by(result: RunResult, experiment: Experiment) -> str:
    """Which model made ``result``'s forecast past the end and on which data, in a sentence."""
    future = result.future
    if future.get("made_by"):  # a final model's
        return (f"Made by the final model: {future['made_by']} (this run's settings, trained on every window of "
                "the whole series), from the last input window.")
    entry = experiment.model.entry
    kept = yardsticks.kept_start(result.start, experiment.series.scaling)
    if kept:  # no final model to refit
        return (f"Made by this run's model, which {kept}: from the last input window, with no final model to refit "
                "(the start learns nothing from more data).")
    if future.get("model") or not entry.trainable:  # a forecaster's: fitted on all the data by its own run
        return f"Made by {future.get('model') or entry.display_name}, from all the data."
    return "Made by this run's model from the last input window, as trained on the training period."


def downloads(result: RunResult, experiment: Experiment) -> None:
    """Download buttons: the model, predictions as CSV, the run as JSON, a standalone script.

    Each file is made when its button is clicked (a callable), not on every rerun of the page: the CSV of a
    large run has hundreds of thousands of rows, and the model is read and checksummed from the store. A click
    does not rerun the page (``on_click="ignore"``): a rerun in between drops the file being made.
    """
    ds = dataset(experiment.to_dict()["series"])
    cols = st.columns(4)
    has_model = (store().path(result.key) / MODEL_FILE).exists()
    name = f"rnnlab-{experiment.model.name}-{result.key[:8]}"
    cols[0].download_button("Model (.keras)", lambda: store().model_bytes(result.key) or b"",
                            file_name=f"{name}.keras", mime="application/zip", disabled=not has_model,
                            key=f"dl-model-{result.key}", on_click="ignore",
                            help="The trained Keras model." if has_model else "The naive forecast has no model.")
    cols[1].download_button("Predictions (CSV)", lambda: export.predictions_csv(result, ds),
                            file_name=f"{name}-predictions.csv", mime="text/csv", key=f"dl-csv-{result.key}", on_click="ignore",
                            help="One row per window and step: split, window, step, actual, predicted (and the "
                                 "time, on a real series).")
    cols[2].download_button("Run (JSON)", lambda: json.dumps(export.run_json(result), indent=1),
                            file_name=f"{name}.json", mime="application/json", key=f"dl-json-{result.key}", on_click="ignore",
                            help="The experiment, its metrics and the per-epoch history.")
    real = experiment.series.real
    trained_on = result.versions.get("backend", "tensorflow")  # runs from before JAX have no backend entry
    cols[3].download_button("Python script", lambda: export.standalone_script(experiment, trained_on),
                            file_name=f"{name}.py",
                            mime="text/x-python", key=f"dl-py-{result.key}", on_click="ignore", disabled=real,
                            help="Only for the generated series: the script regenerates its data." if real else
                            "Regenerates the same data and trains the same model with plain NumPy + Keras.")


#: The yardstick table's figures: (row key suffix, column heading).
YARDSTICK_COLUMNS = (("mae", "MAE"), ("rmse", "RMSE"), ("mase", "MASE"), ("smape", "sMAPE %"))


def _figure(value: float | None) -> str:
    """A score in a table: four significant figures, or "–" when the run lacks it (an older run, a failed fit)."""
    return "–" if value is None or not np.isfinite(value) else f"{value:,.4g}"


def yardstick_table(rows: list[dict[str, Any]]) -> None:
    """The Yardsticks table: a row per forecaster (as :func:`rnnlab.forecasting.yardsticks.rows` makes them, the
    network's own first), with validation and test MAE, RMSE, MASE and sMAPE and the model each chose."""
    table = pd.DataFrame([{"forecaster": row["yardstick"], "model": row.get("model") or "–",
                           **{f"{split} {label}": _figure(row.get(f"{split}_{key}"))
                              for split in ("valid", "test") for key, label in YARDSTICK_COLUMNS}}
                          for row in rows])
    st.dataframe(table, hide_index=True, width="stretch", key="yardsticks-table",
                 column_config={"model": st.column_config.TextColumn(
                     help="The model each forecaster chose on the training period (ETS and ARIMA by AICc).")})
