"""The yardsticks of an experiment: the naive, seasonal-naive, ETS, ARIMA and Theta forecasts of its real series,
scored on exactly its windows, and what a page says when a network does worse than them; and a network's final
model, the same settings trained on all the data, whose forecast past the end pages and the CLI show.

Each yardstick is an ordinary experiment (a registry model of kind "baseline" or "classical") with the network's
own series specification, so its job and stored run are shared by every network trained on the same data and
windows. Plain Python and web-safe: the classical fits themselves run on the workers
(:mod:`rnnlab.forecasting.classical`); this module only names the experiments and reads their stored scores.
"""

from __future__ import annotations

from typing import Any, Mapping

from rnnlab.config import Experiment
from rnnlab.config.sections import ModelSpec
from rnnlab.errors import FieldError
from rnnlab.models.registry import REGISTRY
from rnnlab.forecasting import metrics
from rnnlab.series import scaling as scalings

#: The yardsticks, in the order pages show them (registry names).
NAMES = ("naive", "seasonal_naive", "ets", "arima", "theta")
#: How tables and verdicts name them (shorter than the registry's display names, as forecasters write them).
LABELS = {"naive": "Naive", "seasonal_naive": "Seasonal naive", "ets": "ETS", "arima": "ARIMA", "theta": "Theta"}
#: The figures shown of each split, as :func:`rnnlab.forecasting.metrics.scores` names them.
SCORES = ("mae", "rmse", "mase", "smape")
SPLITS = ("valid", "test")


def experiments(experiment: Experiment) -> list[Experiment]:
    """The yardstick experiments of ``experiment``: on a real series, one per :data:`NAMES` with the same series
    specification (data, windows, horizon, periods, season, backtest fold, final) and the default training
    settings (they train nothing, and sharing them lets every network on this data find them stored); mode
    "one_step" at horizon 1, else "seq2vec". The generated series has none, nor has a final model (it is scored on
    nothing): [].
    """
    if not experiment.series.real or experiment.series.final:
        return []
    mode = "one_step" if experiment.series.horizon == 1 else "seq2vec"
    # their series' scaling is global whatever the network's (Experiment): one run per set of windows, shared
    return [Experiment(series=experiment.series, model=ModelSpec(name=name, mode=mode)) for name in NAMES]


def others(experiment: Experiment) -> list[Experiment]:
    """:func:`experiments` but ``experiment`` itself: a yardstick trained or backtested on its own is its own row,
    not a second job."""
    return [y for y in experiments(experiment) if y.key() != experiment.key()]


def final_experiment(experiment: Experiment) -> Experiment | None:
    """The final twin of an evaluated network ``experiment`` on a real series: the same settings with ``final``,
    trained on every window of the whole series, whose forecast past the end pages and the CLI show. Its window
    stride is the experiment's when it keeps the training within the instance's limit on windows, else the
    least that does (the whole series has more windows). None on the generated series, for a forecaster that
    trains nothing (its own future already comes from all the data), for a backtest fold and for a final one."""
    spec = experiment.series
    if not spec.real or spec.final or spec.folds is not None or not experiment.model.entry.trainable:
        return None
    flat = {**experiment.to_flat(), "final": True}
    try:
        return Experiment.from_flat(flat)
    except FieldError as exc:
        if exc.field != "stride":
            raise
        return Experiment.from_flat({k: v for k, v in flat.items() if k != "stride"})


def final_label(model: str, observations: int, last_time: str) -> str:
    """How a final model is named where its forecast is shown: "GRU refit on all 526 observations, to 2023-12"."""
    return f"{model} refit on all {observations:,} observations, to {last_time}"


def kind(name: str) -> str:
    """A forecaster's kind by registry name ("network", "baseline" or "classical"); "network" for a name the
    registry does not know (a run from an older version)."""
    entry = REGISTRY.get(name)
    return getattr(entry, "kind", "network") if entry is not None else "network"


def _display(name: str) -> str:
    entry = REGISTRY.get(name)
    return LABELS.get(name) or (entry.display_name if entry is not None else name)


def _score(scores: Mapping[str, Any] | None, split: str, metric: str = "mae") -> float | None:
    """``scores[split][metric]`` as a finite float, or None when the run lacks it (an old or failed run)."""
    value = ((scores or {}).get(split) or {}).get(metric)
    if value is None:
        return None
    value = float(value)
    return value if value == value and abs(value) != float("inf") else None


def number(value: float) -> str:
    """A score as the verdict writes it: one decimal from 10 on (``1,864.0``, ``74.9``), three figures below."""
    return f"{value:,.1f}" if abs(value) >= 10 else f"{value:.3g}"


