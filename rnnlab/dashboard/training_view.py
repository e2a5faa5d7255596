"""The Train page's training: the experiment's job from request to result. Train (or join someone's training),
follow it epoch by epoch, cancel it, and show the finished run with its yardsticks, backtest and repeats. On a real
series a network's forecast past the end comes from its final model (the same settings trained on all the data),
submitted with it."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from typing import Any

import streamlit as st

from rnnlab.config import Experiment
from rnnlab.config.fields import FIELDS
from rnnlab.dashboard import backtest, repeats, run_view, state
from rnnlab.errors import FieldError
from rnnlab.figures.training import loss_curves
from rnnlab.forecasting import yardsticks
from rnnlab.jobs import auto
from rnnlab.jobs.job import Job, JobError
from rnnlab.jobs.manager import JobManager
from rnnlab.store.runs import RunResult

ERROR = "_train_error"
#: Why the yardsticks submitted with a training were refused (shown by the Train button), and why the Run the
#: yardsticks button's request was (shown in the Yardsticks section).
YARDSTICK_ERROR, YARDSTICK_RUN_ERROR = "_yardstick_error", "_yardstick_run_error"
#: Why the Train the final model button's request was refused.
FINAL_ERROR = "_final_error"


def search_link(experiment: Experiment) -> None:
    """On a real series, a link to the Sweep page holding the search for a good model around ``experiment``
    (:func:`rnnlab.jobs.auto.search`): the Sweep page costs it, runs it in the fair queue with progress and Cancel,
    answers it from the store the second time, and opens the best on validation here, where its final model is
    trained for the forecast past the end."""
    if not experiment.series.real or not experiment.model.entry.trainable or experiment.series.final:
        return
    try:
        search = auto.search(experiment)
    except FieldError as exc:  # a setting the search cannot vary around
        st.caption(f"No search for a good model here: {exc}")
        return
    varied = ", ".join(f"{FIELDS[name].label.lower()} ({len(values)})" for name, values in search.grid)
    st.page_link("pages/sweep.py", label="Find a good model for me", icon=":material/auto_awesome:",
                 query_params={**state.to_query(experiment), **search.link_params()},
                 help=f"A search on the Sweep page: {varied}, {len(search.cells())} configurations with "
                      f"{search.repeats} seeds each ({search.size()} trainings, stored ones not trained again), "
                      "chosen on validation error; open the best here to see its forecast from the final model.")


def section(experiment: Experiment, manager: JobManager, owner: str) -> None:
    """Everything the Train page shows right of its settings, for ``experiment`` as ``owner`` sees it."""
    key = experiment.key()
    entry = experiment.model.entry
    job = manager.get(key)
    running = job is not None and not job.finished
    result = run_view.finished_run(key, job)

    st.subheader(f"{entry.display_name} · {experiment.describe().split(' · ', 1)[1]}")
    n_params = entry.count_params(experiment)
    st.caption(f"{n_params:,} parameters · experiment {key[:12]}" if n_params is not None
               else f"experiment {key[:12]}")
    over_budget = repeats.estimate_line(manager, experiment) if result is None and not running else None

    def submit() -> None:
        # A callback runs before the next script run, so that run already draws the button disabled.
        try:
            submit_with_yardsticks(experiment, manager, owner)
            state.remember_run(key)
        except JobError as exc:
            st.session_state[ERROR] = str(exc)

    train_button(job, owner, result, bool(over_budget), submit)
    refused = st.session_state.pop(YARDSTICK_ERROR, None)
    if refused:  # the training itself was queued: say so without hiding it
        st.warning(f"The yardsticks were not run with this training: {refused}", icon=":material/hourglass_top:")
    if running:
        live_progress(experiment, manager, owner)
    elif job is not None and job.state == "failed":
        st.error(f"Training failed: {job.error}", icon=":material/error:")
        st.button("Retry", key="retry", on_click=submit)
    elif job is not None and job.state == "cancelled" and result is None:
        st.info("Training was cancelled. Press Train to start again.")

    if job is not None and job.store_error:
        st.warning(f"This result could not be kept: {job.store_error}. It is shown from the server's memory and "
                   "is lost when the server restarts; tell the instance's operator.", icon=":material/save:")
    if result is not None:
        show_result(experiment, job, result, manager)
    elif not running and not over_budget and (job is None or job.state != "failed"):
        st.info("Not trained yet. Press **Train** to train it in the background; the loss curve updates live.")
    if not over_budget:
        repeats.section(experiment, manager, owner)


def submit_with_yardsticks(experiment: Experiment, manager: JobManager, owner: str) -> None:
    """Submit ``experiment`` with, on a real series, its final model (right after it: the forecast past the end
    comes from it) and its yardsticks as one request, so they count once against the person's limit. When the
    limits refuse them all, the experiment with its final model, or else alone, is still submitted and the page
    says why the yardsticks did not run.

    Raises:
        JobError: the experiment itself is refused (message fit to show as is).
    """
    final = yardsticks.final_experiment(experiment)
    first = [experiment] if final is None else [experiment, final]
    others = yardsticks.others(experiment)
    if len(first) == 1 and not others:
        manager.submit(experiment, owner=owner)
        return
    try:
        manager.submit_batch([*first, *others], owner=owner)
    except JobError as exc:
        try:
            manager.submit_batch(first, owner=owner)
        except JobError:
            manager.submit(experiment, owner=owner)  # raises when the experiment itself is refused
        if others:
            st.session_state[YARDSTICK_ERROR] = str(exc)


def train_button(job: Job | None, owner: str, result: RunResult | None, over_budget: bool, submit) -> None:
    """Train, or join the training someone else asked for; disabled while ``owner``'s own request runs, when the
    result is there, or when the training would be over the budget. Shows why a request was refused."""
    running = job is not None and not job.finished
    asked = running and job.asked_by(owner)  # looking at a running job is not asking for it
    if running and not asked:
        help_text = "Someone is training this exact experiment: join them and watch it finish."
    elif result is None:
        help_text = "Runs in the background on the training cluster; leaving or reloading the page does not stop it."
    else:
        help_text = "This exact experiment was trained before."
    st.button("Join this training" if running and not asked else "Train", type="primary",
              disabled=asked or result is not None or over_budget, key="train", on_click=submit, help=help_text)
    refused = st.session_state.pop(ERROR, None)
    if refused:
        st.error(refused, icon=":material/hourglass_top:")


#: How often a page watching a training polls it, in seconds. Each poll is a script run on the server for every
#: watching session, which makes polling the server's main cost with a class watching (docs/benchmarks.md, "Class
#: load on JAX"): so the page polls as often as something new can be shown, no more.
POLL_QUEUED = 2.0  # waiting for a worker: the queue position changes only when a training starts
POLL_COMPILING = 1.0  # the first epoch: compilation takes seconds, and the first epoch should show at once
POLL_EPOCHS = (2.0, 5.0)  # while epochs run: about once per epoch, within these bounds
#: The live loss curve is redrawn every CURVE_SECONDS (serializing a figure is the costly part of a poll), and
#: built at most once in that time per training however many sessions watch it.
CURVE_SECONDS = 10.0


def poll_seconds(snap: dict) -> float:
    """Seconds between two polls of a job whose :meth:`~rnnlab.jobs.job.Job.progress` is ``snap``: every second
    while it compiles, every two while it is queued, about once per epoch (two to five seconds) while epochs run.
    A finished training is noticed by the progress line within five seconds, and the page then shows its result."""
    if snap["state"] == "queued":
        return POLL_QUEUED
    if snap["epoch"] == 0:
        return POLL_COMPILING
    per_epoch = snap["elapsed"] / snap["epoch"]
    return min(max(per_epoch, POLL_EPOCHS[0]), POLL_EPOCHS[1])


class LiveCurves:
    """The live loss figure of each running training, shared by every session watching it: built again only when
    epochs were added and the last one is ``seconds`` old, so thirty watchers cost one build, not thirty. (Before,
    each session built its own figure whenever an epoch arrived: on fast epochs, at every poll.) Plotly figures
    are only read once built (Streamlit serializes them), so sharing them between sessions is safe."""

    def __init__(self, seconds: float = CURVE_SECONDS, size: int = 32) -> None:
        self.seconds, self.size = seconds, size
        self._lock = threading.Lock()
        self._figures: OrderedDict[str, tuple[float, int, Any]] = OrderedDict()

    def figure(self, key: str, name: str, history: list[dict], now: float | None = None):
        """The figure of training ``key`` (model ``name``) for ``history``, or one at most ``seconds`` older."""
        now = time.monotonic() if now is None else now
        with self._lock:
            cached = self._figures.get(key)
            if cached is not None and (cached[1] == len(history) or now - cached[0] < self.seconds):
                self._figures.move_to_end(key)
                return cached[2]
        figure = loss_curves({name: history})  # tens of ms: outside the lock
        with self._lock:
            self._figures[key] = (now, len(history), figure)
            self._figures.move_to_end(key)
            while len(self._figures) > self.size:
                self._figures.popitem(last=False)
        return figure


CURVES = LiveCurves()


def live_progress(experiment: Experiment, manager: JobManager, owner: str) -> None:
    """The running job's progress, live loss curve, and a Cancel button for those who asked for it. The progress
    line polls the job as often as :func:`poll_seconds` says; the curve and Cancel around it every
    :data:`CURVE_SECONDS`; the whole page reruns once the job is over."""
    _live_panel(experiment, manager, owner)


@st.fragment(run_every=CURVE_SECONDS)
def _live_panel(experiment: Experiment, manager: JobManager, owner: str) -> None:
    """The progress line (a fragment of its own, polled at the pace the job's state asks for: each run of this
    panel sets it again), the loss curve and Cancel."""
    key = experiment.key()
    current = manager.get(key)
    if current is None or current.finished:
        st.rerun()
    snap = current.progress()
    st.fragment(_progress_line, run_every=poll_seconds(snap))(experiment, manager)
    st.plotly_chart(CURVES.figure(key, experiment.model.name, snap["history"]), key="live-loss", theme=None)
    if current.asked_by(owner) and st.button(
            "Cancel", key="cancel",
            help="Withdraws your request; the training stops when nobody else who asked for it waits."):
        manager.cancel(key, owner)
        st.rerun()


def _progress_line(experiment: Experiment, manager: JobManager) -> None:
    """The job's progress bar: state, epoch, time and who asked; reruns the page once the job is over. (Its
    arguments are kept for its own reruns: it reads the job afresh each time.)"""
    current = manager.get(experiment.key())
    if current is None or current.finished:
        st.rerun()
    snap = current.progress()
    askers = current.askers
    ahead = manager.queue_position(current) if snap["state"] == "queued" else None
    asked = f" · asked for by {askers} {'person' if askers == 1 else 'people'}"
    if snap["state"] == "queued":
        place = f" ({ahead} training{'s' if ahead != 1 else ''} ahead in the queue)" if ahead else ""
        st.progress(0.0, text=f"Waiting for a free worker…{place}{asked}")
    elif snap["epoch"] == 0:
        st.progress(0.0, text=f"Compiling the model and running the first epoch… {snap['elapsed']:.0f} s{asked}")
    else:
        eta = f" · about {snap['eta']:.0f} s left" if snap["eta"] is not None else ""
        st.progress(snap["fraction"], text=f"Epoch {snap['epoch']} of {snap['epochs']} · "
                                           f"{snap['elapsed']:.0f} s{eta}{asked}")


def show_result(experiment: Experiment, job: Job | None, result: RunResult, manager: JobManager) -> None:
    """The finished run: where it came from, its metrics and charts, its downloads and, on a real series, its
    backtest."""
    state.remember_run(experiment.key())
    if job is None or job.from_store:
        st.success("Stored result: this experiment was trained before, so it is shown at once.",
                   icon=":material/inventory_2:")
    else:
        st.success(f"Trained in {result.train_seconds:.1f} s.", icon=":material/check_circle:")
    kept = yardsticks.start_note(result.start, experiment.series.scaling, name=experiment.model.entry.display_name)
    if kept:
        st.info(kept, icon=":material/undo:")
    run_view.show_result(result, experiment, beside=lambda: yardstick_section(experiment, result, manager),
                         future=lambda ds, levels: future_section(experiment, result, manager, ds, levels))
    run_view.downloads(result, experiment)
    if experiment.series.real:
        backtest.section(experiment, manager)


def _yardstick_results(experiment: Experiment, result: RunResult, manager: JobManager) -> tuple[dict, dict]:
    """Each yardstick's run by registry name (its finished job's, or the store's: a reloaded page finds them
    there; None while it runs or when it never ran) and its unfinished or failed job."""
    found: dict[str, RunResult | None] = {}
    jobs: dict[str, Job] = {}
    for other in yardsticks.experiments(experiment):
        name, key = other.model.name, other.key()
        if key == experiment.key():  # the page shows a yardstick itself: it is its own row
            found[name] = result
            continue
        job = manager.get(key)
        found[name] = run_view.finished_run(key, job)
        if job is not None and found[name] is None:  # queued, running or failed
            jobs[name] = job
    return found, jobs


def yardstick_section(experiment: Experiment, result: RunResult, manager: JobManager) -> None:
    """The Yardsticks beside a finished run on a real series: the naive, seasonal-naive, ETS, ARIMA and Theta
    forecasts on the same windows, their progress or failure, and the verdict when the network does worse."""
    others = yardsticks.experiments(experiment)
    if not others:
        return
    found, jobs = _yardstick_results(experiment, result, manager)
    running = [job for job in jobs.values() if not job.finished]
    st.subheader("Yardsticks")
    st.caption("The forecasts every forecaster compares against, scored on exactly this run's windows: the naive "
               "and seasonal-naive forecasts, and ETS, ARIMA and Theta fitted on the training period (statsmodels, "
               "on the workers). The best classical forecaster is chosen on validation; test is shown beside it.")
    refused = st.session_state.pop(YARDSTICK_RUN_ERROR, None)
    if refused:
        st.error(f"The yardsticks were not run: {refused}", icon=":material/hourglass_top:")
    for name, job in jobs.items():
        if job.state == "failed":
            st.error(f"The {yardsticks.LABELS.get(name, name)} yardstick failed: {job.error}",
                     icon=":material/error:")
    if running:
        yardstick_progress(others, manager)
    elif any(r is None for r in found.values()):  # never run, or failed: offer to run (again) what is missing
        owner = state.owner()

        def run() -> None:
            try:
                manager.submit_batch([e for e in others if e.key() != experiment.key()], owner=owner)
            except JobError as exc:
                st.session_state[YARDSTICK_RUN_ERROR] = str(exc)

        st.button("Run the yardsticks", key="yardsticks_run", on_click=run,
                  help="Fits the naive, seasonal-naive, ETS, ARIMA and Theta forecasts on this series' windows as "
                       "one request; those fitted before are taken from the store.")
    if not any(r is not None for r in found.values()):
        return
    entry = experiment.model.entry
    own = yardsticks.row(result, name=experiment.model.name, label=f"{entry.display_name} (this run)",
                         model=f"{result.params_total:,} parameters")
    table = yardsticks.rows(found)
    run_view.yardstick_table(table if not entry.trainable else [own, *table])
    if entry.trainable and not running:
        text = yardsticks.verdict(result.metrics, {name: r.metrics for name, r in found.items() if r is not None},
                                  name=entry.display_name)
        if text:
            st.warning(text, icon=":material/trending_down:")


@st.fragment(run_every=1.0)
def yardstick_progress(experiments: list[Experiment], manager: JobManager) -> None:
    """How many yardsticks are done; reruns the page when they all are (a fragment: it reruns every second)."""
    jobs = [manager.get(e.key()) for e in experiments]
    if all(j is None or j.finished for j in jobs):
        st.rerun()
    done = sum(j is None or j.finished for j in jobs)
    running = sum(j is not None and j.state == "running" for j in jobs)
    st.progress(done / len(jobs), text=f"Yardsticks: {done} of {len(jobs)} done · {running} fitting · "
                                       f"{len(jobs) - done - running} waiting")


def _final_result(final: Experiment, manager: JobManager) -> tuple[RunResult | None, Job | None]:
    """The final model's run (its finished job's, or the store's) and its job."""
    job = manager.get(final.key())
    return run_view.finished_run(final.key(), job), job


