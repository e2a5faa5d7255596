"""Split-conformal intervals: hand-computed half-widths, per-step calibration, coverage on fresh data, Winkler
scores, unbounded intervals from too few windows, ensembles and every error message. Pure NumPy, no training."""

from __future__ import annotations

import numpy as np
import pytest

from rnnlab.forecasting import intervals
from rnnlab.forecasting.intervals import bands, conformal_halfwidths, ensemble, interval_scores, min_windows


def test_module_exports_exactly_the_public_api():
    assert sorted(intervals.__all__) == ["DEFAULT_LEVELS", "GAMMA", "LEVELS", "bands", "conformal_halfwidths",
                                        "ensemble", "ensemble_scores", "interval_scores", "min_windows", "of_run",
                                        "online_halfwidths"]


def test_residuals_one_to_nine_give_the_eighth_smallest_at_80_percent():
    # n = 9, k = ceil(10 * 0.8) = 8: the 8th smallest residual. np.quantile(method="higher") would give 9.
    actual = np.arange(1.0, 10.0)
    predicted = np.zeros(9)
    rng = np.random.default_rng(0)
    order = rng.permutation(9)  # order of windows must not matter
    hw = conformal_halfwidths(actual[order], predicted[order], levels=(80,))
    assert list(hw) == [80]
    assert hw[80].shape == (1,)
    assert hw[80][0] == 8.0


def test_hand_computed_ranks_at_several_levels_and_signs_of_residuals():
    # residuals |a - p| = 1..9 with mixed signs; k = ceil(10 * level / 100)
    predicted = np.full(9, 100.0)
    actual = predicted + np.array([1, -2, 3, -4, 5, -6, 7, -8, 9], dtype=float)
    hw = conformal_halfwidths(actual, predicted, levels=(10, 50, 80, 89, 90))
    assert {level: float(v[0]) for level, v in hw.items()} == {10: 1.0, 50: 5.0, 80: 8.0, 89: 9.0, 90: 9.0}


def test_a_single_int_level_is_one_level():
    hw = conformal_halfwidths(np.arange(1.0, 10.0), np.zeros(9), levels=80)
    assert list(hw) == [80] and hw[80][0] == 8.0


def test_half_widths_are_per_step_and_differ_when_step_errors_differ():
    base = np.arange(1.0, 10.0)
    residuals = np.column_stack([base, 10 * base, base[::-1] * 0.5])  # step 0: 1..9, step 1: 10..90, step 2: 0.5..4.5
    predicted = np.zeros_like(residuals) + 3.0
    actual = predicted - residuals
    hw = conformal_halfwidths(actual, predicted, levels=(80, 50))
    np.testing.assert_array_equal(hw[80], [8.0, 80.0, 4.0])
    np.testing.assert_array_equal(hw[50], [5.0, 50.0, 2.5])


def test_the_half_width_is_the_exact_conformal_order_statistic():
    rng = np.random.default_rng(1)
    n = 200
    actual = rng.normal(size=(n, 3))
    predicted = np.zeros((n, 3))
    hw = conformal_halfwidths(actual, predicted, levels=(80, 95))
    for level, expected_k in ((80, 161), (95, 191)):  # ceil(201 * 0.80) = 161, ceil(201 * 0.95) = 191
        inside = (np.abs(actual) <= hw[level]).sum(axis=0)
        np.testing.assert_array_equal(inside, [expected_k] * 3)  # exactly k of n residuals at or below (no ties)


def test_coverage_on_fresh_data_is_close_to_the_level():
    rng = np.random.default_rng(2024)
    scales = np.array([0.5, 1.0, 3.0])  # errors grow with the horizon step
    n_cal, n_test = 2000, 20000
    cal_pred = rng.normal(10.0, 2.0, size=(n_cal, 3))
    cal_actual = cal_pred + rng.normal(size=(n_cal, 3)) * scales
    test_pred = rng.normal(10.0, 2.0, size=(n_test, 3))
    test_actual = test_pred + rng.normal(size=(n_test, 3)) * scales

    hw = conformal_halfwidths(cal_actual, cal_pred, levels=(80, 95))
    assert hw[80][0] < hw[80][1] < hw[80][2]
    for level, (lower, upper) in bands(test_pred, hw).items():
        overall = interval_scores(test_actual, lower, upper, level)
        assert abs(overall["coverage"] - level / 100) <= 0.02, (level, overall)
        for j in range(3):
            step = interval_scores(test_actual[:, j], lower[:, j], upper[:, j], level)
            assert abs(step["coverage"] - level / 100) <= 0.02, (level, j, step)
    # the Gaussian half-width at 80 % is about 1.2816 sigma, at 95 % about 1.96 sigma
    np.testing.assert_allclose(hw[80], 1.2816 * scales, rtol=0.08)
    np.testing.assert_allclose(hw[95], 1.96 * scales, rtol=0.08)


