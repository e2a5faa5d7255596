"""What the commands share: the experiment options generated from the field table, ``--data FILE.csv`` and how
to read it, ``--home`` and ``--scheduler``, the user-error type, and how results and reports are written.

Imported by every command, so it stays cheap: no pandas, no Dask, no report maker (a cached ``train`` answers
in a fraction of a second).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any, TextIO

from rnnlab import config
from rnnlab.errors import FieldError, SeriesError
from rnnlab.models.registry import REGISTRY
from rnnlab.series import catalog, grids


class CliError(Exception):
    """A problem with the command line the user can fix; printed without a traceback, exit status 2."""


def field_help(field: config.Field, lim: config.Limits | None = None) -> str:
    """A field's help on the command line: what it is, what is allowed on this instance (under ``lim``, default
    the limits in force), the book's value."""
    allowed = field.allowed(lim or config.limits())
    return f"{field.help_for()}; allowed {allowed}" if field.kind != "choice" else f"{field.help} ({allowed})"


def add_home(parser: argparse.ArgumentParser) -> None:
    """``--home``: the run store folder everything the command reads and writes goes to (runs, uploaded series,
    this instance's cost calibration)."""
    parser.add_argument("--home", type=Path, default=None,
                        help="run store folder (default: $RNNLAB_HOME or ~/.rnnlab)")


def add_scheduler(parser: argparse.ArgumentParser) -> None:
    """``--scheduler``: the Dask cluster a command trains on instead of this process or the embedded cluster."""
    parser.add_argument("--scheduler", default=os.environ.get("RNNLAB_SCHEDULER") or None,
                        help="train on this Dask cluster (tcp://host:port) instead of in this process or on the "
                             "embedded one")


def add_experiment_options(parser: argparse.ArgumentParser) -> None:
    """A model and every field of the table as an option, plus --data FILE.csv and how to read it, and
    --scheduler."""
    parser.add_argument("model", help=f"one of: {', '.join(REGISTRY)}")
    lim = config.limits()
    for field in config.FIELDS.values():
        if field.name == "model":
            continue
        # Values are kept as text and parsed by the field table, so the CLI and links share one validator.
        dest = "dataset" if field.name == "data" else field.name
        # argparse reads "%" in a help as a format: a share written "17.6%" would break --help
        parser.add_argument(field.flag, dest=dest, metavar=field.name.upper(),
                            help=field_help(field, lim).replace("%", "%%"))
    parser.add_argument("--data", metavar="FILE.csv", help="your own series: a CSV file with a value column and, "
                                                          "optionally, a time column")
    parser.add_argument("--time-col", help="the time column of --data (guessed when left out; 'none': row order)")
    parser.add_argument("--value-col", help="the value column of --data (guessed when left out)")
    parser.add_argument("--dayfirst", action="store_true", default=None,
                        help="dates are day first (13/02/2020); guessed from the dates when left out")
    parser.add_argument("--irregular", choices=grids.IRREGULAR, default="grid",
                        help="grid: gaps become missing values (default); resample: average over --resample-to; "
                             "rows: ignore the times")
    parser.add_argument("--resample-to", choices=tuple(grids.GRIDS), help="the coarser step for --irregular "
                                                                         "resample")
    parser.add_argument("--duplicates", choices=grids.DUPLICATES, default="refuse",
                        help="repeated timestamps: refuse the file (default) or average them")
    add_scheduler(parser)
    parser.add_argument("--no-limits", action="store_true",
                        help="train in this process even when the estimate is above the instance's budget "
                             "(RNNLAB_MAX_JOB_SECONDS): an operator's own long run; the settings' limits still apply")


def read_data(args: argparse.Namespace) -> str:
    """Read ``--data FILE.csv`` into the store (as the operator's own series), make it known to this process,
    and return its data id."""
    from rnnlab.series import csvfile  # pandas: only a command given --data reads a CSV file

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
    data_id = catalog.save_upload(prepared, owner="cli", filename=path.name, home=args.home)
    catalog.register(data_id, prepared)  # found here whichever --home holds it
    report = prepared.report
    sys.stderr.write(f"data: {path.name}: {value_col!r} over {time_col!r} " if time_col else
                     f"data: {path.name}: {value_col!r} in row order ")
    sys.stderr.write(f"-> {len(prepared):,} {prepared.step} values, {report['missing']:,} missing "
                     f"(longest gap {report['longest_gap']}), stored as {data_id}\n")
    for note in report.get("notes", []):
        sys.stderr.write(f"note: {note}\n")
    return data_id


def experiment_from_args(args: argparse.Namespace, skip: tuple[str, ...] = ()) -> config.Experiment:
    """The experiment the options describe (strict: a bad value raises FieldError); book settings the
    operator's limits lower are said once on stderr. Fields in ``skip`` are left to the caller."""
    flat: dict[str, Any] = {"model": args.model}
    if getattr(args, "data", None):
        if args.dataset:
            raise CliError("give either --dataset NAME or --data FILE.csv, not both")
        flat["data"] = read_data(args)
    elif catalog.is_upload(args.dataset):  # a series uploaded before, kept in --home: known to this process
        catalog.register(args.dataset, catalog.load(args.dataset, args.home))
    for field in config.FIELDS.values():
        value = getattr(args, field.name if field.name != "data" else "dataset", None)
        if field.name != "model" and field.name not in skip and value is not None:
            flat[field.name] = value
    parsed = config.parse_flat(flat, strict=True)
    for note in parsed.clamped:
        sys.stderr.write(f"note: {note}\n")
    return parsed.experiment


def checked(field: config.Field, raw: Any) -> Any:
    """``raw`` read and checked by ``field`` (a setting of a command rather than of an experiment)."""
    try:
        return field.check(field.parse(raw), config.limits())
    except FieldError as exc:
        raise CliError(f"--{field.name}: {exc}") from None


def write_json(data: Any, out: TextIO) -> int:
    """Print ``data`` as indented JSON; the exit status 0."""
    json.dump(data, out, indent=1)
    out.write("\n")
    return 0


def write_report(text: str, args: argparse.Namespace, out: TextIO) -> int:
    """Print a markdown report, and write it to ``--output`` too when given; the exit status 0."""
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        sys.stderr.write(f"wrote {args.output}\n")
    out.write(text)
    return 0
