"""Classical forecasters (naive, seasonal naive, ETS, ARIMA, Theta) scored on given windows, with statsmodels.

Worker-side only: it imports statsmodels at the top, so the web process must never import it.

statsmodels selects no model by itself, so this module does what R's forecast package (and statsforecast) do:

* **ETS**: error {additive, multiplicative}, trend {none, additive, additive damped}, season {none, additive,
  multiplicative}, chosen by AICc. Multiplicative error or season only for strictly positive data; additive error
  with multiplicative season is left out (R's ``ets`` leaves it out too: its variance can be infinite). A season
  is tried only when it is 2 to :data:`MAX_SEASON` steps long and the training period holds two full seasons.
* **ARIMA**: ``D`` (0 or 1) by the seasonal strength of an STL decomposition (above 0.64, R's ``nsdiffs``
  "seas" test), then ``d`` (up to 2) by repeated KPSS tests at 5%, then a stepwise search (Hyndman and
  Khandakar's, as in ``auto.arima``) over p, q in 0..2, P, Q in 0..1 and the constant (or drift when d + D = 1)
  by AICc. Seasonal terms only for seasons of 2 to :data:`MAX_SEASON` steps.
* **Theta**: statsmodels' ``ThetaModel`` with ``period`` = the season and its seasonality test (deseasonalised
  only when two full seasons are there).
* **Naive / seasonal naive**: the last value; the value one season (or as many as needed) before each target,
  from before the origin. Their intervals come from the training residuals' standard error, as R's ``naive``
  and ``snaive`` compute them. A training period shorter than a season gives the naive forecast.

Seasons longer than :data:`MAX_SEASON` steps (weekly 52, daily 365, the sunspots' 132 months) give ETS and
ARIMA no seasonal terms, as R's ``ets`` does ("frequency too high"): a state per step of the season is slow and
badly estimated. Theta still deseasonalises them. Too short or constant training periods are refused with a
ValueError naming the method (fewer than :data:`MIN_FIT_POINTS` values; every value the same).

**Windows and the update strategy.** :func:`backtest` selects and fits each model once on the training period,
``values[:train_end]``, then for each window re-runs it with its parameters fixed on ``values[:origin]`` (ETS:
``ETSModel.smooth``; ARIMA: a new filter with the fitted parameters, as ``SARIMAXResults.apply`` does) and
forecasts ``horizon`` steps. A window never sees a value from its origin on (origins before ``train_end`` are
refused: the parameters have seen them). Theta has no fixed-parameter update in statsmodels; it is refit at each
origin, but the variance behind its interval (an ARIMA(0,1,1) fit statsmodels repeats at every call, three
quarters of the time) is fitted once on the training period: 2.8 s a window before, 0.6 s after on sunspots'
3,000 points on a busy machine, 90 s instead of 700 s for its 938 windows (docs/benchmarks.md).

**The future** (:func:`future`) refits the form chosen on the training period (ETS's error, trend and season;
ARIMA's orders and differences) on all the values, with no second selection: on elnino_sst at h = 12 the second
selection was 3.6 s of ETS's 7.6 s and 14.1 s of ARIMA's 28 s.

Why fit once and update rather than re-select and refit at every origin: measured on ``us_unemployment``
(monthly, season 12, 828 points), h = 12, every 6th of the windows whose targets lie in the last 30% of the
series (40 windows), on a busy 2-core machine:

======  ========================  ==============================
method  fit once + update         re-select and refit per origin
======  ========================  ==============================
ETS     MAE 0.451, 1.7 s          MAE 0.431, 253 s (146 times)
ARIMA   MAE 0.477, 9.1 s          MAE 0.446, 253 s (28 times)
Theta   refit either way          MAE 0.562, 2.7 s
======  ========================  ==============================

Refitting is 4-7% more accurate here, at 30 to 150 times the cost: minutes per series and horizon instead of
seconds, too much for a yardstick that runs beside every training run. The networks, too, are trained once on
the training period and then read each window's inputs, so the comparison stays like for like; a refit yardstick
would be a little harder to beat.
"""

from __future__ import annotations

import time
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import product
from typing import Any, Protocol

