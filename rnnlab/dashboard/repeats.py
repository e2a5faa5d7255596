"""The cost estimate and the repeats of the Train page: how long a training should take here, and the same
experiment trained with several seeds, shown as mean and spread."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from rnnlab.config import Experiment, limits
from rnnlab.dashboard import run_view, state
from rnnlab.figures.sweeps import repeat_spread
from rnnlab.forecasting import intervals
from rnnlab.jobs import sweeps
from rnnlab.jobs.costs import seconds_text
from rnnlab.jobs.job import JobError
from rnnlab.jobs.manager import JobManager
from rnnlab.store.runs import Repeats, group_repeats, repeat_key

REPEATS_KEY = "repeats_n"  # not a field of the table: no "w_" prefix


def estimate_line(manager: JobManager, experiment: Experiment) -> str | None:
    """Show how long ``experiment`` should take on this instance; returns why it would be refused, if it would."""
    if not experiment.model.entry.trainable:
        return None
    estimate = manager.estimate(experiment)
    source = "" if estimate.calibrated else " (from the shipped two-core figures until this instance has measured " \
                                            "its workers)"
    st.caption(f"Estimated training time: **{estimate.text()}** on one worker · "
               f"{seconds_text(estimate.per_epoch)} per epoch, the first {seconds_text(estimate.first_epoch)} with "
               f"compilation{source}.",
               help="From the model's operation count (its parameters × time steps × windows) and a short "
                    "measurement of each model family on this instance's workers.")
    problem = manager.budget_problem([estimate])
    if problem:
        st.warning(problem[0].upper() + problem[1:] + ".", icon=":material/timer_off:")
    return problem


def repeat_group(experiment: Experiment) -> Repeats | None:
    """The stored runs of ``experiment``'s configuration, whatever their seeds (None when there are none)."""
    wanted = repeat_key(experiment)
    runs = [r for r in run_view.store().list(series=experiment.to_dict()["series"], model=experiment.model.name)
            if repeat_key(r.experiment) == wanted]
    groups = group_repeats(runs)
    return groups[0] if groups else None


def section(experiment: Experiment, manager: JobManager, owner: str) -> None:
    """Repeats: train the experiment with N seeds (each its own job and stored run) and show mean and spread."""
    if not experiment.model.entry.trainable:
        return
    st.subheader("Repeats: is the difference real?")
    st.caption("The training seed decides the first weights and the order of the batches. Training the same "
               "experiment with several seeds shows how much of a score is luck: compare models on the mean, and "
               "trust a difference only when it is larger than the spread.")
    if REPEATS_KEY not in st.session_state:
        st.session_state[REPEATS_KEY] = sweeps.REPEATS.default
    low, high = sweeps.REPEATS.bounds(limits())
    left, right = st.columns([1, 2], vertical_alignment="bottom")
    n = int(left.number_input(sweeps.REPEATS.label, min_value=low, max_value=high, step=1, key=REPEATS_KEY,
                              help=sweeps.REPEATS.help))
    experiments = sweeps.repeats(experiment, n)
    jobs = [manager.get(e.key()) for e in experiments]
    running = [j for j in jobs if j is not None and not j.finished]

    def submit() -> None:
        try:
            for job in manager.submit_batch(experiments, owner=owner):
                state.remember_run(job.key)
        except JobError as exc:
            st.session_state["_repeat_error"] = str(exc)

    seeds = sweeps.seeds(experiment, n)
    right.button(f"Train {n} seeds ({seeds[0]}–{seeds[-1]})" if n > 1 else "Train 1 seed", key="train_repeats",
                 on_click=submit, disabled=bool(running),
                 help="Each seed is its own training (stored ones are not trained again); they run side by side on "
                      "the free workers and count as one request against your limit.")
    refused = st.session_state.pop("_repeat_error", None)
    if refused:
        st.error(refused, icon=":material/hourglass_top:")
    if any(j.key != experiment.key() for j in running):  # the page's own training has its own progress above
        _progress(experiments, manager, owner)
    group = repeat_group(experiment)
    if group is None:
        return
    show(group)


