"""rnnlab.forecasting.metrics: a table of known values, and loud failures on bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest

from rnnlab.forecasting import metrics

CASES = [
    # actual, predicted, mse, mae
    ([0.0, 0.0], [0.0, 0.0], 0.0, 0.0),
    ([1.0, 2.0, 3.0], [1.0, 2.0, 5.0], 4 / 3, 2 / 3),
    ([1.0, -1.0], [-1.0, 1.0], 4.0, 2.0),
    ([[0.5, 0.5], [0.0, 1.0]], [[0.0, 0.5], [0.0, 0.0]], (0.25 + 1.0) / 4, 1.5 / 4),
]


@pytest.mark.parametrize("actual, predicted, mse, mae", CASES)
def test_known_values(actual, predicted, mse, mae):
    assert metrics.mse(actual, predicted) == pytest.approx(mse)
    assert metrics.mae(actual, predicted) == pytest.approx(mae)
    assert metrics.rmse(actual, predicted) == pytest.approx(math.sqrt(mse))


def test_mase_is_relative_to_the_naive_forecast():
    actual = np.array([1.0, 2.0, 3.0, 4.0])
    naive = np.array([0.0, 1.0, 2.0, 3.0])  # MAE 1
    assert metrics.mase(actual, actual + 0.5, naive) == pytest.approx(0.5)
    assert metrics.mase(actual, naive, naive) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="naive forecast has zero error"):
        metrics.mase(actual, naive, actual)


def test_mse_per_step():
    actual = np.zeros((2, 3))
    predicted = np.array([[1.0, 0.0, 2.0], [1.0, 0.0, 0.0]])
    assert metrics.mse_per_step(actual, predicted) == [1.0, 0.0, 2.0]
    with pytest.raises(ValueError, match=r"\[n, horizon\]"):
        metrics.mse_per_step([1.0], [1.0])


@pytest.mark.parametrize(
    "actual, predicted, message",
    [
        ([1.0, 2.0], [1.0], "same shape"),
        ([], [], "empty"),
        ([1.0, float("nan")], [1.0, 1.0], "finite"),
        ([1.0, 1.0], [float("inf"), 1.0], "finite"),
    ],
)
def test_bad_input_raises(actual, predicted, message):
    for fn in (metrics.mse, metrics.mae, metrics.rmse):
        with pytest.raises(ValueError, match=message):
            fn(actual, predicted)


def test_scores_bundle():
    s = metrics.scores([1.0, 2.0], [1.5, 2.5], [0.0, 1.0])
    assert s == pytest.approx({"mse": 0.25, "mae": 0.5, "rmse": 0.5, "mase": 0.5})
