"""Beat the book: sweeps that look for configurations at least 20% better than the book's best printed figures, on
the book's own data, judged by the mean over five training seeds on the validation and the test set.

``python -m rnnlab beat-the-book --output docs/beating-the-book.md`` runs it in two stages, all on the job
manager's workers (the embedded cluster, or ``--scheduler``'s): a *screening* sweep per task (a few models and
settings, two seeds each), then the best configurations of each task *confirmed* with five seeds (42-46; the
screening's two are reused from the store). The report shows every cell of the sweeps, the finalists' mean ± sd
and range, the book's figure and the target. Everything is an ordinary stored run: a second call trains nothing.
"""

from __future__ import annotations

import dataclasses
import json
import platform
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Mapping, Sequence, TextIO

from rnnlab.jobs import sweeps
from rnnlab.reports.book_code import REFERENCE, Reference
from rnnlab.config import Experiment, to_query
from rnnlab.config.limits import JobSettings
from rnnlab.jobs.manager import JobManager
from rnnlab.lessons import beatbook
from rnnlab.models.registry import get_entry
from rnnlab.jobs.progress import Progress, follow
from rnnlab.store.runs import RunSummary, Spread

#: How much better than the book a configuration must be: at most 80% of its best printed figure.
FACTOR = 0.8
#: The floor no one-step forecast can go below: uniform noise of width 0.1 has variance 0.1² / 12.
NOISE_FLOOR = 0.1 ** 2 / 12
SCREEN_SEEDS = 2
CONFIRM_SEEDS = 5
FINALISTS = 2


@dataclass(frozen=True)
class Candidate:
    """A model in a forecast mode, its settings apart from the book's, and the grid swept around them."""

    model: str
    mode: str
    changes: Mapping[str, Any]
    grid: Mapping[str, Sequence[Any]]

    def sweep(self, repeats: int, epochs: int | None = None, n_series: int | None = None) -> sweeps.Sweep:
        horizon = 1 if self.mode == "one_step" else 10
        base = Experiment.book(self.model, self.mode, horizon).replace(**self.changes)
        if epochs is not None or n_series is not None:  # --quick: the same sweep, small (checks the pipeline)
            base = base.replace(**{k: v for k, v in (("epochs", epochs), ("n_series", n_series)) if v is not None})
        return sweeps.Sweep.make(base, self.grid, repeats=repeats)


@dataclass(frozen=True)
class Task:
    """One of the book's questions and the candidates that try to beat its best printed answer."""

    name: str
    title: str
    horizon: int
    candidates: tuple[Candidate, ...]

    @property
    def reference(self) -> Reference:
        """The book's best printed figure at this horizon (the naive forecast and measured baselines left out)."""
        rows = [r for r in REFERENCE if r.horizon == self.horizon and get_entry(r.model).trainable
                and r.mode != "iterative" and "not in the book" not in r.note]
        return min(rows, key=lambda r: r.printed)

    @property
    def target(self) -> float:
        return FACTOR * self.reference.printed


TASKS = (
    Task("one_step", "One step ahead", 1, (
        Candidate("lstm", "one_step", {"epochs": 50}, {"units": [32, 64], "learning_rate": [0.001, 0.003]}),
        Candidate("gru", "one_step", {"epochs": 50}, {"units": [32, 64], "learning_rate": [0.001, 0.003]}),
    )),
    Task("ten_steps", "Ten steps ahead", 10, (
        Candidate("gru", "seq2seq", {"epochs": 50}, {"units": [32, 64], "learning_rate": [0.001, 0.003]}),
        Candidate("wavenet", "seq2seq", {"epochs": 50}, {"filters": [20, 32], "learning_rate": [0.001, 0.003]}),
    )),
)


def job_settings() -> JobSettings:
    """The environment's cluster settings, without the per-person limits: this is the operator's own command."""
    return dataclasses.replace(JobSettings.from_env(), sweep_jobs=10_000, owner_seconds=10 ** 9,
                               max_job_seconds=10 ** 9, queue_length=10_000, jobs_per_owner=10_000)


