"""rnnlab.figures.inspection: what each figure draws (shapes, traces, annotations) and loud failures on bad input."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import pytest

from rnnlab.figures import inspection

from figure_support import annotation_texts, by_name


# --------------------------------------------------------------------------------------------------
# hidden_state_heatmap
# --------------------------------------------------------------------------------------------------
def test_hidden_state_heatmap_units_by_time_centred_on_zero():
    states = [[0.1, -0.5, 0.9], [0.2, -0.4, 0.8], [0.3, -0.3, 0.7], [0.4, -0.2, 0.6]]  # 4 steps, 3 units
    fig = inspection.hidden_state_heatmap(states, layer_name="simple_rnn_1")
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
        inspection.hidden_state_heatmap(states)


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
    fig = inspection.unrolled_neuron(x, y[:, np.newaxis], WEIGHTS, n_show=4)
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
    fig = inspection.unrolled_neuron(x, y, WEIGHTS)
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
    fig = inspection.unrolled_neuron(list(x), list(y), WEIGHTS, n_show=6)
    assert [s.type for s in fig.layout.shapes].count("circle") == 3


@pytest.mark.parametrize("inputs, states, weights, n_show, message", [
    ([0.1, 0.2], [0.1], WEIGHTS, 6, "same length, got 2 and 1"),
    ([0.1], [0.1], {"w_x": 1.0, "b": 0.0}, 6, "weights is missing w_y"),
    ([0.1], [0.1], WEIGHTS, 0, "n_show must be an integer of at least 1"),
    ([], [], WEIGHTS, 6, "inputs is empty"),
])
def test_unrolled_neuron_rejects_bad_input(inputs, states, weights, n_show, message):
    with pytest.raises(ValueError, match=message):
        inspection.unrolled_neuron(inputs, states, weights, n_show=n_show)


# --------------------------------------------------------------------------------------------------
# dilated_convolutions
# --------------------------------------------------------------------------------------------------
def test_dilated_convolutions_receptive_field_of_wavenet_stack():
    fig = inspection.dilated_convolutions(2, (1, 2, 4, 8), n_steps=32)
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
    fig = inspection.dilated_convolutions(3, [1, 2], n_steps=10)
    assert fig.layout.title.text == "Receptive field: 7 time steps"
    field = by_name(fig, "receptive field")
    assert sorted(x for x, y in zip(field.x, field.y) if y == 0) == [3, 4, 5, 6, 7, 8, 9]

    small = inspection.dilated_convolutions(2, (1, 2, 4, 8), n_steps=8, title="Custom")
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
        inspection.dilated_convolutions(kernel, dilations, n_steps=n_steps)


def test_bptt_diagram_marks_the_outputs_the_loss_uses():
    from rnnlab.figures.inspection import bptt_diagram

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


def test_the_saliency_bars_end_at_the_last_input_and_highlight_the_strongest():
    from rnnlab.figures.inspection import input_saliency
    from rnnlab.figures.style import HIGHLIGHT_COLOR, INPUT_COLOR

    fig = input_saliency([0.1, 0.5, 0.2], windows=16)
    [bars] = fig.data
    assert list(bars.x) == [-3, -2, -1] and list(bars.y) == [0.1, 0.5, 0.2]
    assert list(bars.marker.color) == [INPUT_COLOR, HIGHLIGHT_COLOR, INPUT_COLOR]
    assert fig.layout.xaxis.title.text == "Steps before the forecast (mean over 16 validation windows)"
    with pytest.raises(ValueError, match="finite and non-negative"):
        input_saliency([0.1, -0.2])
