"""rnnlab.models.registry: every registry entry builds in every mode it claims, and trains one tiny epoch in every
mode it claims (a few of those trainings are made by tests/test_golden.py, see ``_cases``)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from rnnlab.series import dataset
from rnnlab.training import fit
from rnnlab.models.registry import REGISTRY, build_model, get_entry, receptive_field

from helpers import ROOT, check_trained, tiny
from test_golden import GOLDEN

# the real-series forecasters (seasonal naive, ETS, ARIMA, Theta) are refused here: tests/test_yardstick_runs.py
CASES = [(name, mode) for name, entry in REGISTRY.items() if not entry.real_only for mode in entry.modes]


def _cases() -> list[tuple[str, str]]:
    """The cases trained here: every model in every mode, but for two kinds of case another training makes.

    * A reproduction figure's model in its book mode: tests/test_golden.py trains it (the book's experiment,
      shrunk, for two epochs) and checks of it all this file checks (``helpers.check_trained``).
    * ``one_step`` where the model also has ``iterative``: the two build the same Keras model (one output,
      ``registry.output_size``) and fit it on the same targets (``dataset.make_targets``), asserted by
      test_one_step_builds_and_fits_what_iterative_does below; ``iterative`` then rolls that one-step forecast
      forward, and ``one_step``'s own forecast is ``fit.forecast``'s direct one, met by every ``seq2vec`` case
      and by the ``one_step`` trainings left (the naive forecast's, conv_gru's, and test_golden's).

    (Each training of a new model shape is a few dozen XLA compilations, seconds of CPU; every mode was 27.)"""
    return [(name, mode) for name, mode in CASES if (name, mode) not in GOLDEN_CASES
            and not (mode == "one_step" and "iterative" in REGISTRY[name].modes)]


#: The trainings of tests/test_golden.py: each model of its reproduction figures in its book mode.
GOLDEN_CASES = {(name, REGISTRY[name].book_mode) for name in GOLDEN["first"]}
TRAINED = _cases()


@pytest.mark.parametrize("name, mode", TRAINED, ids=[f"{n}-{m}" for n, m in TRAINED])
def test_every_model_trains_one_tiny_epoch_in_every_mode(name, mode):
    horizon = 1 if mode == "one_step" else 3
    exp = tiny(name, mode, horizon)
    epochs_seen = []
    result = fit.run(exp, on_epoch=epochs_seen.append, save_model=False)
    check_trained(exp, result, epochs_seen)


def test_the_cases_left_to_other_trainings_are_trained_there():
    """Every (model, mode) is trained: here, by tests/test_golden.py, or (one_step) as iterative."""
    for name, mode in set(CASES) - set(TRAINED):
        assert (name, mode) in GOLDEN_CASES or (mode == "one_step" and (name, "iterative") in TRAINED), (name, mode)


@pytest.mark.parametrize("name", [n for n, e in REGISTRY.items() if {"one_step", "iterative"} <= set(e.modes)])
def test_one_step_builds_and_fits_what_iterative_does(name):
    """``one_step`` and ``iterative`` differ only in the forecast: the same Keras model, the same targets."""
    one, rolled = tiny(name, "one_step", 1), tiny(name, "iterative", 3)

    def described(model):
        return [(layer.name, type(layer).__name__, layer.count_params(), tuple(layer.output.shape))
                for layer in model.layers if type(layer).__name__ != "InputLayer"]

    assert described(build_model(one)) == described(build_model(rolled))
    assert get_entry(name).count_params(one) == get_entry(name).count_params(rolled)
    series = np.random.default_rng(0).normal(size=(4, one.series.n_steps + 3, 1)).astype("float32")
    assert np.array_equal(dataset.make_targets(series, one), dataset.make_targets(series, rolled))


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
    exp = tiny(name, mode, 1 if mode == "one_step" else 3)
    entry = get_entry(name)
    if not entry.trainable:
        assert entry.layers(exp) == [] and entry.count_params(exp) is None
        return
    model = build_model(exp)
    built = [(layer.name, layer.count_params()) for layer in model.layers if type(layer).__name__ != "InputLayer"]
    described = [(layer.name, layer.params()) for layer in entry.layers(exp)]
    assert built == described
