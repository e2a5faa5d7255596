"""Reading a user's CSV file into observations, robustly and safely.

The file is only ever read as text and parsed into numbers and dates; nothing in it is executed or written
anywhere. :func:`read_table` decodes it (UTF-8, UTF-16 with a byte-order mark, else Latin-1), finds the
separator (``,`` ``;`` tab ``|``), and checks the size, row and column limits. :func:`guess_columns` picks a
time column and a value column. :func:`to_raw` parses them: dates day-first when asked (or when the dates
themselves say so), a year-only column as years, UTC offsets converted to UTC (daily data keeps its local
dates); values with a decimal comma or thousands separators. Every problem raises
:class:`~rnnlab.errors.SeriesError` naming the line or column where it is and what is allowed.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from rnnlab.config.limits import Limits, limits
from rnnlab.errors import SeriesError
from rnnlab.series.prepare import PreparedSeries, RawSeries, prepare

SEPARATORS = (",", ";", "\t", "|")
MISSING = {"", "na", "n/a", "nan", "null", "none", "-", "—", "?", "#n/a"}
TIME_NAMES = re.compile(r"date|time|year|month|day|period|week|timestamp|datum|jahr|fecha|année|annee", re.I)
#: A UTC offset (``Z``, ``+01:00``, ``-0500``) after a time of day; group 1 is the time without it.
UTC_OFFSET = re.compile(r"(\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)\s*(?:Z|[+-]\d{2}(?::?\d{2})?)$")
#: Values beyond this are refused: squaring them (for the variance) would overflow.
MAX_ABS_VALUE = 1e100


@dataclass(frozen=True)
class Table:
    """A decoded CSV file: its columns as text, the file line of each row, and how it was read."""

    frame: pd.DataFrame  #: every cell as text
    lines: np.ndarray  #: file line number of each row (the header is line 1)
    separator: str
    encoding: str
    name: str = ""

    @property
    def columns(self) -> list[str]:
        return list(self.frame.columns)


def _decode(blob: bytes) -> tuple[str, str]:
    if blob.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return blob.decode("utf-16"), "UTF-16"
        except UnicodeDecodeError:
            raise SeriesError("the file starts like UTF-16 text but cannot be decoded as such") from None
    if b"\x00" in blob[:4096]:
        raise SeriesError("this is not a text file (it contains binary data): save the data as CSV text")
    try:
        return blob.decode("utf-8-sig"), "UTF-8"
    except UnicodeDecodeError:
        return blob.decode("latin-1"), "Latin-1"


def _separator(text: str) -> str:
    sample = "\n".join(text.splitlines()[:50])
    try:
        return csv.Sniffer().sniff(sample, delimiters="".join(SEPARATORS)).delimiter
    except csv.Error:
        counts = {sep: sample.count(sep) for sep in SEPARATORS}
        best = max(counts, key=counts.get)
        return best if counts[best] else ","


def read_table(blob: bytes, *, name: str = "", separator: str | None = None, lim: Limits | None = None) -> Table:
    """Decode and split a CSV file, within the operator's limits on size, rows and columns."""
    lim = lim or limits()
    if len(blob) > lim.max_upload_mb * 1024 * 1024:
        raise SeriesError(f"the file is {len(blob) / 1024 / 1024:.1f} MB: at most {lim.max_upload_mb} MB "
                          "(RNNLAB_MAX_UPLOAD_MB)")
    text, encoding = _decode(blob)
    if not text.strip():
        raise SeriesError("the file is empty")
    if separator is not None and separator not in SEPARATORS:
        raise SeriesError(f"separator {separator!r} is not one of: comma, semicolon, tab, |")
    sep = separator or _separator(text)
    rows = list(csv.reader(io.StringIO(text), delimiter=sep))
    numbered = [(i + 1, row) for i, row in enumerate(rows) if any(cell.strip() for cell in row)]
    if not numbered:
        raise SeriesError("the file is empty")
    header_line, header = numbered[0]
    body = numbered[1:]
    if len(header) > lim.max_columns:
        raise SeriesError(f"the file has {len(header)} columns: at most {lim.max_columns} (RNNLAB_MAX_COLUMNS)")
    if len(body) > lim.max_rows:
        raise SeriesError(f"the file has {len(body):,} rows: at most {lim.max_rows:,} (RNNLAB_MAX_ROWS)")
    if not body:
        raise SeriesError("the file has a header line but no rows of data")
    header_is_data = all(_is_number(cell) for cell in header if cell.strip())
    if header_is_data:  # no header: the first line is data
        body = numbered
        header = [f"column {i + 1}" for i in range(len(header))]
    names = []
    for i, cell in enumerate(header):
        label = cell.strip() or f"column {i + 1}"
        names.append(label if label not in names else f"{label} ({i + 1})")
    width = len(names)
    for line, row in body:
        if len(row) > width and any(cell.strip() for cell in row[width:]):
            raise SeriesError(f"line {line} has {len(row)} fields but the header has {width}: check the separator "
                              f"(read as {_separator_name(sep)})")
    cells = [[(row[i].strip() if i < len(row) else "") for i in range(width)] for _, row in body]
    frame = pd.DataFrame(cells, columns=names, dtype=object)
    return Table(frame=frame, lines=np.array([line for line, _ in body]), separator=sep, encoding=encoding,
                 name=name)


