"""The operator's commands: ``warm`` (train every lesson run into the store) and ``calibrate`` (measure this
instance's workers for the cost estimates)."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from typing import TextIO

from rnnlab.cli.options import CliError, add_scheduler
from rnnlab.jobs import costs
from rnnlab.jobs.progress import Progress, follow
from rnnlab.lessons import guide
from rnnlab.store.runstore import RunStore


def cmd_warm(args: argparse.Namespace, out: TextIO) -> int:
    """Train every lesson run that is not in the store yet (idempotent; an interrupted warm resumes)."""
    scale = args.scale or guide.lesson_scale()
    experiments = guide.lesson_experiments(scale)
    store = RunStore(args.home)
    missing = [exp for exp in experiments if not store.has(exp.key())]
    sys.stderr.write(f"warm: {len(experiments)} lesson runs at scale {scale!r}, {len(experiments) - len(missing)} "
                     f"already stored, {len(missing)} to train\n")
    if missing:
        from rnnlab.training import fit  # Keras: only the runs to train need it (a warmed store starts at once)

        overall = Progress(prefix="warm ")
        for i, exp in enumerate(missing):
            progress = Progress(prefix=f"  [{i + 1}/{len(missing)}] {exp.model.name} {exp.model.mode}: ")
            result = fit.run(exp, on_epoch=lambda info: progress.update(info["epoch"], info["epochs"]))
            store.put(result)
            overall.update(i + 1, len(missing), f"{exp.model.name} {exp.model.mode} val MSE {result.val_mse:.5f}")
    out.write(f"warm: trained {len(missing)}, already stored {len(experiments) - len(missing)}, "
              f"lesson runs {len(experiments)} ({scale})\n")
    return 0


def cmd_calibrate(args: argparse.Namespace, out: TextIO) -> int:
    """Measure this instance's workers for the cost estimates (two short trainings per model family) and keep
    the figures in --home (or, with --shipped, as the figures rnnlab ships)."""
    if args.here:
        return _calibrate_here(args, out)
    from rnnlab.jobs.manager import JobManager  # Dask: only commands that train on a cluster need it

    with tempfile.TemporaryDirectory(prefix="rnnlab-calibrate-") as scratch:
        # The embedded workers compile into an empty cache: the estimates are for a model compiled the first time.
        manager = JobManager(scheduler=args.scheduler, store=RunStore(args.home),
                             worker_env={"RNNLAB_JAX_CACHE": os.path.join(scratch, "jax-cache")})
        try:
            jobs = manager.calibrate(force=True)
            sys.stderr.write(f"calibrate: {len(jobs)} short trainings on the workers\n")
            follow(jobs, Progress(prefix="trainings "))
            failed = [j for j in jobs if j.state != "done"]
            if failed:
                raise CliError(f"{len(failed)} calibration trainings did not finish: {failed[0].error}")
            families = costs.fit([j.result() for j in jobs])
        finally:
            manager.close()
    path = costs.save(families, path=costs.DEFAULTS_FILE if args.shipped else costs.calibration_path(home=args.home))
    return _figures(families, path, out)


def _calibrate_here(args: argparse.Namespace, out: TextIO) -> int:
    """Measure this process (every core, as ``train`` without --scheduler trains) for the command line's own
    estimates: the same short trainings, one after the other, compiled into an empty cache."""
    if args.scheduler:
        raise CliError("--here measures this process: it does not go with --scheduler")
    if "keras" in sys.modules:
        raise CliError("--here must measure compilation into an empty cache: run it as a command of its own")
    with tempfile.TemporaryDirectory(prefix="rnnlab-calibrate-") as scratch:
        # This process's compilation cache, read once when Keras configures JAX: empty, as the workers' is.
        os.environ["RNNLAB_JAX_CACHE"] = os.path.join(scratch, "jax-cache")
        from rnnlab.training import fit  # Keras: only a training in this process needs it

        experiments = costs.calibration_experiments()
        progress = Progress(prefix="calibrate here ")
        results = []
        for i, experiment in enumerate(experiments):
            results.append(fit.run(experiment, save_model=False))
            progress.update(i + 1, len(experiments), experiment.model.name)
    families = costs.fit(results)
    path = costs.DEFAULTS_FILE if args.shipped else costs.calibration_path(home=args.home, where="here")
    return _figures(families, costs.save(families, path=path, where="here"), out)


def _figures(families: dict, path, out: TextIO) -> int:
    out.write(f"{'family':<16} {'s per 1e9 ops':>13} {'us per step':>11} {'compile s':>9} {'around s':>8}\n")
    for name, c in families.items():
        out.write(f"{name:<16} {c['a'] * 1e9:>13.3f} {c['b'] * 1e6:>11.2f} {c['compile']:>9.2f} {c['post']:>8.2f}\n")
    out.write(f"wrote {path}\n")
    return 0


def add_commands(sub: argparse._SubParsersAction) -> None:
    """The operator's commands and their options."""
    p_warm = sub.add_parser("warm", help="train every lesson run into the store (idempotent, resumable)")
    p_warm.add_argument("--scale", choices=["full", "small"], default=None,
                        help="full: the book's size (default, or RNNLAB_LESSON_SCALE); small: quick, for tests")
    p_warm.set_defaults(func=cmd_warm)

    p_cal = sub.add_parser("calibrate", help="measure this instance's workers for the training cost estimates")
    add_scheduler(p_cal)
    p_cal.add_argument("--here", action="store_true",
                       help="measure this process instead (every core: what `train` without --scheduler uses), for "
                            "the command line's own estimates and budget")
    p_cal.add_argument("--shipped", action="store_true",
                       help="write the figures rnnlab ships (rnnlab/jobs/cost_defaults.json) instead of this "
                            "instance's (with --here: the shipped figures of the command line's own process)")
    p_cal.set_defaults(func=cmd_calibrate)
