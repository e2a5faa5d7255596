"""rnnlab.figures.series: what each figure draws (traces, data, axes, annotations) and loud failures on bad input."""

from __future__ import annotations

import numpy as np
import pytest

from rnnlab.figures import series


# --------------------------------------------------------------------------------------------------
# series_preview
# --------------------------------------------------------------------------------------------------
def test_series_preview_draws_inputs_actual_and_forecast_per_series():
    X = np.arange(4 * 5, dtype=float).reshape(4, 5, 1)
    future = np.arange(4 * 3, dtype=float).reshape(4, 3) + 100
    predictions = future + 0.5
    fig = series.series_preview(X, future, predictions=predictions, n_series=2)

    assert len(fig.data) == 6  # 2 series x (input, actual, forecast)
    assert [t.name for t in fig.data[:3]] == ["Input x(t)", "Actual", "Forecast"]
    assert [t.showlegend for t in fig.data] == [True, True, True, False, False, False]
    inputs, actual, forecast = fig.data[3:6]  # the second series, in the second subplot
    assert inputs.xaxis == "x2" and inputs.yaxis == "y2"
    assert list(inputs.x) == [0, 1, 2, 3, 4]
    assert list(inputs.y) == list(X[1, :, 0])
    assert list(actual.x) == [5, 6, 7]
    assert list(actual.y) == list(future[1])
    assert list(forecast.y) == list(predictions[1])
    assert actual.marker.symbol == "circle" and forecast.marker.symbol == "x"
    assert actual.mode == "lines+markers" and forecast.mode == "lines+markers"
    assert actual.marker.size > inputs.marker.size
    assert fig.layout.xaxis.title.text == "Time step t"
    assert fig.layout.xaxis2.title.text == "Time step t"
    assert fig.layout.yaxis.title.text == "Value x(t)"
    assert fig.layout.yaxis2.matches == "y"  # shared y axis
    assert fig.layout.xaxis2.domain[0] > fig.layout.xaxis.domain[1]  # side by side


def test_series_preview_single_step_is_markers_only_and_clips_n_series():
    X = np.random.default_rng(0).normal(size=(2, 6, 1))
    fig = series.series_preview(X, X[:, -1, 0], n_series=5)  # a 1-D future means horizon 1
    assert len(fig.data) == 4  # clipped to the 2 series, no forecast
    actual = fig.data[1]
    assert actual.mode == "markers"
    assert list(actual.x) == [6]
    assert fig.layout.xaxis2.title.text == "Time step t"
    assert "xaxis3" not in fig.layout


@pytest.mark.parametrize("kwargs, message", [
    (dict(X=np.zeros((3, 5, 1)), future=np.zeros((2, 2))), "future has 2 series but X has 3"),
    (dict(X=np.zeros((3, 5, 1)), future=np.zeros((3, 2)), predictions=np.zeros((3, 3))),
     "predictions must have the shape of future"),
    (dict(X=np.zeros((3, 5, 2)), future=np.zeros((3, 2))), r"X must have shape \[n, n_steps, 1\]"),
    (dict(X=np.zeros((0, 5, 1)), future=np.zeros((0, 2))), "X is empty"),
    (dict(X=np.zeros((3, 5, 1)), future=np.zeros((3, 2)), n_series=0), "n_series must be at least 1"),
])
def test_series_preview_rejects_bad_input(kwargs, message):
    with pytest.raises(ValueError, match=message):
        series.series_preview(**kwargs)


def test_real_series_shades_each_period_and_keeps_gaps():
    values = np.array([1.0, 2.0, np.nan, 4.0, 5.0, 6.0])
    times = [f"2020-01-0{i + 1}" for i in range(6)]
    fig = series.real_series(times, values, periods={"training": (0, 3), "validation": (3, 5), "test": (5, 6)},
                            unit="°C")
    assert list(fig.data[0].x) == times and np.isnan(fig.data[0].y[2]) and fig.data[0].connectgaps is False
    shapes = fig.layout.shapes
    assert [(s.x0, s.x1) for s in shapes] == [("2020-01-01", "2020-01-04"), ("2020-01-04", "2020-01-06"),
                                              ("2020-01-06", "2020-01-06")]  # each band meets the next
    assert [a.text for a in fig.layout.annotations] == ["training", "validation", "test"]
    assert fig.layout.yaxis.title.text == "°C"
    with pytest.raises(ValueError, match="5 times for 6 values"):
        series.real_series(times[:5], values)


def test_future_forecast_starts_at_the_last_observation():
    fig = series.future_forecast(["2020-01", "2020-02"], [1.0, 2.0], ["2020-03", "2020-04"], [3.0, 2.5],
                                last_time="2020-02", rolled=True)
    observed, forecast = fig.data
    assert list(forecast.x) == ["2020-02", "2020-03", "2020-04"] and list(forecast.y) == [2.0, 3.0, 2.5]
    assert "rolled forward" in forecast.name and fig.layout.shapes[0].x0 == "2020-02"
    with pytest.raises(ValueError, match="each value needs its time"):
        series.future_forecast(["a"], [1.0, 2.0], ["b"], [1.0], last_time="a")


def test_backtest_figures():
    fig = series.backtest_folds(["t1", "t2", "t3"], [1, 2, 3], {"fold 1": (["t2"], [2.1]), "fold 2": (["t3"], [2.9])})
    assert [t.name for t in fig.data] == ["Actual", "fold 1", "fold 2"]
    assert fig.data[1].line.color != fig.data[0].line.color  # no fold drawn in the actual series' colour
    bars = series.fold_errors(["fold 1", "fold 2"], [1.0, 3.0], baseline=[2.0, 2.0])
    assert [t.name for t in bars.data] == ["Model", "Naive forecast", "mean (2)"]
    assert bars.layout.shapes[0].y0 == 2.0
