"""Plotly figures, by subject. Plain data in, ``go.Figure`` out; no Streamlit."""
