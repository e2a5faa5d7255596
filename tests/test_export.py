"""Downloads: predictions CSV, run JSON, and the standalone script that retrains the same model."""

from __future__ import annotations

import csv
import io
import json
import re
import runpy
import subprocess
import sys

import pytest

from rnnlab.series import dataset as data

from rnnlab.models import export

from rnnlab.training import fit
from rnnlab.models.registry import REGISTRY, build_model

from helpers import child_env, tiny


@pytest.fixture(scope="module")
def trained_run():
    """A run forecasting three steps, for two epochs (the downloads are the same for every model: the linear one
    compiles fastest)."""
    exp = tiny("linear", "seq2vec", 3, epochs=2)
    return exp, fit.run(exp)


def test_predictions_csv(trained_run):
    exp, result = trained_run
    ds = data.make_dataset(exp)
    rows = list(csv.reader(io.StringIO(export.predictions_csv(result, ds))))
    assert rows[0] == ["split", "series", "step", "actual", "predicted"]
    n_valid, n_test = len(ds.valid), len(ds.test)
    assert len(rows) == 1 + (n_valid + n_test) * 3
    first = rows[1]
    assert first[:3] == ["valid", "0", "1"]
    assert float(first[3]) == pytest.approx(float(ds.valid.future[0, 0]), abs=1e-6)
    assert float(first[4]) == pytest.approx(float(result.predictions["valid"][0, 0]), abs=1e-6)
    assert rows[-1][:3] == ["test", str(n_test - 1), "3"]


def test_run_json(trained_run):
    exp, result = trained_run
    payload = json.loads(json.dumps(export.run_json(result)))
    assert payload["experiment"] == exp.to_dict() and payload["key"] == exp.key()
    assert len(payload["history"]) == 2 and payload["metrics"]["valid"]["mse"] == result.val_mse


CASES = [(name, mode) for name, entry in REGISTRY.items() if not entry.real_only for mode in entry.modes]


def _layers(model) -> list[tuple]:
    """The model's input shape, then each layer's name, class, parameters and output shape."""
    return [tuple(model.inputs[0].shape)] + [
        (layer.name, type(layer).__name__, layer.count_params(), tuple(layer.output.shape))
        for layer in model.layers if type(layer).__name__ != "InputLayer"]


@pytest.mark.parametrize("name, mode", CASES, ids=[f"{n}-{m}" for n, m in CASES])
def test_script_builds_the_same_model_as_rnnlab(tmp_path, name, mode):
    """For every model and mode the registry offers, the script's build_model() gives the layers, names, output
    shapes and parameter counts of rnnlab's own builder (both are written from one description)."""
    exp = tiny(name, mode, 1 if mode == "one_step" else 3, units=5, filters=4)
    script = tmp_path / "script.py"
    script.write_text(export.standalone_script(exp))
    namespace = runpy.run_path(str(script), run_name="rnnlab_script")  # defines functions only
    theirs = namespace["build_model"]()
    if not exp.model.entry.trainable:
        assert theirs is None
        return
    ours = build_model(exp)
    assert _layers(theirs) == _layers(ours)
    assert theirs.count_params() == ours.count_params() == exp.model.entry.count_params(exp)


def test_standalone_scripts_retrain_the_same_models(tmp_path):
    """The script, run on its own (no rnnlab), reaches rnnlab's validation MSE: an iterative forecast over a
    sliding window, and seq2seq targets cut to a strided convolution's outputs. Both scripts run as ``__main__``,
    one after the other, in one fresh process (each seeds Keras before it builds; a process is an import of Keras,
    seconds), while rnnlab trains the same here."""
    cases = [tiny("linear", "iterative", 3, epochs=2), tiny("conv_gru", "seq2seq", 3, epochs=2)]
    scripts = []
    for i, exp in enumerate(cases):
        script = tmp_path / f"train_{i}.py"
        script.write_text(export.standalone_script(exp))
        assert "import rnnlab" not in script.read_text() and "from rnnlab" not in script.read_text()
        scripts.append(script.name)
    runner = "import runpy, sys\nfor path in sys.argv[1:]:\n    runpy.run_path(path, run_name='__main__')\n"
    proc = subprocess.Popen([sys.executable, "-c", runner, *scripts], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=child_env(), cwd=tmp_path)
    expected = [fit.run(exp, save_model=False, jit_compile=False).val_mse for exp in cases]
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err[-2000:]
    found = [float(v) for v in re.findall(r"validation MSE: ([\d.e-]+)", out)]
    assert len(found) == len(expected), out
    for value, wanted in zip(found, expected):
        assert value == pytest.approx(wanted, rel=1e-4)
