"""Yardsticks in backtests, and the classical forecasters in the Train page's model box.

``backtest`` fits each fold's naive, seasonal-naive, ETS, ARIMA and Theta forecasts on that fold's windows and
reports them beside the model, per fold and as the mean, the best classical forecaster chosen on validation; the
Train page's backtest panel shows the same; the model box offers the classical forecasters on a real series only,
and a classical run's result page shows no training charts.
"""

from __future__ import annotations

import dataclasses
import io
import json

import numpy as np
import pandas as pd
import pytest

from rnnlab.cli import main
from rnnlab.config import Experiment
from rnnlab.dashboard.state import to_query
from rnnlab.forecasting import folds, yardsticks
from rnnlab.series.dataset import make_dataset
from rnnlab.store.runs import RunResult
from rnnlab.store.runstore import RunStore

POINTS = 120


def _csv(tmp_path):
    """A monthly series with a trend and a season, strictly positive."""
    months = pd.date_range("2010-01-01", periods=POINTS, freq="MS")
    rng = np.random.default_rng(5)
    values = 40 + 0.2 * np.arange(POINTS) + 6 * np.sin(2 * np.pi * np.arange(POINTS) / 12) + rng.normal(0, 1, POINTS)
    path = tmp_path / "sales.csv"
    path.write_text("month,sales\n" + "".join(f"{m:%Y-%m-%d},{v:.3f}\n" for m, v in zip(months, values)))
    return path


