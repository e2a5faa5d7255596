"""rnnlab.figures.all: what each figure draws (traces, data, axes, annotations) and loud failures on bad input."""

from __future__ import annotations

import ast
import inspect
import sys
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
import pytest

from rnnlab.figures import all as plots

PUBLIC = plots.__all__


def history(n_epochs: int, start: float, *, seconds: bool = False) -> list[dict]:
    rows = [{"epoch": e, "loss": start / e, "val_loss": 1.5 * start / e} for e in range(1, n_epochs + 1)]
    if seconds:
        for row in rows:
            row["seconds"] = 2.0
    return rows


def annotation_texts(fig: go.Figure) -> list[str]:
    return [a.text for a in fig.layout.annotations]


def by_name(fig: go.Figure, name: str):
    found = [t for t in fig.data if t.name == name]
    assert len(found) == 1, f"expected one trace named {name!r}, got {[t.name for t in fig.data]}"
    return found[0]


# --------------------------------------------------------------------------------------------------
# The module as a whole
# --------------------------------------------------------------------------------------------------
def test_imports_only_numpy_plotly_rnnlab_and_the_standard_library():
    tree = ast.parse(Path(plots.__file__).read_text())
    roots = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            roots.add(node.module.split(".")[0])
    third_party = {r for r in roots if r not in sys.stdlib_module_names and r != "__future__"}
    assert third_party == {"numpy", "plotly", "rnnlab"}  # rnnlab.models.registry imports Keras only to build a model


@pytest.mark.parametrize("name", PUBLIC)
def test_public_functions_are_documented(name):
    doc = inspect.getdoc(getattr(plots, name))
    assert doc and "Args:" in doc and "Returns:" in doc


def all_figures() -> dict[str, go.Figure]:
    X = np.zeros((2, 4, 1))
    return {
        "series": plots.series_preview(X, np.ones((2, 2))),
        "loss": plots.loss_curves({"a": history(3, 1.0)}),
        "loss_empty": plots.loss_curves({}),
        "params": plots.param_counts({"a": 3}),
        "mse": plots.mse_bars([{"label": "a", "valid_mse": 0.1, "test_mse": 0.2}]),
        "scatter": plots.prediction_scatter([0.0, 1.0], [0.5, 1.0]),
        "steps": plots.mse_by_step({"a": [0.1, 0.2]}),
        "heat": plots.hidden_state_heatmap([[0.1, -0.2], [0.3, 0.4]]),
        "neuron": plots.unrolled_neuron([0.1, 0.2], [0.3, 0.4], {"w_x": 1.0, "w_y": 0.5, "b": 0.0}),
        "dilated": plots.dilated_convolutions(2, (1, 2)),
        "bptt": plots.bptt_diagram(4),
        "real": plots.real_series(None, [1.0, 2.0, 3.0], periods={"training": (0, 2)}),
        "future": plots.future_forecast(["a", "b"], [1.0, 2.0], ["c"], [3.0], last_time="b"),
        "folds": plots.backtest_folds(["a", "b"], [1.0, 2.0], {"fold 1": (["b"], [2.2])}),
        "fold_errors": plots.fold_errors(["fold 1"], [1.0]),
    }


def test_every_figure_has_the_template_and_a_title():
    white = pio.templates["plotly_white"]
    for name, fig in all_figures().items():
        assert fig.layout.template.layout == white.layout, name
        for trace in fig.data:  # every trace type drawn gets plotly_white's defaults
            assert getattr(fig.layout.template.data, trace.type) == getattr(white.data, trace.type), (name, trace.type)
        assert fig.layout.title.text, name


def test_the_template_is_lean():
    """The template is copied into every figure: only the trace types the figures draw carry defaults."""
    template = pio.templates[plots.TEMPLATE]
    assert {k for k, v in template.data.to_plotly_json().items() if v} == {"scatter", "bar", "heatmap"}


# --------------------------------------------------------------------------------------------------
# series_preview
# --------------------------------------------------------------------------------------------------
def test_series_preview_draws_inputs_actual_and_forecast_per_series():
    X = np.arange(4 * 5, dtype=float).reshape(4, 5, 1)
    future = np.arange(4 * 3, dtype=float).reshape(4, 3) + 100
    predictions = future + 0.5
    fig = plots.series_preview(X, future, predictions=predictions, n_series=2)

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
    fig = plots.series_preview(X, X[:, -1, 0], n_series=5)  # a 1-D future means horizon 1
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
        plots.series_preview(**kwargs)


