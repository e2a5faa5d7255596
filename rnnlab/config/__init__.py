"""Experiment configuration: what data, which model, how to train, and the limits of this instance.

* :mod:`rnnlab.config.fields` — the field table: every setting declared once (bounds, default, help, widget,
  link and CLI spelling);
* :mod:`rnnlab.config.limits` — the operator's limits (``RNNLAB_MAX_*``);
* :mod:`rnnlab.config.sections` — ``SeriesSpec``, ``ModelSpec`` and ``TrainSpec``, each checked by the field table;
* :mod:`rnnlab.config.specs` — the ``Experiment`` they compose and its key, plus flat values (links, CLI options,
  widgets) to experiments and back.

Plain Python (no NumPy, no TensorFlow): the web process imports it cheaply.
"""

from rnnlab.config.fields import FIELDS, MODE_LABELS, MODES, OPTIMIZERS, Field, group_fields, section_fields
from rnnlab.config.limits import Limits, limits, using_limits
from rnnlab.config.specs import (
    SCHEMA_VERSION, Experiment, ModelSpec, Parsed, SeriesSpec, TrainSpec, build, canonical_json,
    clamped_defaults, experiment_key, fallback_mode, parse_flat, stored_experiment, to_query,
)
from rnnlab.env import env_int
from rnnlab.errors import FieldError

#: The flat names of every field (URL parameters, CLI options), in table order.
FLAT_FIELDS: tuple[str, ...] = tuple(FIELDS)

__all__ = [
    "FIELDS", "FLAT_FIELDS", "MODES", "MODE_LABELS", "OPTIMIZERS", "SCHEMA_VERSION", "Experiment", "Field",
    "FieldError", "Limits", "ModelSpec", "Parsed", "SeriesSpec", "TrainSpec", "build", "canonical_json",
    "clamped_defaults", "env_int", "experiment_key", "fallback_mode", "group_fields", "limits", "parse_flat",
    "section_fields", "stored_experiment", "to_query", "using_limits",
]
