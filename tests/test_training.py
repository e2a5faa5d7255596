"""rnnlab.training.fit: plain-data results, progress, cancellation, failures, repeatability."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import threading

import numpy as np
import pytest

from rnnlab.training import fit
from rnnlab.store.runs import RunResult

from helpers import ROOT, tiny


def test_result_is_plain_data_that_pickles():
    exp = tiny("simple_rnn", epochs=2)
    result = fit.run(exp)
    assert result.jit_compile  # JAX always compiles with XLA
    again = pickle.loads(pickle.dumps(result))
    assert isinstance(again, RunResult) and again.key == exp.key()
    assert [h["epoch"] for h in again.history] == [1, 2]
    assert all(set(h) == {"epoch", "loss", "val_loss", "seconds"} for h in again.history)
    assert set(again.metrics) == {"valid", "test"}
    assert set(again.metrics["valid"]) == {"mse", "mae", "rmse", "smape", "rel_mae"}
    assert again.params_total == 3 and again.layers == [
        {"name": "rnn", "type": "SimpleRNN", "output_shape": "(batch, 1)", "params": 3}]
    assert set(again.inspect["weights"]) == {"w_x", "w_y", "b"}
    assert np.array(again.inspect["hidden_states"]["rnn"]).shape == (20, 1)
    w, h, unrolled = again.inspect["weights"], 0.0, []  # the neuron by hand: h_t = tanh(w_x x_t + w_y h_t-1 + b)
    for x in again.inspect["sample_input"]:
        h = np.tanh(w["w_x"] * x + w["w_y"] * h + w["b"])
        unrolled.append(h)
    np.testing.assert_allclose(np.array(again.inspect["hidden_states"]["rnn"])[:, 0], unrolled, atol=2e-6)
    assert again.model_bytes[:2] == b"PK"  # a .keras file is a zip archive
    assert {"python", "numpy", "backend", "keras", again.versions["backend"]} <= set(again.versions)
    assert again.versions["backend"] == "jax"  # the default (RNNLAB_BACKEND)
    # The last epoch's val_loss is the validation MSE of the forecast (up to float32 summation).
    assert again.history[-1]["val_loss"] == pytest.approx(again.metrics["valid"]["mse"], rel=1e-4)
    # Plain data only: the summary is JSON, the predictions are NumPy arrays, the model is bytes.
    import json

    assert json.loads(json.dumps(again.summary())) == again.summary()
    assert all(type(v) is np.ndarray for v in again.predictions.values())
    assert type(again.model_bytes) is bytes


def test_saved_model_loads_back_and_predicts_the_same():
    exp = tiny("layernorm_rnn", "seq2seq", 3)
    result = fit.run(exp)
    model = fit.model_from_bytes(result.model_bytes)
    from rnnlab.series import dataset as data

    ds = data.make_dataset(exp)
    again = fit.forecast(model, ds.valid.X, exp)
    assert np.allclose(again, result.predictions["valid"], atol=1e-6)
    # which input steps drive the forecast: one value per input step, over a few validation windows
    assert len(result.inspect["saliency"]) == 20 and result.inspect["saliency_windows"] == fit.SALIENCY_WINDOWS
    assert min(result.inspect["saliency"]) >= 0 and max(result.inspect["saliency"]) > 0


def test_a_linear_models_saliency_is_the_size_of_its_weights():
    """The forecast of a linear model is w·x + b: its gradient with respect to input step t is w[t], exactly."""
    result = fit.run(tiny("linear"))
    model = fit.model_from_bytes(result.model_bytes)
    [kernel, _] = [layer.get_weights() for layer in model.layers if layer.get_weights()][0]
    assert np.allclose(result.inspect["saliency"], np.abs(kernel[:, 0]), rtol=1e-4)


def test_on_jax_keras_batches_the_arrays_itself():
    """JAX needs no tf.data pipeline: fit() gets the arrays and shuffles them itself (Keras' public API; the
    figures in tests/test_golden.py are those of the adapter rnnlab built before)."""
    from rnnlab.series import dataset as data

    ds = data.make_dataset(tiny("linear"))
    given = fit._fit_data(ds, 32, autotune=False)
    assert given["x"] is ds.train.X and given["y"] is ds.train.y and given["shuffle"] is True
    valid_x, valid_y = given["validation_data"]
    assert given["batch_size"] == 32 and valid_x is ds.valid.X and valid_y is ds.valid.y


def test_iterative_forecast_matches_manual_rolling():
    exp = tiny("linear", "iterative", 4)
    result = fit.run(exp)
    model = fit.model_from_bytes(result.model_bytes)
    from rnnlab.series import dataset as data

    X = data.make_dataset(exp).valid.X
    window = X.copy()
    for _ in range(4):
        step = model.predict(window[:, -20:], verbose=0)
        window = np.concatenate([window, step[:, None, :]], axis=1)
    assert np.allclose(result.predictions["valid"], window[:, 20:, 0], atol=1e-6)


@pytest.mark.parametrize("moment", ["after_first_epoch", "mid_epoch"])
def test_cancel_stops_at_the_next_check(moment):
    """A cancel request ends the training at the first check after it, whether it arrives between epochs or
    mid-epoch from another thread: no batch is trained after the request was seen.

    The CI once saw 2.2 s between an epoch's end and the next batch's check, so the training is also checked
    at epoch boundaries and during validation. Counted in checks, not seconds: a slow machine cannot fail it.
    (Checks come once per compiled call of ``steps_per_execution`` batches: 16 on JAX.)
    """
    exp = tiny("lstm", "seq2seq", 3, n_series=4000, epochs=50)  # 140 batches an epoch: 9 checks
    requested = threading.Event()
    epochs_done = []
    checks_after_request = []
    checks_after_first_epoch = []

    def on_epoch(info):
        epochs_done.append(info["epoch"])
        if moment == "after_first_epoch" and len(epochs_done) == 1:
            requested.set()

    def should_stop():
        if epochs_done:
            checks_after_first_epoch.append(1)
            if moment == "mid_epoch" and len(checks_after_first_epoch) == 3:  # inside the second epoch
                other = threading.Thread(target=requested.set)  # the request comes from another thread
                other.start()
                other.join()
        if requested.is_set():
            checks_after_request.append(1)
            return True
        return False

    with pytest.raises(fit.TrainingCancelled) as raised:
        fit.run(exp, on_epoch=on_epoch, should_stop=should_stop)
    assert requested.is_set()
    assert len(checks_after_request) == 1  # the first check that saw the request stopped the training
    assert epochs_done == [1]  # the second epoch never completed
    if moment == "after_first_epoch":  # stopped at that epoch's end, before another batch could run
        assert "on_epoch_end" in [entry.name for entry in raised.traceback]
        assert len(checks_after_first_epoch) == 1
    else:  # stopped in the middle of the second epoch, at the check that followed the request
        assert len(checks_after_first_epoch) == 3 and "on_epoch_end" not in [e.name for e in raised.traceback]


def test_a_trained_model_beats_the_naive_forecast():
    """Training must learn something: the linear model and a small deep RNN beat repeating the last value."""
    for model in ("linear", "deep_rnn_dense"):
        result = fit.run(tiny(model, n_series=2000, n_steps=30, epochs=5, units=10, learning_rate=0.01),
                         save_model=False)
        valid, naive = result.metrics["valid"], result.naive_metrics["valid"]
        assert valid["mse"] < 0.5 * naive["mse"], (model, valid, naive)
        assert valid["rel_mae"] < 1.0 and result.metrics["test"]["mse"] < result.naive_metrics["test"]["mse"]


def test_diverging_training_fails_with_a_clear_message():
    exp = tiny("deep_rnn_dense", optimizer="sgd", learning_rate=1.0, epochs=3, units=32, wave1_amplitude=10)
    with pytest.raises(fit.TrainingFailed, match="smaller learning rate"):
        fit.run(exp)


def test_same_experiment_in_fresh_processes_gives_the_same_result(tmp_path):
    """Two fresh processes (started together) on the default backend train the same experiment with the
    registry's defaults (XLA for the GRU) to the same validation MSE. Each trains on JAX, says so in its result's
    versions, and saves, describes and loads its model again without ever importing TensorFlow (seconds and
    hundreds of MB per worker); the TensorFlow process of tests/test_backends.py checks RNNLAB_BACKEND=tensorflow.
    (One pair of processes for both claims: each fresh process costs an import of Keras and a compilation.)"""
    code = ("import sys; sys.path.insert(0, 'tests'); from helpers import tiny; from rnnlab.training import fit; "
            "r = fit.run(tiny('gru', 'seq2seq', 3, epochs=2)); again = fit.model_from_bytes(r.model_bytes); "
            "import keras; "
            "print(r.versions['backend'], keras.backend.backend(), 'jax' in r.versions, "
            "'TF_IMPORTED' if 'tensorflow' in sys.modules else 'NO_TF', again.count_params() == r.params_total); "
            "print(repr(r.val_mse), r.jit_compile)")
    # the defaults: XLA for the GRU, the default backend
    env = {k: v for k, v in os.environ.items() if k not in ("RNNLAB_XLA", "RNNLAB_BACKEND", "KERAS_BACKEND")}
    procs = [subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, env={**env, "RNNLAB_HOME": str(tmp_path / f"home{i}")}) for i in range(2)]
    values = []
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err[-2000:]
        engine, figure = out.strip().splitlines()[-2:]
        # the versions name the engine; saved, described and loaded again without importing TensorFlow
        assert engine.split() == ["jax", "jax", "True", "NO_TF", "True"], out
        value, jit = figure.split()
        assert jit == "True"
        values.append(float(value))
    assert abs(values[0] - values[1]) < 1e-6, values


def test_tensorflow_start_up_lines_are_printed_when_every_log_line_is_asked_for():
    """TensorFlow's native start-up lines (absl, oneDNN, no CUDA driver) ignore TF_CPP_MIN_LOG_LEVEL, so rnnlab
    silences them; TF_CPP_MIN_LOG_LEVEL=0 asks for every log line and gets them. (That they stay off stderr by
    default is checked on the TensorFlow suite's own process: tests/test_backends.py. This shows that they would
    be there, so that check cannot pass for want of lines.)"""
    code = ("from rnnlab.training import backend; backend.configure(); import tensorflow as tf; "
            "print(float(tf.constant(2.0) * 3))")
    env = {**os.environ, "RNNLAB_BACKEND": "tensorflow", "TF_CPP_MIN_LOG_LEVEL": "0"}
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                          check=True, timeout=120)
    assert done.stdout.strip() == "6.0"
    assert "I0000" in done.stderr  # what is silenced by default


def test_the_saliency_of_a_model_reading_only_its_last_input_is_all_on_that_input():
    from rnnlab.models.registry import build_model
    from rnnlab.series import dataset as data

    exp = tiny("linear")
    model = build_model(exp)
    kernel, bias = [layer.get_weights() for layer in model.layers if layer.get_weights()][0]
    only_last = np.zeros_like(kernel)
    only_last[-1, 0] = 0.8  # the forecast is 0.8 × the last input
    [layer for layer in model.layers if layer.get_weights()][0].set_weights([only_last, bias])
    values = fit.saliency(model, data.make_dataset(exp).valid.X, exp)
    assert values[-1] == pytest.approx(0.8) and values[:-1] == [0.0] * 19
