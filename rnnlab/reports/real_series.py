"""``python -m rnnlab real-series``: the bundled real series against the naive and classical forecasters, in one
honest table per series and horizon.

For every bundled series, one step ahead and at its natural horizon (:data:`HORIZONS`), it runs the yardsticks
(naive, seasonal naive, ETS, ARIMA, Theta: :mod:`rnnlab.forecasting.yardsticks`) and three networks (linear, GRU,
LSTM; mode seq2vec beyond one step), each with a rolling-origin backtest, and reports their validation and test
MAE, seasonal MASE and sMAPE, the backtest's mean test MAE and the seconds each took. Every one is an ordinary
registry experiment trained through the run store (the same key as the Train page's and ``train``'s), so an
interrupted run resumes and a second one trains nothing. The best forecast is chosen on validation MAE; the test
period only reports how the choice did.
"""

from __future__ import annotations

import os
import sys
from importlib import metadata
from datetime import datetime, timezone
from typing import Any, Mapping

from rnnlab.config import Experiment, parse_flat
from rnnlab.forecasting import metrics, yardsticks
from rnnlab.jobs import auto
from rnnlab.jobs.progress import Progress
from rnnlab.models.registry import REGISTRY
from rnnlab.series import catalog, scaling, windows
from rnnlab.store.runs import RunResult
from rnnlab.store.runstore import RunStore
from rnnlab.training import fit as training

MODELS = ("linear", "gru", "lstm")
#: The network the "Find a good model for me" search (:mod:`rnnlab.jobs.auto`, its default budget) runs on in
#: each table.
AUTO_MODEL = "gru"
FOLDS = 3
#: The horizon a forecaster would plan with, by the series' step: a year of monthly or quarterly steps; the M4
#: competition's 13 weeks (a quarter) and 14 days for weekly and daily data; two trading weeks for business days.
HORIZONS = {"monthly": 12, "quarterly": 4, "weekly": 13, "daily": 14, "business-daily": 10}
#: The table's score columns: (split, metric, heading).
COLUMNS = (("valid", "mae", "valid MAE"), ("valid", "mase", "valid MASE"), ("valid", "smape", "valid sMAPE"),
           ("test", "mae", "test MAE"), ("test", "mase", "test MASE"), ("test", "smape", "test sMAPE"))


def horizons(series: str) -> tuple[int, ...]:
    """The horizons ``series`` is reported at: one step, and its natural horizon when it has one (:data:`HORIZONS`)."""
    natural = HORIZONS.get(catalog.info(series).step)
    return (1,) if natural is None or natural == 1 else (1, natural)


def experiment_for(series: str, model: str, *, epochs: int, n_steps: int | None, horizon: int = 1) -> Experiment:
    """``model`` on ``series`` with the book's settings and a real series' defaults (its scaling; its input length
    unless ``n_steps`` says otherwise), ``horizon`` steps ahead (one_step at horizon 1, else seq2vec: one vector of
    ``horizon`` values from each window)."""
    flat = {"model": model, "data": series, "mode": "one_step" if horizon == 1 else "seq2vec",
            "horizon": str(horizon), "epochs": str(epochs)}
    if n_steps is not None:
        flat["n_steps"] = str(n_steps)
    return parse_flat(flat, strict=True).experiment


def experiments_for(series: str, *, epochs: int, n_steps: int | None, horizon: int) -> list[Experiment]:
    """Everything reported for ``series`` at ``horizon``: the yardsticks on the networks' very windows (the
    experiments the Train page runs beside a network), then the networks."""
    networks = [experiment_for(series, m, epochs=epochs, n_steps=n_steps, horizon=horizon) for m in MODELS]
    return yardsticks.experiments(networks[0]) + networks


def train_windows(experiment: Experiment) -> int:
    """How many windows ``experiment``'s network trains on (the training period's, before unobserved targets are
    dropped)."""
    s = experiment.series
    split = windows.periods(catalog.info(s.data).points, s.train_fraction, s.valid_fraction)
    return windows.window_count(0, split.train_end, s.n_steps, s.horizon)


