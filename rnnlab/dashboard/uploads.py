"""The Data page's upload panel: read a user's CSV, let them choose its columns and how to read it, keep it.

Nothing uploaded is executed: the file is parsed as text by :mod:`rnnlab.series.csvfile`. A bad file gets a
message naming the problem and where it is; the page (and everyone else's) keeps working. A series in use opens
only with its link key (:mod:`rnnlab.series.catalog`): :func:`share` offers the link that carries it.
"""

from __future__ import annotations

import hashlib

import streamlit as st

from rnnlab.config import Experiment
from rnnlab.dashboard import state, widgets
from rnnlab.errors import FieldError, SeriesError
from rnnlab.series import catalog, csvfile, prepare
from rnnlab.series.grids import GRIDS
from rnnlab.series.prepare import PreparedSeries

ROW_ORDER = "(none: the rows in order)"
DATES = {"auto": "Guess from the dates", "month": "Month first (02/13/2020)", "day": "Day first (13/02/2020)"}
IRREGULAR = {"grid": "Keep its step; gaps become missing values", "resample": "Average over a coarser step",
             "rows": "Ignore the times: rows in order"}


@st.cache_data(max_entries=8, show_spinner="Reading the file…")
def _read(blob: bytes, name: str, time_col: str | None, value_col: str | None, dayfirst: bool | None,
          irregular: str, resample_to: str | None, duplicates: str):
    """The file as a prepared series (cached per content and choices: each rerun of the page does not parse it
    again); SeriesError when it cannot be used."""
    return csvfile.read_series(blob, name=name, time_col=time_col, value_col=value_col, dayfirst=dayfirst,
                               irregular=irregular, resample_to=resample_to, duplicates=duplicates)


@st.cache_data(max_entries=8, show_spinner=False)
def coarser_steps(blob: bytes, name: str, time_col: str | None, value_col: str,
                  dayfirst: bool | None) -> tuple[str, ...]:
    """The steps the file's observations may be averaged over: only steps coarser than their own (every step when
    the file cannot be read this way: reading it says why)."""
    try:
        table = csvfile.read_table(blob, name=name)
        return prepare.resample_choices(csvfile.to_raw(table, time_col=time_col, value_col=value_col,
                                                       dayfirst=dayfirst))
    except SeriesError:
        return tuple(GRIDS)


def panel(experiment: Experiment) -> PreparedSeries | None:
    """Upload, check and choose a CSV series; "Use this series" makes it the tab's data. Returns the series
    read from the file, to preview, or None when there is none (or it cannot be used)."""
    file = st.file_uploader("CSV file", type=["csv", "txt", "tsv"], key="upload_file",
                            help="A column of numbers and, usually, a column of dates or times. Separators , ; tab "
                                 "or | and decimal commas are recognised.")
    if file is None:
        data = experiment.series.data
        if catalog.is_upload(data):  # opened by its link (after a reload, in a new tab, on another device)
            info = catalog.info(data)
            st.caption(f"Using {info.meta.get('filename') or info.title}, uploaded earlier. Upload a file to use "
                       "another.")
        else:
            st.caption("Nothing uploaded yet. Your file stays on this server: only people with its link can open "
                       "it.")
        return None
    blob = file.getvalue()
    try:
        table = csvfile.read_table(blob, name=file.name)
        guessed_time, guessed_value = csvfile.guess_columns(table)
    except SeriesError as exc:
        st.error(f"{file.name}: {exc}", icon=":material/error:")
        return None
    digest = hashlib.sha256(blob).hexdigest()[:12]
    if st.session_state.get("_upload_digest") != digest:  # a new file: start from the guesses
        st.session_state.update(_upload_digest=digest, upload_time=guessed_time or ROW_ORDER,
                                upload_value=guessed_value)
    columns = table.columns
    time_col = st.selectbox("Time column", [ROW_ORDER, *columns], key="upload_time",
                            help="Guessed from the column names and cells; the rows are taken in order without one.")
    value_col = st.selectbox("Value column", columns, key="upload_value", help="The numbers to forecast.")
    dates = st.radio("Dates", list(DATES), format_func=DATES.get, key="upload_dates", horizontal=True)
    irregular = st.radio("If the times are not evenly spaced", list(IRREGULAR), format_func=IRREGULAR.get,
                         key="upload_irregular")
    time_col = None if time_col == ROW_ORDER else time_col
    dayfirst = {"auto": None, "month": False, "day": True}[dates]
    resample_to = None
    if irregular == "resample":
        steps = coarser_steps(blob, file.name, time_col, value_col, dayfirst)
        if not steps:
            st.info("Its step is the longest there is: keep its step, or take the rows in order.",
                    icon=":material/info:")
            return None
        resample_to = st.selectbox("Coarser step", steps, key="upload_resample", format_func=lambda f: GRIDS[f].words)
    average = st.checkbox("Average repeated timestamps", key="upload_duplicates",
                          help="Off: a file with a repeated timestamp is refused, saying where.")
    try:
        prepared, _, _ = _read(blob, file.name, time_col, value_col, dayfirst, irregular, resample_to,
                               "average" if average else "refuse")
    except SeriesError as exc:
        st.error(f"{file.name}: {exc}", icon=":material/error:")
        return None
    report = prepared.report
    st.caption(f"{len(prepared):,} {prepared.step} values, {report['missing']:,} missing (longest gap "
               f"{report['longest_gap']:,}). " + " ".join(f"{n[0].upper()}{n[1:]}." for n in report.get("notes", [])))
    data_id = catalog.upload_id(prepared)
    in_use = st.session_state.get(state.widget_key("data")) == data_id
    if st.button("Use this series", type="primary", key="upload_use", disabled=in_use,
                 help="Keeps the series on this server and makes it the data of your experiments."):
        catalog.save_upload(prepared, owner=state.owner(), filename=file.name)
        state.open_own_upload(data_id)
        widgets.use_data(experiment, data_id)
    return prepared


def share(experiment: Experiment, *, here: str, expanded: bool = True) -> None:
    """On an uploaded series this tab may open: the link that opens it (to the Train page with ``experiment``),
    to copy, with what it shares; in the tab that made the link, a button to replace it. ``here`` is the page's
    URL path (the link is made from the browser's address)."""
    data = experiment.series.data
    if not catalog.is_upload(data) or state.link_key(data) is None:
        return
    try:
        catalog.check_link(data, state.link_key(data))
    except FieldError:  # this tab opened it before its uploader replaced the link
        st.caption("The link this series was opened with has been replaced by a new one: ask whoever uploaded it "
                   "for the new link (this tab keeps it until it is closed or reloaded).")
        return
    with st.expander("Copy a link to share", expanded=expanded, icon=":material/link:"):
        st.code(state.share_url(experiment, "train", here), language=None, wrap_lines=True)
        st.caption("Anyone with this link can open this series and every run trained on it (results, forecasts, "
                   "downloads), and train on it. Keep it to come back after a reload or on another device, or send "
                   "it to whoever should see your work. Without the link nobody else can: the series' id alone "
                   "(upload-…) opens nothing.")
        if state.made_link(data):
            st.button("Make a new link", key="upload_new_link", on_click=state.renew_link, args=(data,),
                      help="The link above stops working, for everyone who has it (your other tabs and devices "
                           "too); this tab gets a new one.")