import numpy as np
import pandas as pd
from scipy.stats import norm
from statsmodels.tsa.exponential_smoothing.ets import ETSModel
from statsmodels.tsa.forecasting.theta import ThetaModel
from statsmodels.tsa.seasonal import STL
from statsmodels.tsa.statespace.sarimax import SARIMAX
from statsmodels.tsa.stattools import kpss
from threadpoolctl import threadpool_limits

from rnnlab.series.windows import seasonal_naive

METHODS = ("naive", "seasonal_naive", "ets", "arima", "theta")
#: How each method is shown.
NAMES = {"naive": "Naive", "seasonal_naive": "Seasonal naive", "ets": "ETS", "arima": "ARIMA", "theta": "Theta"}
#: Longest season ETS and ARIMA model with seasonal terms (R's ``ets`` refuses longer ones).
MAX_SEASON = 24
#: Seed of the simulations behind the intervals of multiplicative ETS models (the same data gives the same bands).
SEED = 0
#: What one failing candidate model raises; it is skipped, the others still compete.
_CANDIDATE_FAILURES = (ValueError, np.linalg.LinAlgError, FloatingPointError, OverflowError, ZeroDivisionError)

Band = tuple[np.ndarray, dict[int, np.ndarray], dict[int, np.ndarray]]


@dataclass(frozen=True)
class ClassicalForecast:
    """One method's forecasts of every window, with its prediction intervals."""

    method: str
    model: str  #: the model chosen on the training period, e.g. ``ETS(M,Ad,M)``, ``ARIMA(0,1,1)(0,1,1)[12]``
    predictions: np.ndarray  #: float64 [n_windows, horizon]
    lower: dict[int, np.ndarray]  #: level (80, 95) -> [n_windows, horizon]
    upper: dict[int, np.ndarray]
    fit_seconds: float  #: selecting and fitting the model on the training period
    seconds: float  #: everything: the fit plus each window's update and forecast
    #: The chosen form, for :func:`future` to refit on all the data without selecting again (ETS: its error, trend
    #: and season; ARIMA: its orders and differences; None for the others, which select nothing).
    form: Any = None


class _Fitted(Protocol):
    description: str
    form: Any

    def forecast(self, history: np.ndarray, horizon: int, levels: tuple[int, ...]) -> Band:
        """The forecast of the ``horizon`` steps after ``history``, with its intervals at ``levels``."""


