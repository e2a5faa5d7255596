"""The training commands: ``list``, ``datasets``, ``train`` (with ``--estimate`` and ``--repeats``) and ``sweep``
(``backtest`` is in :mod:`rnnlab.cli.backtest`; getting results, stored or trained, in :mod:`rnnlab.cli.running`).

``train`` goes through the run store: a second identical call prints the stored result, says it was cached and
imports neither Keras nor Dask nor pandas. A training this process does not run itself (repeats, a sweep,
anything with ``--scheduler``) goes to the job manager as one batch.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, TextIO

from rnnlab import config
from rnnlab.cli.options import (
    CliError, add_experiment_options, checked, experiment_from_args, write_json,
)
from rnnlab.cli.running import run_batch, train_all
from rnnlab.forecasting import intervals, yardsticks
from rnnlab.jobs import auto, costs, sweeps
from rnnlab.models.registry import REGISTRY
from rnnlab.series import catalog
from rnnlab.store.runs import RunSummary, Spread
from rnnlab.store.runstore import RunStore

# --------------------------------------------------------------------------------------------------
# Commands
# --------------------------------------------------------------------------------------------------
def cmd_list(args: argparse.Namespace, out: TextIO) -> int:
    """The models, their forecast modes, the book's parameter count and what each one is."""
    rows = []
    for entry in REGISTRY.values():
        params = "-"
        if entry.trainable:
            params = f"{entry.count_params(config.Experiment.book(entry.name)):,}"
        rows.append({"name": entry.name, "display_name": entry.display_name, "kind": entry.kind,
                     "modes": list(entry.modes),
                     "book_mode": entry.book_mode, "book_params": params, "description": entry.description})
    if args.json:
        return write_json(rows, out)
    out.write(f"{'model':<16} {'modes':<38} {'params':>7}  description\n")
    for row in rows:
        modes = ", ".join(row["modes"])
        out.write(f"{row['name']:<16} {modes:<38} {row['book_params']:>7}  {row['description']}\n")
    return 0


def cmd_datasets(args: argparse.Namespace, out: TextIO) -> int:
    """The bundled real series: what they are, where they come from, what each teaches."""
    rows = []
    for name in catalog.bundled_names():
        meta, info = catalog.bundled_meta(name), catalog.info(name)
        rows.append({"name": name, "title": meta["title"], "points": info.points, "step": meta["step"],
                     "season": meta["season"], "unit": meta["unit"], "source": meta["source"],
                     "licence": meta["licence"], "teaches": meta["teaches"]})
    if args.json:
        return write_json(rows, out)
    out.write(f"{'name':<18} {'points':>6}  {'step':<15} {'season':>6}  title\n")
    for row in rows:
        out.write(f"{row['name']:<18} {row['points']:>6}  {row['step']:<15} {row['season']:>6}  {row['title']} "
                  f"({row['licence']})\n")
    out.write("\ntrain on one with: python -m rnnlab train MODEL --dataset NAME\n")
    return 0


def _number(scores: dict[str, Any], name: str, digits: str = ".4f") -> str:
    """One score, or "–" when the run has none (runs stored before a score existed)."""
    value = scores.get(name)
    return "–" if value is None else format(value, digits)


def _scores_text(scores: dict[str, Any], real: bool) -> str:
    """A split's scores: MSE, MAE, RMSE, sMAPE, and the seasonal MASE (real series) or the MAE vs naive."""
    text = " ".join(f"{label} {_number(scores, name, '.6g')}" for label, name in
                    (("MSE", "mse"), (" MAE", "mae"), (" RMSE", "rmse"), (" sMAPE", "smape")))
    if real:
        return f"{text}  MASE {_number(scores, 'mase')}"
    return f"{text}  MAE vs naive {_number(scores, 'rel_mae') if 'rel_mae' in scores else _number(scores, 'mase')}"


