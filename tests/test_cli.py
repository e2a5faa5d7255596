"""python -m rnnlab: list, train through the store (cached without TensorFlow), bad input, reproduce."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys

import pytest

from rnnlab.cli import main
from rnnlab.cli import train as train_commands
from rnnlab.store.runstore import RunStore

from helpers import ROOT, child_env

TINY = ["--n-series", "200", "--n-steps", "20", "--epochs", "1", "--batch-size", "20"]  # as helpers.tiny


def run_cli(*args: str, env_home=None, extra_env=None) -> subprocess.CompletedProcess:
    env = child_env(**(extra_env or {}))
    if env_home:
        env["RNNLAB_HOME"] = str(env_home)
    return subprocess.run([sys.executable, "-m", "rnnlab", *args], cwd=ROOT, capture_output=True, text=True, env=env,
                          timeout=300)


def test_list_shows_every_model_and_its_modes():
    out = io.StringIO()
    assert main(["list", "--json"], out=out) == 0
    rows = {row["name"]: row for row in json.loads(out.getvalue())}
    assert rows["lstm"]["modes"] == ["one_step", "iterative", "seq2vec", "seq2seq"]
    assert rows["linear"]["book_params"] == "51" and rows["wavenet"]["modes"] == ["seq2seq"]
    text = io.StringIO()
    main(["list"], out=text)
    assert "simple_rnn" in text.getvalue() and "only 3 parameters" in text.getvalue()


@pytest.fixture(scope="module")
def trained_linear(tmp_path_factory) -> tuple:
    """A store with the tiny linear model trained by ``python -m rnnlab train`` (one training for the two tests
    below), and that command's completed process."""
    home = tmp_path_factory.mktemp("cli-linear") / "home"
    return home, run_cli("train", "linear", *TINY, "--json", env_home=home)


def test_train_then_cached_without_tensorflow(trained_linear):
    home, first = trained_linear
    assert first.returncode == 0, first.stderr
    result = json.loads(first.stdout)
    assert result["cached"] is False and result["params_total"] == 21  # 20 inputs + 1 bias
    assert "linear: [" in first.stderr  # progress bar on stderr
    assert RunStore(home).has(result["key"])

    code = ("import sys, io; from rnnlab.cli import main; out = io.StringIO(); "
            f"status = main(['train', 'linear', {', '.join(repr(a) for a in TINY)}], out=out); "
            "print(out.getvalue()); print('TF_LOADED' if 'tensorflow' in sys.modules or 'keras' in sys.modules "
            "else 'TF_ABSENT'); sys.exit(status)")
    second = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                            env=child_env(RNNLAB_HOME=str(home)), timeout=120)
    assert second.returncode == 0, second.stderr
    assert "cached: stored result, not retrained" in second.stdout and "TF_ABSENT" in second.stdout
    assert "was trained before" in second.stderr
    assert f"{result['metrics']['valid']['mse']:.6f}" in second.stdout


def test_damaged_entry_is_retrained_not_a_crash(trained_linear, home):
    shutil.copytree(trained_linear[0], home)  # the store with the tiny linear model, damaged below
    key = json.loads(trained_linear[1].stdout)["key"]
    (home / "runs" / key / "result.json").write_text("{ truncated")
    again = run_cli("train", "linear", *TINY, "--json", env_home=home)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["cached"] is False
    assert "damaged" in again.stderr
    assert RunStore(home).get(key) is not None


@pytest.mark.parametrize(
    "args, message",
    [
        (["train", "transformer"], "unknown model 'transformer'"),
        (["train", "linear", "--epochs", "zero"], "epochs='zero' is not a whole number"),
        (["train", "linear", "--epochs", "0"], "epochs=0 is out of range: allowed 1 to"),
        (["train", "linear", "--noise", "nan"], "noise=nan must be a finite number"),
        (["train", "lstm", "--mode", "one_step", "--horizon", "10"], "needs horizon=1"),
        (["train", "lstm", "--units", "100000"], "units=100000 is out of range"),
        (["train", "linear", "--learning-rate", "-1"], "learning_rate=-1 is out of range"),
        (["train", "linear", "--repeats", "0"], "--repeats: repeats=0 is out of range: allowed 1 to 10"),
        (["sweep", "linear", "--grid", "units=5,10"], "--grid units: is not used by linear on this data; fields you "
                                                       "can sweep: mode, "),
        (["sweep", "lstm", "--grid", "units"], "write FIELD=value1,value2"),
        (["sweep", "lstm", "--grid", "units=5,x"], "units='x' is not a whole number"),
        (["sweep", "lstm", "--grid", "units=5,10", "--repeats", "11"], "repeats=11 is out of range: allowed 1 to 10"),
        (["sweep", "lstm", "--grid", "units=5,10", "--sample", "-1"], "sample=-1 is out of range: allowed 0 to 1000"),
        (["sweep", "lstm", "--grid", "units=1,2,3,4,5,6,7,8,9,10,11,12", "--grid", "layers=1,2,3"],
         "180 trainings in one request: at most 60 (RNNLAB_MAX_SWEEP_JOBS)"),
    ],
)
def test_bad_input_gives_a_clear_message_and_status_2(home, args, message, capsys):
    assert main(args) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert list(RunStore(home).keys()) == []


