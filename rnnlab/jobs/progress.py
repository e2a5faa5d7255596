"""Progress of long command-line work on stderr: a bar on a terminal, one line per update in logs and CI, and
:func:`follow`, the one loop that waits for a set of training jobs while showing how far they have got."""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING, Callable, Sequence, TextIO

if TYPE_CHECKING:
    from rnnlab.jobs.job import Job


class Progress:
    """A one-line progress bar on a terminal, one line per update otherwise (logs, CI)."""

    def __init__(self, stream: TextIO | None = None, prefix: str = "") -> None:
        self.stream = sys.stderr if stream is None else stream  # the process's stderr now, not at import
        self.prefix = prefix
        self.tty = hasattr(stream, "isatty") and stream.isatty()
        self.started = time.monotonic()

    def update(self, done: int, total: int, detail: str = "") -> None:
        """Show ``done`` of ``total`` with an optional detail (loss, MSE) and the time left."""
        width = 24
        filled = int(width * done / max(total, 1))
        elapsed = time.monotonic() - self.started
        left = elapsed / done * (total - done) if done else 0.0
        bar = "#" * filled + "." * (width - filled)
        line = f"{self.prefix}[{bar}] {done}/{total} {detail} ({elapsed:.0f}s, ~{left:.0f}s left)"
        if self.tty:
            self.stream.write("\r" + line.ljust(100))
            if done >= total:
                self.stream.write("\n")
        else:
            self.stream.write(line + "\n")
        self.stream.flush()


def follow(jobs: Sequence[Job], progress: Progress, *, count: str = "epochs", every: float = 0.3,
           on_poll: Callable[[], None] | None = None) -> None:
    """Wait until every job of ``jobs`` has finished (done, failed or cancelled), showing on ``progress`` how far
    they have got whenever that changes.

    Args:
        jobs: the jobs to wait for (:class:`~rnnlab.jobs.job.Job`, from the job manager).
        progress: where to show it.
        count: ``epochs`` (the epochs trained of all the jobs' epochs, with how many jobs are done, running and
            queued) or ``jobs`` (the jobs finished of all of them).
        every: seconds between looks at the jobs (a job that finishes ends the wait for it at once).
        on_poll: called at every look, before the progress is shown (e.g. to note when each job started).
    """
    if count not in ("epochs", "jobs"):
        raise ValueError(f"count={count!r}: allowed epochs or jobs")
    total = sum(j.experiment.train.epochs for j in jobs) if count == "epochs" else len(jobs)
    shown = None
    while jobs:
        if on_poll is not None:
            on_poll()
        pending = [j for j in jobs if not j.finished]
        finished = len(jobs) - len(pending)
        detail = ""
        done = finished
        if count == "epochs":
            states = [j.state for j in pending]
            done = sum(j.experiment.train.epochs if j.finished else j.progress()["epoch"] for j in jobs)
            detail = (f"epochs; {finished}/{len(jobs)} done, {states.count('running')} running, "
                      f"{states.count('queued')} queued")
        if (finished, done) != shown:
            shown = (finished, done)
            progress.update(done, total, detail)
        if not pending:
            return
        pending[0].wait(every)
