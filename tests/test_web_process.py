"""The web process never imports TensorFlow, Keras or JAX: a fresh process drives the app through a training to the
end."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

from helpers import ROOT

SCRIPT = textwrap.dedent(
    """
    import sys, time
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file("app.py", default_timeout=60)
    at.query_params.update({"model": "linear", "n_series": "200", "n_steps": "20", "epochs": "2"})
    at.switch_page("pages/train.py")
    at.run()
    assert not at.exception, at.exception
    train = at.button(key="train")
    assert not train.disabled
    train.click().run()
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        at.run()
        assert not at.exception, at.exception
        if any("Trained in" in s.value for s in at.success):
            break
        time.sleep(0.5)
    else:
        raise SystemExit("training did not finish: " + repr([e.value for e in at.error]))
    assert any(m.label == "Validation MSE" for m in at.metric), [m.label for m in at.metric]
    from rnnlab.jobs.manager import get_manager
    stats = get_manager().stats()
    assert stats["started"] == 1 and stats["completed"] == 1, stats
    heavy = sorted(m for m in ("tensorflow", "keras", "jax", "statsmodels") if m in sys.modules)
    print("HEAVY_MODULES", heavy)
    get_manager().close()
    """
)


def test_web_process_trains_without_importing_tensorflow(tmp_path):
    env = {**os.environ, "RNNLAB_HOME": str(tmp_path / "home"), "RNNLAB_WORKERS": "1", "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=400)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "HEAVY_MODULES []" in proc.stdout
