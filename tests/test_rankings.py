"""Every ranking chooses on validation error, never on test error (issue 16): the leaderboard, the best run per
model (the class board), the backtests, a sweep's best cell, the repeats' chart and the best of each group. Each
test builds runs whose validation order and test order disagree, so a ranking that read the test error would
put them the other way round; a static guard checks that no sort key in the ranking modules names the test."""

from __future__ import annotations

import ast
import math
from pathlib import Path

import pytest

from rnnlab.config import Experiment, ModelSpec, parse_flat
from rnnlab.dashboard.repeats import spread_rows
from rnnlab.jobs import sweeps
from rnnlab.store.runs import (RunSummary, best_by_group, best_per_model, backtests, group_repeats, leaderboard,
                               mean_score)

ROOT = Path(__file__).resolve().parents[1]


def run(exp: Experiment, valid: float, test: float, **extra: float) -> RunSummary:
    """A stored run of ``exp`` with validation MSE ``valid`` and test MSE ``test`` (MAE the same numbers)."""
    def scores(mse: float) -> dict[str, float]:
        return {"mse": mse, "mae": mse, "rmse": math.sqrt(mse), "smape": 10.0, "rel_mae": 0.9, **extra}
    return RunSummary(key=exp.key(), experiment=exp, metrics={"valid": scores(valid), "test": scores(test)},
                      naive_metrics={"valid": {"mse": 0.02}, "test": {"mse": 0.02}}, mse_per_step={},
                      params_total=10 if exp.model.entry.trainable else 0, history=[], train_seconds=1.0, created="")


def book(model: str, **changes) -> Experiment:
    return Experiment.book(model).replace(**changes)


def real(model: str, **changes) -> Experiment:
    flat = {"model": model, "data": "sunspots", "n_steps": "20", "horizon": "1", "mode": "one_step"}
    return parse_flat({**flat, **{k: str(v) for k, v in changes.items()}}, strict=True).experiment


def test_the_leaderboard_orders_and_picks_runs_by_validation():
    # gru: better on validation, worse on test; lstm the other way round
    gru, lstm = run(book("gru"), 0.005, 0.009), run(book("lstm"), 0.006, 0.004)
    rows = leaderboard([lstm, gru])
    assert [r["model"] for r in rows] == ["gru", "lstm"]
    assert rows[0]["test MSE"] == 0.009 and rows[1]["test MSE"] == 0.004  # shown beside, not used
    # within a configuration, the run named as its best is the one best on validation
    seeds = [run(book("gru", train_seed=1), 0.004, 0.010), run(book("gru", train_seed=2), 0.005, 0.001)]
    assert leaderboard(seeds)[0]["key"] == seeds[0].key
    assert group_repeats(seeds)[0].label.startswith(seeds[0].label)


def test_the_best_per_model_keeps_the_configuration_best_on_validation():
    chosen = run(book("gru", units=10), 0.005, 0.009)
    rows = best_per_model([run(book("gru", units=30), 0.006, 0.001), chosen, run(book("lstm"), 0.007, 0.002)])
    assert [(r["model"], r["key"]) for r in rows] == [("gru", chosen.key), ("lstm", run(book("lstm"), 0, 0).key)]
    assert rows[0]["test MSE"] == 0.009  # the chosen configuration's own test error, beside


def test_backtests_rank_by_the_folds_validation_and_show_the_test_beside():
    good_valid = [run(e, 0.01, 0.09) for e in real("linear").backtest(2)]
    good_test = [run(e, 0.02, 0.01) for e in real("gru").backtest(2)]
    rows = backtests(good_test + good_valid)
    assert [r["model"] for r in rows] == ["linear", "gru"]
    assert rows[0]["mean valid MSE"] == pytest.approx(0.01) and rows[0]["mean test MSE"] == pytest.approx(0.09)
    assert rows[0]["test MSE by fold"] == [0.09, 0.09] and rows[1]["mean test MAE"] == pytest.approx(0.01)
    # an unfinished backtest still ranks after the finished ones, whatever its validation error
    partial = run(real("lstm").backtest(2)[0], 0.001, 0.001)
    assert [r["model"] for r in backtests(good_test + good_valid + [partial])] == ["linear", "gru", "lstm"]


