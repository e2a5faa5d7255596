"""Finished runs as plain data: the full result a worker returns, the summary the store lists, and the
aggregates the pages show (leaderboard, best run per model, backtests). No TensorFlow, no Streamlit.

Every ranking here chooses on validation error, never on test error: the test error is shown beside it, and
nothing is chosen by it (tests/test_rankings.py holds every ranking to this).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any, Iterable, Mapping

import numpy as np

from rnnlab.config import Experiment, experiment_key, stored_experiment


@dataclass
class RunResult:
    """Everything a finished run produced, as plain data.

    ``metrics`` and ``naive_metrics`` map ``"valid"``/``"test"`` to ``{"mse", "mae", "rmse", "smape", "rel_mae"}``
    and, on a real series, ``"mase"`` (runs stored before schema 2 have ``"mase"`` only, meaning ``rel_mae`` on the
    generated series);
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
    #: Real series: the forecast past the last observation (``time``, ``value``, ``last_time``, ...; a classical
    #: forecaster's also ``lower`` and ``upper``: ``{"80": [...], "95": [...]}``, and the ``model`` fitted on all
    #: the data).
    future: dict[str, Any] | None = None
    #: A classical forecaster's model as selected on the training period, e.g. ``ETS(M,Ad,M)``; None otherwise.
    forecaster: str | None = None
    #: A classical forecaster's own prediction intervals (statsmodels') scored on the test windows:
    #: ``{"80": {"coverage", "mean_width", "winkler"}, "95": {...}}``; None otherwise.
    own_intervals: dict[str, Any] | None = None
    #: A network that started at zero (the ``start`` field): ``{"kept": True}`` when its training did not beat the
    #: start on validation by more than chance and it kept the start (its forecasts are the zero output's), with
    #: the start's and the trained network's validation MSE and the mean gain per window with its standard error
    #: (rnnlab.training.fit); None otherwise.
    start: dict[str, Any] | None = None

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
    #: A classical forecaster's chosen model (``ETS(M,Ad,M)``); None for the others and for older runs.
    forecaster: str | None = None

    @classmethod
    def from_json(cls, summary: Mapping[str, Any]) -> "RunSummary":
        """From the contents of a run's ``result.json`` (``RunResult.summary()``)."""
        return cls(key=summary["key"], experiment=stored_experiment(summary["experiment"]),
                   metrics=summary["metrics"], naive_metrics=summary["naive_metrics"],
                   mse_per_step=summary.get("mse_per_step") or {}, params_total=int(summary["params_total"]),
                   history=list(summary["history"]), train_seconds=float(summary["train_seconds"]),
                   created=summary.get("created", ""), baselines=summary.get("baselines") or {},
                   forecaster=summary.get("forecaster"))

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
    def group(self) -> str:
        """Its leaderboard group: "network", or "classical" for the classical forecasters and the baselines."""
        return model_group(self.experiment)

    @property
    def scored(self) -> bool:
        """Whether it has a validation MSE to be ranked on (a final run, trained on all the data, has none)."""
        return "mse" in self.metrics.get("valid", {})

    @property
    def label(self) -> str:
        """How a run is named in pickers and legends: model · mode · the start of its key."""
        return f"{self.model} · {self.mode} · {self.key[:6]}"

    @property
    def seconds_per_epoch(self) -> float | None:
        return _seconds_per_epoch(self.history)


def model_group(experiment: Experiment) -> str:
    """The leaderboard group of ``experiment``'s model: "network" for a trained network, "classical" for the
    classical forecasters and the baselines (the registry entry's ``kind`` says which)."""
    return "network" if experiment.model.entry.kind == "network" else "classical"


def mean_score(runs: Iterable[RunSummary], split: str, name: str) -> float | None:
    """The mean of score ``name`` on ``split`` over ``runs``; None when a run lacks it (a run stored before the
    score existed, or "mase" on the generated series), so a page shows "–" rather than a partial mean."""
    values = [run.metrics.get(split, {}).get(name) for run in runs]
    if not values or any(v is None for v in values):
        return None
    return float(np.mean(values))