def _train(manager: JobManager, experiments: list[Experiment], label: str, stream: TextIO) -> dict[str, RunSummary]:
    """Train (or find in the store) every experiment as one batch; their summaries by key."""
    jobs = manager.submit_batch(experiments, owner="beat-the-book")
    todo = [j for j in {j.key: j for j in jobs}.values() if not j.finished]
    stream.write(f"{label}: {len(experiments)} trainings, {len(experiments) - len(todo)} trained before, "
                 f"{len(todo)} to train\n")
    follow(todo, Progress(stream, prefix=f"{label} "), every=1.0)
    failed = [j for j in jobs if j.state != "done"]
    if failed:
        raise RuntimeError(f"{len(failed)} trainings did not finish: {failed[0].experiment.describe()}: "
                           f"{failed[0].state} {failed[0].error or ''}")
    return {j.key: RunSummary.from_json(j.result().summary()) for j in jobs}


def _cell_name(candidate: Candidate, cell: Mapping[str, Any]) -> str:
    settings = ", ".join(f"{k} {v}" for k, v in {**candidate.changes, **cell}.items())
    return f"{candidate.model} {candidate.mode} ({settings})"


def run(*, manager: JobManager | None = None, quick: bool = False,
        stream: TextIO = sys.stderr) -> tuple[str, dict[str, Any]]:
    """Screen, confirm and report: the markdown report and the finalists as data (:data:`RESULTS_FILE`).
    ``quick``: two epochs on 1,000 series, to check the pipeline."""
    own = manager is None
    manager = manager or JobManager(job_settings())
    started = time.perf_counter()
    epochs, n_series = (2, 1000) if quick else (None, None)
    sections, verdicts = [], []
    try:
        for task in TASKS:
            ref = task.reference
            screen = [(c, c.sweep(SCREEN_SEEDS, epochs, n_series)) for c in task.candidates]
            results = _train(manager, [e for _, s in screen for e in s.experiments()], f"{task.name} screening", stream)
            cells = []
            for candidate, sweep in screen:
                for row in sweeps.cell_rows(sweep, results):
                    cells.append((candidate, row))
            cells.sort(key=lambda cr: cr[1]["valid"].mean)
            finalists = cells[:FINALISTS]
            confirm = [sweeps.repeats(row["experiment"], CONFIRM_SEEDS) for _, row in finalists]
            confirmed = _train(manager, [e for group in confirm for e in group], f"{task.name} confirmation", stream)
            lines = [f"## {task.title}", "",
                     f"The book's best: **{ref.printed:g}** ({ref.model} {ref.mode}: {ref.label}). Target: at most "
                     f"**{task.target:.5f}** ({100 * (1 - FACTOR):.0f}% lower), as the mean over {CONFIRM_SEEDS} "
                     "seeds, on the validation set and on the test set.", "",
                     f"### Screening: {len(cells)} configurations, {SCREEN_SEEDS} seeds each", "",
                     "| configuration | valid MSE (mean ± sd) | test MSE (mean ± sd) |", "|---|---:|---:|"]
            for candidate, row in cells:
                lines.append(f"| {_cell_name(candidate, _settings_of(row))} "
                             f"| {row['valid'].text()} | {row['test'].text()} |")
            lines += ["", f"### Confirmed with {CONFIRM_SEEDS} seeds ({', '.join(map(str, sweeps.seeds(confirm[0][0], CONFIRM_SEEDS)))})",
                      "", "| configuration | params | valid MSE mean ± sd | valid range | test MSE mean ± sd | test range "
                          "| vs the book (valid) | beats the target |", "|---|---:|---:|---:|---:|---:|---:|---|"]
            for (candidate, row), group in zip(finalists, confirm):
                runs = [confirmed[e.key()] for e in group]
                valid = Spread(tuple(r.val_mse for r in runs))
                test = Spread(tuple(r.test_mse for r in runs))
                beats = valid.mean <= task.target and test.mean <= task.target
                verdicts.append((task, candidate, row, valid, test, beats, group[0]))
                lines.append(
                    f"| {_cell_name(candidate, _settings_of(row))} | {runs[0].params_total:,} | {valid.text()} | "
                    f"{valid.low:.5f}-{valid.high:.5f} | {test.text()} | {test.low:.5f}-{test.high:.5f} | "
                    f"{100 * (valid.mean / ref.printed - 1):+.0f}% | {'**yes**' if beats else 'no'} |")
            sections.append("\n".join(lines))
    finally:
        if own:
            manager.close()
    minutes = (time.perf_counter() - started) / 60
    data = {"generated": f"{datetime.now(timezone.utc):%Y-%m-%d}", "quick": quick, "noise_floor": NOISE_FLOOR,
            "seeds": CONFIRM_SEEDS, "tasks": []}
    for task in TASKS:
        mine = [v for v in verdicts if v[0] is task]
        data["tasks"].append({
            "name": task.name, "title": task.title, "book": task.reference.printed,
            "book_label": f"{task.reference.model} {task.reference.mode}: {task.reference.label}",
            "target": task.target,
            "finalists": [{"configuration": _cell_name(c, _settings_of(row)), "experiment": to_query(exp),
                           "valid": list(valid.values), "test": list(test.values), "beats": beats}
                          for _, c, row, valid, test, beats, exp in mine]})
    return _report(sections, verdicts, minutes, quick), data


