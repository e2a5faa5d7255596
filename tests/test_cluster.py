"""A real `dask scheduler` and `dask worker` as separate processes on 127.0.0.1, driven through RNNLAB_SCHEDULER."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from rnnlab.jobs import JobManager, JobSettings
from rnnlab.store import RunStore

from helpers import ROOT, free_port, tiny

DASK = Path(sys.executable).with_name("dask")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


@pytest.fixture
def cluster(tmp_path):
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "0",
           "TF_CPP_MIN_LOG_LEVEL": "3"}
    logs = tmp_path / "logs"
    logs.mkdir()
    scheduler = subprocess.Popen(
        [str(DASK), "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
        stdout=open(logs / "scheduler.log", "w"), stderr=subprocess.STDOUT, env=env, cwd=tmp_path)
    worker = subprocess.Popen(
        [str(DASK), "worker", address, "--nthreads", "1", "--nworkers", "1", "--no-dashboard",
         "--host", "127.0.0.1"],
        stdout=open(logs / "worker.log", "w"), stderr=subprocess.STDOUT, env=env, cwd=tmp_path)
    try:
        yield address
    finally:
        stop(worker)
        stop(scheduler)


def test_job_runs_end_to_end_on_an_external_cluster(cluster, tmp_path, monkeypatch):
    monkeypatch.setenv("RNNLAB_SCHEDULER", cluster)
    store = RunStore(tmp_path / "home")
    manager = JobManager(JobSettings.from_env(), store=store)
    assert manager.settings.scheduler == cluster
    try:
        exp = tiny("gru", "seq2seq", 3, epochs=2)
        job = manager.submit(exp, owner="remote")
        assert job.wait(180), "the job did not finish"
        assert job.state == "done", job.error
        info = manager.cluster_info()
        assert info["workers"] == 1 and info["scheduler"] == cluster
        assert job.worker.startswith("tcp://127.0.0.1:") and job.worker_pid != os.getpid()
        assert len(job.progress()["history"]) == 2
        assert store.get(exp.key()).val_mse == job.result().val_mse
        assert manager.stats()["completed"] == 1
    finally:
        manager.close()
    # The command line trains on the same cluster with --scheduler, and stores the result locally.
    cli = subprocess.run([sys.executable, "-m", "rnnlab", "--home", str(tmp_path / "cli-home"), "train", "linear",
                          "--n-series", "200", "--n-steps", "20", "--epochs", "2", "--scheduler", cluster, "--json"],
                         cwd=ROOT, capture_output=True, text=True, timeout=240,
                         env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert cli.returncode == 0, cli.stderr[-2000:]
    result = json.loads(cli.stdout)
    assert result["cached"] is False and len(result["history"]) == 2
    assert RunStore(tmp_path / "cli-home").has(result["key"])
