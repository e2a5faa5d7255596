"""Lessons: the chapter's path, one step per screen, every figure from stored runs, ours beside the book's."""

import numpy as np
import pandas as pd
import streamlit as st

from rnnlab.models import anatomy

from rnnlab.lessons import beatbook

from rnnlab.lessons import guide as lessons

from rnnlab.figures import all as plots
from rnnlab.dashboard import presenter, run_view, state

present = presenter.active()

index, lesson = lessons.get_lesson(st.query_params.get("lesson"))
style = lambda fig: presenter.style_figure(fig, present)  # noqa: E731


def go_to(i: int) -> None:
    st.query_params["lesson"] = lessons.LESSONS[i].id


if not present:
    st.session_state["lesson_pick"] = index  # the URL (next/previous, links) decides which lesson shows
    st.selectbox("Lesson", range(len(lessons.LESSONS)), key="lesson_pick",
                 format_func=lambda i: f"{i + 1}. {lessons.LESSONS[i].title}",
                 on_change=lambda: go_to(st.session_state["lesson_pick"]),
                 help="The chapter's path. Add ?present=1 to the address for the projector.")
st.title(f"{index + 1}. {lesson.title}")
st.markdown(lesson.text)
if not present:
    state.show_notes()

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

if lesson.id == "data" or (len(done) == 1 and done[0][2].params_total == 0):
    spec = (done[0][1] if done else lessons.LESSONS[1].runs[0].experiment()).to_dict()["series"]
    ds = run_view.dataset(spec)
    preds = done[0][2].predictions["valid"] if done else None
    st.plotly_chart(style(plots.series_preview(ds.valid.X, ds.valid.future, predictions=preds, n_series=3,
                                               title="Three validation series and what comes next")),
                    key="lesson-series", theme=None)
elif len(done) == 1:
    run, exp, result = done[0]
    ds = run_view.dataset(exp.to_dict()["series"])
    left, right = st.columns(2)
    left.plotly_chart(style(plots.series_preview(ds.valid.X, ds.valid.future, predictions=result.predictions["valid"],
                                                 n_series=2, title=f"{run.label}: forecast vs actual")),
                      key="lesson-forecast", theme=None)
    right.plotly_chart(style(plots.loss_curves({run.label: result.history})), key="lesson-loss", theme=None)
elif len(done) > 1:
    naive = done[0][2].naive_metrics["valid"]["mse"]
    rows = [{"label": run.label, "valid_mse": result.val_mse, "test_mse": result.metrics["test"]["mse"]}
            for run, _, result in done if result.params_total > 0]
    left, right = st.columns(2)
    left.plotly_chart(style(plots.mse_bars(rows, naive_mse=naive, log_y=True,
                                           title="Validation and test MSE (log scale, lower is better)")),
                      key="lesson-mse", theme=None)
    multi = {run.label: result.mse_per_step["valid"] for run, _, result in done if result.mse_per_step}
    if multi:
        right.plotly_chart(style(plots.mse_by_step(multi, log_y=True, title="Error grows with the horizon (log scale)")), key="lesson-steps",
                           theme=None)
    else:
        right.plotly_chart(style(plots.loss_curves({run.label: result.history for run, _, result in done
                                                    if result.history}, log_y=True)), key="lesson-loss", theme=None)