def test_online_halfwidths_use_only_the_errors_known_at_each_origin():
    """Two steps ahead, no adaptation: window j's step k sees the test errors of windows i with origins[i] + k <
    origins[j]. Validation errors are 10 (9 of them, the fewest a 90% band needs, so the band is their largest
    until a larger error is known); test errors grow 11, 12, 13, 14 on step 0 and 21.. on step 1."""
    from rnnlab.forecasting.intervals import online_halfwidths

    valid = np.full((9, 2), 10.0)
    test_err = np.array([[11.0, 21.0], [12.0, 22.0], [13.0, 23.0], [14.0, 24.0]])
    origins = np.array([100, 101, 102, 104])  # a gap before the last window
    widths, future = online_halfwidths(valid, np.zeros((9, 2)), test_err, np.zeros((4, 2)), origins, 90, gamma=0)
    # k = ceil((n + 1) * 0.9) of n = 9 + known is n itself up to n = 18: the largest error known
    np.testing.assert_array_equal(widths[:, 0], [10.0, 11.0, 12.0, 13.0])  # step 0: 0, 1, 2, 3 errors known
    np.testing.assert_array_equal(widths[:, 1], [10.0, 10.0, 21.0, 23.0])  # step 1: 0, 0, 1, 3 known (102 < 104)
    np.testing.assert_array_equal(future, [14.0, 24.0])  # at the end every error is known


def test_online_intervals_hold_their_level_when_the_errors_grow_after_validation():
    """Noise of spread 1 on validation, then 2 on test: split conformal (validation alone) covers far less than
    90%; online, with each error as it is known, the coverage comes back near 90% (adaptation helps it)."""
    from rnnlab.forecasting.intervals import online_halfwidths

    rng = np.random.default_rng(7)
    valid = rng.normal(size=(200, 1))
    test = rng.normal(scale=2.0, size=(400, 1))
    split = conformal_halfwidths(valid, np.zeros_like(valid), 90)[90]
    assert np.mean(np.abs(test) <= split) < 0.65
    for gamma, lowest in ((0.0, 0.75), (0.005, 0.85)):
        widths, _ = online_halfwidths(valid, np.zeros_like(valid), test, np.zeros_like(test), np.arange(400), 90,
                                      gamma=gamma)
        coverage = np.mean(np.abs(test) <= widths)
        assert lowest <= coverage <= 0.95, (gamma, coverage)
    steady = rng.normal(size=(2000, 1))  # same noise throughout: near the level, as split conformal
    widths, _ = online_halfwidths(valid, np.zeros_like(valid), steady, np.zeros_like(steady), np.arange(2000), 90)
    assert abs(np.mean(np.abs(steady) <= widths) - 0.90) <= 0.02


@pytest.mark.parametrize(
    ("origins", "level", "gamma", "message"),
    [
        (np.arange(3), 90, 0.005, r"origins must give one ascending index per test window \(4\), got 3"),
        (np.array([0, 2, 1, 3]), 90, 0.005, r"got 4 out of order"),
        (np.arange(4), 100, 0.005, r"level must be strictly between 0 and 100"),
        (np.arange(4), 90, -0.1, r"gamma must be non-negative, got -0.1"),
    ],
)
def test_online_halfwidths_errors(origins, level, gamma, message):
    from rnnlab.forecasting.intervals import online_halfwidths

    with pytest.raises(ValueError, match=message):
        online_halfwidths(np.zeros((10, 1)), np.zeros((10, 1)), np.zeros((4, 1)), np.zeros((4, 1)), origins, level,
                          gamma=gamma)


def test_online_halfwidths_with_too_few_validation_windows_are_unbounded():
    from rnnlab.forecasting.intervals import online_halfwidths

    widths, future = online_halfwidths(np.ones((8, 2)), np.zeros((8, 2)), np.ones((3, 2)), np.zeros((3, 2)),
                                       np.arange(3), 90)  # 9 needed for 90%
    assert widths.shape == (3, 2) and np.isinf(widths).all() and np.isinf(future).all()