def _summary_lines(summary: dict[str, Any], cached: bool) -> list[str]:
    exp = config.stored_experiment(summary["experiment"])
    naive = summary["naive_metrics"].get("valid", {})  # a final run (trained on all the data) has no scores
    lines = [
        f"run        {summary['key'][:16]}  ({'cached: stored result, not retrained' if cached else 'trained now'})",
        f"experiment {exp.describe()}",
    ]
    if exp.series.real:
        info = catalog.info(exp.series.data)
        lines.append(f"data       {info.title} ({exp.series.data}), {info.points:,} {info.step} values")
    lines += [f"parameters {summary['params_total']:,}"]
    if summary.get("forecaster"):
        lines.append(f"model      {summary['forecaster']} (selected on the training period)")
    lines += [f"{split:<10} {_scores_text(summary['metrics'][split], exp.series.real)}" for split in ("valid", "test")
              if summary["metrics"].get(split)]
    if naive:
        lines.append(f"naive      MSE {_number(naive, 'mse', '.6g')} (validation)")
    seasonal = summary.get("baselines", {}).get("valid", {}).get("seasonal_naive")
    if seasonal:
        lines.append(f"seasonal   MSE {seasonal['mse']:.6g} (validation, season {exp.series.season}; "
                     f"{seasonal['windows']} of {seasonal['of']} windows reach back a season)")
    lines.append("MASE       scaled by the training period's in-sample seasonal-naive MAE (one season back)"
                 if exp.series.real else "MAE vs naive: the MAE over the naive forecast's on the same series")
    if summary["history"]:
        lines.append(f"training   {len(summary['history'])} epochs in {summary['train_seconds']:.1f}s")
    for split, steps in summary.get("mse_per_step", {}).items():
        if split == "valid":
            lines.append("per step   " + " ".join(f"{v:.4g}" for v in steps))
    return lines + _future_lines(summary.get("future"))


def _future_lines(future: dict[str, Any] | None) -> list[str]:
    """The forecast past the end in a line, and which model made it."""
    if not future:
        return []
    values = ", ".join(f"{t} {v:.5g}" for t, v in zip(future["time"], future["value"]))
    made = [f"           made by {future['made_by']}"] if future.get("made_by") else []
    return [f"forecast   after {future['last_time']}: {values}", *made]


def _estimate(experiment: config.Experiment, args: argparse.Namespace, out: TextIO) -> int:
    """How long ``experiment`` would take where it would train: in this process (its own calibration in --home,
    ``calibrate --here``, else the workers'), or on one worker with --scheduler."""
    where = "workers" if args.scheduler else "here"
    if where == "here":
        [estimate] = costs.estimates_here([experiment], args.home)
    else:
        estimate = costs.estimate(experiment, *costs.load_coefficients(home=args.home))
    # charged no compilation: its shape was trained in this process's store before
    compiled = where == "here" and experiment.model.entry.trainable and estimate.compile == 0
    if args.json:
        return write_json({"experiment": experiment.to_dict(), "key": experiment.key(), "seconds": estimate.total,
                           "seconds_per_epoch": estimate.per_epoch, "first_epoch_seconds": estimate.first_epoch,
                           "calibrated": estimate.calibrated, "where": where, "compiled": compiled}, out)
    place = "on one worker" if where == "workers" else "in this process"
    if where == "here" and costs.calibration_path(home=args.home, where="here").exists():
        source = "measured in this process by `python -m rnnlab calibrate --here`"
    elif where == "here" and not estimate.calibrated and costs.has_shipped(where="here"):
        source = ("from the shipped two-core figures of the command line's own process: `python -m rnnlab "
                  "calibrate --here` measures this one")
    elif estimate.calibrated:
        source = ("from this instance's workers" + ("" if where == "workers" else ": this process uses every core "
                  "and trains faster; `python -m rnnlab calibrate --here` measures it"))
    else:
        source = "from the shipped two-core figures: run `python -m rnnlab calibrate` to measure this instance"
    if compiled:
        source += "; its shape was compiled here before, so the first epoch is not charged a compilation"
    if not experiment.model.entry.trainable:  # no epochs: a formula from the number of windows
        out.write(f"experiment {experiment.describe()}\n"
                  f"estimate   {estimate.text()} {place} (no training: a fit on the training period and one "
                  "forecast per validation and test window, from figures measured on a two-core machine)\n")
        return 0
    out.write(f"experiment {experiment.describe()}\n"
              f"estimate   {estimate.text()} {place} ({costs.seconds_text(estimate.per_epoch)} per epoch, the "
              f"first {costs.seconds_text(estimate.first_epoch)} with compilation; {source})\n")
    return 0


