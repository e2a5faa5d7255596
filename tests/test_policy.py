"""The fair queue and the limits (rnnlab.jobs.policy) on their own: plain Python, no Dask, no cluster."""

from __future__ import annotations

import subprocess
import sys

import pytest

from rnnlab.config.limits import JobSettings
from rnnlab.jobs.costs import Estimate
from rnnlab.jobs.job import Job, JobRefused
from rnnlab.jobs.policy import FairQueue

from helpers import ROOT, tiny

SEED = iter(range(1, 10_000))


def job(owner: str, cost: float | None = 1.0, *, age: float = 0.0, background: bool = False,
        request: str | None = None) -> Job:
    """A job of ``owner`` (a distinct experiment each time) that was submitted at ``age`` and should take ``cost``
    seconds (None: no estimate, as for a stored result)."""
    made = Job(tiny("linear", train_seed=next(SEED)), owner)
    made.estimate = None if cost is None else Estimate(cost, cost, cost, True)
    made.submitted_at, made.background = age, background
    if request:
        made.requests[owner] = request
    return made


def queue_of(*jobs: Job, settings: JobSettings | None = None) -> FairQueue:
    queue = FairQueue(settings or JobSettings())
    for queued in jobs:
        queue.add(queued)
    return queue


def drain_order(queue: FairQueue) -> list[Job]:
    """The order the queue hands its jobs to the workers, each one asked for its position first."""
    order = []
    while queue.pending:
        nxt = queue.next()
        assert queue.position(nxt) == 0
        order.append(queue.take())
    return order


def test_the_queue_serves_whoever_has_least_running_then_the_cheapest_then_the_oldest():
    queue = FairQueue(JobSettings())
    queue.released.append(job("a"))  # a already has a training on a worker
    a_cheap = job("a", 1.0, age=1.0)
    b_dear = job("b", 50.0, age=3.0)
    b_cheap = job("b", 5.0, age=4.0)
    c_cheap_new = job("c", 5.0, age=5.0)
    calibration = job("calibration", 0.5, age=0.0, background=True)
    for queued in (a_cheap, b_dear, b_cheap, c_cheap_new, calibration):
        queue.add(queued)
    # b and c have nothing running: b's cheaper one first, then c's (same cost, newer), then a and b tie at one
    # running each and a's cheaper job goes; the background calibration only when nobody else waits.
    assert drain_order(queue) == [b_cheap, c_cheap_new, a_cheap, b_dear, calibration]


def test_positions_count_the_jobs_ahead_in_fair_order():
    sweep = [job("A", 1.0, age=float(i)) for i in range(5)]
    queue = queue_of(*sweep)
    assert [queue.take(), queue.take()] == sweep[:2]  # A's two oldest hold both workers
    single = job("B", 30.0, age=10.0)
    queue.add(single)
    assert queue.position(single) == 0  # nothing running: ahead of A's cheaper, older jobs
    assert [queue.position(j) for j in sweep] == [None, None, 1, 2, 3]
    assert queue.position(job("C")) is None  # not in the queue
    assert queue.next() is single


def test_a_job_asked_for_by_several_people_ranks_by_the_least_busy_of_them():
    queue = FairQueue(JobSettings())
    queue.released += [job("a"), job("b")]
    shared = job("a", 9.0, age=2.0)
    shared.owners.add("c")  # c joined it and has nothing running
    alone = job("b", 1.0, age=1.0)
    queue.add(alone)
    queue.add(shared)
    assert queue.next() is shared


def test_background_jobs_go_last_whatever_their_cost_and_age():
    background = job("calibration", 0.1, age=0.0, background=True)
    people = [job("x", 100.0, age=5.0), job("y", None, age=6.0)]
    assert drain_order(queue_of(background, *people)) == [people[1], people[0], background]


def test_ties_keep_the_order_jobs_came_in():
    same = [job("z", 2.0, age=1.0) for _ in range(3)]
    assert drain_order(queue_of(*same)) == same


