"""The run store within its disk (rnnlab.store.quota) and writes that fail: eviction of the least recently used
unpinned runs under RNNLAB_STORE_MB, pins, a failed write told apart from a concurrent writer that won, and the
bounded summary cache."""

from __future__ import annotations

import dataclasses
import errno
import io
import json
import logging
import os
import time

import pytest

from rnnlab.cli import main
from rnnlab.config import experiment_key, stored_experiment
from rnnlab.config.limits import JobSettings, StoreSettings
from rnnlab.dashboard import run_view
from rnnlab.jobs import manager as manager_module
from rnnlab.jobs.manager import JobManager
from rnnlab.lessons import guide
from rnnlab.store import quota, runstore
from rnnlab.store.runstore import RunStore, StoreWriteFailed
from rnnlab.training import fit as training

from fake_dask import FakeClient
from helpers import tiny


@pytest.fixture(scope="module")
def naive_result():
    return training.run(tiny("naive"))


def variant(result, i: int):
    """``result`` as the run of another experiment (its training seed ``i``): a distinct key, the same size."""
    exp = {**result.experiment, "train": {**result.experiment["train"], "seed": 1000 + i}}
    return dataclasses.replace(result, experiment=exp, key=experiment_key(exp))


def aged(store: RunStore, key: str, seconds_ago: float) -> None:
    """Make run ``key`` last used ``seconds_ago`` seconds ago."""
    then = time.time() - seconds_ago
    os.utime(store.path(key), (then, then))


def test_the_quota_is_an_operator_setting_with_a_default_and_a_clear_refusal():
    assert StoreSettings.from_env({}).store_mb == 2048
    assert StoreSettings.from_env({"RNNLAB_STORE_MB": "50"}).store_mb == 50
    with pytest.raises(ValueError, match="RNNLAB_STORE_MB"):
        StoreSettings.from_env({"RNNLAB_STORE_MB": "lots"})
    assert RunStore("/nowhere").quota_bytes() == 2048 * quota.MB


def test_over_the_quota_the_least_recently_used_unpinned_runs_go_and_are_logged(home, naive_result, caplog):
    store = RunStore(quota_mb=1000)
    runs = [variant(naive_result, i) for i in range(6)]
    for i, run in enumerate(runs):
        store.put(run)
        aged(store, run.key, 1000 - i * 100)  # run 0 used longest ago
    size = quota.run_bytes(store.path(runs[0].key))
    quota.pin(store, [runs[0].key], "operator")  # the oldest, but pinned
    store.get(runs[1].key)  # read in full: used now
    # room for four runs: two must go, the least recently used that are not pinned (2 and 3)
    sizes = quota.runs_bytes(store)
    limit = sum(sizes.values()) - sizes[runs[2].key] - sizes[runs[3].key] + size
    with caplog.at_level(logging.WARNING):
        evicted = quota.make_room(store, size, limit, keep=[])
    assert [k for k, _ in evicted] == [runs[2].key, runs[3].key]
    assert sorted(store.keys()) == sorted(r.key for r in (runs[0], runs[1], runs[4], runs[5]))
    assert sum(quota.runs_bytes(store).values()) + size <= limit
    assert "evicted 2 least recently used run(s)" in caplog.text and runs[2].key[:12] in caplog.text
    assert store.get(runs[2].key) is None  # simply missing: it will be trained again when asked for


def test_a_write_over_the_quota_evicts_before_the_new_run_goes_in(home, naive_result, monkeypatch):
    first = variant(naive_result, 0)
    store = RunStore()
    store.put(first)
    size = quota.run_bytes(store.path(first.key))
    aged(store, first.key, 600)
    monkeypatch.setattr(RunStore, "quota_bytes", lambda self: int(1.5 * size))
    second = variant(naive_result, 1)
    store.put(second)
    assert list(store.keys()) == [second.key]