def _train(experiment: Experiment, store: RunStore, stream, label: str) -> RunResult:
    """The stored run of ``experiment``, trained (and stored) first when there is none."""
    stored = store.get(experiment.key())
    if stored is not None:
        return stored
    if not experiment.model.entry.trainable:  # a yardstick: no epochs to count, one line
        stream.write(f"{label}fitting\n")
    progress = Progress(stream, prefix=label)
    result = training.run(experiment, on_epoch=lambda info: progress.update(info["epoch"], info["epochs"]))
    store.put(result)
    return result


def run_row(experiment: Experiment, store: RunStore, stream, label: str) -> dict[str, Any]:
    """One table row: ``experiment`` and its backtest's folds, from the store or trained. A forecaster that cannot
    be fitted (a classical model on a degenerate period, a diverging network) gives a row with its ``error``."""
    entry = experiment.model.entry
    row: dict[str, Any] = {"name": experiment.model.name, "kind": getattr(entry, "kind", "network"),
                           "label": yardsticks.LABELS.get(experiment.model.name, entry.display_name)}
    try:
        result = _train(experiment, store, stream, f"{label} {experiment.model.name}: ")
        folds = [_train(f, store, stream, f"{label} {experiment.model.name} fold {f.series.fold}: ")
                 for f in experiment.backtest(FOLDS)]
    except training.TrainingFailed as exc:
        return {**row, "error": str(exc)}
    maes = [f.metrics["test"]["mae"] for f in folds]
    kept = yardsticks.kept_start(result.start, experiment.series.scaling)
    return {**row, "model": yardsticks.description(result) or (f"({kept})" if kept else None),
            "metrics": result.metrics,
            "seconds": result.wall_seconds, "fit_seconds": result.train_seconds,
            "backtest": sum(maes) / len(maes), "backtest_seconds": sum(f.wall_seconds for f in folds),
            "windows": sum(len(result.predictions[s]) for s in ("valid", "test")),
            "train_windows": train_windows(experiment), "result": result}


def auto_row(series: str, horizon: int, *, epochs: int, n_steps: int | None, store: RunStore, stream,
             label: str) -> dict[str, Any]:
    """The "Find a good model for me" row: :func:`rnnlab.jobs.auto.search` around :data:`AUTO_MODEL` (its default
    budget: scaling, input length and size, a few seeds each), every training through the store; the
    configuration with the lowest mean validation MSE, and of its seeds the one with the lowest validation MAE
    (chosen on validation like everything else), with that run's backtest. Its seconds are the whole search's."""
    base = experiment_for(series, AUTO_MODEL, epochs=epochs, n_steps=n_steps, horizon=horizon)
    row: dict[str, Any] = {"name": AUTO_MODEL, "kind": "network", "auto": True,
                           "label": f"Auto search ({REGISTRY[AUTO_MODEL].display_name})"}
    sweep = auto.search(base)
    experiments = sweep.experiments()
    results: dict[str, RunResult] = {}
    for j, exp in enumerate(experiments, 1):
        try:
            results[exp.key()] = _train(exp, store, stream, f"{label} auto {j}/{len(experiments)}: ")
        except training.TrainingFailed:
            continue  # a configuration that diverged is simply not a candidate
    best = auto.found(sweep, results).best
    if best is None:
        return {**row, "error": "no configuration of the search could be trained"}
    result = min((results[k] for k in best["done_keys"]), key=lambda r: r.metrics["valid"]["mae"])
    chosen = next(e for e in experiments if e.key() == result.key)
    try:
        folds = [_train(f, store, stream, f"{label} auto fold {f.series.fold}: ") for f in chosen.backtest(FOLDS)]
    except training.TrainingFailed as exc:
        return {**row, "error": str(exc)}
    maes = [f.metrics["test"]["mae"] for f in folds]
    kept = yardsticks.kept_start(result.start, chosen.series.scaling)
    return {**row, "model": f"{best['cell']}, seed {chosen.train.seed}" + (f", {kept}" if kept else ""),
            "metrics": result.metrics,
            "seconds": sum(r.wall_seconds for r in results.values()), "fit_seconds": result.train_seconds,
            "backtest": sum(maes) / len(maes), "backtest_seconds": sum(f.wall_seconds for f in folds),
            "windows": sum(len(result.predictions[s]) for s in ("valid", "test")), "trainings": len(results),
            "train_windows": train_windows(chosen), "result": result}


