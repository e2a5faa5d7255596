"""The workers' calibration: fitting the cost figures (rnnlab.jobs.costs.fit), the job manager's background
calibration (on a stand-in for Dask), and the ``calibrate`` command (on the suite's shared cluster)."""

from __future__ import annotations

import io
import json

import pytest

from rnnlab.config import stored_experiment
from rnnlab.config.limits import JobSettings
from rnnlab.jobs import costs
from rnnlab.jobs.manager import JobManager
from rnnlab.models.registry import REGISTRY
from rnnlab.store.runs import RunResult
from rnnlab.store.runstore import RunStore
from rnnlab.training.backend import backend_name

from fake_dask import FakeClient
from helpers import tiny

#: Per-family figures the synthetic timings are made from (each family a little different).
TRUE = {name: {"a": 2e-10 * (1 + i / 4), "b": 3e-5 * (1 + i / 8), "compile": 2.0 + i / 10, "post": 0.5 + i / 20}
        for i, name in enumerate(n for n, e in REGISTRY.items() if e.trainable)}


def timed_result(experiment, figures=None) -> RunResult:
    """The result a worker with ``figures`` (``a``, ``b``, ``compile``, ``post``; default: the family's in
    :data:`TRUE`) would report for ``experiment``: each epoch ``a x flops + b x loops`` seconds, the first plus
    the compilation, and the forecasts and saving around training."""
    c = figures or TRUE[experiment.model.name]
    w = costs.work(experiment)
    per_epoch = c["a"] * w.flops + c["b"] * w.loops
    seconds = [per_epoch + c["compile"]] + [per_epoch] * (experiment.train.epochs - 1)
    history = [{"epoch": i + 1, "loss": 0.1, "val_loss": 0.1, "seconds": s} for i, s in enumerate(seconds)]
    after = c["post"] + 2 * (c["a"] * w.forward_flops + c["b"] * w.forward_loops)
    scores = {"mse": 0.1, "mae": 0.2, "rmse": 0.3, "mase": 0.9}
    return RunResult(key=experiment.key(), experiment=experiment.to_dict(), history=history,
                     metrics={"valid": scores, "test": scores}, naive_metrics={"valid": scores, "test": scores},
                     mse_per_step={}, params_total=0, layers=[], predictions={}, wall_seconds=sum(seconds) + after,
                     train_seconds=sum(seconds), versions={})


def assert_figures(found, expected) -> None:
    assert set(found) == set(expected)
    for name, figures in expected.items():
        assert found[name] == pytest.approx(figures, rel=1e-6), name


def test_fit_recovers_the_figures_the_timings_were_made_from():
    experiments = costs.calibration_experiments()
    assert len(experiments) == 2 * len(TRUE)  # two batch sizes per trainable family
    assert_figures(costs.fit([timed_result(e) for e in experiments]), TRUE)


def test_fit_keeps_the_least_overhead_of_the_two_trainings_and_never_a_negative_one():
    small, large = [e for e in costs.calibration_experiments() if e.model.name == "gru"]
    figures = {"a": 1e-10, "b": 2e-5, "compile": 3.0, "post": 1.0}
    slow_start = timed_result(small, {**figures, "compile": 9.0, "post": 4.0})  # a worker's first job: set-up too
    fitted = costs.fit([slow_start, timed_result(large, figures)])["gru"]
    assert fitted == pytest.approx(figures, rel=1e-6)
    negative = costs.fit([timed_result(small, {**figures, "compile": -1.0, "post": -1.0}),
                          timed_result(large, {**figures, "compile": -1.0, "post": -1.0})])["gru"]
    assert negative["compile"] == 0.0 and negative["post"] == 0.05


