"""A catalogue of hostile input, through URL query parameters (AppTest) and the command line.

Every case must give a clear message naming what was wrong, keep the app working, write nothing to the
store, and leave the runs already stored byte for byte as they were.
"""

from __future__ import annotations

import hashlib

import pytest
from streamlit.testing.v1 import AppTest

from rnnlab.training import fit as training
from rnnlab.cli import main
from rnnlab.jobs.manager import reset_manager
from rnnlab.store.runstore import RunStore

from helpers import ROOT, tiny

LONG = "9" * 10_000

# (query parameters, fragments the warning must contain, the values used instead)
DEFAULT = {"model": "deep_rnn_dense", "mode": "one_step"}
URL_CASES = [
    ({"epochs": "abc"}, ["epochs='abc' is not a whole number"], {"epochs": 20}),
    ({"epochs": "nan"}, ["epochs='nan' is not a whole number"], {"epochs": 20}),
    ({"epochs": "inf"}, ["epochs='inf' is not a whole number"], {"epochs": 20}),
    ({"epochs": "-5"}, ["epochs=-5 is out of range"], {"epochs": 20}),
    ({"epochs": "0"}, ["epochs=0 is out of range"], {"epochs": 20}),
    ({"epochs": "1e9"}, ["epochs=1000000000 is out of range"], {"epochs": 20}),
    ({"epochs": ""}, ["epochs='' is not a whole number"], {"epochs": 20}),
    ({"n_series": "-1"}, ["n_series=-1 is out of range"], {"n_series": 10_000}),
    ({"n_series": "0"}, ["n_series=0 is out of range"], {"n_series": 10_000}),
    ({"n_series": "1000000"}, ["n_series=1000000 is out of range"], {"n_series": 10_000}),
    ({"units": "1e400", "model": "lstm"}, ["units='1e400' is not a whole number"],
     {"model": "lstm", "mode": "seq2seq", "horizon": 10, "units": 20}),
    ({"units": "20.5", "model": "lstm"}, ["units='20.5' is not a whole number"], {"model": "lstm", "units": 20}),
    ({"units": LONG, "model": "lstm"}, ["units: value is 10000 characters long"], {"model": "lstm", "units": 20}),
    ({"noise": "-0.1"}, ["noise=-0.1 is out of range"], {"noise": 0.1}),
    ({"noise": "NaN"}, ["noise=nan must be a finite number"], {"noise": 0.1}),
    ({"learning_rate": "inf"}, ["learning_rate=inf must be a finite number"], {"learning_rate": 1e-3}),
    ({"learning_rate": "0"}, ["learning_rate=0 is out of range"], {"learning_rate": 1e-3}),
    ({"model": "../../etc/passwd"}, ["unknown model '../../etc/passwd'"], DEFAULT),
    ({"model": "<script>alert(1)</script>"}, ["unknown model '<script>alert(1)</script>'"], DEFAULT),
    ({"mode": "sideways"}, ["mode='sideways' is not one of"], DEFAULT),
    ({"horizon": "0"}, ["horizon=0 is out of range"], {"horizon": 1, "mode": "one_step"}),
    ({"horizon": "1000"}, ["horizon=1000 is out of range"], {"horizon": 1, "mode": "one_step"}),
    ({"model": "wavenet", "dilations": "1,2,x"}, ["dilations='1,2,x' must be whole numbers"],
     {"model": "wavenet", "dilations": (1, 2, 4, 8, 1, 2, 4, 8)}),
    ({"model": "wavenet", "dilations": "0,0"}, ["dilations=0 is out of range"],
     {"model": "wavenet", "dilations": (1, 2, 4, 8, 1, 2, 4, 8)}),
    ({"model": "wavenet", "dilations": ",".join(["2"] * 500)}, ["dilations: value is 999 characters long"],
     {"model": "wavenet", "dilations": (1, 2, 4, 8, 1, 2, 4, 8)}),
    ({"../x": "1"}, ["unknown parameter '../x'"], DEFAULT),
    ({"..": "1"}, ["unknown parameter '..'"], DEFAULT),
    ({"a/b\\c": "1"}, ["unknown parameter 'a/b\\\\c'"], DEFAULT),
    ({"batch_size": "0"}, ["batch_size=0 is out of range"], {"batch_size": 32}),
    ({"optimizer": "evil"}, ["optimizer='evil' is not one of"], {"optimizer": "adam"}),
    ({"train_fraction": "0.99"}, ["train_fraction=0.99 is out of range"], {"train_fraction": 0.7}),
    ({"wave1_freq_min": "50", "wave1_freq_max": "10"}, ["wave1_freq_max=10 is below wave1_freq_min=50"],
     {"wave1_freq_min": 10.0, "wave1_freq_max": 20.0}),
    ({"n_steps": "2"}, ["n_steps=2 is out of range"], {"n_steps": 50}),
    ({"model": "naive", "mode": "seq2seq", "horizon": "5"}, ["mode='seq2seq' is not available for model 'naive'"],
     {"model": "naive", "mode": "seq2vec", "horizon": 5}),
    ({"seed": "-1"}, ["seed=-1 is out of range"], {"seed": 42}),
    ({"model": "lstm", "units": "256", "layers": "6"}, ["parameters: allowed at most 2,000,000"],
     {"model": "lstm", "units": 20, "layers": 2}),
    ({"model": "linear", "mode": "one_step", "horizon": "10"}, ["needs horizon=1"],
     {"model": "linear", "mode": "seq2vec", "horizon": 10}),
    ({"epochs": ["2", "3"]}, ["parameter 'epochs' appears 2 times"], {"epochs": 3}),
    ({LONG: "1"}, ["unknown parameter '" + "9" * 40 + "…'"], DEFAULT),
]