def _score(scores: Mapping[str, Any] | None, split: str, metric: str = "mae") -> float | None:
    """``scores[split][metric]``, or None when the run lacks it (no season-apart pair for the MASE)."""
    value = ((scores or {}).get(split) or {}).get(metric)
    return None if value is None else float(value)


def _cell(value: float | None, digits: str = ".4g") -> str:
    return "–" if value is None else format(value, digits)


def _name(row: Mapping[str, Any]) -> str:
    """The forecaster as the table names it: the model a yardstick chose (``ETS(A,Ad,A)``), else its label."""
    model = row.get("model")
    if not model or model == row["label"]:
        return row["label"]
    return model if model.startswith(row["label"].split()[0]) else f"{row['label']} {model}"


def table_lines(rows: list[Mapping[str, Any]]) -> list[str]:
    """The markdown table of ``rows`` (from :func:`run_row`): one line per forecaster, "–" where a run lacks a
    figure (no season-apart pair for the MASE; a forecaster that could not be fitted)."""
    heads = [h for _, _, h in COLUMNS]
    lines = ["| forecast | " + " | ".join(heads) + " | backtest test MAE | seconds (run + backtest) |",
             "|---|" + "---:|" * (len(heads) + 2)]
    for row in rows:
        name = _name(row)
        if row.get("error"):
            lines.append(f"| {name} (failed: {row['error']}) | " + " | ".join(["–"] * (len(heads) + 2)) + " |")
            continue
        cells = [_cell(_score(row["metrics"], split, metric)) for split, metric, _ in COLUMNS]
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {_cell(row['backtest'])} | "
                     f"{row['seconds']:.1f} + {row['backtest_seconds']:.1f} |")
    return lines


def _names(rows: list[Mapping[str, Any]]) -> str:
    return ", ".join(r["label"] for r in rows)


def _chosen(row: Mapping[str, Any]) -> str:
    """``**name**`` and its validation and test MAE, as the verdict writes a choice."""
    return (f"**{_name(row)}** (valid MAE {_cell(_score(row['metrics'], 'valid'))}, test MAE "
            f"{_cell(_score(row['metrics'], 'test'))})")


def _judge(rows: list[Mapping[str, Any]]) -> dict[str, Any] | None:
    """The facts behind the words: the rows that were scored, the one chosen on validation MAE, the best
    classical forecaster's name (chosen on validation), and the networks doing worse on test than the naive
    forecast and than that classical forecaster. None when nothing was scored."""
    scored = [r for r in rows if not r.get("error") and _score(r["metrics"], "valid") is not None]
    if not scored:
        return None
    by_name = {r["name"]: r for r in scored if not r.get("auto")}
    # Chosen on validation, as a forecaster would choose; the test error is reported, never used to choose.
    chosen = min(scored, key=lambda r: _score(r["metrics"], "valid"))
    best = yardsticks.best_classical({r["name"]: r["metrics"] for r in scored})
    networks = [r for r in scored if REGISTRY[r["name"]].trainable]
    naive = _score(by_name.get("naive", {}).get("metrics"), "test")
    classical = _score(by_name[best]["metrics"], "test") if best else None
    def worse(r: Mapping[str, Any], than: float | None) -> bool:
        mine = _score(r["metrics"], "test")
        return None not in (than, mine) and metrics.worse(mine, than)

    return {"scored": scored, "chosen": chosen, "best": by_name.get(best), "networks": networks,
            "naive": by_name.get("naive"),
            "best_network": min(networks, key=lambda r: _score(r["metrics"], "valid")) if networks else None,
            "lost_naive": [r for r in networks if worse(r, naive)],
            "lost_classical": [r for r in networks if worse(r, classical)]}


