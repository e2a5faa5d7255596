"""The fair queue and the limits (rnnlab.jobs.policy) on their own: plain Python, no Dask, no cluster."""

from __future__ import annotations

import random
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


def test_people_take_turns_the_least_recently_served_first_each_with_their_cheapest_job():
    queue = queue_of(job("a"))
    queue.take()  # a has been served once
    a_cheap = job("a", 1.0, age=1.0)
    b_dear = job("b", 50.0, age=3.0)
    b_cheap = job("b", 5.0, age=4.0)
    c_cheap_new = job("c", 0.5, age=5.0)
    calibration = job("calibration", 0.5, age=0.0, background=True)
    for queued in (a_cheap, b_dear, b_cheap, c_cheap_new, calibration):
        queue.add(queued)
    # b and c were never served: b first (waiting since its dear job came, before c's) with b's cheapest job,
    # although c's is cheaper; then c; then a (served before b and c were) and b again; the background calibration
    # only when nobody else waits.
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


def test_a_job_asked_for_by_several_people_goes_on_the_turn_of_the_least_recently_served_and_counts_for_each():
    queue = queue_of(job("a"), job("b"))
    queue.take(), queue.take()  # a served, then b
    shared = job("a", 9.0, age=2.0)
    shared.owners.add("c")  # c joined it and was never served
    alone = job("b", 1.0, age=1.0)
    a_more = job("a", 0.1, age=0.5)
    for queued in (alone, shared, a_more):
        queue.add(queued)
    # c's turn takes the shared job, and it is a's turn too: b goes before a's cheaper and older job.
    assert drain_order(queue) == [shared, alone, a_more]


def test_background_jobs_go_last_whatever_their_cost_and_age():
    background = job("calibration", 0.1, age=0.0, background=True)
    people = [job("x", 100.0, age=5.0), job("y", None, age=6.0)]
    # x has waited longer than y: its dear job goes first, whatever y's costs.
    assert drain_order(queue_of(background, *people)) == [people[0], people[1], background]


def test_ties_keep_the_order_jobs_came_in():
    same = [job("z", 2.0, age=1.0) for _ in range(3)]
    assert drain_order(queue_of(*same)) == same


class OldRule(FairQueue):
    """The order before the queue was fair over time: the person with the fewest jobs running, then the cheapest
    estimate, then the oldest (kept here to show what the scenarios below catch)."""

    def _rank(self, job: Job) -> tuple:
        running = min(sum(o in j.owners for j in self.released) for o in job.owners)
        return job.background, running, job.estimate.total if job.estimate else 0.0, job.submitted_at

    def next(self) -> Job | None:
        return min(self.pending, key=self._rank, default=None)

    def position(self, job: Job) -> int | None:
        return sorted(self.pending, key=self._rank).index(job) if job in self.pending else None


def replay(queue: FairQueue, arrivals: list[tuple[float, list[Job]]], workers: int) -> tuple[list[Job], dict[int, int]]:
    """Run ``queue`` in simulated time: ``arrivals`` are (time, jobs of one request); each job holds one of
    ``workers`` for its estimate; workers free one at a time (the earliest to finish first), and each free worker
    takes the next job. Returns the jobs in the order they started, and for each job (by id) how many had started
    when it was asked for."""
    arrivals = sorted(arrivals, key=lambda a: a[0])
    running: list[tuple[float, int, Job]] = []  # (finishes at, start number, job)
    starts: list[Job] = []
    asked: dict[int, int] = {}
    now = 0.0
    while arrivals or running or queue.pending:
        if arrivals and (not running or arrivals[0][0] <= min(running)[0]):
            now, request = arrivals.pop(0)
            for queued in request:
                asked[id(queued)] = len(starts)
                queue.add(queued)
        else:
            running.sort(key=lambda r: (r[0], r[1]))
            now, _, done = running.pop(0)
            done.finish("done")
            queue.forget_finished()
        while queue.pending and len(running) < workers:
            assert queue.position(queue.next()) == 0
            started = queue.take()
            running.append((now + started.estimate.total, len(starts), started))
            starts.append(started)
    return starts, asked


