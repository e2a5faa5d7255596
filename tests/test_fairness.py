"""A fair share of the cluster: budgets refused before anything starts, a sweep of one person that never starves
another's single training (the job manager on a stand-in for Dask that records what it is handed), and people
taking turns on the real cluster this test process shares (the order itself is tested in test_policy.py)."""

from __future__ import annotations

import pytest

from rnnlab.config import Experiment
from rnnlab.config.limits import JobSettings
from rnnlab.jobs import sweeps
from rnnlab.jobs.job import JobRefused
from rnnlab.jobs.manager import JobManager
from rnnlab.store.runstore import RunStore
from rnnlab.training.task import PROGRESS_TOPIC

from fake_dask import FakeClient
from helpers import tiny


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


def test_a_twenty_job_sweep_does_not_starve_a_single_training(tmp_path):
    client = FakeClient(workers=2)
    manager = JobManager(JobSettings(calibrate=False), store=RunStore(tmp_path), client=client)
    sweep = sweeps.Sweep.make(tiny("linear"), {"epochs": list(range(1, 21))})
    a_jobs = manager.submit_batch(sweep.experiments(), owner="A")
    assert len(a_jobs) == 20 and len({j.key for j in a_jobs}) == 20
    # Both workers take one of A's trainings; the other 18 wait in rnnlab's queue, not in Dask's.
    a_task = {f"train-{j.key}" for j in a_jobs}
    assert len(client.submitted) == 2 and set(client.submitted) <= a_task
    assert sorted(manager.queue_position(j) for j in a_jobs if manager.queue_position(j) is not None) == list(range(18))
    b = manager.submit(tiny("linear", epochs=2, train_seed=99), owner="B")
    assert manager.queue_position(b) == 0 and len(client.submitted) == 2  # first in line, ahead of A's 18
    client.futures[0].finish(error=RuntimeError("A's first training failed"))  # a worker is free
    # B's training goes to that worker: right after A's first two, before any other of A's.
    assert client.submitted[2] == f"train-{b.key}" and manager.queue_position(b) is None
    assert len(client.submitted) == 3 and a_jobs[0].state == "failed"
    client.futures[1].finish(error=RuntimeError("A's second training failed"))
    assert len(client.submitted) == 4 and client.submitted[3] in a_task  # A's sweep moves on as workers free
    assert manager.stats()["started"] == 4
    manager.close()


def test_withdrawing_a_request_never_hands_its_queued_jobs_to_a_free_worker(tmp_path):
    """Regression: cancelling a sweep's queued jobs one by one used to release the next of them to a free worker
    each time, so the whole sweep was started (and stopped) while it was being withdrawn."""
    client = FakeClient(workers=1)
    manager = JobManager(JobSettings(calibrate=False), store=RunStore(tmp_path), client=client)
    busy = manager.submit(tiny("linear", train_seed=1), owner="B")  # B holds the only worker
    jobs = manager.submit_batch([tiny("linear", train_seed=10 + i) for i in range(6)], owner="A")
    assert client.submitted == [f"train-{busy.key}"] and all(manager.queue_position(j) is not None for j in jobs)
    client.workers = 3  # two workers join the cluster: free, until something is released to them
    assert manager.cancel_batch([j.key for j in jobs], "A") == 6
    assert client.submitted == [f"train-{busy.key}"] and manager.stats()["started"] == 1
    assert all(j.state == "cancelled" and manager.queue_position(j) is None for j in jobs)
    other = manager.submit(tiny("linear", train_seed=99), owner="C")
    assert client.submitted == [f"train-{busy.key}", f"train-{other.key}"]  # the queue works again afterwards
    manager.close()


def test_on_a_real_cluster_people_take_turns_whatever_their_trainings_cost(shared_cluster, tmp_path):
    """One cheap stream (A's sweep), one dearer single request (B) and one set of repeats (C) on the one worker of
    the shared cluster (one shape of model, compiled once): the order the worker started them in, from its own
    "started" events."""
    manager = JobManager(JobSettings(calibrate=False), store=RunStore(tmp_path), client=shared_cluster)
    jobs = []
    try:
        sweep = [tiny("linear", train_seed=7100 + i) for i in range(2)]
        single = tiny("linear", epochs=2, train_seed=7100)
        repeats = [tiny("linear", train_seed=7200 + i) for i in range(2)]
        assert manager.estimate(single).total > manager.estimate(sweep[0]).total  # "then the cheapest" put B last
        jobs += manager.submit_batch(sweep, owner="A")  # A's first takes the worker at once
        jobs.append(manager.submit(single, owner="B"))
        assert manager.stats()["started"] == 1 and manager.queue_position(jobs[-1]) == 0
        jobs += manager.submit_batch(repeats, owner="C")
        assert [manager.queue_position(j) for j in jobs] == [None, 2, 0, 1, 3]
        assert all(j.wait(120) for j in jobs) and all(j.state == "done" for j in jobs), [j.error for j in jobs]
    finally:  # the shared worker is left idle, whatever happened
        for job in jobs:
            for owner in list(job.owners):
                manager.cancel(job.key, owner)
        shared_cluster.unsubscribe_topic(PROGRESS_TOPIC)
        manager.close()
    who = {j.key: person for j, person in zip(jobs, "AABCC")}
    started = [msg["key"] for _, msg in shared_cluster.get_events(PROGRESS_TOPIC)
               if msg.get("kind") == "started" and msg.get("key") in who]
    # B's training right after the one running when B asked; then C and A in turn, one start each.
    assert [who[key] for key in started] == ["A", "B", "C", "A", "C"]
    assert manager.stats()["started"] == 5
