"""The defects behind wrong numbers on real series (issue 16), each as a user's file arrives through
:func:`rnnlab.series.csvfile.read_series`: future timestamps that keep the series' own anchoring, partial periods
left out when resampling, local dates kept for daily data written with UTC offsets, and a split whose validation
or test period has no observed target refused before training."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rnnlab.cli import main
from rnnlab.config import FieldError, parse_flat
from rnnlab.series import catalog, csvfile
from rnnlab.series import dataset as data
from rnnlab.series.prepare import PreparedSeries


def _csv(stamps, values=None) -> bytes:
    stamps = list(stamps)
    values = [10 + i % 5 + i / 3 for i in range(len(stamps))] if values is None else values
    return ("date,value\n" + "".join(f"{s},{v}\n" for s, v in zip(stamps, values))).encode()


def _dates(start: str, periods: int, freq: str, fmt: str = "%Y-%m-%d") -> list[str]:
    return list(pd.date_range(start, periods=periods, freq=freq).strftime(fmt))


ANCHORED = [
    # name, the file's timestamps, the last label of the history, the next three timestamps
    ("month-end", _dates("2020-01-31", 36, "ME"), "2022-12-31", ["2023-01-31", "2023-02-28", "2023-03-31"]),
    ("month-start", _dates("2020-01-01", 36, "MS"), "2022-12-01", ["2023-01-01", "2023-02-01", "2023-03-01"]),
    ("quarter-end", _dates("2015-03-31", 32, "QE-DEC"), "2022-12-31", ["2023-03-31", "2023-06-30", "2023-09-30"]),
    ("fiscal-quarter-end", _dates("2015-02-28", 32, "QE-NOV"), "2022-11-30",
     ["2023-02-28", "2023-05-31", "2023-08-31"]),
    ("fiscal-quarter-start", _dates("2015-02-01", 32, "QS-FEB"), "2022-11-01",
     ["2023-02-01", "2023-05-01", "2023-08-01"]),
    ("year-end", _dates("1990-12-31", 33, "YE"), "2022-12-31", ["2023-12-31", "2024-12-31", "2025-12-31"]),
    ("fiscal-year-start", _dates("1990-07-01", 33, "YS-JUL"), "2022-07-01", ["2023-07-01", "2024-07-01",
                                                                           "2025-07-01"]),
    ("half-hourly", _dates("2020-01-01", 96, "30min", "%Y-%m-%d %H:%M"), "2020-01-02T23:30",
     ["2020-01-03T00:00", "2020-01-03T00:30", "2020-01-03T01:00"]),
    ("hourly-at-half-past", _dates("2020-01-01 00:30", 48, "h", "%Y-%m-%d %H:%M"), "2020-01-02T23:30",
     ["2020-01-03T00:30", "2020-01-03T01:30", "2020-01-03T02:30"]),
    ("business-days", list(pd.bdate_range("2020-01-01", periods=40).strftime("%Y-%m-%d")), "2020-02-25",
     ["2020-02-26", "2020-02-27", "2020-02-28"]),
    ("business-days-over-a-weekend", list(pd.bdate_range("2020-01-01", periods=38).strftime("%Y-%m-%d")),
     "2020-02-21", ["2020-02-24", "2020-02-25", "2020-02-26"]),
    ("weekly-wednesdays", _dates("2020-01-01", 40, "W-WED"), "2020-09-30", ["2020-10-07", "2020-10-14",
                                                                          "2020-10-21"]),
]


@pytest.mark.parametrize("name, stamps, last, following", ANCHORED, ids=[c[0] for c in ANCHORED])
def test_the_future_continues_the_series_own_anchoring(name, stamps, last, following):
    prepared, _, _ = csvfile.read_series(_csv(stamps), name=f"{name}.csv")
    assert prepared.report["missing"] == 0 and len(prepared) == len(stamps)
    labels = prepared.time_labels()
    assert labels[-1] == last
    assert [label[:10] for label in labels] == [s[:10] for s in stamps]  # the history keeps the dates as written
    assert prepared.future_times(3) == following


def test_the_anchoring_survives_storing_an_upload(home):
    for name, stamps, _, following in ANCHORED:
        prepared, _, _ = csvfile.read_series(_csv(stamps), name=f"{name}.csv")
        data_id = catalog.save_upload(prepared, owner="alice", filename=f"{name}.csv")
        again = catalog.load(data_id)
        assert (again.freq, again.step) == (prepared.freq, prepared.step), name
        assert again.time_labels() == prepared.time_labels() and again.future_times(3) == following, name


def test_month_start_series_keep_their_ids():
    """Month, quarter and year starts are stored as before (``MS``, ``QS``, ``YS``), so uploads made before the
    anchoring was kept still match their ids."""
    for freq, step in (("MS", "monthly"), ("QS", "quarterly"), ("YS", "yearly")):
        prepared, _, _ = csvfile.read_series(_csv(_dates("2000-01-01", 30, freq)))
        assert (prepared.freq, prepared.step) == (freq, step)


def test_dates_on_no_common_day_of_the_month_are_labelled_by_their_month():
    stamps = [f"{y}-{m:02d}-{10 + (m * 7) % 15:02d}" for y in (2020, 2021, 2022) for m in range(1, 13)]
    prepared, _, _ = csvfile.read_series(_csv(stamps))
    assert prepared.step == "monthly" and prepared.time_labels()[-1] == "2022-12-01"
    assert prepared.future_times(1) == ["2023-01-01"]
    assert any("labelled by the first day of its month" in note for note in prepared.report["notes"])


def test_resampling_leaves_out_a_partial_first_and_last_period():
    days = pd.date_range("2018-01-15", "2020-03-03", freq="D")
    values = np.arange(len(days), dtype=float)
    prepared, _, _ = csvfile.read_series(_csv(days.strftime("%Y-%m-%d"), values), irregular="resample",
                                         resample_to="MS")
    labels = prepared.time_labels()
    assert labels[0] == "2018-02-01" and labels[-1] == "2020-02-01" and len(prepared) == 25
    february = (days >= "2020-02-01") & (days < "2020-03-01")
    assert prepared.values[-1] == pytest.approx(values[february].mean())  # a whole month, not three days
    notes = " ".join(prepared.report["notes"])
    assert "2018-01" in notes and "2020-03" in notes and "only part of" in notes


def test_resampling_keeps_whole_periods_at_the_ends():
    days = pd.date_range("2018-01-01", "2020-02-29", freq="D")
    prepared, _, _ = csvfile.read_series(_csv(days.strftime("%Y-%m-%d")), irregular="resample", resample_to="MS")
    assert len(prepared) == 26 and prepared.time_labels()[0] == "2018-01-01"
    assert not any("only part of" in note for note in prepared.report["notes"])


def test_resampling_hours_to_days_leaves_out_a_day_begun_late():
    hours = pd.date_range("2020-01-01 05:00", "2020-01-30 23:00", freq="h")
    prepared, _, _ = csvfile.read_series(_csv(hours.strftime("%Y-%m-%d %H:%M")), irregular="resample",
                                         resample_to="D")
    assert prepared.time_labels()[0] == "2020-01-02" and prepared.time_labels()[-1] == "2020-01-30"
    assert any("2020-01-01" in note for note in prepared.report["notes"])


def test_daily_dates_with_a_utc_offset_keep_their_local_dates():
    days = _dates("2020-01-01", 40, "D")
    prepared, _, _ = csvfile.read_series(_csv(f"{d}T00:00:00+01:00" for d in days))
    assert prepared.step == "daily" and prepared.time_labels() == days
    assert any("local dates" in note for note in prepared.report["notes"])


def test_daily_dates_across_a_change_of_summer_time_keep_their_local_dates():
    midnights = pd.date_range("2020-03-10", "2020-04-20", freq="D", tz="Europe/Paris")
    stamps = [t.isoformat() for t in midnights]
    assert {s[-6:] for s in stamps} == {"+01:00", "+02:00"}
    prepared, _, _ = csvfile.read_series(_csv(stamps))
    assert prepared.step == "daily" and prepared.time_labels() == list(midnights.strftime("%Y-%m-%d"))


def test_resampling_daily_dates_with_an_offset_keeps_each_day_in_its_month():
    days = pd.date_range("2018-01-01", "2019-12-31", freq="D")
    values = np.where(days.day == 1, 1000.0, 1.0)  # the first of each month stands out
    stamps = [f"{d}T00:00:00+02:00" for d in days.strftime("%Y-%m-%d")]
    prepared, _, _ = csvfile.read_series(_csv(stamps, values), irregular="resample", resample_to="MS")
    assert prepared.time_labels()[0] == "2018-01-01" and len(prepared) == 24
    assert prepared.values[0] == pytest.approx((1000 + 30) / 31)  # January's own 31 days


def _gap_csv(lo: int, hi: int, points: int = 200) -> bytes:
    """Daily values with the rows of days ``lo`` to ``hi - 1`` missing from the file."""
    days = _dates("2020-01-01", points, "D")
    values = [10 + np.sin(i / 3) + i / 50 for i in range(points)]
    keep = [i for i in range(points) if not lo <= i < hi]
    return _csv([days[i] for i in keep], [values[i] for i in keep])


@pytest.mark.parametrize("period, lo, hi", [("validation", 140, 170), ("test", 170, 200)])
def test_a_period_with_no_observed_target_is_refused_before_training(period, lo, hi, home):
    prepared, _, _ = csvfile.read_series(_gap_csv(lo, hi - 1 if period == "test" else hi), name="gap.csv")
    data_id = catalog.save_upload(prepared, owner="alice", filename="gap.csv")
    flat = {"model": "linear", "data": data_id, "n_steps": "10", "horizon": "2", "mode": "seq2vec"}
    with pytest.raises(FieldError, match=rf"the {period} period \(2020-\d\d-\d\d to 2020-\d\d-\d\d, 30 values\) "
                                         r"has no window whose 2 targets were all observed") as info:
        parse_flat(flat, strict=True)
    assert "train_fraction" in str(info.value) and "fill" in str(info.value)
    lenient = parse_flat(flat)  # a link to it: the page says why and falls back
    assert lenient.experiment.series.data == "generated" and f"the {period} period" in lenient.problems[0]


def test_the_dataset_refuses_it_too():
    values = np.sin(np.arange(200) / 3.0)
    values[140:170] = np.nan
    times = np.arange(np.datetime64("2020-01-01"), np.datetime64("2020-01-01") + 200).astype("datetime64[s]")
    prepared = PreparedSeries(values=values, times=times, freq="D", step="daily", season=7, name="gap")
    exp = parse_flat({"model": "linear", "data": "sunspots", "n_steps": "10", "horizon": "2", "mode": "seq2vec"},
                     strict=True).experiment
    with pytest.raises(FieldError, match="the validation period .* has no window"):
        data.real_dataset(exp, prepared)


def test_the_command_line_refuses_it_before_training(tmp_path, capsys):
    path = tmp_path / "gap.csv"
    path.write_bytes(_gap_csv(140, 170))
    args = ["--home", str(tmp_path / "home"), "train", "linear", "--data", str(path), "--n-steps", "10",
            "--horizon", "2", "--mode", "seq2vec"]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "the validation period" in err and "has no window" in err, err
    assert not (tmp_path / "home" / "runs").exists()
