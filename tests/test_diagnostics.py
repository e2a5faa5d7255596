"""What a teacher points at (rnnlab.forecasting.diagnostics, rnnlab.figures.diagnostics and the Train page): the
errors' autocorrelation and Ljung-Box test against statsmodels, the copying figures and their verdict, the ACF
figure, and the Diagnostics section of a stored real-series run (AppTest, no training)."""

from __future__ import annotations

import numpy as np
import pytest
from statsmodels.stats.diagnostic import acorr_ljungbox
from statsmodels.tsa.stattools import acf as statsmodels_acf

from rnnlab.config import Experiment
from rnnlab.config.sections import ModelSpec
from rnnlab.dashboard.state import to_query
from rnnlab.figures import diagnostics as figures
from rnnlab.figures import style
from rnnlab.forecasting import diagnostics
from rnnlab.series.dataset import make_dataset
from rnnlab.store.runs import RunResult
from rnnlab.store.runstore import RunStore


def white_noise(n: int = 300, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=n)


def ar1(phi: float = 0.7, n: int = 300, seed: int = 2) -> np.ndarray:
    shocks = np.random.default_rng(seed).normal(size=n)
    out = np.zeros(n)
    for t in range(1, n):
        out[t] = phi * out[t - 1] + shocks[t]
    return out


# --------------------------------------------------------------------------------------------------
# The residuals: ACF and Ljung-Box
# --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("series", [white_noise(), ar1()], ids=["white noise", "AR(1)"])
def test_acf_and_ljung_box_match_statsmodels(series):
    r, band = diagnostics.acf(series, 12)
    np.testing.assert_allclose(r, statsmodels_acf(series, nlags=12, fft=False)[1:], rtol=1e-10)
    assert band == pytest.approx(1.96 / np.sqrt(300))
    q, p = diagnostics.ljung_box(series, 12)
    expected = acorr_ljungbox(series, lags=[12])
    assert q == pytest.approx(float(expected["lb_stat"].iloc[0]), rel=1e-10)
    assert p == pytest.approx(float(expected["lb_pvalue"].iloc[0]), rel=1e-8, abs=1e-300)


def test_acf_is_the_hand_formula_on_a_tiny_series():
    e = np.array([1.0, 3.0, 2.0, 6.0])  # mean 3: centred -2, 0, -1, 3; sum of squares 14
    r, band = diagnostics.acf(e, 2)
    np.testing.assert_allclose(r, [(0 * -2 + -1 * 0 + 3 * -1) / 14, (-1 * -2 + 3 * 0) / 14])
    assert band == pytest.approx(0.98)


def test_white_noise_passes_and_an_ar1_fails_the_test():
    noise = diagnostics.residual_diagnostics(white_noise(), np.zeros(300))
    ar = diagnostics.residual_diagnostics(ar1(0.7), np.zeros(300))
    assert noise.lags == ar.lags == 10 and noise.p_value > 0.2 and not noise.correlated
    assert ar.p_value < 1e-10 and ar.correlated
    assert ar.acf[0] == pytest.approx(0.7, abs=0.1) and abs(ar.acf[0]) > ar.band
    assert noise.sentence().startswith("No autocorrelation left that a test can detect at 5% (Ljung-Box p = ")
    assert ar.sentence() == ("The errors are still correlated (Ljung-Box p < 0.001 over 10 lags): there is structure "
                             "the model has not learned, e.g. a season or a trend it under- or overshoots.")


def test_the_test_rejects_about_five_percent_of_white_noise_series():
    rejected = [diagnostics.residual_diagnostics(white_noise(200, seed), np.zeros(200)).correlated
                for seed in range(300)]
    assert 0.02 <= np.mean(rejected) <= 0.09


def test_multi_step_forecasts_are_tested_on_their_first_step():
    actual = np.column_stack([ar1(), white_noise()])  # step 1 correlated, step 2 not
    first = diagnostics.residual_diagnostics(actual, np.zeros_like(actual))
    assert first.p_value == pytest.approx(diagnostics.ljung_box(ar1(), 10)[1])
    np.testing.assert_array_equal(diagnostics.first_step_residuals(actual, actual * 0.5), actual[:, 0] * 0.5)


@pytest.mark.parametrize("n, season, lags", [(300, 12, 24), (300, None, 10), (300, 1, 10), (40, 12, 8), (30, None, 6),
                                             (4, None, 1)])
def test_default_lags_are_two_seasons_or_ten_at_most_a_fifth_of_the_residuals(n, season, lags):
    assert diagnostics.default_lags(n, season) == lags


