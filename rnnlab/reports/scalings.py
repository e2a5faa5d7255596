"""``python -m rnnlab scalings``: which scaling a network on a real series should start from, measured.

For every bundled series, one step ahead and at its natural horizon (those of ``python -m rnnlab real-series``),
each model of :data:`MODELS` is trained once with each scaling (:mod:`rnnlab.series.scaling`), through the run
store (an interrupted run resumes; a second one trains nothing). A scaling is judged as a forecaster would, on
validation: each cell's (series, horizon, model) MAE over the naive forecast's on the same windows (the ratio of
their seasonal MASEs too, which share a scale); the default is the scaling with the lowest median of those ratios;
the test period only reports how that choice did.

A second table measures the input length the same way, with the chosen scaling: the rules of
:data:`rnnlab.series.windows.INPUT_RULES` (one, two or four seasons, within a quarter of the training period)
beside the fixed ``--n-steps``. A third reports, for those chosen, how often each run's 90% conformal interval
(:mod:`rnnlab.forecasting.intervals`, calibrated on validation, then online on test) held the test values.
"""

from __future__ import annotations

import statistics
import sys
from datetime import datetime, timezone
from typing import Any

from rnnlab.config import parse_flat
from rnnlab.config.fields import FIELDS
from rnnlab.config.specs import real_input
from rnnlab.reports.real_series import _train, coverage_lines, horizons
from rnnlab.series import catalog, scaling, windows
from rnnlab.store.runstore import RunStore

MODELS = ("linear", "gru")


def _ratio(result, split: str) -> float | None:
    """The run's MAE over the naive forecast's on the same windows (below 1: better than repeating the last
    value)."""
    mine, naive = result.metrics[split].get("mae"), result.naive_metrics[split].get("mae")
    return mine / naive if mine is not None and naive else None


def _cell(name: str, horizon: int, model: str, n_steps: int, epochs: int, kind: str,
          ratios: dict[str, list[float]], store: RunStore, stream, label: str) -> tuple[Any, tuple]:
    """One training of the report (from the store when it was made before), its (valid, test) ratios to the naive
    forecast, each also added to ``ratios``."""
    exp = parse_flat({"model": model, "data": name, "mode": "one_step" if horizon == 1 else "seq2vec",
                      "horizon": str(horizon), "n_steps": str(n_steps), "epochs": str(epochs), "scaling": kind,
                      "start": "random"},  # the scalings as they were chosen: every network from Keras' random start
                     strict=True).experiment
    result = _train(exp, store, stream, label)
    pair = _ratio(result, "valid"), _ratio(result, "test")
    for split, value in zip(("valid", "test"), pair):
        if value is not None:
            ratios[split].append(value)
    return result, pair


