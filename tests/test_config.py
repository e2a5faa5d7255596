"""rnnlab.config: defaults, bounds, serialisation, flat (URL/CLI) parsing and keys."""

from __future__ import annotations

import dataclasses
import json
import re
import subprocess
import sys

import pytest

from rnnlab.config import (
    FIELDS, FLAT_FIELDS, Experiment, FieldError, Limits, ModelSpec, SeriesSpec, TrainSpec, experiment_key, parse_flat,
)
from rnnlab.models.registry import REGISTRY

from helpers import ROOT


def test_defaults_are_the_books():
    s = SeriesSpec()
    assert (s.n_series, s.n_steps, s.horizon, s.seed) == (10_000, 50, 1, 42)
    assert s.split_sizes() == (7000, 2000, 1000)
    t = TrainSpec()
    assert (t.epochs, t.batch_size, t.optimizer, t.learning_rate, t.seed) == (20, 32, "adam", 1e-3, 42)


@pytest.mark.parametrize(
    "name, mode, horizon, lr, units, layers",
    [
        ("linear", "one_step", 1, 1e-3, None, None),
        ("simple_rnn", "one_step", 1, 0.005, None, None),
        ("deep_rnn_dense", "one_step", 1, 1e-3, 20, 2),
        ("deep_rnn_dense", "seq2seq", 10, 0.01, 20, 2),
        ("lstm", "seq2seq", 10, 1e-3, 20, 2),
        ("wavenet", "seq2seq", 10, 1e-3, None, None),
    ],
)
def test_book_experiments(name, mode, horizon, lr, units, layers):
    exp = Experiment.book(name, mode)
    assert exp.model.mode == mode and exp.series.horizon == horizon
    assert exp.train.learning_rate == lr
    assert (exp.model.units, exp.model.layers) == (units, layers)


def test_wavenet_and_conv_defaults():
    assert Experiment.book("wavenet").model.dilations == (1, 2, 4, 8, 1, 2, 4, 8)
    m = Experiment.book("conv_gru").model
    assert (m.filters, m.kernel_size, m.strides, m.units, m.layers) == (20, 4, 2, 20, 2)


@pytest.mark.parametrize(
    "factory, field, allowed",
    [
        (lambda: SeriesSpec(n_series=5), "n_series", "100 to"),
        (lambda: SeriesSpec(n_series=10**9), "n_series", "100 to"),
        (lambda: SeriesSpec(n_steps=0), "n_steps", "5 to"),
        (lambda: SeriesSpec(horizon=-1), "horizon", "1 to"),
        (lambda: SeriesSpec(noise=float("nan")), "noise", "finite"),
        (lambda: SeriesSpec(noise=float("inf")), "noise", "finite"),
        (lambda: SeriesSpec(wave1_freq_min=30, wave1_freq_max=20), "wave1_freq_max", "at least the minimum"),
        (lambda: SeriesSpec(train_fraction=0.9, valid_fraction=0.2), "train_fraction", "at most 0.95"),
        (lambda: SeriesSpec(n_series="100"), "n_series", "whole number"),
        (lambda: SeriesSpec(n_steps=True), "n_steps", "whole number"),
        (lambda: SeriesSpec(n_steps=7.5), "n_steps", "whole number"),
        (lambda: ModelSpec(name="transformer"), "transformer", "allowed naive, linear"),
        (lambda: ModelSpec(name="linear", mode="seq2seq"), "mode", "allowed one_step, iterative, seq2vec"),
        (lambda: ModelSpec(name="lstm", mode="sideways"), "mode", "one_step, iterative, seq2vec, seq2seq"),
        (lambda: ModelSpec(name="lstm", mode="seq2seq", units=0), "units", "1 to"),
        (lambda: ModelSpec(name="lstm", mode="seq2seq", layers=99), "layers", "1 to"),
        (lambda: ModelSpec(name="wavenet", mode="seq2seq", dilations=(1, 0)), "dilations", "1 to 128"),
        (lambda: ModelSpec(name="wavenet", mode="seq2seq", dilations="1,2"), "dilations", "list of whole numbers"),
        (lambda: TrainSpec(epochs=0), "epochs", "1 to"),
        (lambda: TrainSpec(epochs=10_000), "epochs", "1 to"),
        (lambda: TrainSpec(learning_rate=0), "learning_rate", "allowed 1e-06 to 1"),
        (lambda: TrainSpec(learning_rate=-1e-3), "learning_rate", "allowed 1e-06 to 1"),
        (lambda: TrainSpec(optimizer="adamw2"), "optimizer", "adam, sgd, rmsprop, nadam"),
        (lambda: TrainSpec(batch_size=0), "batch_size", "1 to 4096"),
    ],
)
def test_bad_values_name_the_field_and_the_range(factory, field, allowed):
    with pytest.raises(FieldError) as info:
        factory()
    message = str(info.value)
    assert field in message and allowed in message, message
    assert info.value.field in (field, "model", "valid_fraction")  # the error carries the field it is about


