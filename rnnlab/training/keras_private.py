"""The only place rnnlab reaches into Keras' private modules (``keras.src``), for two things Keras has no public
API for. Both are written against ``keras==3.15.1``, the exact pin in requirements.txt
(:data:`KERAS_VERSION`; tests/test_keras_private.py checks the pin and that no other module imports
``keras.src``). When Keras is upgraded, read these two functions against the new Keras first.

- :func:`hide_tensorflow`: on the JAX backend, tell Keras that TensorFlow is not installed, so saving or
  describing a model does not import TensorFlow into a JAX worker.
- :func:`untuned_batches`: on the TensorFlow backend, Keras' own array pipeline with tf.data autotuning off.

Nothing here imports Keras at import time: the web process imports this module (through
:mod:`rnnlab.training.backend`) and must never import Keras.
"""

from __future__ import annotations

import functools

import numpy as np

#: The Keras release these functions were read against (requirements.txt pins it exactly).
KERAS_VERSION = "3.15.1"


def hide_tensorflow() -> None:
    """Make Keras behave as on a JAX-only install, where TensorFlow is not importable.

    Whenever TensorFlow is installed, Keras does its file work through TensorFlow's gfile and checks every
    object it serialises against TensorFlow's types, so saving or describing a model would import all of
    TensorFlow into a JAX worker (seconds, and hundreds of MB); ``keras.utils.set_random_seed`` would import
    it too, only to seed it. Keras decides through two lazy modules; marking them unavailable is what a
    JAX-only install does. rnnlab's files are local; Python's own file functions serve. Call it after
    choosing the JAX backend and before Keras touches a file.
    """
    from keras.src.utils.module_utils import gfile, tensorflow  # workers only: the web process never calls this

    gfile._available = tensorflow._available = False


@functools.cache
def _untuned_adapter_class():
    import tensorflow as tf  # workers only: the web process never imports TensorFlow
    from keras.src.trainers.data_adapters.array_data_adapter import ArrayDataAdapter  # (as above)

    class UntunedArrayDataAdapter(ArrayDataAdapter):
        """Keras' array adapter, whose tf.data pipeline runs with autotuning off."""

        def get_tf_dataset(self):
            options = tf.data.Options()
            options.autotune.enabled = False
            return super().get_tf_dataset().with_options(options)

    return UntunedArrayDataAdapter


def untuned_batches(x: np.ndarray, y: np.ndarray | None = None, *, batch_size: int, shuffle: bool):
    """``x`` (and the targets ``y``) in batches, as ``fit``, ``evaluate`` and ``predict`` take them on the
    TensorFlow backend: the same batches in the same order as Keras builds from the arrays, with tf.data
    autotuning off.

    From arrays, Keras builds a tf.data pipeline with ``AUTOTUNE`` parallelism and a new iterator every epoch
    (and every ``predict``). Tearing the old one down waits for tf.data's autotuning thread, which sleeps
    between optimisation rounds: epochs started 0.3 s late, sometimes 2.4 s, and a cancel request waited as
    long (measured with gdb in the stalled process). tf.data has no global switch and Keras no hook for the
    pipeline's options, so this subclasses its (private) array adapter; the losses and forecasts are
    identical to the last bit (tests/backend_tf; ``python -m rnnlab bench --compare autotune`` measures both).

    Args:
        x: the inputs, ``[n, time, 1]``.
        y: the targets (None for ``predict``).
        batch_size: samples per batch.
        shuffle: draw a new order every epoch (training), or keep the arrays' order.

    Returns:
        A Keras data adapter, passed as ``x`` (or ``validation_data``).
    """
    return _untuned_adapter_class()(x, y, batch_size=batch_size, shuffle=shuffle)
