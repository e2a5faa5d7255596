"""The commands that make the reports in docs/: ``reproduce``, ``bench``, ``real-series`` and ``beat-the-book``.

Each report maker (:mod:`rnnlab.reports`) is imported by the command that runs it, so the other commands never
load them (they import Keras, Dask or the book's code).
"""

from __future__ import annotations

import argparse
import sys
from typing import TextIO

from rnnlab.cli.options import CliError, add_scheduler, write_report
from rnnlab.store.runstore import RunStore


def cmd_reproduce(args: argparse.Namespace, out: TextIO) -> int:
    """Train the book's models and compare them with its published figures."""
    from rnnlab.reports.reproduce import reproduce  # Keras and the book's code: only this report needs them

    table = reproduce(quick=args.quick, epochs=args.epochs, store=RunStore(args.home), only=args.only,
                      skip_book=args.skip_book)
    return write_report(table, args, out)


def cmd_real_series(args: argparse.Namespace, out: TextIO) -> int:
    """The linear model, a GRU and an LSTM on every bundled series, one step ahead and at its natural horizon, beside
    the naive, seasonal-naive, ETS, ARIMA and Theta forecasts of the same windows."""
    from rnnlab.reports.real_series import real_series  # Keras: only this report needs it

    try:
        table = real_series(epochs=args.epochs, n_steps=args.n_steps, only=args.only, store=RunStore(args.home))
    except ValueError as exc:  # --only names no bundled series
        raise CliError(str(exc)) from None
    return write_report(table, args, out)


def cmd_scalings(args: argparse.Namespace, out: TextIO) -> int:
    """Every scaling for a linear model and a GRU on every bundled series; the one chosen on validation."""
    from rnnlab.reports.scalings import scalings  # Keras: only this report needs it

    try:
        table, chosen = scalings(epochs=args.epochs, n_steps=args.n_steps, only=args.only, store=RunStore(args.home))
    except ValueError as exc:  # --only names no bundled series
        raise CliError(str(exc)) from None
    print(f"chosen on validation: {chosen}", file=sys.stderr)
    return write_report(table, args, out)


def cmd_beat_the_book(args: argparse.Namespace, out: TextIO) -> int:
    """Sweep for configurations 20% better than the book's best figures and confirm them with five seeds."""
    from rnnlab.jobs.manager import JobManager  # Dask: only commands that train on a cluster need it
    from rnnlab.reports import beat_the_book  # the report maker: only this command needs it

    manager = JobManager(beat_the_book.job_settings(), scheduler=args.scheduler, store=RunStore(args.home))
    try:
        report, data = beat_the_book.run(manager=manager, quick=args.quick)
    except RuntimeError as exc:  # trainings that did not finish: the message names the first
        raise CliError(str(exc)) from None
    finally:
        manager.close()
    if not args.quick:  # the lessons' last step shows the full run's winners
        sys.stderr.write(f"wrote {beat_the_book.save_results(data)}\n")
    return write_report(report, args, out)


def _bench_table(args: argparse.Namespace) -> str:
    from rnnlab.reports import bench_estimates, bench_options, bench_workers  # Keras and Dask: only bench needs them

    if args.estimates:
        return bench_estimates.run(where="here" if args.here else "workers")
    if args.burst is not None:
        return bench_workers.burst(args.burst)
    if args.first_epoch:
        return bench_workers.first_epochs(n_series=args.n_series, only=args.only)
    if args.compare == "backend":
        return bench_workers.compare_backends(epochs=args.epochs, n_series=args.n_series, only=args.only)
    return bench_options.bench(epochs=args.epochs, n_series=args.n_series, only=args.only, compare=args.compare)


def cmd_bench(args: argparse.Namespace, out: TextIO) -> int:
    """Measure training speed: two ways side by side, the first epoch, a burst, or the cost estimates."""
    if args.epochs < 2:
        raise CliError(f"--epochs={args.epochs}: at least 2 are needed (the first epoch includes compilation)")
    if args.here and not args.estimates:
        raise CliError("--here goes with --estimates (the cost estimates of a training in this process)")
    if args.burst is not None and not 1 <= args.burst <= 200:
        raise CliError(f"--burst={args.burst}: allowed 1 to 200 trainings")
    return write_report(_bench_table(args), args, out)


def add_commands(sub: argparse._SubParsersAction) -> None:
    """The report commands and their options."""
    p_rep = sub.add_parser("reproduce", help="train the book's models and compare with its published figures")
    p_rep.add_argument("--quick", action="store_true", help="small data and 2 epochs: checks the pipeline only")
    p_rep.add_argument("--epochs", type=int, default=None, help="override the number of epochs")
    p_rep.add_argument("--only", default=None, help="comma-separated model names to reproduce")
    p_rep.add_argument("--skip-book", action="store_true", help="do not train the book's code alongside")
    p_rep.add_argument("--output", default=None, help="also write the markdown table to this file")
    p_rep.set_defaults(func=cmd_reproduce)

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
                         help="train 20 varied configurations on the embedded cluster, then each again with "
                              "another seed (its shape compiled already), and compare each one's cost estimate with "
                              "its measured time")
    p_bench.add_argument("--here", action="store_true",
                         help="--estimates: train in this process instead, one at a time, with the command line's "
                              "figures (what `train` without --scheduler estimates)")
    p_bench.add_argument("--output", default=None, help="also write the markdown table to this file")
    p_bench.set_defaults(func=cmd_bench)

    p_real = sub.add_parser("real-series", help="every bundled series at one step and its natural horizon: naive, "
                                                "seasonal naive, ETS, ARIMA, Theta, linear, GRU, LSTM, backtests")
    p_real.add_argument("--epochs", type=int, default=30, help="epochs per training (default 30)")
    p_real.add_argument("--n-steps", type=int, default=None, help="input steps (default: a real series' own, two "
                                                                 "seasons)")
    p_real.add_argument("--only", default=None, help="comma-separated series names")
    p_real.add_argument("--output", default=None, help="also write the markdown report to this file")
    p_real.set_defaults(func=cmd_real_series)

    p_scal = sub.add_parser("scalings", help="every scaling for a linear model and a GRU on every bundled series, "
                                             "chosen on validation (docs/scalings.md)")
    p_scal.add_argument("--epochs", type=int, default=10, help="epochs per training (default 10)")
    p_scal.add_argument("--n-steps", type=int, default=48, help="input steps (default 48)")
    p_scal.add_argument("--only", default=None, help="comma-separated series names")
    p_scal.add_argument("--output", default=None, help="also write the markdown report to this file")
    p_scal.set_defaults(func=cmd_scalings)

    p_beat = sub.add_parser("beat-the-book", help="sweep for configurations 20%% better than the book's best figures, "
                                                  "confirmed with five seeds (docs/beating-the-book.md)")
    p_beat.add_argument("--quick", action="store_true", help="2 epochs on 1,000 series: checks the pipeline only")
    add_scheduler(p_beat)
    p_beat.add_argument("--output", default=None, help="also write the markdown report to this file")
    p_beat.set_defaults(func=cmd_beat_the_book)