@contextmanager
def _quiet():
    """Silence statsmodels' convergence and interpolation warnings here only, never globally."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def _normal_band(mean: np.ndarray, se: np.ndarray, levels: tuple[int, ...]) -> Band:
    z = {level: float(norm.ppf(0.5 + level / 200)) for level in levels}
    return mean, {lv: mean - z[lv] * se for lv in levels}, {lv: mean + z[lv] * se for lv in levels}


class _LagWalk:
    """The naive (``lag`` 1) or seasonal-naive forecast; intervals from the training residuals, as R's
    ``lagwalk``: the h-step standard error is ``sigma * sqrt(ceil(h / lag))``, sigma the root mean square of the
    lag-``lag`` changes between observed values. A training period without a pair of observed values a season
    apart falls back to the naive forecast (every window then starts less than a season after the series)."""

    def __init__(self, train: np.ndarray, observed: np.ndarray, lag: int) -> None:
        if lag > 1 and not _pairs(observed, lag).any():
            lag = 1
        both = _pairs(observed, lag)
        if not both.any():
            raise ValueError(f"the naive forecast needs two consecutive observed values in the training period "
                             f"({len(train)} values) for its intervals")
        self.lag = lag
        self.sigma = float(np.sqrt(np.mean((train[lag:] - train[:-lag])[both] ** 2)))
        self.description = "Naive" if lag == 1 else f"Seasonal naive[{lag}]"
        self.form = None

    def forecast(self, history: np.ndarray, horizon: int, levels: tuple[int, ...]) -> Band:
        mean = seasonal_naive(history, np.array([len(history)]), horizon, self.lag)[0]
        steps = np.ceil(np.arange(1, horizon + 1) / self.lag)
        return _normal_band(mean, self.sigma * np.sqrt(steps), levels)


def _pairs(observed: np.ndarray, lag: int) -> np.ndarray:
    """True for each t >= lag whose value and the one ``lag`` steps before were both observed."""
    return observed[lag:] & observed[:-lag] if len(observed) > lag else np.zeros(0, dtype=bool)


def _ets_candidates(train: np.ndarray, season: int) -> list[dict]:
    positive = bool(np.all(train > 0))
    seasonal = 2 <= season <= MAX_SEASON and len(train) >= 2 * season
    found = []
    for error, (trend, damped), kind in product(("add", "mul"), ((None, False), ("add", False), ("add", True)),
                                                (None, "add", "mul")):
        if (not positive and "mul" in (error, kind)) or (kind and not seasonal) or (error, kind) == ("add", "mul"):
            continue
        found.append({"error": error, "trend": trend, "damped_trend": damped, "seasonal": kind,
                      "seasonal_periods": season if kind else None})
    return found


def _ets_name(spec: dict) -> str:
    letter = {None: "N", "add": "A", "mul": "M"}
    trend = letter[spec["trend"]] + ("d" if spec["damped_trend"] else "")
    return f"ETS({letter[spec['error']]},{trend},{letter[spec['seasonal']]})"


class _ETS:
    """ETS chosen by AICc on the training period; each window re-smooths with the chosen parameters.

    The chosen initial states are handed to each window's model as known values, leaving only the smoothing
    parameters as its parameters: the forecasts are identical, and statsmodels' results then compute the
    (unused) Hessian over 1 to 4 parameters instead of up to 18, four times faster on a monthly series.
    """

    def __init__(self, train: np.ndarray, season: int, form: dict | None = None) -> None:
        best = None
        with _quiet():
            for spec in [form] if form else _ets_candidates(train, season):
                try:
                    fitted = ETSModel(pd.Series(train), initialization_method="estimated", **spec).fit(disp=False)
                except _CANDIDATE_FAILURES:
                    continue
                if np.isfinite(fitted.aicc) and (best is None or fitted.aicc < best[1].aicc):
                    best = (spec, fitted)
        if best is None:
            raise ValueError(f"ETS: no candidate model could be fitted on the training period ({len(train)} values)")
        self.spec, chosen = best[0], dict(zip(best[1].model.param_names, np.asarray(best[1].params)))
        self.known = {"initial_level": chosen["initial_level"]}
        if self.spec["trend"]:
            self.known["initial_trend"] = chosen["initial_trend"]
        if self.spec["seasonal"]:
            # the parameters list s[-1], ..., s[-m]; known initial seasonal states are given oldest first
            self.known["initial_seasonal"] = [chosen[f"initial_seasonal.{i}"] for i in range(season)][::-1]
        self.params = chosen
        self.description, self.form = _ets_name(self.spec), self.spec

    def forecast(self, history: np.ndarray, horizon: int, levels: tuple[int, ...]) -> Band:
        n = len(history)
        with _quiet():
            model = ETSModel(pd.Series(history), initialization_method="known", **self.known, **self.spec)
            smoothed = model.smooth([self.params[name] for name in model.param_names])
            prediction = smoothed.get_prediction(start=n, end=n + horizon - 1, rng=np.random.default_rng(SEED))
            bands = {level: np.asarray(prediction.pred_int(alpha=1 - level / 100)) for level in levels}
        mean = np.asarray(prediction.predicted_mean, dtype=np.float64)
        return mean, {lv: b[:, 0] for lv, b in bands.items()}, {lv: b[:, 1] for lv, b in bands.items()}


def _seasonal_strength(train: np.ndarray, season: int) -> float:
    """Hyndman's seasonal strength: ``1 - var(remainder) / var(season + remainder)`` of an STL decomposition."""
    with _quiet():
        parts = STL(train, period=season).fit()
    detrended = parts.seasonal + parts.resid
    return max(0.0, 1.0 - float(np.var(parts.resid)) / float(np.var(detrended))) if np.var(detrended) else 0.0


def _differences(train: np.ndarray, season: int) -> tuple[int, int]:
    """(d, D): seasonal differencing when the season is strong, then KPSS tests (level, 5%) for d, up to 2."""
    seasonal = 2 <= season <= MAX_SEASON and len(train) >= 2 * season
    big_d = int(seasonal and _seasonal_strength(train, season) > 0.64)
    y = train[season:] - train[:-season] if big_d else train
    d = 0
    with _quiet():
        while d < 2 and len(y) > 3 and np.ptp(y) > 0 and kpss(y, regression="c", nlags="auto")[1] < 0.05:
            y, d = np.diff(y), d + 1
    return d, big_d


