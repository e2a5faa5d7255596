"""The TensorFlow backend: what only TensorFlow has (tf.data autotuning, XLA on or off) and every model family
trained on it. Run by tests/test_backends.py in a process of its own with RNNLAB_BACKEND=tensorflow (Keras
takes one backend per process); the main suite runs on the default, JAX."""

from __future__ import annotations

import io
import os
from types import SimpleNamespace

import numpy as np
import pytest

from rnnlab.training import fit, keras_private
from rnnlab.models.registry import REGISTRY

from helpers import model_families, tiny

pytestmark = pytest.mark.skipif(os.environ.get("RNNLAB_BACKEND") != "tensorflow",
                                reason="runs in tests/test_backends.py's TensorFlow process")


FAMILIES = model_families()

#: The families' trainings, made once and also compared below with XLA on and with Keras' autotuned pipeline.
_RUNS: dict[str, object] = {}


def _family_experiment(name: str):
    """The family's tiny experiment in its book mode, for two epochs (so a comparison also covers a reshuffle)."""
    mode = REGISTRY[name].book_mode
    return tiny(name, mode, 1 if mode == "one_step" else 3, epochs=2)


def _family_run(name: str):
    """The family's training on its defaults here (XLA off: RNNLAB_XLA=0), made once per process."""
    if name not in _RUNS:
        _RUNS[name] = fit.run(_family_experiment(name))
    return _RUNS[name]


def test_the_families_cover_every_layer_kind():
    kinds = {layer.kind for name in FAMILIES for layer in REGISTRY[name].layers(tiny(name, REGISTRY[name].book_mode))}
    every = {layer.kind for name, e in REGISTRY.items() if not e.real_only
             for layer in e.layers(tiny(name, e.book_mode))}
    assert kinds == every and {"naive", "linear", "simple_rnn", "lstm", "gru", "layernorm_rnn", "conv_gru",
                               "wavenet"} <= set(FAMILIES)


@pytest.mark.parametrize("name", FAMILIES)
def test_every_model_family_trains_on_tensorflow(name):
    """One tiny training per model family (its book mode); XLA stays off here (RNNLAB_XLA=0) but for one model
    below."""
    entry = REGISTRY[name]
    mode = entry.book_mode
    exp = _family_experiment(name)
    result = _family_run(name)
    assert np.isfinite(result.metrics["valid"]["mse"]) and result.predictions["valid"].shape[1] == (
        1 if mode == "one_step" else 3)
    if entry.trainable:
        import keras

        assert result.versions["backend"] == "tensorflow" == keras.backend.backend()
        assert "tensorflow" in result.versions
        assert result.params_total == entry.count_params(exp) and result.jit_compile is False
        again = fit.model_from_bytes(result.model_bytes)
        assert again.count_params() == result.params_total
        assert result.inspect["hidden_states"] or not any(layer.recurrent for layer in entry.layers(exp))
        assert len(result.inspect["saliency"]) == exp.series.n_steps  # the TensorFlow gradient path
        assert max(result.inspect["saliency"]) > 0


def test_xla_gives_the_same_model_as_without():
    """A recurrent network trained with XLA reaches the validation MSE of its training without (the family's)."""
    exp = _family_experiment("simple_rnn")
    with_xla, without = fit.run(exp, jit_compile=True, save_model=False), _family_run("simple_rnn")
    assert with_xla.jit_compile and not without.jit_compile
    assert with_xla.val_mse == pytest.approx(without.val_mse, rel=1e-4)


def test_keras_is_fed_the_same_batches_without_tf_data_autotuning():
    """rnnlab feeds Keras its own array pipeline with autotuning off (epochs no longer start up to 2.4 s late
    while tf.data's autotuning thread winds down); the batches, and so every number, stay the same. (Ours: the GRU
    family's training above, two epochs with XLA off.)"""
    exp = _family_experiment("gru")
    ours = _family_run("gru")
    assert ours.jit_compile is False and len(ours.history) == 2
    keras_default = fit.run(exp, save_model=False, data_autotune=True, jit_compile=False)
    assert ours.val_mse == keras_default.val_mse
    assert [h["loss"] for h in ours.history] == [h["loss"] for h in keras_default.history]
    assert np.array_equal(ours.predictions["test"], keras_default.predictions["test"])


def test_the_fed_batches_are_those_keras_builds_from_arrays():
    """What fit() would build from the arrays itself (the same adapter class, the same shuffled batches),
    with autotuning off."""
    import keras
    from keras.src.trainers.data_adapters import get_data_adapter

    X = np.arange(10 * 5, dtype="float32").reshape(10, 5, 1)
    Y = np.arange(10, dtype="float32").reshape(10, 1)

    def batches(adapter):
        keras.utils.set_random_seed(7)
        return [[t.numpy() for t in batch] for batch in adapter.get_tf_dataset()]

    keras_own = get_data_adapter(X, Y, batch_size=4, shuffle=True)
    ours = keras_private.untuned_batches(X, Y, batch_size=4, shuffle=True)
    split = SimpleNamespace(X=X, y=Y)
    default = fit._fit_data(SimpleNamespace(train=split, valid=split), 4, autotune=True)
    assert default["x"] is X and default["y"] is Y  # autotuning on: Keras builds its own adapter from the arrays
    assert isinstance(ours, type(keras_own)) and ours.num_batches == keras_own.num_batches == 3
    assert ours.get_tf_dataset().options().autotune.enabled is False
    ours_batches, keras_batches = batches(ours), batches(keras_own)
    assert [len(b[0]) for b in ours_batches] == [4, 4, 2]
    targets = np.concatenate([b[1].ravel() for b in ours_batches]).tolist()
    assert sorted(targets) == list(range(10)) and targets != list(range(10))  # every sample once, shuffled
    for a, b in zip(ours_batches, keras_batches, strict=True):
        assert all(np.array_equal(u, v) for u, v in zip(a, b, strict=True))


def test_bench_compares_both_pipelines_in_one_run():
    from rnnlab.reports.bench_options import bench

    table = bench(epochs=2, n_series=300, only="linear", compare="autotune", stream=io.StringIO())
    row = next(line for line in table.splitlines() if line.startswith("| linear "))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[1] == "one_step"
    assert cells[2] == cells[3]  # same validation MSE both ways
    assert float(cells[5]) > 0 and float(cells[6]) > 0 and cells[7].endswith("x")
    assert "autotune on (Keras default)" in table
    with pytest.raises(ValueError, match="allowed are xla, autotune"):
        bench(compare="tpu")


