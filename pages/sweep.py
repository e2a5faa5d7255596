"""Sweep: train a grid of settings (each with several seeds) as one batch, and see what each knob does."""

import pandas as pd
import streamlit as st

from rnnlab.jobs import sweeps
from rnnlab.config import FIELDS, limits
from rnnlab.jobs.costs import seconds_text
from rnnlab.dashboard import run_view, state, sweep_view, widgets
from rnnlab.errors import FieldError
from rnnlab.jobs.manager import JobError, get_manager

st.title("Sweep")
st.caption("Vary one setting or a few, train every combination with several seeds, and see what each knob does: "
           "the chapter's lessons are all of the form *more of X gives Y*. Each training is an ordinary run: the "
           "ones stored before are not trained again.")
experiment = state.current_experiment()
notes = st.container()
owner = state.owner()
manager = get_manager()

FIELDS_KEY, REPEATS_KEY, SAMPLE_KEY, SUBMITTED = "sweep_fields", "sweep_repeats", "sweep_sample", "_sweep_submitted"


def values_key(name: str) -> str:
    return f"sweep_values_{name}"


settings, output = st.columns([1, 2.2], gap="large")
with settings:
    state.seed_widgets(experiment)
    widgets.model_controls()
    with st.expander("Training", expanded=False):
        widgets.train_controls()
    experiment = widgets.apply(experiment)
    allowed = sweeps.sweepable(experiment)
    names = [f.name for f in allowed]

    # A link with a grid sets the widgets once (the URL is untrusted: a bad grid is named, not used).
    url_grid = st.query_params.get(sweep_view.GRID_PARAM)
    signature = (url_grid, st.query_params.get(sweep_view.REPEATS_PARAM), st.query_params.get(sweep_view.SAMPLE_PARAM))
    if url_grid and st.session_state.get("_sweep_url_seen") != signature:
        st.session_state["_sweep_url_seen"] = signature
        try:
            linked = sweep_view.parse_grid_text(experiment, url_grid)
            st.session_state[FIELDS_KEY] = list(linked)
            for name, values in linked.items():
                st.session_state[values_key(name)] = sweep_view.grid_text({name: values}).split("=", 1)[1]
        except FieldError as exc:
            notes.warning(f"The link's sweep could not be used: {exc}", icon=":material/warning:")
        for key, param, field in ((REPEATS_KEY, sweep_view.REPEATS_PARAM, sweeps.REPEATS),
                                  (SAMPLE_KEY, sweep_view.SAMPLE_PARAM, sweeps.SAMPLE)):
            raw = st.query_params.get(param)
            if raw is not None:
                try:
                    st.session_state[key] = field.check(field.parse(raw), limits())
                except FieldError as exc:
                    notes.warning(f"The link's {param} could not be used: {exc}", icon=":material/warning:")

    if FIELDS_KEY not in st.session_state:
        preferred = [n for n in ("units", "filters", "learning_rate", "epochs") if n in names]
        st.session_state[FIELDS_KEY] = preferred[:1] or names[:1]
    st.session_state[FIELDS_KEY] = [n for n in st.session_state[FIELDS_KEY] if n in names]
    chosen = st.multiselect("Settings to vary", names, key=FIELDS_KEY, max_selections=sweeps.MAX_SWEEP_FIELDS,
                            format_func=lambda n: FIELDS[n].label,
                            help=f"Up to {sweeps.MAX_SWEEP_FIELDS} settings of {experiment.model.name} and its data; "
                                 "every combination of their values is trained.")
    flat = experiment.to_flat()
    for name in chosen:
        field = FIELDS[name]
        if values_key(name) not in st.session_state:
            st.session_state[values_key(name)] = sweep_view.suggested_values(field, flat.get(name), experiment)
        sep = sweeps.value_separator(field)
        st.text_input(f"{field.label}: values", key=values_key(name),
                      help=f"{field.help} Values separated by {sep!r} "
                           f"({'each a list of whole numbers' if field.kind == 'ints' else 'each'} "
                           f"allowed {field.allowed(limits())}); at most {sweeps.MAX_VALUES}.")
    cols = st.columns(2)
    for col, key, field in ((cols[0], REPEATS_KEY, sweeps.REPEATS), (cols[1], SAMPLE_KEY, sweeps.SAMPLE)):
        if key not in st.session_state:
            st.session_state[key] = field.default
        low, high = field.bounds(limits())
        col.number_input(field.label, min_value=low, max_value=high, step=1, key=key, help=field.help)
with notes:
    state.show_notes(experiment)

