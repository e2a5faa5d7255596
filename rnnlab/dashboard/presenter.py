"""Presenter mode (``?present=1``): no page menu, no controls, type and charts sized for the back of a room.

Each part goes through Streamlit's public API (1.67): ``st.navigation(position="hidden")`` draws no page menu and
``st.set_page_config(initial_sidebar_state="collapsed")`` keeps the sidebar shut (both in app.py);
the page runs inside ``st.container(key=KEY)``, which Streamlit marks with the documented CSS class
``st-key-<key>``, and :data:`CSS` enlarges the text inside it by plain HTML tags (headings, paragraphs, table
cells, buttons); figures are enlarged by :func:`rnnlab.figures.style.for_projector`. The pages drop their own
controls (:func:`active`).
"""

from __future__ import annotations

import contextlib
from typing import ContextManager

import streamlit as st

from rnnlab.figures.style import for_projector

#: The key of the container the page runs in, in presenter mode (its CSS class is ``st-key-presenter``).
KEY = "presenter"
_SCOPE = f".st-key-{KEY}"
CSS = f"""
<style>
  {_SCOPE} p, {_SCOPE} li {{ font-size: 1.6rem !important; line-height: 1.45; }}
  {_SCOPE} h1 {{ font-size: 3.2rem !important; }}
  {_SCOPE} h2, {_SCOPE} h3 {{ font-size: 2.2rem !important; }}
  {_SCOPE} td, {_SCOPE} th {{ font-size: 1.4rem !important; }}
  {_SCOPE} button p {{ font-size: 1.5rem !important; }}
</style>
"""
#: Figure font size in presenter mode (charts are read from afar).
FIGURE_FONT = 20


def active() -> bool:
    """True when the URL asks for presenter mode (``present=1``; anything else is ignored)."""
    return st.query_params.get("present") == "1"


def frame(present: bool) -> ContextManager:
    """Where the page runs: in presenter mode a container whose text :data:`CSS` enlarges, otherwise the page."""
    if not present:
        return contextlib.nullcontext()
    st.html(CSS)
    return st.container(key=KEY)


def style_figure(fig, present: bool):
    """Enlarge a Plotly figure's text in presenter mode; unchanged otherwise."""
    return for_projector(fig, FIGURE_FONT) if present else fig
