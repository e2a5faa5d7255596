"""How good the cost estimates are: ``python -m rnnlab bench --estimates`` trains a spread of configurations on
the embedded cluster's workers (two at a time, as a busy instance runs them), each compiled for the first time
(an empty compilation cache), then each again with another seed (its shape compiled already), and compares each
one's estimate with the time it took on its worker (data, model, training, forecasts and saving; not its wait in
the queue). ``--here`` does the same one training at a time in the command's own process, with the command
line's figures.
"""

from __future__ import annotations

import dataclasses
import os
import statistics
import sys
import tempfile
from datetime import datetime, timezone
from typing import Any

from rnnlab.jobs import costs
from rnnlab.config import Experiment
from rnnlab.config.limits import JobSettings
from rnnlab.jobs.manager import JobManager
from rnnlab.jobs.progress import Progress, follow
from rnnlab.store.runstore import RunStore

#: A factor the estimate must be within for at least :data:`WITHIN_SHARE` of the configurations.
FACTOR = 2.0
WITHIN_SHARE = 0.9


def configurations() -> list[Experiment]:
    """Twenty configurations unlike the calibration's: other sizes, lengths, batch sizes, modes and data."""
    book = Experiment.book
    return [
        book("linear").replace(epochs=20),
        book("linear", "seq2vec", 10).replace(n_steps=100, n_series=5000, epochs=10),
        book("simple_rnn").replace(epochs=20),
        book("deep_rnn").replace(epochs=10),
        book("deep_rnn_dense").replace(units=40, epochs=10),
        book("deep_rnn_dense", "seq2seq", 10).replace(epochs=10),
        book("deep_rnn_dense").replace(n_steps=100, n_series=5000, epochs=5),
        book("lstm", "one_step", 1).replace(epochs=10),
        book("lstm", "seq2seq", 10).replace(units=64, layers=1, epochs=5),
        book("lstm", "one_step", 1).replace(batch_size=128, epochs=20),
        book("gru", "one_step", 1).replace(layers=3, epochs=5),
        book("gru", "seq2seq", 10).replace(epochs=10),
        book("gru", "seq2vec", 10).replace(n_steps=30, n_series=20000, epochs=5),
        book("layernorm_rnn").replace(epochs=5),
        book("conv_gru").replace(epochs=10),
        book("conv_gru").replace(units=64, filters=32, epochs=5),
        book("wavenet").replace(epochs=10),
        book("wavenet").replace(filters=64, batch_size=64, epochs=5),
        book("deep_rnn_dense").replace(data="sunspots", epochs=30),
        book("gru").replace(data="co2_mauna_loa", epochs=20, batch_size=16),
    ]


def repeats(experiments: list[Experiment]) -> list[Experiment]:
    """Each of ``experiments`` again with another training seed: the same compiled shape, as a class's repeats
    of one model are (:func:`rnnlab.jobs.costs.compiled_shape`)."""
    return [e.replace(train_seed=e.train.seed + 1) for e in experiments]


def run(*, where: str = "workers", workers: int | None = None, stream=sys.stderr) -> str:
    """Train :func:`configurations`, then their :func:`repeats`, fresh in a scratch store, on the embedded
    cluster's workers (``where="workers"``) or one after the other in this process (``"here"``, as ``train``
    without --scheduler does), and report each one's estimate against its measured time: the first round
    compiled into an empty cache, the second charged no compilation (its shape is compiled already)."""
    if where not in costs.WHERE:
        raise ValueError(f"where={where!r}: allowed {', '.join(costs.WHERE)}")
    experiments = configurations()
    again = repeats(experiments)
    coefficients, calibrated = costs.load_coefficients(where=where)
    with tempfile.TemporaryDirectory(prefix="rnnlab-estimates-") as home:
        cache = os.path.join(home, "jax-cache")  # empty: the first round compiles every shape
        if where == "here":
            results, count = _here(experiments + again, cache, stream), 1
        else:
            results, count = _on_workers(experiments, again, home, cache, workers, stream)
    rows = []
    for i, (exp, result) in enumerate(zip(experiments + again, results)):
        compiled = i >= len(experiments)
        est = costs.estimate(exp, coefficients, calibrated, compiled=compiled)
        rows.append({"experiment": exp, "compiled": compiled, "estimate": est.total, "actual": result.wall_seconds,
                     "ratio": result.wall_seconds / est.total, "est_epoch": est.per_epoch,
                     "epoch": result.seconds_per_epoch or 0.0})
    return report(rows, calibrated, count, where)


