"""The yardsticks of an experiment (rnnlab.forecasting.yardsticks): which experiments, the verdict's words, the
rows a page shows."""

from __future__ import annotations

import dataclasses

from types import SimpleNamespace

from rnnlab.config import Experiment
from rnnlab.config.sections import NETWORK_SIDE
from rnnlab.forecasting import yardsticks
from rnnlab.models.registry import REGISTRY


def real(horizon: int = 12, **changes) -> Experiment:
    flat = {"model": "gru", "data": "elnino_sst", "n_steps": "24", "horizon": str(horizon),
            "mode": "seq2vec" if horizon > 1 else "one_step", "epochs": "3", "units": "8", **changes}
    return Experiment.from_flat(flat)


def scores(valid: float, test: float, **more) -> dict:
    return {"valid": {"mae": valid, **more}, "test": {"mae": test, **more}}


def test_the_yardsticks_keep_the_series_and_take_the_mode_from_the_horizon():
    exp = real(12)
    found = yardsticks.experiments(exp)
    assert [e.model.name for e in found] == ["naive", "seasonal_naive", "ets", "arima", "theta"]
    # same data, windows, horizon, periods, season; forecasts in the series' units, so global whatever the network's
    # scaling, and no start (no network)
    assert exp.series.scaling == "difference" and {e.series.scaling for e in found} == {"global"}
    assert all(e.series == dataclasses.replace(exp.series, scaling="global", start="random") for e in found)
    assert all(e.to_dict()["series"] == {k: v for k, v in exp.to_dict()["series"].items() if k not in NETWORK_SIDE}
               for e in found)
    assert {e.model.mode for e in found} == {"seq2vec"}
    assert [REGISTRY[e.model.name].kind for e in found] == ["baseline", "baseline", "classical", "classical",
                                                             "classical"]
    one = yardsticks.experiments(real(1))
    assert {e.model.mode for e in one} == {"one_step"} and {e.series.horizon for e in one} == {1}


def test_the_yardsticks_do_not_depend_on_the_network_or_its_training():
    """Every network on the same data shares the yardsticks' jobs and stored runs."""
    a = [e.key() for e in yardsticks.experiments(real(12))]
    b = [e.key() for e in yardsticks.experiments(real(12, model="lstm", epochs="7", units="5", seed="3"))]
    assert a == b and len(set(a)) == 5
    fold = [e.series.fold for e in yardsticks.experiments(real(12, folds="3", fold="2"))]
    assert fold == [2] * 5  # a backtest fold's yardsticks are scored on that fold


def test_the_generated_series_has_no_yardsticks():
    assert yardsticks.experiments(Experiment.book("gru")) == []


def test_the_verdict_when_the_network_loses_to_both():
    text = yardsticks.verdict(scores(150.0, 171.5), {
        "naive": scores(70.0, 74.9), "seasonal_naive": scores(30.0, 25.0),
        "ets": scores(12.0, 13.1), "arima": scores(11.0, 19.0), "theta": scores(20.0, 9.0)}, name="GRU")
    # ARIMA has the lowest validation MAE: it is the best classical forecaster, although Theta did better on test.
    assert text.startswith("This GRU forecasts worse than the naive forecast (test MAE 171.5 against 74.9) and "
                           "worse than the best classical forecaster, ARIMA (19.0):")


def test_the_verdict_when_the_network_loses_to_one_of_them():
    naive_only = yardsticks.verdict(scores(1.0, 2.5), {"naive": scores(1.0, 2.0), "ets": scores(1.0, 3.0)},
                                    name="LSTM")
    assert naive_only.startswith("This LSTM forecasts worse than the naive forecast (test MAE 2.5 against 2), "
                                 "though better than the best classical forecaster, ETS (3):")
    classical_only = yardsticks.verdict(scores(1.0, 2.5), {"naive": scores(1.0, 4.0), "ets": scores(1.0, 1.25)},
                                        name="LSTM")
    assert classical_only.startswith("This LSTM forecasts worse than the best classical forecaster, ETS (1.25) "
                                     "(test MAE 2.5 against 1.25), though it beats the naive forecast (4):")


def test_no_verdict_when_the_network_beats_both_or_there_is_nothing_to_compare():
    assert yardsticks.verdict(scores(1.0, 1.0), {"naive": scores(2.0, 2.0), "ets": scores(1.5, 1.5),
                                                 "theta": scores(3.0, 0.5)}) is None  # Theta is not chosen on test
    assert yardsticks.verdict(scores(1.0, 1.0), {}) is None
    assert yardsticks.verdict(scores(1.0, 1.0), {"naive": None, "ets": {"valid": {}, "test": {}}}) is None
    assert yardsticks.verdict({"valid": {}, "test": {}}, {"naive": scores(0.1, 0.1)}) is None  # a final run


def test_the_best_classical_forecaster_is_chosen_on_validation():
    found = {"naive": scores(0.1, 0.1), "ets": scores(3.0, 1.0), "arima": scores(2.0, 5.0), "theta": None}
    assert yardsticks.best_classical(found) == "arima"  # naive is a baseline, not a classical forecaster
    assert yardsticks.best_classical({"naive": scores(0.1, 0.1)}) is None


def test_rows_show_every_yardstick_with_missing_figures_as_none():
    runs = {"naive": SimpleNamespace(metrics=scores(1.0, 2.0, rmse=3.0, mase=0.5, smape=12.0),
                                      forecaster=None),
            "ets": SimpleNamespace(metrics={"valid": {"mae": 0.5}, "test": {"mae": 0.75, "rmse": 1.0}},
                                   forecaster="ETS(A,Ad,N)")}
    table = yardsticks.rows(runs)
    assert [r["yardstick"] for r in table] == ["Naive", "Seasonal naive", "ETS", "ARIMA", "Theta"]
    assert table[0] == {"name": "naive", "yardstick": "Naive", "model": None, "valid_mae": 1.0, "valid_rmse": 3.0,
                        "valid_mase": 0.5, "valid_smape": 12.0, "test_mae": 2.0, "test_rmse": 3.0, "test_mase": 0.5,
                        "test_smape": 12.0}
    assert table[2]["model"] == "ETS(A,Ad,N)" and table[2]["test_rmse"] == 1.0 and table[2]["valid_smape"] is None
    assert all(r[f"{s}_{m}"] is None for r in table[3:] for s in ("valid", "test") for m in yardsticks.SCORES)
