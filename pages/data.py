"""Data: the chapter's series (two sine waves plus noise), how they are split, and the naive baseline."""

import streamlit as st

from rnnlab import data, metrics, plots
from rnnlab.dashboard import run_view, state, widgets

st.title("The data")
experiment = state.current_experiment()
notes = st.container()  # filled once the widgets have had their say

controls, view = st.columns([1, 2.2], gap="large")
with controls:
    st.caption("Every series is two sine waves with random frequencies and phases, plus noise. "
               "The defaults are the book's.")
    state.seed_widgets(experiment)
    widgets.series_controls()
    experiment = widgets.apply(experiment)
with notes:
    state.show_notes(experiment)

s = experiment.series
ds = run_view.dataset(experiment.to_dict()["series"])
n_train, n_valid, n_test = s.split_sizes()
naive_mse = metrics.mse(ds.valid.future, data.naive_forecast(ds.valid.X, s.horizon))

with view:
    n_show = st.slider("Series shown", 1, 6, 3, help="How many validation series to draw.")
    st.plotly_chart(
        plots.series_preview(ds.valid.X, ds.valid.future, n_series=n_show,
                             title=f"{s.n_steps} input steps and the {s.horizon} value(s) to forecast"),
        key="preview", theme=None)
    cols = st.columns(4)
    cols[0].metric("Training series", f"{n_train:,}")
    cols[1].metric("Validation series", f"{n_valid:,}")
    cols[2].metric("Test series", f"{n_test:,}")
    cols[3].metric("Naive forecast MSE", f"{naive_mse:.5f}",
                   help="Validation MSE of repeating the last input value: the baseline every model must beat. "
                        "Computed at once, no training needed.")
    st.caption("Inputs are the first n_steps values of each series; the targets are the values that follow. "
               "Validation series pick the settings; test series are kept apart for the final score.")
    st.page_link("pages/train.py", label="Train a model on this data", icon=":material/model_training:")