def cmd_train(args: argparse.Namespace, out: TextIO) -> int:
    """Train one experiment (or show its stored result), say how long it would take, or train its repeats."""
    experiment = experiment_from_args(args)
    if args.estimate:
        return _estimate(experiment, args, out)
    if args.repeats is not None:
        return _train_repeats(experiment, args, out)
    levels = _levels(args.levels)
    [(summary, cached)] = train_all([experiment], args)
    summary = _with_final(experiment, summary, args)
    bands = _intervals(experiment, summary, levels, args)
    found = {} if args.no_yardsticks else _yardsticks(experiment, summary, args)
    if args.json:
        return write_json({**summary, "cached": cached, **({"intervals": bands} if bands else {}),
                           **({"yardsticks": found} if found else {})}, out)
    kept = yardsticks.start_note(summary.get("start"), experiment.series.scaling,
                                 name=experiment.model.entry.display_name)
    out.write("\n".join(_summary_lines(summary, cached) + ([kept] if kept else []) + _interval_lines(bands, summary)
                        + _yardstick_lines(found, experiment.series.real)) + "\n")
    return 0


def _levels(text: str) -> tuple[int, ...]:
    """``--levels 80,95`` as levels, or a CliError saying what is allowed."""
    allowed = ", ".join(map(str, intervals.LEVELS))
    try:
        levels = tuple(sorted({int(part) for part in text.split(",") if part.strip()}))
    except ValueError:
        raise CliError(f"--levels {text!r}: give whole percentages separated by commas, from {allowed}") from None
    if not levels or not set(levels) <= set(intervals.LEVELS):
        raise CliError(f"--levels {text!r}: the levels allowed are {allowed}")
    return levels


def _intervals(experiment: config.Experiment, summary: dict[str, Any], levels: tuple[int, ...],
               args: argparse.Namespace) -> dict[str, Any] | None:
    """On a real series, the run's conformal intervals at ``levels``: calibrated on its validation forecasts,
    then online over its test windows and scored there, around the forecast past the end (the final model's,
    when it made it); without each test window's half-widths (they are in the predictions CSV). None on the
    generated series."""
    if not experiment.series.real:
        return None
    from rnnlab.models import export  # pandas (the series' dataset): only a real series needs it
    from rnnlab.series.dataset import make_dataset  # the same

    result = RunStore(args.home).get(summary["key"])
    if result is None:  # trained on a cluster whose store this process cannot read
        return None
    found = export.intervals(result, make_dataset(experiment), levels, future=summary.get("future"))
    if found is not None:
        for entry in found["levels"].values():
            entry.pop("test_halfwidth", None)
    return found