# --------------------------------------------------------------------------------------------------
# loss_curves
# --------------------------------------------------------------------------------------------------
def test_loss_curves_solid_training_dashed_validation_one_colour_per_run():
    fig = plots.loss_curves({"linear": history(4, 1.0), "lstm": history(4, 2.0, seconds=True)})
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
    assert plots.loss_curves({"a": history(3, 1.0)}, log_y=True).layout.yaxis.type == "log"


@pytest.mark.parametrize("runs", [{}, {"a": [], "b": []}])
def test_loss_curves_before_the_first_epoch_says_so(runs):
    fig = plots.loss_curves(runs)
    assert len(fig.data) == 0
    assert annotation_texts(fig) == ["No epochs yet"]
    assert fig.layout.xaxis.title.text == "Epoch"


def test_loss_curves_skips_runs_without_epochs_and_validation_when_absent():
    rows = [{"epoch": 1, "loss": 0.5}, {"epoch": 2, "loss": 0.25}]
    fig = plots.loss_curves({"empty": [], "no_valid": rows})
    assert [t.name for t in fig.data] == ["no_valid (train)"]
    assert annotation_texts(fig) == []


@pytest.mark.parametrize("runs, message", [
    ({"a": [{"epoch": 1, "val_loss": 0.1}]}, "run 'a': history entry 0 has no 'loss' key"),
    ({"a": [{"epoch": 1, "loss": "high"}]}, "must be a number"),
    ([("a", [])], "runs must map a run label"),
])
def test_loss_curves_rejects_bad_histories(runs, message):
    with pytest.raises(ValueError, match=message):
        plots.loss_curves(runs)


# --------------------------------------------------------------------------------------------------
# param_counts
# --------------------------------------------------------------------------------------------------
def test_param_counts_bars_with_thousands_separators_on_a_log_axis():
    fig = plots.param_counts({"SimpleRNN(1)": 3, "deep": 1261, "lstm": 12_345})
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
    fig = plots.param_counts({"naive": 0, "linear": 51}, log_y=False)
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
        plots.param_counts(counts, **kwargs)


# --------------------------------------------------------------------------------------------------
# mse_bars
# --------------------------------------------------------------------------------------------------
ROWS = [
    {"label": "linear", "valid_mse": 0.004, "test_mse": 0.005},
    {"label": "rnn", "valid_mse": 0.011, "test_mse": None},
]


def test_mse_bars_grouped_valid_and_test_with_naive_line():
    fig = plots.mse_bars(ROWS, naive_mse=0.02)
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
    assert line.line.dash == "dash" and line.line.color == plots.NAIVE_COLOR
    assert annotation_texts(fig) == []  # no label on the line, where it covered the tallest bars


def test_mse_bars_without_test_scores_or_naive():
    fig = plots.mse_bars([{"label": "a", "valid_mse": 0.1}])
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
        plots.mse_bars(rows, **kwargs)


# --------------------------------------------------------------------------------------------------
# prediction_scatter
# --------------------------------------------------------------------------------------------------
def test_prediction_scatter_points_and_identity_line():
    actual = np.array([[0.0, 1.0], [3.0, -1.0]])
    predicted = np.array([[0.5, 1.0], [2.0, -2.0]])  # the low end comes from predicted, the high from actual
    fig = plots.prediction_scatter(actual, predicted)
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
    fig = plots.prediction_scatter(actual, actual * 0.9)
    assert isinstance(by_name(fig, "forecasts"), go.Scattergl)
    assert len(by_name(fig, "forecasts").x) == 6000
    few = plots.prediction_scatter(actual[:500], actual[:500])  # exactly 5,000 points
    assert type(by_name(few, "forecasts")) is go.Scatter


def test_prediction_scatter_rejects_mismatched_or_empty():
    with pytest.raises(ValueError, match="same shape"):
        plots.prediction_scatter(np.zeros((2, 3)), np.zeros((3, 2)))
    with pytest.raises(ValueError, match="actual is empty"):
        plots.prediction_scatter([], [])
    with pytest.raises(ValueError, match="no finite pair"):
        plots.prediction_scatter([np.nan], [1.0])


# --------------------------------------------------------------------------------------------------
# mse_by_step
# --------------------------------------------------------------------------------------------------
def test_mse_by_step_lines_from_step_one_with_naive_dashes():
    fig = plots.mse_by_step({"linear": [0.01, 0.02, 0.04], "lstm": np.array([0.005, 0.01, 0.02])},
                            naive_per_step=[0.02, 0.1, 0.3])
    assert [t.name for t in fig.data] == ["linear", "lstm", "naive forecast"]
    assert all(t.mode == "lines+markers" for t in fig.data)
    assert list(fig.data[0].x) == [1, 2, 3]
    assert list(fig.data[1].y) == [0.005, 0.01, 0.02]
    naive = fig.data[2]
    assert naive.line.dash == "dash" and naive.line.color == plots.NAIVE_COLOR
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
        plots.mse_by_step(per_step, naive_per_step=naive)