def test_the_manager_calibrates_in_the_background_and_keeps_the_figures_beside_its_store(tmp_path, monkeypatch):
    elsewhere = tmp_path / "process-home"  # RNNLAB_HOME, calibrated: the manager's store is not there
    monkeypatch.setenv("RNNLAB_HOME", str(elsewhere))
    costs.save({name: {"a": 1.0, "b": 1.0, "compile": 1.0, "post": 1.0} for name in TRUE})
    home = tmp_path / "home"
    client = FakeClient(workers=2)
    manager = JobManager(JobSettings(calibrate=False), store=RunStore(home), client=client)
    assert manager.calibration_path() == costs.calibration_path(home=home)
    assert not manager.estimate(tiny("gru")).calibrated  # the shipped figures, not RNNLAB_HOME's
    jobs = manager.calibrate()
    assert [j.experiment for j in jobs] == costs.calibration_experiments()
    assert all(j.background and j.owners == {"calibration"} for j in jobs) and len(client.submitted) == 2
    student = manager.submit(tiny("linear"), owner="student")
    assert manager.queue_position(student) == 0  # a person's training goes before the calibration's
    while client.pending():
        assert not manager.calibration_path().exists()  # kept only once every calibration training is in
        future = client.pending()[0]
        future.finish(timed_result(stored_experiment(future.experiment)))
    assert student.state == "done" and all(j.state == "done" for j in jobs)
    assert client.submitted.index(f"train-{student.key}") == 2  # the next free worker after the first two
    # a calibration training is a measurement, not a run: only the student's is kept (and listed on Compare)
    assert [r.key for r in RunStore(home).list()] == [student.key]
    figures, calibrated = costs.load_coefficients(home=home)
    assert calibrated
    assert_figures(figures, TRUE)
    assert manager.estimate(tiny("gru")).calibrated  # estimates use this instance's figures from now on
    assert manager.calibrate() == []  # calibrated already: nothing to do unless forced
    handed = len(client.submitted)
    again = manager.calibrate(force=True)  # trained again (fresh), even though the results are known
    assert len(again) == len(jobs) and len(client.submitted) == handed + 2
    client.pending()[0].finish(error=RuntimeError("worker lost"))
    while client.pending():
        future = client.pending()[0]
        future.finish(timed_result(stored_experiment(future.experiment), {"a": 1, "b": 1, "compile": 1, "post": 1}))
    assert_figures(costs.load_coefficients(home=home)[0], TRUE)  # an incomplete calibration changes nothing
    manager.close()


def test_calibrate_command_measures_the_workers_and_writes_the_figures(shared_cluster, tmp_path, monkeypatch):
    from rnnlab.cli import main

    quick = [tiny("linear", n_series=300, epochs=3, batch_size=batch) for batch in costs.CALIBRATION_BATCHES]
    monkeypatch.setattr(costs, "calibration_experiments", lambda: quick)  # one family, 300 series: seconds
    home = tmp_path / "home"
    address = shared_cluster.scheduler_info()["address"]
    out = io.StringIO()
    assert main(["--home", str(home), "calibrate", "--scheduler", address], out=out) == 0
    path = costs.calibration_path(home=home)
    lines = out.getvalue().splitlines()
    assert lines[0].split() == ["family", "s", "per", "1e9", "ops", "us", "per", "step", "compile", "s", "around", "s"]
    assert lines[1].split()[0] == "linear" and len(lines) == 3 and lines[2] == f"wrote {path}"
    record = json.loads(path.read_text())
    assert record["backend"] == costs.backend_name() and list(record["families"]) == ["linear"]
    assert costs.load_coefficients(home=home) == (record["families"], True)
    figures = record["families"]["linear"]
    assert figures["a"] > 0 and figures["b"] >= 0 and figures["compile"] >= 0 and figures["post"] >= 0.05


def test_a_shape_is_charged_its_compilation_once(tmp_path):
    """Repeats of one model share their compiled programs: the first is charged the compilation, the others not,
    nor a later training of a shape the workers have compiled; another size is a new shape."""
    figures = {name: {"a": 1e-9, "b": 1e-4, "compile": 5.0, "post": 1.0} for name in TRUE}
    client = FakeClient(workers=1)
    manager = JobManager(JobSettings(calibrate=False, jobs_per_owner=5), store=RunStore(tmp_path), client=client)
    costs.save(figures, path=manager.calibration_path())  # this instance's figures
    gru = tiny("gru")
    seeds = [gru.replace(train_seed=s) for s in (1, 2, 3)]
    first, *others = manager.estimates(seeds)
    assert first.first_epoch == pytest.approx(first.per_epoch + 5.0)
    assert [e.first_epoch for e in others] == [pytest.approx(e.per_epoch) for e in others]
    assert manager.estimates([gru.replace(epochs=gru.train.epochs + 1)])[0].first_epoch > first.per_epoch + 4.9
    jobs = manager.submit_batch(seeds, owner="a")
    assert [j.estimate.first_epoch - j.estimate.per_epoch for j in jobs] == pytest.approx([5.0, 0.0, 0.0])
    while client.pending():
        future = client.pending()[0]
        future.finish(timed_result(stored_experiment(future.experiment)))
    again = manager.estimate(gru.replace(train_seed=9, epochs=gru.train.epochs + 2, learning_rate=0.01))
    assert again.first_epoch == pytest.approx(again.per_epoch)  # compiled here already
    wider = manager.estimate(gru.replace(units=gru.model.units + 1))
    assert wider.first_epoch == pytest.approx(wider.per_epoch + 5.0)
    manager.close()