class _ARIMA:
    """(Seasonal) ARIMA chosen on the training period; each window re-filters with the chosen parameters.

    Candidates are fitted on the differenced series (``simple_differencing``, the scale concentrated out): three
    times faster, and their AICc compare since d and D are fixed first. The chosen parameters are then put in the
    full state-space model, which forecasts the undifferenced series with its intervals.
    """

    def __init__(self, train: np.ndarray, season: int, form: tuple | None = None) -> None:
        def fit(o):
            return self._model(train, o, quick=True).fit(disp=False)

        if form:  # (order, d, D, m): refit that model, no tests and no search
            order, self.d, self.big_d, self.m = tuple(form[0]), *form[1:]
            chosen = _stepwise(fit, self.m > 0, self.d + self.big_d <= 1, only=order)[1]
        else:
            self.d, self.big_d = _differences(train, season)
            self.m = season if 2 <= season <= MAX_SEASON and len(train) >= 2 * season else 0
            order, chosen = _stepwise(fit, self.m > 0, self.d + self.big_d <= 1)
        if chosen is None:
            raise ValueError(f"ARIMA: no candidate model could be fitted on the training period ({len(train)} values)")
        self.order, self.params = order, np.r_[chosen.params, chosen.scale]
        self.description, self.form = self._name(order), (order, self.d, self.big_d, self.m)

    def _model(self, train: np.ndarray, order: tuple[int, int, int, int, bool], quick: bool) -> SARIMAX:
        p, q, big_p, big_q, constant = order
        # SARIMAX's trend enters the differenced equation: "c" is a mean when d + D = 0 and a drift when it is 1
        seasonal = (big_p, self.big_d, big_q, self.m) if self.m else (0, 0, 0, 0)
        return SARIMAX(train, order=(p, self.d, q), seasonal_order=seasonal, trend="c" if constant else "n",
                       simple_differencing=quick, concentrate_scale=quick)

    def _name(self, order: tuple[int, int, int, int, bool]) -> str:
        p, q, big_p, big_q, constant = order
        text = f"ARIMA({p},{self.d},{q})" + (f"({big_p},{self.big_d},{big_q})[{self.m}]" if self.m else "")
        if constant:
            text += " with drift" if self.d + self.big_d == 1 else " with non-zero mean"
        return text

    def forecast(self, history: np.ndarray, horizon: int, levels: tuple[int, ...]) -> Band:
        with _quiet():
            # a new filter with the parameters fixed, as ``results.apply`` does, minus its state smoother and
            # parameter covariance, which a forecast does not use and which cost most of the time
            model = self._model(history, self.order, quick=False)
            prediction = model.filter(self.params, cov_type="none").get_forecast(horizon)
            bands = {level: np.asarray(prediction.conf_int(alpha=1 - level / 100)) for level in levels}
        mean = np.asarray(prediction.predicted_mean, dtype=np.float64)
        return mean, {lv: b[:, 0] for lv, b in bands.items()}, {lv: b[:, 1] for lv, b in bands.items()}


def _neighbours(order: tuple[int, int, int, int, bool], seasonal: bool, constant: bool):
    """Orders one step from ``order`` (p, q, P, Q, constant): one or both of p, q (or of P, Q) moved by one, or
    the constant switched, within p, q <= 2 and P, Q <= 1 (0 without a season)."""
    highest = (2, 2, 1 if seasonal else 0, 1 if seasonal else 0)
    for where in ((0,), (1,), (2,), (3,), (0, 1), (2, 3)):
        for step in (-1, 1):
            new = [v + step if i in where else v for i, v in enumerate(order[:4])]
            if all(0 <= v <= top for v, top in zip(new, highest)):
                yield (*new, order[4])
    if constant:
        yield (*order[:4], not order[4])