# --------------------------------------------------------------------------------------------------
# hidden_state_heatmap
# --------------------------------------------------------------------------------------------------
def test_hidden_state_heatmap_units_by_time_centred_on_zero():
    states = [[0.1, -0.5, 0.9], [0.2, -0.4, 0.8], [0.3, -0.3, 0.7], [0.4, -0.2, 0.6]]  # 4 steps, 3 units
    fig = plots.hidden_state_heatmap(states, layer_name="simple_rnn_1")
    (heat,) = fig.data
    assert isinstance(heat, go.Heatmap)
    z = np.array(heat.z)
    assert z.shape == (3, 4)  # units on y, time on x
    assert list(z[1]) == [-0.5, -0.4, -0.3, -0.2]
    assert list(heat.x) == [0, 1, 2, 3] and list(heat.y) == [0, 1, 2]
    assert heat.zmid == 0
    assert heat.colorscale[0][1] != heat.colorscale[-1][1]  # a real (diverging) scale, not a flat one
    assert heat.colorbar.title.text == "activation"
    assert fig.layout.xaxis.title.text == "Time step t"
    assert fig.layout.yaxis.title.text == "Unit"
    assert "simple_rnn_1" in fig.layout.title.text


@pytest.mark.parametrize("states, message", [
    ([], "states is empty"),
    ([[1.0, 2.0], [3.0]], "rectangular"),
    (np.zeros((2, 3, 4)), r"states must have shape \[time, units\]"),
])
def test_hidden_state_heatmap_rejects_bad_shapes(states, message):
    with pytest.raises(ValueError, match=message):
        plots.hidden_state_heatmap(states)


# --------------------------------------------------------------------------------------------------
# unrolled_neuron
# --------------------------------------------------------------------------------------------------
WEIGHTS = {"w_x": 0.8, "w_y": 0.5, "b": 0.1}


def neuron_series(n: int) -> tuple[np.ndarray, np.ndarray]:
    x = np.linspace(-0.5, 0.5, n)
    y, h = [], 0.0
    for v in x:
        h = np.tanh(WEIGHTS["w_x"] * v + WEIGHTS["w_y"] * h + WEIGHTS["b"])
        y.append(h)
    return x, np.array(y)


def test_unrolled_neuron_one_node_and_one_box_per_shown_step():
    x, y = neuron_series(10)
    fig = plots.unrolled_neuron(x, y[:, np.newaxis], WEIGHTS, n_show=4)
    kinds = [s.type for s in fig.layout.shapes]
    assert kinds.count("circle") == 4 and kinds.count("rect") == 4 and len(kinds) == 8
    texts = annotation_texts(fig)
    for t in range(4):
        assert f"t = {t}" in texts
        assert f"{x[t]:.3f}" in texts
        assert any(f"{y[t]:.3f}" in text for text in texts)
    assert "t = 4" not in texts
    assert sum("w_x =" in text for text in texts) == 1 and "w_x = 0.800" in texts
    assert sum("w_y =" in text for text in texts) == 1 and "w_y = 0.500" in texts
    assert "y(t) = tanh(w_x·x(t) + w_y·y(t−1) + b), b = 0.100" in texts
    arrows = [a for a in fig.layout.annotations if a.showarrow]
    assert len(arrows) == 4 + 3  # x(t) -> y(t) at each step, y(t-1) -> y(t) between steps
    assert fig.layout.xaxis.visible is False and fig.layout.yaxis.visible is False


def test_unrolled_neuron_text_does_not_overlap():
    x, y = neuron_series(6)
    fig = plots.unrolled_neuron(x, y, WEIGHTS)
    labels = [a for a in fig.layout.annotations if a.text and a.xref in (None, "x")]
    # Same anchor point, same pixel shift and same alignment would print one text on another.
    positions = [(round(a.x, 3), round(a.y, 3), a.xshift or 0, a.yshift or 0, a.xanchor, a.yanchor) for a in labels]
    assert len(positions) == len(set(positions))
    circles = [s for s in fig.layout.shapes if s.type == "circle"]
    assert [c.xanchor for c in circles] == [0, 1, 2, 3, 4, 5]  # one per step, evenly spaced
    # Sized in pixels so the values inside always fit, whatever the window: round, and wider than the text.
    assert all(c.xsizemode == c.ysizemode == "pixel" for c in fig.layout.shapes)
    assert all(c.x1 - c.x0 == c.y1 - c.y0 >= 40 for c in circles)


