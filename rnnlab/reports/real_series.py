"""``python -m rnnlab real-series``: the bundled real series against the baselines, in one honest table.

For every bundled series it trains the linear model and two recurrent ones (GRU and LSTM) one step ahead, and
reports their validation and test MSE beside the naive and seasonal-naive forecasts on the same windows, and
the mean test MSE of a rolling-origin backtest. Results go through the run store, so an interrupted run
resumes and a second one trains nothing.
"""

from __future__ import annotations

import os
import sys
from datetime import datetime, timezone
from typing import Any

from rnnlab.training import fit as training
from rnnlab.config import Experiment, parse_flat
from rnnlab.jobs.progress import Progress
from rnnlab.store.runs import RunResult
from rnnlab.series import catalog
from rnnlab.store.runstore import RunStore

MODELS = ("linear", "gru", "lstm")
FOLDS = 3


def experiment_for(series: str, model: str, *, epochs: int, n_steps: int) -> Experiment:
    """One step ahead on ``series`` with the model's book settings and ``n_steps`` inputs."""
    return parse_flat({"model": model, "data": series, "mode": "one_step", "horizon": "1", "n_steps": str(n_steps),
                       "epochs": str(epochs)}, strict=True).experiment


def _mase(scores: dict[str, Any]) -> str:
    """The seasonal MASE of ``scores``, or "-" when the run has none (no season-apart pair in training)."""
    value = scores.get("mase")
    return "-" if value is None else f"{value:.3f}"


def _train(experiment: Experiment, store: RunStore, stream, label: str) -> RunResult:
    stored = store.get(experiment.key())
    if stored is not None:
        return stored
    progress = Progress(stream, prefix=label)
    result = training.run(experiment, on_epoch=lambda info: progress.update(info["epoch"], info["epochs"]))
    store.put(result)
    return result


def real_series(*, epochs: int = 30, n_steps: int = 48, only: str | None = None, store: RunStore | None = None,
                stream=sys.stderr) -> str:
    """Train everything and return the markdown report."""
    store = store or RunStore()
    names = [n for n in catalog.bundled_names() if only is None or n in only.split(",")]
    lines, started = [], datetime.now(timezone.utc)
    for i, name in enumerate(names, 1):
        info = catalog.info(name)
        rows: list[dict[str, Any]] = []
        for model in MODELS:
            exp = experiment_for(name, model, epochs=epochs, n_steps=n_steps)
            result = _train(exp, store, stream, f"[{i}/{len(names)}] {name} {model}: ")
            folds = [_train(fold, store, stream, f"[{i}/{len(names)}] {name} {model} fold {fold.series.fold}: ")
                     for fold in exp.backtest(FOLDS)]
            rows.append({"model": model, "result": result,
                         "backtest": sum(f.metrics["test"]["mse"] for f in folds) / len(folds),
                         "naive_backtest": sum(f.naive_metrics["test"]["mse"] for f in folds) / len(folds)})
        first = rows[0]["result"]
        seasonal = {s: first.baselines[s]["seasonal_naive"] for s in ("valid", "test")}
        season = first.experiment["series"]["season"]
        lines += [f"## {info.title} (`{name}`)", "",
                  f"{info.points:,} {info.step} values, {catalog.bundled_meta(name)['axis']}; season {season} steps. "
                  f"{catalog.bundled_meta(name)['teaches']}", "",
                  "| forecast | valid MSE | test MSE | valid MASE | backtest mean test MSE |",
                  "|---|---:|---:|---:|---:|",
                  f"| naive (last value) | {first.naive_metrics['valid']['mse']:.5g} | "
                  f"{first.naive_metrics['test']['mse']:.5g} | {_mase(first.naive_metrics['valid'])} | "
                  f"{rows[0]['naive_backtest']:.5g} |",
                  f"| seasonal naive ({season} back) | {seasonal['valid']['mse']:.5g} | {seasonal['test']['mse']:.5g} | "
                  f"{_mase(seasonal['valid'])} | - |"]
        for row in rows:
            r = row["result"]
            lines.append(f"| {row['model']} | {r.metrics['valid']['mse']:.5g} | {r.metrics['test']['mse']:.5g} | "
                         f"{_mase(r.metrics['valid'])} | {row['backtest']:.5g} |")
        # Chosen on validation, as a forecaster would choose; its test error is reported, never used to choose.
        candidates = [("naive", first.naive_metrics), ("seasonal naive", seasonal)] + \
            [(row["model"], row["result"].metrics) for row in rows]
        chosen, scores = min(candidates, key=lambda c: c[1]["valid"]["mse"])
        beaten = [row["model"] for row in rows if row["result"].metrics["test"]["mse"] > first.naive_metrics["test"]["mse"]]
        verdict = (f"Chosen on validation: **{chosen}** (valid MSE {scores['valid']['mse']:.5g}, test MSE "
                   f"{scores['test']['mse']:.5g}).")
        if beaten:
            verdict += f" Worse than the naive forecast on test: {', '.join(beaten)}."
        lines += ["", verdict, ""]
    versions = training.versions()
    header = [
        "# Real series: models against the baselines",
        "",
        f"Generated by `python -m rnnlab real-series --epochs {epochs} --n-steps {n_steps}` on "
        f"{started:%Y-%m-%d}, {os.cpu_count()} cores, TensorFlow {versions.get('tensorflow')}, Keras "
        f"{versions.get('keras')}. Every model forecasts one step ahead from {n_steps} inputs, trained for {epochs} "
        "epochs on the training period (70%), chosen on nothing (no tuning), scored on the validation (15%) and test "
        "(15%) periods in the series' own units. MASE is scaled by the in-sample seasonal-naive error (the training "
        "period's mean absolute change over one season, as in the M4 competition). The backtest column is the "
        "mean test MSE of a "
        f"{FOLDS}-fold rolling-origin backtest (expanding window, each fold retrained). Baselines and models are "
        "scored on the same windows; the seasonal naive on those that reach back a season.",
        "",
    ]
    return "\n".join(header + lines)
