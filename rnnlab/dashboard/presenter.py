"""Presenter mode (``?present=1``): no sidebar, no controls, type and charts sized for the back of a room."""

from __future__ import annotations

import streamlit as st

from rnnlab.figures import all as plots

CSS = """
<style>
  [data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], header[data-testid="stHeader"] {
    display: none !important;
  }
  .stMainBlockContainer, .block-container { max-width: 96vw; padding-top: 1.5rem; }
  .stMarkdown p, .stMarkdown li { font-size: 1.6rem !important; line-height: 1.45; }
  h1 { font-size: 3.2rem !important; }
  h2, h3 { font-size: 2.2rem !important; }
  [data-testid="stMetricValue"] { font-size: 3rem !important; }
  [data-testid="stMetricLabel"] p { font-size: 1.4rem !important; }
  [data-testid="stTable"] td, [data-testid="stTable"] th { font-size: 1.4rem !important; }
  .stButton button p { font-size: 1.5rem !important; }
</style>
"""


def active() -> bool:
    """True when the URL asks for presenter mode (``present=1``; anything else is ignored)."""
    return st.query_params.get("present") == "1"


def apply() -> bool:
    """In presenter mode, inject the large-type style; returns whether presenter mode is on."""
    on = active()
    if on:
        st.html(CSS)
    return on


#: Figure font size in presenter mode (charts are read from afar).
FIGURE_FONT = 20


def style_figure(fig, present: bool):
    """Enlarge a Plotly figure's text in presenter mode; unchanged otherwise."""
    return plots.for_projector(fig, FIGURE_FONT) if present else fig