def test_min_windows():
    assert {level: min_windows(level) for level in (50, 80, 90, 95, 99, 1)} == {
        50: 1, 80: 4, 90: 9, 95: 19, 99: 99, 1: 1
    }
    for level in range(1, 100):  # agrees with ceil(1 / (1 - level / 100)) - 1 and with the rank condition
        n = min_windows(level)
        assert -(-(n + 1) * level // 100) <= n
        assert n == 1 or -(-n * level // 100) > n - 1


def test_too_few_windows_give_an_infinite_interval_for_that_level_only():
    actual = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])  # n = 3 < min_windows(80) = 4
    predicted = np.zeros_like(actual)
    hw = conformal_halfwidths(actual, predicted, levels=(50, 80, 95))
    np.testing.assert_array_equal(hw[50], [3.0, 4.0])  # k = ceil(4 * 0.5) = 2
    assert np.isinf(hw[80]).all() and np.isinf(hw[95]).all()
    four = conformal_halfwidths(np.vstack([actual, [[7.0, 8.0]]]), np.zeros((4, 2)), levels=(80,))
    np.testing.assert_array_equal(four[80], [7.0, 8.0])  # n = 4 is enough: k = ceil(5 * 0.8) = 4

    lower, upper = bands(predicted, hw)[95]
    assert np.isneginf(lower).all() and np.isposinf(upper).all()
    scores = interval_scores(actual, lower, upper, 95)
    assert scores == {"coverage": 1.0, "mean_width": float("inf"), "winkler": float("inf")}


def test_bands_add_and_subtract_each_steps_half_width():
    predicted = np.array([[1.0, 10.0], [2.0, 20.0]])
    out = bands(predicted, {80: np.array([0.5, 3.0]), 95: np.array([1.0, 6.0])})
    assert list(out) == [80, 95]
    lower, upper = out[80]
    np.testing.assert_array_equal(lower, [[0.5, 7.0], [1.5, 17.0]])
    np.testing.assert_array_equal(upper, [[1.5, 13.0], [2.5, 23.0]])
    lower, upper = out[95]
    np.testing.assert_array_equal(lower, [[0.0, 4.0], [1.0, 14.0]])
    np.testing.assert_array_equal(upper, [[2.0, 16.0], [3.0, 26.0]])


def test_one_dimensional_input_is_one_step_and_stays_one_dimensional():
    actual = np.arange(1.0, 10.0)
    hw = conformal_halfwidths(actual, np.zeros(9), levels=(80,))
    lower, upper = bands(np.array([1.0, 2.0, 3.0]), hw)[80]
    assert lower.shape == upper.shape == (3,)
    np.testing.assert_array_equal(lower, [-7.0, -6.0, -5.0])
    np.testing.assert_array_equal(upper, [9.0, 10.0, 11.0])


def test_winkler_score_hand_computed_on_three_points():
    # level 80: alpha = 0.2, 2 / alpha = 10; width 2 everywhere
    actual = np.array([1.0, -1.0, 4.0])  # inside, 1 below, 2 above
    lower = np.zeros(3)
    upper = np.full(3, 2.0)
    scores = interval_scores(actual, lower, upper, 80)
    assert scores == {"coverage": pytest.approx(1 / 3), "mean_width": 2.0, "winkler": pytest.approx(12.0)}
    # (2 + 12 + 22) / 3 = 12
    assert all(type(v) is float for v in scores.values())
    # at 95 %, 2 / alpha = 40: (2 + 42 + 82) / 3 = 42
    assert interval_scores(actual, lower, upper, 95)["winkler"] == pytest.approx(42.0)


def test_bounds_are_inclusive_and_cost_no_penalty():
    actual = np.array([[0.0, 2.0]])
    scores = interval_scores(actual, np.zeros((1, 2)), np.full((1, 2), 2.0), 90)
    assert scores == {"coverage": 1.0, "mean_width": 2.0, "winkler": 2.0}


def test_ensemble_is_the_element_wise_mean():
    a = np.array([[1.0, 2.0], [3.0, 4.0]])
    b = np.array([[3.0, 2.0], [5.0, 0.0]])
    c = np.array([[2.0, 5.0], [1.0, 2.0]], dtype=np.float32)
    mean = ensemble([a, b, c])
    assert mean.dtype == np.float64 and mean.shape == (2, 2)
    np.testing.assert_array_equal(mean, [[2.0, 3.0], [3.0, 2.0]])
    np.testing.assert_array_equal(ensemble([a]), a)
    np.testing.assert_array_equal(ensemble((np.array([1.0, 2.0]), np.array([3.0, 6.0]))), [2.0, 4.0])


