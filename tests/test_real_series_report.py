"""rnnlab.reports.real_series (``python -m rnnlab real-series``): its plan, its table and its words, on fake results
(the real report trains for an hour; nothing here trains)."""

from __future__ import annotations

import io
from types import SimpleNamespace

import numpy as np
import pytest

from rnnlab.reports import real_series as report


def _row(name: str, kind: str, label: str, valid: float, test: float, **extra):
    scores = {s: {"mae": v, "mase": v / 2, "smape": 10 * v} for s, v in (("valid", valid), ("test", test))}
    return {"name": name, "kind": kind, "label": label, "model": extra.pop("model", None), "metrics": scores,
            "seconds": 2.0, "fit_seconds": 1.5, "backtest": test * 1.1, "backtest_seconds": 6.0, "windows": 9, **extra}


class DictStore(dict):
    """The run store's get/put over a dict: what the report asks of a store."""

    def get(self, key):
        return super().get(key)

    def put(self, result):
        self[result.key] = result


def _rows():
    """The naive forecast best on validation but not on test; ETS best classical on validation, Theta on test."""
    return [_row("naive", "baseline", "Naive", 1.0, 3.0),
            _row("seasonal_naive", "baseline", "Seasonal naive", 4.0, 4.0),
            _row("ets", "classical", "ETS", 2.0, 2.5, model="ETS(A,Ad,A)"),
            _row("arima", "classical", "ARIMA", 3.0, 2.2, model="ARIMA(1,1,0)"),
            {"name": "theta", "kind": "classical", "label": "Theta", "error": "Theta: every training value is 5"},
            _row("linear", "network", "Linear", 5.0, 2.0),
            _row("gru", "network", "GRU", 1.5, 2.7),
            _row("lstm", "network", "LSTM", 6.0, 9.0)]


def test_horizons_are_one_step_and_the_natural_one_by_step():
    assert report.horizons("us_unemployment") == (1, 12)  # monthly: a year
    assert report.horizons("co2_mauna_loa") == (1, 13)  # weekly: a quarter, as M4
    assert report.horizons("seattle_temp_max") == (1, 14)  # daily: two weeks
    assert report.horizons("msft_stock") == (1, 10)  # business days: two trading weeks


def test_beyond_one_step_everything_forecasts_the_same_windows_and_the_networks_use_seq2vec():
    exps = report.experiments_for("elnino_sst", epochs=1, n_steps=24, horizon=12)
    assert [e.model.name for e in exps] == ["naive", "seasonal_naive", "ets", "arima", "theta", "linear", "gru",
                                           "lstm"]
    assert {e.model.mode for e in exps} == {"seq2vec"} and len({e.key() for e in exps}) == 8
    assert len({(e.series.n_steps, e.series.horizon, e.series.data) for e in exps}) == 1
    assert {e.model.mode for e in report.experiments_for("elnino_sst", epochs=1, n_steps=24, horizon=1)} \
        == {"one_step"}


def test_table_has_one_line_per_forecaster_and_the_same_columns_on_each():
    lines = report.table_lines(_rows())
    assert len(lines) == 2 + 8
    assert len({line.count("|") for line in lines}) == 1
    assert lines[0].startswith("| forecast | valid MAE | valid MASE | valid sMAPE | test MAE | test MASE | test sMAPE")
    assert lines[4].startswith("| ETS(A,Ad,A) | 2 | 1 | 20 | 2.5 | 1.25 | 25 | 2.75 | 2.0 + 6.0 |")
    assert lines[6].startswith("| Theta (failed: Theta: every training value is 5) | – |")


