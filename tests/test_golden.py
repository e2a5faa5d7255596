"""The reproduction figures do not move: one model of each family, trained through rnnlab.training.fit.run on a
tiny experiment, gives the same validation and test MSE to the last digit as when these were recorded.

Recorded on the default JAX backend (Keras 3.15.1) at commit 33905ad, the step that moved the flat modules
into packages, before the clean-up that followed it; three separate processes (a fresh and a filled JAX
compilation cache, and a clean export of that commit) gave the same digits. JAX on CPU is deterministic run to
run, so any difference here is a change in behaviour (data, model, seeding, batching or XLA settings), not
noise. When a change is meant to move the numbers, record them again and say why in the commit.

XLA compiles for the processor it runs on, and another processor sums float32 values in another order: on an AMD
Zen 3 (AVX2, no AVX-512) six of the seven models differ from the first recording from the eighth significant digit
(the layer-normalised RNN from the seventh), whatever ``--xla_cpu_max_isa`` says. So the figures are recorded per
processor (:data:`MACHINES`): on a processor with a recording they must match it to the last digit; on one without,
they must match a recording to a relative 1e-5, a hundred times the spread between processors and far below what
any change of data, model, seeding or batching moves.

Each of these trainings also checks what tests/test_models.py checks of every model in every mode
(``helpers.check_trained``: the forecasts' shapes, the progress events and history, the parameter formulas), which
then leaves these models' book modes to this file.

320 series (224 / 64 / 32 in the three splits) make every training batch full, so each model compiles one
training step instead of two: the test takes about 35 s of CPU time with a cold compilation cache.

The rest of the suite runs XLA at optimisation level 0 (conftest.py), which moves the layer-normalised RNN's test
MSE by 2e-5: the seven trainings run together in one fresh process with XLA's flags as a deployed worker has them
(none), and each test checks its model's.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys

import pytest

from helpers import ROOT, check_trained, tiny

#: model -> (validation MSE, test MSE), as ``repr`` printed them, by the processor they were recorded on.
GOLDEN = {
    "first": {  # commit 33905ad's machine (and the CI machines since)
        "linear": (0.37869545805864646, 0.4658340623423777),
        "deep_rnn": (0.07127251011523064, 0.1192117254658017),
        "lstm": (0.14169534083992943, 0.14369569266094265),
        "gru": (0.14336544184592867, 0.14905696166989843),
        "conv_gru": (0.13620379736716948, 0.13838078234842807),
        "wavenet": (0.1463069891817629, 0.14816349900413647),
        "layernorm_rnn": (0.4200671283103202, 0.39702312490064595),
    },
    "amd-zen3": {  # recorded at commit 7c28eff, whose figures are the first machine's there
        "linear": (0.37869545805864646, 0.4658340623423777),
        "deep_rnn": (0.07127259037482284, 0.11921184517587485),
        "lstm": (0.1416953406433658, 0.14369569252851977),
        "gru": (0.14336544242126956, 0.14905696156804096),
        "conv_gru": (0.13620379756340467, 0.1383807822157708),
        "wavenet": (0.14630698952272098, 0.14816349859438221),
        "layernorm_rnn": (0.4200668027733454, 0.39702434731050584),
    },
}
#: recording -> the processor it was made on, as /proc/cpuinfo names it (vendor, family, model).
MACHINES = {"amd-zen3": ("AuthenticAMD", "25", "1")}


def processor() -> tuple[str, str, str] | None:
    """(vendor_id, cpu family, model) of the first processor in /proc/cpuinfo; None where there is none."""
    try:
        text = open("/proc/cpuinfo", encoding="utf-8").read()
    except OSError:
        return None
    fields = dict(line.split(":", 1) for line in text.split("\n\n")[0].splitlines() if ":" in line)
    fields = {k.strip(): v.strip() for k, v in fields.items()}
    return fields.get("vendor_id", ""), fields.get("cpu family", ""), fields.get("model", "")


def experiment(model: str):
    """The model's book mode, 20 steps, 320 series in batches of 32, two epochs."""
    return tiny(model, n_series=320, epochs=2, batch_size=32)


def train_all(path: str) -> None:
    """Train every golden model and pickle ``{model: (result, epochs seen)}`` to ``path`` (run in a child process:
    :func:`trained`)."""
    from rnnlab.training import fit

    out = {}
    for model in GOLDEN["first"]:
        epochs_seen = []
        out[model] = (fit.run(experiment(model), on_epoch=epochs_seen.append, save_model=False), epochs_seen)
    with open(path, "wb") as f:
        pickle.dump(out, f)


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> dict:
    """Every golden model's training, made in one fresh process without the suite's XLA_FLAGS."""
    path = tmp_path_factory.mktemp("golden") / "trained.pkl"
    env = {k: v for k, v in os.environ.items() if k != "XLA_FLAGS"}
    code = f"import sys; sys.path.insert(0, {str(ROOT / 'tests')!r}); import test_golden; test_golden.train_all(sys.argv[1])"
    done = subprocess.run([sys.executable, "-c", code, str(path)], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    with open(path, "rb") as f:
        return pickle.load(f)


@pytest.mark.parametrize("model", list(GOLDEN["first"]))
def test_reproduction_figures_are_unchanged(model, trained):
    exp = experiment(model)
    result, epochs_seen = trained[model]
    assert result.versions["backend"] == "jax" and result.key == exp.key()
    check_trained(exp, result, epochs_seen)
    figures = (result.metrics["valid"]["mse"], result.metrics["test"]["mse"])
    here = next((name for name, cpu in MACHINES.items() if cpu == processor()), None)
    if here is not None:
        assert figures == GOLDEN[here][model], f"recorded on this processor ({here})"
    elif figures not in [recorded[model] for recorded in GOLDEN.values()]:
        assert any(figures == pytest.approx(recorded[model], rel=1e-5) for recorded in GOLDEN.values()), (
            f"{figures} is none of the recordings, nor within 1e-5 of one, on {processor()}")
