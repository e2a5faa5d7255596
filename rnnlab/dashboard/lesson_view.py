"""The Lessons page's pieces: the lesson picker, the lesson's stored runs beside the book's numbers, its charts and
concept figures, the beat-the-book results, and the way on. ``present`` (presenter mode) drops every control and
enlarges the figures."""

from __future__ import annotations

from functools import partial
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from rnnlab.config import Experiment
from rnnlab.dashboard import presenter, run_view, state
from rnnlab.figures.inspection import bptt_diagram, dilated_convolutions, unrolled_neuron
from rnnlab.figures.series import series_preview
from rnnlab.figures.sweeps import repeat_spread
from rnnlab.figures.training import loss_curves, mse_bars, mse_by_step
from rnnlab.forecasting import intervals, metrics, yardsticks
from rnnlab.lessons import beatbook, guide
from rnnlab.lessons.guide import Lesson, LessonRun
from rnnlab.models import anatomy
from rnnlab.store.runs import RunResult, Spread

#: A lesson's run with its experiment and stored result.
Done = tuple[LessonRun, Experiment, RunResult]


def go_to(i: int) -> None:
    """Show lesson ``i`` (the URL decides which lesson shows, so links and reloads keep it)."""
    st.query_params["lesson"] = guide.LESSONS[i].id


def picker(index: int) -> None:
    """The select box of every lesson, on lesson ``index``."""
    st.session_state["lesson_pick"] = index  # the URL (next/previous, links) decides which lesson shows
    st.selectbox("Lesson", range(len(guide.LESSONS)), key="lesson_pick",
                 format_func=lambda i: f"{i + 1}. {guide.LESSONS[i].title}",
                 on_change=lambda: go_to(st.session_state["lesson_pick"]),
                 help="The chapter's path. Add ?present=1 to the address for the projector.")


def stored_runs(lesson: Lesson) -> list[Done]:
    """The lesson's runs that are stored (a warning names the others), with a table of them beside the book's."""
    runs = [(run, run.experiment(), run_view.load_result(run.experiment().key())) for run in lesson.runs]
    missing = [run.label for run, _, result in runs if result is None]
    if missing:
        st.warning(f"Not trained yet: {', '.join(missing)}. The operator runs `python -m rnnlab warm` once to have "
                   "every lesson ready (or press Train on the Train page).", icon=":material/hourglass_empty:")
    done = [(run, exp, result) for run, exp, result in runs if result is not None]
    if done:
        table = pd.DataFrame([{
            "model": run.label, "parameters": f"{result.params_total:,}", "our validation MSE": f"{result.val_mse:.5f}",
            "the book's": f"{run.book_mse:g}" if run.book_mse is not None else "–",
        } for run, _, result in done])
        st.table(table.set_index("model"))
    return done


def results(lesson: Lesson, done: list[Done], present: bool) -> None:
    """The lesson's main charts: the data, one run's forecast and learning curve, or several runs compared."""
    style = partial(presenter.style_figure, present=present)
    if lesson.id == "data" or (len(done) == 1 and done[0][2].params_total == 0):
        spec = (done[0][1] if done else guide.LESSONS[1].runs[0].experiment()).to_dict()["series"]
        ds = run_view.dataset(spec)
        preds = done[0][2].predictions["valid"] if done else None
        st.plotly_chart(style(series_preview(ds.valid.X, ds.valid.future, predictions=preds, n_series=3,
                                             title="Three validation series and what comes next")),
                        key="lesson-series", theme=None)
    elif len(done) == 1:
        run, exp, result = done[0]
        ds = run_view.dataset(exp.to_dict()["series"])
        left, right = st.columns(2)
        left.plotly_chart(style(series_preview(ds.valid.X, ds.valid.future, predictions=result.predictions["valid"],
                                               n_series=2, title=f"{run.label}: forecast vs actual")),
                          key="lesson-forecast", theme=None)
        right.plotly_chart(style(loss_curves({run.label: result.history})), key="lesson-loss", theme=None)
    elif len(done) > 1:
        naive = done[0][2].naive_metrics["valid"]["mse"]
        rows = [{"label": run.label, "valid_mse": result.val_mse, "test_mse": result.metrics["test"]["mse"]}
                for run, _, result in done if result.params_total > 0]
        left, right = st.columns(2)
        left.plotly_chart(style(mse_bars(rows, naive_mse=naive, log_y=True,
                                         title="Validation and test MSE (log scale, lower is better)")),
                          key="lesson-mse", theme=None)
        multi = {run.label: result.mse_per_step["valid"] for run, _, result in done if result.mse_per_step}
        if multi:
            right.plotly_chart(style(mse_by_step(multi, log_y=True, title="Error grows with the horizon (log scale)")),
                               key="lesson-steps", theme=None)
        else:
            right.plotly_chart(style(loss_curves({run.label: result.history for run, _, result in done
                                                  if result.history}, log_y=True)), key="lesson-loss", theme=None)