def _stepwise(fit, seasonal: bool, constant: bool, only: tuple | None = None):
    """Hyndman and Khandakar's stepwise search (R's ``auto.arima``): from the best of four starting orders, move
    to the first neighbour with a lower AICc until none is lower. Returns (order, results) or (None, None);
    ``only`` fits that one order instead of searching."""
    scores: dict[tuple, tuple[float, object]] = {}

    def score(order) -> float:
        if order not in scores:
            try:
                with _quiet():
                    result = fit(order)
                scores[order] = (float(result.aicc) if np.isfinite(result.aicc) else np.inf, result)
            except _CANDIDATE_FAILURES:
                scores[order] = (np.inf, None)
        return scores[order][0]

    if only is not None:
        return (only, scores[only][1]) if np.isfinite(score(only)) else (None, None)
    s = int(seasonal)
    starts = [(2, 2, s, s, constant), (0, 0, 0, 0, constant), (1, 0, s, 0, constant), (0, 1, 0, s, constant)]
    best = min(dict.fromkeys(starts), key=score)
    moved = True
    while moved:
        moved = False
        for order in _neighbours(best, seasonal, constant):
            if score(order) < score(best):
                best, moved = order, True
                break
    return (best, scores[best][1]) if np.isfinite(scores[best][0]) else (None, None)


class _Theta:
    """statsmodels' Theta method, refit on each window's history (its trend and smoothing weight have no
    fixed-parameter update in statsmodels, and that fit takes milliseconds). The variance behind its interval, an
    ARIMA(0,1,1) fit that statsmodels runs on every call and that cost three quarters of the time, is estimated
    once on the training period, as ETS and ARIMA keep their parameters."""

    def __init__(self, train: np.ndarray, season: int) -> None:
        self.season = season
        with _quiet():
            self.sigma2 = float(self._fit(train).sigma2)
        self.description, self.form = "Theta", None

    def _seasonal(self, history: np.ndarray) -> bool:
        return self.season >= 2 and len(history) >= 2 * self.season

    def _fit(self, history: np.ndarray):
        seasonal = self._seasonal(history)
        with _quiet():
            return ThetaModel(history, period=self.season if seasonal else None, deseasonalize=seasonal).fit()

    def forecast(self, history: np.ndarray, horizon: int, levels: tuple[int, ...]) -> Band:
        result = self._fit(history)
        with _quiet():
            mean = np.asarray(result.forecast(horizon), dtype=np.float64)
        # statsmodels' interval (ThetaModelResults.prediction_intervals): the forecast +- z * sigma_h, with
        # sigma_h^2 = sigma^2 (1 + (h - 1)(1 + (alpha - 1)^2)); alpha this window's, sigma^2 the training period's
        alpha = float(result.params["alpha"])
        se = np.sqrt(self.sigma2 * (1 + np.arange(horizon) * (1 + (alpha - 1) ** 2)))
        return _normal_band(mean, se, levels)


#: Fewest training values ETS, ARIMA and Theta are fitted on.
MIN_FIT_POINTS = 8
_MODELS = {"ets": _ETS, "arima": _ARIMA, "theta": _Theta}


def _lag(season: int | None) -> int:
    return int(season) if season and season > 1 else 1


def _fit(method: str, train: np.ndarray, observed: np.ndarray, season: int | None, form: Any = None) -> _Fitted:
    """The model of ``method`` selected and fitted on ``train`` (of the given ``form``: fitted, not selected)."""
    if method == "naive":
        return _LagWalk(train, observed, 1)
    if method == "seasonal_naive":
        return _LagWalk(train, observed, _lag(season))
    if len(train) < MIN_FIT_POINTS:
        raise ValueError(f"{NAMES[method]} needs at least {MIN_FIT_POINTS} training values, got {len(train)}")
    if np.ptp(train) == 0:
        raise ValueError(f"{NAMES[method]}: every training value is {train[0]:g}, there is nothing to fit (the naive "
                         "forecast repeats it)")
    if form is not None and method in ("ets", "arima"):
        try:
            return _MODELS[method](train, _lag(season), form)
        except ValueError:  # that form no longer fits (rare): select again
            pass
    return _MODELS[method](train, _lag(season))


def _check(method: str, values: np.ndarray, observed: np.ndarray, horizon: int, levels: tuple[int, ...]) -> None:
    if method not in METHODS:
        raise ValueError(f"unknown classical method {method!r}: allowed {', '.join(METHODS)}")
    if values.ndim != 1 or not np.isfinite(values).all():
        raise ValueError("values must be a 1-D series of finite numbers (fill the gaps first)")
    if observed.shape != values.shape:
        raise ValueError(f"observed must have the shape of values, got {observed.shape} and {values.shape}")
    if horizon < 1 or not all(0 < level < 100 for level in levels):
        raise ValueError(f"horizon must be at least 1 and each level between 0 and 100, got {horizon} and {levels}")