def test_the_best_of_each_group_is_chosen_on_validation():
    naive = run(real("naive"), 0.030, 0.001)
    ets, theta = run(real("ets"), 0.020, 0.015), run(real("theta"), 0.025, 0.002)
    gru, lstm = run(real("gru"), 0.010, 0.050), run(real("lstm"), 0.012, 0.003)
    rows = leaderboard([naive, ets, theta, gru, lstm])
    assert [(r["model"], r["group"]) for r in rows] == [
        ("gru", "network"), ("lstm", "network"), ("ets", "classical"), ("theta", "classical"), ("naive", "classical")]
    best = best_by_group(rows)
    assert best["network"]["model"] == "gru" and best["classical"]["model"] == "ets"
    board = best_by_group(best_per_model([naive, ets, theta, gru, lstm]), "best validation MSE")
    assert board["network"]["model"] == "gru" and board["classical"]["model"] == "ets"


def test_a_sweeps_best_cell_is_the_best_on_validation():
    sweep = sweeps.Sweep.make(book("gru"), {"units": [5, 10]}, repeats=1)
    low_valid, low_test = sweep.cells()
    results = {low_valid.experiments[0].key(): run(low_valid.experiments[0], 0.004, 0.009),
               low_test.experiments[0].key(): run(low_test.experiments[0], 0.005, 0.001)}
    rows = sweeps.cell_rows(sweep, results)
    assert sweeps.best_row(rows)["units"] == 5


def test_the_repeats_chart_keeps_the_configurations_best_on_validation():
    groups = group_repeats([run(book("gru", train_seed=s), 0.004, 0.009) for s in (1, 2)]
                           + [run(book("lstm", train_seed=s), 0.005, 0.001) for s in (1, 2)])
    assert [r["label"].split(" · ")[0] for r in spread_rows(groups, top=1)] == ["gru"]


def test_scale_free_scores_show_mase_on_a_real_series_and_a_dash_for_old_runs():
    # a real series: the seasonal MASE; the generated series has none, so the MAE against the naive forecast's
    new = run(real("gru"), 0.01, 0.02, mase=0.7)
    assert leaderboard([new])[0]["valid MASE"] == pytest.approx(0.7)
    generated = leaderboard([run(book("gru"), 0.01, 0.02)])[0]
    assert generated["valid MASE"] is None and generated["valid MAE vs naive"] == pytest.approx(0.9)
    # a run stored before schema 2 has neither "rel_mae" nor "smape": None (the page's "–"), never a KeyError
    old = RunSummary(**{**new.__dict__, "metrics": {s: {"mse": 0.01, "mae": 0.1, "rmse": 0.1} for s in
                                                     ("valid", "test")}})
    row = leaderboard([old])[0]
    assert row["valid MASE"] is None and row["valid MAE vs naive"] is None and row["valid MAE"] == 0.1
    assert mean_score([new, old], "valid", "mase") is None


def test_a_final_run_without_scores_is_left_out_of_every_ranking():
    final = RunSummary(**{**run(real("gru"), 0.01, 0.02).__dict__, "metrics": {}, "key": "final"})
    scored = run(real("lstm"), 0.01, 0.02)
    assert [r["model"] for r in leaderboard([final, scored])] == ["lstm"]
    assert [r["model"] for r in best_per_model([final, scored])] == ["lstm"]


# -- the static guard ------------------------------------------------------------------------------------------
#: The modules that rank runs (store, sweeps, reports, pages, the lessons).
RANKING_MODULES = ["rnnlab/store/runs.py", "rnnlab/jobs/sweeps.py", "rnnlab/reports/beat_the_book.py",
                   "rnnlab/dashboard/repeats.py", "rnnlab/dashboard/sweep_view.py", "rnnlab/dashboard/lesson_view.py",
                   "rnnlab/lessons/guide.py", "rnnlab/lessons/beatbook.py", "rnnlab/forecasting/yardsticks.py",
                   "rnnlab/cli/train.py", "rnnlab/reports/real_series.py", "pages/compare.py", "pages/board.py",
                   "rnnlab/forecasting/folds.py", "rnnlab/cli/backtest.py", "rnnlab/dashboard/backtest.py",
                   "rnnlab/jobs/auto.py", "rnnlab/reports/scalings.py"]