def _progress(experiments: list[Experiment], manager: JobManager, owner: str) -> None:
    @st.fragment(run_every=1.0)
    def live() -> None:
        jobs = [j for j in (manager.get(e.key()) for e in experiments) if j is not None]
        active = [j for j in jobs if not j.finished]
        if not active:
            st.rerun()
        done = len(jobs) - len(active)
        running = sum(j.state == "running" for j in active)
        st.progress(done / max(1, len(experiments)), text=f"Seeds: {done} of {len(experiments)} done · {running} "
                                                          f"training · {len(active) - running} waiting")
        if any(j.asked_by(owner) for j in active) and st.button("Cancel the repeats", key="cancel_repeats"):
            manager.cancel_batch([j.key for j in active], owner)
            st.rerun()

    live()


def show(group: Repeats) -> None:
    """Mean ± spread of a configuration's runs: the numbers, a chart with every seed, a table of the seeds."""
    valid, test = group.valid, group.test
    if valid.n == 1:
        st.info("One seed of this configuration is stored. Train more seeds to see how much the score varies.")
        return
    st.markdown(f"**{valid.n} seeds stored** ({', '.join(str(x) for x in group.seeds)}). "
                f"Validation MSE **{valid.text(5)}** (mean ± sd; from {valid.low:.5f} to {valid.high:.5f}), "
                f"test MSE **{test.text(5)}** (from {test.low:.5f} to {test.high:.5f}).")
    fig = repeat_spread([{"label": group.first.experiment.describe(), "valid": list(valid.values),
                                "test": list(test.values)}],
                              title="Every seed, and their mean ± sd")
    ensembled = ensemble_scores(group)
    if ensembled is not None:
        mase = f", test MASE **{ensembled['test']['mase']:.4f}**" if "mase" in ensembled["test"] else ""
        better = "better" if ensembled["valid"]["mse"] < valid.mean else "no better"
        st.markdown(f"**Ensemble**: the mean of the {valid.n} seeds' forecasts scores validation MSE "
                    f"**{ensembled['valid']['mse']:.5f}**, test MSE **{ensembled['test']['mse']:.5f}**{mase}: {better} "
                    f"on validation than the seeds' mean ({valid.mean:.5f}). Averaging seeds cancels part of each "
                    "one's luck.")
    left, right = st.columns([3, 2])
    left.plotly_chart(fig, key="repeat-spread", theme=None)
    right.dataframe(pd.DataFrame([{"seed": r.experiment.train.seed, "valid MSE": r.val_mse, "test MSE": r.test_mse}
                                  for r in group.runs]),
                    hide_index=True, width="stretch",
                    column_config={"valid MSE": st.column_config.NumberColumn(format="%.6f"),
                                   "test MSE": st.column_config.NumberColumn(format="%.6f")})


def ensemble_scores(group: Repeats) -> dict[str, dict[str, float]] | None:
    """The scores of the mean of the group's forecasts (validation and test, in the series' units, MASE on a
    real series), from the stored runs; None when a run's forecasts cannot be read or do not line up."""
    results = [run_view.load_result(r.key) for r in group.runs]
    if any(r is None for r in results):
        return None
    experiment = group.first.experiment
    try:
        return intervals.ensemble_scores([r.predictions for r in results],
                                         run_view.dataset(experiment.to_dict()["series"]), experiment.series.horizon)
    except ValueError:  # a run without forecasts, or stored from other windows
        return None


def spread_rows(groups: list[Repeats], top: int = 8) -> list[dict[str, Any]]:
    """Rows for :func:`rnnlab.figures.sweeps.repeat_spread`: the best ``top`` configurations that have repeats."""
    repeated = sorted([g for g in groups if len(g.runs) > 1], key=lambda g: g.valid.mean)[:top]
    return [{"label": g.label.replace(f" ×{len(g.runs)} seeds", f" ×{len(g.runs)}"), "valid": list(g.valid.values),
             "test": list(g.test.values)} for g in repeated]
