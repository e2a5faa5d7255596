"""The command line, ``rnnlab COMMAND`` (or ``python -m rnnlab COMMAND``): one module per family of commands.

- :mod:`~rnnlab.cli.train`: ``list``, ``datasets``, ``train``, ``backtest``, ``sweep``;
- :mod:`~rnnlab.cli.operate`: ``warm``, ``calibrate``;
- :mod:`~rnnlab.cli.store`: ``store`` (usage, list, verify, prune, pin, unpin);
- :mod:`~rnnlab.cli.reports`: ``reproduce``, ``bench``, ``real-series``, ``beat-the-book``;
- :mod:`~rnnlab.cli.options`: what they share (the experiment options from the field table, ``--data``,
  ``--home``, ``--scheduler``, how reports are written).

Results go to stdout, progress to stderr. A problem the user can fix (a bad option or file, a setting in the
environment, a request the job system refuses) is one line on stderr and exit status 2; anything else is a bug
and shows its traceback.
"""

from __future__ import annotations

import argparse
import sys
from typing import Sequence, TextIO

from rnnlab.cli import backtest, operate, reports, train
from rnnlab.cli import store as store_commands
from rnnlab.cli.options import CliError, add_home
from rnnlab.errors import FieldError, SeriesError, SettingError
from rnnlab.jobs.job import JobError
from rnnlab.store.runstore import StoreWriteFailed

#: The errors that are the user's (or the operator's) to fix: their message is all there is to say.
USER_ERRORS = (CliError, FieldError, SeriesError, SettingError, JobError)


def build_parser() -> argparse.ArgumentParser:
    """The parser of every command, family by family."""
    parser = argparse.ArgumentParser(
        prog="python -m rnnlab",
        description="rnnlab: forecast time series with recurrent networks (chapter 15 of Hands-On ML).",
    )
    add_home(parser)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for family in (train, backtest, operate, store_commands, reports):
        family.add_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """Run the command line on ``argv`` (default: the process's arguments), writing results to ``out`` (default:
    stdout); returns the exit status: 0 ok, 1 a result the run store could not keep, 2 a usage or input error,
    130 interrupted."""
    out = out or sys.stdout
    command = ""
    try:
        args = build_parser().parse_args(argv)  # the options' help reads the operator's limits, which may be bad
        command = f" {args.command}"
        return args.func(args, out)
    except USER_ERRORS as exc:
        sys.stderr.write(f"rnnlab{command}: error: {exc}\n")
        return 2
    except StoreWriteFailed as exc:  # the disk, not a bug: the reason is all there is to say
        sys.stderr.write(f"rnnlab{command}: error: a result could not be kept in the run store: {exc.reason}\n")
        return 1
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        return 130
