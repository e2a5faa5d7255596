"""rnnlab.jobs.sweeps: grids, repeats and their results, without training (the cluster runs are in test_fairness and
test_cli)."""

from __future__ import annotations

import pytest

from rnnlab.config import FIELDS, Experiment
from rnnlab.errors import FieldError
from rnnlab.store.runs import RunSummary
from rnnlab.jobs import sweeps


def book(name="deep_rnn_dense", mode=None):
    return Experiment.book(name, mode)


def test_repeats_use_the_experiments_seed_and_the_next_ones():
    exp = book().replace(train_seed=7)
    runs = sweeps.repeats(exp, 3)
    assert [e.train.seed for e in runs] == [7, 8, 9] and runs[0] == exp
    assert len({e.key() for e in runs}) == 3
    assert all(e.replace(train_seed=7) == exp for e in runs)  # nothing else changes
    assert sweeps.REPEATS.default == 5 and len(sweeps.repeats(exp, sweeps.REPEATS.default)) == 5
    for bad in (0, 11, 2.5, "3"):
        with pytest.raises(FieldError, match="repeats"):
            sweeps.repeats(exp, bad)


def test_the_seeds_wrap_inside_the_fields_bounds():
    high = FIELDS["train_seed"].high
    exp = book().replace(train_seed=high)
    assert [e.train.seed for e in sweeps.repeats(exp, 2)] == [high, 0]


def test_parse_grid_checks_every_value_through_its_field():
    exp = book()
    grid = sweeps.parse_grid(exp, ["units=5, 10,20,10", "learning-rate=0.001,0.01", "optimizer=adam,sgd"])
    assert grid == {"units": (5, 10, 20), "learning_rate": (0.001, 0.01), "optimizer": ("adam", "sgd")}
    wavenet = sweeps.parse_grid(book("wavenet"), ["dilations=1,2,4|1,2,4,8"])
    assert wavenet == {"dilations": ((1, 2, 4), (1, 2, 4, 8))}


@pytest.mark.parametrize("specs, message", [
    (["units"], "write FIELD=value1,value2"),
    (["unitz=1,2"], "is not a setting; fields you can sweep: mode, "),
    (["filters=2,4"], "is not used by deep_rnn_dense"),
    (["train_seed=1,2"], "is what repeats vary"),
    (["model=gru,lstm"], "cannot be swept"),
    (["units=5,,10"], "give values separated by ','"),
    (["units=0,5"], "units=0 is out of range: allowed 1 to"),
    (["units=five"], "units"),
    (["optimizer=adam,adagrad"], "not one of: adam, sgd"),
    (["units=5", "units=10"], "is given twice"),
    ([], "at least one --grid"),
    (["units=" + ",".join(str(i) for i in range(1, 14))], "13 values, at most 12"),
    (["units=1,2", "layers=1,2", "epochs=1,2", "batch_size=8,16", "learning_rate=0.1,0.2"], "at most 4 fields"),
])
def test_parse_grid_refuses_with_what_is_allowed(specs, message):
    with pytest.raises(FieldError, match=None) as info:
        sweeps.parse_grid(book(), specs)
    assert message in str(info.value)


def test_a_sweep_is_a_grid_of_cells_each_with_its_repeats():
    sweep = sweeps.Sweep.make(book(), {"units": [5, 10], "layers": [1, 2, 3]}, repeats=2)
    cells = sweep.cells()
    assert [c.label() for c in cells] == ["units=5, layers=1", "units=5, layers=2", "units=5, layers=3",
                                           "units=10, layers=1", "units=10, layers=2", "units=10, layers=3"]
    assert sweep.size() == 12 and len(sweep.experiments()) == 12
    first = cells[4].experiments
    assert [(e.model.units, e.model.layers, e.train.seed) for e in first] == [(10, 2, 42), (10, 2, 43)]
    assert "units (2) × layers (3), 2 seeds each = 12 trainings" in sweep.describe()
    assert sweep.to_dict()["grid"] == {"units": [5, 10], "layers": [1, 2, 3]}


