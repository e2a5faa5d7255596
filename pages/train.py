"""Train: pick a model and its settings, train it in the background, watch it learn, see how it forecasts."""

import streamlit as st

from rnnlab.dashboard import run_view, state, training_view, uploads, widgets
from rnnlab.jobs.manager import get_manager

st.title("Train a model")
experiment = state.current_experiment()
notes = st.container()  # filled once the widgets have had their say

settings, output = st.columns([1, 2.2], gap="large")
with settings:
    experiment = widgets.experiment_controls(experiment, training_expanded=True)
    st.caption(f"Data: {run_view.describe_data(experiment)}. Change it on the Data page.")
    st.page_link("pages/data.py", label="Data settings", icon=":material/show_chart:")
    uploads.share(experiment, here="train", expanded=False)
    training_view.search_link(experiment)
with notes:
    state.show_notes(experiment)

with output:
    training_view.section(experiment, get_manager(), state.owner())
