"""One declaration per setting: the field table against the specs, the widgets, the CLI and links.

Every bound, default and help text comes from rnnlab.config.FIELDS. These tests read the bounds the widgets
draw, the values the CLI and the link parser accept, and compare them all with the table, for every field,
under the default limits and under an operator's tighter ones.
"""

from __future__ import annotations

import dataclasses
import io
import json
import random
from contextlib import redirect_stderr

import pytest
from streamlit.testing.v1 import AppTest

from rnnlab import cli
from rnnlab.cli.options import experiment_from_args
from rnnlab.config import (
    FIELDS, Experiment, FieldError, Limits, ModelSpec, SeriesSpec, TrainSpec, parse_flat, section_fields, to_query,
)
from rnnlab.jobs.manager import reset_manager
from rnnlab.models.registry import REGISTRY

from helpers import ROOT

#: The operator limits of the issue that asked for this (a default above a limit is brought within it).
TIGHT = {"RNNLAB_MAX_EPOCHS": "10", "RNNLAB_MAX_SERIES": "5000", "RNNLAB_MAX_UNITS": "8"}
LIMIT_SETS = {"default": {}, "tight": TIGHT}
#: A model and mode under which each field can take every value of its range (the others at their defaults).
CONTEXT = {"stride": {"data": "sunspots"}, "season": {"data": "sunspots"}, "final": {"data": "sunspots"},
           "scaling": {"data": "sunspots"}, "start": {"data": "sunspots"},
           "folds": {"data": "sunspots", "fold": "1"}, "fold": {"data": "sunspots", "folds": "5"},
           "dilations": {"model": "wavenet"}, "kernel_size": {"model": "conv_gru"}, "strides": {"model": "conv_gru"},
           "filters": {"model": "conv_gru"}, "horizon": {"model": "lstm", "mode": "seq2seq"},
           "train_fraction": {"valid_fraction": "0.05"}, "valid_fraction": {"train_fraction": "0.05"},
           "wave1_freq_min": {"wave1_freq_max": "200"}, "wave2_freq_min": {"wave2_freq_max": "200"},
           "wave1_freq_max": {"wave1_freq_min": "0"}, "wave2_freq_max": {"wave2_freq_min": "0"}}
NUMBERS = [f for f in FIELDS.values() if f.kind in ("int", "float")]


@pytest.fixture(params=list(LIMIT_SETS), ids=list(LIMIT_SETS))
def limit_set(request, monkeypatch, home):
    for name, value in LIMIT_SETS[request.param].items():
        monkeypatch.setenv(name, value)
    return Limits.from_env()


def test_specs_hold_exactly_the_fields_of_the_table():
    for section, spec in (("series", SeriesSpec), ("model", ModelSpec), ("train", TrainSpec)):
        assert [f.name for f in dataclasses.fields(spec)] == [f.attribute for f in section_fields(section)]
    assert len({f.flag for f in FIELDS.values()}) == len(FIELDS)  # one CLI flag per field


def _context(field_name: str) -> dict[str, str]:
    return {"model": "deep_rnn_dense", **CONTEXT.get(field_name, {})}


def _beyond(field, value, direction: int):
    """The nearest value past a bound: one more whole number, or a float just past it."""
    if field.kind == "int":
        return value + direction
    return value + direction * max(abs(value) * 1e-9, 1e-12)


@pytest.mark.parametrize("name", [f.name for f in NUMBERS])
def test_link_parser_and_specs_accept_exactly_the_declared_range(limit_set, name):
    field = FIELDS[name]
    low, high = field.bounds(limit_set)
    for value in (low, high):
        exp = parse_flat({**_context(name), name: field.text(value)}, strict=True).experiment
        assert exp.to_flat()[name] == value
    for value in (_beyond(field, low, -1), _beyond(field, high, +1)):
        with pytest.raises(FieldError) as info:
            parse_flat({**_context(name), name: field.text(value)}, strict=True)
        assert info.value.field == name and f"{name}=" in str(info.value), str(info.value)
        lenient = parse_flat({**_context(name), name: field.text(value)})
        assert any(p.startswith(f"{name}=") for p in lenient.problems), lenient.problems


def test_list_fields_accept_exactly_the_declared_entries_and_count(limit_set):
    field = FIELDS["dilations"]
    (n_low, n_high), (low, high) = field.count_bounds(limit_set), field.bounds(limit_set)
    for value in ((high,), (low,) * n_high):
        assert parse_flat({"model": "wavenet", "dilations": field.text(value)}, strict=True).experiment.model.dilations == value
    for value in ((high + 1,), (low - 1,), (low,) * (n_high + 1)):
        with pytest.raises(FieldError) as info:
            parse_flat({"model": "wavenet", "dilations": field.text(value)}, strict=True)
        assert info.value.field == "dilations"
    assert n_low == 1


@pytest.mark.parametrize("name", [f.name for f in FIELDS.values() if f.name != "model"])
def test_cli_checks_and_help_come_from_the_table(limit_set, name, capsys):
    field = FIELDS[name]
    parser = cli.build_parser()
    train = next(a for a in parser._subparsers._group_actions[0].choices["train"]._actions if field.flag in a.option_strings)
    assert field.allowed(limit_set) in train.help
    context = _context(name)
    model = context.pop("model")
    extra = [arg for key, value in context.items() for arg in (FIELDS[key].flag, value)]
    if field.kind == "choice":
        bad = "not-a-choice"
    elif field.kind == "ints":
        bad = field.text((field.bounds(limit_set)[1] + 1,))
    elif field.kind == "bool":
        bad = "2"
    else:
        bad = field.text(_beyond(field, field.bounds(limit_set)[1], +1))
    assert cli.main(["train", model, *extra, field.flag, bad]) == 2
    err = capsys.readouterr().err
    assert f"{name}=" in err and "Traceback" not in err, err


