"""python -m rnnlab: list, train through the store (cached without TensorFlow), bad input, reproduce."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pytest

from rnnlab.cli import main
from rnnlab.store import RunStore

from helpers import ROOT

TINY = ["--n-series", "200", "--n-steps", "20", "--epochs", "1"]


def run_cli(*args: str, env_home=None) -> subprocess.CompletedProcess:
    env = {"PATH": "/usr/bin:/bin", "TF_CPP_MIN_LOG_LEVEL": "3"}
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


def test_train_then_cached_without_tensorflow(home):
    first = run_cli("train", "linear", *TINY, "--json", env_home=home)
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
                            env={"PATH": "/usr/bin:/bin", "RNNLAB_HOME": str(home)}, timeout=120)
    assert second.returncode == 0, second.stderr
    assert "cached: stored result, not retrained" in second.stdout and "TF_ABSENT" in second.stdout
    assert "was trained before" in second.stderr
    assert f"{result['metrics']['valid']['mse']:.6f}" in second.stdout


def test_damaged_entry_is_retrained_not_a_crash(home):
    first = run_cli("train", "linear", *TINY, "--json", env_home=home)
    key = json.loads(first.stdout)["key"]
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
