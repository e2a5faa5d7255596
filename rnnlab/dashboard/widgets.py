"""Widgets shared by the pages. Each returns plain values; building and validating the experiment is
:mod:`rnnlab.config`'s job (:func:`apply`)."""

from __future__ import annotations

from typing import Any

import streamlit as st

from rnnlab.config import FIELD_HELP, MODE_LABELS, Experiment, limits, parse_flat
from rnnlab.dashboard.state import set_experiment, widget_key
from rnnlab.models import REGISTRY, get_entry

MODEL_FIELDS = ("mode", "units", "layers", "filters", "kernel_size", "strides", "dilations", "learning_rate")


def modes_for(model: str, horizon: int) -> list[str]:
    """Forecast modes model ``model`` offers at this horizon."""
    entry = get_entry(model)
    wanted = ("one_step", "seq2seq") if horizon == 1 else ("iterative", "seq2vec", "seq2seq")
    return [m for m in entry.modes if m in wanted]


def _book_model_values(model: str, horizon: int, mode: str | None = None) -> Experiment:
    params = {"model": model, "horizon": str(horizon)}
    if mode:
        params["mode"] = mode
    experiment, _ = parse_flat(params)
    return experiment


def _on_model_change() -> None:
    # A new model starts from the book's settings for it (its units, learning rate, mode...).
    model, horizon = st.session_state[widget_key("model")], int(st.session_state.get(widget_key("horizon"), 1))
    fresh = _book_model_values(model, horizon).to_flat()
    for name in MODEL_FIELDS:
        if name in fresh:
            value = fresh[name]
            st.session_state[widget_key(name)] = ",".join(map(str, value)) if name == "dilations" else value


def _on_mode_change() -> None:
    model, horizon = st.session_state[widget_key("model")], int(st.session_state.get(widget_key("horizon"), 1))
    mode = st.session_state[widget_key("mode")]
    st.session_state[widget_key("learning_rate")] = _book_model_values(model, horizon, mode).train.learning_rate


def series_controls() -> None:
    """The data generator's knobs (SeriesSpec), with the book's defaults and a help text each."""
    lim = limits()
    st.number_input("Number of series", 100, lim.max_series, step=500, key=widget_key("n_series"), help=FIELD_HELP["n_series"])
    cols = st.columns(2)
    cols[0].number_input("Input steps (n_steps)", 5, lim.max_steps, step=5, key=widget_key("n_steps"), help=FIELD_HELP["n_steps"])
    cols[1].number_input("Steps ahead (horizon)", 1, lim.max_horizon, key=widget_key("horizon"), help=FIELD_HELP["horizon"])
    st.number_input("Data seed", 0, 2**32 - 1, key=widget_key("seed"), help=FIELD_HELP["seed"])
    with st.expander("Waves and noise", expanded=False):
        for wave, label in (("wave1", "Slow wave"), ("wave2", "Fast wave")):
            st.markdown(f"**{label}**")
            c = st.columns(3)
            c[0].number_input("amplitude", 0.0, 10.0, step=0.05, key=widget_key(f"{wave}_amplitude"),
                              help=FIELD_HELP[f"{wave}_amplitude"])
            c[1].number_input("min frequency", 0.0, 200.0, step=1.0, key=widget_key(f"{wave}_freq_min"),
                              help=FIELD_HELP[f"{wave}_freq_min"])
            c[2].number_input("max frequency", 0.0, 200.0, step=1.0, key=widget_key(f"{wave}_freq_max"),
                              help=FIELD_HELP[f"{wave}_freq_max"])
        st.number_input("Noise width", 0.0, 10.0, step=0.01, key=widget_key("noise"), help=FIELD_HELP["noise"])
    with st.expander("Splits", expanded=False):
        c = st.columns(2)
        c[0].number_input("Training share", 0.05, 0.95, step=0.05, key=widget_key("train_fraction"),
                          help=FIELD_HELP["train_fraction"])
        c[1].number_input("Validation share", 0.05, 0.9, step=0.05, key=widget_key("valid_fraction"),
                          help=FIELD_HELP["valid_fraction"])