@pytest.mark.parametrize(
    ("actual", "predicted", "levels", "message"),
    [
        (
            np.zeros((5, 2)),
            np.zeros((5, 3)),
            (80,),
            r"actual and predicted must have the same shape, got \(5, 2\), \(5, 3\)",
        ),
        (np.zeros((0, 2)), np.zeros((0, 2)), (80,), r"actual is empty \(shape \(0, 2\)\)"),
        (np.zeros(0), np.zeros(0), (80,), r"actual is empty"),
        (np.zeros((5, 0)), np.zeros((5, 0)), (80,), r"actual is empty \(shape \(5, 0\)\)"),
        (
            np.zeros((2, 2, 2)),
            np.zeros((2, 2, 2)),
            (80,),
            r"actual must be a \[windows, horizon\] array \(or 1-D\), got shape \(2, 2, 2\)",
        ),
        (np.array([1.0, np.nan]), np.zeros(2), (80,), r"actual must be finite \(found NaN or infinity\)"),
        (np.zeros(2), np.array([1.0, np.inf]), (80,), r"predicted must be finite \(found NaN or infinity\)"),
        (np.zeros(9), np.zeros(9), (), r"levels is empty"),
        (np.zeros(9), np.zeros(9), (80, 100), r"level must be strictly between 0 and 100 \(a percentage\), got 100"),
        (np.zeros(9), np.zeros(9), (0,), r"level must be strictly between 0 and 100 \(a percentage\), got 0"),
        (np.zeros(9), np.zeros(9), (-5,), r"got -5"),
        (np.zeros(9), np.zeros(9), (0.8,), r"level must be an int percentage strictly between 0 and 100, got 0\.8"),
        (np.zeros(9), np.zeros(9), (True,), r"level must be an int percentage .* got True"),
        (np.zeros(9), np.zeros(9), ("80",), r"level must be an int percentage .* got '80'"),
    ],
)
def test_conformal_halfwidths_errors(actual, predicted, levels, message):
    with pytest.raises(ValueError, match=message):
        conformal_halfwidths(actual, predicted, levels)


def test_numpy_integer_levels_are_accepted_as_plain_ints():
    hw = conformal_halfwidths(np.arange(1.0, 10.0), np.zeros(9), levels=(np.int64(80),))
    assert list(hw) == [80] and type(next(iter(hw))) is int


@pytest.mark.parametrize(
    ("predicted", "halfwidths", "message"),
    [
        (np.zeros((3, 2)), {}, r"halfwidths is empty"),
        (
            np.zeros((3, 2)),
            {80: np.ones(3)},
            r"half-widths for level 80 must have shape \(2,\) \(one per horizon step\), got \(3,\)",
        ),
        (np.zeros((3, 2)), {80: np.ones((1, 2))}, r"must have shape \(2,\) .* got \(1, 2\)"),
        (np.zeros((3, 2)), {80: np.array([1.0, -0.1])}, r"half-widths for level 80 must be non-negative"),
        (np.zeros((3, 2)), {80: np.array([1.0, np.nan])}, r"half-widths for level 80 must be non-negative \(found NaN"),
        (np.zeros((3, 2)), {150: np.ones(2)}, r"level must be strictly between 0 and 100 \(a percentage\), got 150"),
        (np.zeros((3, 2)), {80.0: np.ones(2)}, r"level must be an int percentage"),
        (np.array([[0.0, np.nan]]), {80: np.ones(2)}, r"predicted must be finite"),
        (np.zeros((0, 2)), {80: np.ones(2)}, r"predicted is empty"),
        (np.zeros((1, 1, 2)), {80: np.ones(2)}, r"predicted must be a \[windows, horizon\] array"),
    ],
)
def test_bands_errors(predicted, halfwidths, message):
    with pytest.raises(ValueError, match=message):
        bands(predicted, halfwidths)


