"""python -m rnnlab: list, train through the store (cached without TensorFlow), bad input, reproduce."""

from __future__ import annotations

import contextlib
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
    """A store with the tiny linear model trained by the command line's ``train`` (one training for the two tests
    below), and that command's status, stdout and stderr. It runs in this process: the claim about a fresh
    process (no TensorFlow for a stored result) is the second command's, which does run in one of its own."""
    home = tmp_path_factory.mktemp("cli-linear") / "home"
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err):
        status = main(["--home", str(home), "train", "linear", *TINY, "--json"], out=out)
    return home, subprocess.CompletedProcess(["rnnlab", "train"], status, out.getvalue(), err.getvalue())


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


def test_a_shape_trained_in_this_process_is_estimated_without_its_compilation(trained_linear):
    """After ``train`` in the command's own process, the same shape with another seed or more epochs is estimated
    without a compilation (JAX keeps it in the store's compilation cache); another shape still pays one."""
    home, first = trained_linear
    assert first.returncode == 0, first.stderr

    def estimate(*changes: str) -> dict:
        out = io.StringIO()
        assert main(["--home", str(home), "train", "linear", *TINY, *changes, "--estimate", "--json"], out=out) == 0
        return json.loads(out.getvalue())

    again, longer, other = estimate("--train-seed", "5"), estimate("--epochs", "3"), estimate("--n-steps", "24")
    assert again["compiled"] and longer["compiled"] and not other["compiled"]
    assert again["first_epoch_seconds"] == pytest.approx(again["seconds_per_epoch"])
    assert other["first_epoch_seconds"] > other["seconds_per_epoch"]
    text = io.StringIO()
    main(["--home", str(home), "train", "linear", *TINY, "--train-seed", "5", "--estimate"], out=text)
    assert "its shape was compiled here before" in text.getvalue()


def test_damaged_entry_is_retrained_not_a_crash(trained_linear, home, capsys, caplog):
    shutil.copytree(trained_linear[0], home)  # the store with the tiny linear model, damaged below
    key = json.loads(trained_linear[1].stdout)["key"]
    (home / "runs" / key / "result.json").write_text("{ truncated")
    assert main(["train", "linear", *TINY, "--json"]) == 0  # in this process: RNNLAB_HOME is `home`
    again = capsys.readouterr()
    assert json.loads(again.out)["cached"] is False
    assert "damaged" in caplog.text  # the store's warning (on stderr in a process of its own)
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
        (["bench", "--here"], "--here goes with --estimates"),
    ],
)
def test_bad_input_gives_a_clear_message_and_status_2(home, args, message, capsys):
    assert main(args) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert list(RunStore(home).keys()) == []


def test_reproduce_quick_prints_the_table(home, capsys):
    assert main(["reproduce", "--quick", "--only", "naive,linear"]) == 0
    proc = capsys.readouterr()
    lines = [line for line in proc.out.splitlines() if line.startswith("| ")]
    assert lines[0].startswith("| model | mode |")
    rows = [line for line in lines[1:] if not line.startswith("|---")]
    assert [r.split(" | ")[0:2] for r in rows] == [["| naive", "one_step"], ["| linear", "one_step"],
                                                   ["| naive", "seq2vec"], ["| linear", "seq2vec"]]
    assert "0.0202114" in proc.out  # the book's naive figure is printed beside ours
    assert "[1/4] naive one_step" in proc.err


def test_sweep_trains_every_cell_on_the_workers_and_a_second_call_trains_nothing(home, on_shared_cluster, capsys):
    # two sizes, two seeds each: four trainings on the cluster this test process shares (--scheduler), each new
    # size a compilation. Two seeds are enough for a cell's mean and for telling the seeds apart; how many workers
    # the command starts of its own (RNNLAB_WORKERS) is the repeats' test below.
    args = ["sweep", "deep_rnn_dense", "--grid", "units=5,10", "--repeats", "2", *TINY,
            "--scheduler", on_shared_cluster, "--json"]
    assert main(args) == 0
    first = capsys.readouterr()
    report = json.loads(first.out)
    assert (report["trainings"], report["trained"], report["from_store"]) == (4, 4, 0)
    assert "4 trainings: 0 from the store, 4 to train on the workers" in first.err
    assert [c["units"] for c in report["cells"]] == [5, 10]
    assert all(len(c["valid_mse"]["values"]) == 2 and len(c["keys"]) == 2 for c in report["cells"])
    cell = report["cells"][1]
    assert cell["valid_mse"]["mean"] == pytest.approx(sum(cell["valid_mse"]["values"]) / 2)
    best = min(report["cells"], key=lambda c: c["valid_mse"]["mean"])
    assert report["best"] == {"units": best["units"]}
    store = RunStore(home)
    assert len(list(store.keys())) == 4
    assert sorted(r.experiment.train.seed for r in store.list() if r.experiment.model.units == 5) == [42, 43]

    assert main(args[:-1]) == 0  # the table this time
    second = capsys.readouterr()
    assert "4 trainings: 4 from the store, 0 to train" in second.err
    assert "trained    0, from the store 4" in second.out
    assert "units=5" in second.out and "<- best" in second.out
    assert len(list(store.keys())) == 4


def test_train_estimate_says_how_long_without_training(home):
    def estimate(*extra: str) -> str:
        out = io.StringIO()
        assert main(["train", "lstm", "--estimate", *extra], out=out) == 0
        return out.getvalue()

    text = estimate()
    assert "estimate   about" in text and "per epoch" in text
    assert "shipped two-core figures" in text  # this home has not calibrated
    small = json.loads(estimate("--json"))
    big = json.loads(estimate("--json", "--units", "128", "--epochs", "40"))
    assert 0 < small["first_epoch_seconds"] < small["seconds"] < big["seconds"]
    assert big["seconds_per_epoch"] > 4 * small["seconds_per_epoch"]  # 128 units: far more operations per step
    assert list(RunStore(home).keys()) == []


def test_train_repeats_reports_each_seed_and_the_spread(home, monkeypatch, capsys):
    """--repeats trains on the command's own embedded cluster of RNNLAB_WORKERS workers (one here). Two seeds
    are enough for the claims: each seed reported, two different trainings, a spread and their ensemble."""
    monkeypatch.setenv("RNNLAB_WORKERS", "1")
    monkeypatch.delenv("RNNLAB_SCHEDULER", raising=False)
    assert main(["train", "linear", *TINY, "--repeats", "2", "--json"]) == 0
    proc = capsys.readouterr()
    assert "2 trainings: 0 from the store, 2 to train on 1 workers" in proc.err
    report = json.loads(proc.out)
    assert report["seeds"] == [42, 43] and [r["seed"] for r in report["runs"]] == [42, 43]
    values = [r["valid_mse"] for r in report["runs"]]
    assert report["valid_mse"]["mean"] == pytest.approx(sum(values) / 2)
    assert report["valid_mse"]["min"] == min(values) and report["valid_mse"]["std"] > 0
    assert len(set(values)) == 2  # two seeds, two different trainings
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
