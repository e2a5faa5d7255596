"""rnnlab.forecasting.metrics: a table of known values, and loud failures on bad input."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
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
    smape = (200 * 0.5 / 2.5 + 200 * 0.5 / 4.5) / 2  # M4: 200 |a - p| / (|a| + |p|), averaged
    assert s == pytest.approx({"mse": 0.25, "mae": 0.5, "rmse": 0.5, "smape": smape, "rel_mae": 0.5})
    # a real series' scale (the in-sample seasonal-naive MAE) adds the seasonal MASE
    assert metrics.scores([1.0, 2.0], [1.5, 2.5], [0.0, 1.0], scale=0.25)["mase"] == pytest.approx(2.0)


SMAPE_CASES = [
    # actual, predicted, sMAPE in percent (M4: mean of 200 |a - p| / (|a| + |p|))
    ([1.0, 2.0], [1.0, 2.0], 0.0),
    ([0.0, 0.0], [0.0, 0.0], 0.0),  # both 0: a perfect forecast, the term is 0
    ([1.0], [0.0], 200.0),
    ([100.0], [110.0], 200 * 10 / 210),
    ([[1.0, -1.0]], [[3.0, 1.0]], (200 * 2 / 4 + 200 * 2 / 2) / 2),
    ([0.0, 4.0], [0.0, 2.0], (0.0 + 200 * 2 / 6) / 2),
]


@pytest.mark.parametrize("actual, predicted, expected", SMAPE_CASES)
def test_smape_known_values(actual, predicted, expected):
    assert metrics.smape(actual, predicted) == pytest.approx(expected)


def test_smape_rejects_bad_input():
    with pytest.raises(ValueError, match="same shape"):
        metrics.smape([1.0, 2.0], [1.0])


SCALE_CASES = [
    # values, observed, train_end, season, expected scale
    ([1.0, 2.0, 4.0, 7.0], [True] * 4, 4, None, (1 + 2 + 3) / 3),
    ([1.0, 2.0, 4.0, 7.0], [True] * 4, 4, 1, (1 + 2 + 3) / 3),
    ([1.0, 2.0, 4.0, 7.0], [True] * 4, 4, 0, (1 + 2 + 3) / 3),
    ([1.0, 2.0, 4.0, 7.0, 100.0], [True] * 5, 4, 2, (3 + 5) / 2),  # values after train_end are not used
    ([1.0, 5.0, 3.0, 8.0, 2.0, 9.0], [True] * 6, 6, 2, (2 + 3 + 1 + 1) / 4),
    ([1.0, 5.0, 3.0, 8.0, 2.0, 9.0], [True, True, False, True, True, True], 6, 2, (3 + 1) / 2),  # 3.0 was a gap
]


@pytest.mark.parametrize("values, observed, train_end, season, expected", SCALE_CASES)
def test_seasonal_naive_scale_known_values(values, observed, train_end, season, expected):
    assert metrics.seasonal_naive_scale(values, np.array(observed), train_end, season) == pytest.approx(expected)


@pytest.mark.parametrize(
    "values, observed, train_end, season, message",
    [
        ([1.0, 2.0, 3.0], [True] * 3, 3, 3, "no pair of observed values"),
        ([1.0, 2.0, 3.0, 4.0], [True, False, True, False], 4, 1, "no pair of observed values"),
        ([1.0, 2.0, 1.0, 2.0], [True] * 4, 4, 2, "in-sample error of 0"),
        ([1.0, 2.0], [True], 2, 1, "same length"),
    ],
)
def test_seasonal_naive_scale_refuses_undefined(values, observed, train_end, season, message):
    with pytest.raises(ValueError, match=message):
        metrics.seasonal_naive_scale(values, np.array(observed), train_end, season)


def _bundled(name):
    from rnnlab.series import catalog

    series = catalog.load(name)
    return series, int(round(len(series) * 0.7))


@pytest.mark.parametrize("name", ["co2_mauna_loa", "us_unemployment", "sunspots", "msft_stock"])
def test_seasonal_naive_scale_matches_pandas_diff(name):
    # a second formula: pandas' diff(m) is NaN wherever either value was missing, and mean() skips NaN
    series, train_end = _bundled(name)
    expected = pd.Series(series.values[:train_end]).diff(series.season).abs().mean()
    got = metrics.seasonal_naive_scale(series.filled(), series.observed, train_end, series.season)
    assert got == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("name", ["us_unemployment", "elnino_sst"])
def test_seasonal_mase_matches_utilsforecast(name):
    # utilsforecast (Nixtla's losses) divides the MAE by the in-sample seasonal-naive MAE, as M4 does
    losses = pytest.importorskip("utilsforecast.losses")
    series, train_end = _bundled(name)
    values = series.filled()
    assert series.observed.all()  # utilsforecast has no notion of a filled gap
    actual = values[train_end:]
    predicted = actual + np.sin(np.arange(len(actual)))
    train = pd.DataFrame({"unique_id": name, "ds": np.arange(train_end), "y": values[:train_end]})
    test = pd.DataFrame({"unique_id": name, "ds": np.arange(train_end, len(values)), "y": actual, "m": predicted})
    theirs = float(losses.mase(test, ["m"], seasonality=series.season, train_df=train)["m"].iloc[0])
    scale = metrics.seasonal_naive_scale(values, series.observed, train_end, series.season)
    assert metrics.scaled_mae(actual, predicted, scale) == pytest.approx(theirs, rel=1e-12)
