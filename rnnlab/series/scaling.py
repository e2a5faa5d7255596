"""How a real series' windows are put on the network's scale, and taken back: the ``scaling`` field.

* ``global`` (the generated series' and the book's way): every value minus the training period's mean, over its
  standard deviation. Values that leave the training period's range (a trend, a level shift) are outside anything
  the network has seen.
* ``relative``: each window's values minus its last input, over the training period's typical one-step change (the
  standard deviation of its changes). The naive forecast is the zero output, so a network starts from it and
  learns what to add; a trend becomes a level.
* ``window``: each window's values minus the mean of its inputs, over their standard deviation (instance
  normalisation, as RevIN does), the output mapped back with the same two figures. A window flatter than half the
  typical one-step change is divided by that instead, so its targets stay within a few units.
* ``difference``: first differences (each value minus the one before it) over the typical one-step change; a
  forecast of changes is added up from the last input.

Every transform is fitted on what a window's inputs and the training period show, never on its targets, and is
inverted exactly (:func:`invert`; tests/test_scaling.py checks the round trip). Plain NumPy: the web process
imports it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

LABELS = {
    "global": "Global: by the training period's mean and spread",
    "relative": "Relative to the last input (the naive forecast is zero)",
    "window": "Per window: by each window's own mean and spread",
    "difference": "First differences",
}
SCALINGS = tuple(LABELS)
#: The default on a real series, chosen on validation by ``python -m rnnlab scalings`` (docs/scalings.md): a
#: linear model and a GRU on every bundled series, one step and at its natural horizon; first differences had the
#: lowest median validation MAE over the naive forecast's (0.939; global 1.056).
REAL_DEFAULT = "difference"
#: The scalings whose zero output is the naive forecast: a network started at zero (the ``start`` field) starts as
#: the naive forecast under them.
NAIVE_AT_ZERO = ("relative", "difference")


@dataclass(frozen=True)
class Frames:
    """The windows on the network's scale, and what takes each back: ``offset`` and ``spread`` per window."""

    values: np.ndarray  #: float32 [n, length]: the windows on the network's scale
    offset: np.ndarray  #: float64 [n]: added back (a level; for ``difference`` the last input, added to the sum)
    spread: np.ndarray  #: float64 [n]: multiplied back


def typical_change(values: np.ndarray, observed: np.ndarray, train_end: int) -> float:
    """The standard deviation of the one-step changes between observed values of the training period; the
    training period's own spread where those changes are all equal (a straight line), 1 where that is 0 too."""
    train, seen = values[:train_end], observed[:train_end]
    both = seen[1:] & seen[:-1]
    changes = np.diff(train)[both]
    for candidate in (float(changes.std()) if changes.size > 1 else 0.0, float(train[seen].std())):
        if candidate > 0:
            return candidate
    return 1.0


def frame(windows: np.ndarray, n_steps: int, scaling: str, *, change: float, before: np.ndarray | None = None
          ) -> Frames:
    """Windows ``[n, length]`` in the series' units (inputs first, ``n_steps`` of them) on the network's scale.

    ``change`` is :func:`typical_change`; ``before`` (``difference`` only) is the value before each window, for its
    first change. ``global`` is not framed per window (see :func:`rnnlab.series.dataset.real_dataset`).
    """
    windows = np.asarray(windows, dtype=np.float64)
    n = len(windows)
    last = windows[:, n_steps - 1]
    if scaling == "relative":
        offset, spread = last, np.full(n, change)
        values = (windows - offset[:, None]) / spread[:, None]
    elif scaling == "window":
        inputs = windows[:, :n_steps]
        offset, spread = inputs.mean(axis=1), np.maximum(inputs.std(axis=1), 0.5 * change)
        values = (windows - offset[:, None]) / spread[:, None]
    elif scaling == "difference":
        if before is None:
            raise ValueError("difference scaling needs the value before each window")
        offset, spread = last, np.full(n, change)
        values = np.diff(np.concatenate([np.asarray(before, dtype=np.float64)[:, None], windows], axis=1),
                         axis=1) / change
    else:
        raise ValueError(f"scaling {scaling!r} is not framed per window: allowed {', '.join(SCALINGS[1:])}")
    return Frames(values=values.astype(np.float32), offset=offset, spread=spread)


def invert(values: np.ndarray, offset: np.ndarray, spread: np.ndarray, scaling: str) -> np.ndarray:
    """Forecasts (or targets) ``[n, horizon]`` on the network's scale back in the series' units: the inverse of
    :func:`frame` for the values after a window's inputs."""
    values = np.asarray(values, dtype=np.float64) * np.asarray(spread)[:, None]
    if scaling == "difference":
        values = np.cumsum(values, axis=1)
    return values + np.asarray(offset)[:, None]