def _run(method, values, observed, train_end, origins, horizon, season, levels, form=None) -> ClassicalForecast:
    start = time.perf_counter()
    # statsmodels' Kalman filters multiply matrices of a few dozen rows: a multi-threaded BLAS only adds thread
    # hand-offs, which made fits 8-20 times slower on a busy 2-core machine
    with threadpool_limits(limits=1, user_api="blas"):
        fitted = _fit(method, values[:train_end], observed[:train_end], season, form)
        fit_seconds = time.perf_counter() - start
        bands = [fitted.forecast(values[:origin], horizon, levels) for origin in origins]

    def stack(rows) -> np.ndarray:
        return np.array(rows, dtype=np.float64).reshape(len(origins), horizon)

    return ClassicalForecast(
        method=method, model=fitted.description, predictions=stack([b[0] for b in bands]),
        lower={lv: stack([b[1][lv] for b in bands]) for lv in levels},
        upper={lv: stack([b[2][lv] for b in bands]) for lv in levels},
        fit_seconds=fit_seconds, seconds=time.perf_counter() - start, form=fitted.form)


def backtest(method: str, values, observed, *, train_end: int, origins, horizon: int, season: int | None,
             levels: tuple[int, ...] = (80, 95)) -> ClassicalForecast:
    """Forecasts of ``method`` for each window, the model selected and fitted once on ``values[:train_end]``.

    Args:
        method: one of :data:`METHODS`.
        values: the series, float [n], gaps filled causally (a filled value is a plausible input, never a target).
        observed: bool [n], True where the value was observed (the naive intervals use observed pairs only).
        train_end: the training period is ``values[:train_end]``.
        origins: int [n_windows], the index of each window's first target, at least ``train_end``; window ``i``
            is forecast from ``values[:origins[i]]`` only.
        horizon: steps forecast from each origin.
        season: the season in steps (None, 0 or 1: none).
        levels: prediction-interval levels in percent.

    Returns:
        A :class:`ClassicalForecast` with [n_windows, horizon] predictions and bands.

    Raises:
        ValueError: bad arguments, an origin before ``train_end``, or a training period no model can be fitted to
            (fewer than :data:`MIN_FIT_POINTS` values or constant for ETS, ARIMA and Theta; naive intervals need
            two observed values a lag apart); the message names the method.
    """
    values, observed = np.asarray(values, dtype=np.float64), np.asarray(observed, dtype=bool)
    origins = np.asarray(origins, dtype=int).reshape(-1)
    _check(method, values, observed, horizon, levels)
    if origins.size and (origins.min() < train_end or origins.max() > len(values)):
        raise ValueError(f"origins must lie in [train_end, n] = [{train_end}, {len(values)}]: the model is fitted on "
                         "the training period, so a window starting inside it would see its own targets")
    return _run(method, values, observed, train_end, origins, horizon, season, levels)


def future(method: str, values, *, horizon: int, season: int | None, levels: tuple[int, ...] = (80, 95),
           observed=None, form: Any = None) -> ClassicalForecast:
    """The forecast of the ``horizon`` steps past the end, the model fitted on all of ``values``.

    Args are those of :func:`backtest`; ``observed`` defaults to every value observed. ``form`` (a
    :attr:`ClassicalForecast.form` from :func:`backtest`) refits the model chosen on the training period on all the
    values instead of selecting again: its parameters and states see every value, and the selection, most of ETS's
    and ARIMA's time, is not repeated (elnino_sst, h = 12: ETS 3.6 s and ARIMA 14.1 s selecting, see
    docs/benchmarks.md). A form that no longer fits is selected again. Returns a :class:`ClassicalForecast` with one
    row (``predictions[0]`` is the forecast).
    """
    values = np.asarray(values, dtype=np.float64)
    observed = np.ones(values.shape, dtype=bool) if observed is None else np.asarray(observed, dtype=bool)
    _check(method, values, observed, horizon, levels)
    return _run(method, values, observed, len(values), np.array([len(values)]), horizon, season, levels, form)
