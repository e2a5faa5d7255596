"""rnnlab.forecasting.classical: the classical yardsticks on small synthetic series (statsmodels, a few seconds)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import norm

from rnnlab.forecasting import classical, metrics

HORIZON = 12
SEASON = 12
TRAIN_END = 72
MODELS = ("ets", "arima", "theta")


def _seasonal_series(n: int = 96, seed: int = 0) -> np.ndarray:
    """Eight years of a positive monthly series: a trend, a strong season and a little noise."""
    t = np.arange(n)
    noise = np.random.default_rng(seed).normal(0.0, 0.5, n)
    return 50.0 + 0.4 * t + 8.0 * np.sin(2 * np.pi * t / SEASON) + noise


SERIES = _seasonal_series()
ORIGINS = np.arange(TRAIN_END, len(SERIES) - HORIZON + 1, 3)


def _backtest(method, values=SERIES, origins=ORIGINS, season=SEASON, train_end=TRAIN_END):
    return classical.backtest(method, values, np.ones(len(values), dtype=bool), train_end=train_end,
                              origins=origins, horizon=HORIZON, season=season)


@pytest.fixture(scope="module")
def forecasts() -> dict[str, classical.ClassicalForecast]:
    return {method: _backtest(method) for method in classical.METHODS}


def test_models_beat_naive_on_a_seasonal_trending_series(forecasts):
    actual = SERIES[ORIGINS[:, None] + np.arange(HORIZON)]
    naive = metrics.mae(actual, forecasts["naive"].predictions)
    for method in MODELS:
        assert metrics.mae(actual, forecasts[method].predictions) < 0.5 * naive, method
    assert forecasts["ets"].model.endswith((",A)", ",M)"))  # a seasonal model was chosen
    assert forecasts["arima"].model.startswith("ARIMA(") and "[12]" in forecasts["arima"].model


def test_shapes_and_timings(forecasts):
    for method, result in forecasts.items():
        assert result.method == method
        assert result.predictions.shape == (len(ORIGINS), HORIZON)
        assert set(result.lower) == set(result.upper) == {80, 95}
        assert 0.0 <= result.fit_seconds <= result.seconds
        assert np.isfinite(result.predictions).all()


def test_intervals_contain_the_forecast_and_widen_with_the_level(forecasts):
    for method, result in forecasts.items():
        p = result.predictions
        assert (result.lower[80] <= p).all() and (p <= result.upper[80]).all(), method
        assert (result.lower[95] <= result.lower[80]).all() and (result.upper[80] <= result.upper[95]).all(), method
        assert ((result.upper[95] - result.lower[95]) > (result.upper[80] - result.lower[80])).all(), method


@pytest.mark.parametrize("method", classical.METHODS)
def test_no_window_sees_its_future(method):
    # change everything from the origin of window k on: windows 0..k must not move (season off for speed: the
    # update path is the same)
    k = 2
    changed = SERIES.copy()
    changed[ORIGINS[k]:] = changed[ORIGINS[k]:] * 3.0 + 40.0
    before, after = _backtest(method, SERIES, season=None), _backtest(method, changed, season=None)
    assert before.model == after.model
    np.testing.assert_array_equal(before.predictions[: k + 1], after.predictions[: k + 1])
    for level in (80, 95):
        np.testing.assert_array_equal(before.lower[level][: k + 1], after.lower[level][: k + 1])
        np.testing.assert_array_equal(before.upper[level][: k + 1], after.upper[level][: k + 1])
    assert not np.array_equal(before.predictions[k + 1:], after.predictions[k + 1:])


VALUES = np.array([1.0, 2.0, 4.0, 7.0, 11.0, 16.0, 22.0, 29.0, 37.0, 46.0])


@pytest.mark.parametrize(
    "method, season, origins, expected, sigma, steps",
    [
        # naive: the last value before the origin; sigma: root mean square of the training changes 1, 2, 3, 4, 5
        ("naive", 3, [6, 8], [[16, 16, 16, 16], [29, 29, 29, 29]], np.sqrt(55 / 5), [1, 2, 3, 4]),
        # seasonal naive, season 3: target k takes the value 3 * ceil((k + 1) / 3) steps before it; sigma from the
        # lag-3 changes of the training period: 6, 9, 12
        ("seasonal_naive", 3, [6, 7], [[7, 11, 16, 7], [11, 16, 22, 11]], np.sqrt((36 + 81 + 144) / 3),
         [1, 1, 1, 2]),
        # a season longer than the training period reaches back nowhere: the naive forecast
        ("seasonal_naive", 8, [6], [[16, 16, 16, 16]], np.sqrt(55 / 5), [1, 2, 3, 4]),
    ],
)
def test_naive_forecasts_by_hand(method, season, origins, expected, sigma, steps):
    result = classical.backtest(method, VALUES, np.ones(10, dtype=bool), train_end=6, origins=origins, horizon=4,
                                season=season, levels=(80, 95))
    np.testing.assert_allclose(result.predictions, expected)
    for level in (80, 95):
        half = norm.ppf(0.5 + level / 200) * sigma * np.sqrt(steps)
        np.testing.assert_allclose(result.upper[level] - result.predictions, np.broadcast_to(half, (len(origins), 4)))
        np.testing.assert_allclose(result.predictions - result.lower[level], np.broadcast_to(half, (len(origins), 4)))
    assert result.model == ("Naive" if season == 8 or method == "naive" else "Seasonal naive[3]")


def test_naive_residuals_skip_unobserved_pairs():
    observed = np.ones(10, dtype=bool)
    observed[2] = False  # the changes 2 -> 4 and 4 -> 7 touch a filled value
    result = classical.backtest("naive", VALUES, observed, train_end=6, origins=[6], horizon=1, season=None,
                                levels=(95,))
    sigma = np.sqrt((1 + 16 + 25) / 3)
    assert result.upper[95][0, 0] - result.predictions[0, 0] == pytest.approx(norm.ppf(0.975) * sigma)


def test_future_forecasts_past_the_end():
    result = classical.future("naive", VALUES, horizon=3, season=None)
    np.testing.assert_allclose(result.predictions, [[46.0, 46.0, 46.0]])
    theta = classical.future("theta", SERIES, horizon=HORIZON, season=SEASON)
    assert theta.predictions.shape == (1, HORIZON) and theta.predictions[0, 0] > SERIES[-24:].mean()


@pytest.mark.parametrize("method", MODELS)
def test_constant_series_is_refused_with_the_reason(method):
    with pytest.raises(ValueError, match=rf"{classical.NAMES[method]}: every training value is 5, there is nothing"):
        classical.future(method, np.full(40, 5.0), horizon=3, season=12)


def test_constant_series_naive_repeats_it():
    result = classical.future("naive", np.full(40, 5.0), horizon=3, season=12)
    np.testing.assert_array_equal(result.predictions, [[5.0, 5.0, 5.0]])
    np.testing.assert_array_equal(result.lower[95], result.upper[95])


@pytest.mark.parametrize("method", MODELS)
def test_too_short_series_is_refused(method):
    with pytest.raises(ValueError, match=rf"{classical.NAMES[method]} needs at least {classical.MIN_FIT_POINTS}"):
        classical.future(method, VALUES[:5], horizon=2, season=None)


def test_short_series_fits_without_its_season():
    # 20 values: fewer than two seasons of 12, so ETS and ARIMA fall back to non-seasonal models
    values = SERIES[:20]
    assert classical.future("ets", values, horizon=3, season=12).model.endswith(",N)")
    assert "[" not in classical.future("arima", values, horizon=3, season=12).model


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"method": "prophet"}, "unknown classical method 'prophet'"),
        ({"origins": [TRAIN_END - 1]}, r"origins must lie in \[train_end, n\]"),
        ({"values": np.r_[SERIES[:-1], np.nan]}, "finite"),
        ({"horizon": 0}, "horizon must be at least 1"),
        ({"levels": (80, 100)}, "each level between 0 and 100"),
    ],
)
def test_bad_arguments_are_refused(kwargs, message):
    args = {"method": "naive", "values": SERIES, "origins": ORIGINS, "horizon": HORIZON, "levels": (80, 95)}
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        classical.backtest(args["method"], args["values"], np.ones(len(SERIES), dtype=bool), train_end=TRAIN_END,
                           origins=args["origins"], horizon=args["horizon"], season=SEASON, levels=args["levels"])


def test_theta_fits_the_variance_behind_its_interval_once(monkeypatch):
    """The ARIMA(0,1,1) fit behind Theta's interval (three quarters of its time) runs once on the training period,
    not at every window; the point forecasts are still statsmodels' own, refit at each origin."""
    import statsmodels.tsa.forecasting.theta as sm_theta

    calls = []

    class Counted(sm_theta.SARIMAX):
        def __init__(self, *args, **kwargs):
            calls.append(1)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(sm_theta, "SARIMAX", Counted)
    result = _backtest("theta")
    assert len(ORIGINS) > 1 and len(calls) == 1
    origin = ORIGINS[-1]
    own = sm_theta.ThetaModel(SERIES[:origin], period=SEASON, deseasonalize=True).fit()
    np.testing.assert_allclose(result.predictions[-1], own.forecast(HORIZON).to_numpy())