def test_lesson_and_pinned_runs_are_never_evicted_and_a_full_store_says_why(home, naive_result, monkeypatch):
    store = RunStore()
    lesson, pinned = variant(naive_result, 0), variant(naive_result, 1)
    monkeypatch.setattr(quota, "lesson_keys", lambda: {lesson.key})
    store.put(lesson)
    store.put(pinned)
    quota.pin(store, [pinned.key], "beat the book")
    assert quota.protected(store) == {lesson.key: "lesson", pinned.key: "beat the book"}
    size = quota.run_bytes(store.path(lesson.key))
    monkeypatch.setattr(RunStore, "quota_bytes", lambda self: int(2.5 * size))
    with pytest.raises(StoreWriteFailed, match="the store is full") as failed:
        store.put(variant(naive_result, 2))
    assert "RNNLAB_STORE_MB" in failed.value.reason
    assert sorted(store.keys()) == sorted([lesson.key, pinned.key])  # kept, and nothing half-written
    assert not list((home / "runs").glob(".tmp-*"))
    assert quota.unpin(store, [pinned.key]) == [pinned.key] and quota.pinned(store) == {}
    store.put(variant(naive_result, 2))  # now the unpinned one may go
    assert pinned.key not in set(store.keys()) and lesson.key in set(store.keys())


def test_the_class_boards_best_runs_are_protected(home, naive_result, monkeypatch):
    """The board shows, on each lesson series, the best run per model: those are kept."""
    spec = guide.lesson_series()[0]
    exp = tiny("naive")
    on_board = exp.replace(**{k: v for k, v in spec.items() if k in ("n_series", "n_steps", "horizon", "seed")})
    monkeypatch.setattr(guide, "lesson_series", lambda scale=None: [on_board.to_dict()["series"]])
    store = RunStore()
    board_run = training.run(on_board)
    store.put(board_run)
    store.put(variant(naive_result, 5))
    assert quota.board_keys(store) == {board_run.key}


@pytest.mark.parametrize("where, error", [("write", errno.ENOSPC), ("rename", errno.EROFS)])
def test_a_failed_write_says_why_and_leaves_no_partial_run(home, naive_result, monkeypatch, where, error):
    store = RunStore()

    def fail(*args, **kwargs):
        raise OSError(error, os.strerror(error))

    if where == "write":
        monkeypatch.setattr(runstore, "_write_synced", fail)
    else:
        monkeypatch.setattr(runstore, "os", _FailingOs(fail))
    with pytest.raises(StoreWriteFailed) as failed:
        store.put(naive_result)
    assert failed.value.reason == os.strerror(error)  # "No space left on device", "Read-only file system"
    assert list((home / "runs").iterdir()) == []  # no run, no temporary folder
    assert store.get(naive_result.key) is None


class _FailingOs:
    """``os`` for the run store, but every rename fails."""

    def __init__(self, fail) -> None:
        self._fail = fail

    def rename(self, *args):
        self._fail()

    def __getattr__(self, name):
        return getattr(os, name)


def test_a_concurrent_writer_that_won_is_not_a_failure(home, naive_result, monkeypatch):
    """The rename fails because another writer put the same run in place first: its copy is as good as ours."""
    store, other = RunStore(), RunStore()
    real = quota.make_room

    def other_writer_first(*args, **kwargs):
        monkeypatch.setattr(quota, "make_room", real)
        other.put(naive_result)
        return real(*args, **kwargs)

    monkeypatch.setattr(quota, "make_room", other_writer_first)
    assert store.put(naive_result) == home / "runs" / naive_result.key
    assert store.get(naive_result.key) is not None and [p.name for p in (home / "runs").iterdir()] == [
        naive_result.key]


def test_the_command_line_exits_non_zero_with_the_reason(home, monkeypatch, capsys):
    def full(self, result):
        raise StoreWriteFailed("No space left on device")

    monkeypatch.setattr(RunStore, "put", full)
    status = main(["--home", str(home), "train", "naive", "--n-series", "200"], out=io.StringIO())
    assert status == 2
    err = capsys.readouterr().err
    assert "trained, but its result could not be kept: No space left on device" in err


def test_the_summary_cache_is_bounded(home, naive_result, monkeypatch):
    monkeypatch.setattr(runstore, "SUMMARY_CACHE_RUNS", 2)
    monkeypatch.setattr(runstore, "_SUMMARIES", runstore.OrderedDict())
    store = RunStore()
    for i in range(4):
        store.put(variant(naive_result, i))
    assert len(store.list()) == 4
    assert len(runstore._SUMMARIES) == 2


def test_the_summary_cache_keeps_the_experiment_and_listing_not_the_whole_result(home, naive_result, monkeypatch):
    monkeypatch.setattr(runstore, "_SUMMARIES", runstore.OrderedDict())
    store = RunStore()
    store.put(naive_result)
    assert [run.key for run in store.list()] == [naive_result.key]
    (_, experiment, listing), = runstore._SUMMARIES.values()
    assert experiment == naive_result.experiment  # not result.json's layers, inspection and the rest
    assert listing.metrics == naive_result.metrics
    again = store.get(naive_result.key)  # a whole run is read from its files
    assert again.layers == naive_result.layers and again.inspect == naive_result.inspect


