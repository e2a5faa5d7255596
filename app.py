"""rnnlab's Streamlit entry point: page configuration and navigation, nothing else."""

import streamlit as st

st.set_page_config(page_title="rnnlab", page_icon="〰️", layout="wide")
pages = [
    st.Page("pages/home.py", title="Home", icon="🏠", default=True),
    st.Page("pages/data.py", title="Data", icon="📈"),
    st.Page("pages/train.py", title="Train", icon="🏋️"),
    st.Page("pages/compare.py", title="Compare", icon="📊"),
    st.Page("pages/inspect.py", title="Inspect", icon="🔬"),
]
st.navigation(pages).run()
