"""Train: pick a model and its settings, train it in the background, watch it learn, see how it forecasts."""

import streamlit as st

from rnnlab.figures import all as plots
from rnnlab.dashboard import backtest, repeats, run_view, state, widgets
from rnnlab.jobs.manager import JobError, get_manager

st.title("Train a model")
experiment = state.current_experiment()
notes = st.container()  # filled once the widgets have had their say
owner = state.owner()

settings, output = st.columns([1, 2.2], gap="large")
with settings:
    state.seed_widgets(experiment)
    widgets.model_controls()
    with st.expander("Training", expanded=True):
        widgets.train_controls()
    experiment = widgets.apply(experiment)
    st.caption(f"Data: {run_view.describe_data(experiment)}. Change it on the Data page.")
    st.page_link("pages/data.py", label="Data settings", icon=":material/show_chart:")
with notes:
    state.show_notes(experiment)

manager = get_manager()
key = experiment.key()
entry = experiment.model.entry
job = manager.get(key)
running = job is not None and not job.finished
asked = running and job.asked_by(owner)  # looking at a running job is not asking for it
# A finished job of this process holds its result; otherwise the store may have it from an earlier run.
if job is None:
    result = run_view.load_result(key)
else:
    result = job.result() if job.state == "done" else None

with output:
    st.subheader(f"{entry.display_name} · {experiment.describe().split(' · ', 1)[1]}")
    n_params = entry.count_params(experiment)
    st.caption(f"{n_params:,} parameters · experiment {key[:12]}" if n_params is not None else f"experiment {key[:12]}")
    over_budget = repeats.estimate_line(manager, experiment) if result is None and not running else None

    def submit() -> None:
        # A callback runs before the next script run, so that run already draws the button disabled.
        try:
            manager.submit(experiment, owner=owner)
            state.remember_run(key)
        except JobError as exc:
            st.session_state["_train_error"] = str(exc)

    if running and not asked:
        help_text = "Someone is training this exact experiment: join them and watch it finish."
    elif result is None:
        help_text = "Runs in the background on the training cluster; leaving or reloading the page does not stop it."
    else:
        help_text = "This exact experiment was trained before."
    st.button("Join this training" if running and not asked else "Train", type="primary",
              disabled=asked or result is not None or bool(over_budget), key="train", on_click=submit, help=help_text)
    refused = st.session_state.pop("_train_error", None)
    if refused:
        st.error(refused, icon=":material/hourglass_top:")

    if running:
        @st.fragment(run_every=1.0)
        def live_progress() -> None:
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
            cached = st.session_state.get("_live_loss")
            if cached is None or cached[0] != signature:
                cached = (signature, plots.loss_curves({experiment.model.name: snap["history"]}))
                st.session_state["_live_loss"] = cached
            st.plotly_chart(cached[1], key="live-loss", theme=None)
            if current.asked_by(owner) and st.button(
                    "Cancel", key="cancel",
                    help="Withdraws your request; the training stops when nobody else who asked for it waits."):
                manager.cancel(key, owner)
                st.rerun()

        live_progress()
    elif job is not None and job.state == "failed":
        st.error(f"Training failed: {job.error}", icon=":material/error:")
        st.button("Retry", key="retry", on_click=submit)
    elif job is not None and job.state == "cancelled" and result is None:
        st.info("Training was cancelled. Press Train to start again.")

    if result is not None:
        state.remember_run(key)
        if job is None or job.from_store:
            st.success("Stored result: this experiment was trained before, so it is shown at once.", icon=":material/inventory_2:")
        else:
            st.success(f"Trained in {result.train_seconds:.1f} s.", icon=":material/check_circle:")
        run_view.show_result(result, experiment)
        run_view.downloads(result, experiment)
        if experiment.series.real:
            backtest.section(experiment, manager)
    elif not running and not over_budget and (job is None or job.state != "failed"):
        st.info("Not trained yet. Press **Train** to train it in the background; the loss curve updates live.")
    if not over_budget:
        repeats.section(experiment, manager, owner)
