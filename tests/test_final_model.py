"""The final model (issue 16): the same settings refit on all of a real series, whose forecast past the end pages
and the CLI show. Its windows reach the last observation, the evaluated run is unchanged by the field, it is its
own stored run, the generated series and a backtest fold refuse it, `train --json` shows its future and names it,
and the Train page submits it right after the network and captions its chart."""

from __future__ import annotations

import json

import numpy as np
import pytest

from rnnlab import cli
from rnnlab.config import Experiment, FieldError, SeriesSpec, parse_flat, to_query
from rnnlab.dashboard.state import to_query as page_query
from rnnlab.forecasting import yardsticks
from rnnlab.series import catalog, windows
from rnnlab.series.dataset import make_dataset
from rnnlab.store.runstore import RunStore

from test_yardsticks_page import fake_final_run, fake_run, real


def evaluated(**changes: str) -> Experiment:
    """A one-step linear model on the bundled El Niño series (monthly, 732 values), short windows, one epoch."""
    return Experiment.from_flat({"model": "linear", "data": "elnino_sst", "n_steps": "12", "epochs": "1",
                                 **changes})


def test_the_final_model_trains_on_every_window_up_to_the_last_observation():
    exp = evaluated(stride="1")
    final = yardsticks.final_experiment(exp)
    assert final.series.final and final.to_flat() == {**exp.to_flat(), "final": True}  # the same settings
    ds, series = make_dataset(final), catalog.load("elnino_sst")
    everything = windows.origins(series.observed, 0, len(series), 12, 1)
    assert len(ds.train) == len(everything) == 732 - 12  # every window of the whole series...
    assert ds.origins["train"][-1] == 731  # ...the last one's target is the last observation
    assert ds.actual("train")[-1, -1] == pytest.approx(series.values[-1])
    assert len(ds.valid) == len(ds.test) == 0  # nothing is held out, so nothing is scored


def test_the_final_model_keeps_the_stride_unless_the_whole_series_needs_a_longer_one(monkeypatch):
    assert yardsticks.final_experiment(evaluated(stride="3")).series.stride == 3
    monkeypatch.setenv("RNNLAB_MAX_SERIES", "100")  # 500 training windows, 720 in the whole series
    exp = evaluated()
    assert exp.series.stride == 5 and yardsticks.final_experiment(exp).series.stride == 8
    assert len(make_dataset(yardsticks.final_experiment(exp)).train) == 90


def test_the_field_leaves_the_evaluated_run_alone_and_makes_another_stored_run():
    exp = evaluated()
    assert "final" not in exp.to_dict()["series"] and exp == evaluated(final="0")  # keys made before it stand
    final = yardsticks.final_experiment(exp)
    assert final.key() != exp.key() and final.to_dict()["series"]["final"] is True
    assert to_query(final)["final"] == "1" and parse_flat(to_query(final), strict=True).experiment == final
    ds = make_dataset(exp)
    where = windows.periods(732, exp.series.train_fraction, exp.series.valid_fraction)
    targets = catalog.load("elnino_sst").values[ds.origins["test"]]
    assert ds.origins["test"][0] >= where.valid_end and len(ds.test) == 732 - where.valid_end
    assert np.allclose(ds.actual("test")[:, 0], targets)  # the test targets are the test period's


def test_the_final_model_is_refused_where_it_means_nothing():
    with pytest.raises(FieldError, match="the generated series has no end to forecast past") as info:
        Experiment.from_flat({"model": "linear", "final": "1"})
    assert info.value.field == "final"
    with pytest.raises(FieldError, match="no end to forecast past"):
        SeriesSpec(final=True)
    with pytest.raises(FieldError, match="a backtest fold trains on what comes before its origin") as info:
        evaluated(final="1", folds="3", fold="1")
    assert info.value.field == "final"
    with pytest.raises(FieldError, match="its forecast past the end already comes from all the data"):
        Experiment.from_flat({"model": "ets", "data": "elnino_sst", "final": "1"})
    lenient = parse_flat({"model": "linear", "final": "1"})  # a link: ignored, and said
    assert lenient.experiment.series.final is None and "no end to forecast past" in lenient.problems[0]
    assert yardsticks.final_experiment(Experiment.book("linear")) is None
    assert yardsticks.final_experiment(Experiment.from_flat({"model": "naive", "data": "elnino_sst"})) is None
    assert yardsticks.final_experiment(evaluated(folds="3", fold="1")) is None
    assert yardsticks.experiments(yardsticks.final_experiment(evaluated())) == []  # scored on nothing


