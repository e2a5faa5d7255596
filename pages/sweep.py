"""Sweep: train a grid of settings (each with several seeds) as one batch, and see what each knob does."""

import streamlit as st

from rnnlab.dashboard import state, sweep_view, widgets
from rnnlab.jobs.manager import get_manager

st.title("Sweep")
st.caption("Vary one setting or a few, train every combination with several seeds, and see what each knob does: "
           "the chapter's lessons are all of the form *more of X gives Y*. Each training is an ordinary run: the "
           "ones stored before are not trained again.")
experiment = state.current_experiment()
notes = st.container()  # the link's problems and the limits' notes, once the widgets have had their say

settings, output = st.columns([1, 2.2], gap="large")
with settings:
    experiment = widgets.experiment_controls(experiment, training_expanded=False)
    chosen = sweep_view.grid_controls(experiment, notes)
with notes:
    state.show_notes(experiment)

with output:
    planned = sweep_view.sweep_from_controls(experiment, chosen)
    if planned is None:
        st.stop()
    sweep, experiments = planned
    sweep_view.run_panel(sweep, experiments, get_manager(), state.owner())
