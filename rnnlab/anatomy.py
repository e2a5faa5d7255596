"""Why a model has the parameters it has: per-layer formulas from the layer shapes (no TensorFlow)."""

from __future__ import annotations

import re
from typing import Any

from rnnlab import models
from rnnlab.config import Experiment


def _last_dim(shape: str) -> int | None:
    numbers = re.findall(r"\d+", shape or "")
    return int(numbers[-1]) if numbers else None


def _formula(kind: str, inputs: int, units: int, kernel_size: int | None) -> tuple[str, int] | None:
    """The formula for a layer's parameter count, as text, and its value (from :mod:`rnnlab.models`)."""
    if kind == "Dense":
        return f"{units} × ({inputs} inputs + 1 bias)", models.dense_params(inputs, units)
    if kind == "SimpleRNN":
        return (f"{units} × ({inputs} inputs + {units} recurrent + 1 bias)",
                models.simple_rnn_params(inputs, units))
    if kind == "LSTM":
        return (f"4 gates × {units} × ({inputs} inputs + {units} recurrent + 1 bias)",
                models.lstm_params(inputs, units))
    if kind == "GRU":
        return (f"3 gates × {units} × ({inputs} inputs + {units} recurrent + 2 biases)",
                models.gru_params(inputs, units))
    if kind.startswith("RNN(LNSimpleRNNCell"):
        return (f"{units} × ({inputs} inputs + {units} recurrent + 1 bias) + 2 × {units} (LayerNorm scale, offset)",
                models.layernorm_rnn_params(inputs, units))
    if kind == "Conv1D" and kernel_size is not None:
        return (f"{units} filters × ({kernel_size} taps × {inputs} channels + 1 bias)",
                models.conv1d_params(inputs, units, kernel_size))
    if kind == "Flatten":
        return "no weights: reshapes the input", 0
    return None


def layer_table(result_layers: list[dict[str, Any]], experiment: Experiment) -> list[dict[str, Any]]:
    """The run's layers with the formula that gives each parameter count.

    Args:
        result_layers: ``RunResult.layers`` (name, type, output_shape, params).
        experiment: the run's experiment (for input sizes and kernel sizes).

    Returns:
        The rows with two more keys: ``formula`` (text) and ``formula_params`` (its value, equal to
        ``params`` when the formula explains the layer; None for a layer type without one).
    """
    rows = []
    inputs = 1
    for i, layer in enumerate(result_layers):
        units = _last_dim(layer["output_shape"]) or 0
        kernel = None
        if layer["type"] == "Conv1D":
            m = experiment.model
            is_output = i == len(result_layers) - 1 and experiment.model.name == "wavenet"
            kernel = 1 if is_output else m.kernel_size
        if layer["type"] == "Flatten":
            units = experiment.series.n_steps
        found = _formula(layer["type"], inputs, units, kernel)
        rows.append({**layer, "formula": found[0] if found else "",
                     "formula_params": found[1] if found else None})
        inputs = units
    return rows
