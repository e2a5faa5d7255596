"""Home: what rnnlab is, the chapter's story, where to start, and the training cluster's state."""

import streamlit as st

from rnnlab.dashboard import state
from rnnlab.jobs.manager import get_manager
from rnnlab.store.runstore import RunStore

st.title("rnnlab")
st.markdown(
    "**Forecast time series with recurrent networks, in your browser.** rnnlab follows the time-series part "
    "of chapter 15 of *Hands-On Machine Learning*: the same data, the same models, the same numbers, and "
    "every setting yours to change."
)
st.markdown(
    """
The chapter's story in five steps:
1. **The data**: 10,000 short series, each two sine waves plus noise. Forecast the next value.
2. **Baselines**: repeating the last value (naive) scores an MSE of about 0.020; a linear model with 51
   parameters gets to about 0.004.
3. **A single recurrent neuron** has only 3 parameters and loses to the linear model, which is the point: a
   recurrent layer must have enough units to remember anything.
4. **Deep RNNs** stack recurrent layers and beat both; a Dense output layer makes them faster.
5. **Ten steps ahead**: forecasting one step at a time, all ten at once, or at every time step
   (sequence-to-sequence), with LSTM, GRU, convolutions and WaveNet.
"""
)
st.subheader("Where to start")
cols = st.columns(3)
cols[0].page_link("pages/lessons.py", label="Follow the lessons", icon=":material/school:")
cols[1].page_link("pages/data.py", label="Look at the data", icon=":material/show_chart:")
cols[2].page_link("pages/train.py", label="Train a model", icon=":material/model_training:")

st.subheader("Training cluster")
manager = get_manager()
info, stats = manager.cluster_info(), manager.stats()
cols = st.columns(4)
cols[0].metric("Workers", info["workers"] if info["started"] else "idle",
               help="Worker processes start with the server (or with the first training)." if not info["started"] else None)
cols[1].metric("Jobs running", info["running"])
cols[2].metric("Jobs queued", info["queued"])
cols[3].metric("Stored runs", sum(1 for _ in RunStore().keys()), help="Trained experiments in the run store.")
cols = st.columns(4)
cols[0].metric("Trainings started", stats["started"], help="Since this server started.")
cols[1].metric("Trainings completed", stats["completed"])
cols[2].metric("Shared", stats["joins"] + stats["store_hits"],
               help="Requests answered by a job already running (joins) or by the run store, without training.")
cols[3].metric("Failed or cancelled", stats["failed"] + stats["cancelled"])
st.caption(f"Scheduler: {info['scheduler']}")
if info["lost"]:
    st.warning(info["lost"], icon=":material/cloud_off:")
state.show_notes()