@dataclass(frozen=True)
class Spread:
    """One score over the repeats of an experiment (its training seeds): mean, spread, each value."""

    values: tuple[float, ...]

    @property
    def n(self) -> int:
        return len(self.values)

    @property
    def mean(self) -> float:
        return float(sum(self.values) / len(self.values)) if self.values else math.nan

    @property
    def std(self) -> float:
        """Sample standard deviation (0 for a single run: its spread is unknown)."""
        if len(self.values) < 2:
            return 0.0
        m = self.mean
        return math.sqrt(sum((v - m) ** 2 for v in self.values) / (len(self.values) - 1))

    @property
    def low(self) -> float:
        return min(self.values) if self.values else math.nan

    @property
    def high(self) -> float:
        return max(self.values) if self.values else math.nan

    def text(self, digits: int = 5) -> str:
        """``0.00262 ± 0.00011`` (mean ± standard deviation), or the value of a single run."""
        if not self.values:
            return "-"
        return f"{self.mean:.{digits}f} ± {self.std:.{digits}f}" if self.n > 1 else f"{self.mean:.{digits}f}"


def repeat_key(experiment: Experiment) -> str:
    """The key an experiment's repeats share: its key with the training seed left out."""
    whole = experiment.to_dict()
    whole["train"] = {k: v for k, v in whole["train"].items() if k != "seed"}
    return experiment_key(whole)


@dataclass(frozen=True)
class Repeats:
    """The runs of one configuration that differ only in their training seed."""

    runs: tuple[RunSummary, ...]

    @property
    def first(self) -> RunSummary:
        return self.runs[0]

    @property
    def valid(self) -> Spread:
        return Spread(tuple(r.val_mse for r in self.runs))

    @property
    def test(self) -> Spread:
        return Spread(tuple(r.test_mse for r in self.runs))

    @property
    def seeds(self) -> list[int]:
        return [r.experiment.train.seed for r in self.runs]

    @property
    def label(self) -> str:
        """The best run's label, with the number of seeds when there are several."""
        best = min(self.runs, key=lambda r: r.val_mse)
        return best.label + (f" ×{len(self.runs)} seeds" if len(self.runs) > 1 else "")


def group_repeats(runs: Iterable[RunSummary]) -> list[Repeats]:
    """``runs`` grouped by configuration (everything but the training seed), each group ordered by seed."""
    groups: dict[str, list[RunSummary]] = {}
    for run in runs:
        if run.scored:  # a final run has no validation or test scores: nothing to rank it on
            groups.setdefault(repeat_key(run.experiment), []).append(run)
    return [Repeats(tuple(sorted(g, key=lambda r: r.experiment.train.seed))) for g in groups.values()]


def separated(better: Spread, worse: Spread) -> bool | None:
    """Whether ``worse``'s mean is above ``better``'s by more than their spread (the larger standard deviation):
    None when neither has repeats, so the spread is unknown."""
    spread = max(better.std, worse.std)
    if better.n < 2 and worse.n < 2:
        return None
    return worse.mean - better.mean > spread


def _vs_above(above: Repeats, below: Repeats) -> str:
    """How ``below``'s mean validation MSE compares with ``above``'s: the gap and whether it is real or noise."""
    gap = separated(above.valid, below.valid)
    pct = 100 * (below.valid.mean / above.valid.mean - 1) if above.valid.mean else math.inf
    return (f"+{pct:.0f}%: " + ("real (more than the spread)" if gap else
                                "within the spread (noise)" if gap is not None else "spread unknown (1 run)"))


def _scale_free(runs: tuple[RunSummary, ...]) -> dict[str, float | None]:
    """The scale-free validation scores a leaderboard row shows: the seasonal MASE on a real series (the
    generated series has none), and the MAE relative to the naive forecast's on the same windows."""
    real = runs[0].experiment.series.real
    return {"valid MASE": mean_score(runs, "valid", "mase") if real else None,
            "valid MAE vs naive": mean_score(runs, "valid", "rel_mae")}