def test_unrolled_neuron_clips_n_show_to_the_series():
    x, y = neuron_series(3)
    fig = plots.unrolled_neuron(list(x), list(y), WEIGHTS, n_show=6)
    assert [s.type for s in fig.layout.shapes].count("circle") == 3


@pytest.mark.parametrize("inputs, states, weights, n_show, message", [
    ([0.1, 0.2], [0.1], WEIGHTS, 6, "same length, got 2 and 1"),
    ([0.1], [0.1], {"w_x": 1.0, "b": 0.0}, 6, "weights is missing w_y"),
    ([0.1], [0.1], WEIGHTS, 0, "n_show must be an integer of at least 1"),
    ([], [], WEIGHTS, 6, "inputs is empty"),
])
def test_unrolled_neuron_rejects_bad_input(inputs, states, weights, n_show, message):
    with pytest.raises(ValueError, match=message):
        plots.unrolled_neuron(inputs, states, weights, n_show=n_show)


# --------------------------------------------------------------------------------------------------
# dilated_convolutions
# --------------------------------------------------------------------------------------------------
def test_dilated_convolutions_receptive_field_of_wavenet_stack():
    fig = plots.dilated_convolutions(2, (1, 2, 4, 8), n_steps=32)
    assert fig.layout.title.text == "Receptive field: 16 time steps"
    field = by_name(fig, "receptive field")
    inputs_seen = sorted(x for x, y in zip(field.x, field.y) if y == 0)
    assert inputs_seen == list(range(16, 32))  # the last 16 inputs, and only them
    top = [x for x, y in zip(field.x, field.y) if y == 4]
    assert top == [31]  # only the last output is traced
    edges = by_name(fig, "connections to the last output")
    assert len(edges.x) == 3 * (2 + 4 + 8 + 16)  # two points and a gap per connection
    assert list(edges.x[:2]) == [31, 31] and list(edges.x[3:5]) == [31, 23]  # t and t - 8 at the top
    faint = by_name(fig, "other nodes")
    assert len(faint.x) + len(field.x) == 32 * 5
    assert list(fig.layout.yaxis.ticktext) == ["input", "dilation 1", "dilation 2", "dilation 4", "dilation 8"]
    assert fig.layout.xaxis.title.text == "Time step t"


def test_dilated_convolutions_wider_kernel_and_truncated_inputs():
    fig = plots.dilated_convolutions(3, [1, 2], n_steps=10)
    assert fig.layout.title.text == "Receptive field: 7 time steps"
    field = by_name(fig, "receptive field")
    assert sorted(x for x, y in zip(field.x, field.y) if y == 0) == [3, 4, 5, 6, 7, 8, 9]

    small = plots.dilated_convolutions(2, (1, 2, 4, 8), n_steps=8, title="Custom")
    assert small.layout.title.text == "Custom"
    assert "8 steps before t = 0" in small.layout.xaxis.title.text
    field = by_name(small, "receptive field")
    assert sorted(x for x, y in zip(field.x, field.y) if y == 0) == list(range(8))
    edges = by_name(small, "connections to the last output")
    assert min(x for x in edges.x if x is not None) == 0  # causal padding: nothing reaches before t = 0


@pytest.mark.parametrize("kernel, dilations, n_steps, message", [
    (2, (1, 2), 1, "n_steps must be an integer of at least 2"),
    (2, (), 32, "dilations is empty"),
    (0, (1,), 32, "kernel_size must be an integer of at least 1"),
    (2, (1, 0), 32, "every dilation must be an integer of at least 1"),
])
def test_dilated_convolutions_rejects_bad_arguments(kernel, dilations, n_steps, message):
    with pytest.raises(ValueError, match=message):
        plots.dilated_convolutions(kernel, dilations, n_steps=n_steps)


# --------------------------------------------------------------------------------------------------
# metric_delta
# --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("value, baseline, text", [
    (0.0026, 0.0202, "-87.1% vs naive"),
    (0.03, 0.02, "+50.0% vs naive"),
    (0.02, 0.02, "+0.0% vs naive"),
    (0.0199999, 0.02, "+0.0% vs naive"),  # rounds to zero: no "-0.0%"
])
def test_metric_delta(value, baseline, text):
    assert plots.metric_delta(value, baseline) == text


@pytest.mark.parametrize("baseline", [0.0, -0.5])
def test_metric_delta_needs_a_positive_baseline(baseline):
    with pytest.raises(ValueError, match="baseline must be positive"):
        plots.metric_delta(0.01, baseline)


