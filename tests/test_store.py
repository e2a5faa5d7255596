"""rnnlab.store.runstore: round trip, atomic concurrent writes, damaged entries treated as missing."""

from __future__ import annotations

import json
import logging
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from rnnlab.training import fit as training
from rnnlab.config import Experiment
from rnnlab.store.runs import RunSummary
from rnnlab.store.runstore import ORPHAN_SECONDS, RunStore, default_home

from helpers import tiny


@pytest.fixture(scope="module")
def naive_result():
    return training.run(tiny("naive"))


@pytest.fixture(scope="module")
def linear_result():
    return training.run(tiny("linear"))


def test_default_home(monkeypatch, tmp_path):
    monkeypatch.delenv("RNNLAB_HOME", raising=False)
    assert default_home().name == ".rnnlab"
    monkeypatch.setenv("RNNLAB_HOME", str(tmp_path / "x"))
    assert default_home() == tmp_path / "x"


def test_round_trip(home, linear_result):
    store = RunStore()
    folder = store.put(linear_result)
    assert folder == home / "runs" / linear_result.key
    assert sorted(p.name for p in folder.iterdir()) == [
        "experiment.json", "manifest.json", "model.keras", "predictions.npz", "result.json"]
    again = store.get(linear_result.key, with_model=True)
    assert again.summary() == json.loads(json.dumps(linear_result.summary()))
    assert np.array_equal(again.predictions["valid"], linear_result.predictions["valid"])
    assert again.model_bytes == linear_result.model_bytes
    assert store.get(linear_result.key).model_bytes is None  # the model is read only on request
    assert store.model_bytes(linear_result.key) == linear_result.model_bytes
    assert store.model_bytes("0" * 64) is None
    assert store.has(linear_result.key) and not store.has("0" * 64)
    assert store.get("0" * 64) is None


def test_bad_keys_never_touch_the_filesystem(home):
    store = RunStore()
    for key in ("../../etc/passwd", "a" * 63, "A" * 64, "", None):
        assert store.get(key) is None and not store.has(key)
    with pytest.raises(ValueError, match="not a run key"):
        store.path("../x")


def test_concurrent_writers_leave_one_intact_run(home, linear_result):
    store = RunStore()
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda _: store.put(linear_result), range(16)))
    assert list(store.keys()) == [linear_result.key]
    assert [p.name for p in (home / "runs").iterdir()] == [linear_result.key]  # no temporary folders left
    assert store.get(linear_result.key, with_model=True) is not None


def _damage_truncate(folder):
    path = folder / "result.json"
    path.write_bytes(path.read_bytes()[:50])


def _damage_bad_json(folder):
    manifest = folder / "manifest.json"
    manifest.write_text("{not json")


def _damage_key(folder):
    # A consistent-looking entry whose experiment does not hash to the folder name.
    import hashlib

    exp_path = folder / "experiment.json"
    payload = json.loads(exp_path.read_text())
    payload["experiment"]["train"]["epochs"] = 7
    blob = json.dumps(payload).encode()
    exp_path.write_bytes(blob)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["files"]["experiment.json"] = {"size": len(blob), "sha256": hashlib.sha256(blob).hexdigest()}
    (folder / "manifest.json").write_text(json.dumps(manifest))


def _damage_missing(folder):
    (folder / "predictions.npz").unlink()


def _damage_model(folder):
    path = folder / "model.keras"
    path.write_bytes(path.read_bytes()[:-10])


@pytest.mark.parametrize("damage", [_damage_truncate, _damage_bad_json, _damage_key, _damage_missing, _damage_model])
def test_damaged_entries_are_logged_and_treated_as_missing(home, linear_result, damage, caplog):
    store = RunStore()
    folder = store.put(linear_result)
    damage(folder)
    with caplog.at_level(logging.WARNING, logger="rnnlab.store.runstore"):
        assert store.get(linear_result.key, with_model=True) is None
        if damage in (_damage_model, _damage_bad_json):
            assert store.model_bytes(linear_result.key) is None
        else:  # model_bytes reads only the manifest and the model
            assert store.model_bytes(linear_result.key) == linear_result.model_bytes
        assert store.list() == [] or damage is _damage_model  # listing does not read the model file
    assert "damaged" in caplog.text and linear_result.key[:12] in caplog.text
    # Storing again replaces the damaged copy with an intact one.
    store.put(linear_result)
    assert store.get(linear_result.key, with_model=True).model_bytes == linear_result.model_bytes