def leaderboard(runs: Iterable[RunSummary]) -> list[dict[str, Any]]:
    """The Compare page's table: one row per configuration (its repeats together), best mean validation MSE
    first; the test MSE is shown beside it and never decides the order. ``group`` puts the classical
    forecasters and the baselines ("classical") beside the networks ("network"). ``vs above`` says whether the
    gap to the row above is larger than the spread between seeds (a real difference), smaller (noise: the two
    cannot be told apart), or unknown (single runs). A score a run lacks (stored before it existed) is None."""
    groups = sorted(group_repeats(runs), key=lambda g: g.valid.mean)
    rows = []
    for i, g in enumerate(groups):
        r = g.first
        rows.append({"run": g.label, "group": r.group, "model": r.model, "mode": r.mode,
                     "parameters": r.params_total, "seeds": g.valid.n,
                     "valid MSE": g.valid.mean, "valid ±": g.valid.std if g.valid.n > 1 else None,
                     "test MSE": g.test.mean, "test ±": g.test.std if g.test.n > 1 else None,
                     "valid MAE": mean_score(g.runs, "valid", "mae"), **_scale_free(g.runs),
                     "seconds": round(float(np.mean([x.train_seconds for x in g.runs])), 1), "epochs": r.epochs,
                     "vs above": _vs_above(groups[i - 1], g) if i else "",
                     "key": min(g.runs, key=lambda x: x.val_mse).key, "keys": [x.key for x in g.runs]})
    return rows


def best_per_model(runs: Iterable[RunSummary]) -> list[dict[str, Any]]:
    """The best configuration of each model and forecast mode (lowest mean validation MSE over its seeds), best
    first, with its test MSE beside (never used to choose), its number of seeds and how many runs it was chosen
    from: the class board's table. A tie keeps the configuration listed first."""
    best: dict[tuple[str, str], Repeats] = {}
    counts: dict[tuple[str, str], int] = {}
    for group in group_repeats(runs):
        key = (group.first.model, group.first.mode)
        counts[key] = counts.get(key, 0) + len(group.runs)
        if key not in best or group.valid.mean < best[key].valid.mean:
            best[key] = group
    rows = [{"model": model, "mode": mode, "group": g.first.group, "best validation MSE": g.valid.mean,
             "±": g.valid.std if g.valid.n > 1 else None, "test MSE": g.test.mean, "seeds": g.valid.n,
             "parameters": g.first.params_total, "epochs": g.first.epochs, "runs": counts[(model, mode)],
             "key": min(g.runs, key=lambda x: x.val_mse).key}
            for (model, mode), g in best.items()]
    return sorted(rows, key=lambda row: row["best validation MSE"])


def best_by_group(rows: Iterable[Mapping[str, Any]], score: str = "valid MSE") -> dict[str, Mapping[str, Any]]:
    """The best of ``rows`` (a leaderboard's or :func:`best_per_model`'s) in each group ("network",
    "classical"), by the validation score ``score``: what a page names when it puts the best classical
    forecaster beside the best network."""
    best: dict[str, Mapping[str, Any]] = {}
    for row in rows:
        if row[score] is not None and (row["group"] not in best or row[score] < best[row["group"]][score]):
            best[row["group"]] = row
    return best


def backtests(runs: Iterable[RunSummary]) -> list[dict[str, Any]]:
    """The backtests among ``runs``: the fold runs of one experiment grouped together, ranked by the mean of
    their folds' validation MSE (each fold holds back the end of its training data for validation), complete
    backtests first; each fold's test error and their mean are shown beside and never decide the order (a fold
    lacking a validation score ranks last)."""
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
        rows.append({"model": first.model, "mode": first.mode, "group": first.group,
                     "folds": first.experiment.series.folds, "done": len(folds),
                     "mean valid MSE": mean_score(folds, "valid", "mse"),
                     "mean test MSE": float(sum(test) / len(test)), "test MSE by fold": test,
                     "mean test MAE": mean_score(folds, "test", "mae"),
                     "keys": [r.key for r in folds], "group_key": group})
    return sorted(rows, key=lambda row: (row["done"] < row["folds"], row["mean valid MSE"] is None,
                                         row["mean valid MSE"] or 0.0))


#: How the pages name a Keras backend.
BACKEND_NAMES = {"jax": "JAX", "tensorflow": "TensorFlow"}


def backend_note(versions: Mapping[str, Any], params_total: int, current: str) -> str | None:
    """What a page says when a stored network was trained on another Keras backend than ``current`` (the one
    this instance trains on), or None. The backend is not part of the experiment's key (README, "The run
    store"): the store answers on either backend, and the numbers differ as another seed's would."""
    trained = versions.get("backend")
    if not trained or trained == current or not params_total:  # no network: the backend changes nothing
        return None
    them, us = BACKEND_NAMES.get(trained, trained), BACKEND_NAMES.get(current, current)
    return (f"This run was trained on {them}; this instance trains on {us}. The same settings on {us} start from "
            "other initial weights, so a new training would give numbers that differ about as much as another "
            "seed's.")