def test_theta_future_interval_is_statsmodels_own():
    """Past the end, variance and forecast come from all the data: the band is statsmodels' prediction interval."""
    from statsmodels.tsa.forecasting.theta import ThetaModel

    result = classical.future("theta", SERIES, horizon=HORIZON, season=SEASON, levels=(95,))
    own = ThetaModel(SERIES, period=SEASON, deseasonalize=True).fit().prediction_intervals(HORIZON, alpha=0.05)
    np.testing.assert_allclose(result.upper[95][0], own["upper"].to_numpy(), rtol=1e-6)
    np.testing.assert_allclose(result.lower[95][0], own["lower"].to_numpy(), rtol=1e-6)


@pytest.mark.parametrize("method", ("ets", "arima"))
def test_the_future_refits_the_form_chosen_on_the_training_period_without_selecting_again(method, forecasts,
                                                                                            monkeypatch):
    chosen = forecasts[method]
    assert chosen.form is not None
    calls = []
    for name in ("_ets_candidates", "_differences"):  # the selection's first steps: neither may run again
        real = getattr(classical, name)
        monkeypatch.setattr(classical, name, lambda *a, _real=real, _name=name: calls.append(_name) or _real(*a))
    ahead = classical.future(method, SERIES, horizon=HORIZON, season=SEASON, form=chosen.form)
    assert calls == [] and ahead.model == chosen.model and ahead.form == chosen.form
    # refit on all the data: its forecast is the one of that form fitted afresh on all of SERIES, not the training
    # period's parameters carried forward
    direct = classical._MODELS[method](SERIES, SEASON, chosen.form).forecast(SERIES, HORIZON, (95,))[0]
    carried = classical._MODELS[method](SERIES[:TRAIN_END], SEASON, chosen.form).forecast(SERIES, HORIZON, (95,))[0]
    np.testing.assert_allclose(ahead.predictions[0], direct)
    assert not np.allclose(ahead.predictions[0], carried)


def test_a_form_that_no_longer_fits_is_selected_again():
    spec = {"error": "mul", "trend": None, "damped_trend": False, "seasonal": None, "seasonal_periods": None}
    values = SERIES - 60.0  # negative values: a multiplicative ETS cannot be fitted to them
    ahead = classical.future("ets", values, horizon=3, season=SEASON, form=spec)
    assert ahead.form["error"] == "add" and ahead.model.startswith("ETS(A,")