for concept in lesson.concepts:
    if concept == "unrolled" and done and "weights" in done[0][2].inspect:
        result = done[0][2]
        st.subheader("The trained neuron, unrolled through time")
        states = np.asarray(result.inspect["hidden_states"]["rnn"])[:, 0]
        st.plotly_chart(style(plots.unrolled_neuron(result.inspect["sample_input"], states, result.inspect["weights"],
                                                    n_show=6)), key="lesson-unrolled", theme=None)
        st.caption("These are the trained weights and the neuron's real outputs on a validation series: the same "
                   "three numbers are applied at every step.")
    elif concept == "bptt":
        st.subheader("Backpropagation through time")
        left, right = st.columns(2)
        left.plotly_chart(style(plots.bptt_diagram(5, outputs="last", title="Loss on the last output only")),
                          key="lesson-bptt-last", theme=None)
        right.plotly_chart(style(plots.bptt_diagram(5, outputs="all", title="Loss on every output (seq2seq)")),
                           key="lesson-bptt-all", theme=None)
        st.caption("Training unrolls the network through time and backpropagates as usual: the gradients flow "
                   "back through every output the loss uses, not just the final one.")
    elif concept == "params" and done:
        run, exp, result = done[-1]
        st.subheader(f"Where {run.label}'s {result.params_total:,} parameters come from")
        rows = anatomy.layer_table(result.layers, exp)
        st.table(pd.DataFrame([{"layer": r["name"], "type": r["type"], "output shape": r["output_shape"],
                                "parameters": f"{r['params']:,}", "formula": r["formula"]} for r in rows])
                 .set_index("layer"))
    elif concept == "wavenet":
        st.subheader("Dilated causal convolutions")
        st.plotly_chart(style(plots.dilated_convolutions(2, (1, 2, 4, 8), n_steps=20)), key="lesson-wavenet",
                        theme=None)
        st.caption("Each layer doubles the dilation: four layers with kernel 2 see 16 steps back, and the book's "
                   "eight layers (1, 2, 4, 8 twice) see 31.")

    elif concept == "beat":
        found = beatbook.load_results()
        if not found or found.get("quick"):
            st.warning("The sweeps have not been run for this installation: `python -m rnnlab beat-the-book` runs "
                       "them (about half an hour on two cores).", icon=":material/hourglass_empty:")
            continue
        for task in found["tasks"]:
            st.subheader(f"{task['title']}: the book's {task['book']:g}, the target {task['target']:.5f}")
            rows, table = [], []
            labels = beatbook.short_labels(task["finalists"])
            for f, label in zip(task["finalists"], labels):
                valid, test = np.asarray(f["valid"]), np.asarray(f["test"])
                rows.append({"label": label.replace(" ", "<br>", 1), "valid": f["valid"], "test": f["test"]})
                table.append({"configuration": f["configuration"],
                              "valid MSE (mean ± sd)": f"{valid.mean():.5f} ± {valid.std(ddof=1):.5f}",
                              "test MSE (mean ± sd)": f"{test.mean():.5f} ± {test.std(ddof=1):.5f}",
                              "vs the book": f"{100 * (valid.mean() / task['book'] - 1):+.0f}%",
                              "beats the target": "yes" if f["beats"] else "no"})
            left, right = st.columns([2, 3])
            fig = plots.repeat_spread(rows, references=[("the book's best", task["book"]),
                                                        ("target, 20% lower", task["target"])],
                                      title=f"{found['seeds']} seeds: each run, mean ± sd")
            left.plotly_chart(style(fig), key=f"lesson-beat-{task['name']}", theme=None)
            right.table(pd.DataFrame(table).set_index("configuration"))
            if not present:
                cols = right.columns(len(task["finalists"]))
                for i, (f, label) in enumerate(zip(task["finalists"], labels)):
                    cols[i].page_link("pages/train.py", label=f"Train {label}", icon=":material/science:",
                                      query_params=f["experiment"])
        st.caption(f"The noise in the series has a "
                   f"variance of {found['noise_floor']:.5f}: no one-step forecast can go lower. Measured "
                   f"{found['generated']} by `python -m rnnlab beat-the-book` (docs/beating-the-book.md has every "
                   "configuration the sweeps tried).")

if lesson.takeaway:
    st.info(lesson.takeaway, icon=":material/lightbulb:")

if not present and lesson.runs:
    st.markdown("**Try it yourself**: open the Train page with this configuration and change what you like.")
    cols = st.columns(min(len(lesson.runs), 4))
    for i, run in enumerate(lesson.runs):
        cols[i % len(cols)].page_link("pages/train.py", label=run.label, icon=":material/science:",
                                      query_params=state.to_query(run.experiment()))

prev_col, _, next_col = st.columns([1, 3, 1])
if index > 0:
    prev_col.button(f"← {lessons.LESSONS[index - 1].title}" if not present else "← Previous", key="lesson_prev",
                    on_click=go_to, args=(index - 1,), width="stretch")
if index < len(lessons.LESSONS) - 1:
    next_col.button("Next →" if present else f"{lessons.LESSONS[index + 1].title} →", key="lesson_next",
                    on_click=go_to, args=(index + 1,), type="primary", width="stretch")
