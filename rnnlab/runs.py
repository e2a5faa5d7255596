"""Finished runs as plain data: the full result a worker returns, the summary the store lists, and the
aggregates the pages show (leaderboard, best run per model). No TensorFlow, no Streamlit.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Iterable, Mapping

import numpy as np

from rnnlab.config import Experiment, experiment_key, stored_experiment


@dataclass
class RunResult:
    """Everything a finished run produced, as plain data.

    ``metrics`` and ``naive_metrics`` map ``"valid"``/``"test"`` to ``{"mse", "mae", "rmse", "mase"}``;
    ``predictions`` maps the same split names to ``[n, horizon]`` float32 arrays (for seq2seq models, the
    forecast made at the last time step, which is what the book scores); ``history`` has one dict per epoch
    with ``epoch``, ``loss``, ``val_loss`` and ``seconds``.
    """

    key: str
    experiment: dict[str, Any]
    history: list[dict[str, float]]
    metrics: dict[str, dict[str, float]]
    naive_metrics: dict[str, dict[str, float]]
    mse_per_step: dict[str, list[float]]
    params_total: int
    layers: list[dict[str, Any]]
    predictions: dict[str, np.ndarray]
    wall_seconds: float
    train_seconds: float
    versions: dict[str, str]
    jit_compile: bool = False
    inspect: dict[str, Any] = field(default_factory=dict)
    model_bytes: bytes | None = None
    created: str = ""
    #: Real series: the seasonal-naive forecast's scores per split (``{"valid": {"seasonal_naive": {...}}}``).
    baselines: dict[str, Any] = field(default_factory=dict)
    #: Real series: the forecast past the last observation (``time``, ``value``, ``last_time``, ...).
    future: dict[str, Any] | None = None

    def summary(self) -> dict[str, Any]:
        """The result without predictions and model bytes: what ``result.json`` holds."""
        out = asdict(self)
        out.pop("predictions")
        out.pop("model_bytes")
        return out

    @property
    def spec(self) -> Experiment:
        """The run's experiment, whatever the operator's limits are now."""
        return stored_experiment(self.experiment)

    @property
    def val_mse(self) -> float:
        """Validation MSE (the figure the book prints)."""
        return self.metrics["valid"]["mse"]

    @property
    def seconds_per_epoch(self) -> float | None:
        """Mean seconds per training epoch, leaving out the first (it includes tracing/compilation)."""
        return _seconds_per_epoch(self.history)


def _seconds_per_epoch(history: list[dict[str, float]]) -> float | None:
    seconds = [h["seconds"] for h in history]
    if not seconds:
        return None
    rest = seconds[1:] or seconds
    return float(sum(rest) / len(rest))


@dataclass(frozen=True)
class RunSummary:
    """A stored run as listings show it: its experiment, scores and training history (no arrays, no model)."""

    key: str
    experiment: Experiment
    metrics: Mapping[str, Mapping[str, float]]
    naive_metrics: Mapping[str, Mapping[str, float]]
    mse_per_step: Mapping[str, list[float]]
    params_total: int
    history: list[dict[str, float]]
    train_seconds: float
    created: str
    baselines: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_json(cls, summary: Mapping[str, Any]) -> "RunSummary":
        """From the contents of a run's ``result.json`` (``RunResult.summary()``)."""
        return cls(key=summary["key"], experiment=stored_experiment(summary["experiment"]),
                   metrics=summary["metrics"], naive_metrics=summary["naive_metrics"],
                   mse_per_step=summary.get("mse_per_step") or {}, params_total=int(summary["params_total"]),
                   history=list(summary["history"]), train_seconds=float(summary["train_seconds"]),
                   created=summary.get("created", ""), baselines=summary.get("baselines") or {})

    @property
    def model(self) -> str:
        return self.experiment.model.name

    @property
    def mode(self) -> str:
        return self.experiment.model.mode

    @property
    def val_mse(self) -> float:
        return self.metrics["valid"]["mse"]

    @property
    def test_mse(self) -> float:
        return self.metrics["test"]["mse"]

    @property
    def naive_val_mse(self) -> float:
        """The naive forecast's validation MSE on the same data (every run carries it)."""
        return self.naive_metrics["valid"]["mse"]

    @property
    def epochs(self) -> int:
        """Epochs actually trained (0 for the naive forecast)."""
        return len(self.history)

    @property
    def trained(self) -> bool:
        """False for the naive forecast, which has no network."""
        return self.params_total > 0

    @property
    def label(self) -> str:
        """How a run is named in pickers and legends: model · mode · the start of its key."""
        return f"{self.model} · {self.mode} · {self.key[:6]}"

    @property
    def seconds_per_epoch(self) -> float | None:
        return _seconds_per_epoch(self.history)


def leaderboard(runs: Iterable[RunSummary]) -> list[dict[str, Any]]:
    """One row per run, best validation MSE first: the Compare page's table."""
    rows = [{"run": r.label, "model": r.model, "mode": r.mode, "parameters": r.params_total, "valid MSE": r.val_mse,
             "test MSE": r.test_mse, "valid MAE": r.metrics["valid"]["mae"], "MASE": r.metrics["valid"]["mase"],
             "seconds": round(r.train_seconds, 1), "epochs": r.epochs, "key": r.key} for r in runs]
    return sorted(rows, key=lambda row: row["valid MSE"])


def best_per_model(runs: Iterable[RunSummary]) -> list[dict[str, Any]]:
    """The best run of each model and forecast mode, best first, with how many runs it was chosen from: the
    class board's table. A tie keeps the run listed first."""
    best: dict[tuple[str, str], RunSummary] = {}
    counts: dict[tuple[str, str], int] = {}
    for run in runs:
        group = (run.model, run.mode)
        counts[group] = counts.get(group, 0) + 1
        if group not in best or run.val_mse < best[group].val_mse:
            best[group] = run
    rows = [{"model": model, "mode": mode, "best validation MSE": run.val_mse, "parameters": run.params_total,
             "epochs": run.epochs, "runs": counts[(model, mode)], "key": run.key}
            for (model, mode), run in best.items()]
    return sorted(rows, key=lambda row: row["best validation MSE"])


def backtests(runs: Iterable[RunSummary]) -> list[dict[str, Any]]:
    """The backtests among ``runs``: the fold runs of one experiment grouped together, with each fold's test
    error and their mean, best mean first (the Compare page ranks models by it)."""
    groups: dict[str, list[RunSummary]] = {}
    for run in runs:
        if run.experiment.series.folds is None:
            continue
        whole = run.experiment.to_dict()
        whole["series"] = {k: v for k, v in whole["series"].items() if k != "fold"}
        groups.setdefault(experiment_key(whole), []).append(run)
    rows = []
    for group, folds in groups.items():
        folds.sort(key=lambda r: r.experiment.series.fold)
        first = folds[0]
        test = [r.test_mse for r in folds]
        rows.append({"model": first.model, "mode": first.mode, "folds": first.experiment.series.folds,
                     "done": len(folds), "mean test MSE": float(sum(test) / len(test)), "test MSE by fold": test,
                     "mean test MAE": float(sum(r.metrics["test"]["mae"] for r in folds) / len(folds)),
                     "keys": [r.key for r in folds], "group": group})
    return sorted(rows, key=lambda row: (row["done"] < row["folds"], row["mean test MSE"]))
