"""The classical forecasters and the seasonal naive as registry models: runs made by ``fit.run`` without Keras,
scored on exactly the networks' windows, with the seasonal MASE, stored like any run, estimated, and reported by
``train``."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from rnnlab.cli import main
from rnnlab.config import Experiment, ModelSpec, parse_flat
from rnnlab.errors import FieldError
from rnnlab.jobs import costs
from rnnlab.series import catalog, csvfile, dataset, windows
from rnnlab.store.runs import RunSummary
from rnnlab.store.runstore import RunStore
from rnnlab.training import fit

from helpers import ROOT

POINTS = 180
SEASON = 12


def _csv() -> bytes:
    """A monthly series with a trend and a season, strictly positive (ETS may choose multiplicative terms)."""
    months = pd.date_range("2005-01-01", periods=POINTS, freq="MS")
    rng = np.random.default_rng(3)
    values = 50 + 0.3 * np.arange(POINTS) + 8 * np.sin(2 * np.pi * np.arange(POINTS) / SEASON) + rng.normal(0, 1, POINTS)
    return ("month,sales\n" + "".join(f"{m:%Y-%m-%d},{v:.3f}\n" for m, v in zip(months, values))).encode()


@pytest.fixture
def upload(home):
    prepared, _, _ = csvfile.read_series(_csv(), name="sales.csv")
    assert prepared.season == SEASON
    return catalog.save_upload(prepared, owner="alice", filename="sales.csv")


def _experiment(data: str, model: str, **changes: str) -> Experiment:
    values = {"model": model, "data": data, "n_steps": "12", "horizon": "3", "mode": "seq2vec", "epochs": "1",
              **changes}
    return parse_flat(values, strict=True).experiment


def test_a_classical_run_forecasts_exactly_the_networks_windows(upload):
    network, ets = _experiment(upload, "linear"), _experiment(upload, "ets")
    # but the scaling and the start: how a network sees the windows
    assert network.series == dataclasses.replace(ets.series, scaling=network.series.scaling,
                                                 start=network.series.start)
    net_data, ets_data = dataset.make_dataset(network), dataset.make_dataset(ets)
    net_run, ets_run = fit.run(network, save_model=False), fit.run(ets)
    for split in ("valid", "test"):
        # the same origins, so the same actual targets, in the series' own units
        assert np.array_equal(net_data.origins[split], ets_data.origins[split])
        assert np.allclose(net_data.actual(split), ets_data.actual(split))
        assert ets_run.predictions[split].shape == net_run.predictions[split].shape == (len(net_data.origins[split]), 3)
        # the naive forecast, scored beside each run on its windows, is the same figure for both
        assert ets_run.naive_metrics[split] == pytest.approx(net_run.naive_metrics[split])
        assert set(ets_run.metrics[split]) == {"mse", "mae", "rmse", "smape", "rel_mae", "mase"}
    # each window was forecast from the values before its first target, by one model chosen on the training period
    assert ets_run.forecaster.startswith("ETS(") and ets_run.params_total == 0 and ets_run.history == []
    future = ets_run.future
    assert future["time"][0] == "2020-01-01" and len(future["value"]) == 3 and future["model"].startswith("ETS(")
    for level in ("80", "95"):
        assert all(lo < v < hi for lo, v, hi in zip(future["lower"][level], future["value"], future["upper"][level]))
    assert all(a < b for a, b in zip(future["lower"]["95"], future["lower"]["80"]))
    assert "statsmodels" in ets_run.versions and "keras" not in ets_run.versions
    assert future["model"] == ets_run.forecaster  # the form chosen on the training period, refit on all the data
    # its own intervals (statsmodels'), scored on the test windows beside the conformal ones every run gets
    own = ets_run.own_intervals
    assert set(own) == {"80", "95"} and all(0 <= own[lv]["coverage"] <= 1 for lv in own)
    assert own["80"]["mean_width"] < own["95"]["mean_width"] and own["80"]["winkler"] >= own["80"]["mean_width"]
    assert net_run.own_intervals is None


def test_a_backtest_folds_classical_run_scores_its_windows_and_forecasts_nothing_past_the_end(upload):
    run = fit.run(_experiment(upload, "ets", folds="3", fold="2"))
    assert run.future is None and run.forecaster.startswith("ETS(")
    assert np.isfinite(run.metrics["test"]["mase"]) and run.predictions["test"].shape[1] == 3


def test_the_seasonal_mase_is_the_m4_formula(upload):
    exp = _experiment(upload, "seasonal_naive")
    run = fit.run(exp)
    values = catalog.load(upload).filled()
    train_end = int(round(POINTS * exp.series.train_fraction))
    # by hand: the in-sample MAE of the forecast "the value one season before" over the training period
    scale = np.mean([abs(values[t] - values[t - SEASON]) for t in range(SEASON, train_end)])
    for split in ("valid", "test"):
        assert run.metrics[split]["mase"] == pytest.approx(run.metrics[split]["mae"] / scale, rel=1e-12)
        # rel_mae is the other figure: the MAE over the naive forecast's on the same windows
        assert run.metrics[split]["rel_mae"] == pytest.approx(
            run.metrics[split]["mae"] / run.naive_metrics[split]["mae"], rel=1e-12)
    ds = dataset.make_dataset(exp)
    # the seasonal naive run is the same forecast as the seasonal-naive baseline of every run on these windows
    assert run.predictions["test"] == pytest.approx(ds.seasonal["test"])
    assert run.forecaster == f"Seasonal naive[{SEASON}]"


@pytest.mark.parametrize("model", ["ets", "arima", "theta", "seasonal_naive"])
def test_the_generated_series_refuses_them(model):
    with pytest.raises(FieldError) as info:
        Experiment(model=ModelSpec(model))
    assert info.value.field == "model"
    assert "needs a real series" in str(info.value) and "--dataset" in str(info.value) and model in str(info.value)
    assert parse_flat({"model": model}).problems  # a link asking for it on the generated series is refused too


def test_a_classical_run_imports_no_keras(upload, home):
    code = ("import sys; from rnnlab.config import parse_flat; from rnnlab.training import fit; "
            f"exp = parse_flat({{'model': 'arima', 'data': {upload!r}, 'n_steps': '12', 'horizon': '3', "
            "'mode': 'seq2vec'}, strict=True).experiment; r = fit.run(exp); "
            "print(r.forecaster); print(sorted(m for m in ('keras', 'tensorflow', 'jax') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300,
                         env={**__import__("os").environ, "RNNLAB_HOME": str(home)})
    assert out.returncode == 0, out.stderr[-2000:]
    model, loaded = out.stdout.strip().splitlines()[-2:]
    assert model.startswith("ARIMA(") and loaded == "[]"


def test_a_classical_run_round_trips_through_the_store(upload, home):
    run = fit.run(_experiment(upload, "theta"))
    store = RunStore(home)
    store.put(run)
    again = store.get(run.key)
    assert again.forecaster == "Theta" and again.future["lower"]["80"] == run.future["lower"]["80"]
    assert again.predictions["test"] == pytest.approx(run.predictions["test"], rel=1e-6)  # stored as float32
    assert store.summary(run.key).forecaster == "Theta"
    old = run.summary()
    del old["forecaster"]  # a run stored before the field existed still loads
    assert RunSummary.from_json(old).forecaster is None


def test_their_cost_is_estimated_from_the_windows(upload):
    exp = _experiment(upload, "ets")
    estimate = costs.estimate(exp)
    s = exp.series
    where = windows.periods(POINTS, s.train_fraction, s.valid_fraction)
    n = len(dataset.make_dataset(exp).origins["valid"]) + len(dataset.make_dataset(exp).origins["test"])
    assert n == windows.window_count(where.train_end, where.test_end, 12, 3) - 2  # two windows straddle a boundary
    c = costs.CLASSICAL_SECONDS["ets"]
    assert estimate.total == pytest.approx(0.5 + c["fit"] + c["refit"] + (n + 1) * c["a"]) and estimate.per_epoch == 0
    fold = _experiment(upload, "ets", folds="3", fold="1")  # a backtest fold forecasts nothing past the end
    n_fold = sum(len(dataset.make_dataset(fold).origins[split]) for split in ("valid", "test"))
    assert costs.estimate(fold).total == pytest.approx(0.5 + c["fit"] + (n_fold + 1) * c["a"])
    assert costs.estimate(_experiment(upload, "theta")).total > costs.estimate(_experiment(upload, "seasonal_naive")).total


def test_train_reports_the_yardsticks_on_the_same_windows(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("RNNLAB_WORKERS", "1")  # the batch's embedded cluster: one worker importing Keras, not two
    path = tmp_path / "sales.csv"
    path.write_bytes(_csv())
    args = ["--home", str(tmp_path / "home"), "train", "linear", "--data", str(path), "--n-steps", "12",
            "--horizon", "3", "--mode", "seq2vec", "--epochs", "1"]
    assert main([*args, "--estimate"]) == 0 and "about" in capsys.readouterr().out
    assert main([*args[:3], "ets", *args[4:], "--estimate"]) == 0
    assert "no training" in capsys.readouterr().out
    assert main([*args, "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    found = result["yardsticks"]
    assert list(found) == ["naive", "seasonal_naive", "ets", "arima", "theta"]
    assert found["ets"]["forecaster"].startswith("ETS(") and found["naive"]["forecaster"] is None
    assert found["naive"]["test"] == pytest.approx(result["naive_metrics"]["test"])  # the same windows
    assert all(set(y["test"]) >= {"mae", "mase", "smape"} for y in found.values())
    assert main(args) == 0  # everything is stored now: the text output lists them too
    out = capsys.readouterr().out
    assert "yardsticks on the same test windows" in out and "ARIMA(" in out and "MASE" in out
    assert main([*args, "--json", "--no-yardsticks"]) == 0 and "yardsticks" not in json.loads(capsys.readouterr().out)
