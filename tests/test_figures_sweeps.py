"""rnnlab.figures.sweeps: repeats and sweeps drawn as mean ± standard deviation over seeds (the run store's
Spread), and loud failures on bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest

from rnnlab.figures import sweeps
from rnnlab.store.runs import Spread

ROWS = [
    {"label": "32 units", "valid": [0.004, 0.005, 0.006], "test": [0.005, 0.007]},
    {"label": "64 units", "valid": [0.003]},
]


def test_repeat_spread_means_and_error_bars_are_the_stores_spread():
    fig = sweeps.repeat_spread(ROWS, references=[("naive", 0.02), ("the book", 0.0035)])
    names = [t.name for t in fig.data]
    assert names == ["Validation MSE: mean ± sd", "Validation: each seed", "Test MSE: mean ± sd", "Test: each seed",
                     "naive (0.02)", "the book (0.0035)"]
    valid, seeds = fig.data[0], fig.data[1]
    first = Spread((0.004, 0.005, 0.006))
    assert list(valid.y) == [first.mean, 0.003] and list(valid.error_y.array) == [first.std, 0.0]
    assert list(seeds.y) == [0.004, 0.005, 0.006, 0.003]
    assert list(fig.data[2].customdata) == ["32 units"]  # the second row has no test runs
    assert [s.y0 for s in fig.layout.shapes] == [0.02, 0.0035]
    assert list(fig.layout.xaxis.ticktext) == ["32 units", "64 units"]


@pytest.mark.parametrize("rows, message", [
    ([], "non-empty list"),
    ([{"label": "a", "valid": []}], "non-empty 'valid' list"),
    ([{"label": "a", "valid": [-0.1]}], "cannot be negative"),
    ([{"label": "a", "valid": [0.1], "test": [math.inf]}], "must be finite"),
])
def test_repeat_spread_rejects_bad_rows(rows, message):
    with pytest.raises(ValueError, match=message):
        sweeps.repeat_spread(rows)


def test_sweep_line_draws_each_split_against_the_field():
    fig = sweeps.sweep_line([32, 64], ROWS, field_label="Units", log_x=True)
    valid, seeds, test, _ = fig.data
    assert list(valid.x) == [32, 64] and list(test.x) == [32]
    assert list(valid.error_y.array) == [Spread((0.004, 0.005, 0.006)).std, 0.0]
    assert all(x < 32 for x in seeds.x[:3])  # validation seeds sit left of their mean
    assert fig.layout.xaxis.type == "log" and fig.layout.title.text == "Error against units"
    text = sweeps.sweep_line(["lstm", "gru"], ROWS, field_label="Cell")
    assert list(text.data[0].x) == [0, 1] and list(text.layout.xaxis.ticktext) == ["lstm", "gru"]
    with pytest.raises(ValueError, match="xs has 1 values for 2 rows"):
        sweeps.sweep_line([32], ROWS, field_label="Units")


def test_sweep_heatmap_leaves_untrained_cells_blank():
    fig = sweeps.sweep_heatmap([1, 2], ["a", "b"], [[0.1, None], [0.2, 0.3]], x_label="x", y_label="y",
                               sds=[[0.01, None], [0.0, 0.02]])
    (heat,) = fig.data
    z = np.array(heat.z, dtype=float)
    assert np.isnan(z[0, 1]) and z[1, 1] == 0.3
    assert list(heat.text[0]) == ["0.1<br>± 0.01", ""] and heat.text[1][0] == "0.2"  # no "± 0" for a single seed
    with pytest.raises(ValueError, match="means must be 2 rows of 2 values"):
        sweeps.sweep_heatmap([1, 2], ["a", "b"], [[0.1, 0.2]], x_label="x", y_label="y")


def test_sweep_parallel_numbers_text_values_and_ends_with_the_error():
    fig = sweeps.sweep_parallel({"units": [32, 64, 32], "cell": ["lstm", "gru", "lstm"]}, [0.1, 0.2, 0.3])
    units, cell, mse = fig.data[0].dimensions
    assert list(units["values"]) == [32, 64, 32]
    assert list(cell["values"]) == [0, 1, 0] and list(cell.ticktext) == ["lstm", "gru"]
    assert mse.label == "mean valid MSE" and list(mse["values"]) == [0.1, 0.2, 0.3]
    with pytest.raises(ValueError, match="units has 1 values for 2 results"):
        sweeps.sweep_parallel({"units": [32]}, [0.1, 0.2])