def snapshot(home) -> dict[str, str]:
    runs = home / "runs"
    return {str(p.relative_to(runs)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(runs.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def existing(tmp_path_factory):
    home = tmp_path_factory.mktemp("hostile") / "home"
    RunStore(home).put(training.run(tiny("naive")))
    RunStore(home).put(training.run(tiny("linear")))
    return home


@pytest.fixture
def guarded(existing, monkeypatch):
    monkeypatch.setenv("RNNLAB_HOME", str(existing))
    before = snapshot(existing)
    reset_manager()
    yield existing
    assert snapshot(existing) == before, "a stored run changed or a new one appeared"
    reset_manager()


@pytest.mark.parametrize("query, fragments, used", URL_CASES, ids=[f"url{i}" for i in range(len(URL_CASES))])
def test_hostile_url(guarded, query, fragments, used):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    for name, value in query.items():
        at.query_params[name] = value
    at.switch_page("pages/train.py")
    at.run()
    assert not at.exception, at.exception
    text = " ".join(w.value for w in at.warning)
    for fragment in fragments:
        assert fragment in text, text[:2000]
    assert at.title[0].value == "Train a model"  # the page still works...
    assert not at.button(key="train").disabled  # ...with a valid experiment to train...
    shown = at.session_state["_rnnlab_experiment"].to_flat()
    assert {name: shown.get(name) for name in used} == used  # ...made of the values the warning promised
    for name, value in used.items():  # and the widgets show them
        widget = at.session_state[f"w_{name}"]
        assert widget == (",".join(map(str, value)) if isinstance(value, tuple) else value), (name, widget)
    at.run()  # and keeps working on the next interaction
    assert not at.exception


CLI_CASES = [
    (["train", "linear", "--epochs", "abc"], "epochs='abc' is not a whole number"),
    (["train", "linear", "--epochs", "nan"], "epochs='nan' is not a whole number"),
    (["train", "linear", "--epochs", "-1"], "epochs=-1 is out of range"),
    (["train", "linear", "--n-series", "99999999999"], "n_series=99999999999 is out of range"),
    (["train", "linear", "--noise", "inf"], "noise=inf must be a finite number"),
    (["train", "../../etc/passwd"], "unknown model '../../etc/passwd'"),
    (["train", "lstm", "--mode", "sideways"], "mode='sideways' is not one of"),
    (["train", "lstm", "--units", LONG], "value is 10000 characters long"),
    (["train", "lstm", "--units", "256", "--layers", "6"], "allowed at most 2,000,000"),
    (["train", "wavenet", "--dilations", "1,,x"], "dilations='1,,x' must be whole numbers"),
    (["train", "linear", "--learning-rate", "0"], "learning_rate=0 is out of range"),
    (["train", "linear", "--train-fraction", "0.9", "--valid-fraction", "0.2"], "allowed at most 0.95 together"),
    (["warm", "--scale", "huge"], "invalid choice: 'huge'"),
    (["bench", "--epochs", "1"], "at least 2 are needed"),
    (["bench", "--compare", "gpu"], "invalid choice: 'gpu'"),
    (["frobnicate"], "invalid choice: 'frobnicate'"),
    (["reproduce", "--epochs", "0"], "epochs=0 is out of range"),
]


@pytest.mark.parametrize("args, message", CLI_CASES, ids=[f"cli{i}" for i in range(len(CLI_CASES))])
def test_hostile_cli(guarded, args, message, capsys):
    try:
        status = main(args)
    except SystemExit as exc:  # argparse refuses unknown commands and choices itself
        status = exc.code
    err = capsys.readouterr().err
    assert status == 2 and message in err and "Traceback" not in err, err[-1000:]