def _interval_lines(bands: dict[str, Any] | None, summary: dict[str, Any]) -> list[str]:
    """The intervals in a line per level: the half-width one step ahead and the test period's scores; then a
    classical forecaster's own intervals' scores."""
    lines = []
    for level, entry in (bands or {"levels": {}})["levels"].items():
        if entry["halfwidth"] is None:
            lines.append(f"interval   {level}%: none (needs {entry['too_few']} validation windows, "
                         f"has {bands['windows']})")
            continue
        test = entry["test"]
        scored = "" if test is None else (f"; test coverage {test['coverage']:.0%}, mean width "
                                          f"{test['mean_width']:.4g}, Winkler {test['winkler']:.4g}")
        lines.append(f"interval   {level}%: ±{entry['halfwidth'][0]:.4g} one step ahead (from validation alone "
                     f"±{entry['valid_halfwidth'][0]:.4g}){scored}")
    if lines:
        lines.append(f"           conformal, calibrated on {bands['windows']} validation windows, then on each test "
                     "error as its value is known")
    return lines + [f"own        {level}%: test coverage {s['coverage']:.0%}, mean width {s['mean_width']:.4g}, "
                    f"Winkler {s['winkler']:.4g} ({summary.get('forecaster')}'s own interval)"
                    for level, s in (summary.get("own_intervals") or {}).items()]


