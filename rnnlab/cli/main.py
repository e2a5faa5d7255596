"""Command line: ``python -m rnnlab list | train | sweep | backtest | reproduce | bench | ...``.

``train`` goes through the run store: a second identical call prints the stored result, says it was cached
and never imports TensorFlow. Long work reports progress on stderr; results go to stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Sequence, TextIO

from rnnlab import config

from rnnlab.reports import beat_the_book as beatbook

from rnnlab.reports import bench_estimates as costbench

from rnnlab.jobs import costs

from rnnlab.lessons import guide as lessons

from rnnlab.reports import bench_workers as speed

from rnnlab.jobs import sweeps

from rnnlab.training import fit as training
from rnnlab.reports.bench_options import bench
from rnnlab.jobs.manager import Job, JobError, JobManager
from rnnlab.models.registry import REGISTRY
from rnnlab.errors import SeriesError
from rnnlab.jobs.progress import Progress
from rnnlab.reports.real_series import real_series
from rnnlab.reports.reproduce import reproduce
from rnnlab.store.runs import RunSummary, Spread
from rnnlab.series import catalog, csvfile, prepare
from rnnlab.store.runstore import RunStore


class CliError(Exception):
    """A problem with the command line the user can fix; printed without a traceback, exit status 2."""


# --------------------------------------------------------------------------------------------------
# Commands
# --------------------------------------------------------------------------------------------------
def cmd_list(args: argparse.Namespace, out: TextIO) -> int:
    rows = []
    for entry in REGISTRY.values():
        params = "-"
        if entry.trainable:
            params = f"{entry.count_params(config.Experiment.book(entry.name)):,}"
        rows.append({"name": entry.name, "display_name": entry.display_name, "modes": list(entry.modes),
                     "book_mode": entry.book_mode, "book_params": params, "description": entry.description})
    if args.json:
        json.dump(rows, out, indent=1)
        out.write("\n")
        return 0
    out.write(f"{'model':<16} {'modes':<38} {'params':>7}  description\n")
    for row in rows:
        modes = ", ".join(row["modes"])
        out.write(f"{row['name']:<16} {modes:<38} {row['book_params']:>7}  {row['description']}\n")
    return 0


def _upload(args: argparse.Namespace) -> str:
    """Read ``--data FILE.csv`` into the store (as the operator's own series) and return its data id."""
    path = Path(args.data)
    if not path.is_file():
        raise CliError(f"--data {args.data}: no such file")
    try:
        prepared, _, (time_col, value_col) = csvfile.read_series(
            path.read_bytes(), name=path.name, time_col=args.time_col, value_col=args.value_col,
            dayfirst=args.dayfirst, irregular=args.irregular, resample_to=args.resample_to,
            duplicates=args.duplicates)
    except SeriesError as exc:
        raise CliError(f"{path.name}: {exc}") from None
    data_id = catalog.save_upload(prepared, owner="cli", filename=path.name)
    report = prepared.report
    sys.stderr.write(f"data: {path.name}: {value_col!r} over {time_col!r} " if time_col else
                     f"data: {path.name}: {value_col!r} in row order ")
    sys.stderr.write(f"-> {len(prepared):,} {prepared.step} values, {report['missing']:,} missing "
                     f"(longest gap {report['longest_gap']}), stored as {data_id}\n")
    for note in report.get("notes", []):
        sys.stderr.write(f"note: {note}\n")
    return data_id


def _experiment_from_args(args: argparse.Namespace, skip: tuple[str, ...] = ()) -> config.Experiment:
    """The experiment the options describe (strict: a bad value is an error); book settings the operator's
    limits lower are said once on stderr. Fields in ``skip`` are left to the caller."""
    flat: dict[str, Any] = {"model": args.model}
    if getattr(args, "data", None):
        if args.dataset:
            raise CliError("give either --dataset NAME or --data FILE.csv, not both")
        flat["data"] = _upload(args)
    for field in config.FIELDS.values():
        value = getattr(args, field.name if field.name != "data" else "dataset", None)
        if field.name != "model" and field.name not in skip and value is not None:
            flat[field.name] = value
    try:
        parsed = config.parse_flat(flat, strict=True)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    for note in parsed.clamped:
        sys.stderr.write(f"note: {note}\n")
    return parsed.experiment


def _summary_lines(summary: dict[str, Any], cached: bool) -> list[str]:
    exp = config.stored_experiment(summary["experiment"])
    valid, test = summary["metrics"]["valid"], summary["metrics"]["test"]
    naive = summary["naive_metrics"]["valid"]["mse"]
    lines = [
        f"run        {summary['key'][:16]}  ({'cached: stored result, not retrained' if cached else 'trained now'})",
        f"experiment {exp.describe()}",
    ]
    if exp.series.real:
        info = catalog.info(exp.series.data)
        lines.append(f"data       {info.title} ({exp.series.data}), {info.points:,} {info.step} values")
    lines += [
        f"parameters {summary['params_total']:,}",
        f"valid      MSE {valid['mse']:.6g}  MAE {valid['mae']:.6g}  RMSE {valid['rmse']:.6g}  MASE {valid['mase']:.4f}",
        f"test       MSE {test['mse']:.6g}  MAE {test['mae']:.6g}  RMSE {test['rmse']:.6g}  MASE {test['mase']:.4f}",
        f"naive      MSE {naive:.6g} (validation)",
    ]
    seasonal = summary.get("baselines", {}).get("valid", {}).get("seasonal_naive")
    if seasonal:
        lines.append(f"seasonal   MSE {seasonal['mse']:.6g} (validation, season {exp.series.season}; "
                     f"{seasonal['windows']} of {seasonal['of']} windows reach back a season)")
    lines.append("MASE       " + ("scaled by the in-sample naive error (the training period's mean change)"
                                  if exp.series.real else "relative to the naive forecast on the same series"))
    if summary["history"]:
        lines.append(f"training   {len(summary['history'])} epochs in {summary['train_seconds']:.1f}s")
    for split, steps in summary.get("mse_per_step", {}).items():
        if split == "valid":
            lines.append("per step   " + " ".join(f"{v:.4g}" for v in steps))
    future = summary.get("future")
    if future:
        values = ", ".join(f"{t} {v:.5g}" for t, v in zip(future["time"], future["value"]))
        lines.append(f"forecast   after {future['last_time']}: {values}")
    return lines


def _train_all(experiments: list[config.Experiment], args: argparse.Namespace) -> list[tuple[dict[str, Any], bool]]:
    """Each experiment's result summary and whether it came from the store: stored ones are not retrained
    (unless --force); the others train here one after the other, or on --scheduler's cluster all at once."""
    store = RunStore(args.home)
    found: dict[int, tuple[dict[str, Any], bool]] = {}
    todo = []
    for i, experiment in enumerate(experiments):
        cached = None if getattr(args, "force", False) else store.get(experiment.key())
        if cached is not None:
            sys.stderr.write(f"cached: {experiment.describe()} was trained before ({cached.created}); "
                             "showing the stored result\n")
            found[i] = (cached.summary(), True)
        else:
            todo.append(i)
    if todo and args.scheduler:
        for i, summary in zip(todo, _train_via_manager([experiments[i] for i in todo], args.scheduler, args.home)):
            found[i] = (summary, False)
    for i in [] if args.scheduler else todo:
        experiment = experiments[i]
        progress = Progress(prefix=f"{experiment.model.name}: ")

        def on_epoch(info: dict[str, Any], progress: Progress = progress) -> None:
            progress.update(info["epoch"], info["epochs"],
                            f"loss {info['loss']:.5f} val_loss {info['val_loss']:.5f}")

        try:
            result = training.run(experiment, on_epoch=on_epoch)
        except training.TrainingFailed as exc:
            raise CliError(f"training failed: {exc}") from None
        store.put(result)
        found[i] = (result.summary(), False)
    return [found[i] for i in range(len(experiments))]


def _estimate_lines(experiment: config.Experiment) -> tuple[costs.Estimate, list[str]]:
    estimate = costs.estimate(experiment)
    where = ("measured on this instance" if estimate.calibrated else
             "from the shipped two-core figures: run `python -m rnnlab calibrate` to measure this instance")
    lines = [f"estimate   {estimate.text()} on one worker ({costs.seconds_text(estimate.per_epoch)} per epoch, the "
             f"first {costs.seconds_text(estimate.first_epoch)} with compilation; {where})"]
    return estimate, lines


def cmd_train(args: argparse.Namespace, out: TextIO) -> int:
    experiment = _experiment_from_args(args)
    if args.estimate:
        estimate, lines = _estimate_lines(experiment)
        if args.json:
            json.dump({"experiment": experiment.to_dict(), "key": experiment.key(), "seconds": estimate.total,
                       "seconds_per_epoch": estimate.per_epoch, "first_epoch_seconds": estimate.first_epoch,
                       "calibrated": estimate.calibrated}, out, indent=1)
            out.write("\n")
        else:
            out.write(f"experiment {experiment.describe()}\n" + "\n".join(lines) + "\n")
        return 0
    if args.repeats is not None:
        return _train_repeats(experiment, args, out)
    [(summary, cached)] = _train_all([experiment], args)
    if args.json:
        json.dump({**summary, "cached": cached}, out, indent=1)
        out.write("\n")
    else:
        out.write("\n".join(_summary_lines(summary, cached)) + "\n")
    return 0


def _train_repeats(experiment: config.Experiment, args: argparse.Namespace, out: TextIO) -> int:
    """Train ``experiment`` with --repeats seeds on the cluster and report each seed and the mean and spread."""
    n = _checked(sweeps.REPEATS, args.repeats)
    experiments = sweeps.repeats(experiment, n)
    results = _run_batch(experiments, args)
    valid = Spread(tuple(s["metrics"]["valid"]["mse"] for s, _ in results))
    test = Spread(tuple(s["metrics"]["test"]["mse"] for s, _ in results))
    if args.json:
        json.dump({"experiment": experiment.to_dict(), "seeds": [e.train.seed for e in experiments],
                   "runs": [{"seed": e.train.seed, "key": s["key"], "cached": c, "valid_mse": s["metrics"]["valid"]["mse"],
                             "test_mse": s["metrics"]["test"]["mse"]} for e, (s, c) in zip(experiments, results)],
                   "valid_mse": {"mean": valid.mean, "std": valid.std, "min": valid.low, "max": valid.high},
                   "test_mse": {"mean": test.mean, "std": test.std, "min": test.low, "max": test.high}}, out, indent=1)
        out.write("\n")
        return 0
    out.write(f"repeats    {experiment.describe()}, {n} training seeds\n")
    out.write(f"{'seed':>6}  {'valid MSE':>11}  {'test MSE':>11}  run\n")
    for e, (s, cached) in zip(experiments, results):
        out.write(f"{e.train.seed:>6}  {s['metrics']['valid']['mse']:>11.6f}  {s['metrics']['test']['mse']:>11.6f}  "
                  f"{s['key'][:12]}{' (cached)' if cached else ''}\n")
    out.write(f"mean ± sd  valid {valid.text(6)}  test {test.text(6)}\n")
    return 0


def _checked(field: config.Field, raw: Any) -> Any:
    try:
        return field.check(field.parse(raw), config.limits())
    except ValueError as exc:
        raise CliError(f"--{field.name}: {exc}") from None


def _run_batch(experiments: list[config.Experiment], args: argparse.Namespace,
               manager: JobManager | None = None) -> list[tuple[dict[str, Any], bool]]:
    """Train ``experiments`` as one request on the job manager (the embedded cluster, or --scheduler's), in
    parallel up to its workers; the store answers those trained before. Each summary, and whether it was stored.
    Ctrl-C cancels the request's trainings."""
    own = manager is None
    manager = manager or JobManager(scheduler=getattr(args, "scheduler", None), store=RunStore(args.home))
    owner = "cli"
    try:
        try:
            jobs = manager.submit_batch(experiments, owner=owner)
        except JobError as exc:
            raise CliError(str(exc)) from None
        unique = {j.key: j for j in jobs}
        todo = [j for j in unique.values() if not j.finished]  # the rest came from the store
        stored = len(experiments) - len(todo)
        sys.stderr.write(f"{len(experiments)} trainings: {stored} from the store, {len(todo)} to train"
                         + (f" on {manager.settings.worker_count() if not manager.settings.scheduler else 'the'} "
                            "workers\n" if todo else "\n"))
        if todo:
            _wait(todo, manager)
        failed = [j for j in unique.values() if j.state != "done"]
        if failed:
            raise CliError(f"{len(failed)} of {len(unique)} trainings did not finish: "
                           + "; ".join(f"{j.experiment.describe()}: {j.state} {j.error or ''}".strip() for j in failed[:3]))
        trained = {j.key for j in todo}
        return [(j.result().summary(), j.key not in trained) for j in jobs]
    except KeyboardInterrupt:
        stopped = manager.cancel_batch([j.key for j in experiments_jobs(manager, experiments)], owner)
        sys.stderr.write(f"cancelled {stopped} trainings\n")
        raise
    finally:
        if own:
            manager.close()


def experiments_jobs(manager: JobManager, experiments: list[config.Experiment]) -> list[Job]:
    return [j for j in (manager.get(e.key()) for e in experiments) if j is not None]


def _wait(jobs: list[Job], manager: JobManager) -> None:
    """Wait for ``jobs`` with one progress line: trainings done, running, queued, and epochs."""
    progress = Progress(prefix="trainings ")
    total = sum(j.experiment.train.epochs for j in jobs)
    shown = None
    while True:
        states = [j.state for j in jobs]
        epochs = sum(j.experiment.train.epochs if j.finished else j.progress()["epoch"] for j in jobs)
        done = sum(s in ("done", "failed", "cancelled") for s in states)
        now = (done, epochs)
        if now != shown:
            shown = now
            progress.update(epochs, total, f"epochs; {done}/{len(jobs)} done, {states.count('running')} running, "
                                           f"{states.count('queued')} queued")
        if done == len(jobs):
            return
        time.sleep(0.3)


def cmd_sweep(args: argparse.Namespace, out: TextIO) -> int:
    """Train a grid of values of some fields (and repeats of each) as one batch and tabulate the results."""
    base = _experiment_from_args(args, skip=tuple(g.partition("=")[0].strip().replace("-", "_") for g in args.grid))
    try:
        grid = sweeps.parse_grid(base, args.grid)
        sweep = sweeps.Sweep.make(base, grid, repeats=_checked(sweeps.REPEATS, args.repeats),
                                  sample=_checked(sweeps.SAMPLE, args.sample or 0))
        experiments = sweep.experiments()
    except ValueError as exc:
        raise CliError(str(exc)) from None
    sys.stderr.write(f"sweep: {sweep.describe()}\n")
    results = _run_batch(experiments, args)
    by_key = {s["key"]: RunSummary.from_json(s) for s, _ in results}
    cached = {s["key"] for s, c in results if c}
    rows = sweeps.cell_rows(sweep, by_key)
    best = sweeps.best_row(rows)
    if args.json:
        json.dump({"sweep": sweep.to_dict(), "trainings": len(experiments), "trained": len(experiments) - len(cached),
                   "from_store": len(cached),
                   "cells": [{**{f: _plain(r[f]) for f in sweep.fields}, "valid_mse": _spread(r["valid"]),
                              "test_mse": _spread(r["test"]), "keys": r["keys"]} for r in rows],
                   "best": {f: _plain(best[f]) for f in sweep.fields} if best else None}, out, indent=1)
        out.write("\n")
        return 0
    width = max(len(r["cell"]) for r in rows)
    out.write(f"sweep      {sweep.describe()}\n")
    out.write(f"trained    {len(experiments) - len(cached)}, from the store {len(cached)}\n")
    out.write(f"{'configuration':<{width}}  {'seeds':>5}  {'valid MSE (mean ± sd)':>24}  {'test MSE (mean ± sd)':>24}\n")
    for r in rows:
        mark = "  <- best" if r is best else ""
        out.write(f"{r['cell']:<{width}}  {r['done']:>5}  {r['valid'].text(6):>24}  {r['test'].text(6):>24}{mark}\n")
    return 0


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def _spread(spread: Spread) -> dict[str, Any]:
    return {"mean": spread.mean, "std": spread.std, "min": spread.low, "max": spread.high, "values": list(spread.values)}


def cmd_beat_the_book(args: argparse.Namespace, out: TextIO) -> int:
    """Sweep for configurations 20% better than the book's best figures and confirm them with five seeds."""
    manager = JobManager(beatbook._settings(), scheduler=args.scheduler, store=RunStore(args.home))
    try:
        report, data = beatbook.run(manager=manager, quick=args.quick)
    except RuntimeError as exc:
        raise CliError(str(exc)) from None
    finally:
        manager.close()
    if not args.quick:  # the lessons' last step shows the full run's winners
        sys.stderr.write(f"wrote {beatbook.save_results(data)}\n")
    return _report(report, args, out)


def _report(text: str, args: argparse.Namespace, out: TextIO) -> int:
    """Print a markdown report, and write it to ``--output`` too when given."""
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        sys.stderr.write(f"wrote {args.output}\n")
    out.write(text)
    return 0


def cmd_calibrate(args: argparse.Namespace, out: TextIO) -> int:
    """Measure this instance's workers for the cost estimates (two short trainings per model family)."""
    with tempfile.TemporaryDirectory(prefix="rnnlab-calibrate-") as scratch, \
            costbench._fresh_compile_cache(scratch):  # the embedded workers compile for the first time
        return _calibrate(args, out)


def _calibrate(args: argparse.Namespace, out: TextIO) -> int:
    manager = JobManager(scheduler=args.scheduler, store=RunStore(args.home))
    try:
        jobs = manager.calibrate(force=True)
        sys.stderr.write(f"calibrate: {len(jobs)} short trainings on the workers\n")
        _wait(jobs, manager)
        failed = [j for j in jobs if j.state != "done"]
        if failed:
            raise CliError(f"{len(failed)} calibration trainings did not finish: {failed[0].error}")
        families = costs.fit([j.result() for j in jobs])
    finally:
        manager.close()
    path = costs.save(families, path=costs.DEFAULTS_FILE if args.shipped else None)
    out.write(f"{'family':<16} {'s per 1e9 ops':>13} {'us per step':>11} {'compile s':>9} {'around s':>8}\n")
    for name, c in families.items():
        out.write(f"{name:<16} {c['a'] * 1e9:>13.3f} {c['b'] * 1e6:>11.2f} {c['compile']:>9.2f} {c['post']:>8.2f}\n")
    out.write(f"wrote {path}\n")
    return 0


def cmd_backtest(args: argparse.Namespace, out: TextIO) -> int:
    """Train one experiment on each fold of a rolling-origin backtest and report each fold's test error."""
    if args.fold is not None:
        raise CliError("--fold picks one fold of a backtest for train; backtest trains them all (--folds K)")
    folds_field = config.FIELDS["folds"]
    try:
        folds = folds_field.check(folds_field.parse(args.folds or "3"), config.limits())
        experiments = _experiment_from_args(args, skip=("folds",)).backtest(folds)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    results = _train_all(experiments, args)
    rows = []
    for exp, (summary, cached) in zip(experiments, results):
        test, naive = summary["metrics"]["test"], summary["naive_metrics"]["test"]
        seasonal = summary.get("baselines", {}).get("test", {}).get("seasonal_naive", {})
        rows.append({"fold": exp.series.fold, "key": summary["key"], "cached": cached, "test_mse": test["mse"],
                     "test_mae": test["mae"], "naive_test_mse": naive["mse"],
                     "seasonal_naive_test_mse": seasonal.get("mse")})
    mean = sum(r["test_mse"] for r in rows) / len(rows)
    if args.json:
        json.dump({"experiment": experiments[0].to_dict(), "folds": rows, "mean_test_mse": mean}, out, indent=1)
        out.write("\n")
        return 0
    out.write(f"backtest   {experiments[0].describe()}, {len(rows)} folds (expanding window)\n")
    out.write(f"{'fold':>4}  {'test MSE':>12}  {'naive':>12}  {'seasonal naive':>14}  run\n")
    for r in rows:
        seasonal = "-" if r["seasonal_naive_test_mse"] is None else f"{r['seasonal_naive_test_mse']:.6g}"
        out.write(f"{r['fold']:>4}  {r['test_mse']:>12.6g}  {r['naive_test_mse']:>12.6g}  {seasonal:>14}  "
                  f"{r['key'][:12]}{' (cached)' if r['cached'] else ''}\n")
    out.write(f"mean  {mean:>12.6g}\n")
    return 0


def cmd_real_series(args: argparse.Namespace, out: TextIO) -> int:
    """Train the linear model, a GRU and an LSTM on every bundled series and compare them with the baselines."""
    table = real_series(epochs=args.epochs, n_steps=args.n_steps, only=args.only, store=RunStore(args.home))
    return _report(table, args, out)


def cmd_datasets(args: argparse.Namespace, out: TextIO) -> int:
    """The bundled real series: what they are, where they come from, what each teaches."""
    rows = []
    for name in catalog.bundled_names():
        meta, info = catalog.bundled_meta(name), catalog.info(name)
        rows.append({"name": name, "title": meta["title"], "points": info.points, "step": meta["step"],
                     "season": meta["season"], "unit": meta["unit"], "source": meta["source"],
                     "licence": meta["licence"], "teaches": meta["teaches"]})
    if args.json:
        json.dump(rows, out, indent=1)
        out.write("\n")
        return 0
    out.write(f"{'name':<18} {'points':>6}  {'step':<15} {'season':>6}  title\n")
    for row in rows:
        out.write(f"{row['name']:<18} {row['points']:>6}  {row['step']:<15} {row['season']:>6}  {row['title']} "
                  f"({row['licence']})\n")
    out.write("\ntrain on one with: python -m rnnlab train MODEL --dataset NAME\n")
    return 0


def _train_via_manager(experiments: list[config.Experiment], scheduler: str,
                       home: str | None) -> list[dict[str, Any]]:
    """Train through the Dask job manager (another cluster's workers), all at once, and wait for the results."""
    manager = JobManager(scheduler=scheduler, store=RunStore(home))
    try:
        jobs = [manager.submit(experiment, owner=f"cli-{i}") for i, experiment in enumerate(experiments)]
        progress = Progress(prefix=f"{experiments[0].model.name}: ")
        total = sum(job.experiment.train.epochs for job in jobs)
        shown = 0
        while not all(job.finished for job in jobs):
            done = sum(job.progress()["epoch"] for job in jobs)
            if done > shown:
                shown = done
                progress.update(shown, total)
            time.sleep(0.5)
        for job in jobs:
            if job.state != "done":
                raise CliError(f"training {job.state}: {job.error or ''}".strip())
        return [job.result().summary() for job in jobs]
    except JobError as exc:
        raise CliError(str(exc)) from None
    finally:
        manager.close()


def cmd_reproduce(args: argparse.Namespace, out: TextIO) -> int:
    table = reproduce(quick=args.quick, epochs=args.epochs, store=RunStore(args.home), only=args.only,
                      skip_book=args.skip_book)
    return _report(table, args, out)


def cmd_warm(args: argparse.Namespace, out: TextIO) -> int:
    """Train every lesson run that is not in the store yet (idempotent; an interrupted warm resumes)."""
    try:
        scale = args.scale or lessons.lesson_scale()
        experiments = lessons.lesson_experiments(scale)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    store = RunStore(args.home)
    missing = [exp for exp in experiments if not store.has(exp.key())]
    sys.stderr.write(f"warm: {len(experiments)} lesson runs at scale {scale!r}, {len(experiments) - len(missing)} "
                     f"already stored, {len(missing)} to train\n")
    if missing:
        overall = Progress(prefix="warm ")
        for i, exp in enumerate(missing):
            progress = Progress(prefix=f"  [{i + 1}/{len(missing)}] {exp.model.name} {exp.model.mode}: ")
            result = training.run(exp, on_epoch=lambda info: progress.update(info["epoch"], info["epochs"]))
            store.put(result)
            overall.update(i + 1, len(missing), f"{exp.model.name} {exp.model.mode} val MSE {result.val_mse:.5f}")
    out.write(f"warm: trained {len(missing)}, already stored {len(experiments) - len(missing)}, "
              f"lesson runs {len(experiments)} ({scale})\n")
    return 0


def cmd_bench(args: argparse.Namespace, out: TextIO) -> int:
    if args.epochs < 2:
        raise CliError(f"--epochs={args.epochs}: at least 2 are needed (the first epoch includes compilation)")
    if args.burst is not None and not 1 <= args.burst <= 200:
        raise CliError(f"--burst={args.burst}: allowed 1 to 200 trainings")
    try:
        if args.estimates:
            table = costbench.run()
        elif args.burst is not None:
            table = speed.burst(args.burst)
        elif args.first_epoch:
            table = speed.first_epochs(n_series=args.n_series, only=args.only)
        elif args.compare == "backend":
            table = speed.compare_backends(epochs=args.epochs, n_series=args.n_series, only=args.only)
        else:
            table = bench(epochs=args.epochs, n_series=args.n_series, only=args.only, compare=args.compare)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    return _report(table, args, out)


# --------------------------------------------------------------------------------------------------
# Parser
# --------------------------------------------------------------------------------------------------
def field_help(field: config.Field) -> str:
    """A field's help on the command line: what it is, what is allowed on this instance, the book's value."""
    allowed = field.allowed(config.limits())
    return f"{field.help_for()}; allowed {allowed}" if field.kind != "choice" else f"{field.help} ({allowed})"


def _experiment_options(parser: argparse.ArgumentParser) -> None:
    """A model and every field of the table as an option, plus --data FILE.csv and how to read it."""
    parser.add_argument("model", help=f"one of: {', '.join(REGISTRY)}")
    for field in config.FIELDS.values():
        if field.name == "model":
            continue
        # Values are kept as text and parsed by the field table, so the CLI and links share one validator.
        dest = "dataset" if field.name == "data" else field.name
        parser.add_argument(field.flag, dest=dest, metavar=field.name.upper(), help=field_help(field))
    parser.add_argument("--data", metavar="FILE.csv", help="your own series: a CSV file with a value column and, "
                                                          "optionally, a time column")
    parser.add_argument("--time-col", help="the time column of --data (guessed when left out; 'none': row order)")
    parser.add_argument("--value-col", help="the value column of --data (guessed when left out)")
    parser.add_argument("--dayfirst", action="store_true", default=None,
                        help="dates are day first (13/02/2020); guessed from the dates when left out")
    parser.add_argument("--irregular", choices=prepare.IRREGULAR, default="grid",
                        help="grid: gaps become missing values (default); resample: average over --resample-to; "
                             "rows: ignore the times")
    parser.add_argument("--resample-to", choices=tuple(prepare.GRIDS), help="the coarser step for --irregular "
                                                                           "resample")
    parser.add_argument("--duplicates", choices=prepare.DUPLICATES, default="refuse",
                        help="repeated timestamps: refuse the file (default) or average them")
    parser.add_argument("--scheduler", default=os.environ.get("RNNLAB_SCHEDULER") or None,
                        help="train on this Dask cluster (tcp://host:port) instead of in this process")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m rnnlab",
        description="rnnlab: forecast time series with recurrent networks (chapter 15 of Hands-On ML).",
    )
    parser.add_argument("--home", default=None, help="run store folder (default: $RNNLAB_HOME or ~/.rnnlab)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p_list = sub.add_parser("list", help="list the models, their descriptions and forecast modes")
    p_list.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p_list.set_defaults(func=cmd_list)

    p_train = sub.add_parser("train", help="train one model (or show its stored result)")
    p_back = sub.add_parser("backtest", help="rolling-origin backtest of one model on a real series")
    for command in (p_train, p_back):
        _experiment_options(command)
    p_train.add_argument("--json", action="store_true", help="print the result as JSON (with the forecast past "
                                                            "the end of a real series)")
    p_train.add_argument("--force", action="store_true", help="train again even if the result is stored")
    p_train.add_argument("--estimate", action="store_true",
                         help="only say how long the training would take on this instance, without training")
    p_train.add_argument("--repeats", nargs="?", const=str(sweeps.REPEATS.default), default=None, metavar="N",
                         help=f"{sweeps.REPEATS.help} Trains on the cluster, in parallel; "
                              f"N defaults to {sweeps.REPEATS.default}, allowed {sweeps.REPEATS.allowed(config.limits())}")
    p_train.set_defaults(func=cmd_train)

    p_sweep = sub.add_parser("sweep", help="train a grid of settings (each with repeats) on the cluster, in parallel")
    _experiment_options(p_sweep)
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

    p_beat = sub.add_parser("beat-the-book", help="sweep for configurations 20%% better than the book's best figures, "
                                                  "confirmed with five seeds (docs/beating-the-book.md)")
    p_beat.add_argument("--quick", action="store_true", help="2 epochs on 1,000 series: checks the pipeline only")
    p_beat.add_argument("--scheduler", default=os.environ.get("RNNLAB_SCHEDULER") or None,
                        help="train on this Dask cluster (tcp://host:port) instead of the embedded one")
    p_beat.add_argument("--output", default=None, help="also write the markdown report to this file")
    p_beat.set_defaults(func=cmd_beat_the_book)

    p_cal = sub.add_parser("calibrate", help="measure this instance's workers for the training cost estimates")
    p_cal.add_argument("--scheduler", default=os.environ.get("RNNLAB_SCHEDULER") or None,
                       help="measure this Dask cluster's workers (tcp://host:port) instead of the embedded one")
    p_cal.add_argument("--shipped", action="store_true",
                       help="write the figures rnnlab ships (rnnlab/cost_defaults.json) instead of this instance's")
    p_cal.set_defaults(func=cmd_calibrate)
    p_back.add_argument("--json", action="store_true", help="print the folds as JSON")
    p_back.set_defaults(func=cmd_backtest)

    p_real = sub.add_parser("real-series", help="every bundled series: baselines, linear, GRU and LSTM, backtests")
    p_real.add_argument("--epochs", type=int, default=30, help="epochs per training (default 30)")
    p_real.add_argument("--n-steps", type=int, default=48, help="input steps (default 48)")
    p_real.add_argument("--only", default=None, help="comma-separated series names")
    p_real.add_argument("--output", default=None, help="also write the markdown report to this file")
    p_real.set_defaults(func=cmd_real_series)

    p_data = sub.add_parser("datasets", help="list the bundled real series")
    p_data.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p_data.set_defaults(func=cmd_datasets)

    p_rep = sub.add_parser("reproduce", help="train the book's models and compare with its published figures")
    p_rep.add_argument("--quick", action="store_true", help="small data and 2 epochs: checks the pipeline only")
    p_rep.add_argument("--epochs", type=int, default=None, help="override the number of epochs")
    p_rep.add_argument("--only", default=None, help="comma-separated model names to reproduce")
    p_rep.add_argument("--skip-book", action="store_true", help="do not train the book's code alongside")
    p_rep.add_argument("--output", default=None, help="also write the markdown table to this file")
    p_rep.set_defaults(func=cmd_reproduce)

    p_warm = sub.add_parser("warm", help="train every lesson run into the store (idempotent, resumable)")
    p_warm.add_argument("--scale", choices=["full", "small"], default=None,
                        help="full: the book's size (default, or RNNLAB_LESSON_SCALE); small: quick, for tests")
    p_warm.set_defaults(func=cmd_warm)

    p_bench = sub.add_parser("bench", help="measure training speed side by side: backends, steps per call, XLA, "
                                           "tf.data; the first epoch; a burst of trainings")
    p_bench.add_argument("--compare", choices=("spe", "backend", "xla", "autotune"), default="spe",
                         help="spe: the backend's steps_per_execution against one batch per call (default); "
                              "backend: JAX against TensorFlow, each in its own process; xla and autotune "
                              "(TensorFlow only): with and without jit_compile, Keras' tf.data pipeline against "
                              "rnnlab's")
    p_bench.add_argument("--epochs", type=int, default=4, help="epochs per training (default 4)")
    p_bench.add_argument("--n-series", type=int, default=10_000, help="series per experiment (default 10,000)")
    p_bench.add_argument("--only", default=None, help="comma-separated model names")
    p_bench.add_argument("--first-epoch", action="store_true",
                         help="the first epoch of every one-step model on a started worker, cold and warm cache")
    p_bench.add_argument("--burst", type=int, default=None, metavar="N",
                         help="N distinct small trainings at once on the embedded cluster, TensorFlow then JAX")
    p_bench.add_argument("--estimates", action="store_true",
                         help="train 20 varied configurations on the embedded cluster and compare each one's cost "
                              "estimate with its measured time")
    p_bench.add_argument("--output", default=None, help="also write the markdown table to this file")
    p_bench.set_defaults(func=cmd_bench)
    return parser


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """Run the command line; returns the exit status (0 ok, 2 usage or input error)."""
    out = out or sys.stdout
    parser = build_parser()
    args = parser.parse_args(argv)
    saved = os.environ.get("RNNLAB_HOME")
    if args.home:  # one store for everything this command reads and writes (runs and uploaded series)
        os.environ["RNNLAB_HOME"] = args.home
    try:
        return args.func(args, out)
    except (CliError, ValueError) as exc:  # rnnlab's ValueErrors name the setting and what is allowed
        sys.stderr.write(f"rnnlab {args.command}: error: {exc}\n")
        return 2
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        return 130
    finally:
        if saved is None:
            os.environ.pop("RNNLAB_HOME", None)
        else:
            os.environ["RNNLAB_HOME"] = saved