def concept(concept_name: str, done: list[Done], present: bool) -> None:
    """The figure or table that explains concept ``concept_name`` (drawn from the lesson's stored runs where it needs one)."""
    style = partial(presenter.style_figure, present=present)
    if concept_name == "unrolled" and done and "weights" in done[0][2].inspect:
        result = done[0][2]
        st.subheader("The trained neuron, unrolled through time")
        states = np.asarray(result.inspect["hidden_states"]["rnn"])[:, 0]
        st.plotly_chart(style(unrolled_neuron(result.inspect["sample_input"], states, result.inspect["weights"],
                                              n_show=6)), key="lesson-unrolled", theme=None)
        st.caption("These are the trained weights and the neuron's real outputs on a validation series: the same "
                   "three numbers are applied at every step.")
    elif concept_name == "bptt":
        st.subheader("Backpropagation through time")
        left, right = st.columns(2)
        left.plotly_chart(style(bptt_diagram(5, outputs="last", title="Loss on the last output only")),
                          key="lesson-bptt-last", theme=None)
        right.plotly_chart(style(bptt_diagram(5, outputs="all", title="Loss on every output (seq2seq)")),
                           key="lesson-bptt-all", theme=None)
        st.caption("Training unrolls the network through time and backpropagates as usual: the gradients flow "
                   "back through every output the loss uses, not just the final one.")
    elif concept_name == "params" and done:
        run, exp, result = done[-1]
        st.subheader(f"Where {run.label}'s {result.params_total:,} parameters come from")
        rows = anatomy.layer_table(result.layers, exp)
        st.table(pd.DataFrame([{"layer": r["name"], "type": r["type"], "output shape": r["output_shape"],
                                "parameters": f"{r['params']:,}", "formula": r["formula"]} for r in rows])
                 .set_index("layer"))
    elif concept_name == "wavenet":
        st.subheader("Dilated causal convolutions")
        st.plotly_chart(style(dilated_convolutions(2, (1, 2, 4, 8), n_steps=20)), key="lesson-wavenet", theme=None)
        st.caption("Each layer doubles the dilation: four layers with kernel 2 see 16 steps back, and the book's "
                   "eight layers (1, 2, 4, 8 twice) see 31.")
    elif concept_name == "beat":
        beat_the_book(present)
    elif concept_name == "real":
        real_series(done, present)


def real_series(done: list[Done], present: bool) -> None:
    """A real series' lesson: the verdict on each network against the naive forecast, in words, then the best on
    validation with its prediction intervals and diagnostics (the Train page's, at the default levels)."""
    networks = [(run, exp, result) for run, exp, result in done if result.params_total > 0]
    if not networks:
        return
    naive = networks[0][2].naive_metrics["test"]["mae"]
    for run, exp, result in networks:
        mae = result.metrics["test"]["mae"]
        kept = yardsticks.kept_start(result.start, exp.series.scaling)
        if kept:
            verdict = f"{kept}: training did not beat it on validation by more than chance."
        elif metrics.worse(mae, naive):
            verdict = (f"**{mae / naive:.1f} times** the naive forecast's ({naive:.4g}): it loses to repeating the "
                       "last value.")
        else:
            verdict = f"{1 - mae / naive:.0%} below the naive forecast's ({naive:.4g}): it earns its place."
        st.markdown(f"- **{run.label}**: test MAE {mae:.4g}, {verdict}")
    run, exp, result = min(networks, key=lambda d: d[2].val_mse)  # chosen on validation
    st.subheader(f"The best on validation: {run.label}")
    ds = run_view.dataset(exp.to_dict()["series"])
    run_view.intervals_view(result, exp, ds, intervals.DEFAULT_LEVELS)
    run_view.diagnostics_view(result, exp, ds)


