"""A real `dask scheduler` and `dask worker`, started exactly as the README's "Scaling out" says, driven through
RNNLAB_SCHEDULER (the app's job manager) and the command line's --scheduler; and what the job manager does when
that scheduler goes away and comes back."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from distributed.client import ClosedClientError

from rnnlab.cli import main
from rnnlab.config.limits import JobSettings
from rnnlab.jobs.job import JobError
from rnnlab.jobs import manager as manager_module
from rnnlab.jobs.manager import JobManager
from rnnlab.store.runstore import RunStore

from fake_dask import FakeClient
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


def start(role: str, port: int, logs: Path, *, workers: int = 2) -> subprocess.Popen:
    """The README's ``role`` line ("scheduler" or "worker") on this machine: scheduler-host is 127.0.0.1, ``port``
    replaces 8786, ``workers`` its ``--nworkers 2``; its output is appended to ``logs/<role>.log``. Nothing else is
    added: no PYTHONPATH from the test's environment."""
    line = readme_commands()[role].replace("scheduler-host", "127.0.0.1").replace("8786", str(port))
    line = line.replace("--nworkers 2", f"--nworkers {workers}")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return subprocess.Popen(["bash", "-c", f"exec env {line}"], cwd=ROOT, env=env,
                            stdout=open(logs / f"{role}.log", "a"), stderr=subprocess.STDOUT)


@pytest.fixture
def cluster(tmp_path):
    """The README's scheduler and worker lines on this machine (see :func:`start`)."""
    commands = readme_commands()
    assert set(commands) == {"scheduler", "worker", "app"}, commands
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    logs = tmp_path / "logs"
    logs.mkdir()
    procs = []
    try:
        for role in ("scheduler", "worker"):
            procs.append(start(role, port, logs))
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
    # The command line trains on the same cluster with --scheduler, and stores the result locally. (In this
    # process: it trains on the cluster, so a process of its own would only add its start.)
    out = io.StringIO()
    assert main(["--home", str(tmp_path / "cli-home"), "train", "linear", "--n-series", "200", "--n-steps", "20",
                 "--epochs", "2", "--batch-size", "20", "--scheduler", address, "--json"], out=out) == 0
    result = json.loads(out.getvalue())
    assert result["cached"] is False and len(result["history"]) == 2
    assert RunStore(tmp_path / "cli-home").has(result["key"])


def test_a_scheduler_that_goes_away_fails_its_jobs_and_the_app_reconnects_when_it_is_back(tmp_path, monkeypatch):
    """Stopping the scheduler mid-training fails the running and the queued job at once, with a message that names
    the cluster and says what to do; once a scheduler and a worker are back at the same address, pressing Train
    again trains, with the same job manager (no restart of the web server)."""
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    logs = tmp_path / "logs"
    logs.mkdir()
    monkeypatch.setenv("RNNLAB_SCHEDULER", address)
    procs = {"scheduler": start("scheduler", port, logs), "worker": start("worker", port, logs, workers=1)}
    manager = JobManager(JobSettings.from_env(), store=RunStore(tmp_path / "home"))
    try:
        running = manager.submit(tiny("gru", epochs=200), owner="a")  # far longer than the test: it must be stopped
        waiting = manager.submit(tiny("linear", epochs=2), owner="b")  # one worker: it waits for the first
        assert wait_for(lambda: running.state == "running" or running.finished, 120), running.state
        assert running.state == "running", running.error
        assert waiting.state == "queued" and manager.queue_position(waiting) == 0

        stop(procs["scheduler"])
        # Dask's workers close themselves when their scheduler goes: a new one starts now, and waits for the next.
        procs["old worker"], procs["worker"] = procs["worker"], start("worker", port, logs, workers=1)
        assert running.wait(30) and waiting.wait(30), (running.state, waiting.state)
        for job in (running, waiting):
            assert job.state == "failed"
            assert job.error.startswith(f"the training cluster at {address} went away: "), job.error
            assert job.error.endswith("; press Train again once it is back"), job.error
        info = manager.cluster_info()
        assert info["lost"] == running.error and info["started"] is False and info["running"] == info["queued"] == 0
        assert manager.stats()["failed"] == 2 and manager.stats()["cancelled"] == 0

        procs["scheduler"] = start("scheduler", port, logs)
        again = manager.submit(waiting.experiment, owner="b")  # "press Train again"
        assert again is not waiting and again.state in ("queued", "running")
        stop(procs["old worker"])  # it was closing: it never joins the new scheduler
        assert again.wait(120), again.state
        assert again.state == "done", f"{again.error}\n{(logs / 'scheduler.log').read_text()[-2000:]}"
        assert manager.store.get(waiting.experiment.key()).val_mse == again.result().val_mse
        assert manager.cluster_info()["lost"] is None and manager.cluster_info()["workers"] == 1

        # Going away while nothing runs is noticed too: the home page's cluster panel says so, without waiting.
        stop(procs["scheduler"])
        assert wait_for(lambda: manager.cluster_info()["lost"] is not None, 30)
        assert manager.cluster_info()["lost"].startswith(f"the training cluster at {address} went away: ")
    finally:
        manager.close()
        for proc in procs.values():
            stop(proc)


class ClosedClient(FakeClient):
    """A client that lost its scheduler for good (Dask closes it once it gives up reconnecting) until ``closed``
    is set back to False: a hand-over raises as Dask's ``submit`` does then."""

    closed = True

    def submit(self, fn, *args, key: str, pure: bool):
        if self.closed:
            raise ClosedClientError("Client is closed. Can't send update-graph message.")
        return super().submit(fn, *args, key=key, pure=pure)


def test_a_hand_over_to_a_closed_client_fails_the_job_with_the_reason_and_the_next_submit_hands_it_over(tmp_path):
    """A job that cannot be handed to the cluster fails at once, with the reason, instead of waiting forever; the
    manager drops the client, and pressing Train again once the cluster is back hands the job over."""
    client = ClosedClient(workers=1)
    manager = JobManager(JobSettings(workers=1, scheduler="tcp://scheduler:8786"), store=RunStore(tmp_path / "home"),
                         client=client)
    exp = tiny("linear")
    with pytest.raises(JobError) as refused:
        manager.submit(exp, owner="a")
    job = manager.get(exp.key())
    assert job.state == "failed" and job.error == str(refused.value)
    assert job.error == ("the training cluster at tcp://scheduler:8786 went away: Client is closed. Can't send "
                         "update-graph message; press Train again once it is back")
    assert manager.cluster_info()["lost"] == job.error and manager.stats()["failed"] == 1

    client.closed = False
    again = manager.submit(exp, owner="a")
    assert again is not job and again.state == "queued" and manager.queue_position(again) is None  # handed over
    assert [f.key for f in client.pending()] == [f"train-{exp.key()}-retry1"]
    assert manager.cluster_info()["lost"] is None


def test_the_home_page_says_the_cluster_went_away(app, monkeypatch):
    manager = JobManager(JobSettings(workers=1, scheduler="tcp://scheduler:8786"), client=ClosedClient(workers=1))
    monkeypatch.setattr(manager_module, "_MANAGER", manager)
    assert not any("went away" in w.value for w in app().warning)
    with pytest.raises(JobError):
        manager.submit(tiny("linear"), owner="a")
    assert [w.value for w in app().warning if "went away" in w.value] == [manager.cluster_info()["lost"]]