def _separator_name(sep: str) -> str:
    return {",": "comma", ";": "semicolon", "\t": "tab", "|": "|"}[sep]


def _is_number(text: str) -> bool:
    try:
        float(text.replace(",", "."))
        return True
    except ValueError:
        return False


def number_format(cells: pd.Series, separator: str) -> tuple[str, str | None]:
    """``(decimal, thousands)`` the numbers of a column are written with: ``1.5``; ``1,5`` (a decimal comma);
    ``1,234.5`` or, in a comma-separated file, a quoted ``"1,234"``; ``1.234,5``. A lone comma between digits
    is a decimal comma unless the file is comma-separated and every such number has groups of three digits."""
    sample = [c for c in cells if c and c.lower() not in MISSING][:500]
    if any(re.fullmatch(r"-?\d{1,3}(\.\d{3})+,\d+", c) for c in sample):
        return ",", "."
    if any(re.fullmatch(r"-?\d{1,3}(,\d{3})+\.\d+", c) for c in sample):
        return ".", ","
    with_comma = [c for c in sample if re.fullmatch(r"-?\d+(,\d+)+", c)]
    if not with_comma:
        return ".", None
    grouped = all(re.fullmatch(r"-?\d{1,3}(,\d{3})+", c) for c in with_comma)
    if separator == "," and grouped:
        return ".", ","
    return ",", None


def _numbers(cells: pd.Series, decimal: str, thousands: str | None) -> tuple[np.ndarray, np.ndarray]:
    """The column as float64 (NaN where empty or a missing-value marker) and a mask of cells that are text."""
    text = cells.astype(str).str.strip()
    missing = text.str.lower().isin(MISSING)
    cleaned = text
    if thousands:
        cleaned = cleaned.str.replace(thousands, "", regex=False)
    if decimal != ".":
        cleaned = cleaned.str.replace(decimal, ".", regex=False)
    cleaned = cleaned.str.replace(r"^\+", "", regex=True)
    values = pd.to_numeric(cleaned.where(~missing), errors="coerce").to_numpy(dtype=np.float64)
    bad = np.isnan(values) & ~missing.to_numpy()
    return values, bad