def test_train_json_shows_the_final_models_forecast_and_names_it(home, capsys):
    argv = ["train", "linear", "--dataset", "elnino_sst", "--n-steps", "12", "--epochs", "1", "--no-yardsticks",
            "--json"]
    assert cli.main(argv) == 0
    out = json.loads(capsys.readouterr().out)
    final = yardsticks.final_experiment(evaluated())
    assert out["key"] == evaluated().key() and out["final"] == {"key": final.key(), "cached": False}
    assert out["future"]["made_by"] == "Linear model refit on all 732 observations, to 2010-12-01"
    assert out["future"]["time"] == ["2011-01-01"] and out["metrics"]["test"]["mae"] > 0
    stored = RunStore().get(final.key())  # its own stored run: no scores, no validation curve
    assert stored.metrics == {} and stored.predictions == {} and stored.future == out["future"]
    assert [row["val_loss"] for row in stored.history] == [None]
    evaluated_future = RunStore().get(evaluated().key()).future  # the evaluated run keeps its own
    assert "made_by" not in evaluated_future and evaluated_future["value"] != out["future"]["value"]
    assert cli.main(argv[:-1] + ["--no-final"]) == 0
    text = capsys.readouterr().out
    assert "made by" not in text and "forecast   after 2010-12-01" in text
    assert cli.main(argv[:-1]) == 0  # both from the store now
    assert "made by Linear model refit on all 732 observations, to 2010-12-01" in capsys.readouterr().out


def test_the_train_page_submits_the_final_model_and_captions_its_forecast(app, fake_manager):
    exp = real()
    final = yardsticks.final_experiment(exp)
    at = app("pages/train.py", **page_query(exp))
    at.button(key="train").click().run()
    assert not at.exception and not at.error
    jobs = {j.key: j for j in fake_manager.jobs()}
    # the queue runs the cheapest first (the naive forecasts), then the network, and right after it its final model
    assert fake_manager.queue_position(jobs[final.key()]) == fake_manager.queue_position(jobs[exp.key()]) + 1
    network = fake_run(exp, 1.0, 1.0)
    network.future = {**fake_final_run(final).future, "value": [9.9]}  # its own, from 70% of the series
    network.future.pop("made_by")
    jobs[exp.key()].finish("done", result=network)
    at.run()
    assert not at.exception
    waiting = [i.value for i in at.info if "final model" in i.value]
    assert waiting == ["The forecast past the end comes from the final model, Linear model refit on all 732 "
                       "observations, to 2010-12-01: it is training now, and its forecast appears here when it is "
                       "done."]
    assert not [c.value for c in at.caption if c.value.startswith("Made by")]  # no chart of another model
    jobs[final.key()].finish("done", result=fake_final_run(final))
    at.run()
    assert not at.exception
    assert [c.value for c in at.caption if c.value.startswith("Made by")] == [
        "Made by the final model: Linear model refit on all 732 observations, to 2010-12-01 (this run's settings, "
        "trained on every window of the whole series), from the last input window. The bands are 80%, 95% "
        "intervals from the validation and test errors of the evaluated run (the final model has none of its own)."]
    # Its CSV is made with the page, not on the click, and a click does not rerun the page: a rerun between the
    # click and the file (the yardsticks' progress reruns the page when they finish) cancelled the download.
    download = at.download_button(key=f"dl-future-{final.key()}")
    assert not download.proto.HasField("deferred_file_id") and download.proto.ignore_rerun
    assert all(b.proto.ignore_rerun for b in at.download_button)


def test_a_stored_run_without_its_final_model_offers_to_train_it(app, fake_manager):
    exp = real()
    RunStore().put(fake_run(exp, 1.0, 1.0))
    at = app("pages/train.py", **page_query(exp))
    assert not at.exception and any("It has not been trained." in i.value for i in at.info)
    at.button(key="final_train").click().run()
    assert not at.exception and not at.error
    assert [j.key for j in fake_manager.jobs()] == [yardsticks.final_experiment(exp).key()]
