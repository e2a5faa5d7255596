"""The Sweep page's pieces: the grid as widgets (seeded once from a link), the sweep's plan and its start and
cancel buttons, and the results as a table and a chart that suits the number of fields swept (a line with error
bars, a heat map, parallel coordinates)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from rnnlab.config import FIELDS, Experiment, Field, limits
from rnnlab.dashboard import run_view, state
from rnnlab.errors import FieldError
from rnnlab.figures.sweeps import sweep_heatmap, sweep_line, sweep_parallel
from rnnlab.jobs import sweeps
from rnnlab.jobs.costs import seconds_text
from rnnlab.jobs.job import JobError
from rnnlab.jobs.manager import JobManager

FIELDS_KEY, REPEATS_KEY, SAMPLE_KEY = "sweep_fields", "sweep_repeats", "sweep_sample"
LINK_SEEN, ERROR, CANCELLED = "_sweep_url_seen", "_sweep_error", "_sweep_cancelled"
#: The settings a new sweep varies first, the first of them this model has.
PREFERRED = ("units", "filters", "learning_rate", "epochs")


def values_key(name: str) -> str:
    """The session-state key of the text input that holds field ``name``'s values."""
    return f"sweep_values_{name}"


def suggested_values(field: Field, value: Any, experiment: Experiment) -> str:
    """A first grid for ``field`` around ``experiment``'s ``value``, written as its text input expects."""
    sep = sweeps.value_separator(field)
    if field.kind == "choice":
        if field.name == "mode":  # the modes this model offers at this horizon
            one = experiment.series.horizon == 1
            options = [m for m in experiment.model.entry.modes if (m in ("one_step", "seq2seq")) == one
                       or (not one and m != "one_step")]
        else:
            options = list(field.options())
        return sep.join(options[:4])
    low, high = field.bounds(limits())
    if field.kind == "ints":
        return field.widget_value(value)
    if field.kind == "int":
        candidates = sorted({max(low, min(high, v)) for v in (value // 2 or 1, value, value * 2)})
        return sep.join(str(v) for v in candidates)
    if field.name in ("learning_rate",):
        candidates = sorted({max(low, min(high, round(value * f, 10))) for f in (0.3, 1, 3)})
    else:
        candidates = sorted({max(low, min(high, round(value * f, 10))) for f in (0.5, 1, 2)})
    return sep.join(f"{v:g}" for v in candidates)


def seed_from_link(experiment: Experiment, notes: Any) -> None:
    """Set the grid's widgets from the link once per link (a bad part is named in ``notes``, not used)."""
    params = {p: st.query_params.get(p) for p in (sweeps.GRID_PARAM, sweeps.REPEATS_PARAM, sweeps.SAMPLE_PARAM)}
    signature = tuple(params.values())
    if not params[sweeps.GRID_PARAM] or st.session_state.get(LINK_SEEN) == signature:
        return
    st.session_state[LINK_SEEN] = signature
    linked = sweeps.read_link(experiment, params)
    if linked.grid is not None:
        st.session_state[FIELDS_KEY] = list(linked.grid)
        for name, values in linked.grid.items():
            st.session_state[values_key(name)] = sweeps.grid_text({name: values}).split("=", 1)[1]
    for key, value in ((REPEATS_KEY, linked.repeats), (SAMPLE_KEY, linked.sample)):
        if value is not None:
            st.session_state[key] = value
    for problem in linked.problems:
        notes.warning(problem, icon=":material/warning:")


def grid_controls(experiment: Experiment, notes: Any) -> list[str]:
    """The settings to vary, their values, the repeats and the sample; returns the names of the fields chosen."""
    names = [f.name for f in sweeps.sweepable(experiment)]
    seed_from_link(experiment, notes)
    if FIELDS_KEY not in st.session_state:
        preferred = [n for n in PREFERRED if n in names]
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
            st.session_state[values_key(name)] = suggested_values(field, flat.get(name), experiment)
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
    return chosen


def sweep_from_controls(experiment: Experiment, chosen: list[str]) -> tuple[sweeps.Sweep, list[Experiment]] | None:
    """The sweep the widgets describe and its trainings, written to the link; None (and why, on the page) when there
    is none."""
    if not chosen:
        st.info("Pick at least one setting to vary on the left.")
        return None
    try:
        grid = sweeps.parse_grid(experiment, [f"{n}={st.session_state[values_key(n)]}" for n in chosen])
        sweep = sweeps.Sweep.make(experiment, grid, repeats=st.session_state[REPEATS_KEY],
                                  sample=st.session_state[SAMPLE_KEY])
        experiments = sweep.experiments()
    except FieldError as exc:
        st.error(f"This sweep cannot be used: {exc}", icon=":material/block:")
        return None
    link = sweep.link_params()
    for param, value in link.items():
        if st.query_params.get(param) != value:
            st.query_params[param] = value
    st.session_state[LINK_SEEN] = tuple(link.values())
    return sweep, experiments


def plan_caption(sweep: sweeps.Sweep, experiments: list[Experiment], todo: list[Experiment],
                 manager: JobManager) -> str | None:
    """Say how much of the sweep is stored and how long the rest should take; returns why it would be refused."""
    estimates = manager.estimates(todo)
    total = sum(e.total for e in estimates)
    workers = max(1, manager.settings.worker_count() if not manager.settings.scheduler else 1)
    st.subheader(sweep.describe())
    stored = len(experiments) - len(todo)
    st.caption(f"{stored} of {len(experiments)} trainings are stored already; {len(todo)} to train"
               + (f", about {seconds_text(total)} of training in all" if todo else "")
               + (f", about {seconds_text(total / workers)} on this instance's {workers} workers if nobody else is "
                  "training" if todo and workers > 1 else "") + ".")
    problem = manager.budget_problem(estimates, len(experiments))
    if problem:
        st.warning(problem[0].upper() + problem[1:] + ".", icon=":material/timer_off:")
    return problem


def run_panel(sweep: sweeps.Sweep, experiments: list[Experiment], manager: JobManager, owner: str) -> None:
    """The sweep's plan, its start and cancel buttons, and its results as they come in."""
    keys = [e.key() for e in experiments]
    model = sweep.base.model.name
    stored = {r.key for r in run_view.store().list(model=model) if r.key in set(keys)}
    todo = [e for e in experiments if e.key() not in stored]
    problem = plan_caption(sweep, experiments, todo, manager)
    running = [j for j in (manager.get(k) for k in keys) if j is not None and not j.finished]

    def submit() -> None:
        try:
            manager.submit_batch(experiments, owner=owner)
            for key in keys:
                state.remember_run(key)
        except JobError as exc:
            st.session_state[ERROR] = str(exc)

    def cancel() -> None:
        stopped = manager.cancel_batch([j.key for j in running], owner)
        st.session_state[CANCELLED] = f"Cancelled {stopped} training{'s' if stopped != 1 else ''}; the " \
                                      "finished ones stay stored."

    left, right = st.columns(2)
    left.button(f"Start the sweep ({len(todo)} to train)" if todo else "Every training is stored", type="primary",
                key="sweep_start", on_click=submit, disabled=bool(problem) or not todo or bool(running),
                help="Queued as one request: trainings run side by side on the free workers, taking turns with "
                     "everyone else's waiting trainings.")
    refused = st.session_state.pop(ERROR, None)
    if refused:
        st.error(refused, icon=":material/hourglass_top:")
    if running and any(j.asked_by(owner) for j in running):
        right.button("Cancel the sweep", key="sweep_cancel", on_click=cancel,
                     help="Withdraws every training of this sweep that has not finished (finished ones stay).")
    cancelled = st.session_state.pop(CANCELLED, None)
    if cancelled:  # a message, not a toast: a toast can be lost in the rerun that follows the click
        st.success(cancelled, icon=":material/cancel:")
    st.fragment(run_every=1.0 if running else None)(results)(sweep, keys, manager, bool(running))


def results(sweep: sweeps.Sweep, keys: list[str], manager: JobManager, was_running: bool) -> None:
    """Progress while trainings run, then the chart, the table and the best cell so far (a fragment: it reruns
    every second while the sweep runs)."""
    current = [manager.get(k) for k in keys]
    active = [j for j in current if j is not None and not j.finished]
    finished = {r.key: r for r in run_view.store().list(model=sweep.base.model.name) if r.key in set(keys)}
    if active:
        n_running = sum(j.state == "running" for j in active)
        failed = sum(j is not None and j.state == "failed" for j in current)
        st.progress(len(finished) / len(keys),
                    text=f"{len(finished)} of {len(keys)} trainings done · {n_running} training · "
                         f"{len(active) - n_running} waiting" + (f" · {failed} failed" if failed else ""))
    elif was_running:
        st.rerun()  # the last one finished: redraw the whole page (buttons, caption)
    rows = sweeps.cell_rows(sweep, finished)
    if not any(r["done"] for r in rows):
        st.info("No results yet. Start the sweep: results appear here as its trainings finish.")
        return
    fig = chart(sweep, rows)
    if fig is not None:
        st.plotly_chart(fig, key="sweep-chart", theme=None)
    st.dataframe(pd.DataFrame(table_rows(sweep, rows)), hide_index=True, width="stretch", column_config={
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
            state.set_experiment(best["experiment"])
            state.seed_widgets(best["experiment"], overwrite=True)
            st.switch_page("pages/train.py")


def run_link(experiment: Experiment) -> str:
    """A link that opens ``experiment`` on the Train page (its stored result, or a Train button); on an uploaded
    series it carries the series' link key (the link opens in a new tab, a session of its own)."""
    return "train?" + urlencode(state.link_params(experiment))


def table_rows(sweep: sweeps.Sweep, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The results table: one row per cell, its values, seeds done, mean ± sd, and a link to its first run."""
    out = []
    best = sweeps.best_row(rows)
    for row in rows:
        out.append({**{FIELDS[f].label: sweeps.value_text(row[f]) for f in sweep.fields},
                    "seeds": f"{row['done']} of {row['repeats']}",
                    "valid MSE": row["valid"].mean if row["done"] else None,
                    "valid ±": row["valid"].std if row["done"] > 1 else None,
                    "test MSE": row["test"].mean if row["done"] else None,
                    "test ±": row["test"].std if row["done"] > 1 else None,
                    "best": "★" if row is best else "",
                    "run": run_link(row["experiment"])})
    return out


def chart(sweep: sweeps.Sweep, rows: list[dict[str, Any]]) -> go.Figure | None:
    """The chart that suits the sweep: a line with error bars for one field, a heat map for two, parallel
    coordinates for more. None until a cell has results."""
    done = [r for r in rows if r["done"]]
    if not done:
        return None
    names = sweep.fields
    if len(names) == 1:
        field = FIELDS[names[0]]
        xs = [r[names[0]] for r in done]
        if field.kind == "ints":
            xs = [sweeps.value_text(x) for x in xs]
        numeric = all(isinstance(x, (int, float)) for x in xs)
        log_x = numeric and min(xs) > 0 and max(xs) / min(xs) >= 8
        return sweep_line(xs, [{"label": r["cell"], "valid": list(r["valid"].values),
                                "test": list(r["test"].values)} for r in done],
                          field_label=field.label, log_x=log_x,
                          title=f"Validation and test MSE against {field.label.lower()} (mean ± sd over seeds)")
    if len(names) == 2:
        fx, fy = FIELDS[names[0]], FIELDS[names[1]]
        xs, ys = [v for v in dict(sweep.grid)[names[0]]], [v for v in dict(sweep.grid)[names[1]]]
        means: list[list[float | None]] = [[None] * len(xs) for _ in ys]
        sds: list[list[float | None]] = [[None] * len(xs) for _ in ys]
        for r in done:
            if r[names[0]] in xs and r[names[1]] in ys:
                i, j = ys.index(r[names[1]]), xs.index(r[names[0]])
                means[i][j], sds[i][j] = r["valid"].mean, r["valid"].std
        return sweep_heatmap([sweeps.value_text(x) for x in xs], [sweeps.value_text(y) for y in ys], means, sds=sds,
                             x_label=fx.label, y_label=fy.label,
                             title="Mean validation MSE (± sd over seeds); darker is better")
    columns = {FIELDS[n].label: [r[n] if FIELDS[n].kind != "ints" else sweeps.value_text(r[n]) for r in done]
               for n in names}
    return sweep_parallel(columns, [r["valid"].mean for r in done])