def verdict(rows: list[Mapping[str, Any]]) -> str:
    """What the table says, in words: the forecast chosen on validation MAE (its test MAE beside), the best
    classical forecaster (chosen on validation), and which networks do worse on test than the naive forecast or
    that classical forecaster (or beat both)."""
    facts = _judge(rows)
    if facts is None:
        return "Nothing could be scored."
    chosen, best = facts["chosen"], facts["best"]
    if best is chosen:
        words = [f"Chosen on validation MAE, and the best classical forecaster: {_chosen(chosen)}."]
    else:
        words = [f"Chosen on validation MAE: {_chosen(chosen)}."]
        if best is not None:
            words.append(f"Best classical forecaster (chosen on validation): {_chosen(best)}.")
    lost_naive, lost_classical = facts["lost_naive"], facts["lost_classical"]
    if lost_naive:
        words.append(f"Worse than the naive forecast on test: {_names(lost_naive)}.")
    if lost_classical:
        words.append(f"Worse than {_name(best)} on test: {_names(lost_classical)}.")
    winners = [r for r in facts["networks"] if r not in lost_naive and r not in lost_classical]
    if winners:
        words.append(f"Better on test than the naive forecast and the best classical forecaster: {_names(winners)}.")
    failed = [r for r in rows if r.get("error")]
    if failed:
        words.append(f"Could not be fitted: {_names(failed)}.")
    return " ".join(words)


def summary_lines(tables: list[list[Mapping[str, Any]]]) -> list[str]:
    """The report in a few lines: over every table (series and horizon), how often each kind of forecaster was
    chosen on validation MAE, and per network how often it did worse on test than the naive forecast and than the
    best classical forecaster (chosen on validation); the runs' wall clock in all."""
    chosen: dict[str, int] = {}
    lost: dict[str, list[int]] = {}
    seconds = 0.0
    for rows in tables:
        facts = _judge(rows)
        if facts is None:
            continue
        seconds += sum(r["seconds"] + r["backtest_seconds"] for r in facts["scored"])
        kind = facts["chosen"]["kind"]
        chosen[kind] = chosen.get(kind, 0) + 1
        for r in facts["networks"]:
            counts = lost.setdefault(r["label"], [0, 0])
            counts[0] += r in facts["lost_naive"]
            counts[1] += r in facts["lost_classical"]
    n = len(tables)
    beat_naive, near_classical = _best_network_lines(tables)
    kinds = {"classical": "a classical forecaster", "baseline": "the naive or seasonal-naive forecast",
             "network": "a network"}
    picked = ", ".join(f"{kinds.get(kind, kind)} in {count}"
                       for kind, count in sorted(chosen.items(), key=lambda kc: -kc[1]))
    losses = "; ".join(f"{label} worse than the naive forecast in {a} and than the best classical forecaster in {b}"
                       for label, (a, b) in lost.items())
    return ["## In short", "",
            f"Over the {n} tables below (a series at a horizon), the forecast chosen on validation MAE was "
            f"{picked}. On test: {losses} (of {n}). The runs behind the report took {seconds / 60:.0f} "
            "minutes of wall clock in all (each run and backtest fold once; a second call reads them from the store).",
            "", beat_naive, "", near_classical, ""]


def _seasonal(classical: str) -> bool:
    """Whether a classical forecaster's name shows a seasonal part: ``ARIMA(...)(P,D,Q)[m]`` or ``ETS(E,T,S)``
    with a season ``S`` other than N."""
    if classical.startswith("ETS(") and classical.count(",") == 2:
        return classical.rstrip(")").split(",")[-1] != "N"
    return "[" in classical