with output:
    if not chosen:
        st.info("Pick at least one setting to vary on the left.")
        st.stop()
    try:
        grid = sweeps.parse_grid(experiment, [f"{n}={st.session_state[values_key(n)]}" for n in chosen])
        sweep = sweeps.Sweep.make(experiment, grid, repeats=st.session_state[REPEATS_KEY],
                                  sample=st.session_state[SAMPLE_KEY])
        experiments = sweep.experiments()
    except FieldError as exc:
        st.error(f"This sweep cannot be used: {exc}", icon=":material/block:")
        st.stop()
    for param, value in ((sweep_view.GRID_PARAM, sweep_view.grid_text(grid)),
                         (sweep_view.REPEATS_PARAM, str(sweep.repeats)), (sweep_view.SAMPLE_PARAM, str(sweep.sample))):
        if st.query_params.get(param) != value:
            st.query_params[param] = value
    st.session_state["_sweep_url_seen"] = (sweep_view.grid_text(grid), str(sweep.repeats), str(sweep.sample))

    store = run_view.store()
    keys = [e.key() for e in experiments]
    stored = {r.key: r for r in store.list(model=experiment.model.name) if r.key in set(keys)}
    todo = [e for e in experiments if e.key() not in stored]
    estimates = [manager.estimate(e) for e in todo]
    total = sum(e.total for e in estimates)
    workers = max(1, manager.settings.worker_count() if not manager.settings.scheduler else 1)
    st.subheader(sweep.describe())
    st.caption(f"{len(stored)} of {len(experiments)} trainings are stored already; {len(todo)} to train"
               + (f", about {seconds_text(total)} of training in all" if todo else "")
               + (f", about {seconds_text(total / workers)} on this instance's {workers} workers if nobody else is "
                  "training" if todo and workers > 1 else "") + ".")
    problem = manager.budget_problem(estimates, len(experiments))
    if problem:
        st.warning(problem[0].upper() + problem[1:] + ".", icon=":material/timer_off:")
    jobs = [manager.get(k) for k in keys]
    running = [j for j in jobs if j is not None and not j.finished]

    def submit() -> None:
        try:
            manager.submit_batch(experiments, owner=owner)
            for key in keys:
                state.remember_run(key)
            st.session_state[SUBMITTED] = keys
        except JobError as exc:
            st.session_state["_sweep_error"] = str(exc)

    left, right = st.columns(2)
    left.button(f"Start the sweep ({len(todo)} to train)" if todo else "Every training is stored", type="primary",
                key="sweep_start", on_click=submit, disabled=bool(problem) or not todo or bool(running),
                help="Queued as one request: trainings run side by side on the free workers, the next one always "
                     "going to whoever has the fewest running.")
    refused = st.session_state.pop("_sweep_error", None)
    if refused:
        st.error(refused, icon=":material/hourglass_top:")
    def cancel() -> None:
        stopped = manager.cancel_batch([j.key for j in running], owner)
        st.session_state["_sweep_cancelled"] = f"Cancelled {stopped} training{'s' if stopped != 1 else ''}; the " \
                                               "finished ones stay stored."

    if running and any(j.asked_by(owner) for j in running):
        right.button("Cancel the sweep", key="sweep_cancel", on_click=cancel,
                     help="Withdraws every training of this sweep that has not finished (finished ones stay).")
    cancelled = st.session_state.pop("_sweep_cancelled", None)
    if cancelled:  # a message, not a toast: a toast can be lost in the rerun that follows the click
        st.success(cancelled, icon=":material/cancel:")

    @st.fragment(run_every=1.0 if running else None)
    def results() -> None:
        current = [manager.get(k) for k in keys]
        active = [j for j in current if j is not None and not j.finished]
        finished = {r.key: r for r in store.list(model=experiment.model.name) if r.key in set(keys)}
        if active:
            n_running = sum(j.state == "running" for j in active)
            failed = sum(j is not None and j.state == "failed" for j in current)
            st.progress(len(finished) / len(keys),
                        text=f"{len(finished)} of {len(keys)} trainings done · {n_running} training · "
                             f"{len(active) - n_running} waiting" + (f" · {failed} failed" if failed else ""))
        elif running:
            st.rerun()  # the last one finished: redraw the whole page (buttons, caption)
        rows = sweeps.cell_rows(sweep, finished)
        if not any(r["done"] for r in rows):
            st.info("No results yet. Start the sweep: results appear here as its trainings finish.")
            return
        fig = sweep_view.chart(sweep, rows)
        if fig is not None:
            st.plotly_chart(fig, key="sweep-chart", theme=None)
        table = pd.DataFrame(sweep_view.table_rows(sweep, rows))
        st.dataframe(table, hide_index=True, width="stretch", column_config={
            "valid MSE": st.column_config.NumberColumn(format="%.6f", help="Mean over the finished seeds"),
            "valid ±": st.column_config.NumberColumn(format="%.6f", help="Standard deviation over the seeds"),
            "test MSE": st.column_config.NumberColumn(format="%.6f", help="Mean over the finished seeds"),
            "test ±": st.column_config.NumberColumn(format="%.6f", help="Standard deviation over the seeds"),
            "run": st.column_config.LinkColumn("run", display_text="open", help="Open the cell's first seed on the "
                                                                                "Train page")})
        best = sweeps.best_row(rows)
        if best is not None:
            st.success(f"Best so far: **{best['cell']}**, validation MSE {best['valid'].text(5)} over "
                       f"{best['done']} seed{'s' if best['done'] != 1 else ''}.", icon=":material/trophy:")
            if st.button("Open the best configuration in Train", key="sweep_open_best"):
                chosen_exp = best["experiment"]
                state.set_experiment(chosen_exp)
                state.seed_widgets(chosen_exp, overwrite=True)
                st.switch_page("pages/train.py")

    results()