def test_a_random_sample_is_the_same_for_the_same_sweep_and_a_subset_of_the_grid():
    whole = sweeps.Sweep.make(book(), {"units": [5, 10, 20, 40], "layers": [1, 2, 3]})
    sample = sweeps.Sweep.make(book(), {"units": [5, 10, 20, 40], "layers": [1, 2, 3]}, sample=5)
    assert len(sample.cells()) == 5 and sample.size() == 5
    assert sample.combinations() == sweeps.Sweep.make(book(), {"units": [5, 10, 20, 40], "layers": [1, 2, 3]},
                                                      sample=5).combinations()
    assert set(sample.combinations()) <= set(whole.combinations())
    other = sweeps.Sweep.make(book().replace(epochs=3), {"units": [5, 10, 20, 40], "layers": [1, 2, 3]}, sample=5)
    assert len(other.combinations()) == 5  # another base draws its own sample
    assert len(sweeps.Sweep.make(book(), {"units": [5, 10]}, sample=9).cells()) == 2  # larger than the grid: all


def test_cells_that_amount_to_the_same_experiment_are_trained_once():
    sweep = sweeps.Sweep.make(book(), {"units": [20, 20.0]}, repeats=2)
    assert len(sweep.cells()) == 1 and len(sweep.experiments()) == 2


def test_a_combination_the_limits_refuse_is_named():
    with pytest.raises(FieldError, match="units=256, layers=6: .*parameters: allowed at most"):
        sweeps.Sweep.make(book("lstm"), {"units": [20, 256], "layers": [6]}).cells()


def fake(exp: Experiment, mse: float) -> RunSummary:
    scores = {"mse": mse, "mae": mse, "rmse": mse ** 0.5, "mase": 1.0}
    return RunSummary(key=exp.key(), experiment=exp, metrics={"valid": scores, "test": {**scores, "mse": 2 * mse}},
                      naive_metrics={"valid": scores, "test": scores}, mse_per_step={}, params_total=10,
                      history=[], train_seconds=1.0, created="")


def test_cell_rows_aggregate_the_finished_repeats_and_pick_the_best_mean():
    sweep = sweeps.Sweep.make(book(), {"units": [5, 10]}, repeats=3)
    cells = sweep.cells()
    results = {e.key(): fake(e, 0.004 + 0.001 * i) for i, e in enumerate(cells[0].experiments)}
    results.update({e.key(): fake(e, 0.003) for e in cells[1].experiments[:2]})  # one seed still training
    rows = sweeps.cell_rows(sweep, results)
    assert [(r["units"], r["done"], r["repeats"]) for r in rows] == [(5, 3, 3), (10, 2, 3)]
    assert rows[0]["valid"].mean == pytest.approx(0.005) and rows[0]["valid"].std == pytest.approx(0.001)
    assert rows[0]["test"].mean == pytest.approx(0.010) and rows[1]["valid"].values == (0.003, 0.003)
    assert sweeps.best_row(rows) is rows[1]
    assert sweeps.best_row(sweeps.cell_rows(sweep, {})) is None


def test_a_sweeps_link_reads_back_as_the_same_sweep():
    exp = book("wavenet")
    sweep = sweeps.Sweep.make(exp, {"dilations": [(1, 2, 4), (1, 2, 4, 8)], "learning_rate": [0.001, 0.003]},
                              repeats=3, sample=2)
    link = sweep.link_params()
    assert link == {"grid": "dilations=1,2,4|1,2,4,8;learning_rate=0.001,0.003", "repeats": "3", "sample": "2"}
    linked = sweeps.read_link(exp, link)
    assert linked.problems == ()
    assert sweeps.Sweep.make(exp, linked.grid, repeats=linked.repeats, sample=linked.sample) == sweep


def test_a_bad_link_is_named_part_by_part_and_the_rest_is_used():
    linked = sweeps.read_link(book(), {"grid": "unitz=1,2", "repeats": "99", "sample": "3"})
    assert linked.grid is None and linked.repeats is None and linked.sample == 3
    assert linked.problems[0].startswith("The link's sweep could not be used: --grid unitz: is not a setting")
    assert linked.problems[1].startswith("The link's repeats could not be used: repeats=99 is out of range")
    assert sweeps.read_link(book(), {}) == sweeps.LinkedSweep(None, None, None, ())
