"""Where a network on a real series starts (the ``start`` field): at its zero output, which under first differences
or relative scaling is the naive forecast, and back there after training unless training beat it on validation."""

from __future__ import annotations

import numpy as np
import pytest

from rnnlab.cli import main
from rnnlab.config import Experiment, parse_flat
from rnnlab.errors import FieldError
from rnnlab.figures import training as training_figures
from rnnlab.forecasting import yardsticks
from rnnlab.models.registry import REGISTRY, build_model
from rnnlab.series import catalog
from rnnlab.series.prepare import RawSeries, prepare
from rnnlab.training import backend, fit
from rnnlab.dashboard.state import to_query
from rnnlab.store.runstore import RunStore

from helpers import model_families


def _series(values: np.ndarray) -> str:
    """Register ``values`` (one a day) in this process as an uploaded series is; its id."""
    times = np.datetime64("2000-01-01") + np.arange(len(values)).astype("timedelta64[D]")
    prepared = prepare(RawSeries(values=values, times=times))
    data_id = catalog.upload_id(prepared)
    catalog.register(data_id, prepared)
    return data_id


def _experiment(data: str, model: str = "gru", **changes: str | None) -> Experiment:
    """A small GRU one step ahead on ``data``, started at zero (``start=None``: the field left out)."""
    values = {"model": model, "data": data, "mode": "one_step", "horizon": "1", "n_steps": "10", "epochs": "2",
              "units": "8", "start": "zero", **changes}
    return parse_flat({k: v for k, v in values.items() if v is not None}, strict=True).experiment


#: A share price (bundled): it moves like a random walk, and no network beats the naive forecast on it.
STOCK = "msft_stock"
#: A weekly cycle with little noise: a network that reads its input beats repeating the last value.
CYCLE = _series(10 + 3 * np.sin(2 * np.pi * np.arange(600) / 7)
                + np.random.default_rng(8).normal(scale=0.1, size=600))


def test_a_real_series_starts_at_zero_unless_asked_and_every_stored_key_stays():
    exp = _experiment(STOCK)
    assert exp.series.start == "zero" and exp.to_dict()["series"]["start"] == "zero"
    default = _experiment(STOCK, start=None)  # left out of a link or a command: a real series' default
    assert default.series.start == "zero" and default.key() == exp.key()
    # at random, the field is left out of the key, as in every run stored before it existed, which reads back so
    at_random = _experiment(STOCK, start="random")
    assert "start" not in at_random.to_dict()["series"] and at_random.key() != exp.key()
    assert Experiment.from_dict(at_random.to_dict()).series.start == "random"
    assert Experiment.book("gru").series.start is None and "start" not in Experiment.book("gru").to_dict()["series"]
    with pytest.raises(FieldError, match="start applies to a real series"):
        Experiment.book("gru").replace(start="zero")
    # a forecaster without a network starts nowhere: one key whatever the widgets held
    assert _experiment(STOCK, "naive").key() == _experiment(STOCK, "naive", start="random").key()
    problems = parse_flat({"data": STOCK, "start": "middle"}).problems
    assert any("start" in str(p) and "zero" in str(p) for p in problems), problems


@pytest.mark.parametrize("model", [m for m in model_families() if REGISTRY[m].trainable])
def test_every_network_set_to_start_at_zero_forecasts_zero(model):
    backend.configure()
    exp = Experiment.book(model).replace(n_steps=12)
    network = build_model(exp)
    fit.start_at_zero(network)
    x = np.random.default_rng(0).normal(size=(3, 12, 1)).astype(np.float32)
    assert not np.any(np.asarray(network(x))), model  # exactly zero, whatever the input


def test_on_a_weekly_cycle_the_network_keeps_what_it_learned():
    run = fit.run(_experiment(CYCLE, epochs="20", batch_size="4096", learning_rate="0.01"), save_model=False)
    assert run.start["kept"] is False and run.start["end_valid_mse"] < 0.95 * run.start["start_valid_mse"]
    assert run.metrics["test"]["mae"] < run.naive_metrics["test"]["mae"]


@pytest.fixture(scope="module")
def kept_run():
    """A GRU on the share price that kept its start."""
    exp = _experiment(STOCK)
    return exp, fit.run(exp, save_model=False)


