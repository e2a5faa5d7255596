"""rnnlab's Streamlit entry point: page configuration and navigation, nothing else."""

import streamlit as st

from rnnlab.dashboard import presenter

present = presenter.active()
st.set_page_config(page_title="rnnlab", page_icon=":material/ssid_chart:", layout="wide",
                   initial_sidebar_state="collapsed" if present else "auto")
pages = [
    st.Page("pages/home.py", title="Home", icon=":material/home:", default=True),
    st.Page("pages/lessons.py", title="Lessons", icon=":material/school:"),
    st.Page("pages/data.py", title="Data", icon=":material/show_chart:"),
    st.Page("pages/train.py", title="Train", icon=":material/model_training:"),
    st.Page("pages/compare.py", title="Compare", icon=":material/leaderboard:"),
    st.Page("pages/sweep.py", title="Sweep", icon=":material/grid_on:"),
    st.Page("pages/inspect.py", title="Inspect", icon=":material/biotech:"),
    st.Page("pages/board.py", title="Class board", icon=":material/groups:"),
]
page = st.navigation(pages, position="hidden" if present else "sidebar")
with presenter.frame(present):
    page.run()