def guess_columns(table: Table) -> tuple[str | None, str]:
    """``(time column or None, value column)``: a column named like a time, or whose cells read as dates, and
    the first other column whose cells read as numbers. Raises SeriesError if no column is numeric."""
    numeric, dates = [], []
    for name in table.columns:
        cells = table.frame[name]
        decimal, thousands = number_format(cells, table.separator)
        values, bad = _numbers(cells, decimal, thousands)
        filled = int((~np.isnan(values)).sum())
        if filled and bad.sum() <= 0.05 * len(cells):
            numeric.append(name)
        if TIME_NAMES.search(name) or _date_share(cells) >= 0.9:
            dates.append(name)
    time_col = next((c for c in dates if TIME_NAMES.search(c)), dates[0] if dates else None)
    values = [c for c in numeric if c != time_col]
    if not values:
        columns = ", ".join(repr(c) for c in table.columns[:8])
        raise SeriesError(f"no column holds numbers (columns: {columns}): the file needs one numeric value column")
    if time_col is not None and time_col in numeric and not _year_like(table.frame[time_col]) \
            and not TIME_NAMES.search(time_col):
        time_col = None
    return time_col, values[0]


def _date_share(cells: pd.Series) -> float:
    sample = cells[cells.astype(bool)].head(200)
    if sample.empty or sample.map(_is_number).all():
        return 0.0
    parsed = pd.to_datetime(sample, errors="coerce", format="mixed", utc=True)
    return float(parsed.notna().mean())


def _year_like(cells: pd.Series) -> bool:
    return bool(cells.astype(str).str.fullmatch(r"\d{4}").all())


def _dayfirst_from(cells: pd.Series) -> bool | None:
    """What the dates themselves say: True if some have a first part above 12 (13/02/2020), False if some have
    a second part above 12 (02/13/2020), None when every date could be read either way."""
    parts = cells.astype(str).str.extract(r"^\s*(\d{1,2})[/.\-](\d{1,2})[/.\-]\d{2,4}")
    if parts.isna().all().all():
        return None
    first, second = pd.to_numeric(parts[0], errors="coerce"), pd.to_numeric(parts[1], errors="coerce")
    if (first > 12).any() and not (second > 12).any():
        return True
    if (second > 12).any() and not (first > 12).any():
        return False
    return None


def parse_times(cells: pd.Series, lines: np.ndarray, column: str, *, dayfirst: bool | None = None) -> tuple[np.ndarray, list[str]]:
    """The column as naive datetime64[s] and notes on how it was read. Times with UTC offsets are converted to
    UTC, except whole days (local midnights), which keep their dates as written. A year-only column is read as
    years; ``dayfirst`` None lets the dates decide (month first when they cannot)."""
    notes = []
    text = cells.astype(str).str.strip()
    empty = text == ""
    if empty.any():
        line = int(lines[np.argmax(empty.to_numpy())])
        raise SeriesError(f"line {line}: the time column {column!r} is empty; every row needs a time")
    if _year_like(text):
        parsed = pd.to_datetime(text, format="%Y", errors="coerce", utc=True)
        notes.append(f"{column!r} holds years")
    else:
        if dayfirst is None:
            dayfirst = _dayfirst_from(text)
            if dayfirst:
                notes.append(f"{column!r} has dates like {text[_first_above_12(text)]}: read day first")
            elif dayfirst is None and text.str.match(r"^\s*\d{1,2}[/.]\d{1,2}[/.]\d{2,4}").any():
                dayfirst = False
                notes.append(f"{column!r}: dates like {text.iloc[0]} were read month first; choose day-first "
                             "dates if they are not")
        parsed = pd.to_datetime(text, errors="coerce", utc=True, dayfirst=bool(dayfirst), format="mixed")
    bad = parsed.isna().to_numpy()
    if bad.any():
        i = int(np.argmax(bad))
        hint = " (or choose day-first dates)" if not dayfirst else ""
        raise SeriesError(f"line {int(lines[i])}: {text.iloc[i][:40]!r} in column {column!r} is not a date or a "
                          f"time{hint}; {int(bad.sum())} row(s) like it")
    wall_clock = text.str.replace(UTC_OFFSET, r"\1", regex=True)
    if (wall_clock != text).any():
        # Whole days as written (daily data at local midnight) keep their dates: in UTC they would fall on the
        # day before, and a day's value would count for the wrong day, month or year.
        local = pd.to_datetime(wall_clock, errors="coerce", utc=True, dayfirst=bool(dayfirst), format="mixed")
        if local.notna().all() and (local == local.dt.normalize()).all():
            parsed = local
            notes.append(f"{column!r} has UTC offsets on whole days: the local dates were kept as written")
        else:
            notes.append(f"{column!r} has UTC offsets: the times were converted to UTC")
    return parsed.dt.tz_localize(None).to_numpy().astype("datetime64[s]"), notes


