"""Widgets shared by the pages, drawn from the field table: each field's label, bounds (under this instance's
limits), step, format and help come from :data:`rnnlab.config.FIELDS`, never typed here. Building and
checking the experiment is :mod:`rnnlab.config`'s job (:func:`apply`)."""

from __future__ import annotations

from typing import Any

import streamlit as st

from rnnlab.config import FIELDS, Experiment, Field, build, group_fields, limits, parse_flat
from rnnlab.dashboard.state import seed_widgets, set_experiment, widget_key
from rnnlab.models.registry import REGISTRY, ModelEntry, get_entry
from rnnlab.series import catalog


def _follows_model(field: Field) -> bool:
    """A field that takes the new model's book value when the model changes: the model's own settings, and
    any setting a registry entry gives a default of its own (the learning rate)."""
    return field.section == "model" or any(
        field.name in entry.defaults or any(field.name in d for d in entry.mode_defaults.values())
        for entry in REGISTRY.values())


def field_input(name: str, container: Any = None, entry: ModelEntry | None = None, mode: str | None = None,
                data: str | None = None, **options: Any) -> Any:
    """Draw the widget of field ``name`` (its value lives under ``w_<name>`` in the session state)."""
    field = FIELDS[name]
    container = container or st
    key, help_text = widget_key(name), field.help_for(entry, mode, data)
    kind = field.widget_kind
    if kind == "number":
        low, high = field.bounds(limits())
        kwargs = {"min_value": low, "max_value": high, "key": key, "help": help_text}
        if field.step is not None:
            kwargs["step"] = field.step
        if field.format is not None:
            kwargs["format"] = field.format
        return container.number_input(field.label, **kwargs, **options)
    if kind == "text":
        return container.text_input(field.label, key=key, help=f"{help_text}. Allowed: {field.allowed(limits())}.",
                                    **options)
    choices = options.pop("choices", None) or list(field.options())
    widget = container.radio if kind == "radio" else container.selectbox
    return widget(field.label, choices, key=key, format_func=field.option_label, help=help_text, **options)


def _fields(fields: list[Field], columns: int, data: str | None = None) -> None:
    fields = [f for f in fields if f.applies_to(data)]
    cols = st.columns(columns)
    for i, field in enumerate(fields):
        field_input(field.name, cols[i % columns], data=data)


def modes_for(model: str, horizon: int) -> list[str]:
    """Forecast modes model ``model`` offers at this horizon."""
    entry = get_entry(model)
    wanted = ("one_step", "seq2seq") if horizon == 1 else ("iterative", "seq2vec", "seq2seq")
    return [m for m in entry.modes if m in wanted]


def _horizon() -> int:
    value = st.session_state.get(widget_key("horizon"), 1)
    return int(value) if isinstance(value, (int, float)) else 1


def _on_model_change() -> None:
    # A new model starts from the book's settings for it (its units, learning rate, mode...).
    fresh = build({"model": st.session_state[widget_key("model")], "horizon": _horizon()}).experiment.to_flat()
    for name, value in fresh.items():
        if name != "model" and _follows_model(FIELDS[name]):
            st.session_state[widget_key(name)] = FIELDS[name].widget_value(value)


def _on_mode_change() -> None:
    # Settings whose book value depends on the mode (the learning rate of the seq2seq RNN) follow it.
    entry, mode = get_entry(st.session_state[widget_key("model")]), st.session_state[widget_key("mode")]
    varies = {name for defaults in entry.mode_defaults.values() for name in defaults}
    for name in varies:
        st.session_state[widget_key(name)] = FIELDS[name].widget_value(FIELDS[name].default_for(entry, mode))


def series_controls(data: str) -> None:
    """The series' knobs (the series section of the field table): the generator's on the generated series, the
    windows, splits, stride and season on a real one."""
    _fields(group_fields("data"), 2, data)
    if not catalog.is_real(data):
        with st.expander("Waves and noise", expanded=False):
            _fields(group_fields("waves"), 3, data)
    with st.expander("Splits" if not catalog.is_real(data) else "Periods, stride and season", expanded=False):
        _fields(group_fields("splits"), 2, data)
        _fields(group_fields("real"), 2, data)


SOURCES = {"generated": "Generated", "bundled": "Real series", "upload": "Your CSV"}


def source_kind(data: str) -> str:
    """``generated``, ``bundled`` or ``upload``: where a data id comes from."""
    if not catalog.is_real(data):
        return "generated"
    return "bundled" if data in catalog.bundled_names() else "upload"


def source_picker(experiment: Experiment) -> str:
    """The choice at the top of the Data page: the generated series, a bundled one (picked here), or an
    uploaded file (the page's upload panel sets it). Returns the kind chosen."""
    if st.session_state.get("data_source") not in SOURCES:
        st.session_state["data_source"] = source_kind(experiment.series.data)
    kind = st.radio("Source", list(SOURCES), format_func=SOURCES.get, key="data_source", horizontal=True,
                    help=FIELDS["data"].help)
    key = widget_key("data")
    if kind == "generated":
        st.session_state[key] = catalog.GENERATED
    elif kind == "bundled":
        names = list(catalog.bundled_names())
        if st.session_state.get(key) not in names:
            st.session_state[key] = names[0]
        st.selectbox(FIELDS["data"].label, names, key=key, format_func=FIELDS["data"].option_label,
                     help="Real series shipped with rnnlab, each with its source and licence.")
    use_data(experiment, st.session_state.get(key, experiment.series.data))
    return kind


