"""Real series trained for real: every bundled series with every model (tiny), the forecast past the end, and a
backtest whose folds run side by side on the cluster and are answered from the store the second time."""

from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd
import pytest
from distributed import Client

from rnnlab.cli import main
from rnnlab.config import parse_flat
from rnnlab.config.limits import JobSettings
from rnnlab.jobs.manager import JobManager
from rnnlab.models.registry import REGISTRY
from rnnlab.series import catalog, dataset
from rnnlab.store.runstore import RunStore
from rnnlab.training import fit
from rnnlab.training.task import PROGRESS_TOPIC

from helpers import local_cluster, model_families

# the classical forecasters take seconds to minutes per series: tests/test_yardstick_runs.py fits them on a small one
def _cases() -> list[tuple[str, str]]:
    """The baselines (no network, milliseconds) on every bundled series, and one network of each family
    (``helpers.model_families``, as tests/backend_tf picks them: the SimpleRNN stacks are one family) on one
    series, taken in turn, so that every series is trained by one or two networks. (Every series with every network
    was 54 trainings, a sixth of the suite's time, for the same code paths: the series side is the windows, the
    scaling and the forecast past the end, met by every series here; the network side is its layers, which
    tests/test_models.py trains in every mode.)"""
    series = catalog.bundled_names()
    networks = [name for name in model_families() if REGISTRY[name].trainable]
    cases = [(s, name) for s in series for name, entry in REGISTRY.items() if entry.kind == "baseline"]
    return cases + [(series[i % len(series)], name) for i, name in enumerate(networks)]


CASES = _cases()


def tiny_real(series: str, model: str, **changes: str):
    """The book's settings for ``model`` on a bundled series, shrunk: short windows, one epoch, a long stride, and
    each period in one batch (a few dozen windows: on JAX a partial last batch would be a second compilation)."""
    mode = REGISTRY[model].book_mode
    values = {"model": model, "data": series, "mode": mode, "horizon": "1" if mode == "one_step" else "3",
              "n_steps": "16", "epochs": "1", "units": "4", "filters": "4", "stride": "25", "batch_size": "4096",
              **changes}
    return parse_flat(values, strict=True).experiment


@pytest.mark.parametrize("series, model", CASES, ids=[f"{s}-{m}" for s, m in CASES])
def test_every_bundled_series_trains_with_every_model(series, model):
    exp = tiny_real(series, model)
    result = fit.run(exp, save_model=False)
    ds = dataset.make_dataset(exp)
    horizon = exp.series.horizon
    assert result.predictions["valid"].shape == (len(ds.valid), horizon)
    for split in ("valid", "test"):
        assert np.isfinite(result.metrics[split]["mse"]) and result.metrics[split]["mse"] > 0
        naive = result.naive_metrics[split]
        # MASE by the in-sample seasonal-naive error
        assert naive["mase"] == pytest.approx(naive["mae"] / ds.mase_scale)
        assert result.baselines[split]["seasonal_naive"]["mse"] > 0
    # The forecast past the end: the next values, with the grid's next timestamps.
    prepared = catalog.load(series)
    future = result.future
    assert future["time"] == prepared.future_times(horizon) and len(future["value"]) == horizon
    assert future["last_time"] == prepared.time_labels(np.array([len(prepared) - 1]))[0]
    assert pd.Timestamp(future["time"][0]) > pd.Timestamp(future["last_time"])
    assert all(np.isfinite(future["value"]))
    if model == "naive":  # the naive forecast repeats the last observation
        assert future["value"] == pytest.approx([prepared.filled()[-1]] * horizon, rel=1e-6)
    if model == "seasonal_naive":  # ... the seasonal naive the one a season before, with its intervals
        season = exp.series.season or prepared.season
        assert future["value"] == pytest.approx(list(prepared.filled()[-season:][:horizon]), rel=1e-9)
        assert future["lower"]["95"][0] < future["value"][0] < future["upper"]["95"][0]


def test_forecast_past_the_end_rolls_a_one_step_model_forward():
    exp = tiny_real("elnino_sst", "linear", mode="iterative", horizon="4")
    result = fit.run(exp)
    model = fit.model_from_bytes(result.model_bytes)
    ds = dataset.make_dataset(exp)
    window = ds.last_window
    for _ in range(4):  # by hand: each forecast appended to the input
        step = model.predict(window[:, -16:], verbose=0)
        window = np.concatenate([window, step[:, None, :]], axis=1)
    # the forecasts are first differences (the real series' default scaling), added up from the last value
    assert result.future["value"] == pytest.approx(list(ds.unscale(window[:, 16:, 0], "last")[0]), rel=1e-5)
    assert result.future["rolled_forward"] and result.future["time"][0] == "2011-01-01"


