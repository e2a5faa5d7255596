"""The plain-data result of a training run, shared by workers, the store and the pages (no TensorFlow)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np



@dataclass
class RunResult:
    """Everything a finished run produced, as plain data.

    ``metrics`` and ``naive_metrics`` map ``"valid"``/``"test"`` to ``{"mse", "mae", "rmse", "mase"}``;
    ``predictions`` maps the same split names to ``[n, horizon]`` float32 arrays (for seq2seq models, the
    forecast made at the last time step, which is what the book scores); ``history`` has one dict per epoch
    with ``epoch``, ``loss``, ``val_loss`` and ``seconds``.
    """

    key: str
    experiment: dict[str, Any]
    history: list[dict[str, float]]
    metrics: dict[str, dict[str, float]]
    naive_metrics: dict[str, dict[str, float]]
    mse_per_step: dict[str, list[float]]
    params_total: int
    layers: list[dict[str, Any]]
    predictions: dict[str, np.ndarray]
    wall_seconds: float
    train_seconds: float
    versions: dict[str, str]
    jit_compile: bool = False
    inspect: dict[str, Any] = field(default_factory=dict)
    model_bytes: bytes | None = None
    created: str = ""

    # JSON-friendly part (everything but the arrays and the model file).
    def summary(self) -> dict[str, Any]:
        """The result without predictions and model bytes: what ``result.json`` holds."""
        out = asdict(self)
        out.pop("predictions")
        out.pop("model_bytes")
        return out

    @property
    def val_mse(self) -> float:
        """Validation MSE (the figure the book prints)."""
        return self.metrics["valid"]["mse"]

    @property
    def seconds_per_epoch(self) -> float | None:
        """Mean seconds per training epoch, leaving out the first (it includes tracing/compilation)."""
        seconds = [h["seconds"] for h in self.history]
        if not seconds:
            return None
        rest = seconds[1:] or seconds
        return float(sum(rest) / len(rest))

