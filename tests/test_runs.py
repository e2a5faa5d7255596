"""rnnlab.runs: the aggregates the pages show, from typed run summaries (no store, no training)."""

from __future__ import annotations

from rnnlab.config import Experiment
from rnnlab.runs import RunSummary, best_per_model, leaderboard


def summary(model: str, mode: str, val_mse: float, *, seed: int = 42, params: int = 10, created: str = "") -> RunSummary:
    exp = Experiment.book(model, mode).replace(train_seed=seed)
    scores = {"mse": val_mse, "mae": val_mse * 2, "rmse": val_mse ** 0.5, "mase": 0.5}
    return RunSummary(key=exp.key(), experiment=exp, metrics={"valid": scores, "test": {**scores, "mse": val_mse * 1.1}},
                      naive_metrics={"valid": {"mse": 0.02}, "test": {"mse": 0.021}}, mse_per_step={},
                      params_total=params, history=[{"epoch": 1, "loss": 1.0, "val_loss": 1.0, "seconds": 2.0},
                                                    {"epoch": 2, "loss": 0.5, "val_loss": 0.6, "seconds": 1.0}],
                      train_seconds=3.0, created=created)


def test_leaderboard_ranks_every_run_by_validation_mse():
    runs = [summary("lstm", "seq2seq", 0.009), summary("gru", "seq2seq", 0.008), summary("lstm", "seq2seq", 0.007, seed=1)]
    rows = leaderboard(runs)
    assert [row["valid MSE"] for row in rows] == [0.007, 0.008, 0.009]
    assert [row["model"] for row in rows] == ["lstm", "gru", "lstm"]
    assert rows[0]["key"] == runs[2].key and rows[0]["run"] == runs[2].label and rows[0]["epochs"] == 2
    assert rows[0]["test MSE"] == 0.007 * 1.1 and rows[0]["seconds"] == 3.0
    assert leaderboard([]) == []


def test_best_per_model_keeps_the_best_run_and_counts_them_all():
    runs = [summary("lstm", "seq2seq", 0.009), summary("lstm", "seq2seq", 0.006, seed=1),
            summary("lstm", "seq2vec", 0.01), summary("naive", "one_step", 0.02, params=0),
            summary("lstm", "seq2seq", 0.006, seed=2)]  # a tie: the first one listed stays
    rows = best_per_model(runs)
    assert [(r["model"], r["mode"], r["best validation MSE"], r["runs"]) for r in rows] == [
        ("lstm", "seq2seq", 0.006, 3), ("lstm", "seq2vec", 0.01, 1), ("naive", "one_step", 0.02, 1)]
    assert rows[0]["key"] == runs[1].key and rows[2]["parameters"] == 0


def test_summary_properties():
    run = summary("deep_rnn_dense", "one_step", 0.003)
    assert (run.model, run.mode, run.epochs, run.trained) == ("deep_rnn_dense", "one_step", 2, True)
    assert run.seconds_per_epoch == 1.0  # the first epoch (compilation) left out
    assert run.naive_val_mse == 0.02 and run.label.startswith("deep_rnn_dense · one_step · ")