def _with_final(experiment: config.Experiment, summary: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    """``summary`` with, for a network on a real series, the future of its final model (the same settings trained
    on all the data after it, from the store when it was before; --no-final skips it), saying what made it, and
    ``final``: that run's key and whether it came from the store."""
    final = None if args.no_final else yardsticks.final_experiment(experiment)
    kept = yardsticks.kept_start(summary.get("start"), experiment.series.scaling)
    if final is not None and kept:
        sys.stderr.write(f"final model: none, the network {kept}: its forecast past the end, from the last window, "
                         "learns nothing from more data\n")
        return summary
    if final is None:
        return summary
    sys.stderr.write("final model: the same settings on all the data, for the forecast past the end\n")
    [(refit, cached)] = train_all([final], args)
    return {**summary, "future": refit["future"], "final": {"key": refit["key"], "cached": cached}}


def _yardsticks(experiment: config.Experiment, summary: dict[str, Any],
                args: argparse.Namespace) -> dict[str, dict[str, Any]]:
    """The yardsticks of a real-series ``experiment`` (naive, seasonal naive, ETS, ARIMA, Theta on its very windows),
    from the store or trained like any run: ``{model: {"valid": scores, "test": scores, "forecaster": model}}``, or
    ``{model: {"error": why}}`` for one that could not be fitted (the network's result stands)."""
    wanted = yardsticks.others(experiment)
    if not wanted:
        return {}
    sys.stderr.write(f"yardsticks: {', '.join(y.model.name for y in wanted)} on the same windows\n")
    # on a cluster, one batch; here, one at a time, so one that cannot be fitted does not stop the others
    groups = [wanted] if args.scheduler else [[y] for y in wanted]
    results: dict[str, dict[str, Any]] = {}
    if experiment.key() in {y.key() for y in yardsticks.experiments(experiment)}:
        results[experiment.model.name] = _yardstick(summary)
    for group in groups:
        try:
            for y, (found, _) in zip(group, train_all(group, args)):
                results[y.model.name] = _yardstick(found)
        except CliError as exc:
            results.update({y.model.name: {"error": str(exc)} for y in group})
    order = [y.model.name for y in yardsticks.experiments(experiment)]
    return {name: results[name] for name in order if name in results}


def _yardstick(summary: dict[str, Any]) -> dict[str, Any]:
    return {"valid": summary["metrics"].get("valid"), "test": summary["metrics"].get("test"),
            "forecaster": summary.get("forecaster"), "key": summary["key"]}


def _yardstick_lines(found: dict[str, dict[str, Any]], real: bool) -> list[str]:
    """The yardsticks' test scores, one line each, under the run's own."""
    if not found:
        return []
    lines = ["yardsticks on the same test windows (models selected on the training period):"]
    for name, y in found.items():
        if "error" in y:
            lines.append(f"  {name:<15} could not be fitted: {y['error']}")
            continue
        model = f"  {y['forecaster']}" if y.get("forecaster") else ""
        lines.append(f"  {name:<15} {_scores_text(y['test'] or {}, real)}{model}")
    return lines


def _spread(spread: Spread, *, values: bool = False) -> dict[str, Any]:
    shown = {"mean": spread.mean, "std": spread.std, "min": spread.low, "max": spread.high}
    return {**shown, "values": list(spread.values)} if values else shown


def _train_repeats(experiment: config.Experiment, args: argparse.Namespace, out: TextIO) -> int:
    """Train ``experiment`` with --repeats seeds on the cluster and report each seed and the mean and spread."""
    n = checked(sweeps.REPEATS, args.repeats)
    experiments = sweeps.repeats(experiment, n)
    results = run_batch(experiments, args)
    valid = Spread(tuple(s["metrics"]["valid"]["mse"] for s, _ in results))
    test = Spread(tuple(s["metrics"]["test"]["mse"] for s, _ in results))
    ensembled = _ensemble(experiment, [s["key"] for s, _ in results], args)
    if args.json:
        runs = [{"seed": e.train.seed, "key": s["key"], "cached": c, "valid_mse": s["metrics"]["valid"]["mse"],
                 "test_mse": s["metrics"]["test"]["mse"]} for e, (s, c) in zip(experiments, results)]
        return write_json({"experiment": experiment.to_dict(), "seeds": [e.train.seed for e in experiments],
                           "runs": runs, "valid_mse": _spread(valid), "test_mse": _spread(test),
                           "ensemble": ensembled}, out)
    out.write(f"repeats    {experiment.describe()}, {n} training seeds\n")
    out.write(f"{'seed':>6}  {'valid MSE':>11}  {'test MSE':>11}  run\n")
    for e, (s, cached) in zip(experiments, results):
        out.write(f"{e.train.seed:>6}  {s['metrics']['valid']['mse']:>11.6f}  {s['metrics']['test']['mse']:>11.6f}  "
                  f"{s['key'][:12]}{' (cached)' if cached else ''}\n")
    out.write(f"mean ± sd  valid {valid.text(6)}  test {test.text(6)}\n")
    if ensembled:
        out.write(f"ensemble   valid {ensembled['valid']['mse']:.6f}  test {ensembled['test']['mse']:.6f}  "
                  f"(MSE of the mean of the {n} seeds' forecasts)\n")
    return 0


def _ensemble(experiment: config.Experiment, keys: list[str], args: argparse.Namespace) -> dict[str, Any] | None:
    """The scores of the mean of the seeds' forecasts, from the store (None when it cannot read them all)."""
    from rnnlab.series.dataset import make_dataset  # pandas for a real series: only the repeats need it here

    store = RunStore(args.home)
    results = [store.get(key) for key in keys]
    if any(r is None for r in results):  # trained on a cluster whose store this process cannot read
        return None
    try:
        return intervals.ensemble_scores([r.predictions for r in results], make_dataset(experiment),
                                         experiment.series.horizon)
    except ValueError:
        return None


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def cmd_sweep(args: argparse.Namespace, out: TextIO) -> int:
    """Train a grid of values of some fields (and repeats of each) as one batch and tabulate the results."""
    base = experiment_from_args(args, skip=tuple(g.partition("=")[0].strip().replace("-", "_") for g in args.grid))
    grid = sweeps.parse_grid(base, args.grid)
    sweep = sweeps.Sweep.make(base, grid, repeats=checked(sweeps.REPEATS, args.repeats),
                              sample=checked(sweeps.SAMPLE, args.sample or 0))
    experiments = sweep.experiments()
    sys.stderr.write(f"sweep: {sweep.describe()}\n")
    results = run_batch(experiments, args)
    by_key = {s["key"]: RunSummary.from_json(s) for s, _ in results}
    cached = {s["key"] for s, c in results if c}
    rows = sweeps.cell_rows(sweep, by_key)
    best = sweeps.best_row(rows)
    if args.json:
        cells = [{**{f: _plain(r[f]) for f in sweep.fields}, "valid_mse": _spread(r["valid"], values=True),
                  "test_mse": _spread(r["test"], values=True), "keys": r["keys"]} for r in rows]
        return write_json({"sweep": sweep.to_dict(), "trainings": len(experiments),
                           "trained": len(experiments) - len(cached), "from_store": len(cached), "cells": cells,
                           "best": {f: _plain(best[f]) for f in sweep.fields} if best else None}, out)
    width = max(len(r["cell"]) for r in rows)
    out.write(f"sweep      {sweep.describe()}\n")
    out.write(f"trained    {len(experiments) - len(cached)}, from the store {len(cached)}\n")
    out.write(f"{'configuration':<{width}}  {'seeds':>5}  {'valid MSE (mean ± sd)':>24}  {'test MSE (mean ± sd)':>24}\n")
    for r in rows:
        mark = "  <- best" if r is best else ""
        out.write(f"{r['cell']:<{width}}  {r['done']:>5}  {r['valid'].text(6):>24}  {r['test'].text(6):>24}{mark}\n")
    return 0


def cmd_auto(args: argparse.Namespace, out: TextIO) -> int:
    """Search scaling, input length and size (a few seeds each) for one model or for every network of
    :data:`rnnlab.jobs.auto.MODELS`, choose on validation, then train the final model of the best."""
    models = auto.MODELS if args.model == "all" else (args.model,)
    searched = ("scaling", "n_steps", "units")
    searches = []
    for model in models:
        base = experiment_from_args(argparse.Namespace(**{**vars(args), "model": model}), skip=searched)
        sweep = auto.search(base, seeds=checked(sweeps.REPEATS, args.seeds),
                            configurations=checked(sweeps.SAMPLE, args.configurations))
        sys.stderr.write(f"search: {sweep.describe()}\n")
        results = run_batch(sweep.experiments(), args)
        searches.append(auto.found(sweep, {s["key"]: RunSummary.from_json(s) for s, _ in results}))
    winner = auto.best_of(searches)
    if winner is None:
        raise CliError("no configuration finished: nothing to choose from")
    best = winner.best["experiment"]
    [(summary, cached)] = train_all([best], args)  # the best's first seed, from the store
    summary = _with_final(best, summary, args)
    test, naive = summary["metrics"]["test"], summary["naive_metrics"]["test"]
    if args.json:
        return write_json({"searches": [{"model": s.model, "sweep": s.sweep.to_dict(), "cells": [
            {**{f: _plain(r[f]) for f in s.sweep.fields}, "valid_mse": _spread(r["valid"], values=True),
             "test_mse": _spread(r["test"], values=True), "keys": r["keys"]} for r in s.rows]} for s in searches],
            "best": {"model": winner.model, **{f: _plain(winner.best[f]) for f in winner.sweep.fields},
                     "key": best.key()}, "result": summary}, out)
    for s in searches:
        width = max(len(r["cell"]) for r in s.rows)
        out.write(f"{s.model}: {s.sweep.describe()}\n")
        for r in s.rows:
            mark = "  <- best on validation" if r is winner.best else ""
            out.write(f"  {r['cell']:<{width}}  valid MSE {r['valid'].text(5):>20}  test MSE {r['test'].text(5):>20}"
                      f"{mark}\n")
    verdict = "better than" if test["mae"] < naive["mae"] else "no better than"
    out.write(f"best       {winner.model}, {winner.best['cell']} (lowest mean validation MSE over its seeds)\n"
              f"test       MAE {test['mae']:.5g}  MASE {_number(test, 'mase', '.4f')}: {verdict} the naive forecast "
              f"(MAE {naive['mae']:.5g})\n")
    out.writelines(line + "\n" for line in _future_lines(summary.get("future")))
    return 0


# --------------------------------------------------------------------------------------------------
# Parser
# --------------------------------------------------------------------------------------------------
def add_commands(sub: argparse._SubParsersAction) -> None:
    """The training commands, each with its options (an experiment's options come from the field table)."""
    p_list = sub.add_parser("list", help="list the models, their descriptions and forecast modes")
    p_list.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p_list.set_defaults(func=cmd_list)

    p_data = sub.add_parser("datasets", help="list the bundled real series")
    p_data.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p_data.set_defaults(func=cmd_datasets)

    p_train = sub.add_parser("train", help="train one model (or show its stored result)")
    add_experiment_options(p_train)
    p_train.add_argument("--json", action="store_true", help="print the result as JSON (with the forecast past "
                                                            "the end of a real series)")
    p_train.add_argument("--levels", default=",".join(map(str, intervals.DEFAULT_LEVELS)), metavar="L1,L2",
                         help="on a real series, the prediction intervals' levels in percent (conformal, from the "
                              f"validation errors, then the test errors as known); allowed {', '.join(map(str, intervals.LEVELS))}; default "
                              f"%(default)s")
    p_train.add_argument("--force", action="store_true", help="train again even if the result is stored")
    p_train.add_argument("--no-yardsticks", action="store_true",
                         help="on a real series, do not also fit the naive, seasonal-naive, ETS, ARIMA and Theta "
                              "forecasts on the same windows (they are fitted and stored by default)")
    p_train.add_argument("--no-final", action="store_true",
                         help="on a real series, do not also train the final model (the same settings on all the "
                              "data, after this one), whose forecast past the end is shown by default")
    p_train.add_argument("--estimate", action="store_true",
                         help="only say how long the training would take on this instance, without training")
    p_train.add_argument("--repeats", nargs="?", const=str(sweeps.REPEATS.default), default=None, metavar="N",
                         help=f"{sweeps.REPEATS.help} Trains on the cluster, in parallel; "
                              f"N defaults to {sweeps.REPEATS.default}, allowed {sweeps.REPEATS.allowed(config.limits())}")
    p_train.set_defaults(func=cmd_train)

    p_sweep = sub.add_parser("sweep", help="train a grid of settings (each with repeats) on the cluster, in parallel")
    add_experiment_options(p_sweep)
    p_sweep.add_argument("--grid", action="append", required=True, metavar="FIELD=V1,V2",
                         help="a field and its values, e.g. units=5,10,20 (a list field's values are separated by |: "
                              "dilations=1,2,4|1,2,4,8); repeat --grid for more fields (at most "
                              f"{sweeps.MAX_SWEEP_FIELDS})")
    p_sweep.add_argument("--repeats", default=str(sweeps.REPEATS.default), metavar="N",
                         help=f"{sweeps.REPEATS.help} Default {sweeps.REPEATS.default}, allowed "
                              f"{sweeps.REPEATS.allowed(config.limits())}")
    p_sweep.add_argument("--sample", default=None, metavar="K", help=f"{sweeps.SAMPLE.help} Allowed "
                                                                     f"{sweeps.SAMPLE.allowed(config.limits())}")
    p_sweep.add_argument("--json", action="store_true", help="print the sweep's cells as JSON")
    p_sweep.set_defaults(func=cmd_sweep)

    p_auto = sub.add_parser("auto", help="find a good model for a real series: scaling, input length and size searched "
                                         "with a few seeds, chosen on validation, then the final model")
    add_experiment_options(p_auto)
    p_auto.add_argument("--seeds", default=str(auto.SEEDS), metavar="N",
                        help=f"seeds per configuration (default {auto.SEEDS}, allowed "
                             f"{sweeps.REPEATS.allowed(config.limits())})")
    p_auto.add_argument("--configurations", default=str(auto.CONFIGURATIONS), metavar="K",
                        help=f"most configurations tried per model, a fixed random sample of the grid beyond it "
                             f"(default {auto.CONFIGURATIONS})")
    p_auto.add_argument("--no-final", action="store_true", help="do not train the best configuration's final model "
                                                                 "(on all the data, for the forecast past the end)")
    p_auto.add_argument("--json", action="store_true", help="print every configuration and the best as JSON")
    p_auto.set_defaults(func=cmd_auto)
