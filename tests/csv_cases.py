"""A catalogue of hostile or awkward CSV files and what must be said about each (shared by the parser, CLI and
browser tests). Each case: a name, the file's bytes, and either the fragments of the error message or what a
good file must read as."""

from __future__ import annotations

import codecs
from dataclasses import dataclass, field


def _daily(n: int, start: int = 0, fmt: str = "{y}-{m:02d}-{d:02d}", sep: str = ",", header: str = "date,value",
           value=lambda i: f"{10 + i % 7 + i / 100:.2f}") -> str:
    import datetime

    day = datetime.date(2020, 1, 1) + datetime.timedelta(days=start)
    lines = [header]
    for i in range(n):
        lines.append(fmt.format(y=day.year, m=day.month, d=day.day) + sep + value(i))
        day += datetime.timedelta(days=1)
    return "\n".join(lines) + "\n"


def _stamp(hour: int) -> str:
    """Hour ``hour`` after 2020-03-01 00:00 UTC, written in UTC (Z) or, every other one, at UTC+01:00."""
    import pandas as pd

    when = pd.Timestamp("2020-03-01T00:00Z") + pd.Timedelta(hours=hour)
    return when.tz_convert("Etc/GMT-1").isoformat() if hour % 2 else when.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Case:
    name: str
    blob: bytes
    #: For a refused file: fragments its message must contain.
    error: tuple[str, ...] = ()
    #: For an accepted file: what it must read as (points, step, first value, notes that must appear).
    points: int | None = None
    step: str | None = None
    first_value: float | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)
    options: dict = field(default_factory=dict)


