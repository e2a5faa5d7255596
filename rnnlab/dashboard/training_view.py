"""The Train page's training: the experiment's job from request to result. Train (or join someone's training),
follow it epoch by epoch, cancel it, and show the finished run with its yardsticks, backtest and repeats. On a real
series a network's forecast past the end comes from its final model (the same settings trained on all the data),
submitted with it."""

from __future__ import annotations

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

ERROR, LIVE_LOSS = "_train_error", "_live_loss"
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
    # A finished job of this process holds its result; otherwise the store may have it from an earlier run.
    if job is None:
        result = run_view.load_result(key)
    else:
        result = job.result() if job.state == "done" else None

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


@st.fragment(run_every=1.0)
def live_progress(experiment: Experiment, manager: JobManager, owner: str) -> None:
    """The running job's progress and live loss curve, and a Cancel button for those who asked for it (a fragment:
    it reruns every second, and the whole page once the job is over)."""
    key = experiment.key()
    current = manager.get(key)
    if current is None or current.finished:
        st.rerun()
    snap = current.progress()
    askers = f" · asked for by {current.askers} {'person' if current.askers == 1 else 'people'}"
    if snap["state"] == "queued":
        ahead = manager.queue_position(current)
        place = f" ({ahead} training{'s' if ahead != 1 else ''} ahead in the queue)" if ahead else ""
        st.progress(0.0, text=f"Waiting for a free worker…{place}{askers}")
    elif snap["epoch"] == 0:
        st.progress(0.0, text=f"Compiling the model and running the first epoch… {snap['elapsed']:.0f} s"
                              f"{askers}")
    else:
        eta = f" · about {snap['eta']:.0f} s left" if snap["eta"] is not None else ""
        st.progress(snap["fraction"], text=f"Epoch {snap['epoch']} of {snap['epochs']} · "
                                           f"{snap['elapsed']:.0f} s{eta}{askers}")
    # The curve changes once per epoch; the fragment reruns every second for every student watching.
    signature = (key, len(snap["history"]))
    cached = st.session_state.get(LIVE_LOSS)
    if cached is None or cached[0] != signature:
        cached = (signature, loss_curves({experiment.model.name: snap["history"]}))
        st.session_state[LIVE_LOSS] = cached
    st.plotly_chart(cached[1], key="live-loss", theme=None)
    if current.asked_by(owner) and st.button(
            "Cancel", key="cancel",
            help="Withdraws your request; the training stops when nobody else who asked for it waits."):
        manager.cancel(key, owner)
        st.rerun()


def show_result(experiment: Experiment, job: Job | None, result: RunResult, manager: JobManager) -> None:
    """The finished run: where it came from, its metrics and charts, its downloads and, on a real series, its
    backtest."""
    state.remember_run(experiment.key())
    if job is None or job.from_store:
        st.success("Stored result: this experiment was trained before, so it is shown at once.",
                   icon=":material/inventory_2:")
    else:
        st.success(f"Trained in {result.train_seconds:.1f} s.", icon=":material/check_circle:")
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
    forecaster's own future already comes from all the data."""
    final = yardsticks.final_experiment(experiment)
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