def beat_the_book(present: bool) -> None:
    """The beat-the-book sweeps' finalists per task: every seed with its mean ± sd against the book's best and the
    target, and a table (with a Train link per finalist outside presenter mode)."""
    found = beatbook.load_results()
    if not found or found.get("quick"):
        st.warning("The sweeps have not been run for this installation: `python -m rnnlab beat-the-book` runs "
                   "them (about half an hour on two cores).", icon=":material/hourglass_empty:")
        return
    for task in found["tasks"]:
        st.subheader(f"{task['title']}: the book's {task['book']:g}, the target {task['target']:.5f}")
        labels = beatbook.short_labels(task["finalists"])
        rows = [{"label": label.replace(" ", "<br>", 1), "valid": f["valid"], "test": f["test"]}
                for f, label in zip(task["finalists"], labels)]
        left, right = st.columns([2, 3])
        fig = repeat_spread(rows, references=[("the book's best", task["book"]),
                                              ("target, 20% lower", task["target"])],
                            title=f"{found['seeds']} seeds: each run, mean ± sd")
        left.plotly_chart(presenter.style_figure(fig, present), key=f"lesson-beat-{task['name']}", theme=None)
        right.table(pd.DataFrame([finalist_row(f, task["book"]) for f in task["finalists"]]).set_index("configuration"))
        if not present:
            cols = right.columns(len(task["finalists"]))
            for i, (f, label) in enumerate(zip(task["finalists"], labels)):
                cols[i].page_link("pages/train.py", label=f"Train {label}", icon=":material/science:",
                                  query_params=f["experiment"])
    st.caption(f"The noise in the series has a "
               f"variance of {found['noise_floor']:.5f}: no one-step forecast can go lower. Measured "
               f"{found['generated']} by `python -m rnnlab beat-the-book` (docs/beating-the-book.md has every "
               "configuration the sweeps tried).")


def finalist_row(finalist: dict[str, Any], book: float) -> dict[str, str]:
    """A finalist's row of the beat-the-book table: its scores' mean ± sd over the seeds, against the book's."""
    valid, test = Spread(tuple(finalist["valid"])), Spread(tuple(finalist["test"]))
    return {"configuration": finalist["configuration"],
            "valid MSE (mean ± sd)": valid.text(5), "test MSE (mean ± sd)": test.text(5),
            "vs the book": f"{100 * (valid.mean / book - 1):+.0f}%",
            "beats the target": "yes" if finalist["beats"] else "no"}


def try_it(lesson: Lesson) -> None:
    """Links that open each of the lesson's runs on the Train page."""
    st.markdown("**Try it yourself**: open the Train page with this configuration and change what you like.")
    cols = st.columns(min(len(lesson.runs), 4))
    for i, run in enumerate(lesson.runs):
        cols[i % len(cols)].page_link("pages/train.py", label=run.label, icon=":material/science:",
                                      query_params=state.to_query(run.experiment()))


def navigation(index: int, present: bool) -> None:
    """Previous and next buttons (named by their lessons, or plain in presenter mode)."""
    prev_col, _, next_col = st.columns([1, 3, 1])
    if index > 0:
        prev_col.button(f"← {guide.LESSONS[index - 1].title}" if not present else "← Previous", key="lesson_prev",
                        on_click=go_to, args=(index - 1,), width="stretch")
    if index < len(guide.LESSONS) - 1:
        next_col.button("Next →" if present else f"{guide.LESSONS[index + 1].title} →", key="lesson_next",
                        on_click=go_to, args=(index + 1,), type="primary", width="stretch")
