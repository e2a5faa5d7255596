"""rnnlab.store.runs: the aggregates the pages show, from typed run summaries (no store, no training)."""

from __future__ import annotations

from rnnlab.config import Experiment
import pytest

from rnnlab.store.runs import RunSummary, Spread, best_per_model, group_repeats, leaderboard, repeat_key, separated


def summary(model: str, mode: str, val_mse: float, *, seed: int = 42, params: int = 10, created: str = "") -> RunSummary:
    exp = Experiment.book(model, mode).replace(train_seed=seed)
    scores = {"mse": val_mse, "mae": val_mse * 2, "rmse": val_mse ** 0.5, "mase": 0.5}
    return RunSummary(key=exp.key(), experiment=exp, metrics={"valid": scores, "test": {**scores, "mse": val_mse * 1.1}},
                      naive_metrics={"valid": {"mse": 0.02}, "test": {"mse": 0.021}}, mse_per_step={},
                      params_total=params, history=[{"epoch": 1, "loss": 1.0, "val_loss": 1.0, "seconds": 2.0},
                                                    {"epoch": 2, "loss": 0.5, "val_loss": 0.6, "seconds": 1.0}],
                      train_seconds=3.0, created=created)


def test_leaderboard_ranks_configurations_by_mean_over_their_seeds():
    runs = [summary("lstm", "seq2seq", 0.009), summary("gru", "seq2seq", 0.0075), summary("lstm", "seq2seq", 0.007, seed=1)]
    rows = leaderboard(runs)
    # the two lstm runs differ only in their seed: one configuration, mean 0.008, ranked on its mean
    assert [(row["model"], row["seeds"]) for row in rows] == [("gru", 1), ("lstm", 2)]
    assert rows[1]["valid MSE"] == pytest.approx(0.008) and rows[1]["valid ±"] == pytest.approx(0.0014142, rel=1e-4)
    assert rows[1]["test MSE"] == pytest.approx(0.008 * 1.1) and rows[0]["valid ±"] is None
    assert rows[1]["key"] == runs[2].key  # its best run
    assert sorted(rows[1]["keys"]) == sorted([runs[0].key, runs[2].key]) and rows[1]["run"].endswith("×2 seeds")
    assert rows[0]["epochs"] == 2 and rows[0]["seconds"] == 3.0 and rows[0]["vs above"] == ""
    assert rows[1]["vs above"].endswith("within the spread (noise)")
    assert leaderboard([]) == []


def test_leaderboard_marks_a_gap_larger_than_the_spread_as_real():
    tight = [summary("gru", "seq2seq", v, seed=s) for s, v in enumerate([0.0050, 0.0051, 0.0049])]
    worse = [summary("lstm", "seq2seq", v, seed=s) for s, v in enumerate([0.0070, 0.0071, 0.0069])]
    noisy = [summary("conv_gru", "seq2seq", v, seed=s) for s, v in enumerate([0.0060, 0.0090, 0.0066])]
    single = [summary("wavenet", "seq2seq", 0.0080)]
    rows = leaderboard(tight + worse + noisy + single)
    assert [r["model"] for r in rows] == ["gru", "lstm", "conv_gru", "wavenet"]
    assert rows[1]["vs above"].endswith("real (more than the spread)")  # 0.0070 - 0.0050 > sd 0.0001
    assert rows[2]["vs above"].endswith("within the spread (noise)")  # 0.0072 - 0.0070 < sd 0.0016
    assert rows[3]["vs above"].endswith("within the spread (noise)")  # 0.0080 - 0.0072 < sd 0.0016
    assert rows[1]["vs above"].startswith("+40%") and rows[2]["vs above"].startswith("+3%")
    two_singles = leaderboard([summary("gru", "seq2seq", 0.005), summary("lstm", "seq2seq", 0.006)])
    assert two_singles[1]["vs above"].endswith("spread unknown (1 run)")


def test_spread_and_separation():
    s = Spread((1.0, 2.0, 3.0))
    assert (s.n, s.mean, s.std, s.low, s.high) == (3, 2.0, 1.0, 1.0, 3.0)
    assert s.text(2) == "2.00 ± 1.00" and Spread((0.5,)).text(2) == "0.50" and Spread(()).text() == "-"
    assert Spread((0.5,)).std == 0.0
    assert separated(Spread((1.0, 1.1)), Spread((2.0, 2.1))) is True
    assert separated(Spread((1.0, 3.0)), Spread((2.0, 2.1))) is False
    assert separated(Spread((1.0,)), Spread((2.0,))) is None


def test_repeat_groups_ignore_only_the_training_seed():
    a = summary("gru", "seq2seq", 0.005, seed=3)
    b = summary("gru", "seq2seq", 0.006, seed=1)
    other_data = RunSummary(**{**a.__dict__, "experiment": a.experiment.replace(seed=7, train_seed=3), "key": "x"})
    groups = group_repeats([a, b, other_data])
    assert sorted(len(g.runs) for g in groups) == [1, 2]
    pair = next(g for g in groups if len(g.runs) == 2)
    assert pair.seeds == [1, 3] and pair.valid.mean == pytest.approx(0.0055)
    assert repeat_key(a.experiment) == repeat_key(b.experiment) != repeat_key(other_data.experiment)


def test_best_per_model_keeps_the_best_configuration_and_counts_its_seeds():
    runs = [summary("lstm", "seq2seq", 0.009), summary("lstm", "seq2seq", 0.006, seed=1),
            summary("lstm", "seq2vec", 0.01), summary("naive", "one_step", 0.02, params=0),
            summary("lstm", "seq2seq", 0.006, seed=2)]
    wide = Experiment.book("lstm", "seq2seq").replace(units=30)
    scores = {"mse": 0.0075, "mae": 0.01, "rmse": 0.08, "mase": 0.5}
    runs.append(RunSummary(**{**runs[0].__dict__, "experiment": wide, "key": wide.key(),
                              "metrics": {"valid": scores, "test": scores}}))
    rows = best_per_model(runs)
    # lstm seq2seq: the book configuration's three seeds average 0.007, better than units=30's single 0.0075
    assert [(r["model"], r["mode"], r["seeds"], r["runs"]) for r in rows] == [
        ("lstm", "seq2seq", 3, 4), ("lstm", "seq2vec", 1, 1), ("naive", "one_step", 1, 1)]
    assert rows[0]["best validation MSE"] == pytest.approx(0.007) and rows[0]["±"] == pytest.approx(0.0017320508)
    assert rows[0]["key"] == runs[1].key and rows[2]["parameters"] == 0 and rows[1]["±"] is None


def test_summary_properties():
    run = summary("deep_rnn_dense", "one_step", 0.003)
    assert (run.model, run.mode, run.epochs, run.trained) == ("deep_rnn_dense", "one_step", 2, True)
    assert run.seconds_per_epoch == 1.0  # the first epoch (compilation) left out
    assert run.naive_val_mse == 0.02 and run.label.startswith("deep_rnn_dense · one_step · ")