def _best_network_lines(tables: list[list[Mapping[str, Any]]]) -> tuple[str, str]:
    """Two sentences about the best network of each table (chosen on validation MAE among the networks, the
    auto search included): is its test MASE at most the naive forecast's, and, at the natural horizon, is its
    test MAE within 10% of the best classical forecaster's (chosen on validation) or better. Each names the
    tables where it is not."""
    beat, missed, near, far, natural, behind, unbeatable = 0, [], 0, [], 0, [], 0
    for rows in tables:
        facts = _judge(rows)
        if facts is None or facts["best_network"] is None:
            continue
        best, where = facts["best_network"], rows[0].get("where", "a table")
        naive = facts["naive"]
        mine = _score(best["metrics"], "test", "mase")
        theirs = _score(naive["metrics"], "test", "mase") if naive else None
        if None in (mine, theirs) or not metrics.worse(mine, theirs):  # a tie (a network that kept its start) holds
            beat += 1
        else:
            classical = [_score(r["metrics"], "test", "mase") for r in facts["scored"] if r["kind"] == "classical"]
            unbeaten = all(c is not None and c >= theirs for c in classical)
            missed.append(f"{where} ({_name(best)} {mine:.4g} against {theirs:.4g}"
                          + (", and no classical forecaster beat the naive forecast there either" if unbeaten else "")
                          + ")")
            unbeatable += unbeaten
        if rows[0].get("horizon", 1) > 1 and facts["best"] is not None:
            natural += 1
            ratio = _score(best["metrics"], "test") / _score(facts["best"]["metrics"], "test")
            if ratio <= 1.10:
                near += 1
            else:
                behind.append((best, facts["best"]))
                trained = f", trained on {best['train_windows']:,} windows" if best.get("train_windows") else ""
                far.append(f"{where} ({_name(best)} {100 * (ratio - 1):.0f}% above {_name(facts['best'])}{trained})")
    first = (f"The best network of each table (chosen on validation MAE among the networks, the auto search "
             f"included) has a test MASE at most the naive forecast's in {beat} of {beat + len(missed)} tables"
             + (f"; not in {'; '.join(missed)}." if missed else "."))
    if unbeatable:
        first += (" Where nothing beats the naive forecast, the series moves like a random walk (a share price: "
                  "tomorrow is today plus an unpredictable step), for which the last value is the best forecast "
                  "there is; a network can only match it, up to the noise of its training.")
    second = (f"At the natural horizon its test MAE is within 10% of the best classical forecaster's (chosen on "
              f"validation) or better in {near} of {natural}" + (f"; not in {'; '.join(far)}." if far else "."))
    most = max((r.get("train_windows") or 0 for r, _ in behind), default=0)
    if far and most:
        seasonal = all(_seasonal(_name(c)) for _, c in behind)
        second += (f" Where the best network is behind, it trained on at most {most:,} windows"
                   + (", and the classical forecaster ahead of it has the season built in (a seasonal ARIMA or an "
                      "ETS with a seasonal term), which a network has to learn from those windows" if seasonal else "")
                   + ".")
    return first, second


#: The interval the report checks, and the coverage on test it should land in (issue: 80-97% for a 90% band).
LEVEL, COVERAGE = 90, (0.80, 0.97)


def coverage_lines(runs: list[tuple[str, int, str, Any]]) -> tuple[list[str], int, int]:
    """The intervals table: per (series, horizon, forecast, run), the 90% conformal interval's test coverage
    (calibrated on the run's validation errors, then online on its test errors as they are known), mean width and
    Winkler score; and how many of the runs with an
    interval cover between 80% and 97% of the test values, of how many."""
    from rnnlab.models import export  # pandas (the series' datasets): only this table needs them
    from rnnlab.series.dataset import make_dataset  # the same

    lines = [f"| series | h | forecast | {LEVEL}% coverage on test | mean width | Winkler score |",
             "|---|---:|---|---:|---:|---:|"]
    within = scored = 0
    for name, horizon, model, result in runs:
        found = export.intervals(result, make_dataset(result.spec), (LEVEL,))["levels"][str(LEVEL)]
        if found["halfwidth"] is None:
            lines.append(f"| {name} | {horizon} | {model} | too few validation windows | | |")
            continue
        test = found["test"]
        scored += 1
        inside = COVERAGE[0] <= test["coverage"] <= COVERAGE[1]
        within += inside
        cover = f"{test['coverage']:.1%}" if inside else f"**{test['coverage']:.1%}**"
        lines.append(f"| {name} | {horizon} | {model} | {cover} | {test['mean_width']:.4g} | {test['winkler']:.4g} |")
    return lines, within, scored


