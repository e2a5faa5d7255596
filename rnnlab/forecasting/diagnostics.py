"""What a teacher points at in a trained forecaster: does it just copy the last value, and what is left in its
errors (their autocorrelation and a Ljung-Box test), each said in a sentence a student can read.

Plain NumPy and SciPy, so the web process can import it. Every function takes the forecasts of one split in the
series' own units: ``actual`` and ``predicted`` of shape ``[n]`` or ``[n, horizon]`` (one row per window, in the
order of the windows' origins) and ``last_input``, the last value each window saw, of shape ``[n]``.

On a multi-step forecast the residual tests use the first forecast step only: the sample autocorrelation and
the Ljung-Box test assume one-step-ahead errors (an h-step forecast's errors are correlated up to lag h - 1 even
for a perfect model). The copying figures use every step.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import chdtrc  # the chi-square tail alone: scipy.stats takes ~0.7 s to import in the web process

#: A Ljung-Box p-value below this says the errors are still correlated.
SIGNIFICANCE = 0.05
#: Skill (1 - MAE / naive MAE) within this of 0 counts as "about as accurate as repeating the last value".
SAME_AS_NAIVE = 0.05
#: Correlation of the forecast's changes with the actual ones from which they "move with" them, and below which
#: they do not at all (between the two: "only weakly").
TRACKS, WEAK = 0.5, 0.2


def _values(values, name: str) -> np.ndarray:
    """``values`` as a finite float64 array with at least one value, or a ValueError naming them."""
    arr = np.asarray(values, dtype=np.float64)
    if arr.size == 0:
        raise ValueError(f"{name} is empty")
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} must be finite (found NaN or infinity)")
    return arr


def _as_rows(values, name: str) -> np.ndarray:
    """Forecasts or actual values as ``[n, horizon]`` (a ``[n]`` array is one step)."""
    arr = _values(values, name)
    if arr.ndim == 1:
        return arr[:, np.newaxis]
    if arr.ndim != 2:
        raise ValueError(f"{name} must have shape [n] or [n, horizon], got {arr.shape}")
    return arr


def first_step_residuals(actual, predicted) -> np.ndarray:
    """The one-step-ahead errors ``actual - predicted`` of the first forecast step, one per window.

    Args:
        actual: the values that came, ``[n]`` or ``[n, horizon]``.
        predicted: the forecasts, the same shape.

    Returns:
        A float64 array ``[n]``.

    Raises:
        ValueError: on different shapes, no values, or NaN/infinity.
    """
    a, p = _as_rows(actual, "actual"), _as_rows(predicted, "predicted")
    if a.shape != p.shape:
        raise ValueError(f"actual and predicted must have the same shape, got {a.shape} and {p.shape}")
    return a[:, 0] - p[:, 0]


def acf(residuals, nlags: int) -> tuple[np.ndarray, float]:
    """The sample autocorrelation of ``residuals`` at lags 1..``nlags`` and its 95% band under white noise.

    ``r_k = sum_t (e_t - mean)(e_{t-k} - mean) / sum_t (e_t - mean)^2`` (the standard, biased estimator that
    statsmodels' ``acf`` computes); the band is ``1.96 / sqrt(n)``, within which about 95% of the lags of
    uncorrelated errors fall.

    Args:
        residuals: the errors, ``[n]``, in time order (for a multi-step forecast, of its first step).
        nlags: the largest lag, at least 1 and below ``n``.

    Returns:
        ``(r, band)``: ``r`` of shape ``[nlags]`` (``r[0]`` is lag 1) and the half-width of the band.

    Raises:
        ValueError: on fewer than two values, a lag out of range, non-finite or constant residuals (their
            autocorrelation is undefined).
    """
    e = _values(residuals, "residuals")
    if e.ndim != 1:
        raise ValueError(f"residuals must be one series [n], got shape {e.shape}")
    n = len(e)
    if isinstance(nlags, bool) or not isinstance(nlags, (int, np.integer)) or not 1 <= nlags < n:
        raise ValueError(f"nlags must be an integer from 1 to {n - 1} (one below the {n} residuals), got {nlags!r}")
    centred = e - e.mean()
    total = float(centred @ centred)
    if total == 0.0:
        raise ValueError("the residuals are constant: their autocorrelation is undefined")
    r = np.array([centred[k:] @ centred[:-k] for k in range(1, nlags + 1)]) / total
    return r, 1.96 / np.sqrt(n)


def default_lags(n: int, season: int | None = None) -> int:
    """How many lags the Ljung-Box test sums: two seasons on a seasonal series, else 10, and never more than a
    fifth of the residuals (Hyndman & Athanasopoulos, *Forecasting: Principles and Practice*, 5.4); at least 1.

    Args:
        n: how many residuals there are.
        season: the series' season in steps (None, 0 or 1: not seasonal).

    Returns:
        ``min(2 * season, n // 5)`` when ``season > 1``, else ``min(10, n // 5)``, and at least 1.
    """
    cap = n // 5
    return max(1, min(2 * season if season and season > 1 else 10, cap))


def ljung_box(residuals, lags: int) -> tuple[float, float]:
    """The Ljung-Box test that the residuals are uncorrelated up to lag ``lags``.

    ``Q = n (n + 2) sum_{k=1..lags} r_k^2 / (n - k)``, referred to a chi-squared distribution with ``lags``
    degrees of freedom (no adjustment for fitted parameters: a network has too many for one to mean anything).
    Pick ``lags`` with :func:`default_lags`.

    Args:
        residuals: the errors, ``[n]``, in time order (for a multi-step forecast, of its first step).
        lags: how many lags to sum, from 1 to ``n - 1``.

    Returns:
        ``(Q, p)``: the statistic and its p-value; a small p says the errors are still correlated.

    Raises:
        ValueError: as :func:`acf`.
    """
    r, _ = acf(residuals, lags)
    n = len(np.asarray(residuals))
    q = float(n * (n + 2) * np.sum(r ** 2 / (n - np.arange(1, lags + 1))))
    return q, float(chdtrc(lags, q))


@dataclass(frozen=True)
class Residuals:
    """What is left in a forecast's one-step errors: their autocorrelation, its band, and the Ljung-Box test."""

    acf: np.ndarray  #: autocorrelation at lags 1..len(acf)
    band: float  #: half-width of the 95% band under white noise, 1.96 / sqrt(n)
    q: float  #: the Ljung-Box statistic
    p_value: float  #: its p-value
    lags: int  #: how many lags the test sums
    n: int  #: how many residuals

    @property
    def correlated(self) -> bool:
        """Whether the test finds autocorrelation at the 5% level."""
        return self.p_value < SIGNIFICANCE

    def sentence(self) -> str:
        """What the test says, in a sentence: :func:`residual_sentence` of these figures."""
        return residual_sentence(self.p_value, self.lags)


def residual_diagnostics(actual, predicted, season: int | None = None) -> Residuals:
    """The autocorrelation and Ljung-Box test of the first forecast step's errors (see the module's docstring).

    Args:
        actual: the values that came, ``[n]`` or ``[n, horizon]``, windows in time order, one origin apart (where
            a window was left out for a missing value, the lags across that gap are one step short).
        predicted: the forecasts, the same shape.
        season: the series' season in steps, for the number of lags (:func:`default_lags`).

    Returns:
        A :class:`Residuals`; its ACF goes as far as its test (``lags``, at least 1).

    Raises:
        ValueError: on fewer than three windows, or as :func:`acf`.
    """
    e = first_step_residuals(actual, predicted)
    if len(e) < 3:
        raise ValueError(f"the residuals need at least 3 windows to test, got {len(e)}")
    lags = min(default_lags(len(e), season), len(e) - 1)
    r, band = acf(e, lags)
    q, p = ljung_box(e, lags)
    return Residuals(acf=r, band=float(band), q=q, p_value=p, lags=lags, n=len(e))


def _p(p_value: float) -> str:
    return "p < 0.001" if p_value < 0.001 else f"p = {p_value:.3f}"


def residual_sentence(p_value: float, lags: int) -> str:
    """What a Ljung-Box p-value means for a forecast, in a sentence.

    Args:
        p_value: the test's p-value.
        lags: how many lags it summed.

    Returns:
        Below 5%: the errors are still correlated, there is structure the model has not learned; else: no
        autocorrelation left that the test can detect at 5%.
    """
    figures = f"Ljung-Box {_p(p_value)} over {lags} lag{'s' if lags != 1 else ''}"
    if p_value < SIGNIFICANCE:
        return (f"The errors are still correlated ({figures}): there is structure the model has not learned, e.g. "
                "a season or a trend it under- or overshoots.")
    return (f"No autocorrelation left that a test can detect at 5% ({figures}): the errors look like noise, as a "
            "forecast's errors should.")


@dataclass(frozen=True)
class Copying:
    """How far a forecast is more than the naive one (the last input value repeated), on the same windows.

    ``skill`` is ``1 - MAE / naive MAE``: 0 for the naive forecast itself, 1 for a perfect one, negative when
    worse than it. The changes are taken from each window's last input: ``predicted - last`` against
    ``actual - last``, over every window and step. ``correlation`` is None when the forecast's change never
    varies (the naive forecast's is always 0); ``direction`` is the share of actual changes (non-zero ones) whose
    sign the forecast got right, a forecast that does not move counting as wrong.
    """

    skill: float
    mae: float
    naive_mae: float
    correlation: float | None
    direction: float
    moves: bool  #: whether the forecast ever departs from the last input value
    verdict: str  #: the figures in a plain-English sentence


def _accuracy(skill: float) -> str:
    """The skill as "12% more accurate than repeating the last value" (MAE), or less, or as accurate."""
    if round(skill * 100) == 0:
        return "about as accurate as repeating the last value"
    return f"{abs(skill):.0%} {'more' if skill > 0 else 'less'} accurate than repeating the last value"


def _tracking(correlation: float, direction: float) -> str:
    """How the forecast's changes follow the actual ones, as a phrase, with the figures."""
    figures = f"(correlation {correlation:.2f}, direction right {direction:.0%} of the time)"
    if correlation >= TRACKS:
        return f"its forecasts move with the actual changes {figures}"
    if correlation >= WEAK:
        return f"its forecasts move with the actual changes only weakly {figures}"
    return f"its forecasts' changes do not follow the actual changes {figures}"


def copying_verdict(skill: float, correlation: float | None, direction: float, moves: bool) -> str:
    """The copying figures in one sentence: worse than, about the same as, or clearly better than the naive
    forecast (by :data:`SAME_AS_NAIVE`), and whether its changes track the actual ones (by :data:`TRACKS`).

    Args:
        skill: ``1 - MAE / naive MAE``.
        correlation: of the forecast's changes with the actual changes; None when the forecast's change is the
            same in every window and step.
        direction: the share of actual changes whose direction the forecast got right.
        moves: whether the forecast ever departs from the last input value.

    Returns:
        A sentence, e.g. "It mostly repeats the last value: its forecasts move with the actual changes only weakly
        (correlation 0.32, direction right 53% of the time) and it is 4% more accurate than repeating the last
        value."
    """
    accuracy = _accuracy(skill)
    if not moves:
        return f"It repeats the last value: its forecast never moves away from the last input, so it is {accuracy}."
    if correlation is None:
        return (f"It shifts the last value by the same amount every time, so its forecasts do not follow the actual "
                f"changes, and it is {accuracy}.")
    tracking = _tracking(correlation, direction)
    tracks = correlation >= TRACKS
    if skill < -SAME_AS_NAIVE:
        return f"It does worse than the naive forecast: it is {accuracy}, and {tracking}."
    if skill <= SAME_AS_NAIVE:
        if tracks:
            return f"It follows the changes without gaining much from them: {tracking}, and it is {accuracy}."
        return f"It mostly repeats the last value: {tracking} and it is {accuracy}."
    if tracks:
        return f"It does more than copy the last value: {tracking} and it is {accuracy}."
    return f"It is {accuracy}, though {tracking}."


def _correlation(predicted_change: np.ndarray, actual_change: np.ndarray, tiny: float) -> float | None:
    """The correlation of the two changes; None when the forecast's never varies, 0 when the actual one does not
    (there is nothing to follow)."""
    if float(np.std(predicted_change)) <= tiny:
        return None
    if float(np.std(actual_change)) == 0.0:
        return 0.0
    return float(np.corrcoef(predicted_change.ravel(), actual_change.ravel())[0, 1])


def copying(actual, predicted, last_input) -> Copying:
    """Does the forecast just copy the last value? Its accuracy beyond the naive forecast and how its changes
    track the actual ones, over every window and forecast step.

    Args:
        actual: the values that came, ``[n]`` or ``[n, horizon]``, in the series' units.
        predicted: the forecasts, the same shape.
        last_input: the last value each window saw, ``[n]`` (``[n, 1]`` accepted), in the same units.

    Returns:
        A :class:`Copying` with its verdict.

    Raises:
        ValueError: on shapes that do not fit together, NaN/infinity, or when the naive forecast is perfect on
            these windows (nothing changes: the skill is undefined).
    """
    a, p = _as_rows(actual, "actual"), _as_rows(predicted, "predicted")
    last = _values(last_input, "last_input").reshape(-1)
    if a.shape != p.shape:
        raise ValueError(f"actual and predicted must have the same shape, got {a.shape} and {p.shape}")
    if len(last) != len(a):
        raise ValueError(f"last_input needs one value per window ({len(a)}), got {len(last)}")
    actual_change, predicted_change = a - last[:, None], p - last[:, None]
    mae, naive_mae = float(np.mean(np.abs(a - p))), float(np.mean(np.abs(actual_change)))
    if naive_mae == 0.0:
        raise ValueError("the actual values never change from the last input: the naive forecast is perfect, so "
                         "the skill against it is undefined")
    # float32 predictions of an exact copy differ from the float64 inputs by rounding only
    tiny = 1e-6 * naive_mae
    moves = bool(np.max(np.abs(predicted_change)) > tiny)
    correlation = _correlation(predicted_change, actual_change, tiny) if moves else None
    changed = actual_change != 0
    predicted_sign = np.where(np.abs(predicted_change) > tiny, np.sign(predicted_change), 0.0)
    direction = float(np.mean(predicted_sign[changed] == np.sign(actual_change[changed])))
    skill = 1.0 - mae / naive_mae
    return Copying(skill=skill, mae=mae, naive_mae=naive_mae, correlation=correlation, direction=direction,
                   moves=moves, verdict=copying_verdict(skill, correlation, direction, moves))