def test_reproduce_quick_prints_the_table(home):
    proc = run_cli("reproduce", "--quick", "--only", "naive,linear", env_home=home)
    assert proc.returncode == 0, proc.stderr
    lines = [line for line in proc.stdout.splitlines() if line.startswith("| ")]
    assert lines[0].startswith("| model | mode |")
    rows = [line for line in lines[1:] if not line.startswith("|---")]
    assert [r.split(" | ")[0:2] for r in rows] == [["| naive", "one_step"], ["| linear", "one_step"],
                                                   ["| naive", "seq2vec"], ["| linear", "seq2vec"]]
    assert "0.0202114" in proc.stdout  # the book's naive figure is printed beside ours
    assert "[1/4] naive one_step" in proc.stderr


def test_sweep_trains_every_cell_on_the_workers_and_a_second_call_trains_nothing(home):
    # two sizes, three seeds each: six trainings over the two workers (each new size is a compilation)
    args = ["sweep", "deep_rnn_dense", "--grid", "units=5,10", "--repeats", "3", *TINY, "--json"]
    env = {"RNNLAB_WORKERS": "2", "RNNLAB_CALIBRATE": "0"}
    first = run_cli(*args, env_home=home, extra_env=env)
    assert first.returncode == 0, first.stderr[-3000:]
    report = json.loads(first.stdout)
    assert (report["trainings"], report["trained"], report["from_store"]) == (6, 6, 0)
    assert "6 trainings: 0 from the store, 6 to train on 2 workers" in first.stderr
    assert [c["units"] for c in report["cells"]] == [5, 10]
    assert all(len(c["valid_mse"]["values"]) == 3 and len(c["keys"]) == 3 for c in report["cells"])
    cell = report["cells"][1]
    assert cell["valid_mse"]["mean"] == pytest.approx(sum(cell["valid_mse"]["values"]) / 3)
    best = min(report["cells"], key=lambda c: c["valid_mse"]["mean"])
    assert report["best"] == {"units": best["units"]}
    store = RunStore(home)
    assert len(list(store.keys())) == 6
    assert sorted(r.experiment.train.seed for r in store.list() if r.experiment.model.units == 5) == [42, 43, 44]

    second = run_cli(*args[:-1], env_home=home, extra_env=env)  # the table this time
    assert second.returncode == 0, second.stderr[-3000:]
    assert "6 trainings: 6 from the store, 0 to train" in second.stderr
    assert "trained    0, from the store 6" in second.stdout
    assert "units=5" in second.stdout and "<- best" in second.stdout
    assert len(list(store.keys())) == 6


def test_train_estimate_says_how_long_without_training(home):
    proc = run_cli("train", "lstm", "--estimate", env_home=home)
    assert proc.returncode == 0, proc.stderr
    assert "estimate   about" in proc.stdout and "per epoch" in proc.stdout
    assert "shipped two-core figures" in proc.stdout  # this home has not calibrated
    small = json.loads(run_cli("train", "lstm", "--estimate", "--json", env_home=home).stdout)
    big = json.loads(run_cli("train", "lstm", "--estimate", "--json", "--units", "128", "--epochs", "40",
                             env_home=home).stdout)
    assert 0 < small["first_epoch_seconds"] < small["seconds"] < big["seconds"]
    assert big["seconds_per_epoch"] > 4 * small["seconds_per_epoch"]  # 128 units: far more operations per step
    assert list(RunStore(home).keys()) == []


def test_train_repeats_reports_each_seed_and_the_spread(home):
    proc = run_cli("train", "linear", *TINY, "--repeats", "3", "--json", env_home=home,
                   extra_env={"RNNLAB_WORKERS": "1", "RNNLAB_CALIBRATE": "0"})  # (the sweep above uses two)
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(proc.stdout)
    assert report["seeds"] == [42, 43, 44] and [r["seed"] for r in report["runs"]] == [42, 43, 44]
    values = [r["valid_mse"] for r in report["runs"]]
    assert report["valid_mse"]["mean"] == pytest.approx(sum(values) / 3)
    assert report["valid_mse"]["min"] == min(values) and report["valid_mse"]["std"] > 0
    assert len(set(values)) == 3  # three seeds, three different trainings
    # the mean of the seeds' forecasts: never worse than the seeds' mean MSE (the square is convex)
    assert 0 < report["ensemble"]["valid"]["mse"] <= report["valid_mse"]["mean"]


def test_a_user_error_is_one_line_on_stderr_and_status_2(home, capsys):
    assert main(["train", "linear", "--epochs", "0"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("rnnlab train: error: epochs=0 is out of range") and err.count("\n") == 1, err


def test_a_bad_setting_in_the_environment_is_a_user_error(home, monkeypatch, capsys):
    monkeypatch.setenv("RNNLAB_MAX_EPOCHS", "lots")
    assert main(["list"]) == 2
    err = capsys.readouterr().err
    assert err == "rnnlab: error: RNNLAB_MAX_EPOCHS='lots' must be a whole number of at least 1\n"


def test_a_bug_is_not_taken_for_a_user_error(home, monkeypatch):
    """A ValueError that is not one of rnnlab's user errors is a bug: it propagates with its traceback."""
    def broken(args, out):
        raise ValueError("bug")

    monkeypatch.setattr(train_commands, "cmd_list", broken)
    with pytest.raises(ValueError, match="bug"):
        main(["list"])
