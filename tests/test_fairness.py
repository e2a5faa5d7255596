"""A fair share of the cluster: budgets refused before anything starts, the fair order of the queue, and a sweep
of one person that never starves another's single training (on a real LocalCluster)."""

from __future__ import annotations

import pytest

from rnnlab.jobs import costs

from rnnlab.jobs import sweeps
from rnnlab.config import Experiment
from rnnlab.jobs.manager import Job, JobManager, JobRefused, JobSettings
from rnnlab.store.runstore import RunStore

from helpers import tiny, wait_for


def test_a_training_over_the_budget_is_refused_before_it_starts_with_its_estimate(tmp_path):
    manager = JobManager(JobSettings(workers=1, max_job_seconds=600, calibrate=False), store=RunStore(tmp_path))
    huge = Experiment.book("lstm").replace(units=256, layers=3, n_series=20_000, n_steps=500, epochs=200)
    estimate = manager.estimate(huge)
    assert estimate.total > 600
    with pytest.raises(JobRefused) as info:
        manager.submit(huge, owner="student")
    message = str(info.value)
    assert message.startswith(f"this training would take {estimate.text()} on this instance")
    assert "at most 10 min per training (RNNLAB_MAX_JOB_SECONDS)" in message
    assert "fewer series, epochs or units" in message
    assert not manager.started and manager.get(huge.key()) is None  # nothing started, nothing queued
    assert manager.budget_problem([estimate]) == message
    small = tiny("linear")
    assert manager.budget_problem([manager.estimate(small)]) is None
    manager.close()


def test_sweep_size_and_per_person_seconds_are_limits(tmp_path):
    manager = JobManager(JobSettings(workers=1, sweep_jobs=4, owner_seconds=60, calibrate=False),
                         store=RunStore(tmp_path))
    many = sweeps.Sweep.make(tiny("linear"), {"epochs": [1, 2, 3]}, repeats=2).experiments()
    with pytest.raises(JobRefused, match=r"6 trainings in one request: at most 4 \(RNNLAB_MAX_SWEEP_JOBS\)"):
        manager.submit_batch(many, owner="a")
    long = [Experiment.book("gru").replace(epochs=e) for e in (100, 101)]
    asked = sum(manager.estimate(e).total for e in long)
    assert asked > 60
    with pytest.raises(JobRefused, match=r"these 2 training\(s\) would take .* at most 1\.0 min per person "
                                         r"\(RNNLAB_MAX_OWNER_SECONDS\)"):
        manager.submit_batch(long, owner="a")
    assert not manager.started
    manager.close()


def queued(manager: JobManager, owner: str, cost: float, *, age: float, background: bool = False) -> Job:
    job = Job(tiny("linear", train_seed=int(age * 1000) % 9999, epochs=1 + int(cost)), owner)
    job.estimate = costs.Estimate(cost, cost, cost, True)
    job.submitted_at, job.background = age, background
    manager._pending.append(job)
    return job


def test_the_queue_serves_whoever_has_least_running_then_the_cheapest_then_the_oldest(tmp_path):
    manager = JobManager(JobSettings(workers=2, calibrate=False), store=RunStore(tmp_path))
    running_a = Job(tiny("linear", train_seed=1), "a")
    manager._released = [running_a]  # a already has a training on a worker
    a_cheap = queued(manager, "a", 1.0, age=1.0)
    b_dear = queued(manager, "b", 50.0, age=3.0)
    b_cheap = queued(manager, "b", 5.0, age=4.0)
    c_cheap_new = queued(manager, "c", 5.0, age=5.0)
    calibration = queued(manager, "calibration", 0.5, age=0.0, background=True)
    order = []
    while manager._pending:
        nxt = manager._next()
        assert manager.queue_position(nxt) == 0
        order.append(nxt)
        manager._pending.remove(nxt)
        manager._released.append(nxt)  # as _release does: it now counts as running for its owner
    # b and c have nothing running: b's cheaper one first, then c's (same cost, newer), then a and b tie at one
    # running each and a's cheaper job goes; the background calibration only when nobody else waits.
    assert order == [b_cheap, c_cheap_new, a_cheap, b_dear, calibration]
    manager.close()


def test_a_twenty_job_sweep_does_not_starve_a_single_training(tmp_path):
    manager = JobManager(JobSettings(workers=2, job_timeout=300, calibrate=False), store=RunStore(tmp_path))
    try:
        sweep = sweeps.Sweep.make(tiny("gru", n_series=400, n_steps=30, epochs=4), {"units": list(range(1, 21))})
        a_jobs = manager.submit_batch(sweep.experiments(), owner="A")
        assert len(a_jobs) == 20 and len({j.key for j in a_jobs}) == 20
        # both workers take one of A's trainings; the other 18 wait in rnnlab's queue, not in Dask's
        assert sorted(j.release_index for j in a_jobs if j.release_index is not None) == [0, 1]
        assert wait_for(lambda: sum(j.state == "running" for j in a_jobs) == 2, 120)
        b = manager.submit(tiny("linear", epochs=2, train_seed=99), owner="B")
        assert b.release_index is None and manager.queue_position(b) == 0  # first in line, ahead of 18 of A's
        assert b.wait(240) and b.state == "done", b.error
        # B's training went to the next free worker: right after A's first two, before any other of A's
        assert b.release_index == 2
        assert [j.release_index for j in a_jobs if j.release_index is not None and j.release_index < 2]
        assert sum(j.release_index is not None for j in a_jobs) <= 4  # A's sweep moved on only as workers freed
        stats_before = manager.stats()["started"]
        stopped = manager.cancel_batch([j.key for j in a_jobs], "A")
        assert stopped == sum(1 for j in a_jobs if j.state == "cancelled") and stopped >= 14
        assert manager.stats()["started"] == stats_before  # cancelled queued jobs never reached Dask
        assert all(j.finished for j in a_jobs)
    finally:
        manager.close()


class FakeFuture:
    def add_done_callback(self, fn):
        pass

    def cancel(self):
        pass


class FakeClient:
    """Stands in for Dask: two free workers, and a record of what was handed to them."""

    def __init__(self):
        self.submitted = []

    def scheduler_info(self, n_workers=-1):
        return {"workers": {"w1": {}, "w2": {}}}

    def submit(self, fn, *args, key, pure):
        self.submitted.append(key)
        return FakeFuture()


def test_withdrawing_a_request_never_hands_its_queued_jobs_to_a_free_worker(tmp_path, monkeypatch):
    """Regression: cancelling a sweep's queued jobs one by one used to release the next of them to the free
    worker each time, so the whole sweep was started (and stopped) while it was being withdrawn."""
    manager = JobManager(JobSettings(workers=2, calibrate=False), store=RunStore(tmp_path))
    client = FakeClient()
    monkeypatch.setattr(manager, "_ensure_client", lambda: client)
    jobs = [queued(manager, "A", 1.0, age=float(i)) for i in range(6)]
    for job in jobs:
        manager._jobs[job.key] = job
    assert manager.cancel_batch([j.key for j in jobs], "A") == 6
    assert client.submitted == [] and manager.stats()["started"] == 0
    assert all(j.state == "cancelled" for j in jobs) and manager._pending == []
    other = queued(manager, "B", 1.0, age=10.0)
    manager._jobs[other.key] = other
    manager._release()
    assert client.submitted == [f"train-{other.key}"]  # the queue works again afterwards