def test_a_backtest_runs_its_folds_side_by_side_and_once(tmp_path):
    """Two folds (the fewest a backtest has) on a cluster of two workers run at the same time; asked again,
    nothing trains."""
    store = RunStore(tmp_path / "home")
    with local_cluster(2) as cluster, Client(cluster) as client:
        manager = JobManager(JobSettings(job_timeout=300, jobs_per_owner=1, queue_length=10,
                                         scheduler=cluster.scheduler_address), store=store)
        try:
            experiments = tiny_real("sunspots", "gru", epochs="3", stride="5").backtest(2)
            jobs = manager.submit_batch(experiments, owner="teacher")  # one request, under a limit of one
            assert len({j.key for j in jobs}) == 2
            assert all(j.wait(300) for j in jobs) and all(j.state == "done" for j in jobs), [j.error for j in jobs]
            # The workers' events, in the order the scheduler received them: every fold had started before any
            # fold reported its last epoch, so both ran at once.
            events = [(m["kind"], m.get("epoch")) for _, m in client.get_events(PROGRESS_TOPIC)
                      if m["key"] in {j.key for j in jobs}]
            starts = [i for i, (kind, _) in enumerate(events) if kind == "started"]
            last_epochs = [i for i, event in enumerate(events) if event == ("epoch", 3)]
            assert len(starts) == len(last_epochs) == 2 and max(starts) < min(last_epochs), events
            assert len({j.worker for j in jobs}) == 2
            tests = [j.result().metrics["test"]["mse"] for j in jobs]
            assert len(set(tests)) == 2  # each fold is tested on its own period
            before = manager.stats()
            again = manager.submit_batch(experiments, owner="student")
            assert all(j.state == "done" for j in again) and manager.stats()["started"] == before["started"]
        finally:
            manager.close()
    fresh = JobManager(JobSettings(workers=1), store=store)  # a restarted server answers from the store
    assert all(j.from_store for j in fresh.submit_batch(experiments, owner="x")) and not fresh.started
    fresh.close()


def test_cli_trains_on_a_csv_file_and_forecasts_past_its_end(tmp_path, home, capsys):
    """``train`` and ``backtest`` on an uploaded CSV file (decimal commas, day.month.year dates). In this process:
    the claim is the commands' (tests/test_cluster.py and the lessons' ``warm`` start ``python -m rnnlab`` as a
    process of its own)."""
    days = pd.date_range("2021-01-01", periods=200, freq="D")
    values = [f"{100 + 10 * np.sin(i / 3.0) + i / 20:.3f}".replace(".", ",") for i in range(200)]
    csv = tmp_path / "sales.csv"
    csv.write_text("Datum;Umsatz\n" + "".join(f"{d:%d.%m.%Y};{v}\n" for d, v in zip(days, values)))
    options = ["linear", "--data", str(csv), "--n-steps", "14", "--horizon", "3", "--mode", "seq2vec", "--epochs", "2",
               "--json"]
    out = io.StringIO()
    assert main(["--home", str(home), "train", *options], out=out) == 0, capsys.readouterr().err[-2000:]
    result = json.loads(out.getvalue())
    assert result["future"]["time"] == ["2021-07-20", "2021-07-21", "2021-07-22"]
    assert result["future"]["last_time"] == "2021-07-19" and len(result["future"]["value"]) == 3
    assert result["experiment"]["series"]["data"].startswith("upload-")
    err = capsys.readouterr().err
    assert "decimal commas" in err and "200 daily values" in err
    # the folds' yardsticks have their own test (test_backtest_yardsticks.py)
    back = io.StringIO()
    assert main(["--home", str(home), "backtest", *options, "--folds", "2", "--no-yardsticks"], out=back) == 0, (
        capsys.readouterr().err[-2000:])
    folds = json.loads(back.getvalue())
    assert [f["fold"] for f in folds["folds"]] == [1, 2]
    assert folds["mean_test_mse"] == pytest.approx(np.mean([f["test_mse"] for f in folds["folds"]]))