def best_classical(yardstick_scores: Mapping[str, Mapping[str, Any] | None]) -> str | None:
    """The classical forecaster (registry kind "classical") with the lowest VALIDATION MAE, or None when none has
    one. Chosen on validation, never on test: the test period only reports how the choice did."""
    candidates = [(_score(scores, "valid"), name) for name, scores in yardstick_scores.items()
                  if kind(name) == "classical"]
    candidates = [(mae, name) for mae, name in candidates if mae is not None]
    return min(candidates)[1] if candidates else None


def verdict(network_scores: Mapping[str, Any], yardstick_scores: Mapping[str, Mapping[str, Any] | None], *,
            name: str = "model") -> str | None:
    """The words a page shows when the network forecasts worse on test (MAE) than the naive forecast or the best
    classical forecaster (chosen on validation MAE); None when it beats both, or there is nothing to compare.

    Args:
        network_scores: the network's metrics, ``{"valid": {"mae": ...}, "test": {"mae": ...}}``.
        yardstick_scores: each yardstick's metrics by registry name (None or missing keys for one that failed).
        name: how the network is called ("GRU").
    """
    mine = _score(network_scores, "test")
    if mine is None:
        return None
    naive = _score(yardstick_scores.get("naive"), "test")
    best = best_classical(yardstick_scores)
    classical = _score(yardstick_scores.get(best), "test") if best else None
    lost_naive = naive is not None and metrics.worse(mine, naive)
    lost_classical = classical is not None and metrics.worse(mine, classical)
    if not (lost_naive or lost_classical):
        return None
    best_text = f"the best classical forecaster, {_display(best)} ({number(classical)})" if best and classical \
        is not None else ""
    if lost_naive:
        text = f"This {name} forecasts worse than the naive forecast (test MAE {number(mine)} against {number(naive)})"
        if lost_classical:
            text += f" and worse than {best_text}"
        elif best_text:
            text += f", though better than {best_text}"
        return text + (": repeating the last observed value forecasts this series better, so this forecast is not "
                       "worth using as it is; the yardsticks say what a good forecast scores on it.")
    naive_text = f", though it beats the naive forecast ({number(naive)})" if naive is not None else ""
    return (f"This {name} forecasts worse than {best_text} (test MAE {number(mine)} against {number(classical)})"
            f"{naive_text}: a classical model of the series' level, trend and season forecasts it better.")


def kept_start(start: Mapping[str, Any] | None, scaling: str | None) -> str | None:
    """Short words for a network that kept its start (a table's cell: "kept its start, the naive forecast"), or
    None when it kept what it learned, started at random, or is an older run."""
    if not start or not start.get("kept"):
        return None
    return "kept its start, " + ("the naive forecast" if scaling in scalings.NAIVE_AT_ZERO else "its zero output")


def start_note(start: Mapping[str, Any] | None, scaling: str | None, *, name: str = "network") -> str | None:
    """The words a page and the CLI show when a network that started at zero (the ``start`` field) kept its start
    because training did not beat it on validation (its run's ``start``); None otherwise."""
    if not kept_start(start, scaling):
        return None
    zero = ("the naive forecast (the last value repeated)" if scaling in scalings.NAIVE_AT_ZERO
            else "the mean the scaling takes off")
    return (f"This {name} did not beat its starting point on validation by more than chance (validation MSE "
            f"{number(start['end_valid_mse'])} after training against {number(start['start_valid_mse'])} at the "
            f"start), so it keeps the start: its zero output, which here is {zero}. Its forecasts are that "
            "forecast's. On a series that moves like a random walk nothing does better, and a network that tries "
            "only learns the noise.")


def description(result: Any) -> str | None:
    """The model a yardstick's run chose on the training period (``ETS(M,Ad,M)``; its ``forecaster``), or None
    (no run, a baseline, an older run)."""
    chosen = getattr(result, "forecaster", None)
    return chosen if isinstance(chosen, str) and chosen else None


def row(result: Any, *, name: str, label: str, model: str | None = None) -> dict[str, Any]:
    """A table row of one run (a yardstick's or the network's own): ``name``, ``yardstick`` (``label``), ``model``
    (the forecaster it chose, else ``model``) and ``valid_mae`` ... ``test_smape`` (None where the run lacks a
    figure, as an older run lacks sMAPE, or where there is no run)."""
    metrics = getattr(result, "metrics", None) if result is not None else None
    out: dict[str, Any] = {"name": name, "yardstick": label, "model": description(result) or model}
    for split in SPLITS:
        for metric in SCORES:
            out[f"{split}_{metric}"] = _score(metrics, split, metric)
    return out


def rows(results: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One :func:`row` per yardstick of :data:`NAMES`, in that order, from its stored run (None when there is
    none). ``results`` maps registry names to :class:`rnnlab.store.runs.RunResult` (or None)."""
    return [row(results.get(name), name=name, label=_display(name)) for name in NAMES]