@pytest.mark.parametrize(
    ("actual", "lower", "upper", "level", "message"),
    [
        (
            np.zeros(3),
            np.zeros(3),
            np.ones(2),
            80,
            r"actual, lower and upper must have the same shape, got \(3,\), \(3,\), \(2,\)",
        ),
        (np.zeros(0), np.zeros(0), np.zeros(0), 80, r"cannot score empty intervals"),
        (np.array([np.inf]), np.zeros(1), np.ones(1), 80, r"actual must be finite"),
        (np.zeros(1), np.array([np.nan]), np.ones(1), 80, r"lower and upper must not be NaN"),
        (np.zeros(1), np.zeros(1), np.array([np.nan]), 80, r"lower and upper must not be NaN"),
        (np.zeros(1), np.array([np.inf]), np.array([np.inf]), 80, r"lower must not be \+inf nor upper -inf"),
        (np.zeros(1), np.array([-np.inf]), np.array([-np.inf]), 80, r"lower must not be \+inf nor upper -inf"),
        (np.zeros(2), np.array([0.0, 2.0]), np.array([1.0, 1.0]), 80, r"every lower bound must be <= its upper bound"),
        (np.zeros(1), np.zeros(1), np.ones(1), 100, r"level must be strictly between 0 and 100"),
        (np.zeros(1), np.zeros(1), np.ones(1), 0.95, r"level must be an int percentage"),
    ],
)
def test_interval_scores_errors(actual, lower, upper, level, message):
    with pytest.raises(ValueError, match=message):
        interval_scores(actual, lower, upper, level)


@pytest.mark.parametrize(
    ("predictions", "message"),
    [
        ([], r"ensemble needs at least one forecast array, got none"),
        (
            [np.zeros((2, 3)), np.zeros((2, 3)), np.zeros((3, 2))],
            r"all forecasts in the ensemble must have the same shape: forecast 0 has \(2, 3\), forecast 2 has \(3, 2\)",
        ),
        ([np.zeros((0, 3)), np.zeros((0, 3))], r"ensemble forecasts are empty \(shape \(0, 3\)\)"),
        ([np.zeros(2), np.array([1.0, np.nan])], r"forecast 1 of the ensemble must be finite"),
    ],
)
def test_ensemble_errors(predictions, message):
    with pytest.raises(ValueError, match=message):
        ensemble(predictions)


@pytest.mark.parametrize("level", [0, 100, -1, 101, 80.0, True, None])
def test_min_windows_errors(level):
    with pytest.raises(ValueError, match=r"level must be"):
        min_windows(level)


# --------------------------------------------------------------------------------------------------
# A run's intervals: the export, the CSVs, the Train page and `train`
# --------------------------------------------------------------------------------------------------
def _real_run(**changes: str):
    """A stored linear run on El Niño (monthly, one step, 12 inputs) whose forecasts are the actual values plus a
    known error: +1, -2, +3, ... on validation, +0.5, +0.501, +0.502, ... on test (distinct, so that no band's edge
    ties a value, which float32 rounding would decide); with its dataset."""
    from rnnlab.config import Experiment
    from rnnlab.series.dataset import make_dataset
    from rnnlab.store.runs import RunResult
    from rnnlab.store.runstore import RunStore

    exp = Experiment.from_flat({"model": "linear", "data": "elnino_sst", "n_steps": "12", "epochs": "1", **changes})
    ds = make_dataset(exp)
    n = len(ds.actual("valid"))
    errors = (np.arange(1, n + 1) * np.where(np.arange(n) % 2, -1.0, 1.0))[:, None]
    predicted = {"valid": (ds.actual("valid") + errors).astype(np.float32),
                 "test": (ds.actual("test") + 0.5 + 0.001 * np.arange(len(ds.actual("test")))[:, None]).astype(np.float32)}
    scores = {split: {"mse": 1.0, "mae": 1.0, "rmse": 1.0, "mase": 0.5, "smape": 1.0, "rel_mae": 0.5}
              for split in ("valid", "test")}
    future = {"time": ["2011-01-01"], "value": [24.0], "last_time": "2010-12-01", "rolled_forward": False}
    result = RunResult(key=exp.key(), experiment=exp.to_dict(), history=[], metrics=scores, naive_metrics=scores,
                       mse_per_step={}, params_total=13, layers=[], predictions=predicted, wall_seconds=0.1,
                       train_seconds=0.1, versions={}, future=future)
    RunStore().put(result)
    return exp, result, ds, n