@pytest.mark.parametrize("values, nlags, message", [
    (np.ones(10), 2, "constant"), (np.arange(5.0), 5, "nlags must be an integer from 1 to 4"),
    (np.arange(5.0), 0, "nlags"), ([1.0, np.nan, 2.0], 1, "finite"), (np.zeros((3, 2)), 1, "one series"),
])
def test_acf_refuses_what_it_cannot_compute(values, nlags, message):
    with pytest.raises(ValueError, match=message):
        diagnostics.acf(values, nlags)


# --------------------------------------------------------------------------------------------------
# Does it just copy the last value?
# --------------------------------------------------------------------------------------------------
def windows(n: int = 200, horizon: int = 2, seed: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """The last input of ``n`` windows and the ``horizon`` values that came after each."""
    rng = np.random.default_rng(seed)
    last = rng.normal(10, 1, n)
    return last, last[:, None] + rng.normal(size=(n, horizon))


def test_a_forecast_that_repeats_the_last_value_has_no_skill():
    last, actual = windows()
    copied = diagnostics.copying(actual, np.repeat(last[:, None], 2, axis=1).astype(np.float32), last)
    assert copied.skill == pytest.approx(0, abs=1e-6) and copied.mae == pytest.approx(copied.naive_mae, rel=1e-6)
    assert not copied.moves and copied.correlation is None and copied.direction == 0
    assert copied.verdict == ("It repeats the last value: its forecast never moves away from the last input, so it "
                              "is about as accurate as repeating the last value.")


def test_a_perfect_forecast_has_skill_one_and_tracks_every_change():
    last, actual = windows()
    perfect = diagnostics.copying(actual, actual, last)
    assert perfect.skill == 1 and perfect.correlation == pytest.approx(1) and perfect.direction == 1
    assert perfect.verdict == ("It does more than copy the last value: its forecasts move with the actual changes "
                               "(correlation 1.00, direction right 100% of the time) and it is 100% more accurate "
                               "than repeating the last value.")


def test_the_verdict_tells_worse_the_same_and_better_apart():
    last, actual = windows(horizon=1)
    change = actual[:, 0] - last
    noise = np.random.default_rng(9).normal(size=len(last))
    worse = diagnostics.copying(actual, last + 2 * noise, last)  # moves, but at random
    timid = diagnostics.copying(actual, last + 0.05 * change + 0.15 * noise, last)  # a faint, weak echo
    echo = diagnostics.copying(actual, last + 0.05 * change + 0.05 * noise, last)  # a faint, faithful echo
    better = diagnostics.copying(actual, last + 0.5 * change, last)
    assert worse.skill < -0.05 and abs(worse.correlation) < 0.2
    assert worse.verdict.startswith("It does worse than the naive forecast: it is ")
    assert "less accurate than repeating the last value, and its forecasts' changes do not follow" in worse.verdict
    assert abs(timid.skill) <= 0.05 and 0.2 <= timid.correlation < 0.5
    assert timid.verdict.startswith("It mostly repeats the last value: its forecasts move with the actual changes "
                                    "only weakly (correlation ")
    assert abs(echo.skill) <= 0.05 and echo.correlation >= 0.5
    assert echo.verdict.startswith("It follows the changes without gaining much from them: its forecasts move with "
                                   "the actual changes (correlation ")
    assert better.skill == pytest.approx(0.5) and better.verdict.endswith("it is 50% more accurate than repeating "
                                                                         "the last value.")


def test_a_constant_shift_moves_but_does_not_track():
    last, actual = windows(horizon=1)
    shifted = diagnostics.copying(actual, last + 0.3, last)
    assert shifted.moves and shifted.correlation is None
    assert shifted.verdict.startswith("It shifts the last value by the same amount every time")


def test_copying_refuses_mismatched_or_unchanging_windows():
    last, actual = windows()
    with pytest.raises(ValueError, match="one value per window"):
        diagnostics.copying(actual, actual, last[:-1])
    with pytest.raises(ValueError, match="same shape"):
        diagnostics.copying(actual, actual[:, :1], last)
    with pytest.raises(ValueError, match="naive forecast is perfect"):
        diagnostics.copying(np.repeat(last[:, None], 2, axis=1), actual, last)


# --------------------------------------------------------------------------------------------------
# The figure
# --------------------------------------------------------------------------------------------------
def test_the_acf_figure_draws_bars_and_the_band():
    r, band = diagnostics.acf(ar1(), 12)
    fig = figures.residual_acf(r, band)
    within, outside = [t for t in fig.data if t.type == "bar"]
    lags = np.concatenate([within.x, outside.x])
    np.testing.assert_allclose(np.concatenate([within.y, outside.y])[np.argsort(lags)], r)
    assert sorted(lags) == list(range(1, 13)) and np.all(np.abs(outside.y) > band) and np.all(np.abs(within.y) <= band)
    # lag 1 of an AR(1) with phi 0.7 is far outside the band, lag 12 (0.7 ** 12 = 0.014) inside it
    assert 1 in outside.x and 12 in within.x
    assert (within.marker.color, outside.marker.color) == (style.BAR_COLOR, style.HIGHLIGHT_COLOR)
    assert outside.name == "outside the band" and fig.layout.barmode == "overlay"
    upper, lower = [t for t in fig.data if t.legendgroup == "band"]
    assert list(upper.y) == [band, band] and list(lower.y) == [-band, -band] and lower.fill == "tonexty"
    assert upper.line.dash == "dash" and upper.showlegend is not False and lower.showlegend is False
    assert upper.name == f"95% band of uncorrelated errors (±{band:.3f})"
    assert fig.layout.xaxis.title.text == "Lag (windows apart)" and fig.layout.yaxis.title.text == "Autocorrelation"
    assert fig.layout.title.text == "Autocorrelation of the errors" and fig.layout.template.layout.plot_bgcolor


@pytest.mark.parametrize("acf, band, message", [([], 0.1, "empty"), ([0.2, 1.5], 0.1, "between -1 and 1"),
                                                ([0.2], 0.0, "positive")])
def test_the_acf_figure_refuses_bad_input(acf, band, message):
    with pytest.raises(ValueError, match=message):
        figures.residual_acf(acf, band)


# --------------------------------------------------------------------------------------------------
# The Train page
# --------------------------------------------------------------------------------------------------
def real(name: str = "linear") -> Experiment:
    """A one-step model on the bundled El Niño series (monthly, season 12), with short windows."""
    exp = Experiment.from_flat({"model": "linear", "data": "elnino_sst", "n_steps": "12", "epochs": "1"})
    return exp if name == "linear" else Experiment(series=exp.series, model=ModelSpec(name=name, mode="one_step"))


def stored_run(experiment: Experiment) -> tuple[RunResult, np.ndarray, np.ndarray]:
    """A stored run of ``experiment`` whose test forecast goes half way from the last input to the actual value;
    with the test split's actual values and last inputs."""
    ds = make_dataset(experiment)
    last, actual = ds.inputs("test")[:, -1, 0], ds.actual("test")
    predicted = {split: (ds.inputs(split)[:, -1, :] + 0.5 * (ds.actual(split) - ds.inputs(split)[:, -1, :]))
                 .astype(np.float32) for split in ("valid", "test")}
    scores = {split: {"mse": 1.0, "mae": 1.0, "rmse": 1.0, "mase": 0.5, "smape": 1.0, "rel_mae": 0.5}
              for split in ("valid", "test")}
    result = RunResult(key=experiment.key(), experiment=experiment.to_dict(), history=[], metrics=scores,
                       naive_metrics=scores, mse_per_step={}, params_total=13, layers=[], predictions=predicted,
                       wall_seconds=0.1, train_seconds=0.1, versions={})
    RunStore().put(result)
    return result, actual, last


def test_the_train_page_shows_the_diagnostics_of_a_stored_network_run(app, fake_manager):
    exp = real()
    result, actual, last = stored_run(exp)
    at = app("pages/train.py", **to_query(exp))
    assert not at.exception and not at.error
    assert "Diagnostics" in [h.value for h in at.subheader]
    [copying] = [i.value for i in at.info if i.value.startswith("**Does it just copy the last value?**")]
    assert copying.endswith("It does more than copy the last value: its forecasts move with the actual changes "
                            "(correlation 1.00, direction right 100% of the time) and it is 50% more accurate than "
                            "repeating the last value.")
    residuals = actual[:, 0] - result.predictions["test"][:, 0]
    lags = min(24, len(residuals) // 5)  # El Niño is monthly: two seasons, or a fifth of the test windows
    _, p = diagnostics.ljung_box(residuals, lags)
    [left] = [m.value for m in at.markdown if m.value.startswith("**What is left?**")]
    assert left == f"**What is left?** {diagnostics.residual_sentence(p, lags)}"
    assert "Ljung-Box p" in left
    [chart] = [c for c in at.get("plotly_chart") if "autocorrelation of the test errors" in c.proto.spec]
    assert '"Lag (windows apart)"' in chart.proto.spec
    assert fake_manager.jobs() == []  # shown from the store: nothing trains


def test_a_classical_run_has_no_diagnostics(app, fake_manager):
    exp = real("ets")
    stored_run(exp)
    at = app("pages/train.py", **to_query(exp))
    assert not at.exception and not at.error
    assert any("Stored result" in s.value for s in at.success)  # its result is shown...
    assert "Diagnostics" not in [h.value for h in at.subheader]  # ...without the network's diagnostics
    assert not [i for i in at.info if "copy the last value" in i.value]