def _interval_section(tables: list[list[Mapping[str, Any]]]) -> list[str]:
    """The report's intervals section: every network's 90% interval on test, and how many land in 80-97%."""
    runs = [(r["series"], r["horizon"], _name(r), r["result"])
            for rows in tables for r in rows if r["kind"] == "network" and r.get("result") is not None]
    lines, within, scored = coverage_lines(runs)
    return ["## Prediction intervals", "",
            f"Each network's {LEVEL}% interval against its test values, pooled over the steps ahead. Conformal, "
            "online: per step ahead, the quantile of its validation errors and of every test error already known "
            "at the window's origin, at a level that adapts after each miss or hit (adaptive conformal inference; "
            "split conformal alone, on validation only, left 5 of 36 such runs outside the band, too narrow where "
            f"the test period was wilder). {within} of {scored} cover between {COVERAGE[0]:.0%} and "
            f"{COVERAGE[1]:.0%} of the test values (in bold, those that do not).", ""] + lines + [""]


def timing_lines(timed: list[tuple[str, int, Mapping[str, Any]]]) -> list[str]:
    """The classical forecasters' seconds (``timed``: series, horizon, row): selecting and fitting on the training
    period plus every validation and test window, and the rest of the run (mostly the fit on all the data for the
    future), for docs/benchmarks.md."""
    lines = ["| series | h | forecaster | windows | valid + test (s) | future and the rest (s) | "
             "backtest, 3 folds (s) |",
             "|---|---:|---|---:|---:|---:|---:|"]
    for series, horizon, row in timed:
        if row.get("error"):
            continue
        lines.append(f"| {series} | {horizon} | {_name(row)} | {row['windows']} | "
                     f"{row['fit_seconds']:.1f} | {row['seconds'] - row['fit_seconds']:.1f} | "
                     f"{row['backtest_seconds']:.1f} |")
    return lines


def _horizon_title(series: str, horizon: int) -> str:
    if horizon == 1:
        return "One step ahead"
    step = catalog.info(series).step
    return f"{horizon} steps ahead ({step}: the natural horizon)"


def real_series(*, epochs: int = 30, n_steps: int | None = None, only: str | None = None, store: RunStore | None = None,
                stream=sys.stderr) -> str:
    """Run (or read from the store) every forecaster on every bundled series (or those named in ``only``,
    comma-separated) at each of its :func:`horizons`, and return the markdown report."""
    store = store or RunStore()
    names = [n for n in catalog.bundled_names() if only is None or n in only.split(",")]
    if not names:
        raise ValueError(f"--only {only!r}: no bundled series of that name; they are "
                         f"{', '.join(catalog.bundled_names())}")
    lines, timed, tables, started = [], [], [], datetime.now(timezone.utc)
    for i, name in enumerate(names, 1):
        info, meta = catalog.info(name), catalog.bundled_meta(name)
        lines += [f"## {info.title} (`{name}`)", "",
                  f"{info.points:,} {info.step} values, {meta['axis']}; season {meta['season']} steps. "
                  f"{meta['teaches']}", ""]
        for horizon in horizons(name):
            label = f"[{i}/{len(names)}] {name} h={horizon}"
            rows = [run_row(exp, store, stream, label)
                    for exp in experiments_for(name, epochs=epochs, n_steps=n_steps, horizon=horizon)]
            rows.append(auto_row(name, horizon, epochs=epochs, n_steps=n_steps, store=store, stream=stream,
                                 label=label))
            for row in rows:
                row.update(series=name, horizon=horizon, where=f"{name} h={horizon}")
            timed += [(name, horizon, r) for r in rows if r["kind"] == "classical"]
            tables.append(rows)
            lines += [f"### {_horizon_title(name, horizon)}", ""] + table_lines(rows) + ["", verdict(rows), ""]
    footer = ["## Time of the classical forecasters", "",
              "Per series, horizon and forecaster: the seconds to select and fit it on the training period and "
              "forecast every validation and test window, the rest of the run (mostly its fit on all the data for "
              "the forecast past the end), and its backtest's three folds.", ""] + timing_lines(timed) + [""]
    return "\n".join(_header(epochs, n_steps, started) + summary_lines(tables) + lines + _interval_section(tables)
                     + footer)