#: Fields without a widget of their own: a backtest sets them (its folds slider is checked below); the Train page
#: submits the final model itself.
NO_WIDGET = {"folds", "fold", "final"}


def _widgets(limit_set) -> dict[str, object]:
    """Every field's widget as the Data and Train pages draw them (conv_gru and WaveNet between them show every
    hyperparameter; a bundled series shows the real series' settings)."""
    reset_manager()
    found = {}
    for page, query in (("pages/data.py", {}), ("pages/data.py", {"data": "sunspots"}),
                        ("pages/train.py", {"model": "conv_gru"}), ("pages/train.py", {"model": "wavenet"})):
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
        at.query_params.update(query)
        at.switch_page(page).run()
        assert not at.exception, at.exception
        for kind in ("number_input", "selectbox", "radio", "text_input"):
            for widget in at.get(kind):
                if widget.key and widget.key.startswith("w_"):
                    found[widget.key[2:]] = widget
    reset_manager()
    return found


def test_widgets_draw_the_declared_bounds_labels_and_help(limit_set):
    widgets = _widgets(limit_set)
    assert set(widgets) == set(FIELDS) - NO_WIDGET
    for name, field in FIELDS.items():
        if name in NO_WIDGET:
            continue
        widget = widgets[name]
        assert widget.label == field.label, name
        if field.kind in ("int", "float"):
            low, high = field.bounds(limit_set)
            assert (widget.min, widget.max) == (low, high), (name, widget.min, widget.max)
            assert field.help in widget.help and ("(the book: " in widget.help or "(default: " in widget.help
                                                  or field.applies == "real")
        elif field.kind == "choice":
            assert set(widget.options) <= {field.option_label(o) for o in field.options()}, name
        else:
            assert field.allowed(limit_set) in widget.help


def random_experiment(rng: random.Random, lim: Limits) -> Experiment | None:
    """A random valid experiment with values from anywhere in the table's ranges (None if the draw is refused)."""
    model = rng.choice(list(REGISTRY))
    entry = REGISTRY[model]
    mode = rng.choice(entry.modes)
    data = rng.choice(FIELDS["data"].options())
    values: dict[str, object] = {"model": model, "mode": mode, "data": data}
    if data != "generated" and rng.random() < 0.5:
        values["folds"] = rng.randint(2, 5)
        values["fold"] = rng.randint(1, values["folds"])
    for field in FIELDS.values():
        if field.name in values or (field.model_param and field.name not in entry.params) \
                or not field.applies_to(data) or field.name in ("folds", "fold"):
            continue
        if field.kind == "choice":
            values[field.name] = rng.choice(field.options())
            continue
        if field.kind == "bool":  # final: not with a backtest fold, nor for a forecaster that trains nothing
            values[field.name] = "folds" not in values and entry.trainable and rng.random() < 0.5
            continue
        low, high = field.bounds(lim)
        if field.kind == "ints":
            n_high = min(field.count_bounds(lim)[1], 10)
            values[field.name] = tuple(rng.randint(low, min(high, 16)) for _ in range(rng.randint(1, n_high)))
        elif field.kind == "int":
            small = {"n_series": 400, "n_steps": 60, "units": 32, "filters": 32, "epochs": 50, "batch_size": 256,
                     "stride": 40, "season": 400}
            values[field.name] = rng.randint(low, min(high, small.get(field.name, high)))
        else:
            values[field.name] = rng.uniform(low, high)  # 15-17 significant digits
    values["horizon"] = 1 if mode == "one_step" else rng.randint(2, min(lim.max_horizon, 12))
    values["train_fraction"] = rng.uniform(0.05, 0.6)
    values["valid_fraction"] = rng.uniform(0.05, 0.95 - values["train_fraction"])
    for wave in ("wave1", "wave2") if data == "generated" else ():
        low, high = sorted((values[f"{wave}_freq_min"], values[f"{wave}_freq_max"]))
        values[f"{wave}_freq_min"], values[f"{wave}_freq_max"] = low, high
    try:
        return parse_flat(values, strict=True).experiment
    except FieldError:
        return None


def test_links_round_trip_exactly_for_random_experiments(limit_set):
    """Any valid experiment -> link -> the same experiment and key, with values from the whole table (not the
    book's), through the link parser and through the command line's options alike."""
    rng = random.Random(20261129)
    seen = 0
    parser = cli.build_parser()
    for _ in range(400):
        exp = random_experiment(rng, limit_set)
        if exp is None:
            continue
        seen += 1
        query = to_query(exp)
        assert all(isinstance(v, str) for v in query.values())
        back = parse_flat(query)
        assert back.experiment == exp and back.experiment.key() == exp.key(), query
        assert not back.problems and not back.clamped, (query, back.problems)
        again = Experiment.from_dict(json.loads(json.dumps(exp.to_dict())))
        assert again.key() == exp.key()
        argv = ["train", query.pop("model")] + [a for k, v in query.items() for a in (FIELDS[k].flag, v)]
        with redirect_stderr(io.StringIO()):
            assert experiment_from_args(parser.parse_args(argv)) == exp
    assert seen >= 250, f"only {seen} of 400 random draws were valid experiments"


def test_a_precise_float_survives_a_link():
    """Links once wrote floats with 6 significant digits: noise 0.1234567 came back as 0.123457."""
    exp = Experiment.book("linear").replace(noise=0.1234567, learning_rate=0.00123456789)
    query = to_query(exp)
    assert query["noise"] == "0.1234567" and query["learning_rate"] == "0.00123456789"
    assert parse_flat(query).experiment.key() == exp.key()