def scalings(*, epochs: int = 10, n_steps: int = 48, only: str | None = None, models: tuple[str, ...] = MODELS,
             store: RunStore | None = None, stream=sys.stderr) -> tuple[str, str]:
    """Train (or read from the store) every cell with every scaling; returns the markdown report and the scaling
    chosen on validation."""
    store = store or RunStore()
    names = [n for n in catalog.bundled_names() if only is None or n in only.split(",")]
    if not names:
        raise ValueError(f"--only {only!r}: no bundled series of that name; they are "
                         f"{', '.join(catalog.bundled_names())}")
    ratios: dict[str, dict[str, list[float]]] = {s: {"valid": [], "test": []} for s in scaling.SCALINGS}
    rows, started = [], datetime.now(timezone.utc)
    for i, name in enumerate(names, 1):
        for horizon in horizons(name):
            for model in models:
                cells = []
                for kind in scaling.SCALINGS:
                    result, pair = _cell(name, horizon, model, n_steps, epochs, kind, ratios[kind], store, stream,
                                         f"[{i}/{len(names)}] {name} h={horizon} {model} {kind} ")
                    cells.append(pair)
                best = min(range(len(cells)), key=lambda k: cells[k][0] if cells[k][0] is not None else float("inf"))
                rows.append(f"| {name} | {horizon} | {model} | " + " | ".join(
                    ("**" if k == best else "") + f"{v:.3f} / {t:.3f}" + ("**" if k == best else "")
                    for k, (v, t) in enumerate(cells)) + " |")
    medians = {kind: statistics.median(r["valid"]) for kind, r in ratios.items() if r["valid"]}
    chosen = min(medians, key=medians.get)
    lengths, rule, chosen_runs = _input_lengths(names, models, epochs, n_steps, chosen, store, stream)
    summary = ["| scaling | median valid MAE / naive | median test MAE / naive | cells better than naive on test |",
               "|---|---:|---:|---:|"]
    for kind in scaling.SCALINGS:
        test = ratios[kind]["test"]
        summary.append(f"| {kind}{' (chosen)' if kind == chosen else ''} | {medians.get(kind, float('nan')):.3f} | "
                       f"{statistics.median(test):.3f} | {sum(r < 1 for r in test)} of {len(test)} |")
    lines = [
        "# Which scaling a network starts from on a real series", "",
        f"Made by `python -m rnnlab scalings --epochs {epochs} --n-steps {n_steps}` on "
        f"{started:%Y-%m-%d}: {', '.join(models)} on every bundled series, one step ahead and at its natural "
        "horizon, once with each scaling, each network from Keras' random start (the book's; a real series' "
        "default is now a start at the naive forecast, README, 'Where a network starts'). Each figure is the run's "
        "MAE over the naive forecast's on the same windows (below 1: better than repeating the last value), "
        "validation / test. The scaling is chosen on the median validation ratio; the test period only reports how "
        "the choice did.", "",
        *summary, "",
        "| series | h | model | " + " | ".join(scaling.SCALINGS) + " |",
        "|---|---:|---|" + "---:|" * len(scaling.SCALINGS),
        *rows, "",
        "## Input length", "",
        f"With {chosen} scaling, the same cells with the input length of each rule (a number of seasons, at least "
        "the rule's least, at most a quarter of the training period) beside the fixed "
        f"{n_steps} steps; the figure is the same ratio, validation / test, and the rule is chosen on the median "
        "validation ratio.", "",
        *lengths, "",
        f"Chosen: **{rule}**.", "",
        "## Intervals", "",
        f"With {chosen} scaling and {rule} of input, each run's 90% interval (conformal: per step ahead, the "
        "quantile of the validation errors and of the test errors known at each origin) against its test values: the share it held (pooled over every step "
        "ahead), its mean width in the series' units, and its Winkler score.", "",
        *coverage_lines(chosen_runs)[0], "",
    ]
    return "\n".join(lines), chosen


def _input_lengths(names: list[str], models: tuple[str, ...], epochs: int, n_steps: int, kind: str,
                   store: RunStore, stream) -> tuple[list[str], str, list[tuple[str, int, str, Any]]]:
    """The input-length table (markdown lines), the rule chosen on the median validation ratio, and the runs of
    that rule per (series, horizon, model)."""
    rules = {f"{n_steps} steps": None, **{name: name for name in windows.INPUT_RULES}}
    ratios: dict[str, dict[str, list[float]]] = {r: {"valid": [], "test": []} for r in rules}
    rows, runs = [], {}
    for i, name in enumerate(names, 1):
        info = catalog.info(name)
        fraction = FIELDS["train_fraction"].default_for(data=name)
        for horizon in horizons(name):
            for model in models:
                cells = []
                for label, rule in rules.items():
                    steps = n_steps if rule is None else real_input(info, horizon, fraction, rule)
                    result, pair = _cell(name, horizon, model, steps, epochs, kind, ratios[label], store, stream,
                                         f"[{i}/{len(names)}] {name} h={horizon} {model} {steps} in ")
                    cells.append((steps, *pair))
                    runs.setdefault(label, []).append((name, horizon, model, result))
                best = min(range(len(cells)), key=lambda k: cells[k][1] if cells[k][1] is not None else float("inf"))
                rows.append(f"| {name} | {horizon} | {model} | " + " | ".join(
                    ("**" if k == best else "") + f"{v:.3f} / {t:.3f} ({steps})" + ("**" if k == best else "")
                    for k, (steps, v, t) in enumerate(cells)) + " |")
    medians = {r: statistics.median(v["valid"]) for r, v in ratios.items() if v["valid"]}
    chosen = min((r for r in medians if rules[r] is not None), key=medians.get)
    lines = ["| input length | median valid MAE / naive | median test MAE / naive | cells better than naive on test |",
             "|---|---:|---:|---:|"]
    for label in rules:
        test = ratios[label]["test"]
        lines.append(f"| {label}{' (chosen)' if label == chosen else ''} | {medians.get(label, float('nan')):.3f} | "
                     f"{statistics.median(test):.3f} | {sum(r < 1 for r in test)} of {len(test)} |")
    lines += ["", "| series | h | model | " + " | ".join(rules) + " |", "|---|---:|---|" + "---:|" * len(rules), *rows]
    return lines, chosen, runs[chosen]