def test_the_manager_keeps_only_its_newest_results_in_memory_and_reads_the_others_from_the_store(
        home, naive_result, monkeypatch):
    monkeypatch.setattr(manager_module, "KEEP_RESULTS", 6)  # above the 4 that finish below, under 8
    client = FakeClient(workers=4)
    manager = JobManager(JobSettings(calibrate=False), store=RunStore(), client=client)
    runs = {r.key: r for r in (variant(naive_result, i) for i in range(6))}
    first, later = list(runs)[:4], list(runs)[4:]
    jobs = manager.submit_batch([stored_experiment(runs[k].experiment) for k in first], owner="a")
    assert len(client.futures) == 4
    for future in client.futures:  # in the order they were handed over
        future.finish(runs[stored_experiment(future.experiment).key()])
    assert all(j.state == "done" and j.result() is not None for j in jobs)
    manager.submit(stored_experiment(runs[later[0]].experiment), owner="b")  # a submit prunes...
    assert all(j.result() is not None for j in jobs)  # ...nothing while fewer than KEEP_RESULTS have finished
    monkeypatch.setattr(manager_module, "KEEP_RESULTS", 2)
    manager.submit(stored_experiment(runs[later[1]].experiment), owner="b")
    kept = [j.result() is not None for j in jobs]
    assert kept == [False, False, True, True]  # the two finished first were released
    for job in jobs:
        shown = run_view.finished_run(job.key, manager.get(job.key))
        assert shown is not None and shown.key == job.key and shown.metrics == runs[job.key].metrics
    hits = manager.stats()["store_hits"]
    again = manager.submit(jobs[0].experiment, owner="c")  # a released result is answered from the store
    assert again.state == "done" and again.result().key == jobs[0].key
    assert manager.stats()["store_hits"] == hits + 1 and len(client.futures) == 6
    manager.close()


def test_usage_counts_each_kind(home, naive_result, monkeypatch, tmp_path):
    """The compilation cache is counted where the workers keep it: RNNLAB_JAX_CACHE, else beside the store."""
    store = RunStore()
    store.put(naive_result)
    (home / "datasets" / "u1").mkdir(parents=True)
    (home / "datasets" / "u1" / "series.npz").write_bytes(b"x" * 100)
    (home / "jax-cache").mkdir()
    (home / "jax-cache" / "a").write_bytes(b"y" * 300)
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "b").write_bytes(b"z" * 700)
    monkeypatch.delenv("RNNLAB_JAX_CACHE", raising=False)
    used = quota.usage(store)
    assert used["runs"] == {"bytes": quota.run_bytes(store.path(naive_result.key)), "files": 1}
    assert used["uploads"] == {"bytes": 100, "files": 1}
    assert used["compilation cache"] == {"bytes": 300, "files": 1}
    assert used["damaged"] == {"bytes": 0, "files": 0}
    monkeypatch.setenv("RNNLAB_JAX_CACHE", str(tmp_path / "elsewhere"))
    assert quota.usage(store)["compilation cache"] == {"bytes": 700, "files": 1}


def test_run_sizes_are_measured_once_per_folder(home, naive_result, monkeypatch):
    """Every write checks the quota: a run already measured is not read again, a replaced folder is."""
    store = RunStore()
    measured = []
    real = quota.run_bytes
    monkeypatch.setattr(quota, "run_bytes", lambda folder: measured.append(folder.name) or real(folder))
    runs = [variant(naive_result, i) for i in range(3)]
    for run in runs:
        store.put(run)  # each write measures the runs already in place, before its own goes in
    sizes = quota.runs_bytes(store)
    assert sorted(measured) == sorted(r.key for r in runs)  # each run once, in all
    assert sizes == {r.key: real(store.path(r.key)) for r in runs}
    measured.clear()
    folder = store.path(runs[0].key)
    os.rename(folder, home / "aside")
    os.mkdir(folder)  # a new folder under the same key (a damaged copy replaced)
    (folder / "x").write_bytes(b"w" * 5)
    assert quota.runs_bytes(store)[runs[0].key] == 5 and measured == [runs[0].key]


