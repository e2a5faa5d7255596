"""The Train page's yardsticks (AppTest): Train on a real series submits the network and its five yardsticks as
one request; the finished run shows the Yardsticks table, their progress, a failed one, and the verdict when the
network does worse; a reloaded page finds them in the store.

The runs are faked (RunResults handed to the jobs or put in the store; no worker trains or fits anything): the
classical fits themselves are tested where they are made (tests/test_classical.py, the worker's dispatch)."""

from __future__ import annotations

import numpy as np

from rnnlab.config import Experiment
from rnnlab.dashboard.state import OWNER, to_query
from rnnlab.forecasting import yardsticks
from rnnlab.jobs.job import JobRefused
from rnnlab.series.dataset import make_dataset
from rnnlab.store.runs import RunResult
from rnnlab.store.runstore import RunStore

VERDICT = "This Linear model forecasts worse than the naive forecast (test MAE 9 against 2)"
FIVE = ["Naive", "Seasonal naive", "ETS", "ARIMA", "Theta"]


def real() -> Experiment:
    """A one-step linear model on the bundled El Niño series (monthly, season 12), with short windows."""
    return Experiment.from_flat({"model": "linear", "data": "elnino_sst", "n_steps": "12", "epochs": "1"})


def fake_run(experiment: Experiment, valid_mae: float, test_mae: float, description: str | None = None) -> RunResult:
    """A finished run of ``experiment`` with the given MAEs (predictions of the right shape, all zero)."""
    ds = make_dataset(experiment)
    scores = {split: {"mse": mae ** 2, "mae": mae, "rmse": mae * 1.5, "mase": mae / 2, "smape": 10 * mae,
                      "rel_mae": 1.0} for split, mae in (("valid", valid_mae), ("test", test_mae))}
    naive = {split: {"mse": 4.0, "mae": 2.0, "rmse": 2.0, "mase": 1.0, "smape": 20.0, "rel_mae": 1.0}
             for split in ("valid", "test")}
    return RunResult(key=experiment.key(), experiment=experiment.to_dict(), history=[], metrics=scores,
                     naive_metrics=naive, mse_per_step={}, params_total=13, layers=[],
                     predictions={"valid": np.zeros(ds.valid.future.shape, np.float32),
                                  "test": np.zeros(ds.test.future.shape, np.float32)},
                     wall_seconds=0.1, train_seconds=0.1, versions={},
                     forecaster=description)


def fake_final_run(final: Experiment) -> RunResult:
    """A finished final model of ``final``: no scores, and a forecast past the end that names what made it."""
    series = make_dataset(final).series
    last = series.time_labels([len(series) - 1])[0]
    made_by = yardsticks.final_label(final.model.entry.display_name, int(series.observed.sum()), last)
    future = {"time": series.future_times(final.series.horizon), "value": [1.5] * final.series.horizon,
              "last_time": last, "rolled_forward": False, "made_by": made_by}
    return RunResult(key=final.key(), experiment=final.to_dict(), history=[], metrics={}, naive_metrics={},
                     mse_per_step={}, params_total=13, layers=[], predictions={}, wall_seconds=0.1,
                     train_seconds=0.1, versions={}, future=future)


#: Each yardstick's (valid MAE, test MAE, chosen model): ARIMA is best on validation, Theta on test.
FIGURES = {"naive": (2.0, 2.0, None), "seasonal_naive": (3.0, 3.5, None), "ets": (1.5, 1.8, "ETS(A,N,A)"),
           "arima": (1.2, 1.6, "ARIMA(1,0,0)(1,0,0)[12]"), "theta": (1.9, 1.1, "Theta(12)")}


def yardstick_runs(experiment: Experiment) -> dict[str, RunResult]:
    return {e.model.name: fake_run(e, *FIGURES[e.model.name]) for e in yardsticks.experiments(experiment)}


def table_of(at):
    [frame] = [d.value for d in at.dataframe if "forecaster" in d.value.columns]
    return frame