BAD = [
    Case("empty", b"", error=("the file is empty",)),
    Case("blank-lines", b"\n\n  \n", error=("the file is empty",)),
    Case("header-only", b"date,value\n", error=("header line but no rows",)),
    Case("binary", bytes(range(256)) * 4, error=("not a text file", "binary")),
    Case("png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 64, error=("not a text file",)),
    Case("no-numeric-column", ("name,colour\n" + "".join(f"n{i},red\n" for i in range(50))).encode(),
         error=("no column holds numbers", "'name', 'colour'")),
    Case("text-in-values", _daily(40, value=lambda i: "n/a?" if i == 17 else f"{i}.5").encode(),
         error=("line 19", "'n/a?'", "column 'value'", "is not a number")),
    Case("formula-injection", _daily(40, value=lambda i: "=cmd|' /C calc'!A0" if i == 3 else f"{i}").encode(),
         error=("line 5", "=cmd|", "is not a number")),
    Case("single-row", b"date,value\n2020-01-01,5\n", error=("1 point(s)", "at least 20")),
    Case("too-short", _daily(12).encode(), error=("12 point(s)", "at least 20")),
    Case("all-constant", _daily(60, value=lambda i: "5").encode(), error=("every value is the same (5)",)),
    Case("nan-and-inf", _daily(40, value=lambda i: "inf" if i == 9 else f"{i}").encode(),
         error=("line 11", "'inf'", "too large")),
    Case("huge-numbers", _daily(40, value=lambda i: "1e300" if i == 2 else f"{i}").encode(),
         error=("line 4", "too large", "-1e100 to 1e100")),
    Case("duplicates", (_daily(30) + "2020-01-05,99\n").encode(),
         error=("appear more than once", "2020-01-05", "lines 6, 32", "average")),
    Case("too-many-columns", (",".join(f"c{i}" for i in range(80)) + "\n" + ",".join("1" for _ in range(80)) + "\n")
         .encode(), error=("80 columns", "at most 50", "RNNLAB_MAX_COLUMNS")),
    Case("too-many-rows", ("value\n" + "1\n" * 100_001).encode(), error=("100,001 rows", "at most 100,000",
                                                                           "RNNLAB_MAX_ROWS")),
    Case("bad-date", _daily(30).replace("2020-01-09", "2020-13-45").encode(),
         error=("line 10", "'2020-13-45'", "not a date")),
    Case("empty-time-cell", _daily(30).replace("2020-01-04", "").encode(), error=("line 5", "time column", "empty")),
    Case("mostly-missing", _daily(60, value=lambda i: "" if i % 3 else f"{i}").encode(),
         error=("are missing", "at most 20%")),
    Case("irregular-times", ("date,value\n" + "".join(f"2020-01-01 {h:02d}:{m:02d}:{s:02d},{i}\n" for i, (h, m, s) in
                                                        enumerate((i * 7 % 24, i * 13 % 60, i * 29 % 60)
                                                                  for i in range(60)))).encode(),
         error=("no regular step", "resample it", "rows in order")),
    Case("ragged-rows", (_daily(30) + "2020-02-15,1,2,3\n").encode(), error=("line 32", "4 fields", "header has 2")),
    Case("too-big", b"value\n" + b"1.0\n" * (6 * 1024 * 1024 // 4), error=("MB", "at most 5 MB", "RNNLAB_MAX_UPLOAD_MB")),
    Case("no-value-in-one-column-text", ("city\n" + "Paris\n" * 30).encode(), error=("no column holds numbers",)),
    Case("utf16-no-numbers", ("name\n" + "x\n" * 30).encode("utf-16"), error=("no column holds numbers",)),
]

GOOD = [
    Case("plain-daily", _daily(60).encode(), points=60, step="daily", first_value=10.0),
    Case("semicolon-decimal-comma", _daily(60, sep=";", header="Datum;Umsatz",
                                           value=lambda i: f"{10 + i / 4:.2f}".replace(".", ",")).encode(),
         points=60, step="daily", first_value=10.0, notes=("semicolon", "decimal commas")),
    Case("semicolon-three-decimals", ("Tag;Wert\n" + "".join(f"2021-01-{d:02d};{100 + d},{d * 7 % 1000:03d}\n"
                                                       for d in range(1, 31))).encode(), points=30, step="daily",
         first_value=101.007, notes=("decimal commas",)),
    Case("quoted-thousands", ("date,sales\n" + "".join(f'2021-01-{d:02d},"{d},{d * 3 % 1000:03d}"\n'
                                                      for d in range(1, 31))).encode(), points=30, step="daily",
         first_value=1003.0, notes=("commas between thousands",)),
    Case("tab-separated", _daily(60, sep="\t", header="date\tvalue").encode(), points=60, step="daily",
         notes=("tab",)),
    Case("day-first", _daily(60, fmt="{d:02d}/{m:02d}/{y}").encode(), points=60, step="daily",
         notes=("read day first",)),
    Case("day-first-asked", _daily(10, fmt="{d:02d}/{m:02d}/{y}").encode() + _daily(
        25, start=10, fmt="{d:02d}/{m:02d}/{y}").split("\n", 1)[1].encode(), points=35, step="daily",
         options={"dayfirst": True}),
    Case("year-only", ("year,value\n" + "".join(f"{1749 + i},{i * 1.5 + (i % 11)}\n" for i in range(60))).encode(),
         points=60, step="yearly", first_value=0.0, notes=("holds years",)),
    Case("thousands-separators", ("month,sales\n" + "".join(
        f'2019-{m:02d}-01,"{1000 + m * 111:,}.5"\n' for m in range(1, 13)) + "".join(
        f'2020-{m:02d}-01,"{2000 + m * 37:,}.25"\n' for m in range(1, 13))).encode(), points=24, step="monthly",
         first_value=1111.5),
    Case("thousands-points-decimal-comma", ("Monat;Wert\n" + "".join(
        f"2019-{m:02d}-01;{1 + m}.{100 + m * 7:03d},5\n" for m in range(1, 13)) + "".join(
        f"2020-{m:02d}-01;{3 + m}.{200 + m:03d},25\n" for m in range(1, 13))).encode(), points=24, step="monthly",
         first_value=2107.5, notes=("decimal commas", "points between thousands")),
    Case("mixed-utc-offsets", ("time,value\n" + "".join(f"{_stamp(i)},{i % 5 + i / 9}\n" for i in range(48))).encode(),
         points=48, step="hourly", notes=("UTC offsets",)),
    Case("one-column-no-time", ("value\n" + "".join(f"{i % 9 + i / 10}\n" for i in range(50))).encode(), points=50,
         step="rows", notes=("no time column",)),
    Case("no-header", "".join(f"{i % 5 + i / 7}\n" for i in range(40)).encode(), points=40, step="rows"),
    Case("unsorted", ("date,value\n" + "".join(
        f"2020-01-{d:02d},{d}\n" for d in [5, 1, 3, 2, 4, *range(6, 29)])).encode(), points=28, step="daily",
         first_value=1.0, notes=("sorted",)),
    Case("gaps-become-missing", (_daily(10) + _daily(30, start=13).split("\n", 1)[1]).encode(), points=43,
         step="daily"),
    Case("latin-1", ("ville;température\n" + "".join(f"2020-01-{d:02d};{d},5\n" for d in range(1, 29)))
         .encode("latin-1"), points=28, step="daily", notes=("Latin-1",)),
    Case("utf8-bom", codecs.BOM_UTF8 + _daily(30).encode(), points=30, step="daily"),
    Case("duplicates-averaged", (_daily(30) + "2020-01-05,99\n").encode(), points=30, step="daily",
         options={"duplicates": "average"}, notes=("averaged",)),
    Case("weekly", ("week,value\n" + "".join(f"{d},{i}\n" for i, d in enumerate(
        __import__("pandas").date_range("2020-01-04", periods=40, freq="W-SAT").strftime("%Y-%m-%d")))).encode(),
         points=40, step="weekly"),
    Case("business-days", ("date,close\n" + "".join(f"{d},{100 + i}\n" for i, d in enumerate(
        __import__("pandas").bdate_range("2020-01-01", periods=60).strftime("%Y-%m-%d")))).encode(), points=60,
         step="business-daily"),
]