def test_bptt_diagram_marks_the_outputs_the_loss_uses():
    from rnnlab.figures.all import bptt_diagram

    every = bptt_diagram(4, outputs="all")
    last = bptt_diagram(4, outputs="last")
    red = lambda fig: [a for a in fig.layout.annotations if a.showarrow and a.arrowcolor == "#d62728"]
    # all: loss->y and y->h for 4 outputs, plus 3 steps back along the chain; last: 1 + 1 + 3.
    assert len(red(every)) == 4 * 2 + 3 and len(red(last)) == 1 * 2 + 3
    assert {t.name for t in every.data} == {"forward pass", "gradients (backpropagation through time)"}
    assert "uses every output" in every.layout.annotations[-1].text
    assert "uses only the last output" in last.layout.annotations[-1].text
    with pytest.raises(ValueError, match="from 2 to 12"):
        bptt_diagram(1)
    with pytest.raises(ValueError, match="'all' or 'last'"):
        bptt_diagram(3, outputs="some")


def test_mse_charts_offer_a_log_axis():
    from rnnlab.figures.all import mse_bars, mse_by_step

    rows = [{"label": "a", "valid_mse": 0.01, "test_mse": 0.02}]
    assert mse_bars(rows, naive_mse=0.25, log_y=True).layout.yaxis.type == "log"
    assert mse_bars(rows).layout.yaxis.type != "log"
    assert mse_by_step({"a": [0.01, 0.02]}, log_y=True).layout.yaxis.type == "log"


def test_for_projector_enlarges_type_and_thins_log_ticks():
    fig = plots.mse_bars([{"label": "a", "valid_mse": 0.01, "test_mse": 0.2}], log_y=True)
    assert fig.layout.yaxis.type == "log" and fig.layout.yaxis.dtick is None
    big = plots.for_projector(fig, 22)
    assert big.layout.font.size == 22 and big.layout.title.font.size == 28
    assert big.layout.yaxis.dtick == 1  # 0.01, 0.1, 1: one label per power of ten
    assert big.layout.xaxis.dtick is None  # a category axis is left alone
    assert big.layout.height == 560
    tall = plots.for_projector(go.Figure(layout=dict(height=900, title=dict(text="t"))))
    assert tall.layout.height == 900


def test_real_series_shades_each_period_and_keeps_gaps():
    values = np.array([1.0, 2.0, np.nan, 4.0, 5.0, 6.0])
    times = [f"2020-01-0{i + 1}" for i in range(6)]
    fig = plots.real_series(times, values, periods={"training": (0, 3), "validation": (3, 5), "test": (5, 6)},
                            unit="°C")
    assert list(fig.data[0].x) == times and np.isnan(fig.data[0].y[2]) and fig.data[0].connectgaps is False
    shapes = fig.layout.shapes
    assert [(s.x0, s.x1) for s in shapes] == [("2020-01-01", "2020-01-04"), ("2020-01-04", "2020-01-06"),
                                              ("2020-01-06", "2020-01-06")]  # each band meets the next
    assert [a.text for a in fig.layout.annotations] == ["training", "validation", "test"]
    assert fig.layout.yaxis.title.text == "°C"
    with pytest.raises(ValueError, match="5 times for 6 values"):
        plots.real_series(times[:5], values)


def test_future_forecast_starts_at_the_last_observation():
    fig = plots.future_forecast(["2020-01", "2020-02"], [1.0, 2.0], ["2020-03", "2020-04"], [3.0, 2.5],
                                last_time="2020-02", rolled=True)
    observed, forecast = fig.data
    assert list(forecast.x) == ["2020-02", "2020-03", "2020-04"] and list(forecast.y) == [2.0, 3.0, 2.5]
    assert "rolled forward" in forecast.name and fig.layout.shapes[0].x0 == "2020-02"
    with pytest.raises(ValueError, match="each value needs its time"):
        plots.future_forecast(["a"], [1.0, 2.0], ["b"], [1.0], last_time="a")


def test_backtest_figures():
    fig = plots.backtest_folds(["t1", "t2", "t3"], [1, 2, 3], {"fold 1": (["t2"], [2.1]), "fold 2": (["t3"], [2.9])})
    assert [t.name for t in fig.data] == ["Actual", "fold 1", "fold 2"]
    assert fig.data[1].line.color != fig.data[0].line.color  # no fold drawn in the actual series' colour
    bars = plots.fold_errors(["fold 1", "fold 2"], [1.0, 3.0], baseline=[2.0, 2.0])
    assert [t.name for t in bars.data] == ["Model", "Naive forecast", "mean (2)"]
    assert bars.layout.shapes[0].y0 == 2.0
