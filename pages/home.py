"""Home page (placeholder until the dashboard pages land)."""

import streamlit as st

from rnnlab.models import REGISTRY

st.title("rnnlab")
st.write(
    "An interactive lab for forecasting time series with recurrent networks, after chapter 15 of "
    "*Hands-On Machine Learning*. The training pages are on their way; meanwhile the command line "
    "(`python -m rnnlab list | train | reproduce`) trains every model of the chapter."
)
st.subheader("Models")
st.table([{"model": e.display_name, "name": e.name, "modes": ", ".join(e.modes), "what it is": e.description}
          for e in REGISTRY.values()])
