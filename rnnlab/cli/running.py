"""Getting results for the command line: from the run store, trained in the command's own process (within the
instance's budget, with progress from the first second), or on a Dask cluster as one batch (``--scheduler``, or
whatever the command hands the job manager: repeats, sweeps, searches)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from rnnlab import config
from rnnlab.cli.options import CliError
from rnnlab.config.limits import JobSettings
from rnnlab.jobs import costs
from rnnlab.jobs.policy import budget_problem
from rnnlab.jobs.progress import Progress, follow
from rnnlab.store.runstore import RunStore, StoreWriteFailed
from rnnlab.training.backend import backend_name

Trained = tuple[dict[str, Any], bool]  #: a result's summary, and whether it came from the store


def train_all(experiments: list[config.Experiment], args: argparse.Namespace) -> list[Trained]:
    """Each experiment's result summary and whether it came from the store: stored ones are not retrained
    (unless --force); the others train here one after the other, or on --scheduler's cluster as one batch."""
    store = RunStore(args.home)
    found: dict[int, Trained] = {}
    todo = []
    for i, experiment in enumerate(experiments):
        cached = None if getattr(args, "force", False) else store.get(experiment.key())
        if cached is not None:
            sys.stderr.write(f"cached: {experiment.describe()} was trained before ({cached.created}); "
                             "showing the stored result\n")
            found[i] = (cached.summary(), True)
        else:
            todo.append(i)
    if todo and not args.scheduler:
        check_budget([experiments[i] for i in todo], args)
    if todo and args.scheduler:
        found.update(zip(todo, run_batch([experiments[i] for i in todo], args)))
    for i in [] if args.scheduler else todo:
        found[i] = (_train_here(experiments[i], store), False)
    return [found[i] for i in range(len(experiments))]


def check_budget(experiments: list[config.Experiment], args: argparse.Namespace) -> None:
    """Refuse, as the pages do, trainings in this process estimated above ``RNNLAB_MAX_JOB_SECONDS`` (or too many
    at once), unless ``--no-limits`` (an operator's own long run). On a cluster the job manager checks."""
    if getattr(args, "no_limits", False):
        return
    problem = budget_problem(JobSettings.from_env(), costs.estimates_here(experiments, args.home))
    if problem:
        raise CliError(f"{problem}. For an operator's own long run, --no-limits trains it anyway")


def _train_here(experiment: config.Experiment, store: RunStore) -> dict[str, Any]:
    """Train ``experiment`` in this process with a progress bar, store it, and return its summary; what it is
    doing is on stderr from the first second (loading Keras, preparing the data and compiling, the epochs)."""
    sys.stderr.write(f"{experiment.model.name}: loading Keras ({backend_name()})…\n")
    from rnnlab.training import fit  # Keras: only a training in this process needs it

    sys.stderr.write(f"{experiment.model.name}: preparing the data and compiling the model (the first epoch "
                     "includes the compilation)…\n")
    progress = Progress(prefix=f"{experiment.model.name}: ")

    def on_epoch(info: dict[str, Any]) -> None:
        valid = "" if info["val_loss"] is None else f" val_loss {info['val_loss']:.5f}"  # a final model has none
        progress.update(info["epoch"], info["epochs"], f"loss {info['loss']:.5f}{valid}")

    try:
        result = fit.run(experiment, on_epoch=on_epoch)
    except fit.TrainingFailed as exc:
        raise CliError(f"training failed: {exc}") from None
    costs.note_compiled_here(experiment, store.root)  # its programs are in this store's compilation cache now
    try:
        store.put(result)
    except StoreWriteFailed as exc:
        raise CliError(f"{experiment.describe()} trained, but its result could not be kept: {exc.reason}") from None
    return result.summary()


def run_batch(experiments: list[config.Experiment], args: argparse.Namespace) -> list[Trained]:
    """Train ``experiments`` as one request on the job manager (the embedded cluster, or --scheduler's), in
    parallel up to its workers; the store answers those trained before (unless --force). Each summary, and
    whether it was stored. Ctrl-C cancels the request's trainings."""
    from rnnlab.jobs.manager import JobManager  # Dask: only commands that train on a cluster need it

    manager = JobManager(scheduler=args.scheduler, store=RunStore(args.home))
    owner = "cli"
    try:
        jobs = manager.submit_batch(experiments, owner=owner, fresh=getattr(args, "force", False))
        unique = {j.key: j for j in jobs}
        todo = [j for j in unique.values() if not j.finished]  # the rest came from the store
        stored = len(experiments) - len(todo)
        where = manager.settings.worker_count() if not manager.settings.scheduler else "the"
        sys.stderr.write(f"{len(experiments)} trainings: {stored} from the store, {len(todo)} to train"
                         + (f" on {where} workers\n" if todo else "\n"))
        follow(todo, Progress(prefix="trainings "))
        failed = [j for j in unique.values() if j.state != "done"]
        if failed:
            raise CliError(f"{len(failed)} of {len(unique)} trainings did not finish: "
                           + "; ".join(f"{j.experiment.describe()}: {j.state} {j.error or ''}".strip()
                                       for j in failed[:3]))
        lost = [j for j in todo if j.store_error]
        if lost:
            raise CliError(f"{len(lost)} of {len(todo)} trainings finished but could not be kept: "
                           + "; ".join(f"{j.experiment.describe()}: {j.store_error}" for j in lost[:3]))
        trained = {j.key for j in todo}
        return [(j.result().summary(), j.key not in trained) for j in jobs]
    except KeyboardInterrupt:
        keys = [e.key() for e in experiments if manager.get(e.key()) is not None]
        sys.stderr.write(f"cancelled {manager.cancel_batch(keys, owner)} trainings\n")
        raise
    finally:
        manager.close()
