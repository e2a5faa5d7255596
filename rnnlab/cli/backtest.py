"""``backtest``: a rolling-origin backtest of one model on a real series, each fold beside its yardsticks.

Each fold is an ordinary run (its own key); each fold's naive, seasonal-naive, ETS, ARIMA and Theta forecasts are
fitted on that fold's windows and stored like any run. With ``--scheduler`` the folds and their yardsticks go to
the cluster as one batch, so the workers run them side by side. The report gives, per fold and as the mean over
the folds, the model's test MAE and MASE beside the naive, seasonal-naive and best classical forecasts (the best
chosen on validation MAE, never on test), and says so in words when the model loses.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, TextIO

from rnnlab import config
from rnnlab.cli.options import CliError, add_experiment_options, experiment_from_args, write_json
from rnnlab.cli.running import Trained, train_all
from rnnlab.cli.train import _yardstick
from rnnlab.forecasting import folds, yardsticks


def _backtest_runs(networks: list[config.Experiment], args: argparse.Namespace
                   ) -> tuple[list[Trained], list[dict[str, dict[str, Any]]]]:
    """The folds' runs and each fold's yardsticks (``{model: _yardstick(...)}``, or ``{model: {"error": why}}`` for
    one that could not be fitted: the folds' results stand). On a cluster the folds and their yardsticks go as one
    batch, so the workers run them side by side; here, the yardsticks one at a time after the folds."""
    sticks = [[] if args.no_yardsticks else yardsticks.others(e)
              for e in networks]
    flat = [y for fold in sticks for y in fold]
    if flat:
        sys.stderr.write(f"yardsticks: {', '.join(y.model.name for y in sticks[0])} on each fold's windows\n")
    results: list[Trained] | None = None
    if args.scheduler and flat:
        try:
            results = train_all(networks + flat, args)
        except CliError as exc:  # the finished ones are stored; below, each alone, so one failure stops no other
            sys.stderr.write(f"{exc}\nretrying one at a time\n")
    if results is None:
        results = train_all(networks, args) + [_fit_alone(y, args) for y in flat]
    found = {y.key(): summary for y, (summary, _) in zip(flat, results[len(networks):])}
    per_fold: list[dict[str, dict[str, Any]]] = []
    for exp, (summary, _) in zip(networks, results):
        runs = {**found, exp.key(): summary}  # a yardstick backtested on its own is its own yardstick
        per_fold.append({} if args.no_yardsticks else {
            y.model.name: runs[y.key()] if "error" in runs[y.key()] else _yardstick(runs[y.key()])
            for y in yardsticks.experiments(exp)})
    return results[:len(networks)], per_fold


def _fit_alone(experiment: config.Experiment, args: argparse.Namespace) -> Trained:
    """``experiment``'s result, or ``({"error": why}, False)`` when it cannot be fitted."""
    try:
        return train_all([experiment], args)[0]
    except CliError as exc:
        return {"error": str(exc)}, False


def _figure(value: float | None, width: int, digits: str = ".5g") -> str:
    return f"{'–' if value is None else format(value, digits):>{width}}"


def _backtest_lines(rows: list[folds.FoldRow], mean: folds.FoldRow, fold_runs: list[dict[str, Any]]) -> list[str]:
    """The table of the folds and their mean: the network's test MAE and MASE beside the naive, seasonal-naive and
    best classical forecasts' (the best chosen on each fold's validation MAE; for the mean, on the mean's)."""
    lines = [f"{'fold':>4}  {'test MAE':>10} {'MASE':>6}  {'naive':>10} {'MASE':>6}  {'seasonal':>10} {'MASE':>6}  "
             f"{'best classical (chosen on validation)':<38} {'MASE':>6}  run",
             f"{'':>4}  {'(' + rows[0].network + ')':>10}"]
    for row in [*rows, mean]:
        cells = []
        for name in (row.network, "naive", "seasonal_naive"):
            cells.append(_figure(row.figure(name, "test", "mae"), 10) + " " +
                         _figure(row.figure(name, "test", "mase"), 6, ".3f"))
        best = row.best_classical
        best_text = (f"{yardsticks.LABELS.get(best, best)} {row.figure(best, 'test', 'mae'):.5g}"
                     if best and row.figure(best, "test", "mae") is not None else "–")
        best_mase = _figure(row.figure(best, "test", "mase"), 6, ".3f") if best else _figure(None, 6)
        run = fold_runs[row.fold - 1] if row.fold is not None else None
        run_text = f"{run['key'][:12]}{' (cached)' if run['cached'] else ''}" if run else ""
        lines.append(f"{row.fold if row.fold is not None else 'mean':>4}  {'  '.join(cells)}  {best_text:<38} "
                     f"{best_mase}  {run_text}".rstrip())
    return lines


def cmd_backtest(args: argparse.Namespace, out: TextIO) -> int:
    """Train one experiment on each fold of a rolling-origin backtest, with each fold's yardsticks (unless
    --no-yardsticks), and report each fold's and the mean test error beside them, and the words when it loses."""
    if args.fold is not None:
        raise CliError("--fold picks one fold of a backtest for train; backtest trains them all (--folds K)")
    folds_field = config.FIELDS["folds"]
    n_folds = folds_field.check(folds_field.parse(args.folds or "3"), config.limits())
    experiments = experiment_from_args(args, skip=("folds",)).backtest(n_folds)
    results, fold_sticks = _backtest_runs(experiments, args)
    name = experiments[0].model.name
    # the naive forecast's scores come with every run (the same windows): shown even with --no-yardsticks
    scored = [{"naive": s["naive_metrics"], **{n: y for n, y in f.items() if "error" not in y}}
              for (s, _), f in zip(results, fold_sticks)]
    table, mean = folds.table(name, [s["metrics"] for s, _ in results], scored)
    verdict = folds.verdict(mean, experiments[0].model.entry.display_name)
    rows = []
    for exp, (summary, cached), sticks, row in zip(experiments, results, fold_sticks, table):
        test, naive = summary["metrics"]["test"], summary["naive_metrics"]["test"]
        seasonal = summary.get("baselines", {}).get("test", {}).get("seasonal_naive", {})
        rows.append({"fold": exp.series.fold, "key": summary["key"], "cached": cached, "test_mse": test["mse"],
                     "test_mae": test["mae"], "test_mase": test.get("mase"),
                     "valid_mae": summary["metrics"]["valid"].get("mae"), "naive_test_mse": naive["mse"],
                     "seasonal_naive_test_mse": seasonal.get("mse"), "best_classical": row.best_classical,
                     **({"yardsticks": sticks} if sticks else {})})
    mean_mse = sum(r["test_mse"] for r in rows) / len(rows)
    spec = experiments[0].series
    holdout = folds.holdout_text(spec.train_fraction, spec.valid_fraction)
    if args.json:
        return write_json({"experiment": experiments[0].to_dict(), "folds": rows, "mean_test_mse": mean_mse,
                           "mean": mean.to_json(),
                           "verdict": verdict, "holdout": holdout}, out)
    out.write(f"backtest   {experiments[0].describe()}, {len(rows)} folds (expanding window)\n"
              f"holdout    {holdout}\n")
    out.write("\n".join(_backtest_lines(table, mean, rows)) + "\n")
    out.write(f"mean test MSE {mean_mse:.6g}\n")
    for fold, sticks in zip(rows, fold_sticks):
        for stick_name, stick in sticks.items():
            if "error" in stick:
                out.write(f"fold {fold['fold']}: {yardsticks.LABELS.get(stick_name, stick_name)} could not be "
                          f"fitted: {stick['error']}\n")
    if verdict:
        out.write(verdict + "\n")
    return 0


def add_commands(sub: argparse._SubParsersAction) -> None:
    """The ``backtest`` command and its options (an experiment's options come from the field table)."""
    p_back = sub.add_parser("backtest", help="rolling-origin backtest of one model on a real series")
    add_experiment_options(p_back)
    p_back.add_argument("--json", action="store_true", help="print the folds (with their yardsticks) as JSON")
    p_back.add_argument("--no-yardsticks", action="store_true",
                        help="do not also fit each fold's naive, seasonal-naive, ETS, ARIMA and Theta forecasts on "
                             "its windows (they are fitted and stored by default)")
    p_back.set_defaults(func=cmd_backtest)