def _first_above_12(text: pd.Series) -> int:
    parts = pd.to_numeric(text.str.extract(r"^\s*(\d{1,2})")[0], errors="coerce")
    return int(np.argmax((parts > 12).to_numpy()))


def to_raw(table: Table, *, time_col: str | None, value_col: str, dayfirst: bool | None = None) -> RawSeries:
    """The observations of ``value_col`` (at the times of ``time_col``, or in row order when it is None)."""
    for label, col in (("time", time_col), ("value", value_col)):
        if col is not None and col not in table.columns:
            raise SeriesError(f"there is no {label} column {col!r}: the columns are "
                              f"{', '.join(repr(c) for c in table.columns)}")
    if time_col is not None and time_col == value_col:
        raise SeriesError(f"{value_col!r} cannot be both the time and the value column")
    cells = table.frame[value_col]
    decimal, thousands = number_format(cells, table.separator)
    values, bad = _numbers(cells, decimal, thousands)
    notes = [f"read as {table.encoding} text separated by {_separator_name(table.separator)}"]
    if decimal == ",":
        notes.append(f"{value_col!r} has decimal commas")
    if thousands:
        notes.append(f"{value_col!r} has {'points' if thousands == '.' else 'commas'} between thousands")
    if bad.any():
        i = int(np.argmax(bad))
        shown = str(cells.iloc[i])[:40]
        raise SeriesError(f"line {int(table.lines[i])}: {shown!r} in column {value_col!r} is not a number "
                          f"({int(bad.sum())} cell(s) like it); leave a cell empty for a missing value")
    if np.isinf(values).any() or (np.abs(values[~np.isnan(values)]) > MAX_ABS_VALUE).any():
        i = int(np.argmax(np.isinf(values) | (np.abs(np.nan_to_num(values)) > MAX_ABS_VALUE)))
        raise SeriesError(f"line {int(table.lines[i])}: {cells.iloc[i]!r} in column {value_col!r} is too large: "
                          f"values from -1e100 to 1e100 are accepted")
    times = None
    if time_col is not None:
        times, time_notes = parse_times(table.frame[time_col], table.lines, time_col, dayfirst=dayfirst)
        notes += time_notes
    else:
        notes.append("no time column: the rows are taken in order")
    return RawSeries(values=values, times=times, lines=table.lines, name=table.name or value_col, unit=value_col,
                     notes=tuple(notes))


NO_TIME = "none"


def read_series(blob: bytes, *, name: str = "", time_col: str | None = None, value_col: str | None = None,
                dayfirst: bool | None = None, irregular: str = "grid", resample_to: str | None = None,
                duplicates: str = "refuse", separator: str | None = None,
                lim: Limits | None = None) -> tuple[PreparedSeries, Table, tuple[str | None, str]]:
    """A CSV file all the way to a prepared series: read it, take the chosen (or guessed) columns, put them on
    a regular grid. ``time_col`` ``"none"`` takes the rows in order. Returns the series, the table (for the
    column choices a page offers) and the columns used."""
    table = read_table(blob, name=name, separator=separator, lim=lim)
    guessed_time, guessed_value = guess_columns(table)
    value = value_col or guessed_value
    time = None if time_col == NO_TIME else (time_col or (guessed_time if guessed_time != value else None))
    raw = to_raw(table, time_col=time, value_col=value, dayfirst=dayfirst)
    try:
        prepared = prepare(raw, irregular=irregular, resample_to=resample_to, duplicates=duplicates)
    except SeriesError as exc:
        if any("read month first" in note for note in raw.notes):
            raise SeriesError(f"{exc} (the dates were read month first: if they are day first, say so)") from None
        raise
    return prepared, table, (time, value)