def test_train_submits_the_yardsticks_and_shows_them_with_the_verdict(app, fake_manager):
    exp = real()
    at = app("pages/train.py", **to_query(exp))
    at.button(key="train").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    owner = at.session_state[OWNER]
    jobs = {j.key: j for j in fake_manager.jobs()}
    others, final = yardsticks.experiments(exp), yardsticks.final_experiment(exp)
    # the network, its final model (for the forecast past the end) and its five yardsticks...
    assert set(jobs) == {exp.key(), final.key(), *(e.key() for e in others)}
    assert len({j.requests[owner] for j in jobs.values()}) == 1  # ...as one request (at most one per person here)

    jobs[exp.key()].finish("done", result=fake_run(exp, 8.0, 9.0))
    at.run()
    assert not at.exception
    assert any(s.value.startswith("Trained in") for s in at.success)
    assert [p.proto.text for p in at.get("progress") if p.proto.text.startswith("Yardsticks")] == [
        "Yardsticks: 0 of 5 done · 0 fitting · 5 waiting"]
    assert not any(VERDICT in w.value for w in at.warning)  # no verdict before the yardsticks are in

    runs = yardstick_runs(exp)
    for e in others:
        if e.model.name == "ets":
            jobs[e.key()].finish("failed", error="ValueError: ETS needs at least 10 values")
        else:
            jobs[e.key()].finish("done", result=runs[e.model.name])
    jobs[final.key()].finish("done", result=fake_final_run(final))
    at.run()
    assert not at.exception
    assert {m.label for m in at.metric} >= {"Validation MSE", "Test MSE"}  # the network's result stays
    assert [e.value for e in at.error] == ["The ETS yardstick failed: ValueError: ETS needs at least 10 values"]
    assert "Yardsticks" in [h.value for h in at.subheader]
    table = table_of(at)
    assert list(table["forecaster"]) == ["Linear model (this run)", *FIVE]
    ets = table[table["forecaster"] == "ETS"].iloc[0]
    assert ets["valid MAE"] == "–" and ets["test sMAPE %"] == "–"
    arima = table[table["forecaster"] == "ARIMA"].iloc[0]
    assert (arima["model"], arima["valid MAE"], arima["test MAE"], arima["test RMSE"], arima["test MASE"],
            arima["test sMAPE %"]) == ("ARIMA(1,0,0)(1,0,0)[12]", "1.2", "1.6", "2.4", "0.8", "16")
    assert list(table.iloc[0][["valid MAE", "test MAE"]]) == ["8", "9"]
    [verdict] = [w.value for w in at.warning if w.value.startswith("This ")]
    assert verdict.startswith(VERDICT + " and worse than the best classical forecaster, ARIMA (1.6):")

    at.button(key="yardsticks_run").click().run()  # the failed one again; the others are answered at once
    [again] = [j for j in fake_manager.jobs() if not j.finished]
    assert again.key == others[2].key()
    again.finish("done", result=fake_run(others[2], 1.0, 3.0, "ETS(A,N,A)"))
    at.run()
    assert not at.error and table_of(at)[table_of(at)["forecaster"] == "ETS"].iloc[0]["test MAE"] == "3"
    [verdict] = [w.value for w in at.warning if w.value.startswith("This ")]
    assert "worse than the best classical forecaster, ETS (3):" in verdict  # ETS is now best on validation


def test_a_stored_run_shows_its_stored_yardsticks_without_training_anything(app, fake_manager):
    exp = real()
    store = RunStore()
    store.put(fake_run(exp, 1.0, 1.0))
    for result in yardstick_runs(exp).values():
        store.put(result)
    at = app("pages/train.py", **to_query(exp))
    assert not at.exception and not at.error
    assert any("Stored result" in s.value for s in at.success)
    assert list(table_of(at)["forecaster"]) == ["Linear model (this run)", *FIVE]
    assert not [w.value for w in at.warning if w.value.startswith("This ")]  # it beats them all on test
    assert fake_manager.jobs() == [] and not at.get("progress")


def test_a_stored_run_without_yardsticks_offers_to_run_them(app, fake_manager):
    exp = real()
    RunStore().put(fake_run(exp, 1.0, 5.0))
    at = app("pages/train.py", **to_query(exp))
    assert not at.exception and not [d for d in at.dataframe if "forecaster" in d.value.columns]
    at.button(key="yardsticks_run").click().run()
    assert not at.exception and not at.error
    assert {j.key for j in fake_manager.jobs()} == {e.key() for e in yardsticks.experiments(exp)}
    assert any(p.proto.text.startswith("Yardsticks: 0 of 5 done") for p in at.get("progress"))


def test_refused_yardsticks_do_not_stop_the_training(app, fake_manager, monkeypatch):
    """When the limits refuse the yardsticks with the training, the training alone is queued and the page says
    why the yardsticks did not run."""
    submit_batch = fake_manager.submit_batch

    def refuse_batches(experiments, owner="anonymous", **kwargs):
        if len(experiments) > 1:
            raise JobRefused("these 6 training(s) would take 9 min on this instance")
        return submit_batch(experiments, owner, **kwargs)

    monkeypatch.setattr(fake_manager, "submit_batch", refuse_batches)
    exp = real()
    at = app("pages/train.py", **to_query(exp))
    at.button(key="train").click().run()
    assert not at.exception and not at.error
    assert [j.key for j in fake_manager.jobs()] == [exp.key()]
    assert [w.value for w in at.warning if "yardsticks" in w.value] == [
        "The yardsticks were not run with this training: these 6 training(s) would take 9 min on this instance"]
    assert at.button(key="train").disabled  # the training runs