def test_the_best_is_chosen_on_validation_and_the_losses_are_said_in_words():
    words = report.verdict(_rows())
    # the linear model has the lowest TEST MAE (2.0), but the choice reads validation: the naive forecast (1.0)
    assert "Chosen on validation MAE: **Naive** (valid MAE 1, test MAE 3)." in words
    # ARIMA is better on test (2.2), ETS on validation (2.0): ETS is the best classical forecaster
    assert "Best classical forecaster (chosen on validation): **ETS(A,Ad,A)** (valid MAE 2, test MAE 2.5)." in words
    assert "Worse than the naive forecast on test: LSTM." in words
    assert "Worse than ETS(A,Ad,A) on test: GRU, LSTM." in words
    assert "Better on test than the naive forecast and the best classical forecaster: Linear." in words
    assert "Could not be fitted: Theta." in words
    # when the choice is the best classical forecaster, it is said once
    rows = [r for r in _rows() if r["name"] not in ("naive", "gru")]
    assert report.verdict(rows).startswith("Chosen on validation MAE, and the best classical forecaster: "
                                           "**ETS(A,Ad,A)** (valid MAE 2, test MAE 2.5).")


def test_the_summary_counts_choices_on_validation_and_losses_on_test():
    text = " ".join(report.summary_lines([_rows(), _rows()]))
    assert "the forecast chosen on validation MAE was the naive or seasonal-naive forecast in 2." in text
    assert ("On test: Linear worse than the naive forecast in 0 and than the best classical forecaster in 0; "
            "GRU worse than the naive forecast in 0 and than the best classical forecaster in 2; "
            "LSTM worse than the naive forecast in 2 and than the best classical forecaster in 2 (of 2).") in text


def test_a_second_run_trains_nothing(monkeypatch):
    """Every run and fold goes through the store: the second time, all come from it."""
    trained = []

    def fake_run(experiment, on_epoch=None):
        trained.append(experiment.key())
        scores = {"valid": {"mae": 1.0}, "test": {"mae": 2.0}}
        return SimpleNamespace(key=experiment.key(), start=None, metrics=scores, wall_seconds=1.0, train_seconds=0.5,
                               forecaster="ETS(A,N,N)",
                               predictions={"valid": np.zeros((3, 1)), "test": np.zeros((2, 1))})

    monkeypatch.setattr(report.training, "run", fake_run)
    store, exp = DictStore(), report.experiments_for("elnino_sst", epochs=1, n_steps=24, horizon=12)[2]  # ETS
    first = report.run_row(exp, store, stream=io.StringIO(), label="t")
    assert len(trained) == 1 + report.FOLDS and first["model"] == "ETS(A,N,N)" and first["windows"] == 5
    assert first["backtest"] == pytest.approx(2.0) and first["kind"] == "classical"
    again = report.run_row(exp, store, stream=io.StringIO(), label="t")
    assert len(trained) == 1 + report.FOLDS and again == first


def test_the_auto_row_is_the_search_chosen_on_validation_with_its_best_seed_and_a_backtest(monkeypatch):
    """The "Find a good model for me" row: every training of the search through the store, the configuration with
    the lowest mean validation MSE (relative scaling here), of its seeds the one with the lowest validation MAE,
    and that run's backtest; a second call trains nothing."""
    trained = []

    def fake_run(experiment, on_epoch=None):
        trained.append(experiment.key())
        second_seed = experiment.train.seed != 42
        valid = {"mse": 1.0 if experiment.series.scaling == "relative" else 2.0, "mae": 0.4 if second_seed else 0.5}
        return SimpleNamespace(key=experiment.key(), start=None, metrics={"valid": valid, "test": {"mse": 3.0, "mae": 0.7}},
                               wall_seconds=1.0, train_seconds=0.5,
                               predictions={"valid": np.zeros((3, 1)), "test": np.zeros((2, 1))})

    monkeypatch.setattr(report.training, "run", fake_run)
    store, null = DictStore(), io.StringIO()
    row = report.auto_row("elnino_sst", 12, epochs=1, n_steps=None, store=store, stream=null, label="t")
    searched = report.auto.search(report.experiment_for("elnino_sst", "gru", epochs=1, n_steps=None, horizon=12))
    assert len(trained) == searched.size() + report.FOLDS and row["trainings"] == searched.size()
    assert row["label"] == "Auto search (GRU)" and row["kind"] == "network" and row["name"] == "gru"
    assert "scaling=relative" in row["model"] and row["model"].endswith(", seed " + str(
        [s for s in report.auto.sweeps.seeds(searched.base, 2) if s != 42][0]))
    assert row["metrics"]["valid"]["mae"] == 0.4 and row["seconds"] == searched.size() * 1.0
    assert report.auto_row("elnino_sst", 12, epochs=1, n_steps=None, store=store, stream=null, label="t") == row
    assert len(trained) == searched.size() + report.FOLDS


