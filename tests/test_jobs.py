"""rnnlab.jobs.manager on a real LocalCluster: dedup, parallelism, cancel, dead workers, errors, limits, stats."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest

from rnnlab.config.limits import JobSettings
from rnnlab.jobs.job import JobRefused
from rnnlab.jobs.manager import WORKER_DIED, JobManager
from rnnlab.store.runstore import RunStore

from helpers import tiny, wait_for


@pytest.fixture(scope="module")
def manager(tmp_path_factory):
    store = RunStore(tmp_path_factory.mktemp("jobs-home"))
    mgr = JobManager(JobSettings(workers=2, job_timeout=120, jobs_per_owner=10, queue_length=20), store=store)
    yield mgr
    mgr.close()


def slow(seed: int, epochs: int = 30):
    """A training that takes several seconds, distinct per seed."""
    # 700 / 200 / 100 windows in whole batches of 50: one compilation per worker for every seed
    return tiny("gru", "seq2seq", 3, n_series=1000, n_steps=40, epochs=epochs, train_seed=seed, batch_size=50)


def test_eight_threads_same_experiment_one_training(manager):
    exp = tiny("deep_rnn_dense", epochs=3, train_seed=101)
    before = manager.stats()
    barrier = threading.Barrier(8)
    jobs = [None] * 8

    def ask(i):
        barrier.wait()
        jobs[i] = manager.submit(exp, owner=f"student-{i}")

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({id(j) for j in jobs}) == 1
    assert jobs[0].wait(120) and jobs[0].state == "done", jobs[0].error
    after = manager.stats()
    assert after["started"] - before["started"] == 1
    assert after["joins"] - before["joins"] == 7
    assert after["completed"] - before["completed"] == 1
    results = [j.result() for j in jobs]
    assert len({r.val_mse for r in results}) == 1 and all(r.key == exp.key() for r in results)
    assert manager.store.get(exp.key()).val_mse == results[0].val_mse
    assert len(jobs[0].progress()["history"]) == 3
    # Asked again later: answered from memory/store, no new training.
    again = manager.submit(exp, owner="late")
    assert again.state == "done" and manager.stats()["started"] == after["started"]


def test_stored_result_does_not_touch_dask(tmp_path):
    from rnnlab.training import fit as training

    exp = tiny("naive")
    store = RunStore(tmp_path)
    store.put(training.run(exp))
    fresh = JobManager(JobSettings(workers=1), store=store)
    job = fresh.submit(exp, owner="x")
    assert job.state == "done" and job.from_store and job.result().key == exp.key()
    assert not fresh.started and fresh.stats()["store_hits"] == 1 and fresh.stats()["started"] == 0
    fresh.close()


def test_different_experiments_run_side_by_side_up_to_the_workers(manager):
    before = manager.stats()["started"]
    jobs = [manager.submit(slow(200 + i, epochs=2), owner=f"p{i}") for i in range(3)]
    # Two at once, never three: the first two go to the two workers as they are submitted, and the third waits
    # in rnnlab's queue (not Dask's) until one of them has finished.
    assert manager.stats()["started"] - before == 2
    assert [manager.queue_position(j) for j in jobs] == [None, None, 0]
    assert all(j.wait(180) for j in jobs)
    assert all(j.state == "done" for j in jobs), [j.error for j in jobs]
    assert manager.stats()["started"] - before == 3
    assert jobs[0].worker != jobs[1].worker  # side by side: each on a worker of its own
    assert manager.cluster_info()["workers"] == 2


def test_progress_is_live(manager):
    job = manager.submit(slow(300, epochs=8), owner="watcher")  # eight epochs: at least four seen, polled 20 a second
    seen = set()
    while not job.finished:
        snap = job.progress()
        seen.add(snap["epoch"])
        if snap["epoch"]:
            assert snap["state"] == "running" and snap["eta"] is not None and snap["elapsed"] > 0
            assert [h["epoch"] for h in snap["history"]] == list(range(1, snap["epoch"] + 1))
        time.sleep(0.05)
    assert job.state == "done" and len(seen) >= 4  # several intermediate epochs were observed
    assert job.progress()["fraction"] == 1.0


def test_cancel_stops_a_running_job(manager):
    job = manager.submit(slow(400, epochs=200), owner="impatient")
    assert wait_for(lambda: job.progress()["epoch"] >= 1, 120)
    assert manager.cancel(job.key, "impatient")
    epochs_at_cancel = job.progress()["epoch"]
    assert job.state == "cancelled"
    # The worker stops at its next batch: its task ends (the manager has collected it and let go of its future)
    # without a result. A training that ran on to its 200th epoch would either not end in time or be stored.
    assert wait_for(lambda: job.future is None, 60)
    assert manager.store.get(job.key) is None
    assert job.progress()["epoch"] == epochs_at_cancel  # the epochs still reported by the worker are not shown
    assert manager.cancel(job.key, "impatient") is False  # nothing left to withdraw


def test_a_training_cancelled_through_one_manager_trains_when_another_asks_for_it(shared_cluster, tmp_path):
    """A scheduler outlives the job managers that use it (a real cluster, a server restarted, the command line's
    --scheduler): the signal that cancelled a training must not stop the next training of the same experiment,
    handed over by another manager under the same Dask key. (It did, at its first batch: the signal was named
    after the task's key.)"""
    address = shared_cluster.scheduler_info()["address"]
    settings = JobSettings(scheduler=address, job_timeout=120, jobs_per_owner=10, queue_length=20)
    exp = slow(450, epochs=200)
    first = JobManager(settings, store=RunStore(tmp_path / "first"))
    try:
        job = first.submit(exp, owner="a")
        assert wait_for(lambda: job.progress()["epoch"] >= 1, 120)
        assert first.cancel(job.key, "a") and wait_for(lambda: job.future is None, 60)
    finally:
        first.close()
    second = JobManager(settings, store=RunStore(tmp_path / "second"))  # the server, restarted
    try:
        again = second.submit(exp, owner="b")
        assert wait_for(lambda: again.finished or again.progress()["epoch"] >= 3, 120)
        assert again.state == "running" and again.task_key == job.task_key, again.error
        assert second.cancel(again.key, "b") and wait_for(lambda: again.future is None, 60)
    finally:
        second.close()
    assert wait_for(lambda: not any(shared_cluster.processing().values()), 60)


def test_cancel_by_one_owner_keeps_the_job_for_the_others(manager):
    exp = slow(500, epochs=3)
    job = manager.submit(exp, owner="a")
    assert manager.submit(exp, owner="b") is job and job.askers == 2
    assert manager.cancel(job.key, "someone who only looked") is False and job.askers == 2
    assert manager.cancel(job.key, "a") is False and not job.asked_by("a") and job.askers == 1
    assert job.wait(120) and job.state == "done"


def test_exception_in_training_yields_its_message(manager):
    exp = tiny("deep_rnn_dense", optimizer="sgd", learning_rate=1.0, epochs=3, units=32, wave1_amplitude=10)
    job = manager.submit(exp, owner="reckless")
    assert job.wait(120) and job.state == "failed"
    assert "smaller learning rate" in job.error
    assert manager.store.get(exp.key()) is None


def test_time_limit_stops_a_job(manager):
    manager.settings, saved = JobSettings(workers=2, job_timeout=3, jobs_per_owner=10, queue_length=20), manager.settings
    try:
        job = manager.submit(slow(600, epochs=200), owner="slowpoke")
        assert job.wait(60) and job.state == "failed"
        assert "past the limit of 3 s" in job.error
    finally:
        manager.settings = saved


def test_limits_refuse_with_a_clear_message(manager):
    saved = manager.settings
    try:
        manager.settings = JobSettings(workers=2, job_timeout=120, jobs_per_owner=1, queue_length=20)
        first = manager.submit(slow(700, epochs=200), owner="greedy")
        with pytest.raises(JobRefused, match=r"already have 1 training\(s\) queued or running \(at most 1 per person\)"):
            manager.submit(slow(701, epochs=200), owner="greedy")
        assert manager.submit(slow(700, epochs=200), owner="friend") is first  # joining is always allowed
        manager.settings = JobSettings(workers=2, job_timeout=120, jobs_per_owner=5, queue_length=1)
        with pytest.raises(JobRefused, match=r"queue is full \(1 jobs, at most 1\)"):
            manager.submit(slow(702, epochs=200), owner="other")
    finally:
        manager.settings = saved
        for owner in ("greedy", "friend"):
            manager.cancel(first.key, owner)
    assert first.state == "cancelled"


def test_killed_worker_fails_the_job_and_a_resubmit_works(manager):
    exp = slow(800, epochs=6)  # killed just after its first epoch, then trained to the end
    job = manager.submit(exp, owner="victim")
    assert wait_for(lambda: job.worker_pid is not None and job.progress()["epoch"] >= 1, 120)
    other = manager.submit(slow(801, epochs=3), owner="bystander")
    os.kill(job.worker_pid, signal.SIGKILL)
    assert job.wait(120), "the job was never marked failed"
    assert job.state == "failed" and job.error == WORKER_DIED and manager.store.get(exp.key()) is None
    assert other.wait(180) and other.state == "done", other.error  # the others carry on
    assert wait_for(lambda: manager.cluster_info()["workers"] == 2, 120)  # the nanny restarts the worker
    again = manager.submit(exp, owner="victim")  # the very experiment that died can be submitted again...
    assert again is not job and again.task_key != job.task_key
    assert again.wait(240) and again.state == "done", again.error  # ...and trains to the end this time
    assert manager.store.get(exp.key()).val_mse == again.result().val_mse


def test_a_worker_releases_its_trainings_memory_every_tenth_training(monkeypatch):
    """Every training leaves its compiled programs in JAX's in-memory caches (an hour's soak: a worker 1.1 GB
    larger after 800 small trainings); a worker releases them after every :data:`task.RELEASE_EVERY` trainings,
    whatever their outcome (``train_task`` counts each in its ``finally``)."""
    from rnnlab.training import backend, task

    released = []
    monkeypatch.setattr(task, "_finished_since_release", 0)
    monkeypatch.setattr(backend, "release_memory", lambda: released.append(True) or True)
    done = [task.after_training() for _ in range(25)]
    assert [i for i, d in enumerate(done, 1) if d] == [10, 20] and len(released) == 2
    assert task.RELEASE_EVERY == 10


def test_releasing_memory_empties_jaxs_caches_and_the_next_training_still_trains():
    from rnnlab.training import backend, fit

    assert backend.release_memory() is (backend.backend_name() == "jax")
    result = fit.run(tiny("linear"), save_model=False)  # the programs come back from the cache on disk
    assert len(result.history) == 1 and result.val_mse > 0


def test_settings_from_environment():
    s = JobSettings.from_env({"RNNLAB_WORKERS": "3", "RNNLAB_JOB_TIMEOUT": "60", "RNNLAB_JOBS_PER_OWNER": "4",
                              "RNNLAB_QUEUE_LENGTH": "9", "RNNLAB_SCHEDULER": "tcp://scheduler:8786"})
    assert (s.workers, s.job_timeout, s.jobs_per_owner, s.queue_length) == (3, 60.0, 4, 9)
    assert s.scheduler == "tcp://scheduler:8786"
    for env, message in [
        ({"RNNLAB_WORKERS": "0"}, "RNNLAB_WORKERS='0' must be a whole number of at least 1"),
        ({"RNNLAB_JOB_TIMEOUT": "forever"}, "RNNLAB_JOB_TIMEOUT='forever' must be a number of seconds"),
        ({"RNNLAB_SCHEDULER": "localhost"}, "must be a Dask address such as tcp://host:8786"),
    ]:
        with pytest.raises(ValueError, match=message):
            JobSettings.from_env(env)
