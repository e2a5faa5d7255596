"""rnnlab.figures.training: what each figure draws (traces, data, axes, annotations) and loud failures on bad input."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import pytest

from rnnlab.figures import style, training

from figure_support import annotation_texts, by_name, history


# --------------------------------------------------------------------------------------------------
# loss_curves
# --------------------------------------------------------------------------------------------------
def test_loss_curves_solid_training_dashed_validation_one_colour_per_run():
    fig = training.loss_curves({"linear": history(4, 1.0), "lstm": history(4, 2.0, seconds=True)})
    assert [t.name for t in fig.data] == ["linear (train)", "linear (valid)", "lstm (train)", "lstm (valid)"]
    train, valid = fig.data[2], fig.data[3]
    assert list(train.x) == [1, 2, 3, 4]
    assert list(train.y) == pytest.approx([2.0, 1.0, 2 / 3, 0.5])
    assert list(valid.y) == pytest.approx([3.0, 1.5, 1.0, 0.75])
    assert train.line.dash in (None, "solid") and valid.line.dash == "dash"
    assert train.line.color == valid.line.color
    assert fig.data[0].line.color != train.line.color
    assert list(train.customdata) == [2.0] * 4  # seconds, for the hover
    assert fig.data[0].customdata is None  # the linear run reported no seconds
    assert fig.layout.xaxis.title.text == "Epoch"
    assert fig.layout.yaxis.title.text == "MSE (loss)"
    assert fig.layout.yaxis.type == "linear"
    assert fig.layout.showlegend is True and fig.layout.legend.orientation == "h"


def test_loss_curves_log_axis():
    assert training.loss_curves({"a": history(3, 1.0)}, log_y=True).layout.yaxis.type == "log"


@pytest.mark.parametrize("runs", [{}, {"a": [], "b": []}])
def test_loss_curves_before_the_first_epoch_says_so(runs):
    fig = training.loss_curves(runs)
    assert len(fig.data) == 0
    assert annotation_texts(fig) == ["No epochs yet"]
    assert fig.layout.xaxis.title.text == "Epoch"


def test_loss_curves_skips_runs_without_epochs_and_validation_when_absent():
    rows = [{"epoch": 1, "loss": 0.5}, {"epoch": 2, "loss": 0.25}]
    fig = training.loss_curves({"empty": [], "no_valid": rows})
    assert [t.name for t in fig.data] == ["no_valid (train)"]
    assert annotation_texts(fig) == []


@pytest.mark.parametrize("runs, message", [
    ({"a": [{"epoch": 1, "val_loss": 0.1}]}, "run 'a': history entry 0 has no 'loss' key"),
    ({"a": [{"epoch": 1, "loss": "high"}]}, "must be a number"),
    ([("a", [])], "runs must map a run label"),
])
def test_loss_curves_rejects_bad_histories(runs, message):
    with pytest.raises(ValueError, match=message):
        training.loss_curves(runs)


# --------------------------------------------------------------------------------------------------
# param_counts
# --------------------------------------------------------------------------------------------------
def test_param_counts_bars_with_thousands_separators_on_a_log_axis():
    fig = training.param_counts({"SimpleRNN(1)": 3, "deep": 1261, "lstm": 12_345})
    assert len(fig.data) == 1 and isinstance(fig.data[0], go.Bar)
    bar = fig.data[0]
    assert list(bar.x) == ["SimpleRNN(1)", "deep", "lstm"]
    assert list(bar.y) == [3, 1261, 12345]
    assert list(bar.text) == ["3", "1,261", "12,345"]
    assert fig.layout.yaxis.type == "log"
    assert fig.layout.yaxis.title.text == "Parameters"
    low, high = fig.layout.yaxis.range  # log10 units: the smallest bar shows, the tallest label fits
    assert low < np.log10(3) and high > np.log10(12_345)


def test_param_counts_linear_axis_accepts_zero():
    fig = training.param_counts({"naive": 0, "linear": 51}, log_y=False)
    assert fig.layout.yaxis.type != "log"
    assert list(fig.data[0].y) == [0, 51]


@pytest.mark.parametrize("counts, kwargs, message", [
    ({}, {}, "non-empty mapping"),
    ({"a": -1}, {}, "must be a non-negative integer"),
    ({"a": 2.5}, {}, "must be a non-negative integer"),
    ({"naive": 0}, {}, "log axis cannot show"),
])
def test_param_counts_rejects_bad_counts(counts, kwargs, message):
    with pytest.raises(ValueError, match=message):
        training.param_counts(counts, **kwargs)


# --------------------------------------------------------------------------------------------------
# mse_bars
# --------------------------------------------------------------------------------------------------
ROWS = [
    {"label": "linear", "valid_mse": 0.004, "test_mse": 0.005},
    {"label": "rnn", "valid_mse": 0.011, "test_mse": None},
]


def test_mse_bars_grouped_valid_and_test_with_naive_line():
    fig = training.mse_bars(ROWS, naive_mse=0.02)
    assert [t.name for t in fig.data] == ["Validation MSE", "Test MSE", "naive forecast (0.02)"]
    assert all(isinstance(t, go.Bar) for t in fig.data[:2])
    assert fig.data[2].line.dash == "dash" and list(fig.data[2].y) == [None]  # a legend entry only
    assert list(fig.data[0].x) == ["linear", "rnn"]
    assert list(fig.data[0].y) == [0.004, 0.011]
    assert list(fig.data[1].y) == [0.005, None]
    assert fig.layout.barmode == "group"
    assert fig.layout.yaxis.title.text == "MSE"
    (line,) = fig.layout.shapes
    assert line.y0 == line.y1 == 0.02
    assert line.line.dash == "dash" and line.line.color == style.NAIVE_COLOR
    assert annotation_texts(fig) == []  # no label on the line, where it covered the tallest bars


def test_mse_bars_without_test_scores_or_naive():
    fig = training.mse_bars([{"label": "a", "valid_mse": 0.1}])
    assert [t.name for t in fig.data] == ["Validation MSE"]
    assert len(fig.layout.shapes) == 0 and annotation_texts(fig) == []


@pytest.mark.parametrize("rows, kwargs, message", [
    ([], {}, "non-empty list"),
    ([{"valid_mse": 0.1}], {}, "row 0 must be a dict with at least 'label'"),
    ([{"label": "a", "valid_mse": -0.1}], {}, "cannot be negative"),
    (ROWS, {"naive_mse": float("nan")}, "naive_mse must be finite"),
])
def test_mse_bars_rejects_bad_rows(rows, kwargs, message):
    with pytest.raises(ValueError, match=message):
        training.mse_bars(rows, **kwargs)


# --------------------------------------------------------------------------------------------------
# prediction_scatter
# --------------------------------------------------------------------------------------------------
def test_prediction_scatter_points_and_identity_line():
    actual = np.array([[0.0, 1.0], [3.0, -1.0]])
    predicted = np.array([[0.5, 1.0], [2.0, -2.0]])  # the low end comes from predicted, the high from actual
    fig = training.prediction_scatter(actual, predicted)
    points = by_name(fig, "forecasts")
    assert type(points) is go.Scatter
    assert list(points.x) == [0.0, 1.0, 3.0, -1.0] and list(points.y) == [0.5, 1.0, 2.0, -2.0]
    assert points.marker.opacity < 1
    diagonal = by_name(fig, "perfect forecast (y = x)")
    assert list(diagonal.x) == [-2.0, 3.0] and list(diagonal.y) == [-2.0, 3.0]  # the range of both arrays
    assert fig.layout.xaxis.title.text == "Actual value"
    assert fig.layout.yaxis.title.text == "Predicted value"
    assert fig.layout.yaxis.scaleanchor == "x"
    assert tuple(fig.layout.xaxis.range) == tuple(fig.layout.yaxis.range)


def test_prediction_scatter_uses_webgl_for_many_points():
    rng = np.random.default_rng(1)
    actual = rng.normal(size=(600, 10))
    fig = training.prediction_scatter(actual, actual * 0.9)
    assert isinstance(by_name(fig, "forecasts"), go.Scattergl)
    assert len(by_name(fig, "forecasts").x) == 6000
    few = training.prediction_scatter(actual[:500], actual[:500])  # exactly 5,000 points
    assert type(by_name(few, "forecasts")) is go.Scatter


def test_prediction_scatter_rejects_mismatched_or_empty():
    with pytest.raises(ValueError, match="same shape"):
        training.prediction_scatter(np.zeros((2, 3)), np.zeros((3, 2)))
    with pytest.raises(ValueError, match="actual is empty"):
        training.prediction_scatter([], [])
    with pytest.raises(ValueError, match="no finite pair"):
        training.prediction_scatter([np.nan], [1.0])


# --------------------------------------------------------------------------------------------------
# mse_by_step
# --------------------------------------------------------------------------------------------------
def test_mse_by_step_lines_from_step_one_with_naive_dashes():
    fig = training.mse_by_step({"linear": [0.01, 0.02, 0.04], "lstm": np.array([0.005, 0.01, 0.02])},
                            naive_per_step=[0.02, 0.1, 0.3])
    assert [t.name for t in fig.data] == ["linear", "lstm", "naive forecast"]
    assert all(t.mode == "lines+markers" for t in fig.data)
    assert list(fig.data[0].x) == [1, 2, 3]
    assert list(fig.data[1].y) == [0.005, 0.01, 0.02]
    naive = fig.data[2]
    assert naive.line.dash == "dash" and naive.line.color == style.NAIVE_COLOR
    assert fig.data[0].line.color != fig.data[1].line.color
    assert fig.layout.xaxis.title.text == "Steps ahead"
    assert fig.layout.yaxis.title.text == "MSE"
    assert fig.layout.xaxis.tick0 == 1 and fig.layout.xaxis.dtick == 1


@pytest.mark.parametrize("per_step, naive, message", [
    ({}, None, "non-empty mapping"),
    ({"a": []}, None, "is empty"),
    ({"a": [1.0, 2.0], "b": [1.0]}, None, "same number of horizon steps"),
    ({"a": [1.0, 2.0]}, [1.0, 2.0, 3.0], "naive_per_step has 3 steps but the models have 2"),
])
def test_mse_by_step_rejects_mismatched_lengths(per_step, naive, message):
    with pytest.raises(ValueError, match=message):
        training.mse_by_step(per_step, naive_per_step=naive)


# --------------------------------------------------------------------------------------------------
# metric_delta
# --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("value, baseline, text", [
    (0.0026, 0.0202, "-87.1% vs naive"),
    (0.03, 0.02, "+50.0% vs naive"),
    (0.02, 0.02, "same as naive"),
    (0.0199999, 0.02, "same as naive"),  # rounds to zero: no "-0.0%", nor a "+0.0%" drawn as a loss
    (0.02002, 0.02, "+0.1% vs naive"),
])
def test_metric_delta(value, baseline, text):
    assert training.metric_delta(value, baseline) == text


@pytest.mark.parametrize("baseline", [0.0, -0.5])
def test_metric_delta_needs_a_positive_baseline(baseline):
    with pytest.raises(ValueError, match="baseline must be positive"):
        training.metric_delta(0.01, baseline)


def test_mse_charts_offer_a_log_axis():
    from rnnlab.figures.training import mse_bars, mse_by_step

    rows = [{"label": "a", "valid_mse": 0.01, "test_mse": 0.02}]
    assert mse_bars(rows, naive_mse=0.25, log_y=True).layout.yaxis.type == "log"
    assert mse_bars(rows).layout.yaxis.type != "log"
    assert mse_by_step({"a": [0.01, 0.02]}, log_y=True).layout.yaxis.type == "log"
