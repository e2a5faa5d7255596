"""Downloads: predictions CSV, run JSON, and the standalone script that retrains the same model."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys

import pytest

from rnnlab import data, export, training

from helpers import tiny


@pytest.fixture(scope="module")
def gru_run():
    exp = tiny("gru", "seq2seq", 3, epochs=2)
    return exp, training.run(exp)


def test_predictions_csv(gru_run):
    exp, result = gru_run
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


def test_run_json(gru_run):
    exp, result = gru_run
    payload = json.loads(json.dumps(export.run_json(result)))
    assert payload["experiment"] == exp.to_dict() and payload["key"] == exp.key()
    assert len(payload["history"]) == 2 and payload["metrics"]["valid"]["mse"] == result.val_mse


@pytest.mark.parametrize("model, mode, horizon", [("gru", "seq2seq", 3), ("linear", "iterative", 3),
                                                  ("conv_gru", "seq2seq", 3), ("layernorm_rnn", "seq2vec", 3)])
def test_standalone_script_retrains_the_same_model(tmp_path, model, mode, horizon):
    exp = tiny(model, mode, horizon, epochs=2)
    result = training.run(exp, save_model=False, jit_compile=False)
    script = tmp_path / "train.py"
    script.write_text(export.standalone_script(exp))
    assert "import rnnlab" not in script.read_text() and "from rnnlab" not in script.read_text()
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300,
                          env={"PATH": "/usr/bin:/bin", "TF_CPP_MIN_LOG_LEVEL": "3"}, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    value = float(re.search(r"validation MSE: ([\d.e-]+)", proc.stdout).group(1))
    assert value == pytest.approx(result.val_mse, rel=1e-4)
