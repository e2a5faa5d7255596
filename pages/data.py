"""Data: the book's generated series, a real one shipped with rnnlab, or your own CSV; its split and baselines."""

import streamlit as st

from rnnlab.figures.series import real_series, series_preview
from rnnlab.dashboard import run_view, state, uploads, widgets
from rnnlab.series import catalog

st.title("The data")
experiment = state.current_experiment()
notes = st.container()  # filled once the widgets have had their say

controls, view = st.columns([1, 2.2], gap="large")
with controls:
    state.seed_widgets(experiment)
    kind = widgets.source_picker(experiment)
    uploaded = uploads.panel(experiment) if kind == "upload" else None  # "Use this series" makes it the data
    if kind == "generated":
        st.caption("Every series is two sine waves with random frequencies and phases, plus noise. "
                   "The defaults are the book's.")
    data = st.session_state[state.widget_key("data")]
    if kind != "upload" or catalog.is_upload(data):
        widgets.series_controls(data)
        experiment = widgets.apply(experiment)
with notes:
    state.show_notes(experiment)

s = experiment.series
ds = run_view.dataset(experiment.to_dict()["series"])
baselines = run_view.baselines(ds, s.horizon)

with view:
    if uploaded is not None and catalog.upload_id(uploaded) != s.data:
        st.subheader(f"Your file: {uploaded.name}")
        st.plotly_chart(real_series(uploaded.time_labels(), uploaded.values, unit=uploaded.unit,
                                          title=f"{len(uploaded):,} {uploaded.step} values, as read"),
                        key="upload-preview", theme=None)
        st.info("Check the columns and how the dates were read, then press **Use this series**.",
                icon=":material/upload_file:")
        st.stop()
    if s.real:
        info = run_view.series_info(s.data)
        series = ds.series
        st.subheader(info.title)
        where = run_view.periods(experiment, len(series))
        st.plotly_chart(real_series(series.time_labels(), series.values, periods=where, unit=series.unit,
                                          title=f"{len(series):,} {series.step} values: training, validation and "
                                                "test periods"), key="real-series", theme=None)
        run_view.series_report(series, info)
        uploads.share(experiment, here="data")
        warning = run_view.range_warning(series, where)
        if warning:
            st.warning(warning, icon=":material/trending_up:")
    else:
        n_show = st.slider("Series shown", 1, 6, 3, help="How many validation series to draw.")
        st.plotly_chart(
            series_preview(ds.valid.X, ds.valid.future, n_series=n_show,
                                 title=f"{s.n_steps} input steps and the {s.horizon} value(s) to forecast"),
            key="preview", theme=None)
    cols = st.columns(4)
    cols[0].metric("Training windows" if s.real else "Training series", f"{len(ds.train):,}",
                   help="Windows of n_steps inputs and horizon targets whose targets all lie in the training "
                        "period" + (f" (every {s.stride}th, to stay within the limit)" if (s.stride or 1) > 1
                                    else "") if s.real else "Series the models are fitted on.")
    cols[1].metric("Validation windows" if s.real else "Validation series", f"{len(ds.valid):,}")
    cols[2].metric("Naive forecast MSE", run_view.fmt(baselines["naive"]),
                   help="Validation MSE of repeating the last input value: the baseline every model must beat. "
                        "Computed at once, no training needed.")
    if s.real:
        cols[3].metric("Seasonal naive MSE", run_view.fmt(baselines.get("seasonal_naive")),
                       help=f"Validation MSE of repeating the value one season ({s.season} steps) earlier.")
    else:
        cols[3].metric("Test series", f"{len(ds.test):,}")
    st.caption("Inputs are the first n_steps values of each window; the targets are the values that follow. "
               "Validation windows pick the settings; test windows are kept apart for the final score."
               + (" On a real series the periods follow each other in time, and scaling is fitted on the training "
                  "period only." if s.real else ""))
    st.page_link("pages/train.py", label="Train a model on this data", icon=":material/model_training:")