def test_the_command_line_estimates_with_its_own_process_figures(tmp_path, capsys, monkeypatch):
    """A training in the command's own process (every core) is estimated from this process's calibration
    (calibrate --here) when there is one, else from the shipped figures of a process (calibrate --here
    --shipped), else from the workers'; with --scheduler, from the workers'."""
    from rnnlab.cli import main

    engine = backend_name()
    workers = {name: {"a": 1e-9, "b": 1e-4, "compile": 2.0, "post": 1.0} for name in TRUE}
    here = {name: {"a": 5e-10, "b": 5e-5, "compile": 1.0, "post": 0.5} for name in TRUE}
    shipped_here = {name: {"a": 7e-10, "b": 7e-5, "compile": 1.5, "post": 0.7} for name in TRUE}
    defaults = tmp_path / "cost_defaults.json"  # shipped: the workers' figures only, at first
    monkeypatch.setattr(costs, "DEFAULTS_FILE", defaults)
    costs.save(TRUE, engine=engine, path=defaults)

    def estimate(*extra):
        out = io.StringIO()
        assert main(["--home", str(tmp_path), "train", "gru", "--estimate", *extra], out=out) == 0
        return out.getvalue()

    assert costs.load_coefficients(home=tmp_path, where="here") == (TRUE, False)
    costs.save(workers, path=costs.calibration_path(home=tmp_path))
    assert costs.load_coefficients(home=tmp_path, where="here") == (workers, True)  # no figures of its own yet
    text = estimate()
    assert "in this process" in text and "calibrate --here` measures it" in text
    # the shipped figures of a process come before this instance's workers': a worker trains on one thread, the
    # process on every core (the workers' figures overestimated it 2.2-2.8x)
    costs.save(shipped_here, engine=engine, path=defaults, where="here")
    assert json.loads(defaults.read_text())[f"{engine}-here"]["where"] == "here"
    assert costs.load_coefficients(home=tmp_path, where="here") == (shipped_here, False)
    assert costs.load_coefficients(home=tmp_path) == (workers, True)  # the workers' own, untouched
    assert costs.load_coefficients(home=tmp_path / "elsewhere") == (TRUE, False)  # ... and the workers' shipped
    assert "from the shipped two-core figures of the command line's own process" in estimate()
    costs.save(here, path=costs.calibration_path(home=tmp_path, where="here"))
    assert costs.load_coefficients(home=tmp_path, where="here") == (here, True)
    faster, slower = json.loads(estimate("--json")), json.loads(estimate("--json", "--scheduler", "tcp://127.0.0.1:1"))
    assert faster["where"] == "here" and slower["where"] == "workers"
    assert faster["seconds"] < slower["seconds"]
    assert "measured in this process by `python -m rnnlab calibrate --here`" in estimate()
    assert "on one worker" in estimate("--scheduler", "tcp://127.0.0.1:1")
    with pytest.raises(ValueError, match="where="):
        costs.calibration_path(home=tmp_path, where="elsewhere")


def test_the_estimates_benchmark_reports_new_and_repeated_shapes_apart():
    """``bench --estimates`` trains each configuration, then again with another seed (the same compiled shape), and
    counts the estimates within 2x for each round; the misses are named."""
    from rnnlab.reports import bench_estimates  # Dask: only the benchmark needs it

    first = bench_estimates.configurations()[:2]
    again = bench_estimates.repeats(first)
    assert [costs.compiled_shape(e) for e in again] == [costs.compiled_shape(e) for e in first]
    assert {e.key() for e in again}.isdisjoint(e.key() for e in first)  # trained again, not answered by the store
    rows = [{"experiment": e, "compiled": compiled, "estimate": 10.0, "actual": 10.0 * ratio, "ratio": ratio,
             "est_epoch": 1.0, "epoch": ratio}
            for (e, compiled), ratio in zip([(first[0], False), (first[1], False), (again[0], True), (again[1], True)],
                                            (1.0, 0.6, 0.4, 1.9))]
    text = bench_estimates.report(rows, False, 1, "here")
    assert "`python -m rnnlab bench --estimates --here`" in text and "in the command's own process" in text
    assert "- new shapes: **2 of 2** (100%) within a factor of 2" in text
    assert "- repeated shapes: **1 of 2** (50%)" in text and "- all: **3 of 4** (75%)" in text
    assert text.count("**miss**") == 1 and "Missed: linear one_step (train_seed 43), repeated (0.40)" in text


def test_the_command_line_charges_a_shape_its_compilation_once_per_request_and_remembers_it(tmp_path):
    """As the workers' pricing does: in one request (two seeds of a model) the shape is compiled once; after a
    training in this process with this store (on JAX, which keeps the programs on disk), not at all."""
    gru = tiny("gru")
    first, second = costs.estimates_here([gru, gru.replace(train_seed=9)], tmp_path)
    assert first.compile > 0 and second.compile == 0
    costs.note_compiled_here(gru, tmp_path)
    [again] = costs.estimates_here([gru.replace(epochs=3)], tmp_path)
    assert again.compile == (0 if backend_name() == "jax" else first.compile)
    assert costs.estimates_here([gru.replace(units=gru.model.units + 1)], tmp_path)[0].compile > 0
