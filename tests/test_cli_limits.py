"""The instance's budget binds the command line as it binds the pages: a training in the command's own process
estimated above RNNLAB_MAX_JOB_SECONDS is refused before anything is loaded (``--no-limits`` lets an operator's own
long run through), and a training that does run says what it is doing from the first second."""

from __future__ import annotations

import argparse
import io

import pytest

from rnnlab.cli import main
from rnnlab.cli import running
from rnnlab.cli.options import CliError
from rnnlab.config import parse_flat

BIG = ["train", "lstm", "--units", "256", "--layers", "3", "--n-series", "20000", "--n-steps", "500", "--epochs", "200",
       "--mode", "seq2seq", "--horizon", "50"]


def test_a_training_over_the_budget_is_refused_with_the_estimate_and_the_way_out(home, monkeypatch, capsys):
    monkeypatch.setenv("RNNLAB_MAX_JOB_SECONDS", "30")
    trained = []
    monkeypatch.setattr(running, "_train_here", lambda exp, store: trained.append(exp))
    assert main(["--home", str(home), *BIG], out=io.StringIO()) == 2
    err = capsys.readouterr().err
    assert "at most 30 s per training (RNNLAB_MAX_JOB_SECONDS)" in err and "this training would take about" in err
    assert "--no-limits trains it anyway" in err
    assert trained == [] and not (home / "runs").exists()


def test_no_limits_lets_an_operators_long_run_through(home, monkeypatch):
    monkeypatch.setenv("RNNLAB_MAX_JOB_SECONDS", "30")
    exp = parse_flat({"model": "lstm", "units": "256", "n_series": "20000", "epochs": "200"}, strict=True).experiment
    args = argparse.Namespace(home=home, no_limits=False)
    with pytest.raises(CliError, match="RNNLAB_MAX_JOB_SECONDS"):
        running.check_budget([exp], args)
    running.check_budget([exp], argparse.Namespace(home=home, no_limits=True))  # no refusal
    monkeypatch.setenv("RNNLAB_MAX_JOB_SECONDS", "1000000")
    running.check_budget([exp], args)  # within a generous budget: no refusal either


def test_a_training_here_says_what_it_does_before_the_first_epoch(home, capfd):
    assert main(["--home", str(home), "train", "linear", "--n-series", "200", "--epochs", "2", "--n-steps", "10"],
                out=io.StringIO()) == 0
    lines = capfd.readouterr().err.splitlines()
    loading = next(i for i, line in enumerate(lines) if line.startswith("linear: loading Keras ("))
    preparing = next(i for i, line in enumerate(lines) if line.startswith("linear: preparing the data and compiling"))
    first_epoch = next(i for i, line in enumerate(lines) if "1/2" in line)
    assert loading < preparing < first_epoch
