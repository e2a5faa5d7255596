"""rnnlab.jobs.progress: the progress line and the one loop that waits for jobs (with stand-in jobs, no Dask)."""

from __future__ import annotations

import io
import threading
from types import SimpleNamespace

import pytest

from rnnlab.jobs.progress import Progress, follow


class FakeJob:
    """What :func:`follow` reads of a job: its experiment's epochs, state, progress and a wait."""

    def __init__(self, epochs: int) -> None:
        self.experiment = SimpleNamespace(train=SimpleNamespace(epochs=epochs))
        self.state = "queued"
        self.epoch = 0
        self.done = threading.Event()

    @property
    def finished(self) -> bool:
        return self.state in ("done", "failed", "cancelled")

    def progress(self) -> dict:
        return {"epoch": self.epoch}

    def wait(self, timeout: float | None = None) -> bool:
        return self.done.wait(timeout)


def advance(jobs: list[FakeJob]) -> None:
    """Each look at the jobs moves the first unfinished one an epoch on (finishing it after its last)."""
    job = next(j for j in jobs if not j.finished)
    job.state = "running"
    job.epoch += 1
    if job.epoch == job.experiment.train.epochs:
        job.state = "done"
        job.done.set()


def test_follow_shows_the_epochs_until_every_job_has_finished():
    jobs = [FakeJob(2), FakeJob(3)]
    stream = io.StringIO()
    follow(jobs, Progress(stream, prefix="trainings "), every=0.01, on_poll=lambda: advance(jobs))
    lines = stream.getvalue().splitlines()
    assert all(j.state == "done" for j in jobs)
    assert [line.split("] ")[1].split(" ")[0] for line in lines] == ["1/5", "2/5", "3/5", "4/5", "5/5"]
    assert "epochs; 1/2 done, 1 running, 0 queued" in lines[2] and "2/2 done" in lines[-1]


def test_follow_can_count_jobs_and_returns_at_once_without_any():
    jobs = [FakeJob(1), FakeJob(1)]
    stream = io.StringIO()
    follow(jobs, Progress(stream), count="jobs", every=0.01, on_poll=lambda: advance(jobs))
    assert [line.split("] ")[1].split(" ")[0] for line in stream.getvalue().splitlines()] == ["1/2", "2/2"]
    empty = io.StringIO()
    follow([], Progress(empty))
    assert empty.getvalue() == ""
    with pytest.raises(ValueError, match="count='seconds'"):
        follow(jobs, Progress(empty), count="seconds")
