"""Who trains next, and which requests are refused: the fair queue and the limits, in plain Python (no Dask).

The Dask adapter (:mod:`rnnlab.jobs.dispatch`) keeps one :class:`FairQueue`. It :meth:`~FairQueue.check`\\ s every
new request against the operator's limits (:class:`~rnnlab.config.limits.JobSettings`), :meth:`~FairQueue.add`\\ s
the jobs it accepts, and whenever a worker is free :meth:`~FairQueue.take`\\ s the next one in fair order and hands
it to Dask, which runs exactly what it is given.
"""

from __future__ import annotations

from typing import Iterator

from rnnlab.config.limits import JobSettings
from rnnlab.jobs.costs import Estimate, seconds_text
from rnnlab.jobs.job import Job, JobRefused


def _give_turns(job: Job, served: dict[str, int], turns: int) -> int:
    """Count ``job`` being taken as a turn for each person who asked for it (in ``served``: person -> the turn they
    were last served at), after the ``turns`` given so far; returns the turns given now. No two people share a
    turn, so the least recently served is always one person."""
    for owner in sorted(job.owners):
        turns += 1
        served[owner] = turns
    return turns


class FairQueue:
    """The jobs waiting for a worker and those handed to the workers, and the rules between them.

    The order is fair over time: the people with a job waiting take turns, one start each. The next start goes to
    the person served least recently (those not served yet first, the one waiting longest before the others), and
    of their jobs the cheapest, the oldest among equals. So between two starts of anyone waiting, each other person
    gets at most one, whatever the jobs cost: someone pressing Train once waits behind at most one start of each
    other person waiting, and a sweep interleaves with others' repeats. A job several people asked for goes on the
    turn of the least recently served of them, and counts as a turn for each. Background jobs (the calibration)
    go only when nobody else's job waits.

    Args:
        settings: the limits :meth:`check` applies (``settings`` may be replaced at any time).
    """

    def __init__(self, settings: JobSettings) -> None:
        self.settings = settings
        #: Jobs waiting for a worker, in the order they came (:meth:`next` picks the fair one).
        self.pending: list[Job] = []
        #: Jobs handed to the workers; a finished one stays until :meth:`forget_finished`.
        self.released: list[Job] = []
        #: Turns given so far, and the turn each person was last served at (a job of theirs taken).
        self._turns = 0
        self._served: dict[str, int] = {}

    # -- the order -------------------------------------------------------------------------------------------
    def _fair_order(self) -> Iterator[Job]:
        """The queued jobs in the order :meth:`take` would hand them out if nothing else changed."""
        for background in (False, True):
            yield from self._in_turn([j for j in self.pending if j.background == background])

    def _in_turn(self, jobs: list[Job]) -> Iterator[Job]:
        """``jobs`` in turn between the people who asked for them (see the class docstring), without taking any."""
        own: dict[str, list[Job]] = {}  # each person's jobs, cheapest first, then the oldest (the sort is stable)
        for job in sorted(jobs, key=lambda j: (j.estimate.work if j.estimate else 0.0, j.submitted_at)):
            for owner in job.owners:
                own.setdefault(owner, []).append(job)
        since = {owner: min(j.submitted_at for j in mine) for owner, mine in own.items()}
        served, turns = dict(self._served), self._turns
        while own:
            person = min(own, key=lambda o: (served.get(o, -1), since[o]))
            job = own[person][0]
            turns = _give_turns(job, served, turns)
            for owner in job.owners:
                if owner in own:
                    own[owner].remove(job)
                    if not own[owner]:
                        del own[owner]
            yield job

    def next(self) -> Job | None:
        """The queued job to run next, in fair order (see the class docstring); None when nothing waits."""
        return next(self._fair_order(), None)

    def position(self, job: Job) -> int | None:
        """How many queued jobs would run before ``job`` (None when it is not waiting in the queue)."""
        if job not in self.pending:
            return None
        return list(self._fair_order()).index(job)

    # -- moving jobs -----------------------------------------------------------------------------------------
    def add(self, job: Job) -> None:
        """Queue ``job``."""
        self.pending.append(job)

    def withdraw(self, job: Job) -> bool:
        """Take ``job`` out of the queue; False when it was not waiting there."""
        if job not in self.pending:
            return False
        self.pending.remove(job)
        return True

    def take(self) -> Job:
        """Move the next job (see :meth:`next`) from the queue to the workers' and return it; it counts as a turn
        for each person who asked for it."""
        job = self.next()
        if job is None:
            raise IndexError("no job is waiting")
        self.pending.remove(job)
        self.released.append(job)
        self._turns = _give_turns(job, self._served, self._turns)
        return job

    def drain(self) -> list[Job]:
        """Take every job out of the queue and return them (the cluster cannot take any)."""
        drained, self.pending = self.pending, []
        return drained

    def forget_finished(self) -> None:
        """Stop counting the finished jobs as the workers' (their workers are free), and forget when the people
        with nothing queued or running were served, if before anyone who has (it would not change the order)."""
        self.released = [j for j in self.released if not j.finished]
        active = {o for j in self.pending + self.released for o in j.owners}
        oldest = min((self._served[o] for o in active if o in self._served), default=self._turns + 1)
        self._served = {o: turn for o, turn in self._served.items() if o in active or turn > oldest}

    def active(self) -> list[Job]:
        """Every job queued or with the workers and not finished."""
        return [j for j in self.pending + self.released if not j.finished]

    # -- the limits ------------------------------------------------------------------------------------------
    def budget_problem(self, estimates: list[Estimate], size: int | None = None) -> str | None:
        """:func:`budget_problem` under this queue's settings."""
        return budget_problem(self.settings, estimates, size)

    def check(self, owner: str, estimates: list[Estimate], size: int | None = None) -> None:
        """Refuse a new request of ``owner`` (the new trainings' ``estimates``, ``size`` trainings in all) that
        breaks a limit.

        Raises:
            JobRefused: with the estimate and the limit in the message, fit to show as is.
        """
        settings = self.settings
        problem = self.budget_problem(estimates, size)
        if problem:
            raise JobRefused(problem)
        active = self.active()
        mine = [j for j in active if owner in j.owners]
        requests = {j.requests.get(owner, j.key) for j in mine}
        if len(requests) >= settings.jobs_per_owner:
            raise JobRefused(
                f"you already have {len(requests)} training(s) queued or running (at most "
                f"{settings.jobs_per_owner} per person): wait for one to finish or cancel it")
        queued = sum(j.estimate.total for j in mine if j.estimate is not None)
        asked = sum(e.total for e in estimates)
        if queued + asked > settings.owner_seconds:
            raise JobRefused(
                f"these {len(estimates)} training(s) would take {seconds_text(asked)} on this instance, and you "
                f"already have {seconds_text(queued)} queued or running: at most {seconds_text(settings.owner_seconds)} "
                "per person (RNNLAB_MAX_OWNER_SECONDS); try fewer values, repeats or epochs")
        if len(active) + len(estimates) > settings.queue_length:
            raise JobRefused(
                f"the training queue is full ({len(active)} jobs, at most {settings.queue_length}); "
                "please try again in a minute")


def budget_problem(settings: JobSettings, estimates: list[Estimate], size: int | None = None) -> str | None:
    """Why a request of trainings with these estimates would be refused whoever asks (a training above the
    per-training budget, a sweep too large), or None: the pages say it before anyone presses a button, and the
    command line applies it to what it trains in its own process. ``size`` is the request's number of trainings
    (default: one per estimate)."""
    if estimates:
        worst = max(estimates, key=lambda e: e.total)
        if worst.total > settings.max_job_seconds:
            return (f"this training would take {worst.text()} on this instance ({seconds_text(worst.per_epoch)} "
                    f"per epoch): at most {seconds_text(settings.max_job_seconds)} per training "
                    "(RNNLAB_MAX_JOB_SECONDS). Try fewer series, epochs or units, or a shorter input")
    size = len(estimates) if size is None else size
    if size > settings.sweep_jobs:
        return (f"{size} trainings in one request: at most {settings.sweep_jobs} (RNNLAB_MAX_SWEEP_JOBS); "
                "try fewer values or repeats, or a random sample of the grid")
    return None