def test_withdraw_drain_and_forget_finished():
    first, second = job("a"), job("b")
    queue = queue_of(first, second)
    assert queue.withdraw(first) and not queue.withdraw(first)
    taken = queue.take()
    assert taken is second and queue.released == [second] and queue.next() is None
    with pytest.raises(IndexError):
        queue.take()
    second.finish("done")
    assert queue.active() == []
    queue.forget_finished()
    assert queue.released == []
    queue.add(first)
    assert queue.drain() == [first] and queue.pending == []


def test_a_training_over_the_budget_is_refused_with_its_estimate():
    queue = FairQueue(JobSettings(max_job_seconds=600))
    dear = Estimate(30.0, 35.0, 1800.0, True)
    expected = ("this training would take about 30 min on this instance (30 s per epoch): at most 10 min per training "
                "(RNNLAB_MAX_JOB_SECONDS). Try fewer series, epochs or units, or a shorter input")
    assert queue.budget_problem([Estimate(1.0, 2.0, 10.0, True), dear]) == expected
    with pytest.raises(JobRefused) as info:
        queue.check("student", [dear])
    assert str(info.value) == expected
    assert queue.budget_problem([Estimate(1.0, 2.0, 600.0, True)]) is None  # at the limit is allowed


def test_a_request_of_too_many_trainings_is_refused():
    queue = FairQueue(JobSettings(sweep_jobs=4))
    small = [Estimate(0.1, 0.1, 1.0, True)] * 5
    expected = ("5 trainings in one request: at most 4 (RNNLAB_MAX_SWEEP_JOBS); try fewer values or repeats, or a "
                "random sample of the grid")
    assert queue.budget_problem(small) == expected
    assert queue.budget_problem(small[:1], size=6) == expected.replace("5 trainings", "6 trainings")
    assert queue.budget_problem(small[:4]) is None
    with pytest.raises(JobRefused, match=r"5 trainings in one request"):
        queue.check("a", small)


def test_one_person_may_have_so_many_requests_and_a_batch_counts_once():
    queue = FairQueue(JobSettings(jobs_per_owner=2))
    queue.add(job("a", request="batch-1"))
    queue.add(job("a", request="batch-1"))
    queue.check("a", [Estimate(1.0, 1.0, 1.0, True)])  # one request so far: a second is allowed
    queue.add(job("a"))
    with pytest.raises(JobRefused) as info:
        queue.check("a", [Estimate(1.0, 1.0, 1.0, True)])
    assert str(info.value) == ("you already have 2 training(s) queued or running (at most 2 per person): wait for one "
                               "to finish or cancel it")
    queue.check("b", [Estimate(1.0, 1.0, 1.0, True)])  # others are not held back
    for queued in queue.pending:
        queued.finish("cancelled")
    queue.check("a", [Estimate(1.0, 1.0, 1.0, True)])  # finished jobs do not count


def test_one_person_may_have_so_many_estimated_seconds_queued_or_running():
    queue = FairQueue(JobSettings(owner_seconds=60, jobs_per_owner=10))
    queue.add(job("a", 40.0))
    queue.released.append(job("a", None))  # no estimate: counts as nothing
    with pytest.raises(JobRefused) as info:
        queue.check("a", [Estimate(1.0, 1.0, 15.0, True), Estimate(1.0, 1.0, 10.0, True)])
    assert str(info.value) == ("these 2 training(s) would take 25 s on this instance, and you already have 40 s queued "
                               "or running: at most 1.0 min per person (RNNLAB_MAX_OWNER_SECONDS); try fewer values, "
                               "repeats or epochs")
    queue.check("a", [Estimate(1.0, 1.0, 20.0, True)])  # exactly at the limit is allowed


def test_the_queue_has_a_length():
    queue = queue_of(job("a"), job("b"), settings=JobSettings(queue_length=3, jobs_per_owner=5))
    queue.check("c", [Estimate(1.0, 1.0, 1.0, True)])
    with pytest.raises(JobRefused) as info:
        queue.check("c", [Estimate(1.0, 1.0, 1.0, True)] * 2)
    assert str(info.value) == "the training queue is full (2 jobs, at most 3); please try again in a minute"


def test_the_policy_imports_no_dask():
    code = "import sys, rnnlab.jobs.policy; assert not {'dask', 'distributed'} & set(sys.modules), 'Dask imported'"
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr[-2000:]
