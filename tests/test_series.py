"""Real series without TensorFlow: reading CSV files (a catalogue of hostile ones), putting them on a grid,
windows without leakage, the catalogue of bundled and uploaded series, and the command line's checks."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest

from rnnlab.series import dataset as data
from rnnlab.cli import main
from rnnlab.config import Experiment, FieldError, parse_flat
from rnnlab.errors import SeriesError
from rnnlab.series import catalog, csvfile, prepare, windows
from rnnlab.series.prepare import RawSeries

from csv_cases import BAD, GOOD


@pytest.mark.parametrize("case", BAD, ids=[c.name for c in BAD])
def test_a_bad_file_is_refused_with_what_and_where(case):
    with pytest.raises(SeriesError) as info:
        csvfile.read_series(case.blob, name=case.name, **case.options)
    for fragment in case.error:
        assert fragment in str(info.value), str(info.value)


@pytest.mark.parametrize("case", GOOD, ids=[c.name for c in GOOD])
def test_an_awkward_file_is_read_as_meant(case):
    prepared, _, _ = csvfile.read_series(case.blob, name=case.name, **case.options)
    notes = " ".join(prepared.report["notes"])
    assert case.points is None or len(prepared) == case.points
    assert case.step is None or prepared.step == case.step
    assert case.first_value is None or prepared.values[0] == pytest.approx(case.first_value)
    for note in case.notes:
        assert note in notes, notes


@pytest.mark.parametrize("case", BAD, ids=[c.name for c in BAD])
def test_the_command_line_refuses_a_bad_file_clearly(case, tmp_path, capsys):
    path = tmp_path / f"{case.name}.csv"
    path.write_bytes(case.blob)
    assert main(["--home", str(tmp_path / "home"), "train", "linear", "--data", str(path), *_options(case)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and f"{case.name}.csv: " in err
    for fragment in case.error:
        assert fragment in err, err
    assert not (tmp_path / "home" / "runs").exists()  # nothing trained, nothing stored


def _options(case) -> list[str]:
    flags = {"dayfirst": ["--dayfirst"], "duplicates": ["--duplicates", case.options.get("duplicates", "")]}
    return [arg for name in case.options for arg in flags[name]]


def test_day_first_dates_that_could_be_read_either_way_need_the_choice():
    blob = b"date,value\n" + b"".join(f"01/{m:02d}/{y},{m + y % 7}\n".encode() for y in (2020, 2021)
                                        for m in range(1, 13))
    with pytest.raises(SeriesError, match=r"are missing .*\(the dates were read month first: if they are day first"):
        csvfile.read_series(blob)  # read month first: 1-12 January of two years, the year between missing
    day_first, _, _ = csvfile.read_series(blob, dayfirst=True)
    assert str(day_first.times[0])[:10] == "2020-01-01" and day_first.step == "monthly" and len(day_first) == 24


def test_resampling_and_row_order():
    times = np.array(["2020-01-01T00:00", "2020-01-01T07:13", "2020-01-02T03:00", "2020-01-03T22:41"] * 1,
                     dtype="datetime64[s]")
    stamps = np.sort(np.concatenate([times + np.timedelta64(i * 5, "D") for i in range(30)]))
    raw = RawSeries(values=np.arange(len(stamps), dtype=float), times=stamps)
    with pytest.raises(SeriesError, match="no regular step"):
        prepare.prepare(raw)
    weekly = prepare.prepare(raw, irregular="resample", resample_to="W")
    assert weekly.step == "weekly" and weekly.freq == "W-MON" and len(weekly) == 22
    assert weekly.values[0] == pytest.approx(np.mean([0, 1, 2, 3]))  # the first week's four observations
    rows = prepare.prepare(raw, irregular="rows")
    assert rows.times is None and len(rows) == 120 and rows.step == "rows"


def test_a_series_is_offered_only_steps_coarser_than_its_own():
    def raw(freq: str, n: int = 40) -> RawSeries:
        times = pd.date_range("2020-01-01", periods=n, freq=freq).to_numpy().astype("datetime64[s]")
        return RawSeries(values=np.arange(n, dtype=float), times=times[::-1])  # unsorted: the order must not matter

    assert prepare.resample_choices(raw("MS")) == ("QS", "YS")
    assert prepare.resample_choices(raw("h")) == ("D", "W", "MS")
    assert prepare.resample_choices(raw("YS")) == ()
    order = list(prepare.GRIDS)
    for own, coarser in prepare.COARSER.items():
        assert set(coarser) <= set(order[order.index(own) + 1:]), own  # never the series' own step or a finer one
    no_times = RawSeries(values=np.arange(40, dtype=float))
    assert prepare.resample_choices(no_times) == tuple(prepare.GRIDS)


def test_gaps_are_filled_from_the_past_only():
    values = np.array([1.0, 2.0, np.nan, np.nan, 5.0] + list(np.arange(6.0, 30.0)))
    prepared = prepare.prepare(RawSeries(values=values))
    assert prepared.report["missing"] == 2 and prepared.report["longest_gap"] == 2
    assert list(prepared.filled()[:5]) == [1.0, 2.0, 2.0, 2.0, 5.0]


def _series(values: np.ndarray) -> prepare.PreparedSeries:
    times = np.arange(np.datetime64("2000-01-01"), np.datetime64("2000-01-01") + len(values)).astype("datetime64[s]")
    return prepare.PreparedSeries(values=np.asarray(values, dtype=float), times=times, freq="D", step="daily",
                                  season=7, name="test")


def _experiment(**changes) -> Experiment:
    with_data = {"model": "linear", "data": "sunspots", "n_steps": "20", "horizon": "3", "mode": "seq2vec", **changes}
    return parse_flat(with_data, strict=True).experiment


def test_no_leakage_from_the_validation_and_test_periods():
    """The scaler and the fill of missing values depend on the training period only: changing every later value
    changes neither the training windows nor the scaling."""
    rng = np.random.default_rng(0)
    values = np.sin(np.arange(600) / 9.0) * 10 + rng.normal(size=600)
    values[100:103] = np.nan  # a gap in the training period
    exp = _experiment()
    where = windows.periods(600, exp.series.train_fraction, exp.series.valid_fraction)
    changed = values.copy()
    changed[where.train_end:] = rng.normal(loc=500, scale=80, size=600 - where.train_end)
    changed[where.train_end + 5: where.train_end + 9] = np.nan
    a, b = data.real_dataset(exp, _series(values)), data.real_dataset(exp, _series(changed))
    assert (a.mean, a.std) == (b.mean, b.std)
    assert np.array_equal(a.train.X, b.train.X) and np.array_equal(a.train.y, b.train.y)
    assert not np.array_equal(a.valid.future, b.valid.future)
    # Every target of a validation or test window lies in its own period, and none was missing.
    for split, (lo, hi) in (("valid", (where.train_end, where.valid_end)), ("test", (where.valid_end, 600))):
        starts = b.origins[split]
        assert starts.min() >= lo and starts.max() + exp.series.horizon <= hi
        targets = starts[:, None] + np.arange(exp.series.horizon)
        assert not np.isnan(changed[targets]).any()  # a filled gap is never scored
    assert len(b.valid) == where.valid_end - where.train_end - exp.series.horizon + 1 - 4 - 3 + 1


def test_windows_seasonal_naive_and_mase_scale():
    values = np.arange(100, dtype=float) % 7 + np.arange(100) / 10
    exp = _experiment(season="7")
    ds = data.real_dataset(exp, _series(values))
    first = ds.origins["valid"][0]
    assert np.allclose(ds.actual("valid")[0], values[first:first + 3])
    assert np.allclose(ds.seasonal["valid"][0], values[first - 7:first - 4])  # one week back
    assert np.allclose(ds.inputs("valid")[0, :, 0], values[first - 20:first])
    where = windows.periods(100, 0.7, 0.15)
    # the seasonal MASE's scale: the in-sample error of "one week back" (the season cancels: 7 x 0.1 of trend)
    assert ds.mase_scale == pytest.approx(np.mean(np.abs(values[7:where.train_end] - values[:where.train_end - 7])))
    assert ds.mase_scale == pytest.approx(0.7)


def test_seasonal_naive_reaches_back_as_many_seasons_as_needed():
    values = np.arange(50, dtype=float)
    out = windows.seasonal_naive(values, np.array([20, 3]), horizon=5, season=2)
    assert list(out[0]) == [18, 19, 18, 19, 18] and list(out[1]) == [1, 2, 1, 2, 1]
    assert np.isnan(windows.seasonal_naive(values, np.array([0]), 1, 5)).all()


def test_backtest_folds_roll_through_the_test_period():
    parts = [windows.periods(1000, 0.7, 0.15, folds=3, fold=k) for k in (1, 2, 3)]
    assert [p.valid_end for p in parts] == [850, 900, 950] and [p.test_end for p in parts] == [900, 950, 1000]
    assert all(p.train_end < p.valid_end for p in parts) and parts[0].train_end < parts[2].train_end  # expanding
    exps = _experiment().backtest(3)
    assert [e.series.fold for e in exps] == [1, 2, 3] and len({e.key() for e in exps}) == 3
    with pytest.raises(FieldError, match="needs a real series"):
        Experiment.book("linear").backtest(3)
    with pytest.raises(FieldError, match="folds=9 is out of range: allowed 2 to 5"):
        _experiment().backtest(9)


def test_the_window_limit_sets_the_stride(monkeypatch):
    assert _experiment().series.stride == 1
    monkeypatch.setenv("RNNLAB_MAX_SERIES", "200")
    exp = _experiment()
    assert exp.series.stride == 11 and len(data.real_dataset(exp, catalog.load("sunspots")).train) <= 200
    with pytest.raises(FieldError, match="stride=2 would take more than 200 training windows"):
        _experiment(stride="2")


def test_a_series_too_short_for_the_windows_is_refused_with_why():
    with pytest.raises(FieldError, match="n_steps=500 with horizon=6 leaves the training period"):
        _experiment(data="elnino_sst", n_steps="500", horizon="6")  # inputs may reach back; targets may not
    lenient = parse_flat({"model": "linear", "data": "elnino_sst", "n_steps": "500", "horizon": "6", "mode": "seq2vec"})
    # the default instead: two of El Niño's 12-month seasons
    assert lenient.experiment.series.n_steps == 24 and "leaves the training period" in lenient.problems[0]


def test_bundled_series_carry_their_provenance_and_checksum():
    names = catalog.bundled_names()
    assert 4 <= len(names) <= 6
    total = sum(p.stat().st_size for p in catalog.DATASETS.iterdir())
    assert total < 1_000_000
    for name in names:
        meta = catalog.bundled_meta(name)
        assert meta["licence"].startswith("Public domain") and meta["licence_evidence"] and meta["source"]
        assert meta["teaches"] and meta["sha256"] and meta["season"] >= 1
        series = catalog.load(name)
        assert len(series) >= meta["points"] and series.report["missing"] == len(series) - meta["points"]


def test_a_changed_bundled_file_is_noticed(tmp_path, monkeypatch):
    copy = tmp_path / "datasets"
    shutil.copytree(catalog.DATASETS, copy)
    (copy / "elnino_sst.csv").write_text((copy / "elnino_sst.csv").read_text().replace("24.", "25.", 1))
    monkeypatch.setattr(catalog, "DATASETS", copy)
    catalog._bundled.cache_clear()
    catalog._load_bundled.cache_clear()
    try:
        with pytest.raises(SeriesError, match="does not match the checksum"):
            catalog.load("elnino_sst")
    finally:
        catalog._bundled.cache_clear()
        catalog._load_bundled.cache_clear()


def test_uploads_are_content_addressed_and_opened_by_a_link_key(home):
    prepared, _, _ = csvfile.read_series(GOOD[0].blob, name="plain.csv")
    data_id = catalog.save_upload(prepared, owner="alice", filename="plain.csv")
    assert data_id == catalog.upload_id(prepared) and catalog.is_upload(data_id)
    again = catalog.load(data_id)
    assert np.array_equal(again.values, prepared.values) and np.array_equal(again.times, prepared.times)
    assert catalog.save_upload(prepared, owner="bob", filename="copy.csv") == data_id
    assert catalog.info(data_id).meta["owner"] == "alice"  # the first upload keeps it
    with pytest.raises(FieldError, match="they have not shared it"):
        catalog.check_link(data_id, None)  # the id alone opens nothing (tests/test_upload_links.py: the keys)
    assert catalog.check_link(data_id, catalog.new_link(data_id)) == data_id
    exp = parse_flat({"model": "linear", "data": data_id, "n_steps": "7"}, strict=True).experiment
    assert exp.series.season == 7 and exp.key() != parse_flat({"model": "linear", "n_steps": "7"}).experiment.key()
    meta = json.loads((home / "datasets" / data_id / "meta.json").read_text())
    assert meta["filename"] == "plain.csv" and meta["points"] == 60


def test_a_link_to_data_this_server_lacks_says_so():
    parsed = parse_flat({"model": "linear", "data": "upload-" + "0" * 20})
    assert parsed.experiment.series.data == "generated"
    assert "is not on this server" in parsed.problems[0] and "the generated series was used instead" in parsed.problems[0]
    with pytest.raises(FieldError, match="data='nope' is not a known series"):
        parse_flat({"model": "linear", "data": "nope"}, strict=True)


def test_generated_keys_are_unchanged_by_the_real_series_fields():
    exp = Experiment.book("lstm")
    assert "data" not in exp.to_dict()["series"] and "season" not in exp.to_dict()["series"]
    assert exp.series.data == "generated" and exp.series.season is None


def test_datasets_command_lists_the_bundled_series(capsys):
    assert main(["datasets", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["name"] for r in rows] == list(catalog.bundled_names())
    assert all(r["licence"] and r["teaches"] and r["points"] > 500 for r in rows)