def test_a_result_that_cannot_be_kept_is_still_shown_with_the_reason(app, fake_manager, fake_client, naive_result,
                                                                      monkeypatch):
    """The manager keeps the finished result in memory with the reason it could not be stored, and the Train page
    shows both."""
    from rnnlab.dashboard.state import to_query

    def full(self, result):
        raise StoreWriteFailed("No space left on device")

    monkeypatch.setattr(RunStore, "put", full)
    exp = tiny("naive")
    at = app("pages/train.py", **to_query(exp))
    at.button(key="train").click().run()
    [future] = fake_client.pending()
    trained = stored_experiment(future.experiment)  # the page's experiment, as handed to the worker
    future.finish(dataclasses.replace(naive_result, key=trained.key(), experiment=trained.to_dict()))
    job = fake_manager.get(trained.key())
    assert job.state == "done" and job.store_error == "No space left on device" and job.result() is not None
    at.run()
    assert not at.exception
    assert [w.value for w in at.warning if w.value.startswith("This result could not be kept")] == [
        "This result could not be kept: No space left on device. It is shown from the server's memory and is lost "
        "when the server restarts; tell the instance's operator."]
    assert any(m.label == "Validation MSE" for m in at.metric)  # the result itself is shown


def test_the_store_command_shows_lists_verifies_pins_and_prunes(home, naive_result):
    store = RunStore()
    runs = [variant(naive_result, i) for i in range(3)]
    for i, run in enumerate(runs):
        store.put(run)
        aged(store, run.key, 300 - i * 100)

    def cli(*args):
        out = io.StringIO()
        return main(["--home", str(home), "store", *args], out=out), out.getvalue()

    status, text = cli()
    assert status == 0 and "runs" in text and "3 runs" in text and "of 2,048.0 MB" in text
    status, text = cli("list", "--json")
    assert [r["key"] for r in json.loads(text)] == [r.key for r in runs]  # least recently used first
    assert cli("pin", runs[0].key[:8], "--why", "demo")[0] == 0 and quota.pinned(store) == {runs[0].key: "demo"}
    assert cli("pin", "zz")[0] == 2  # not a key nor a prefix of one
    (store.path(runs[2].key) / "predictions.npz").write_bytes(b"broken")
    status, text = cli("verify")
    assert status == 1 and f"damaged: {runs[2].key}" in text and "verified 3 runs" in text
    status, text = cli("prune", "--to-mb", "0")
    assert status == 0 and "evicted 2 run(s)" in text and "pinned, lesson or class-board runs" in text
    assert list(store.keys()) == [runs[0].key]
    assert cli("unpin", runs[0].key)[0] == 0 and quota.pinned(store) == {}


def test_uploads_no_run_uses_expire_after_their_days(home, monkeypatch):
    from types import SimpleNamespace

    store = RunStore()
    root = home / "datasets"
    for name, days_old in (("upload-old", 40), ("upload-used", 40), ("upload-new", 2)):
        (root / name).mkdir(parents=True)
        (root / name / "meta.json").write_text("{}")
        then = time.time() - days_old * 86400
        os.utime(root / name / "meta.json", (then, then))
    used = SimpleNamespace(experiment=SimpleNamespace(series=SimpleNamespace(data="upload-used")))
    monkeypatch.setattr(RunStore, "list", lambda self, **kw: [used])
    assert quota.expire_uploads(store, 30) == ["upload-old"]
    assert sorted(p.name for p in root.iterdir()) == ["upload-new", "upload-used"]


def test_a_run_from_another_backend_is_said_so_and_answered_from_the_store(app, naive_result, monkeypatch, home):
    """The backend is not in the key: the store answers on either backend, and the page says when it differs."""
    from rnnlab.dashboard.state import to_query
    from rnnlab.store.runs import backend_note

    assert backend_note({"backend": "jax"}, 100, "jax") is None
    assert backend_note({"backend": "tensorflow"}, 0, "jax") is None  # the naive forecast: no weights at all
    note = backend_note({"backend": "tensorflow"}, 100, "jax")
    assert note.startswith("This run was trained on TensorFlow; this instance trains on JAX.")
    exp = tiny("linear")
    trained = training.run(exp)
    RunStore().put(dataclasses.replace(trained, versions={**trained.versions, "backend": "tensorflow"}))
    monkeypatch.setenv("RNNLAB_BACKEND", "jax")
    at = app("pages/train.py", **to_query(exp))
    assert not at.exception
    assert [i.value for i in at.info if i.value.startswith("This run was trained on")] == [note]
    assert any(s.value.startswith("Stored result") for s in at.success)
