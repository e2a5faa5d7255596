"""Showing a finished run: headline metrics against the naive forecast, curves, predictions, downloads."""

from __future__ import annotations

import json

import numpy as np
import streamlit as st

from rnnlab import data, export, metrics, plots
from rnnlab.config import Experiment, stored_experiment
from rnnlab.runs import RunResult
from rnnlab.store import MODEL_FILE, RunStore


def store() -> RunStore:
    """The run store at ``RNNLAB_HOME`` (a cheap object; the files are the state)."""
    return RunStore()


def load_result(key: str) -> RunResult | None:
    """The stored run ``key`` or None (read from disk: a few milliseconds; nothing to go stale)."""
    return store().get(key)


@st.cache_resource(max_entries=16, show_spinner=False)
def dataset(series: dict) -> data.Dataset:
    """The validation/test inputs of one data specification, shared by every session and never changed
    (regenerating is pure; ``cache_resource`` hands out the one copy instead of unpickling a new one). The
    inputs and future values do not depend on the model: the naive forecast's experiment stands in."""
    mode = "one_step" if series["horizon"] == 1 else "seq2vec"
    return data.make_dataset(stored_experiment({"series": series, "model": {"name": "naive", "mode": mode}}))


def fmt(value: float | None, digits: int = 5) -> str:
    if value is None or not np.isfinite(value):
        return "–"
    return f"{value:.{digits}f}" if abs(value) >= 10 ** -digits else f"{value:.2e}"


def headline(result: RunResult) -> None:
    """Validation/test MSE with the change against the naive forecast, MAE, MASE, parameters, time."""
    valid, test = result.metrics["valid"], result.metrics["test"]
    naive_valid, naive_test = result.naive_metrics["valid"]["mse"], result.naive_metrics["test"]["mse"]
    cols = st.columns(3) + st.columns(3)
    cols[0].metric("Validation MSE", fmt(valid["mse"]), plots.metric_delta(valid["mse"], naive_valid),
                   delta_color="inverse", help=f"Naive forecast: {fmt(naive_valid)}")
    cols[1].metric("Test MSE", fmt(test["mse"]), plots.metric_delta(test["mse"], naive_test), delta_color="inverse",
                   help=f"Naive forecast: {fmt(naive_test)}")
    cols[2].metric("Validation MAE", fmt(valid["mae"]), help="Mean absolute error, in the series' own unit.")
    cols[3].metric("MASE", f"{valid['mase']:.3f}",
                   help="Mean absolute scaled error: the model's MAE divided by the naive forecast's. Below 1 beats naive.")
    cols[4].metric("Parameters", f"{result.params_total:,}")
    per_epoch = result.seconds_per_epoch
    cols[5].metric("Training time", f"{result.train_seconds:.1f} s",
                   help=f"{per_epoch:.2f} s per epoch after the first" if per_epoch else "No training needed.")


def show_result(result: RunResult, experiment: Experiment, *, n_series: int = 3) -> None:
    """Headline metrics, loss curves and predicted-vs-actual charts of a finished run."""
    headline(result)
    ds = dataset(experiment.to_dict()["series"])
    st.plotly_chart(
        plots.series_preview(ds.valid.X, ds.valid.future, predictions=result.predictions["valid"],
                             n_series=n_series, title="Validation series: forecast vs actual"),
        key=f"pred-{result.key}", theme=None)
    multi = experiment.series.horizon > 1 and result.mse_per_step
    left, right = st.columns(2) if multi else (st.container(), None)
    with left:
        if result.history:
            st.plotly_chart(plots.loss_curves({experiment.model.name: result.history}), key=f"loss-{result.key}",
                            theme=None)
        else:
            st.info("The naive forecast needs no training: it repeats the last value it saw.")
    if multi:
        naive_steps = metrics.mse_per_step(ds.valid.future,
                                           data.naive_forecast(ds.valid.X, experiment.series.horizon))
        right.plotly_chart(plots.mse_by_step({experiment.model.name: result.mse_per_step["valid"]},
                                             naive_per_step=naive_steps), key=f"steps-{result.key}", theme=None)


def downloads(result: RunResult, experiment: Experiment) -> None:
    """Download buttons: the model, predictions as CSV, the run as JSON, a standalone script.

    Each file is made when its button is clicked (a callable), not on every rerun of the page: the CSV of a
    large run has hundreds of thousands of rows, and the model is read and checksummed from the store.
    """
    ds = dataset(experiment.to_dict()["series"])
    cols = st.columns(4)
    has_model = (store().path(result.key) / MODEL_FILE).exists()
    name = f"rnnlab-{experiment.model.name}-{result.key[:8]}"
    cols[0].download_button("Model (.keras)", lambda: store().model_bytes(result.key) or b"",
                            file_name=f"{name}.keras", mime="application/zip", disabled=not has_model,
                            key=f"dl-model-{result.key}",
                            help="The trained Keras model." if has_model else "The naive forecast has no model.")
    cols[1].download_button("Predictions (CSV)", lambda: export.predictions_csv(result, ds),
                            file_name=f"{name}-predictions.csv", mime="text/csv", key=f"dl-csv-{result.key}",
                            help="One row per series and step: split, series, step, actual, predicted.")
    cols[2].download_button("Run (JSON)", lambda: json.dumps(export.run_json(result), indent=1),
                            file_name=f"{name}.json", mime="application/json", key=f"dl-json-{result.key}",
                            help="The experiment, its metrics and the per-epoch history.")
    cols[3].download_button("Python script", lambda: export.standalone_script(experiment), file_name=f"{name}.py",
                            mime="text/x-python", key=f"dl-py-{result.key}",
                            help="Regenerates the same data and trains the same model with plain NumPy + Keras.")
