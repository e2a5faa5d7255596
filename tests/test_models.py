"""rnnlab.models.registry: every registry entry builds and trains one tiny epoch in every mode it claims."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from rnnlab.models import anatomy

from rnnlab.training import fit
from rnnlab.models.registry import REGISTRY, get_entry, receptive_field

from helpers import ROOT, tiny

# the real-series forecasters (seasonal naive, ETS, ARIMA, Theta) are refused here: tests/test_yardstick_runs.py
CASES = [(name, mode) for name, entry in REGISTRY.items() if not entry.real_only for mode in entry.modes]


@pytest.mark.parametrize("name, mode", CASES, ids=[f"{n}-{m}" for n, m in CASES])
def test_every_model_trains_one_tiny_epoch_in_every_mode(name, mode):
    horizon = 1 if mode == "one_step" else 3
    exp = tiny(name, mode, horizon)
    epochs_seen = []
    # XLA compilation is most of a tiny run's time and is exercised elsewhere; here: every architecture.
    result = fit.run(exp, on_epoch=epochs_seen.append, save_model=False, jit_compile=False)
    n_valid = exp.series.split_sizes()[1]
    assert result.predictions["valid"].shape == (n_valid, horizon)
    assert result.predictions["test"].shape == (exp.series.split_sizes()[2], horizon)
    assert np.isfinite(result.metrics["valid"]["mse"]) and result.metrics["valid"]["mse"] > 0
    entry = get_entry(name)
    if entry.trainable:
        assert [e["epoch"] for e in epochs_seen] == [1] and epochs_seen[0]["epochs"] == 1
        assert len(result.history) == 1 and result.history[0]["seconds"] > 0
        # The parameter formula (used before building, for limits and the Inspect page) matches Keras.
        assert result.params_total == entry.count_params(exp)
        assert sum(layer["params"] for layer in result.layers) == result.params_total
        # The Inspect page's formula explains every layer's count.
        for row in anatomy.layer_table(result.layers, exp):
            assert row["formula"] and row["formula_params"] == row["params"], row
    else:
        assert result.params_total == 0 and result.history == []
        assert result.metrics["valid"]["rel_mae"] == pytest.approx(1.0) and "mase" not in result.metrics["valid"]
    if horizon > 1:
        assert len(result.mse_per_step["valid"]) == horizon


def test_book_parameter_counts():
    from rnnlab.config import Experiment

    counts = {name: get_entry(name).count_params(Experiment.book(name))
              for name in REGISTRY if REGISTRY[name].trainable}
    assert counts["linear"] == 51 and counts["simple_rnn"] == 3 and counts["deep_rnn_dense"] == 1281


def test_unknown_model_lists_the_valid_ones():
    with pytest.raises(ValueError) as info:
        get_entry("transformer")
    assert "transformer" in str(info.value) and all(name in str(info.value) for name in REGISTRY)


def test_every_entry_is_documented():
    from rnnlab.config import FIELDS

    for entry in REGISTRY.values():
        assert entry.display_name and entry.description and entry.book_mode in entry.modes
        # A model's hyperparameters and its own defaults are fields of the field table.
        assert all(FIELDS[p].model_param for p in entry.params)
        overridden = set(entry.defaults) | {n for d in entry.mode_defaults.values() for n in d}
        assert overridden <= set(FIELDS)
        assert all(FIELDS[p].model_param is False or p in entry.params for p in overridden)


def test_registry_import_does_not_load_keras():
    code = ("import sys, rnnlab.models.registry, rnnlab.config, rnnlab.store.runstore, rnnlab.series.dataset; "
            "rnnlab.config.Experiment.book('lstm'); "
            "print(sorted(m for m in ('keras', 'tensorflow', 'streamlit') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_receptive_field():
    assert receptive_field(2, (1, 2, 4, 8)) == 16
    assert receptive_field(2, (1, 2, 4, 8, 1, 2, 4, 8)) == 31


def test_no_caller_branches_on_a_model_name():
    """The registry is the only place that knows a model: no module compares a model's name with a literal."""
    import re

    pattern = re.compile(r"""(model\.name|\bname|\["name"\]|\.model)\s*(==|!=|in)\s*\(?["'](naive|linear|simple_rnn|deep_rnn|"""
                         r"""deep_rnn_dense|layernorm_rnn|lstm|gru|conv_gru|wavenet|seasonal_naive|ets|arima|"""
                         r"""theta)["']""")
    offenders = []
    for path in [*ROOT.joinpath("rnnlab").rglob("*.py"), *ROOT.joinpath("pages").glob("*.py")]:
        if path.name in ("registry.py", "book_code.py"):  # the registry itself; the book's code as written
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if pattern.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not offenders, offenders


@pytest.mark.parametrize("name, mode", CASES, ids=[f"{n}-{m}" for n, m in CASES])
def test_keras_model_follows_the_description(name, mode):
    """The Keras model has exactly the described layers, and each layer the parameters its formula gives."""
    from rnnlab.models.registry import build_model

    exp = tiny(name, mode, 1 if mode == "one_step" else 3)
    entry = get_entry(name)
    if not entry.trainable:
        assert entry.layers(exp) == [] and entry.count_params(exp) is None
        return
    model = build_model(exp)
    built = [(layer.name, layer.count_params()) for layer in model.layers if type(layer).__name__ != "InputLayer"]
    described = [(layer.name, layer.params()) for layer in entry.layers(exp)]
    assert built == described