def _on_workers(experiments: list[Experiment], again: list[Experiment], home: str, cache: str,
                workers: int | None, stream) -> tuple[list[Any], int]:
    """Both rounds on the embedded cluster's workers, two at a time as a busy instance runs them."""
    settings = dataclasses.replace(JobSettings.from_env(), workers=workers or 0, calibrate=False,
                                   sweep_jobs=1000, owner_seconds=10 ** 9, max_job_seconds=10 ** 9)
    manager = JobManager(settings, store=RunStore(home), worker_env={"RNNLAB_JAX_CACHE": cache})
    results = []
    try:
        for label, batch in (("new shapes ", experiments), ("repeated shapes ", again)):
            jobs = manager.submit_batch(batch, owner="bench", fresh=True)
            follow(jobs, Progress(stream, prefix=f"estimates, {label}"), count="jobs", every=1.0)
            failed = [j for j in jobs if j.state != "done"]
            if failed:
                raise RuntimeError(f"{len(failed)} trainings failed: {failed[0].error}")
            results += [j.result() for j in jobs]
    finally:
        manager.close()
    return results, manager.settings.worker_count()


def _here(experiments: list[Experiment], cache: str, stream) -> list[Any]:
    """Every training one after the other in this process (every core), compiling into ``cache``."""
    if "keras" in sys.modules:
        raise RuntimeError("--estimates --here must compile into an empty cache: run it as a command of its own")
    os.environ["RNNLAB_JAX_CACHE"] = cache  # read once, when Keras configures JAX
    from rnnlab.training import fit  # Keras: only a training in this process needs it

    progress = Progress(stream, prefix="estimates here ")
    results = []
    for i, experiment in enumerate(experiments):
        results.append(fit.run(experiment))
        progress.update(i + 1, len(experiments), experiment.model.name)
    return results


def report(rows: list[dict[str, Any]], calibrated: bool, workers: int, where: str = "workers") -> str:
    lines = ["# Cost estimates against measured times", "",
             f"Generated by `python -m rnnlab bench --estimates{' --here' if where == 'here' else ''}` on "
             f"{datetime.now(timezone.utc):%Y-%m-%d}, {os.cpu_count()} cores, "
             + (f"{workers} workers training side by side" if where == "workers" else
                "one training at a time in the command's own process (every core)")
             + f"; estimates from {'this instance' if calibrated else 'the shipped two-core'} calibration "
             f"{'of a worker' if where == 'workers' else 'of the command line' + chr(39) + 's process'}. Each "
             "configuration is trained twice: first compiled into an empty cache (*new*), then with another seed "
             "(*repeated*: the same shape, compiled already, estimated without its compilation). *Measured* is the "
             "whole training (data, model, training, forecasts, saving), not its wait in a queue.", "",
             "| configuration | shape | estimate | measured | measured / estimate | s/epoch est. | s/epoch measured |",
             "|---|---|---:|---:|---:|---:|---:|"]
    for r in rows:
        flag = "" if 1 / FACTOR <= r["ratio"] <= FACTOR else " **miss**"
        lines.append(f"| {_describe(r['experiment'])} | {'repeated' if r['compiled'] else 'new'} | "
                     f"{r['estimate']:.1f} s | {r['actual']:.1f} s | {r['ratio']:.2f}{flag} | "
                     f"{r['est_epoch']:.3f} | {r['epoch']:.3f} |")
    lines.append("")
    for label, group in (("new shapes", [r for r in rows if not r["compiled"]]),
                         ("repeated shapes", [r for r in rows if r["compiled"]]), ("all", rows)):
        if not group:
            continue
        within = [r for r in group if 1 / FACTOR <= r["ratio"] <= FACTOR]
        ratios = sorted(r["ratio"] for r in group)
        lines.append(f"- {label}: **{len(within)} of {len(group)}** ({100 * len(within) / len(group):.0f}%) within "
                     f"a factor of {FACTOR:g} (goal: {100 * WITHIN_SHARE:.0f}%); measured / estimate from "
                     f"{ratios[0]:.2f} to {ratios[-1]:.2f}, median {statistics.median(ratios):.2f}.")
    misses = [r for r in rows if not 1 / FACTOR <= r["ratio"] <= FACTOR]
    if misses:
        lines.append("Missed: " + "; ".join(f"{_describe(r['experiment'])}, "
                                             f"{'repeated' if r['compiled'] else 'new'} ({r['ratio']:.2f})"
                                             for r in misses) + ".")
    return "\n".join(lines) + "\n"


def _describe(exp: Experiment) -> str:
    book = Experiment.book(exp.model.name, exp.model.mode, exp.series.horizon)
    changed = {k: v for k, v in exp.to_flat().items() if book.to_flat().get(k) != v and k not in ("mode",)}
    extra = ", ".join(f"{k} {v}" for k, v in changed.items())
    return f"{exp.model.name} {exp.model.mode}" + (f" ({extra})" if extra else "")
