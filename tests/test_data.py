"""rnnlab.series.dataset: the generator against the book's own code, splits, targets and the naive forecast."""

from __future__ import annotations

import numpy as np
import pytest

from rnnlab.series import dataset as data
from rnnlab.config import Experiment, SeriesSpec

from helpers import tiny


# The book's function exactly as the seed notebook writes it: the oracle.
def generate_time_series(batch_size, n_steps):
    freq1, freq2, offsets1, offsets2 = np.random.rand(4, batch_size, 1)
    time = np.linspace(0, 1, n_steps)
    series = 0.5 * np.sin((time - offsets1) * (freq1 * 10 + 10))  # wave 1
    series += 0.2 * np.sin((time - offsets2) * (freq2 * 20 + 20))  # + wave 2
    series += 0.1 * (np.random.rand(batch_size, n_steps) - 0.5)  # + noise
    return series[..., np.newaxis].astype(np.float32)


@pytest.mark.parametrize("n_steps", [51, 60])
def test_default_generator_is_bit_exact_with_the_book(n_steps):
    np.random.seed(42)
    expected = generate_time_series(10000, n_steps)
    ours = data.generate_time_series(10000, n_steps)
    assert ours.dtype == np.float32 and ours.shape == (10000, n_steps, 1)
    assert np.array_equal(ours, expected)
    assert ours.tobytes() == expected.tobytes()


def test_series_spec_defaults_reproduce_the_books_one_step_splits():
    np.random.seed(42)
    series = generate_time_series(10000, 51)
    ds = data.make_dataset(Experiment())
    assert np.array_equal(ds.train.X, series[:7000, :50]) and np.array_equal(ds.train.y, series[:7000, -1])
    assert np.array_equal(ds.valid.X, series[7000:9000, :50]) and np.array_equal(ds.valid.y, series[7000:9000, -1])
    assert np.array_equal(ds.test.X, series[9000:, :50]) and np.array_equal(ds.test.y, series[9000:, -1])


def test_generator_leaves_global_random_state_alone():
    np.random.seed(0)
    before = np.random.get_state()[1].copy()
    data.generate_time_series(10, 20, seed=3)
    assert np.array_equal(np.random.get_state()[1], before)


def test_knobs_change_the_series():
    base = data.generate(SeriesSpec(n_series=100, n_steps=20))
    assert not np.array_equal(base, data.generate(SeriesSpec(n_series=100, n_steps=20, seed=1)))
    quiet = data.generate(SeriesSpec(n_series=100, n_steps=20, noise=0.0, wave2_amplitude=0.0))
    assert np.abs(quiet).max() <= 0.5 + 1e-6
    loud = data.generate(SeriesSpec(n_series=100, n_steps=20, wave1_amplitude=3.0))
    assert np.abs(loud).max() > 1.0


def test_ten_step_targets_are_the_books():
    np.random.seed(42)
    series = generate_time_series(10000, 60)
    exp = Experiment.book("deep_rnn_dense", "seq2vec")
    ds = data.make_dataset(exp)
    assert ds.train.y.shape == (7000, 10) and np.array_equal(ds.train.y, series[:7000, -10:, 0])
    assert np.array_equal(ds.valid.future, series[7000:9000, -10:, 0])
    seq = data.make_dataset(Experiment.book("lstm", "seq2seq"))
    Y = np.empty((10000, 50, 10))
    for step_ahead in range(1, 10 + 1):
        Y[..., step_ahead - 1] = series[..., step_ahead:step_ahead + 50, 0]
    assert seq.train.y.shape == (7000, 50, 10) and np.array_equal(seq.train.y, Y[:7000].astype(np.float32))
    # The last time step's targets are exactly the ten future values.
    assert np.array_equal(seq.valid.y[:, -1], seq.valid.future)


def test_conv_gru_targets_follow_the_convolution():
    ds = data.make_dataset(Experiment.book("conv_gru"))
    full = data.make_dataset(Experiment.book("lstm"))
    assert ds.train.y.shape == (7000, 24, 10)
    assert np.array_equal(ds.train.y, full.train.y[:, 3::2])


def test_iterative_trains_on_the_next_value():
    ds = data.make_dataset(tiny("linear", "iterative", 5))
    assert ds.train.y.shape == (len(ds.train), 1)
    assert np.array_equal(ds.train.y[:, 0], ds.train.future[:, 0])
    assert ds.valid.future.shape == (len(ds.valid), 5)


def test_naive_forecast():
    X = np.arange(12, dtype=np.float32).reshape(2, 6, 1)
    assert np.array_equal(data.naive_forecast(X), [[5], [11]])
    assert np.array_equal(data.naive_forecast(X, 3), [[5, 5, 5], [11, 11, 11]])
    with pytest.raises(ValueError, match=r"shape \[batch, time, 1\]"):
        data.naive_forecast(X[..., 0])


def test_naive_mse_matches_the_books_figures():
    one = data.make_dataset(Experiment())
    assert np.mean((one.valid.future - data.naive_forecast(one.valid.X)) ** 2) == pytest.approx(0.020211367, rel=1e-6)
    ten = data.make_dataset(Experiment.book("deep_rnn_dense", "seq2vec"))
    assert np.mean((ten.valid.future - data.naive_forecast(ten.valid.X, 10)) ** 2) == pytest.approx(0.25697407, rel=1e-6)


def test_split_fractions():
    spec = SeriesSpec(n_series=1000, train_fraction=0.5, valid_fraction=0.3)
    assert spec.split_sizes() == (500, 300, 200)
    ds = data.make_dataset(Experiment(series=spec))
    assert (len(ds.train), len(ds.valid), len(ds.test)) == (500, 300, 200)
