"""Streamlit-side helpers shared by the pages: the only part of rnnlab that imports Streamlit."""
