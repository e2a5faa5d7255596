"""Who trains next, and which requests are refused: the fair queue and the limits, in plain Python (no Dask).

The Dask adapter (:mod:`rnnlab.jobs.manager`) keeps one :class:`FairQueue`. It :meth:`~FairQueue.check`\\ s every
new request against the operator's limits (:class:`~rnnlab.config.limits.JobSettings`), :meth:`~FairQueue.add`\\ s
the jobs it accepts, and whenever a worker is free :meth:`~FairQueue.take`\\ s the next one in fair order and hands
it to Dask, which runs exactly what it is given.
"""

from __future__ import annotations

from rnnlab.config.limits import JobSettings
from rnnlab.jobs.costs import Estimate, seconds_text
from rnnlab.jobs.job import Job, JobRefused


class FairQueue:
    """The jobs waiting for a worker and those handed to the workers, and the rules between them.

    Args:
        settings: the limits :meth:`check` applies (``settings`` may be replaced at any time).
    """

    def __init__(self, settings: JobSettings) -> None:
        self.settings = settings
        #: Jobs waiting for a worker, in the order they came (:meth:`next` picks the fair one).
        self.pending: list[Job] = []
        #: Jobs handed to the workers; a finished one stays until :meth:`forget_finished`.
        self.released: list[Job] = []

    # -- the order -------------------------------------------------------------------------------------------
    def running(self, owner: str) -> int:
        """How many of ``owner``'s jobs are with the workers."""
        return sum(1 for j in self.released if owner in j.owners)

    def _rank(self, job: Job) -> tuple:
        return (job.background, min(self.running(o) for o in job.owners),
                job.estimate.total if job.estimate else 0.0, job.submitted_at)

    def next(self) -> Job | None:
        """The queued job to run next: the person with the fewest trainings running first (a sweep never starves
        someone's single training), then the cheapest estimate, then the oldest; background jobs last. None when
        nothing waits."""
        return min(self.pending, key=self._rank) if self.pending else None

    def position(self, job: Job) -> int | None:
        """How many queued jobs would run before ``job`` (None when it is not waiting in the queue)."""
        if job not in self.pending:
            return None
        return sorted(self.pending, key=self._rank).index(job)

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
        """Move the next job (see :meth:`next`) from the queue to the workers' and return it."""
        job = self.next()
        if job is None:
            raise IndexError("no job is waiting")
        self.pending.remove(job)
        self.released.append(job)
        return job

    def drain(self) -> list[Job]:
        """Take every job out of the queue and return them (the cluster cannot take any)."""
        drained, self.pending = self.pending, []
        return drained

    def forget_finished(self) -> None:
        """Stop counting the finished jobs as the workers' (their workers are free)."""
        self.released = [j for j in self.released if not j.finished]

    def active(self) -> list[Job]:
        """Every job queued or with the workers and not finished."""
        return [j for j in self.pending + self.released if not j.finished]

    # -- the limits ------------------------------------------------------------------------------------------
    def budget_problem(self, estimates: list[Estimate], size: int | None = None) -> str | None:
        """Why a request of trainings with these estimates would be refused whoever asks (a training above the
        per-training budget, a sweep too large), or None: the pages say it before anyone presses a button.
        ``size`` is the request's number of trainings (default: one per estimate)."""
        settings = self.settings
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