def test_mode_and_horizon_must_agree():
    with pytest.raises(ValueError, match="needs horizon=1"):
        Experiment(series=SeriesSpec(horizon=10), model=ModelSpec("linear", "one_step"))
    with pytest.raises(ValueError, match="horizon of at least 2"):
        Experiment(series=SeriesSpec(horizon=1), model=ModelSpec("linear", "seq2vec"))


def test_parameter_budget_is_enforced(monkeypatch):
    monkeypatch.setenv("RNNLAB_MAX_PARAMS", "10000")
    Experiment.book("wavenet")  # every model fits at the book's size under the smallest budget allowed
    with pytest.raises(FieldError, match=r"12,705 parameters: allowed at most 10,000") as info:
        Experiment.book("lstm", "one_step").replace(units=32)
    assert info.value.field is None  # a combination of settings, not one field
    monkeypatch.setenv("RNNLAB_MAX_PARAMS", "9999")
    with pytest.raises(ValueError, match="RNNLAB_MAX_PARAMS='9999' must be a whole number of at least 10000"):
        Limits.from_env()


def test_limits_from_environment(monkeypatch):
    monkeypatch.setenv("RNNLAB_MAX_EPOCHS", "5")
    with pytest.raises(ValueError, match="epochs=6 is out of range: allowed 1 to 5"):
        TrainSpec(epochs=6)
    monkeypatch.setenv("RNNLAB_MAX_EPOCHS", "lots")
    with pytest.raises(ValueError, match="RNNLAB_MAX_EPOCHS='lots' must be a whole number of at least 1"):
        Limits.from_env()


@pytest.mark.parametrize("raw", ["0", "-3", "2.5", "1e3", "ten", "nan"])
def test_environment_whole_numbers_are_checked_the_same_way_everywhere(raw):
    from rnnlab.config.limits import JobSettings

    message = "must be a whole number of at least 1"
    with pytest.raises(ValueError, match=f"RNNLAB_MAX_UNITS='{re.escape(raw)}' {message}"):
        Limits.from_env({"RNNLAB_MAX_UNITS": raw})
    with pytest.raises(ValueError, match=f"RNNLAB_QUEUE_LENGTH='{re.escape(raw)}' {message}"):
        JobSettings.from_env({"RNNLAB_QUEUE_LENGTH": raw})
    assert Limits.from_env({"RNNLAB_MAX_UNITS": " 12 "}).max_units == 12
    assert JobSettings.from_env({"RNNLAB_QUEUE_LENGTH": ""}).queue_length == JobSettings().queue_length


def test_unused_hyperparameters_do_not_change_the_key():
    a = Experiment(model=ModelSpec("linear", units=64, layers=3))
    b = Experiment(model=ModelSpec("linear"))
    assert a.model.units is None and a == b and a.key() == b.key()


def test_round_trip_and_key():
    for name, entry in REGISTRY.items():
        for mode in entry.modes if not entry.real_only else ():
            exp = Experiment.book(name, mode)
            again = Experiment.from_dict(json.loads(json.dumps(exp.to_dict())))
            assert again == exp and again.key() == exp.key()
            assert experiment_key(exp.to_dict()) == exp.key()
            assert Experiment.from_flat(exp.to_flat()) == exp
    assert Experiment.book("lstm").key() != Experiment.book("gru").key()
    assert len({Experiment.book("lstm").replace(epochs=e).key() for e in (1, 2, 3)}) == 3


