"""Command line: ``python -m rnnlab list | train | reproduce``.

``train`` goes through the run store: a second identical call prints the stored result, says it was cached
and never imports TensorFlow. Long work reports progress on stderr; results go to stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import Any, Sequence, TextIO

from rnnlab import config, lessons, training
from rnnlab.bench import bench
from rnnlab.jobs import JobError, JobManager
from rnnlab.models import REGISTRY
from rnnlab.progress import Progress
from rnnlab.reproduce import reproduce
from rnnlab.store import RunStore


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


def _experiment_from_args(args: argparse.Namespace) -> config.Experiment:
    """The experiment the options describe (strict: a bad value is an error); book settings the operator's
    limits lower are said once on stderr."""
    flat: dict[str, Any] = {"model": args.model}
    for name in config.FIELDS:
        value = getattr(args, name, None)
        if name != "model" and value is not None:
            flat[name] = value
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
        f"parameters {summary['params_total']:,}",
        f"valid      MSE {valid['mse']:.6f}  MAE {valid['mae']:.6f}  RMSE {valid['rmse']:.6f}  MASE {valid['mase']:.4f}",
        f"test       MSE {test['mse']:.6f}  MAE {test['mae']:.6f}  RMSE {test['rmse']:.6f}  MASE {test['mase']:.4f}",
        f"naive      MSE {naive:.6f} (validation)",
    ]
    if summary["history"]:
        lines.append(f"training   {len(summary['history'])} epochs in {summary['train_seconds']:.1f}s")
    for split, steps in summary.get("mse_per_step", {}).items():
        if split == "valid":
            lines.append("per step   " + " ".join(f"{v:.4f}" for v in steps))
    return lines


def cmd_train(args: argparse.Namespace, out: TextIO) -> int:
    experiment = _experiment_from_args(args)
    store = RunStore(args.home)
    cached = None if args.force else store.get(experiment.key())
    if cached is not None:
        summary = cached.summary()
        sys.stderr.write(f"cached: {experiment.describe()} was trained before ({summary['created']}); "
                         "showing the stored result\n")
    elif args.scheduler:
        summary = _train_via_manager(experiment, args.scheduler, args.home)
    else:
        progress = Progress(prefix=f"{experiment.model.name}: ")

        def on_epoch(info: dict[str, Any]) -> None:
            progress.update(info["epoch"], info["epochs"],
                            f"loss {info['loss']:.5f} val_loss {info['val_loss']:.5f}")

        try:
            result = training.run(experiment, on_epoch=on_epoch)
        except training.TrainingFailed as exc:
            raise CliError(f"training failed: {exc}") from None
        store.put(result)
        summary = result.summary()
    if args.json:
        json.dump({**summary, "cached": cached is not None}, out, indent=1)
        out.write("\n")
    else:
        out.write("\n".join(_summary_lines(summary, cached is not None)) + "\n")
    return 0


def _train_via_manager(experiment: config.Experiment, scheduler: str, home: str | None) -> dict[str, Any]:
    """Train through the Dask job manager (another cluster's workers) and wait for the result."""
    manager = JobManager(scheduler=scheduler, store=RunStore(home))
    try:
        job = manager.submit(experiment, owner="cli")
        progress = Progress(prefix=f"{experiment.model.name}: ")
        shown = 0
        while not job.finished:
            snapshot = job.progress()
            if snapshot["epoch"] > shown:
                shown = snapshot["epoch"]
                progress.update(shown, snapshot["epochs"])
            time.sleep(0.5)
        if job.state != "done":
            raise CliError(f"training {job.state}: {job.error or ''}".strip())
        return job.result().summary()
    except JobError as exc:
        raise CliError(str(exc)) from None
    finally:
        manager.close()


def cmd_reproduce(args: argparse.Namespace, out: TextIO) -> int:
    table = reproduce(quick=args.quick, epochs=args.epochs, store=RunStore(args.home), only=args.only,
                      skip_book=args.skip_book)
    if args.output:
        with open(args.output, "w", encoding="utf-8") as fh:
            fh.write(table)
        sys.stderr.write(f"wrote {args.output}\n")
    out.write(table)
    return 0


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
    try:
        table = bench(epochs=args.epochs, n_series=args.n_series, only=args.only, compare=args.compare)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    if args.output:
        with open(args.output, "w", encoding="utf-8") as fh:
            fh.write(table)
    out.write(table)
    return 0


# --------------------------------------------------------------------------------------------------
# Parser
# --------------------------------------------------------------------------------------------------
def field_help(field: config.Field) -> str:
    """A field's help on the command line: what it is, what is allowed on this instance, the book's value."""
    allowed = field.allowed(config.limits())
    return f"{field.help_for()}; allowed {allowed}" if field.kind != "choice" else f"{field.help} ({allowed})"


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
    p_train.add_argument("model", help=f"one of: {', '.join(REGISTRY)}")
    for field in config.FIELDS.values():
        if field.name == "model":
            continue
        # Values are kept as text and parsed by the field table, so the CLI and links share one validator.
        p_train.add_argument(field.flag, dest=field.name, metavar=field.name.upper(), help=field_help(field))
    p_train.add_argument("--json", action="store_true", help="print the result as JSON")
    p_train.add_argument("--force", action="store_true", help="train again even if the result is stored")
    p_train.add_argument("--scheduler", default=os.environ.get("RNNLAB_SCHEDULER") or None,
                         help="train on this Dask cluster (tcp://host:port) instead of in this process")
    p_train.set_defaults(func=cmd_train)

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

    p_bench = sub.add_parser("bench", help="measure every model two ways (XLA or not, tf.data autotuning or not), "
                                           "side by side")
    p_bench.add_argument("--compare", choices=("xla", "autotune"), default="xla",
                         help="xla: with and without jit_compile (default); autotune: Keras' default input "
                              "pipeline against rnnlab's")
    p_bench.add_argument("--epochs", type=int, default=4, help="epochs per training (default 4)")
    p_bench.add_argument("--n-series", type=int, default=10_000, help="series per experiment (default 10,000)")
    p_bench.add_argument("--only", default=None, help="comma-separated model names")
    p_bench.add_argument("--output", default=None, help="also write the markdown table to this file")
    p_bench.set_defaults(func=cmd_bench)
    return parser


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """Run the command line; returns the exit status (0 ok, 2 usage or input error)."""
    out = out or sys.stdout
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args, out)
    except (CliError, ValueError) as exc:  # rnnlab's ValueErrors name the setting and what is allowed
        sys.stderr.write(f"rnnlab {args.command}: error: {exc}\n")
        return 2
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        return 130
