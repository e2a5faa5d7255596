"""The reproduction figures do not move: one model of each family, trained through rnnlab.training.fit.run on a
tiny experiment, gives the same validation and test MSE to the last digit as when these were recorded.

Recorded on the default JAX backend (Keras 3.15.1) at commit 33905ad, the step that moved the flat modules
into packages, before the clean-up that followed it; three separate processes (a fresh and a filled JAX
compilation cache, and a clean export of that commit) gave the same digits. JAX on CPU is deterministic run to
run, so any difference here is a change in behaviour (data, model, seeding, batching or XLA settings), not
noise. When a change is meant to move the numbers, record them again and say why in the commit.

320 series (224 / 64 / 32 in the three splits) make every training batch full, so each model compiles one
training step instead of two: the test takes about 35 s of CPU time with a cold compilation cache.
"""

from __future__ import annotations

import pytest

from rnnlab.training import fit

from helpers import tiny

#: model -> (validation MSE, test MSE), as ``repr`` printed them.
GOLDEN = {
    "linear": (0.37869545805864646, 0.4658340623423777),
    "deep_rnn": (0.07127251011523064, 0.1192117254658017),
    "lstm": (0.14169534083992943, 0.14369569266094265),
    "gru": (0.14336544184592867, 0.14905696166989843),
    "conv_gru": (0.13620379736716948, 0.13838078234842807),
    "wavenet": (0.1463069891817629, 0.14816349900413647),
    "layernorm_rnn": (0.4200671283103202, 0.39702312490064595),
}


@pytest.mark.parametrize("model", list(GOLDEN))
def test_reproduction_figures_are_unchanged(model):
    exp = tiny(model, n_series=320, epochs=2, batch_size=32)  # the model's book mode, 20 steps, batches of 32
    result = fit.run(exp, save_model=False)
    assert result.versions["backend"] == "jax"
    assert (result.metrics["valid"]["mse"], result.metrics["test"]["mse"]) == GOLDEN[model]