#: The functions whose comparisons choose a best run.
CHOOSERS = {"leaderboard", "best_per_model", "best_by_group", "backtests", "best_row", "spread_rows", "label",
            "_vs_above", "_report", "best_classical", "fold_row", "table", "best_of", "scalings", "_input_lengths"}


def _sort_keys(tree: ast.AST):
    """The ``key=`` of every sorted/min/max/.sort call in ``tree``."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
            if name in ("sorted", "min", "max", "sort"):
                yield from (k.value for k in node.keywords if k.arg == "key")


@pytest.mark.parametrize("path", RANKING_MODULES)
def test_no_ranking_key_reads_a_test_metric(path):
    tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
    keys = [ast.unparse(k) for k in _sort_keys(tree)]
    assert not [k for k in keys if "test" in k.lower()], f"{path} ranks by a test metric"
    choosers = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.Lambda))
                and getattr(n, "name", "") in CHOOSERS]
    for fn in choosers:
        # a choice compares two scores; a comparison with a constant (``g.test.n > 1``) counts, it does not rank
        compared = [ast.unparse(c) for c in ast.walk(fn) if isinstance(c, ast.Compare)
                    and any(isinstance(op, (ast.Lt, ast.Gt, ast.LtE, ast.GtE)) for op in c.ops)
                    and not any(isinstance(side, ast.Constant) for side in [c.left, *c.comparators])]
        assert not [c for c in compared if "test" in c.lower()], f"{path}:{fn.name} compares test errors"


def test_the_guard_catches_a_ranking_by_test():
    """The guard itself: a sort by the test error is found."""
    bad = ast.parse("rows = sorted(rows, key=lambda r: r['mean test MSE'])")
    assert [ast.unparse(k) for k in _sort_keys(bad)] == ["lambda r: r['mean test MSE']"]
    assert "test" in ast.unparse(next(iter(_sort_keys(ast.parse("best = min(rows, key=lambda r: r.test_mse)")))))


def test_the_compare_page_puts_the_classical_group_beside_the_networks(app):
    """On a real series, the leaderboard has a group column and the seasonal MASE, and names the best of each
    group on validation (an ETS run stands in, made from a trained run's windows: the page reads stored runs)."""
    from dataclasses import replace

    from rnnlab.dashboard.state import to_query
    from rnnlab.store.runstore import RunStore
    from rnnlab.training import fit

    linear = real("linear", n_steps=16, epochs=1, stride=25)
    trained = fit.run(linear)
    ets = Experiment(series=linear.series, model=ModelSpec(name="ets", mode="one_step"))  # a yardstick's spec
    better = {s: {**trained.metrics[s], "mse": trained.metrics[s]["mse"] / 10, "mase": 0.25}
              for s in ("valid", "test")}
    store = RunStore()
    store.put(trained)
    store.put(replace(trained, key=ets.key(), experiment=ets.to_dict(), metrics=better, params_total=0, history=[],
                      layers=[], inspect={}, model_bytes=None))
    for fold, (valid, test) in zip(linear.backtest(2), ((0.1, 0.9), (0.3, 0.5))):  # two folds' scores
        store.put(replace(trained, key=fold.key(), experiment=fold.to_dict(),
                          metrics={"valid": {**trained.metrics["valid"], "mse": valid}, "test": {"mse": test}}))
    at = app("pages/compare.py", **to_query(linear), all="1")
    assert not at.exception, at.exception
    ranked = at.dataframe[0].value  # the backtest: mean validation 0.2 beside mean test 0.7; a missing MAE is "–"
    assert ranked.iloc[0][["mean valid MSE", "mean test MSE", "mean test MAE"]].tolist() == ["0.2", "0.7", "–"]
    board = at.dataframe[1].value
    assert list(board["model"]) == ["ets", "linear"] and list(board["group"]) == ["classical", "network"]
    assert "valid MASE" in board and "valid MAE vs naive" not in board and board["valid MASE"].iloc[0] == "0.250"
    assert any("Best on validation: network **linear**" in m.value and "baseline **ets**" in m.value
               for m in at.markdown)