def save_results(data: Mapping[str, Any], path: Path | None = None) -> Path:
    path = path or beatbook.RESULTS_FILE
    path.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    return path


def _settings_of(row: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k not in ("cell", "done", "repeats", "valid", "test", "keys", "done_keys",
                                                        "experiment")}


def _report(sections: list[str], verdicts: list[Any], minutes: float, quick: bool) -> str:
    head = [
        "# Beating the book", "",
        f"Generated by `python -m rnnlab beat-the-book{' --quick' if quick else ''}` on "
        f"{datetime.now(timezone.utc):%Y-%m-%d}, {platform.machine()}, {minutes:.1f} minutes on this machine's "
        "workers. Every training is a stored run: run the command again and it trains nothing.", "",
        f"The book's data as the book generates it (10,000 series, seed 42, its splits). A configuration counts when "
        f"the mean over {CONFIRM_SEEDS} training seeds is at least {100 * (1 - FACTOR):.0f}% below the book's best "
        "printed figure on the validation set *and* on the test set. Ten-step figures score the 10 values forecast "
        "at the last time step, as the book does.", "",
        f"The floor: the series carry uniform noise of width 0.1, whose variance is 0.1²/12 ≈ {NOISE_FLOOR:.5f}; no "
        "one-step forecast can go below it.", "",
        "| task | the book's best | target | best configuration (5 seeds) | valid MSE | test MSE | beats it |",
        "|---|---:|---:|---|---:|---:|---|",
    ]
    best: dict[str, Any] = {}
    for v in verdicts:
        task = v[0]
        if task.name not in best or v[3].mean < best[task.name][3].mean:
            best[task.name] = v
    for task, candidate, row, valid, test, beats, _ in best.values():
        head.append(f"| {task.title} | {task.reference.printed:g} | {task.target:.5f} | "
                    f"{_cell_name(candidate, _settings_of(row))} | {valid.text()} | {test.text()} | "
                    f"{'**yes**' if beats else 'no'} |")
    head += ["", "To train a winner yourself (each seed in turn; the Train page's *Repeats* does the same):", ""]
    for task, candidate, row, valid, test, beats, exp in best.values():
        flags = " ".join(f"--{k.replace('_', '-')} {_flag(v)}" for k, v in exp.to_flat().items()
                         if k in {**candidate.changes, **_settings_of(row)} or k == "mode")
        head.append(f"    python -m rnnlab train {exp.model.name} {flags} --repeats {CONFIRM_SEEDS}")
    return "\n".join(head + [""] + [s + "\n" for s in sections])


def _flag(value: Any) -> str:
    return ",".join(map(str, value)) if isinstance(value, (tuple, list)) else f"{value:g}" if isinstance(value, float) \
        else str(value)