def model_controls() -> None:
    """Model picker with its description, forecast mode and the model's own hyperparameters."""
    lim = limits()
    names = list(REGISTRY)
    st.selectbox("Model", names, key=widget_key("model"), format_func=lambda n: REGISTRY[n].display_name,
                 on_change=_on_model_change, help="Every model of the chapter; the description is below.")
    entry = get_entry(st.session_state[widget_key("model")])
    st.caption(entry.description)
    st.number_input("Steps ahead (horizon)", 1, lim.max_horizon, key=widget_key("horizon"), help=FIELD_HELP["horizon"])
    options = modes_for(entry.name, int(st.session_state[widget_key("horizon")]))
    if not options:
        st.error(f"{entry.display_name} cannot forecast {st.session_state[widget_key('horizon')]} steps ahead; "
                 f"it offers: {', '.join(MODE_LABELS[m] for m in entry.modes)}.")
        return
    if st.session_state.get(widget_key("mode")) not in options:
        st.session_state[widget_key("mode")] = entry.book_mode if entry.book_mode in options else options[0]
    st.radio("Forecast mode", options, key=widget_key("mode"), format_func=MODE_LABELS.get, on_change=_on_mode_change,
             help="One step: the next value. Iterative: a one-step model fed its own forecasts. "
                  "Sequence-to-vector: all future values at once. Sequence-to-sequence: a forecast at every "
                  "time step (scored at the last one, as the book does).")
    if entry.params:
        cols = st.columns(2)
        for i, name in enumerate(entry.params):
            if widget_key(name) not in st.session_state:
                default = entry.defaults[name]
                st.session_state[widget_key(name)] = ",".join(map(str, default)) if name == "dilations" else default
            col = cols[i % 2]
            label = name.replace("_", " ").capitalize()
            if name == "dilations":
                col.text_input("Dilation rates", key=widget_key(name), help=entry.param_help[name])
            else:
                high = {"units": lim.max_units, "filters": lim.max_units, "layers": lim.max_layers,
                        "kernel_size": 16, "strides": 8}[name]
                col.number_input(label, 1, high, key=widget_key(name), help=entry.param_help[name])


def train_controls() -> None:
    """Epochs, batch size, optimizer, learning rate and seed."""
    lim = limits()
    cols = st.columns(2)
    cols[0].number_input("Epochs", 1, lim.max_epochs, key=widget_key("epochs"), help=FIELD_HELP["epochs"])
    cols[1].number_input("Batch size", 1, 4096, key=widget_key("batch_size"), help=FIELD_HELP["batch_size"])
    st.selectbox("Optimizer", ["adam", "sgd", "rmsprop", "nadam"], key=widget_key("optimizer"), help=FIELD_HELP["optimizer"],
                 format_func={"adam": "Adam", "sgd": "SGD", "rmsprop": "RMSprop", "nadam": "Nadam"}.get)
    st.number_input("Learning rate", 1e-6, 1.0, step=1e-4, format="%.4g", key=widget_key("learning_rate"),
                    help=FIELD_HELP["learning_rate"])
    st.number_input("Training seed", 0, 2**31 - 1, key=widget_key("train_seed"), help=FIELD_HELP["train_seed"])


def apply(experiment: Experiment) -> Experiment:
    """Build the experiment from the widgets' values over ``experiment`` (the page seeded the widgets from it
    before drawing them). A combination :mod:`rnnlab.config` refuses is shown as an error and the previous
    experiment is kept.
    """
    flat: dict[str, Any] = experiment.to_flat()
    for name in list(flat) + list(MODEL_FIELDS):
        key = widget_key(name)
        if key in st.session_state:
            flat[name] = st.session_state[key]
    entry = get_entry(flat["model"])
    flat = {k: v for k, v in flat.items() if k not in MODEL_FIELDS or k in ("mode", "learning_rate") or k in entry.params}
    try:
        updated = Experiment.from_flat({k: (v if not isinstance(v, (list, tuple)) else ",".join(map(str, v)))
                                        for k, v in flat.items()})
    except ValueError as exc:
        st.error(f"These settings cannot be used: {exc}", icon=":material/block:")
        return experiment
    if updated != experiment:
        set_experiment(updated)
    return updated