def use_data(experiment: Experiment, data: str) -> None:
    """Point the widgets at series ``data``: a new series starts from its own settings (windows, periods,
    season; the generator's on the generated series). Call it before the series' widgets are drawn."""
    if st.session_state.get(widget_key("data")) != data:
        st.session_state[widget_key("data")] = data
    if data == experiment.series.data:
        return
    fresh = build({"model": experiment.model.name, "mode": experiment.model.mode, "data": data}).experiment.to_flat()
    for name in [f.name for f in FIELDS.values() if f.section == "series" and f.name != "data"]:
        if name in fresh:
            st.session_state[widget_key(name)] = FIELDS[name].widget_value(fresh[name])
        else:
            st.session_state.pop(widget_key(name), None)


def model_choices(data: str, current: str | None = None) -> list[str]:
    """The models the model box offers on series ``data``: every registry entry, but on the generated series not
    those that need a real one (the seasonal naive and the classical forecasters refuse it); ``current`` stays
    offered so a link that chose one is not silently replaced."""
    real = catalog.is_real(data)
    return [n for n, e in REGISTRY.items() if real or not e.real_only or n == current]


def model_controls(data: str | None = None) -> None:
    """Model picker with its description, forecast mode and the model's own hyperparameters. On a real series
    (``data``; by default the data widget's) it offers the classical forecasters and the seasonal naive too."""
    current = st.session_state.get(widget_key("model"))
    data = data or st.session_state.get(widget_key("data")) or catalog.GENERATED
    field_input("model", on_change=_on_model_change, choices=model_choices(data, current))
    entry = get_entry(st.session_state[widget_key("model")])
    st.caption(entry.description)
    field_input("horizon")
    options = modes_for(entry.name, _horizon())
    if not options:
        st.error(f"{entry.display_name} cannot forecast {_horizon()} steps ahead; it offers: "
                 f"{', '.join(FIELDS['mode'].option_label(m) for m in entry.modes)}.")
        return
    if st.session_state.get(widget_key("mode")) not in options:
        st.session_state[widget_key("mode")] = entry.book_mode if entry.book_mode in options else options[0]
    field_input("mode", choices=options, on_change=_on_mode_change)
    mode = st.session_state[widget_key("mode")]
    if entry.params:
        cols = st.columns(2)
        for i, name in enumerate(entry.params):
            if widget_key(name) not in st.session_state:
                st.session_state[widget_key(name)] = FIELDS[name].widget_value(
                    FIELDS[name].clamp(FIELDS[name].default_for(entry, mode), limits()))
            field_input(name, cols[i % 2], entry, mode)


def train_controls() -> None:
    """Epochs, batch size, optimizer, learning rate and seed (the training section of the field table)."""
    entry = get_entry(st.session_state.get(widget_key("model"), FIELDS["model"].default))
    mode = st.session_state.get(widget_key("mode"))
    fields = group_fields("training")
    cols = st.columns(2)
    for i, field in enumerate(fields):
        field_input(field.name, cols[i] if i < 2 else None, entry, mode)


def experiment_controls(experiment: Experiment, *, training_expanded: bool) -> Experiment:
    """The model's and the training's widgets, seeded from ``experiment``; returns the experiment they describe
    (see :func:`apply`)."""
    seed_widgets(experiment)
    model_controls(experiment.series.data)
    entry = get_entry(st.session_state[widget_key("model")])
    if entry.trainable:
        with st.expander("Training", expanded=training_expanded):
            train_controls()
    else:  # its run is the yardstick's own (same key): the training settings do not apply to it
        st.caption(f"{entry.display_name} trains no network: "
                   + ("it is fitted by statsmodels on the training period, on the workers." if entry.kind ==
                      "classical" else "it is read off each window's past values."))
    return apply(experiment)


def apply(experiment: Experiment) -> Experiment:
    """Build the experiment from the widgets' values over ``experiment`` (the page seeded the widgets from it
    before drawing them). A combination :mod:`rnnlab.config` refuses is shown as an error naming the setting,
    and the previous experiment is kept.
    """
    flat: dict[str, Any] = experiment.to_flat()
    for name in FIELDS:
        key = widget_key(name)
        if key in st.session_state:
            flat[name] = st.session_state[key]
    entry = get_entry(flat["model"])
    data = flat.get("data", catalog.GENERATED)
    # A forecaster that trains nothing takes the default training settings, so picking it here finds the run it
    # made as a yardstick of the same series (the same key) instead of fitting it again.
    flat = {k: v for k, v in flat.items() if (not FIELDS[k].model_param or k in entry.params)
            and FIELDS[k].applies_to(data) and k not in ("folds", "fold", "final")  # their own jobs, not the page's
            and (entry.trainable or FIELDS[k].section != "train")}
    try:
        updated = parse_flat(flat, strict=True).experiment
    except ValueError as exc:
        st.error(f"These settings cannot be used: {exc}", icon=":material/block:")
        return experiment
    if updated != experiment:
        set_experiment(updated)
    return updated