def test_a_runs_intervals_are_calibrated_on_validation_then_online_on_test(home):
    """Validation errors 1..n give the first test window the k-th smallest, k; every test error is about 0.5, so as
    they become known the bands narrow: window j (one step ahead, origins one apart) knows the j errors before it."""
    from rnnlab.forecasting.intervals import online_halfwidths
    from rnnlab.models import export

    _, result, ds, n = _real_run()
    found = export.intervals(result, ds, (80, 95))
    k80, k95 = -(-(n + 1) * 80 // 100), -(-(n + 1) * 95 // 100)  # the k-th smallest of |errors| = 1..n is k
    assert found["windows"] == n and found["calibrated_on"] == "validation, then test errors as known"
    assert found["levels"]["80"]["valid_halfwidth"] == [pytest.approx(k80)]  # float32 forecasts: to their precision
    assert found["levels"]["95"]["valid_halfwidth"] == [pytest.approx(k95)]
    online = np.asarray(found["levels"]["80"]["test_halfwidth"])
    m = len(ds.actual("test"))
    assert online.shape == (m, 1) and online[0, 0] == pytest.approx(k80)
    assert (np.diff(online[:, 0]) <= 1e-4).all() and online[-1, 0] < online[0, 0] - 10  # 0.5s fill the low ranks
    assert found["levels"]["80"]["test"]["coverage"] == 1.0  # a 0.5-0.6 error is inside every band
    assert found["levels"]["80"]["test"]["mean_width"] == pytest.approx(2 * online.mean())
    _, future = online_halfwidths(ds.actual("valid"), result.predictions["valid"], ds.actual("test"),
                                  result.predictions["test"], ds.origins["test"], 95)
    assert found["levels"]["95"]["halfwidth"] == [pytest.approx(future[0])] and future[0] < k95
    assert found["levels"]["95"]["future_lower"] == [pytest.approx(24.0 - future[0])]
    assert found["levels"]["95"]["future_upper"] == [pytest.approx(24.0 + future[0])]


def test_the_csvs_carry_each_levels_bounds(home):
    import csv
    import io

    from rnnlab.models import export

    _, result, ds, n = _real_run()
    rows = list(csv.DictReader(io.StringIO(export.predictions_csv(result, ds, (80,)))))
    k80 = -(-(n + 1) * 80 // 100)
    assert list(rows[0]) == ["split", "series", "step", "time", "actual", "predicted", "lower_80", "upper_80"]
    width = [float(r["upper_80"]) - float(r["predicted"]) for r in rows]
    valid = [w for r, w in zip(rows, width) if r["split"] == "valid"]
    assert valid == pytest.approx([k80] * n, rel=1e-5)  # validation rows: the validation half-width
    found = export.intervals(result, ds, (80, 95))
    test = [w for r, w in zip(rows, width) if r["split"] == "test"]  # test rows: each window's own, online
    assert test == pytest.approx(np.asarray(found["levels"]["80"]["test_halfwidth"])[:, 0], rel=1e-5, abs=1e-4)
    assert test[0] > test[-1]
    future = list(csv.reader(io.StringIO(export.future_csv(result, found))))
    last = found["levels"]["80"]["halfwidth"][0]
    assert future[0] == ["time", "value", "lower_80", "upper_80", "lower_95", "upper_95"]
    assert future[1][:4] == ["2011-01-01", "24", f"{24 - last:.7g}", f"{24 + last:.7g}"]
    assert export.future_csv(result).splitlines()[0] == "time,value"  # no intervals asked: the old columns


def test_the_train_page_shows_the_bands_and_the_test_coverage(app, fake_manager):
    from rnnlab.dashboard.state import to_query

    from dataclasses import replace

    from rnnlab.forecasting import yardsticks
    from rnnlab.models import export
    from rnnlab.series.dataset import make_dataset
    from rnnlab.store.runstore import RunStore

    exp, result, _, n = _real_run(valid_fraction="0.05")  # fewer than the 99 windows a 99% interval needs
    assert n < 99
    final = yardsticks.final_experiment(exp)  # its forecast past the end, banded by the evaluated run's errors
    RunStore().put(replace(result, key=final.key(), experiment=final.to_dict(), metrics={}, predictions={},
                           future={**result.future, "made_by": "Linear model refit on all 732 observations"}))
    at = app("pages/train.py", **to_query(exp))
    assert not at.exception and not at.error
    assert "How sure is it?" in [h.value for h in at.subheader]
    [picker] = [m for m in at.multiselect if m.label == "Prediction intervals"]
    assert picker.value == [80, 95]
    table = next(d.value for d in at.dataframe if "test coverage" in d.value)
    scored = export.intervals(RunStore().get(exp.key()), make_dataset(exp), (80, 95))["levels"]  # as the page reads it
    assert list(table["level"]) == ["80%", "95%"]
    assert list(table["test coverage"]) == [f"{scored[level]['test']['coverage']:.0%}" for level in ("80", "95")]
    assert any("Test period: one step ahead, with its intervals" in c.proto.spec for c in at.get("plotly_chart"))
    [future] = [c for c in at.get("plotly_chart") if "The next 1 values" in c.proto.spec]
    assert '"80% interval"' in future.proto.spec and '"95% interval"' in future.proto.spec
    assert any("from the validation and test errors of the evaluated run (the final model has none of its own)"
               in c.value for c in at.caption)
    assert list(table.columns) == ["level", "± at first", "± now", "test coverage", "mean width", "Winkler"]
    assert table["± now"][0] < table["± at first"][0]  # the test errors of about 0.5 narrowed it
    picker.set_value([50, 99]).run()
    table = next(d.value for d in at.dataframe if "test coverage" in d.value)
    assert list(table["level"]) == ["50%"]  # 99% needs 99 validation windows: said instead of a band
    assert any(f"No 99% interval: it needs at least 99 validation windows, and this run has {n}" in i.value
               for i in at.info)
    assert fake_manager.jobs() == []  # drawn from the stored run: nothing trains


def test_the_page_calibrates_a_runs_intervals_once_for_every_rerun_and_session(app, fake_manager, monkeypatch):
    """Online calibration passes over every test window: the bands, the table and the forecast's bands of one run
    come from one computation, kept while the page reruns and for the next session; other levels are another."""
    from rnnlab.dashboard import run_view
    from rnnlab.dashboard.state import to_query
    from rnnlab.models import export

    exp, _, _, _ = _real_run()
    calls = []
    real = export.intervals
    monkeypatch.setattr(export, "intervals", lambda *a, **k: calls.append(a[2]) or real(*a, **k))
    run_view._conformal.clear()
    at = app("pages/train.py", **to_query(exp))
    assert not at.exception and "How sure is it?" in [h.value for h in at.subheader]
    at.run()
    assert not at.exception and calls == [(80, 95)]
    again = app("pages/train.py", **to_query(exp))  # another session
    assert not again.exception and calls == [(80, 95)]
    [picker] = [m for m in again.multiselect if m.label == "Prediction intervals"]
    picker.set_value([90]).run()
    assert calls == [(80, 95), (90,)]


def test_train_prints_the_intervals_and_refuses_bad_levels(home, capsys):
    from rnnlab import cli

    exp, _, _, n = _real_run()
    argv = ["train", "linear", "--dataset", "elnino_sst", "--n-steps", "12", "--epochs", "1", "--no-yardsticks",
            "--no-final"]
    assert cli.main(argv + ["--json", "--levels", "90"]) == 0  # the stored run: nothing trains
    out = __import__("json").loads(capsys.readouterr().out)
    assert out["cached"] is True and list(out["intervals"]["levels"]) == ["90"]
    assert out["intervals"]["levels"]["90"]["test"]["coverage"] == 1.0
    assert "test_halfwidth" not in out["intervals"]["levels"]["90"]  # per window: in the predictions CSV
    assert cli.main(argv) == 0
    text = capsys.readouterr().out
    assert (f"conformal, calibrated on {n} validation windows, then on each test error as its value is known"
            in text and "interval   95%: ±" in text and "(from validation alone ±" in text)
    for bad, message in (("85", "the levels allowed are 50, 80, 90, 95, 99"), ("", "the levels allowed are"),
                         ("eighty", "give whole percentages separated by commas, from 50, 80, 90, 95, 99")):
        assert cli.main(argv + ["--levels", bad]) == 2
        assert f"--levels {bad!r}: {message}" in capsys.readouterr().err


def test_the_band_figures_draw_one_shaded_band_per_level_and_refuse_crossed_bounds():
    from rnnlab.figures.series import future_forecast, interval_forecast

    fig = interval_forecast(["a", "b", "c"], [1.0, 2.0, 3.0], [1.5, 2.0, 2.5],
                            {80: ([1.0, 1.5, 2.0], [2.0, 2.5, 3.0]), 95: ([0.5, 1.0, 1.5], [2.5, 3.0, 3.5])})
    assert [t.name for t in fig.data] == ["95% interval", "80% interval", "Forecast", "Actual"]  # widest first
    assert list(fig.data[1].y) == [2.0, 2.5, 3.0, 2.0, 1.5, 1.0]  # upper along, lower back: one closed shape
    assert fig.data[0].fill == "toself" and fig.layout.xaxis.title.text == "Time"
    fig = future_forecast(["t0", "t1"], [1.0, 2.0], ["t2"], [2.5], last_time="t1", bands={90: ([2.0], [3.0])})
    assert [t.name for t in fig.data] == ["Observed", "90% interval", "Forecast"]
    # one step ahead: a band of one point has no width (regression: invisible); a thick bar from bound to bound
    fig = future_forecast(["t0", "t1"], [1.0, 2.0], ["t2"], [2.5], last_time="t1",
                          bands={80: ([2.2], [2.8]), 95: ([2.0], [3.0])})
    bars = [t for t in fig.data if t.name.endswith("interval")]
    assert [(t.name, list(t.x), list(t.y)) for t in bars] == [("95% interval", ["t2", "t2"], [2.0, 3.0]),
                                                              ("80% interval", ["t2", "t2"], [2.2, 2.8])]
    assert all(t.line.width >= 10 and t.fill is None for t in bars)
    assert bars[1].line.color != bars[0].line.color  # the narrower darker, on top
    with pytest.raises(ValueError, match="the 80% interval has a lower bound above its upper bound"):
        interval_forecast(["a"], [1.0], [1.0], {80: ([2.0], [1.0])})
    with pytest.raises(ValueError, match=r"one lower and one upper bound per forecast value \(2\), got 1 and 1"):
        interval_forecast(["a", "b"], [1.0, 2.0], [1.0, 2.0], {80: ([0.0], [3.0])})


def test_the_repeats_offer_the_mean_of_the_seeds_forecasts_as_an_ensemble(app, fake_manager):
    """Three seeds whose errors are +1, -1 and 0 everywhere: each has an MSE, their mean forecast has none."""
    from rnnlab.config import Experiment
    from rnnlab.dashboard.state import to_query
    from rnnlab.series.dataset import make_dataset
    from rnnlab.store.runs import RunResult
    from rnnlab.store.runstore import RunStore

    exp = Experiment.from_flat({"model": "linear", "data": "elnino_sst", "n_steps": "12", "epochs": "1"})
    ds = make_dataset(exp)
    for seed, error in ((42, 1.0), (43, -1.0), (44, 0.0)):
        one = exp.replace(train_seed=seed)
        scores = {s: {"mse": error ** 2 + 0.1, "mae": 1.0, "rmse": 1.0, "mase": 0.5, "smape": 1.0, "rel_mae": 0.5}
                  for s in ("valid", "test")}
        RunStore().put(RunResult(key=one.key(), experiment=one.to_dict(), history=[], metrics=scores,
                                 naive_metrics=scores, mse_per_step={}, params_total=13, layers=[],
                                 predictions={s: ds.actual(s) + error for s in ("valid", "test")}, wall_seconds=0.1,
                                 train_seconds=0.1, versions={}))
    at = app("pages/train.py", **to_query(exp))
    assert not at.exception and not at.error
    [line] = [m.value for m in at.markdown if m.value.startswith("**Ensemble**")]
    assert line.startswith("**Ensemble**: the mean of the 3 seeds' forecasts scores validation MSE **0.00000**, test "
                           "MSE **0.00000**, test MASE **0.0000**: better on validation than the seeds' mean (0.76667)")


def test_a_classical_runs_own_intervals_stand_beside_the_conformal_ones(app, fake_manager, capsys):
    from dataclasses import replace

    from rnnlab.config import Experiment, ModelSpec
    from rnnlab.dashboard.state import to_query
    from rnnlab.store.runstore import RunStore

    exp, result, _, _ = _real_run()
    ets = Experiment(series=exp.series, model=ModelSpec(name="ets", mode="one_step"))
    own = {"80": {"coverage": 0.5, "mean_width": 1.0, "winkler": 3.0},
           "95": {"coverage": 0.75, "mean_width": 2.0, "winkler": 5.0}}
    RunStore().put(replace(result, key=ets.key(), experiment=ets.to_dict(), params_total=0, forecaster="ETS(A,N,A)",
                           own_intervals=own))
    assert RunStore().get(ets.key()).own_intervals == own  # kept with the run
    at = app("pages/train.py", **to_query(ets))
    assert not at.exception and not at.error
    table = next(d.value for d in at.dataframe if "test coverage" in d.value)
    assert list(table["level"]) == ["80%", "95%", "80% (ETS(A,N,A)'s own)", "95% (ETS(A,N,A)'s own)"]
    assert list(table["test coverage"])[2:] == ["50%", "75%"]
    from rnnlab import cli  # train prints them too, under the conformal ones

    assert cli.main(["train", "ets", "--dataset", "elnino_sst", "--n-steps", "12", "--no-yardsticks"]) == 0
    text = capsys.readouterr().out
    assert "own        80%: test coverage 50%, mean width 1, Winkler 3 (ETS(A,N,A)'s own interval)" in text
    assert text.index("conformal, calibrated on") < text.index("own        95%: test coverage 75%")