def _header(epochs: int, n_steps: int | None, started: datetime) -> list[str]:
    """The report's title and what it ran, with what, and how it scores and chooses."""
    versions = training.versions()
    engine = versions.get("backend", "")
    natural = ", ".join(f"{step} {h}" for step, h in HORIZONS.items())
    return [
        "# Real series: networks against the naive and classical forecasters",
        "",
        f"Generated by `python -m rnnlab real-series --epochs {epochs}"
        + (f" --n-steps {n_steps}" if n_steps is not None else "") + "` on "
        f"{started:%Y-%m-%d}, {os.cpu_count()} cores, Keras {versions.get('keras')} on {engine} "
        f"{versions.get(engine, '')}, statsmodels {metadata.version('statsmodels')}. Each series is forecast one "
        "step ahead and at its natural horizon, the horizon a forecaster would plan with "
        f"({natural} steps: a year of monthly or quarterly data, the M4 competition's 13 weeks and 14 days for "
        "weekly and daily data, two trading weeks for business days). The networks (mode one_step, and seq2vec beyond "
        f"one step: one vector of the whole horizon from each window) are trained for {epochs} epochs on the "
        "training period (70%) with the book's settings and a real series' defaults, first differences and "
        + (f"{n_steps} inputs" if n_steps is not None else "two seasons of input (docs/scalings.md chose both)")
        + ", starting from the naive forecast (the zero output) and keeping what they learn only if it beats it on "
        "validation by more than chance (README, 'Where a network starts'), tuned on nothing; the auto-search row "
        f"is what `python -m rnnlab auto {AUTO_MODEL}` (the Train page's \"Find a good model for me\") finds with "
        f"its default budget: {auto.CONFIGURATIONS} configurations of scaling (those whose zero output is the naive "
        f"forecast: {' and '.join(scaling.NAIVE_AT_ZERO)}), input length and size, {auto.SEEDS} seeds each, the "
        "configuration with the lowest mean validation MSE and its seed with the lowest validation MAE. All are "
        "scored on the validation (15%) and test (15%) "
        "periods in the series' own units. The naive, seasonal-naive, ETS, ARIMA and Theta forecasts are scored on "
        "exactly the same windows: ETS and ARIMA are selected (by AICc) and fitted once on the training period and "
        "then run over each window's history with their parameters fixed (rnnlab/forecasting/classical.py says "
        "why); Theta is refitted at each window, its interval's variance once. MASE is scaled by the in-sample "
        "seasonal-naive MAE (lag = the season, as in the M4 competition); sMAPE is in percent (0 to 200). "
        f"The backtest column is the mean test MAE of a {FOLDS}-fold rolling-origin backtest (expanding window, "
        "each fold refitted). The seconds are each run's wall clock on this machine (shared with other work while "
        "it ran) and the sum of its backtest folds'. The forecast chosen is the one with the lowest validation "
        "MAE; its test MAE only says how the choice did. Every run is stored: a second run of the command trains "
        "nothing.",
        "",
    ]
