"""rnnlab.training: plain-data results, progress, cancellation, failures, repeatability."""

from __future__ import annotations

import pickle
import subprocess
import sys
import time

import numpy as np
import pytest

from rnnlab import training
from rnnlab.results import RunResult

from helpers import ROOT, tiny


def test_result_is_plain_data_that_pickles():
    exp = tiny("simple_rnn", epochs=2)
    result = training.run(exp)
    again = pickle.loads(pickle.dumps(result))
    assert isinstance(again, RunResult) and again.key == exp.key()
    assert [h["epoch"] for h in again.history] == [1, 2]
    assert all(set(h) == {"epoch", "loss", "val_loss", "seconds"} for h in again.history)
    assert set(again.metrics) == {"valid", "test"} and set(again.metrics["valid"]) == {"mse", "mae", "rmse", "mase"}
    assert again.params_total == 3 and again.layers == [
        {"name": "rnn", "type": "SimpleRNN", "output_shape": "(batch, 1)", "params": 3}]
    assert set(again.inspect["weights"]) == {"w_x", "w_y", "b"}
    assert np.array(again.inspect["hidden_states"]["rnn"]).shape == (20, 1)
    assert again.model_bytes[:2] == b"PK"  # a .keras file is a zip archive
    assert {"python", "numpy", "tensorflow", "keras"} <= set(again.versions)
    # The last epoch's val_loss is the validation MSE of the forecast (up to float32 summation).
    assert again.history[-1]["val_loss"] == pytest.approx(again.metrics["valid"]["mse"], rel=1e-4)
    # Plain data only: the summary is JSON, the predictions are NumPy arrays, the model is bytes.
    import json

    assert json.loads(json.dumps(again.summary())) == again.summary()
    assert all(type(v) is np.ndarray for v in again.predictions.values())
    assert type(again.model_bytes) is bytes


def test_saved_model_loads_back_and_predicts_the_same():
    exp = tiny("layernorm_rnn", "seq2seq", 3)
    result = training.run(exp)
    model = training.model_from_bytes(result.model_bytes)
    from rnnlab import data

    ds = data.make_dataset(exp)
    again = training.forecast(model, ds.valid.X, exp)
    assert np.allclose(again, result.predictions["valid"], atol=1e-6)


def test_iterative_forecast_matches_manual_rolling():
    exp = tiny("linear", "iterative", 4)
    result = training.run(exp)
    model = training.model_from_bytes(result.model_bytes)
    from rnnlab import data

    X = data.make_dataset(exp).valid.X
    window = X.copy()
    for _ in range(4):
        step = model.predict(window[:, -20:], verbose=0)
        window = np.concatenate([window, step[:, None, :]], axis=1)
    assert np.allclose(result.predictions["valid"], window[:, 20:, 0], atol=1e-6)


def test_cancel_stops_within_a_second():
    exp = tiny("lstm", "seq2seq", 3, n_series=4000, n_steps=50, epochs=50)
    started = time.monotonic()
    deadline = {"t": None}

    def on_epoch(info):
        deadline["t"] = time.monotonic()

    def should_stop():
        return deadline["t"] is not None  # cancel as soon as the first epoch is done

    with pytest.raises(training.TrainingCancelled):
        training.run(exp, on_epoch=on_epoch, should_stop=should_stop)
    assert deadline["t"] is not None
    assert time.monotonic() - deadline["t"] < 1.0
    assert time.monotonic() - started < 60


def test_diverging_training_fails_with_a_clear_message():
    exp = tiny("deep_rnn_dense", optimizer="sgd", learning_rate=1.0, epochs=3, units=32, wave1_amplitude=10)
    with pytest.raises(training.TrainingFailed, match="smaller learning rate"):
        training.run(exp)


def test_same_experiment_in_fresh_processes_gives_the_same_result(tmp_path):
    code = ("import sys; from rnnlab.config import Experiment; from rnnlab import training; "
            "e = Experiment.book('gru', 'seq2seq').replace(n_series=400, epochs=2); "
            "r = training.run(e, save_model=False); print(repr(r.val_mse))")
    values = []
    for _ in range(2):
        out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
        values.append(float(out.stdout.strip().splitlines()[-1]))
    assert abs(values[0] - values[1]) < 1e-6, values
