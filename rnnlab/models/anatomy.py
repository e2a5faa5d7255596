"""Why a model has the parameters it has: each layer's count with its formula (no TensorFlow).

The formulas come from the model's description in the registry (:class:`rnnlab.models.registry.Layer`), the same
description the Keras builder was given, so they explain exactly the layers the run trained.
"""

from __future__ import annotations

from typing import Any

from rnnlab.config import Experiment


def layer_table(result_layers: list[dict[str, Any]], experiment: Experiment) -> list[dict[str, Any]]:
    """The run's layers with the formula that gives each parameter count.

    Args:
        result_layers: ``RunResult.layers`` (name, type, output_shape, params), as Keras reported them.
        experiment: the run's experiment.

    Returns:
        The rows with two more keys: ``formula`` (text) and ``formula_params`` (its value, equal to
        ``params``; None for a layer the description does not know, which would be a defect).
    """
    described = {layer.name: layer for layer in experiment.model.entry.layers(experiment)}
    rows = []
    for row in result_layers:
        layer = described.get(row["name"])
        rows.append({**row, "formula": layer.formula() if layer else "",
                     "formula_params": layer.params() if layer else None})
    return rows