def test_the_summary_says_where_the_best_network_loses_to_the_naive_or_the_classical_forecast():
    """Best network = the lowest validation MAE among the networks (the GRU in _rows: valid 1.5); the best
    classical forecaster is ETS (valid 2.0, test 2.5), the naive forecast's test MASE 1.5."""
    def table(where, horizon, gru_test):
        return [{**(_row("gru", "network", "GRU", 1.5, gru_test) if r["name"] == "gru" else r), "where": where,
                 "horizon": horizon} for r in _rows()]

    text = " ".join(report.summary_lines([table("a h=1", 1, 3.2), table("a h=12", 12, 3.2),
                                          table("b h=12", 12, 2.7)]))
    assert ("has a test MASE at most the naive forecast's in 1 of 3 tables; not in a h=1 (GRU 1.6 against 1.5); "
            "a h=12 (GRU 1.6 against 1.5).") in text  # ARIMA beat the naive forecast there (test MASE 1.1)
    assert "moves like a random walk" not in text
    walk = [{**r, "metrics": {**r["metrics"], "test": {**r["metrics"]["test"], "mase": 2.0}}}
            if r["kind"] == "classical" and not r.get("error") else r for r in table("w h=1", 1, 3.2)]
    walked = " ".join(report.summary_lines([walk]))
    assert ("not in w h=1 (GRU 1.6 against 1.5, and no classical forecaster beat the naive forecast there either). "
            "Where nothing beats the naive forecast, the series moves like a random walk") in walked
    assert ("At the natural horizon its test MAE is within 10% of the best classical forecaster's (chosen on "
            "validation) or better in 1 of 2; not in a h=12 (GRU 28% above ETS(A,Ad,A)).") in text
    assert "Where the best network is behind, it trained on at most" not in text  # _rows have no window counts
    assert report._seasonal("ETS(A,Ad,A)") and report._seasonal("ARIMA(2,0,1)(0,1,1)[12] with drift")
    assert not report._seasonal("ETS(A,Ad,N)") and not report._seasonal("ARIMA(1,1,2)")
    counted = [{**r, "train_windows": 480} if r["name"] == "gru" else r for r in table("c h=12", 12, 3.2)]
    text = " ".join(report.summary_lines([counted]))
    assert ("not in c h=12 (GRU 28% above ETS(A,Ad,A), trained on 480 windows). Where the best network is behind, "
            "it trained on at most 480 windows, and the classical forecaster ahead of it has the season built in") in text


def test_the_intervals_table_counts_the_runs_whose_90_interval_lands_in_80_to_97_percent():
    """On a real run (the naive forecast of a bundled series: no Keras), the table gives its coverage, width and
    Winkler score as the intervals module computes them, and counts it."""
    from rnnlab.models import export
    from rnnlab.series.dataset import make_dataset

    exp = report.experiment_for("elnino_sst", "naive", epochs=1, n_steps=None, horizon=1)
    result = report.training.run(exp)
    lines, within, scored = report.coverage_lines([("elnino_sst", 1, "Naive", result)])
    test = export.intervals(result, make_dataset(result.spec), (90,))["levels"]["90"]["test"]
    assert scored == 1 and within == int(0.80 <= test["coverage"] <= 0.97)
    cover = f"{test['coverage']:.1%}"
    assert lines[2] in (f"| elnino_sst | 1 | Naive | {cover} | {test['mean_width']:.4g} | {test['winkler']:.4g} |",
                        f"| elnino_sst | 1 | Naive | **{cover}** | {test['mean_width']:.4g} | {test['winkler']:.4g} |")
    assert lines[2].count("**") == (0 if within else 2)