def test_on_a_share_price_the_network_keeps_its_start_the_naive_forecast(kept_run):
    _, run = kept_run
    assert run.start["kept"] is True and run.start["gain"] + fit.START_T * run.start["gain_error"] >= 0
    for split in ("valid", "test"):  # its forecasts are the naive forecast's, to the last digit
        assert run.metrics[split]["mae"] == run.naive_metrics[split]["mae"]
    assert run.inspect["saliency"] == [0.0] * 10  # nothing it reads moves its forecast
    started_at_random = fit.run(_experiment(STOCK, start="random"), save_model=False)
    assert started_at_random.start is None
    assert started_at_random.metrics["test"]["mae"] != run.naive_metrics["test"]["mae"]


def test_the_train_and_inspect_pages_say_the_network_kept_its_start(kept_run, app):
    exp, run = kept_run
    RunStore().put(run)
    at = app("pages/train.py", **to_query(exp))
    assert not at.exception, at.exception
    [note] = [i.value for i in at.info if "did not beat its starting point" in i.value]
    assert note.startswith("This GRU did not beat its starting point on validation by more than chance")
    assert "which here is the naive forecast (the last value repeated)" in note
    made_by = [c.value for c in at.caption if c.value.startswith("Made by")]
    assert made_by and "kept its start, the naive forecast: from the last input window, with no final model" \
        in made_by[0], made_by
    at = app("pages/inspect.py", **to_query(exp))
    assert not at.exception, at.exception
    assert any(i.value.startswith("None: this network kept its start") for i in at.info)


def test_the_page_withdraws_the_final_model_of_a_network_that_kept_its_start(kept_run, app, fake_manager):
    """Regression: the Train page submits a network's final model beside it (its forecast past the end comes from
    it), before the outcome is known; a network that kept its start shows the start's forecast instead, and the
    final model went on training on a shared worker for nobody."""
    exp, run = kept_run
    final = yardsticks.final_experiment(exp)
    at = app("pages/train.py", **to_query(exp))
    at.button(key="train").click().run()
    assert not at.exception and not at.error
    jobs = {j.key: j for j in fake_manager.jobs()}
    assert not jobs[final.key()].finished  # asked for with the network, right after it in the queue
    jobs[exp.key()].finish("done", result=run)
    at.run()
    assert not at.exception
    assert jobs[final.key()].state == "cancelled"  # withdrawn once the network kept its start
    assert any("did not beat its starting point" in i.value for i in at.info)
    assert not [i.value for i in at.info if "final model" in i.value and "training now" in i.value]


def test_a_network_that_kept_its_start_ties_the_naive_forecast_and_is_not_called_worse(kept_run):
    """Regression: the Train page called a network that kept its start "worse than the naive forecast (test MAE
    0.248 against 0.248)" and drew "+0.0% vs naive" as a loss: its float32 forecasts score within 1e-7 of the
    naive forecast's."""
    _, run = kept_run
    # the naive forecast a hair below the network (float32 rounding): a tie, not a loss
    naive = {"test": {"mae": run.naive_metrics["test"]["mae"] * (1 - 1e-7)}, "valid": run.naive_metrics["valid"]}
    assert yardsticks.verdict(run.metrics, {"naive": naive}, name="GRU") is None
    naive["test"]["mae"] = run.naive_metrics["test"]["mae"] * (1 - 1e-5)  # beyond the tie: a loss, said
    assert yardsticks.verdict(run.metrics, {"naive": naive}, name="GRU").startswith("This GRU forecasts worse")
    assert training_figures.metric_delta(run.metrics["test"]["mse"], run.naive_metrics["test"]["mse"]) \
        == "same as naive"


def test_the_cli_says_when_a_network_kept_its_start(kept_run, home, capsys):
    RunStore().put(kept_run[1])  # the same experiment, stored: the CLI shows it without training it again
    assert main(["train", "gru", "--dataset", STOCK, "--horizon", "1", "--n-steps", "10", "--epochs", "2",
                 "--units", "8", "--start", "zero", "--no-yardsticks"]) == 0
    out, err = capsys.readouterr()
    assert "(cached: stored result, not retrained)" in out
    # no final model: the start's forecast past the end, the last value, learns nothing from more data
    assert "final model: none, the network kept its start, the naive forecast" in err
    [line] = [line for line in out.splitlines() if line.startswith("forecast ")]
    assert line.endswith(f" {catalog.load(STOCK).filled()[-1]:.5g}"), line  # the last close, repeated
    assert "This GRU did not beat its starting point on validation by more than chance" in out
    assert "which here is the naive forecast (the last value repeated)" in out
