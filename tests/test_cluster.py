"""A real `dask scheduler` and `dask worker`, started exactly as the README's "Scaling out" says, driven through
RNNLAB_SCHEDULER (the app's job manager) and the command line's --scheduler."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

from rnnlab.config.limits import JobSettings
from rnnlab.jobs.manager import JobManager
from rnnlab.store.runstore import RunStore

from helpers import ROOT, free_port, stop, tiny, wait_for


def readme_commands() -> dict[str, str]:
    """The command lines of the README's "Scaling out with Dask" block: scheduler, worker, app."""
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## Scaling out with Dask"):]
    block = re.search(r"```bash\n(.*?)```", section, re.S).group(1)
    lines = [line for line in block.splitlines() if line.strip() and not line.startswith("#")]
    found = {}
    for line in lines:
        role = "scheduler" if " scheduler " in line else "worker" if " worker " in line else "app"
        found[role] = line
    return found


@pytest.fixture
def cluster(tmp_path):
    """The README's scheduler and worker lines on this machine: scheduler-host is 127.0.0.1, and a free port
    replaces 8786. Nothing else is added: no PYTHONPATH from the test's environment."""
    commands = readme_commands()
    assert set(commands) == {"scheduler", "worker", "app"}, commands
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    logs = tmp_path / "logs"
    logs.mkdir()
    procs = []
    try:
        for role in ("scheduler", "worker"):
            line = commands[role].replace("scheduler-host", "127.0.0.1").replace("8786", str(port))
            procs.append(subprocess.Popen(["bash", "-c", f"exec env {line}"], cwd=ROOT, env=env,
                                          stdout=open(logs / f"{role}.log", "w"), stderr=subprocess.STDOUT))
        yield address, commands, logs
    finally:
        for proc in reversed(procs):
            stop(proc)


def test_job_runs_end_to_end_on_a_cluster_started_as_the_readme_says(cluster, tmp_path, monkeypatch):
    address, commands, logs = cluster
    assert commands["app"] == "RNNLAB_SCHEDULER=tcp://scheduler-host:8786 make run"
    monkeypatch.setenv("RNNLAB_SCHEDULER", address)  # what `make run` hands to the app's job manager
    store = RunStore(tmp_path / "home")
    manager = JobManager(JobSettings.from_env(), store=store)
    assert manager.settings.scheduler == address
    try:
        exp = tiny("gru", "seq2seq", 3, epochs=2)
        job = manager.submit(exp, owner="remote")
        assert job.wait(240), "the job did not finish"
        assert job.state == "done", f"{job.error}\n{(logs / 'scheduler.log').read_text()[-2000:]}"
        assert wait_for(lambda: manager.cluster_info()["workers"] == 2, 60)  # --nworkers 2
        assert manager.cluster_info()["scheduler"] == address
        assert job.worker.startswith("tcp://127.0.0.1:") and job.worker_pid != os.getpid()
        assert len(job.progress()["history"]) == 2
        assert store.get(exp.key()).val_mse == job.result().val_mse
        assert manager.stats()["completed"] == 1
    finally:
        manager.close()
    # The command line trains on the same cluster with --scheduler, and stores the result locally.
    cli = subprocess.run([sys.executable, "-m", "rnnlab", "--home", str(tmp_path / "cli-home"), "train", "linear",
                          "--n-series", "200", "--n-steps", "20", "--epochs", "2", "--batch-size", "20",
                          "--scheduler", address, "--json"],
                         cwd=ROOT, capture_output=True, text=True, timeout=240,
                         env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert cli.returncode == 0, cli.stderr[-2000:]
    result = json.loads(cli.stdout)
    assert result["cached"] is False and len(result["history"]) == 2
    assert RunStore(tmp_path / "cli-home").has(result["key"])
