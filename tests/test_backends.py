"""Keras backends: JAX by default, TensorFlow on request; the web process imports neither."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from rnnlab.training import backend

from rnnlab.models import export

from helpers import ROOT, tiny


def test_the_backend_setting_is_checked():
    assert backend.backend_name({}) == "jax" == backend.DEFAULT
    assert backend.backend_name({"RNNLAB_BACKEND": " TensorFlow "}) == "tensorflow"
    with pytest.raises(ValueError, match="RNNLAB_BACKEND='torch' is not one of: jax, tensorflow"):
        backend.backend_name({"RNNLAB_BACKEND": "torch"})


def test_the_tensorflow_suite_passes_in_a_tensorflow_process():
    """tests/backend_tf/ under RNNLAB_BACKEND=tensorflow: every model family, XLA on and off, tf.data. Run without
    pytest's capture (``-s``), its stderr is what a TensorFlow process prints: TensorFlow's native start-up lines
    (absl, oneDNN, no CUDA driver), which ignore TF_CPP_MIN_LOG_LEVEL, are silenced (tests/test_training.py shows
    them printed when TF_CPP_MIN_LOG_LEVEL=0 asks for every line)."""
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    env.update({"RNNLAB_BACKEND": "tensorflow", "RNNLAB_XLA": "0", "PYTHONPATH": str(ROOT)})
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider", "-p", "no:randomly",
                           str(ROOT / "tests" / "backend_tf")], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=900)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    passed = int(re.search(r"(\d+) passed", proc.stdout).group(1))
    assert passed == 13 and "skipped" not in proc.stdout, proc.stdout[-1000:]
    assert "absl" not in proc.stderr and "I0000" not in proc.stderr, proc.stderr[-2000:]


# A fresh process on the default backend trains on JAX, says so, and never imports TensorFlow: the two fresh
# processes of tests/test_training.py::test_same_experiment_in_fresh_processes_gives_the_same_result check it (one
# pair of processes for that claim and for repeatability, each fresh process an import of Keras and a compilation).


def test_the_script_names_the_backend_it_was_trained_on():
    exp = tiny("gru", "seq2seq", 3)
    script = export.standalone_script(exp, backend="jax")
    assert 'os.environ.setdefault("KERAS_BACKEND", "jax")' in script and "pip install numpy jax keras" in script
    assert script.index("KERAS_BACKEND") < script.index("import keras")
    assert 'os.environ.setdefault("KERAS_BACKEND", "tensorflow")' in export.standalone_script(exp, backend="tensorflow")