def future_section(experiment: Experiment, result: RunResult, manager: JobManager, ds,
                   levels: tuple[int, ...] = ()) -> None:
    """The forecast past the end of a real series: a network's from its final model (trained on all the data),
    with a caption naming it; while that trains, a line saying so instead of a chart (the evaluated run's own
    forecast, from a model that never saw the last 30% of the series, is not shown as if it were the forecast). A
    forecaster's own future already comes from all the data, and so does a network's that kept its start (the naive
    forecast from the last window, with first differences): its final model, submitted beside it before the outcome
    was known, is not shown, and this person's request for it is withdrawn (it stops unless someone else waits for
    it: a shared instance's worker is not spent on a model nobody will see)."""
    final = yardsticks.final_experiment(experiment)
    if final is not None and yardsticks.kept_start(result.start, experiment.series.scaling):
        job = manager.get(final.key())
        if job is not None and not job.finished:
            manager.cancel(final.key(), state.owner())
        final = None
    if final is None:
        if result.future:
            run_view.future_view(result, experiment, ds, levels=levels)
        return
    found, job = _final_result(final, manager)
    if found is not None and found.future:
        run_view.future_view(found, final, ds, levels=levels, calibration=result)
        return
    series = ds.series
    label = yardsticks.final_label(experiment.model.entry.display_name, int(series.observed.sum()),
                                   series.time_labels([len(series) - 1])[0])
    st.markdown("**Forecast past the end**")
    if job is not None and not job.finished:
        st.info(f"The forecast past the end comes from the final model, {label}: it is training now, and its "
                "forecast appears here when it is done.", icon=":material/hourglass_top:")
        final_progress(final, manager)
        return
    if job is not None and job.state == "failed":
        st.error(f"The final model ({label}) failed: {job.error}", icon=":material/error:")
    else:
        st.info(f"The forecast past the end comes from the final model, {label} with this run's settings. It has "
                "not been trained.", icon=":material/schedule:")
    owner = state.owner()

    def train_final() -> None:
        try:
            manager.submit(final, owner=owner)
        except JobError as exc:
            st.session_state[FINAL_ERROR] = str(exc)

    st.button("Train the final model", key="final_train", on_click=train_final,
              help="The same settings trained on every window of the whole series, for the forecast past its end.")
    refused = st.session_state.pop(FINAL_ERROR, None)
    if refused:
        st.error(f"The final model was not trained: {refused}", icon=":material/hourglass_top:")


@st.fragment(run_every=1.0)
def final_progress(final: Experiment, manager: JobManager) -> None:
    """The final model's progress; reruns the page when it is over (a fragment: it reruns every second)."""
    job = manager.get(final.key())
    if job is None or job.finished:
        st.rerun()
    snap = job.progress()
    text = ("waiting for a free worker" if snap["state"] == "queued" else
            f"epoch {snap['epoch']} of {snap['epochs']}, {snap['elapsed']:.0f} s")
    st.progress(snap["fraction"] if snap["state"] != "queued" else 0.0, text=f"Final model: {text}")