def _backtest(home, csv, *more: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(["--home", str(home), "backtest", "linear", "--data", str(csv), "--n-steps", "12", "--horizon", "3",
                 "--mode", "seq2vec", "--epochs", "1", "--folds", "2", "--season", "1", *more], out=out)
    return code, out.getvalue()


def test_the_cli_backtest_fits_each_folds_yardsticks_on_its_very_windows(home, tmp_path):
    code, text = _backtest(home, _csv(tmp_path), "--json")
    assert code == 0
    report = json.loads(text)
    store = RunStore(home)
    for row in report["folds"]:
        assert list(row["yardsticks"]) == list(yardsticks.NAMES)
        network = store.get(row["key"])
        for name, stick in row["yardsticks"].items():
            assert "error" not in stick, (name, stick)
            run = store.get(stick["key"])
            # the same fold of the same series: the same test targets, as many and at the same origins
            # (in the series' units, global, and starting nowhere: no network)
            assert run.spec.series == dataclasses.replace(network.spec.series, scaling="global", start="random")
            assert run.spec.series.fold == row["fold"]
            assert run.predictions["test"].shape == network.predictions["test"].shape
            assert np.array_equal(make_dataset(run.spec).origins["test"], make_dataset(network.spec).origins["test"])
            assert stick["test"]["mae"] > 0 and stick["test"]["mase"] > 0
        # the best classical forecaster of the fold is the one with the lowest validation MAE
        valid = {n: row["yardsticks"][n]["valid"]["mae"] for n in ("ets", "arima", "theta")}
        assert row["best_classical"] == min(valid, key=valid.get)
    mean = report["mean"]
    assert mean["linear"]["test_mae"] == pytest.approx(np.mean([r["test_mae"] for r in report["folds"]]))
    assert mean["naive"]["test_mae"] == pytest.approx(
        np.mean([r["yardsticks"]["naive"]["test"]["mae"] for r in report["folds"]]))
    assert [mean[n]["group"] for n in ("linear", "naive", "seasonal_naive")] == ["network", "baseline", "baseline"]
    best = mean["best_classical"]
    assert mean[best]["group"] == "classical"
    assert mean[best]["valid_mae"] == pytest.approx(
        np.mean([r["yardsticks"][best]["valid"]["mae"] for r in report["folds"]]))
    assert "the last 17.6% are its validation period: no weight" in report["holdout"]
    lost = mean["linear"]["test_mae"] > min(mean["naive"]["test_mae"], mean[best]["test_mae"])
    assert (report["verdict"] is not None) == lost
    # asked again, as a table: everything comes from the store, and a losing model is told so in words
    code, table = _backtest(home, tmp_path / "sales.csv")
    assert code == 0 and table.count("(cached)") == 2
    assert "best classical (chosen on validation)" in table and table.splitlines()[-2 if lost else -1].startswith(
        "mean test MSE")
    if lost:
        assert table.splitlines()[-1].startswith("Over the folds (mean test MAE): this Linear model forecasts worse")


def test_no_yardsticks_skips_them_but_keeps_the_naive_forecast(home, tmp_path):
    code, text = _backtest(home, _csv(tmp_path), "--json", "--no-yardsticks")
    assert code == 0
    report = json.loads(text)
    assert all("yardsticks" not in row for row in report["folds"])
    assert len(RunStore(home).list()) == 2  # the two folds, nothing else fitted
    assert report["mean"]["naive"]["test_mae"] is not None and report["mean"]["best_classical"] is None


def _scores(valid: float, test: float) -> dict:
    return {"valid": {"mae": valid, "mase": valid / 2}, "test": {"mae": test, "mase": test / 2}}


def test_the_best_classical_forecaster_is_chosen_on_validation_never_on_test():
    """ETS is best on validation in both folds and worst on test: it is the one shown; reading test would pick
    Theta. The network beats the naive forecast but not ETS, and is told so."""
    fold_sticks = [{"naive": _scores(5.0, 5.0), "seasonal_naive": _scores(4.0, 4.0), "ets": _scores(1.0, 3.0),
                    "arima": _scores(2.0, 2.0), "theta": _scores(3.0, 1.0)},
                   {"naive": _scores(6.0, 6.0), "seasonal_naive": _scores(4.0, 4.0), "ets": _scores(1.5, 3.5),
                    "arima": _scores(2.5, 2.5), "theta": _scores(3.5, 0.5)}]
    rows, mean = folds.table("gru", [_scores(2.0, 4.0), _scores(2.0, 5.0)], fold_sticks)
    assert [r.best_classical for r in rows] == ["ets", "ets"] and mean.best_classical == "ets"
    assert mean.figure("ets", "test", "mae") == pytest.approx(3.25)
    assert mean.shown() == ["gru", "naive", "seasonal_naive", "ets"]
    assert folds.verdict(mean, "GRU") == (
        "Over the folds (mean test MAE): this GRU forecasts worse than the best classical forecaster, ETS (3.25) "
        "(test MAE 4.5 against 3.25), though it beats the naive forecast (5.5): a classical model of the series' "
        "level, trend and season forecasts it better.")
    # a forecaster that failed in one fold has no mean, and is not chosen
    fold_sticks[1].pop("ets")
    rows, mean = folds.table("gru", [_scores(2.0, 4.0), _scores(2.0, 5.0)], fold_sticks)
    assert rows[0].best_classical == "ets" and rows[1].best_classical == "arima" and mean.best_classical == "arima"


# -- the Train page ---------------------------------------------------------------------------------------------
def _real(model: str = "linear", **more: str) -> Experiment:
    return Experiment.from_flat({"model": model, "data": "elnino_sst", "n_steps": "12", **more})


def _model_box(at):
    return next(s for s in at.selectbox if s.label == "Model")


def test_the_model_box_offers_the_classical_forecasters_on_a_real_series_only(app):
    real = _model_box(app("pages/train.py", **to_query(_real())))
    assert {"Seasonal naive forecast", "ETS (exponential smoothing)", "ARIMA", "Theta method"} <= set(real.options)
    generated = _model_box(app("pages/train.py", **to_query(Experiment.book("linear"))))
    assert "ETS (exponential smoothing)" not in generated.options and "Seasonal naive forecast" not in generated.options
    assert "Linear model" in generated.options and "Naive forecast" in generated.options


def _fake_run(experiment: Experiment, valid_mae: float = 0.8, test_mae: float = 0.8,
              forecaster: str | None = None) -> RunResult:
    """A finished run of ``experiment`` with these MAEs (the naive forecast's are 2), predictions of the right
    shape, no history and no layers (as a classical forecaster's), and a forecast past the end with intervals."""
    ds = make_dataset(experiment)
    scores = {s: {"mse": mae ** 2, "mae": mae, "rmse": mae, "mase": mae / 2, "smape": 12.0, "rel_mae": mae / 2}
              for s, mae in (("valid", valid_mae), ("test", test_mae))}
    naive = {s: {"mse": 4.0, "mae": 2.0, "rmse": 2.0, "mase": 1.0, "smape": 20.0, "rel_mae": 1.0}
             for s in ("valid", "test")}
    last = ds.series.time_labels([len(ds.series) - 1])[0]
    future = {"time": ds.series.future_times(1), "value": [24.0], "last_time": last, "rolled_forward": False,
              "lower": {"80": [23.0], "95": [22.0]}, "upper": {"80": [25.0], "95": [26.0]}, "model": forecaster}
    return RunResult(key=experiment.key(), experiment=experiment.to_dict(), history=[], metrics=scores,
                     naive_metrics=naive, mse_per_step={}, params_total=0, layers=[],
                     predictions={s: np.zeros(getattr(ds, s).future.shape, np.float32) for s in ("valid", "test")},
                     wall_seconds=0.2, train_seconds=0.2, versions={}, forecaster=forecaster, future=future)


def test_picking_ets_on_a_real_series_shows_its_fitted_model_and_no_training_charts(app, fake_manager):
    """ETS picked in the model box finds the run it made as a yardstick (the same key: its training settings are
    the defaults whatever the widgets held), and its page shows the model statsmodels chose, no loss curve."""
    network = _real(epochs="3", learning_rate="0.01")
    ets = next(y for y in yardsticks.experiments(network) if y.model.name == "ets")
    RunStore().put(_fake_run(ets, forecaster="ETS(A,N,A)"))
    at = app("pages/train.py", **to_query(network))
    _model_box(at).select("ets").run()
    assert not at.exception, at.exception
    assert at.session_state["_rnnlab_experiment"].key() == ets.key()
    assert any("fitted by statsmodels: ETS(A,N,A)" in i.value for i in [*at.info, *at.caption])
    assert not [e for e in at.expander if e.label == "Training"]
    assert not at.error, [e.value for e in at.error]
    charts = [c.proto.spec for c in at.get("plotly_chart")]
    assert charts and not any("loss" in json.loads(c)["layout"].get("title", {}).get("text", "").lower()
                              for c in charts)


#: Each yardstick's (valid MAE, test MAE) in every fold: ETS is the best classical forecaster on validation,
#: Theta on test.
FOLD_FIGURES = {"naive": (2.0, 2.0), "seasonal_naive": (3.0, 3.0), "ets": (1.0, 1.8), "arima": (1.5, 1.6),
                "theta": (1.9, 1.1)}


def test_the_backtest_panel_shows_each_fold_beside_its_yardsticks_and_the_verdict(app, fake_manager):
    """The panel's table has a group column, the best classical forecaster chosen on validation (ETS, though
    Theta did better on test), each fold's test MAE and the means; a model that loses is told so."""
    network = _real(epochs="1")
    store = RunStore()
    store.put(_fake_run(network, 1.0, 4.0))
    for fold in network.backtest(3):
        store.put(_fake_run(fold, 1.0, 4.0))
        for stick in yardsticks.experiments(fold):
            store.put(_fake_run(stick, *FOLD_FIGURES[stick.model.name]))
    at = app("pages/train.py", **to_query(network))
    assert not at.exception, at.exception
    table = next(d.value for d in at.dataframe if "group" in d.value)
    assert list(table["forecaster"]) == ["Linear model", "Naive", "Seasonal naive",
                                         "ETS (best classical on validation)"]
    assert list(table["group"]) == ["network", "baseline", "baseline", "classical"]
    assert table["fold 2 test MAE"].tolist() == [4.0, 2.0, 3.0, 1.8]
    assert table["mean test MAE"].tolist() == [4.0, 2.0, 3.0, 1.8] and table["mean valid MAE"].iloc[3] == 1.0
    assert any(w.value.startswith("Over the folds (mean test MAE): this Linear model forecasts worse than the naive "
                                  "forecast (test MAE 4 against 2) and worse than the best classical forecaster, ETS")
               for w in at.warning)
    assert not [b for b in at.button if b.key == "backtest_run"]  # all made: nothing to run


def test_a_backtest_without_its_yardsticks_offers_to_fit_them_in_one_request(app, fake_manager):
    network = _real(epochs="1")
    store = RunStore()
    store.put(_fake_run(network, 1.0, 4.0))
    experiments = network.backtest(3)
    for fold in experiments:
        store.put(_fake_run(fold, 1.0, 4.0))
    at = app("pages/train.py", **to_query(network))
    table = next(d.value for d in at.dataframe if "group" in d.value)
    assert list(table["forecaster"]) == ["Linear model", "Naive", "Seasonal naive"]  # the naive comes with each run
    button = next(b for b in at.button if b.key == "backtest_run")
    assert button.label == "Fit the folds' yardsticks (15 fits)"
    button.click().run()
    assert not at.exception, at.exception
    wanted = {y.key() for fold in experiments for y in yardsticks.experiments(fold)}
    assert wanted <= {j.key for j in fake_manager.jobs()}


def _summary(experiment: Experiment, mae: float) -> dict:
    scores = {s: {"mse": mae ** 2, "mae": mae, "mase": mae / 2} for s in ("valid", "test")}
    return {"key": experiment.key(), "metrics": scores, "naive_metrics": scores, "baselines": {}}


def test_on_a_cluster_the_folds_and_their_yardsticks_go_as_one_batch(home, monkeypatch):
    """With --scheduler, one request holds the folds and every fold's yardsticks; when one of them cannot be fitted,
    the others are asked for one at a time (the store answers the finished) and the failure is reported."""
    from rnnlab.cli import backtest
    from rnnlab.cli.options import CliError

    calls = []

    def train_all(experiments, args):
        calls.append([e.model.name for e in experiments])
        if len(experiments) > 1 and len(calls) == 1:
            raise CliError("1 of 12 trainings did not finish: ets failed")
        if experiments[0].model.name == "ets":
            raise CliError("ets: the fit did not converge")
        return [(_summary(e, 2.0 if e.model.entry.kind != "network" else 3.0), False) for e in experiments]

    monkeypatch.setattr(backtest, "train_all", train_all)
    out = io.StringIO()
    code = main(["--home", str(home), "backtest", "linear", "--dataset", "elnino_sst", "--n-steps", "12",
                 "--folds", "2", "--scheduler", "tcp://127.0.0.1:1", "--json"], out=out)
    assert code == 0
    assert calls[0] == ["linear", "linear"] + list(yardsticks.NAMES) * 2  # one batch: folds and yardsticks
    assert calls[1] == ["linear", "linear"] and len(calls) == 2 + 10  # then the folds, and each yardstick alone
    report = json.loads(out.getvalue())
    for row in report["folds"]:
        assert row["yardsticks"]["ets"] == {"error": "ets: the fit did not converge"}
        assert row["yardsticks"]["arima"]["test"]["mae"] == 2.0 and row["best_classical"] in ("arima", "theta")
    assert report["verdict"].startswith("Over the folds (mean test MAE): this Linear model forecasts worse than the "
                                        "naive forecast (test MAE 3 against 2)")
