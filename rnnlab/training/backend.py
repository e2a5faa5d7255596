"""Which engine Keras trains on (``RNNLAB_BACKEND``): JAX by default, TensorFlow on request.

Keras 3 runs the same model code on either; the backend must be chosen before Keras is first imported in a
process, so a worker calls :func:`configure` before anything else touches Keras. The web process never calls
it: it imports neither Keras nor an engine. ``python -m rnnlab bench --compare backend`` measures both side by
side (docs/benchmarks.md): on two cores JAX trains the recurrent models 2.5-3x faster per epoch than
TensorFlow with XLA, and compiles the first epoch twice as fast.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from pathlib import Path
from typing import Iterator, Mapping

from rnnlab.env import env_int
from rnnlab.errors import SettingError
from rnnlab.paths import default_home
from rnnlab.training import keras_private

log = logging.getLogger(__name__)

BACKENDS = ("jax", "tensorflow")
DEFAULT = "jax"
#: Batches per compiled call (Keras' ``steps_per_execution``), by backend, as measured (docs/benchmarks.md):
#: on JAX 16 batches per call cut the per-batch Python work of the small models (linear 2.8x, SimpleRNN(1)
#: 2.2x faster per epoch) and change nothing computed; on TensorFlow it made the LSTM slower. Progress and
#: cancellation are checked once per call: every 16 batches (about 14 times per epoch at the book's size).
STEPS_PER_EXECUTION = {"jax": 16, "tensorflow": 1}

_CONFIGURED: str | None = None


def backend_name(environ: Mapping[str, str] | None = None) -> str:
    """The backend ``RNNLAB_BACKEND`` asks for (default :data:`DEFAULT`); SettingError naming what is allowed."""
    environ = os.environ if environ is None else environ
    name = (environ.get("RNNLAB_BACKEND") or DEFAULT).strip().lower()
    if name not in BACKENDS:
        raise SettingError(f"RNNLAB_BACKEND={environ.get('RNNLAB_BACKEND')!r} is not one of: {', '.join(BACKENDS)}")
    return name


@contextlib.contextmanager
def _native_stderr_silenced() -> Iterator[None]:
    """Send file descriptor 2 to /dev/null for the block: native code writes there, not to ``sys.stderr``.
    Python exceptions still propagate and are printed after the block."""
    sys.stderr.flush()
    saved, null = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(null)


def configure() -> str:
    """Set up this process's Keras backend (``RNNLAB_BACKEND``) before Keras is imported, and return its name.

    TensorFlow: quiet logs (its native start-up lines are hidden unless ``TF_CPP_MIN_LOG_LEVEL=0``) and thread
    counts from ``RNNLAB_TF_THREADS``. JAX: compiled programs are cached on disk (``$RNNLAB_HOME/jax-cache``),
    so a model shape compiled once is not compiled again by a later process. Only the first call in a process
    has an effect; a later one with another backend raises RuntimeError.
    """
    global _CONFIGURED
    name = backend_name()
    if _CONFIGURED is not None:
        if _CONFIGURED != name:
            raise RuntimeError(f"this process already trains on {_CONFIGURED}; RNNLAB_BACKEND={name} needs a new one")
        return name
    if "keras" in sys.modules and os.environ.get("KERAS_BACKEND", "tensorflow") != name:
        raise RuntimeError(f"Keras was imported on another backend before RNNLAB_BACKEND={name} could be set")
    os.environ["KERAS_BACKEND"] = name
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    quiet = os.environ["TF_CPP_MIN_LOG_LEVEL"].strip() != "0"
    threads = env_int(os.environ, "RNNLAB_TF_THREADS")
    with _native_stderr_silenced() if quiet else contextlib.nullcontext():
        if name == "tensorflow":
            _configure_tensorflow(threads)
        else:
            _configure_jax(threads)
        import keras  # noqa: F401  (workers only: the web process never calls configure)
    _CONFIGURED = name
    return name


def _configure_tensorflow(threads: int | None) -> None:
    import tensorflow as tf  # workers only: the web process never calls configure

    tf.config.list_physical_devices("GPU")  # probes for CUDA now, while stderr is silenced
    if threads:
        try:
            tf.config.threading.set_intra_op_parallelism_threads(threads)
            tf.config.threading.set_inter_op_parallelism_threads(threads)
        except RuntimeError:  # TensorFlow already initialised in this process: keep its settings
            log.debug("TensorFlow thread counts already fixed in this process")
    tf.get_logger().setLevel("ERROR")


#: XLA's CPU backend at optimisation level 1 instead of 2: measured on two cores, it compiles the book's recurrent
#: models 15-30% faster (the LSTM's first epoch from 3.1 s to 2.3 s) and runs them as fast or faster.
JAX_XLA_FLAGS = ("--xla_backend_optimization_level=1",)


def jax_cache_dir(home: Path | None = None) -> Path:
    """Where JAX keeps compiled programs: ``RNNLAB_JAX_CACHE``, else ``jax-cache`` in the store's home (``home``,
    default ``RNNLAB_HOME``)."""
    return Path(os.environ.get("RNNLAB_JAX_CACHE") or (home or default_home()) / "jax-cache")


def _configure_jax(threads: int | None) -> None:
    flags = os.environ.get("XLA_FLAGS", "").split()
    if threads == 1:  # one worker per core: XLA's CPU code keeps to its own core
        flags.append("--xla_cpu_multi_thread_eigen=false")
    for flag in JAX_XLA_FLAGS:  # the operator's own XLA_FLAGS win
        if not any(f.split("=")[0] == flag.split("=")[0] for f in flags):
            flags.append(flag)
    os.environ["XLA_FLAGS"] = " ".join(flags)
    import jax  # workers only: the web process never calls configure

    cache = jax_cache_dir()
    try:
        cache.mkdir(parents=True, exist_ok=True)
        jax.config.update("jax_compilation_cache_dir", str(cache))
        jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
        jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
        # JAX's own bound: beyond it, the least recently used compiled programs are deleted
        from rnnlab.config.limits import StoreSettings  # here: rnnlab.config imports the registry, which imports us
        jax.config.update("jax_compilation_cache_max_size", StoreSettings.from_env().compile_cache_mb * 1024 * 1024)
    except OSError:  # a read-only home: compile every time
        log.warning("JAX compilation cache disabled: cannot write %s", cache)
    keras_private.hide_tensorflow()


def release_memory() -> bool:
    """Drop what finished trainings left in this process's memory; True if there was anything to drop.

    On JAX, the in-memory caches of traced and compiled programs keep every training's programs: Keras makes new
    jitted functions for every model, so they are never used again, and a worker grew by about 2 MB a training
    (1.1 GB more after the 800 small trainings of an hour's soak). ``jax.clear_caches()`` empties them; the
    programs stay in the persistent compilation cache on disk. (TensorFlow's functions go with their models.)"""
    if backend_name() != "jax":
        return False
    import jax  # workers only: the web process never trains

    jax.clear_caches()
    return True


def seed(value: int) -> None:
    """Seed everything a training draws from: Python, NumPy, Keras' own generator and, on the TensorFlow
    backend, TensorFlow (``keras.utils.set_random_seed``; after :func:`configure` a JAX worker's Keras knows
    that TensorFlow is not there, so seeding does not import it)."""
    import keras  # workers only: the web process never calls this

    keras.utils.set_random_seed(value)


def versions() -> dict[str, str]:
    """The backend and the versions of the libraries a result depends on (after :func:`configure`)."""
    import keras  # workers only: the web process never calls this

    out = {"backend": keras.backend.backend(), "keras": keras.__version__}
    if out["backend"] == "jax":
        import jax  # (as above)

        out["jax"] = jax.__version__
    else:
        import tensorflow as tf  # (as above)

        out["tensorflow"] = tf.__version__
    return out