def test_list_filters(home, naive_result, linear_result):
    store = RunStore()
    other = training.run(tiny("naive", noise=0.3))
    for result in (naive_result, linear_result, other):
        store.put(result)
    assert len(store.list()) == 3
    same_data = store.list(series=linear_result.experiment["series"])
    assert {run.key for run in same_data} == {naive_result.key, linear_result.key}
    assert [run.key for run in store.list(model="linear")] == [linear_result.key]
    assert store.list(mode="seq2seq") == []


def test_listing_gives_typed_summaries(home, linear_result):
    """A listing has the same shape as a stored run: the experiment as an Experiment, scores as properties."""
    store = RunStore()
    store.put(linear_result)
    [run] = store.list()
    assert isinstance(run, RunSummary) and isinstance(run.experiment, Experiment)
    assert run.experiment.key() == run.key == linear_result.key
    assert (run.model, run.mode, run.epochs) == ("linear", "one_step", 1)
    assert run.val_mse == linear_result.val_mse and run.test_mse == linear_result.metrics["test"]["mse"]
    assert run.naive_val_mse == linear_result.naive_metrics["valid"]["mse"] and run.trained
    assert run.label == f"linear · one_step · {run.key[:6]}"
    assert store.summary(run.key) == run and store.summary("../x") is None


def test_stored_runs_stay_readable_when_the_limits_tighten(home, linear_result, monkeypatch):
    RunStore().put(linear_result)
    monkeypatch.setenv("RNNLAB_MAX_SERIES", "100")  # the run has 200 series
    [run] = RunStore().list()
    assert run.experiment.series.n_series == 200 and run.key == linear_result.key
    assert RunStore().get(run.key).spec.key() == run.key


def test_orphaned_temporary_folders_are_removed(home, linear_result):
    """What a writer killed mid-write leaves (runs/.tmp-*) is removed by a later write once it is old; a
    temporary folder that may still be in use is left alone."""
    import os
    import time

    store = RunStore()
    store.runs.mkdir(parents=True)
    old, fresh = store.runs / ".tmp-aaaaaaaaaaaa-old", store.runs / ".tmp-bbbbbbbbbbbb-fresh"
    for folder in (old, fresh):
        folder.mkdir()
        (folder / "result.json").write_text("{")
    past = time.time() - 2 * ORPHAN_SECONDS
    os.utime(old, (past, past))
    store.put(linear_result)
    assert not old.exists() and fresh.exists()
    assert sorted(p.name for p in store.runs.iterdir()) == sorted([fresh.name, linear_result.key])
    assert store.remove_orphans(max_age=0) == [fresh.name] and list(store.keys()) == [linear_result.key]


def test_a_damaged_run_is_kept_aside_when_replaced(home, linear_result):
    """A damaged run is moved to damaged/ (with its files, for whoever investigates) when a new copy is
    stored; the new copy is intact."""
    store = RunStore()
    folder = store.put(linear_result)
    _damage_truncate(folder)
    assert store.get(linear_result.key) is None
    store.put(linear_result)
    [kept] = list((home / "damaged").iterdir())
    assert kept.name.startswith(linear_result.key + "-")
    assert (kept / "result.json").read_bytes() == (folder / "result.json").read_bytes()[:50]
    assert sorted(p.name for p in kept.iterdir()) == sorted(p.name for p in folder.iterdir())
    assert store.get(linear_result.key, with_model=True).model_bytes == linear_result.model_bytes


def test_refuses_a_result_whose_key_does_not_match(home, naive_result):
    import copy

    forged = copy.deepcopy(naive_result)
    forged.experiment["train"]["epochs"] = 3
    with pytest.raises(ValueError, match="does not match"):
        RunStore().put(forged)
    assert list(RunStore().keys()) == []


def test_listing_verifies_each_run_once_per_change(home, linear_result, naive_result, monkeypatch):
    store = RunStore()
    store.put(linear_result)
    store.put(naive_result)
    calls = []
    real = RunStore._load_checked
    monkeypatch.setattr(RunStore, "_load_checked", lambda self, key, deep: calls.append(key) or real(self, key, deep=deep))
    assert len(store.list()) == 2 and len(calls) == 2
    assert len(RunStore().list()) == 2 and len(calls) == 2  # nothing changed: nothing re-read
    _damage_truncate(home / "runs" / linear_result.key)  # a changed file is verified again, and fails
    assert [run.key for run in store.list()] == [naive_result.key] and calls[-1] == linear_result.key