def class_scenario(queue: FairQueue) -> list[str]:
    """The held-out scenario of two workers: A's sweep of 30 small GRUs (1 s each), then B presses Train once (an
    LSTM of similar size, 1.3 s), then C asks for 5 repeats of a small deep RNN (0.8 s). Returns who got each
    start from the moment B asked."""
    a = [job("A", 1.0, age=0.0) for _ in range(30)]
    b = [job("B", 1.3, age=0.1)]
    c = [job("C", 0.8, age=0.2) for _ in range(5)]
    starts, asked = replay(queue, [(0.0, a), (0.1, b), (0.2, c)], workers=2)
    assert len(starts) == 36 and asked[id(b[0])] == 2  # A's first two hold both workers when B asks
    return ["".join(sorted(j.owners)) for j in starts[asked[id(b[0])]:]]


def test_a_single_expensive_request_starts_next_and_repeats_interleave_with_a_sweep():
    after_b_asked = class_scenario(FairQueue(JobSettings()))
    # B's training is the first to start after B asked (at most one start per other waiting person is allowed);
    # C's repeats take turns with A's sweep, one each, and A has the workers to itself once C's are done.
    assert after_b_asked.index("B") == 0
    assert after_b_asked[:11] == ["B"] + ["C", "A"] * 5
    assert after_b_asked[11:] == ["A"] * 23


def test_the_old_rule_let_the_expensive_request_wait_behind_every_cheaper_one():
    after_b_asked = class_scenario(OldRule(JobSettings()))
    # "fewest running, then cheapest": each free worker went to A's or C's cheaper training, and B's started 11th,
    # only once C had nothing left and A had one running (the measurement on two workers).
    assert after_b_asked[:11] == ["C", "A"] * 5 + ["B"]
    assert after_b_asked.index("B") == 10


def turns_broken(starts: list[Job], asked: dict[int, int]) -> list[str]:
    """Where a job's owner waited behind more than one start of another person: from the moment each job was
    asked for until its owner's next start (of that job or another of theirs)."""
    broken = []
    for waiting in starts:
        (owner,) = waiting.owners
        ahead: dict[str, int] = {}
        for started in starts[asked[id(waiting)]:]:
            if owner in started.owners:
                break
            for other in started.owners:
                ahead[other] = ahead.get(other, 0) + 1
        broken += [f"{owner} waited behind {n} starts of {other}" for other, n in ahead.items() if n > 1]
    return broken


def random_class(seed: int) -> tuple[list[tuple[float, list[Job]]], int]:
    """Random requests of a few people (single trainings, sweeps, repeats; cheap and dear) over a minute, and a
    number of workers."""
    rng = random.Random(seed)
    arrivals = []
    for person in "PQRST"[: rng.randint(2, 5)]:
        for _ in range(rng.randint(1, 3)):
            at, size, cost = rng.uniform(0, 60), rng.choice([1, 1, 3, 8]), rng.choice([0.2, 1.0, 5.0, 30.0])
            arrivals.append((at, [job(person, cost * rng.uniform(0.8, 1.2), age=at) for _ in range(size)]))
    return arrivals, rng.randint(1, 3)


def test_nobody_waits_behind_more_than_one_start_of_each_other_person_whatever_the_costs():
    for seed in range(40):
        arrivals, workers = random_class(seed)
        starts, asked = replay(FairQueue(JobSettings()), arrivals, workers)
        assert len(starts) == sum(len(request) for _, request in arrivals)
        assert turns_broken(starts, asked) == [], f"seed {seed}"
    # the same classes under the old rule: the check above can fail
    old = [seed for seed in range(40) if turns_broken(*replay(OldRule(JobSettings()), *random_class(seed)))]
    assert len(old) > 5


def test_people_who_left_are_forgotten_without_changing_the_order():
    queue = queue_of(*(job(p, age=i) for i, p in enumerate("abc")))
    first = [queue.take() for _ in range(3)]  # a, b, c served in that order
    for done in first[:2]:
        done.finish("done")
    queue.forget_finished()
    assert set(queue._served) == {"c"}  # a and b have nothing left and were served before c
    back = job("a", age=10.0)
    waiting = job("c", age=5.0)
    queue.add(waiting)
    queue.add(back)
    assert drain_order(queue) == [back, waiting]  # a returns as served long ago: before c, served since
    queue.forget_finished()  # everything taken is still with the workers: nobody is forgotten
    assert set(queue._served) == {"a", "c"}


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