def test_key_is_stable_across_processes():
    code = ("from rnnlab.config import Experiment; "
            "print(Experiment.book('lstm').key(), Experiment.book('linear').replace(noise=0.3).key())")
    keys = set()
    for hashseed in ("1", "12345"):
        out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True,
                             env={"PYTHONHASHSEED": hashseed, "PATH": "/usr/bin:/bin"})
        keys.add(out.stdout.strip())
    assert len(keys) == 1
    expected = f"{Experiment.book('lstm').key()} {Experiment.book('linear').replace(noise=0.3).key()}"
    assert keys == {expected}


def test_from_dict_rejects_unknown_fields():
    data = Experiment().to_dict()
    data["series"]["n_seris"] = 5
    with pytest.raises(ValueError, match="unknown SeriesSpec fields: n_seris"):
        Experiment.from_dict(data)
    with pytest.raises(ValueError, match="unknown experiment sections: extra"):
        Experiment.from_dict({"extra": {}})


def test_from_flat_parses_strings_like_url_parameters():
    exp = Experiment.from_flat({"model": "lstm", "mode": "seq2vec", "horizon": "5", "units": "8", "epochs": "3",
                                "learning_rate": "0.01", "noise": "0.2", "train_seed": "7"})
    assert exp.model.name == "lstm" and exp.model.units == 8 and exp.series.horizon == 5
    assert exp.train.epochs == 3 and exp.train.learning_rate == 0.01 and exp.train.seed == 7
    assert exp.series.noise == 0.2 and exp.series.seed == 42
    assert Experiment.from_flat({"model": "wavenet", "dilations": "1,2,4"}).model.dilations == (1, 2, 4)
    # Missing learning rate: the model's book default.
    assert Experiment.from_flat({"model": "simple_rnn"}).train.learning_rate == 0.005


@pytest.mark.parametrize(
    "params, fragment",
    [
        ({"epochs": "ten"}, "epochs='ten' is not a whole number"),
        ({"epochs": "2.5"}, "epochs='2.5' is not a whole number"),
        ({"noise": "lots"}, "noise='lots' is not a number"),
        ({"noise": "nan"}, "noise=nan must be a finite number"),
        ({"model": "../../etc"}, "unknown model '../../etc'"),
        ({"bogus": "1"}, "unknown parameter 'bogus'"),
        ({"units": "x" * 300}, "at most 200 are accepted"),
        ({"dilations": "1,a"}, "dilations='1,a' must be whole numbers"),
    ],
)
def test_from_flat_reports_unparsable_values(params, fragment):
    with pytest.raises(ValueError) as info:
        Experiment.from_flat(params)
    assert fragment in str(info.value)


def test_parse_flat_lenient_keeps_going_and_says_what_it_replaced():
    parsed = parse_flat({"model": "lstm", "units": "-3", "epochs": "abc", "horizon": "10", "zzz": "1"})
    exp, problems = parsed.experiment, parsed.problems
    assert exp.model.name == "lstm" and exp.model.units == 20 and exp.train.epochs == 20
    assert exp.series.horizon == 10 and exp.model.mode == "seq2seq"
    text = " | ".join(problems)
    assert "units=-3 is out of range" in text and "epochs='abc'" in text and "'zzz'" in text
    assert len(problems) == 3


def test_parse_flat_lenient_fixes_mode_horizon_conflicts():
    parsed = parse_flat({"model": "linear", "mode": "one_step", "horizon": "10"})
    exp, problems = parsed.experiment, parsed.problems
    assert exp.series.horizon == 10 and exp.model.mode in ("iterative", "seq2vec")
    assert any("needs horizon=1" in p for p in problems)


def test_flat_fields_cover_every_spec_field():
    """Each flat name stands for one attribute of one spec, no attribute has two names, and none has none."""
    covered = [(FIELDS[name].section, FIELDS[name].attribute) for name in FLAT_FIELDS]
    assert len(covered) == len(set(covered)), covered
    specs = {"series": SeriesSpec, "model": ModelSpec, "train": TrainSpec}
    assert set(covered) == {(section, f.name) for section, spec in specs.items() for f in dataclasses.fields(spec)}
    assert {"model", "n_series", "mode", "units", "epochs", "train_seed", "seed"} <= set(FLAT_FIELDS)
